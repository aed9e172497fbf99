"""The audio metrics' evaluator: a spoken-word classifier on log-mel spectrograms, trained on real clips only.

The WaveGAN paper (Donahue et al., ICLR 2019) scores generated SC09 digits with a classifier trained on the real
training set: its class probabilities give the Inception score, its penultimate layer the Fréchet distance, and its
input (a log-mel spectrogram) the nearest-neighbour distances |D|self and |D|train. :class:`AudioClassifier` is that
network, in the paper's style: a log-mel front end and four conv + max-pool blocks.

:func:`audio_classifier_for` finds it as :func:`~gan_lightning.metrics.trained.built_evaluator` finds every evaluator
learnt from real data: shipped for the spoken digits of the shipped configs (:data:`SHIPPED`), else cached under
``metrics.cache_dir``, else trained once per set of clips (a user's own WAV folder is theirs), seeded and
deterministic, all keyed by a hash of the dataset's options, the clips' content (:func:`clips_digest`), the training
recipe, the front end and :data:`VERSION`. The content, not the speech engines' versions, decides whether the shipped
classifier serves: the same clips rendered by another engine build still get it, and other clips of the same settings
get a one-line warning naming both hashes. ``scripts/build_evaluator.py`` (re)builds it and prints its accuracy on the
held-out split (for ``spoken_digits``: voices never heard in training).
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lightning.metrics.trained import BuiltEvaluator, built_evaluator, one_thread

VERSION = "1"
"""Part of every cache key: bump it when the network, its front end or its training changes."""

SHIPPED = Path(__file__).parent / "weights" / "audio_classifier"
"""Classifiers shipped with the package, named like the cache's (``<key>.pt`` and its ``.json``). Looked up before the
cache: training is seeded and on one thread, yet CPUs with other vector units round differently and end at other
classifiers (96.2-96.6 % and 97.5 % on the same held-out voices), and the Inception score moves with the classifier, so
a fixed instrument has to be shipped, as the MNIST classifiers are."""

MEL_BANDS = 64
"""Mel bands of the front end (the classifier's input height)."""

WINDOW_SECONDS = 0.032
"""The STFT window is the power of two nearest this many seconds (256 samples at 8 kHz, 512 at 16 kHz), hop half
a window: about 64 frames per second of sound, as the SC09 classifiers read."""

LOG_FLOOR = 1e-5
"""Added to the mel power before the logarithm: silence maps to ``log(1e-5)`` instead of minus infinity."""


def window_length(sample_rate: int) -> int:
    """The STFT window (and FFT size) for ``sample_rate``: the power of two nearest :data:`WINDOW_SECONDS`."""
    return 2 ** round(math.log2(WINDOW_SECONDS * sample_rate))


@functools.lru_cache(maxsize=8)
def mel_filters(sample_rate: int, n_fft: int) -> Tensor:
    """``(MEL_BANDS, n_fft // 2 + 1)``: librosa's Slaney mel filterbank from 0 Hz to Nyquist."""
    import librosa

    return torch.from_numpy(librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=MEL_BANDS)).float()


