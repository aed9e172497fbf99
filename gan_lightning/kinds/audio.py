"""Audio: waveforms ``(1, L)`` (WaveGAN) and SpecGAN's spectrogram images ``(1, F, T)``, both heard as waveforms.

Two kinds, one per representation the networks see (``data.representation``), with one data space: a generated
sample maps to a ``float32`` waveform ``(L,)`` in [-1, 1] at the kind's ``sample_rate`` (the ``spectrogram`` kind
inverts its image by Griffin-Lim, with the training set's statistics kept in its :meth:`~SpectrogramKind.state`), so
the pictures, the sound files and every metric read waveforms whatever the networks made.

Pictures: ``step_NNNNNN.png`` is a grid of the clips' spectrograms (log magnitude, low frequencies at the bottom,
-80 to 0 dBFS from black to white), and the folder ``step_NNNNNN/`` beside it holds each clip as ``000.wav``,
``001.wav``, ... (16-bit); loggers get the PNG and, where they play sound (wandb, offline too), the clips.
``scripts/sample.py --out clips.wav`` writes that folder alone (``clips/000.wav``, ...), ``--out clips.png`` the grid
and the folder, ``--out clips.npz`` the array ``samples`` ``(N, L)``.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from lightning.pytorch.loggers import Logger, WandbLogger
from torch import Tensor

from gan_lightning.data import prepare_data
from gan_lightning.data.spectrogram import Spectrogram
from gan_lightning.kinds import DataKind, DataKindError, Evaluator, ModeCounter, register_kind, value_range
from gan_lightning.metrics.audio_classifier import classifier_outputs
from gan_lightning.metrics.audio_quality import build_audio_classifier
from gan_lightning.metrics.suite import MetricError
from gan_lightning.visualization import save_image_grid

if TYPE_CHECKING:
    from gan_lightning.config.schema import ExperimentConfig
    from gan_lightning.data.base import GANDataModule

PICTURE_WINDOW_SECONDS = 0.016
"""The pictures' STFT window, about 16 ms (256 samples at 16 kHz, 128 at 8 kHz)."""
PICTURE_FLOOR_DB = -80.0
"""The pictures' black: magnitudes this far below full scale or quieter."""
LOGGED_CLIPS = 8
"""Clips of the picture batch a logger that plays sound gets (the first ones: one of each class in a class grid)."""


def clip_spectrograms(waveforms: Tensor, sample_rate: int) -> Tensor:
    """Grey images ``(N, 1, F, T)`` in [0, 1] of clips ``(N, L)``: dB of the STFT magnitude, low frequencies at the
    bottom."""
    window = 2 ** max(4, round(math.log2(PICTURE_WINDOW_SECONDS * sample_rate)))
    spectrum = torch.stft(
        waveforms.float(),
        window,
        window // 4,
        window=torch.hann_window(window, device=waveforms.device),
        return_complex=True,
    )
    decibels = 20 * torch.log10(spectrum.abs() / (window / 4) + 1e-10)  # a full-scale sine peaks near 0 dB
    return ((decibels - PICTURE_FLOOR_DB) / -PICTURE_FLOOR_DB).clamp(0.0, 1.0).flip(1).unsqueeze(1)


