"""Sample pictures from the EMA generator every N generator steps and at the end of training."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_only
from torch import Tensor

from gan_lightning.image_logging import log_image_file
from gan_lightning.visualization import save_samples


class SampleImages(L.Callback):
    """Writes ``<out_dir>/step_0000500.png`` … and ``final.png``, and logs each picture as ``samples``.

    Images: a grid from the module's fixed noise, so successive grids show the same latents.
    2D data: a scatter plot of ``num_points`` samples from a fixed seed over the mode centres.
    Sampling never touches the training RNG, so it cannot change the run's outcome.
    """

    def __init__(
        self,
        out_dir: str | os.PathLike[str],
        every: int,
        centres: Tensor | None = None,
        num_points: int = 2500,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.every = every
        self.centres = centres
        self.num_points = num_points
        self._last_logged_step: int | None = None

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        step = pl_module.generator_step
        if self.every and step % self.every == 0:
            self.save(pl_module, self.out_dir / f"step_{step:07d}.png", f"generator step {step}")
            self.log_picture(trainer, self.out_dir / f"step_{step:07d}.png", step)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        step = pl_module.generator_step
        self.save(pl_module, self.out_dir / "final.png", f"generator step {step}")
        if step != self._last_logged_step:  # the last periodic picture may already show this step
            self.log_picture(trainer, self.out_dir / "final.png", step)

    @rank_zero_only
    def log_picture(self, trainer: L.Trainer, path: Path, step: int) -> None:
        log_image_file(trainer.loggers, "samples", path, step)
        self._last_logged_step = step

    @rank_zero_only
    def save(self, pl_module: L.LightningModule, path: Path, title: str) -> None:
        if len(pl_module.data_shape) == 3:
            samples = pl_module.sample(noise=pl_module.fixed_noise)
        else:
            samples = pl_module.sample(self.num_points, generator=torch.Generator().manual_seed(pl_module.cfg.seed))
        save_samples(pl_module.to_data_space(samples), path, self.centres, title)
