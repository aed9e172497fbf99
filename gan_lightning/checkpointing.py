"""Checkpoint files: atomic writes and names in generator steps.

Lightning's default writer streams straight into the target path, so a kill during the write
leaves a truncated ``last.ckpt``. :class:`AtomicCheckpointIO` writes a temporary file in the same
directory, fsyncs it and renames it over the target: the old file stays valid until the new one
is complete.
"""

from __future__ import annotations

import os
import pickle
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.plugins.io import TorchCheckpointIO
from torch import Tensor

from gan_lightning.files import atomic_path
from gan_lightning.kinds import upgrade_hparams
from gan_lightning.module import GANModule


class AtomicCheckpointIO(TorchCheckpointIO):
    """``torch.save`` to ``.<name>.tmp`` next to the target, fsync, then ``os.replace``."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None) -> None:
        if storage_options is not None:
            raise TypeError("AtomicCheckpointIO does not take storage_options")
        with atomic_path(path) as temporary, open(temporary, "wb") as stream:
            torch.save(checkpoint, stream)
            stream.flush()
            os.fsync(stream.fileno())


class GeneratorStepCheckpoint(ModelCheckpoint):
    """``gen_step=0001000.ckpt`` every ``every`` generator steps, plus ``last.ckpt``.

    Lightning's ``every_n_train_steps`` counts optimizer steps; this converts from generator
    steps so the config speaks one unit. ``every=0`` keeps only ``last.ckpt``, written at the end.
    """

    def __init__(self, dirpath: str | os.PathLike[str], every: int, optimizer_steps_per_generator_step: int) -> None:
        super().__init__(
            dirpath=dirpath,
            filename="gen_step={gen_step:07d}",
            auto_insert_metric_name=False,
            every_n_train_steps=every * optimizer_steps_per_generator_step if every else None,
            save_top_k=-1 if every else 0,
            save_last=True,
            save_on_train_epoch_end=False,
            enable_version_counter=False,
        )
        self.steps_per_generator_step = optimizer_steps_per_generator_step

    def _monitor_candidates(self, trainer: L.Trainer) -> dict[str, Tensor]:
        candidates = super()._monitor_candidates(trainer)
        candidates["gen_step"] = torch.tensor(trainer.global_step // self.steps_per_generator_step)
        return candidates

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Make ``last.ckpt`` the final state even when the run does not end on a periodic step."""
        if self._last_global_step_saved != trainer.global_step:
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))


class CheckpointLoadError(RuntimeError):
    """A checkpoint file is missing, truncated or not one of ours."""


_READ_ERRORS = (RuntimeError, EOFError, KeyError, TypeError, ValueError, pickle.UnpicklingError)


def _unreadable(path: str | os.PathLike[str], error: Exception) -> CheckpointLoadError:
    return CheckpointLoadError(f"cannot read checkpoint {path}: {' '.join(str(error).split())[:200]}")


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The raw checkpoint dictionary; a missing or corrupt file raises :class:`CheckpointLoadError`."""
    if not os.path.isfile(path):
        raise CheckpointLoadError(f"checkpoint not found: {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except _READ_ERRORS as error:
        raise _unreadable(path, error) from error


def load_module(path: str | os.PathLike[str], map_location: str = "cpu") -> GANModule:
    """The trained :class:`GANModule` stored in a checkpoint, in eval mode.

    The module is rebuilt from the checkpoint's hyperparameters (config, kind of data, conditioning), so no dataset
    is needed. Checkpoints written before kinds existed load too (:func:`gan_lightning.kinds.upgrade_hparams`);
    anything else that does not fit is a :class:`CheckpointLoadError` naming the file.
    """
    state = read_checkpoint(path)
    try:
        module = GANModule(**upgrade_hparams(state["hyper_parameters"]))
        module.load_state_dict(state["state_dict"])
    except _READ_ERRORS as error:
        raise _unreadable(path, error) from error
    return module.to(map_location).eval()
