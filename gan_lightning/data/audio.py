"""Audio clips stored as ``int16`` waveforms ``(N, 1, L)``: what every audio dataset shares.

A clip is mono, ``data.sample_rate`` Hz, ``data.audio_length`` samples (WaveGAN's 16,384 at 16 kHz: about one second).
``data.representation`` decides what the networks see and so the kind of data (:mod:`gan_lightning.kinds.audio`):

* ``waveform``: the clip itself, ``(1, L)`` in [-1, 1] (WaveGAN), the ``audio`` kind;
* ``spectrogram``: SpecGAN's normalised log-magnitude STFT image ``(1, window / 2, L / hop)`` in [-1, 1]
  (:mod:`gan_lightning.data.spectrogram`; its per-bin statistics are measured on the training set at ``setup``), the
  ``spectrogram`` kind.

Either way batches are converted after the transfer to the training device (the STFT runs there), and generated
samples map back to waveforms, so pictures, sound files and every metric read waveforms. Labels (``data.conditional``)
are the clip's class: a word of the spoken digits, a class sub-folder or an SC09-style name of a folder of WAVs.
"""

from __future__ import annotations

import os
from abc import abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import Tensor

from gan_lightning.config.options import one_of, positive
from gan_lightning.config.schema import DataConfig, ExperimentConfig
from gan_lightning.data.base import DataUnavailableError, InMemoryDataModule
from gan_lightning.data.spectrogram import GRIFFIN_LIM_ITERATIONS, Spectrogram, spectrogram_shape

REPRESENTATIONS = {"waveform": "audio", "spectrogram": "spectrogram"}
"""``data.representation`` → the kind of data its samples are."""
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
"""The spoken digits' classes in label order (SC09's and the demo set's words)."""
INT16_SCALE = 32767.0
"""Full scale of the stored ``int16`` samples: ``int16 / 32767`` is the waveform in [-1, 1]."""


@dataclass
class AudioData(DataConfig):
    """The options of audio datasets: the clips' rate and length, and what the networks see of them."""

    sample_rate: int = positive(16000)
    """Hz every clip is resampled to (WaveGAN: 16,000)."""
    audio_length: int = positive(16384)
    """Samples per clip; longer files keep their first samples, shorter ones are padded
    with silence. WaveGAN's clips are 16,384 samples at 16 kHz (about one second). (Not ``num_samples``, which counts a
    generated dataset's samples.)"""
    representation: str = one_of("waveform", REPRESENTATIONS)
    """What the networks see. waveform (the clip, (1, audio_length): WaveGAN; the audio
    kind) | spectrogram (SpecGAN's normalised log-magnitude STFT image, (1, stft_window / 2, audio_length / stft_hop),
    inverted to sound by Griffin-Lim; the spectrogram kind)."""
    stft_window: int = positive(256)
    """STFT window in samples (SpecGAN: 256 at 16 kHz; the image has stft_window / 2 frequency rows)."""
    stft_hop: int = positive(128)
    """Samples between STFT frames (SpecGAN: 128); must divide audio_length and be at most half the
    window."""
    griffin_lim_iterations: int = positive(32)
    """Griffin-Lim rounds that turn generated images into sound (SpecGAN's code: 16)."""


def audio_args(cfg: ExperimentConfig) -> dict[str, object]:
    """The :class:`AudioDataModule` keywords ``data``'s audio options set."""
    data = cfg.data
    return {
        "sample_rate": data.sample_rate,
        "audio_length": data.audio_length,
        "representation": data.representation,
        "stft_window": data.stft_window,
        "stft_hop": data.stft_hop,
        "griffin_lim_iterations": data.griffin_lim_iterations,
        "device": data.device,
    }


def class_order(names: Iterable[str]) -> list[str]:
    """Class names in label order: the digit words zero … nine by their value when every name is one (so label 3 is
    "three", as for MNIST), any other names sorted."""
    unique = set(names)
    if unique <= set(DIGIT_WORDS):
        return [word for word in DIGIT_WORDS if word in unique]
    return sorted(unique)


def to_int16(waveforms: Tensor) -> Tensor:
    """Float waveforms in [-1, 1] as stored ``int16`` samples."""
    return waveforms.clamp(-1.0, 1.0).mul(INT16_SCALE).round().to(torch.int16)


def to_float(waveforms: Tensor) -> Tensor:
    """Stored ``int16`` samples as ``float32`` waveforms in [-1, 1]."""
    return waveforms.to(torch.float32).div_(INT16_SCALE)


