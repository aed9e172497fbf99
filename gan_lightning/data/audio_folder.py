"""Your own sound clips from a folder: the way to train an audio GAN on your data, SC09 included.

``data_dir`` holds audio files (``.wav``, ``.flac``, ``.ogg``: what ``soundfile`` reads; hidden entries ignored). When
it has a ``train`` sub-folder, that is the training split and a ``test`` sub-folder beside it, if any, the held-out
split (``metrics.real_split=test``); SC09's ``train/ valid/ test/`` is read as it comes. Otherwise the whole folder
is the training split.

A split's files may lie directly in it or one sub-folder down. A file's class is its sub-folder's name, or else the
part of its name before the first ``_`` (SC09's ``Zero_0a2b400e_nohash_0.wav`` is a "zero"); names are lower-cased.
When every training file has a class, the split has classes (``data.conditional``): the digit words zero … nine are
labelled by their value, other names in sorted order.

Every file is mixed down to mono, resampled to ``data.sample_rate`` (``scipy.signal.resample_poly``) and cut to its
first ``data.audio_length`` samples or padded with silence after its end. A file that cannot be read, holds no
samples, holds samples beyond [-1, 1], or is silent in the part kept stops the run with one line naming it: unlike a
bad image (``data.on_corrupt``), a bad clip is usually a sign the folder is not what the user thinks.

The clips are read once at ``setup`` into ``int16`` ``(N, 1, L)`` held in memory: SC09's 18,620 training clips of
16,384 samples take 610 MB.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator

import numpy as np
import torch
from torch import Tensor

from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import image_args, register_dataset
from gan_lightning.data.audio import AudioData, AudioDataModule, audio_args, to_int16
from gan_lightning.data.base import DataUnavailableError

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg")
"""Files that count as clips (case-insensitive): what libsndfile decodes."""
SILENCE_PEAK = 1e-4
"""A clip whose kept part never exceeds this (-80 dBFS, about 3 int16 steps) is silent."""
SPLIT_FOLDERS = {"train": "train", "test": "test"}
"""Split → the sub-folder of ``data_dir`` holding it, when ``data_dir`` has a ``train`` folder."""


def iter_audio_files(folder: str) -> Iterator[tuple[str, str | None]]:
    """``(path, class name or None)`` of the audio files directly in ``folder`` and one sub-folder down, sorted."""
    entries = sorted((e for e in os.scandir(folder) if not e.name.startswith(".")), key=lambda e: e.name)
    for entry in entries:
        if entry.is_dir():
            for inner in sorted(os.listdir(entry.path)):
                if not inner.startswith(".") and inner.lower().endswith(AUDIO_EXTENSIONS):
                    yield os.path.join(entry.path, inner), entry.name.lower()
        elif entry.name.lower().endswith(AUDIO_EXTENSIONS):
            stem = entry.name.rsplit(".", 1)[0]
            yield entry.path, stem.split("_", 1)[0].lower() if "_" in stem else None


def read_clip(path: str, sample_rate: int, length: int) -> np.ndarray:
    """The file ``path`` as ``float32`` ``(length,)``: mono, at ``sample_rate``, cut or padded (see the module doc);
    a one-line :class:`DataUnavailableError` naming the file for one that cannot serve."""
    import soundfile
    from scipy.signal import resample_poly

    try:
        samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (RuntimeError, OSError, ValueError, TypeError) as error:
        reason = " ".join(f"{type(error).__name__}: {error}".split())
        raise DataUnavailableError(f"cannot read audio file {path} ({reason}); replace or remove it") from error
    if samples.size == 0:
        raise DataUnavailableError(f"audio file {path} holds no samples; replace or remove it")
    clip = samples.mean(axis=1)
    peak = float(np.abs(clip).max())
    if not math.isfinite(peak) or peak > 1.0:
        raise DataUnavailableError(
            f"audio file {path} holds samples beyond [-1, 1] (peak {peak:.3g}); save it normalised or as integers"
        )
    if rate != sample_rate:
        common = math.gcd(int(rate), sample_rate)
        kept = min(len(clip), math.ceil(length * rate / sample_rate))  # resample only what is kept
        clip = resample_poly(clip[:kept], sample_rate // common, int(rate) // common).astype(np.float32)
        clip = np.clip(clip, -1.0, 1.0)  # the resampling filter can overshoot a full-scale edge
    clip = clip[:length]
    if float(np.abs(clip).max()) <= SILENCE_PEAK:
        raise DataUnavailableError(
            f"audio file {path} is silent in its first {length} samples at {sample_rate} Hz; remove it, or trim its "
            "leading silence"
        )
    return np.pad(clip, (0, length - len(clip)))


class AudioFolderDataModule(AudioDataModule):
    """The clips in ``data_dir`` (see the module doc), mono, ``sample_rate`` Hz, ``audio_length`` samples."""

    def __init__(self, data_dir: str, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.data_dir = data_dir

    def split_folder(self, split: str) -> str:
        """The folder holding ``split`` (``data_dir`` itself for the training split of a folder without splits)."""
        if os.path.isdir(os.path.join(self.data_dir, SPLIT_FOLDERS["train"])):
            return os.path.join(self.data_dir, SPLIT_FOLDERS[split])
        return self.data_dir

    @property
    def splits(self) -> tuple[str, ...]:  # type: ignore[override]
        """``train``, and ``test`` when ``data_dir`` has ``train`` and ``test`` folders."""
        test = os.path.join(self.data_dir, SPLIT_FOLDERS["test"])
        has_test = os.path.isdir(os.path.join(self.data_dir, SPLIT_FOLDERS["train"])) and os.path.isdir(test)
        return ("train", "test") if has_test else ("train",)

    @property
    def has_classes(self) -> bool:  # type: ignore[override]
        """Whether every training file has a class (a listing, nothing read)."""
        if self.unavailable():
            return False
        files = list(iter_audio_files(self.split_folder("train")))
        return all(name is not None for _, name in files)

    def unavailable(self) -> str | None:
        if not os.path.isdir(self.data_dir):
            return f"data.data_dir={self.data_dir!r} is not a folder; point it at a folder of audio files"
        folder = self.split_folder("train")
        if next(iter_audio_files(folder), None) is None:
            return (
                f"{folder} holds no audio files ({', '.join(AUDIO_EXTENSIONS)}) directly or one sub-folder down; "
                "add clips or point data.data_dir elsewhere"
            )
        return None

    def read_split(self, split: str) -> tuple[Tensor, list[str] | None]:
        problem = self.unavailable()
        if problem:
            raise DataUnavailableError(problem)
        files = list(iter_audio_files(self.split_folder(split)))
        if not files:
            raise DataUnavailableError(f"{self.split_folder(split)} holds no audio files for the {split} split")
        clips = np.stack([read_clip(path, self.sample_rate, self.audio_length) for path, _ in files])
        names = [name for _, name in files]
        return to_int16(torch.from_numpy(clips)), None if None in names else names  # type: ignore[misc]


@register_dataset("audio_folder", section=AudioData)
def _audio_folder(cfg: ExperimentConfig) -> AudioFolderDataModule:
    return AudioFolderDataModule(cfg.data.data_dir, *image_args(cfg), **audio_args(cfg))