def save_wavs(waveforms: Tensor, folder: str | os.PathLike[str], sample_rate: int) -> None:
    """Each clip of ``waveforms`` ``(N, L)`` as ``folder/000.wav``, ... (16-bit); the folder appears whole or not at
    all, replacing an earlier one."""
    import soundfile

    target = Path(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        digits = max(3, len(str(len(waveforms) - 1)))
        for index, clip in enumerate(waveforms.float().clamp(-1.0, 1.0).cpu().numpy()):
            soundfile.write(partial / f"{index:0{digits}d}.wav", clip, sample_rate, subtype="PCM_16")
        if target.exists():
            shutil.rmtree(target)
        os.replace(partial, target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


@register_kind("audio")
class AudioKind(DataKind):
    """Waveforms of ``data_shape`` ``(1, L)`` in [-1, 1], ``sample_rate`` Hz."""

    name = "audio"
    description = "audio waveforms (1, L)"
    picture_suffixes = (".png", ".wav")

    def __init__(self, data_shape: Sequence[int], value_range: Sequence[float], sample_rate: int) -> None:
        super().__init__(data_shape, value_range)
        self.sample_rate = int(sample_rate)

    def state(self) -> dict[str, Any]:
        return {**super().state(), "sample_rate": self.sample_rate}

    @classmethod
    def from_datamodule(cls, datamodule: GANDataModule, config: ExperimentConfig) -> DataKind:
        return cls(datamodule.data_shape, value_range(config), datamodule.sample_rate)  # type: ignore[attr-defined]

    def to_data_space(self, samples: Tensor) -> Tensor:
        """Generated clips ``(N, 1, L)`` → waveforms ``(N, L)``."""
        return samples.float().reshape(samples.shape[0], -1).clamp(-1.0, 1.0)

    def heard_through(self, clips: Tensor) -> Tensor:
        """Real clips ``(N, L)`` as this representation can render them (what a perfect generator of it would
        sound like): waveforms are their own representation."""
        return clips

    def draw(self, samples: Tensor, path: str | Path, title: str = "", columns: int | None = None) -> None:
        """``samples`` ``(N, L)``: a ``.png`` path gets the spectrogram grid ``columns`` wide and the WAV folder
        beside it (``path`` without its suffix); a ``.wav`` path the folder alone."""

        path = Path(path)
        if path.suffix == ".png":
            save_image_grid(clip_spectrograms(samples, self.sample_rate), path, nrow=columns)
        save_wavs(samples, path.with_suffix(""), self.sample_rate)

    def log_picture(self, loggers: Iterable[Logger], key: str, path: Path, step: int) -> None:
        """The grid on every logger, and the first clips as sound where a logger plays it (wandb)."""
        super().log_picture(loggers, key, path, step)
        clips = sorted(path.with_suffix("").glob("*.wav"))[:LOGGED_CLIPS]
        for logger in loggers:
            if isinstance(logger, WandbLogger) and clips:
                import wandb

                rate = self.sample_rate
                sounds = [wandb.Audio(os.fspath(clip), sample_rate=rate, caption=clip.stem) for clip in clips]
                logger.experiment.log({f"{key}_audio": sounds}, step=step)

    @classmethod
    def build_evaluator(cls, config: ExperimentConfig, datamodule: GANDataModule, rebuild: bool = False) -> Evaluator:
        """The spoken-word classifier behind the audio metrics, trained on the real training clips."""

        return build_audio_classifier(config, datamodule, rebuild=rebuild)

    def mode_counter(self, config: ExperimentConfig) -> ModeCounter | None:
        """The audio metrics' spoken-word classifier's predicted class (from ``metrics.cache_dir``, else trained now
        on the run's real clips, which are read either way); None for clips without classes to learn."""

        datamodule = prepare_data(config)
        try:
            built = build_audio_classifier(config, datamodule)
        except MetricError:
            return None
        names = list(datamodule.class_names)  # type: ignore[attr-defined]
        return ModeCounter(
            names,
            lambda waves: torch.bincount(classifier_outputs(built.model, waves)[1].argmax(dim=1), minlength=len(names)),
            f"the spoken-word classifier's predicted class ({built.test_accuracy:.1%} on held-out clips)",
        )

    @classmethod
    def check_config(cls, config: ExperimentConfig, datamodule: GANDataModule) -> str | None:
        if config.generator.output_activation == "sigmoid":
            return "audio lies in [-1, 1]: set generator.output_activation=tanh"
        return None


@register_kind("spectrogram")
class SpectrogramKind(AudioKind):
    """SpecGAN's images ``(1, F, T)`` of clips of ``spectrogram["length"]`` samples; heard through Griffin-Lim.

    Args:
        spectrogram: the transform's state (:meth:`gan_lightning.data.spectrogram.Spectrogram.state`): its geometry
            and the training set's per-bin statistics.
    """

    name = "spectrogram"
    description = "spectrogram images (1, F, T) of audio"

    def __init__(
        self,
        data_shape: Sequence[int],
        value_range: Sequence[float],
        sample_rate: int,
        spectrogram: Mapping[str, Any],
    ) -> None:

        super().__init__(data_shape, value_range, sample_rate)
        self.spectrogram = Spectrogram(**spectrogram)
        if self.spectrogram.shape != self.data_shape:
            raise DataKindError(f"spectrogram of shape {self.spectrogram.shape} for samples of shape {self.data_shape}")

    def state(self) -> dict[str, Any]:
        return {**super().state(), "spectrogram": self.spectrogram.state()}

    @classmethod
    def from_datamodule(cls, datamodule: GANDataModule, config: ExperimentConfig) -> DataKind:
        transform = datamodule.spectrogram  # type: ignore[attr-defined]
        return cls(datamodule.data_shape, value_range(config), datamodule.sample_rate, transform.state())  # type: ignore[attr-defined]

    def to_data_space(self, samples: Tensor) -> Tensor:
        """Generated images ``(N, 1, F, T)`` → waveforms ``(N, L)`` by Griffin-Lim."""
        return self.spectrogram.invert(samples)

    def heard_through(self, clips: Tensor) -> Tensor:
        """Real clips as SpecGAN can render them: to its image and back by Griffin-Lim."""
        return self.spectrogram.invert(self.spectrogram(clips)).reshape(clips.shape)