class AudioDataModule(InMemoryDataModule):
    """Clips held in memory as ``int16`` ``(N, 1, audio_length)``, served as ``data.representation``.

    Subclasses read a split in :meth:`read_split`. ``labels`` and ``class_names`` describe the training clips'
    classes when every clip has one.

    Args:
        sample_rate: Hz every clip is resampled to.
        audio_length: samples per clip.
        representation: ``waveform`` or ``spectrogram`` (see the module doc).
        stft_window, stft_hop, griffin_lim_iterations: the spectrogram's geometry and inversion.
    """

    def __init__(
        self,
        batch_size: int,
        seed: int,
        value_range: tuple[float, float],
        *,
        sample_rate: int = 16000,
        audio_length: int = 16384,
        representation: str = "waveform",
        stft_window: int = 256,
        stft_hop: int = 128,
        griffin_lim_iterations: int = GRIFFIN_LIM_ITERATIONS,
        device: str = "cpu",
    ) -> None:
        super().__init__(batch_size, seed, device)
        if representation not in REPRESENTATIONS:
            raise ValueError(
                f"invalid value {representation!r} for config key 'data.representation'; "
                f"allowed: {', '.join(REPRESENTATIONS)}"
            )
        if tuple(value_range) != (-1.0, 1.0):
            raise ValueError(
                "audio lies in [-1, 1]: set generator.output_activation=tanh (or none), not one of range "
                f"{tuple(value_range)}"
            )
        if sample_rate < 1000 or audio_length < 64:
            raise ValueError(
                f"data.sample_rate={sample_rate} and data.audio_length={audio_length}: audio needs at least 1000 Hz "
                "and 64 samples per clip"
            )
        if representation == "spectrogram":
            spectrogram_shape(audio_length, stft_window, stft_hop)  # a one-line error now, not after loading
        self.kind_name = REPRESENTATIONS[representation]  # type: ignore[misc]
        self.value_range = value_range
        self.sample_rate = sample_rate
        self.audio_length = audio_length
        self.representation = representation
        self.stft = (stft_window, stft_hop, griffin_lim_iterations)
        self.spectrogram: Spectrogram | None = None
        self.labels: Tensor | None = None
        self.class_names: list[str] = []
        self._splits: dict[str, tuple[Tensor, Tensor | None]] = {}

    @property
    def data_shape(self) -> tuple[int, ...]:
        if self.representation == "spectrogram":
            window, hop, _ = self.stft
            return spectrogram_shape(self.audio_length, window, hop)
        return (1, self.audio_length)

    @abstractmethod
    def read_split(self, split: str) -> tuple[Tensor, list[str] | None]:
        """``split``'s clips as ``int16`` ``(N, audio_length)`` and each clip's class name (None: no classes)."""

    def load(self) -> Tensor:
        waveforms, names = self.read_split("train")
        if names is not None:
            self.class_names = class_order(names)
            self.labels = self._label(names, "train")
        if self.representation == "spectrogram":
            window, hop, iterations = self.stft
            self.spectrogram = Spectrogram.fit(to_float(waveforms), self.audio_length, window, hop, iterations)
        self._splits["train"] = (waveforms, self.labels)
        return waveforms.unsqueeze(1)

    def _label(self, names: list[str], split: str) -> Tensor:
        index = {name: label for label, name in enumerate(self.class_names)}
        unknown = sorted(set(names) - set(index))
        if unknown:
            raise DataUnavailableError(
                f"the {split} split has classes the training split lacks ({', '.join(unknown)}); "
                f"training classes: {', '.join(self.class_names)}"
            )
        return torch.tensor([index[name] for name in names], dtype=torch.long)

    def to_model_space(self, batch: Tensor) -> Tensor:
        """Stored ``int16`` clips ``(B, 1, L)`` → waveforms in [-1, 1], or their spectrogram images."""
        waveforms = to_float(batch)
        if self.spectrogram is None:
            return waveforms
        return self.spectrogram(waveforms)

    def split(self, split: str) -> tuple[Tensor, Tensor | None]:
        """``split``'s ``int16`` clips ``(N, L)`` and labels (None without classes), read once."""
        if split not in self.splits:
            allowed = ", ".join(self.splits)
            raise DataUnavailableError(f"metrics.real_split={split!r} is not available here; allowed: {allowed}")
        self.setup()
        if split not in self._splits:
            waveforms, names = self.read_split(split)
            labels = None if names is None or not self.class_names else self._label(names, split)
            self._splits[split] = (waveforms, labels)
        return self._splits[split]

    @property
    def clips_identity(self) -> str:
        """What names these clips for the audio classifier's key: their folder. A set that names its own folder after
        what made it overrides this with that name, so one classifier serves every machine that makes the same set."""
        return os.path.abspath(os.path.expanduser(self.data_dir))  # type: ignore[attr-defined]

    def evaluation_images(self, split: str) -> Tensor:
        """Real clips of ``split`` as ``float32`` waveforms ``(N, audio_length)`` in [-1, 1]: what the kinds'
        ``to_data_space`` makes of generated samples, so metrics compare like with like."""
        return to_float(self.split(split)[0])

    def evaluation_labels(self, split: str) -> Tensor:
        """The class of every clip :meth:`evaluation_images` returns for ``split``."""
        labels = self.split(split)[1]
        if labels is None:
            return super().evaluation_labels(split)
        return labels

    def training_conditions(self) -> Tensor | None:
        if not self.conditional:
            return None
        self.setup()
        return self.labels

    def class_counts(self) -> list[int]:
        self.setup()
        if self.labels is None:
            return super().class_counts()
        return torch.bincount(self.labels, minlength=len(self.class_names)).tolist()