def log_mel(waves: Tensor, sample_rate: int) -> Tensor:
    """``(N, MEL_BANDS, frames)``: the natural log of the mel power spectrogram of waveforms ``(N, L)`` or
    ``(N, 1, L)`` (a centred, Hann-windowed STFT of :func:`window_length`, hop half of it)."""
    n_fft = window_length(sample_rate)
    waves = waves.reshape(len(waves), -1).float()
    window = torch.hann_window(n_fft, device=waves.device)
    spectrum = torch.stft(waves, n_fft, hop_length=n_fft // 2, window=window, center=True, return_complex=True)
    power = spectrum.abs().square()
    return torch.log(mel_filters(sample_rate, n_fft).to(waves.device) @ power + LOG_FLOOR)


@dataclass(frozen=True)
class AudioClassifierRecipe:
    """How the classifier is trained; every field is part of its cache key.

    On the quick configs' spoken digits (4,800 training clips of 8,192 samples at 8 kHz) the default trains in about
    70 s on one core of a 2-core machine, not measured alone (47 s of CPU), and names 97.5 % of the 800 clips of
    held-out voices (``scripts/build_evaluator.py``); 12 epochs took 415 s for 96.0 %.
    """

    epochs: int = 4
    batch_size: int = 64
    lr: float = 1e-3
    gain: tuple[float, float] = (0.25, 1.0)
    """Each training clip is scaled by a gain drawn from this range: loudness is not the word."""
    noise: float = 0.01
    """Each training clip gets white noise of a standard deviation drawn from [0, noise]: generated clips hiss."""
    seed: int = 0
    """Seeds the initial weights, the batch order and the augmentation (not the run's seed: one classifier serves
    every run of a dataset setting)."""


class AudioClassifier(nn.Module):
    """Waveforms ``(N, L)`` or ``(N, 1, L)`` in [-1, 1] -> ``(features (N, 128), logits (N, num_classes))``.

    The front end is :func:`log_mel`, standardised per mel band by the training clips' mean and standard deviation
    (buffers set by :func:`train_audio_classifier`); :meth:`standardised_log_mel` is also the space of the |D|
    distances. Four 3x3 conv + ReLU + 2x2 max-pool blocks (16, 32, 64, 64 channels) take the 64 bands to 4, a
    maximum over time makes the features independent of where in the clip the word is said, and a 128-d ReLU layer
    (the Fréchet distance's features) feeds the linear classifier. Like
    :class:`~gan_lightning.metrics.classifier.DigitClassifier` it has no batch norm or dropout and stays in eval mode
    (:meth:`train` is a no-op): a fixed measuring instrument. About 100k parameters.
    """

    num_features = 128

    def __init__(self, sample_rate: int, num_classes: int) -> None:
        super().__init__()
        self.sample_rate = int(sample_rate)
        self.num_classes = int(num_classes)
        self.register_buffer("band_mean", torch.zeros(MEL_BANDS))
        self.register_buffer("band_std", torch.ones(MEL_BANDS))
        blocks: list[nn.Module] = []
        channels = 1
        for width in (16, 32, 64, 64):
            blocks += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            channels = width
        self.conv = nn.Sequential(*blocks)
        self.features = nn.Sequential(nn.Linear(channels * MEL_BANDS // 16, self.num_features), nn.ReLU())
        self.classifier = nn.Linear(self.num_features, self.num_classes)
        super().train(False)

    def train(self, mode: bool = True) -> AudioClassifier:
        """Stay in eval mode (no mode-dependent layers; see the class doc)."""
        return super().train(False)

    def standardised_log_mel(self, waves: Tensor) -> Tensor:
        """``(N, MEL_BANDS, frames)``: :func:`log_mel`, each band standardised by the training clips' statistics."""
        return (log_mel(waves, self.sample_rate) - self.band_mean[:, None]) / self.band_std[:, None]

    def classify(self, spectrograms: Tensor) -> tuple[Tensor, Tensor]:
        """``(features, logits)`` of standardised log-mel spectrograms ``(N, MEL_BANDS, frames)``."""
        maps = self.conv(spectrograms[:, None])  # (N, 64, MEL_BANDS / 16, frames / 16)
        features = self.features(maps.amax(dim=3).flatten(1))
        return features, self.classifier(features)

    def forward(self, waves: Tensor) -> tuple[Tensor, Tensor]:
        """``(features, logits)`` of float waveforms ``(N, L)`` (the audio kinds' data space) or ``(N, 1, L)``."""
        if not waves.is_floating_point() or waves.dim() not in (2, 3) or (waves.dim() == 3 and waves.shape[1] != 1):
            raise ValueError(
                f"expected float waveforms (N, L) or (N, 1, L) in [-1, 1], got {waves.dtype} {tuple(waves.shape)}"
            )
        shortest = 15 * window_length(self.sample_rate) // 2  # 16 frames: the four poolings leave one
        if waves.shape[-1] < shortest:
            raise ValueError(f"the audio classifier needs clips of {shortest} samples or more, got {waves.shape[-1]}")
        return self.classify(self.standardised_log_mel(waves))


def augmented(waves: Tensor, recipe: AudioClassifierRecipe, generator: torch.Generator) -> Tensor:
    """``waves`` each scaled by a random gain and given white noise of a random level (see the recipe)."""
    per_clip = (len(waves),) + (1,) * (waves.dim() - 1)
    low, high = recipe.gain
    gains = low + (high - low) * torch.rand(per_clip, generator=generator)
    levels = recipe.noise * torch.rand(per_clip, generator=generator)
    noise = torch.randn(waves.shape, generator=generator) * levels
    return (waves * gains + noise).clamp(-1, 1)


def train_audio_classifier(
    waves: Tensor, labels: Tensor, sample_rate: int, num_classes: int, recipe: AudioClassifierRecipe
) -> AudioClassifier:
    """An :class:`AudioClassifier` trained with Adam on float waveforms ``(N, L)`` and their classes; returned
    frozen. Its band statistics are those of ``waves`` as they are; the weights, batch order and augmentation come
    from ``recipe.seed`` (the global RNG is left as it was), on one thread (:func:`one_thread`), so the same call
    gives the same weights."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(recipe.seed)
        model = AudioClassifier(sample_rate, num_classes)
    labels = labels.long()
    generator = torch.Generator().manual_seed(recipe.seed + 1)
    with one_thread(), torch.enable_grad():  # a measure builds the classifier when it first needs it, under no_grad
        with torch.no_grad():
            bands = torch.cat([log_mel(waves[i : i + 256], sample_rate) for i in range(0, len(waves), 256)])
            model.band_mean.copy_(bands.mean(dim=(0, 2)))
            model.band_std.copy_(bands.std(dim=(0, 2)).clamp_min(1e-3))
        optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
        for _ in range(recipe.epochs):
            order = torch.randperm(len(waves), generator=generator)
            for start in range(0, len(order), recipe.batch_size):
                batch = order[start : start + recipe.batch_size]
                _, logits = model(augmented(waves[batch].float(), recipe, generator))
                loss = F.cross_entropy(logits, labels[batch])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
    model.requires_grad_(False)
    return model


@torch.no_grad()
def classifier_outputs(model: AudioClassifier, waves: Tensor, batch_size: int = 256) -> tuple[Tensor, Tensor]:
    """``(features, logits)`` of float waveforms ``(N, L)``, ``batch_size`` at a time."""
    parts = [model(waves[start : start + batch_size].float()) for start in range(0, len(waves), batch_size)]
    return torch.cat([features for features, _ in parts]), torch.cat([logits for _, logits in parts])


def classifier_accuracy(model: AudioClassifier, waves: Tensor, labels: Tensor) -> float:
    """The share of ``waves`` whose predicted class is their label."""
    _, logits = classifier_outputs(model, waves)
    return float((logits.argmax(dim=1) == labels.long()).float().mean())


class BuiltAudioClassifier(BuiltEvaluator[AudioClassifier]):
    """An audio classifier and what it is (see :class:`~gan_lightning.metrics.trained.BuiltEvaluator`): its accuracy
    on the held-out clips (for ``spoken_digits``, voices never heard in training)."""

    folder: ClassVar[str] = "audio_classifier"
    accuracy_labels: ClassVar[dict[str, str]] = {"test_accuracy": "held-out accuracy"}

    @property
    def test_accuracy(self) -> float:
        """The share of the held-out clips it names right."""
        return self.accuracies["test_accuracy"]


CONTENT_FIELD = "clips_sha256"
"""The identity's field holding :func:`clips_digest`: what tells a shipped classifier's clips from other clips of the
same settings."""


def classifier_identity(
    data_options: dict[str, Any], sample_rate: int, num_classes: int, recipe: AudioClassifierRecipe, clips_sha256: str
) -> dict[str, Any]:
    """Everything that makes a classifier what it is: the dataset's options, the clips' content (``clips_sha256``,
    :func:`clips_digest`), the sample rate and classes, the recipe, the front end and :data:`VERSION`."""
    return {
        "data": data_options,
        CONTENT_FIELD: clips_sha256,
        "sample_rate": sample_rate,
        "num_classes": num_classes,
        "recipe": asdict(recipe),
        "front_end": {"mel_bands": MEL_BANDS, "window": window_length(sample_rate), "log_floor": LOG_FLOOR},
        "version": VERSION,
    }


@dataclass(frozen=True)
class LabelledClips:
    """Real clips to train and test the classifier on: float waveforms ``(N, L)`` in [-1, 1] and their classes."""

    train_waves: Tensor
    train_labels: Tensor
    test_waves: Tensor
    test_labels: Tensor


def clips_digest(clips: LabelledClips) -> str:
    """The SHA-256 of every clip's samples and class, training then held-out, with their shapes and types: the same
    clips give the same digest on any machine, and a change to one sample of one clip gives another. A tenth of a
    second for the 5,600 clips of the quick spoken digits."""
    digest = hashlib.sha256()
    for tensor in (clips.train_waves, clips.train_labels, clips.test_waves, clips.test_labels):
        array = tensor.detach().cpu().contiguous().numpy()
        digest.update(f"{array.dtype.str} {array.shape};".encode())
        digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()


def audio_classifier_for(
    clips: LabelledClips,
    data_options: dict[str, Any],
    sample_rate: int,
    num_classes: int,
    cache_dir: str | Path,
    recipe: AudioClassifierRecipe = AudioClassifierRecipe(),
    rebuild: bool = False,
) -> BuiltAudioClassifier:
    """The classifier of the dataset ``data_options`` describes and of ``clips``: the one shipped in :data:`SHIPPED`,
    else the one cached in ``<cache_dir>/audio_classifier/``, each named by a hash of :func:`classifier_identity`,
    else (or with ``rebuild``) trained on ``clips``' training clips, measured on its test clips and cached
    (:func:`~gan_lightning.metrics.trained.built_evaluator`). A classifier shipped for these settings but other clips
    is not used, and a warning says so in one line."""
    return built_evaluator(
        BuiltAudioClassifier,
        classifier_identity(data_options, sample_rate, num_classes, recipe, clips_digest(clips)),
        network=lambda: AudioClassifier(sample_rate, num_classes),
        train=lambda: train_audio_classifier(clips.train_waves, clips.train_labels, sample_rate, num_classes, recipe),
        measure=lambda model: {"test_accuracy": classifier_accuracy(model, clips.test_waves, clips.test_labels)},
        cache_dir=cache_dir,
        shipped=SHIPPED,
        rebuild=rebuild,
        content_field=CONTENT_FIELD,
    )
