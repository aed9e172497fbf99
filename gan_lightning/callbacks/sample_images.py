"""Sample pictures from the EMA generator every N generator steps and at the end of training."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_only
from torch import Tensor

from gan_lightning.data.base import images_to_unit_range
from gan_lightning.image_logging import log_image_file
from gan_lightning.visualization import save_image_grid, save_montage, save_samples, slerp

STEP_GRID = re.compile(r"step_(\d+)\.png")

INTERPOLATION_SEED_OFFSET = 2
"""Added to ``seed`` for the interpolation end points, so they are other latents than the fixed
grid noise (``seed``) and the toy metrics' samples (``seed + 1``)."""


class SampleImages(L.Callback):
    """Writes ``<out_dir>/step_0000500.png`` … and ``final.png``, and logs each picture as ``samples``.

    Images: a grid from the module's fixed noise, so successive grids show the same latents (class-conditional
    runs: one row per class, the same latent down each column; sequences: line plots of the first 16 of that
    batch). At the
    end, image runs also get ``interpolation.png`` (``interpolation_rows`` slerp walks of
    ``interpolation_steps`` images between seeded latents, showing whether G's latent space is smooth)
    and ``progress.png`` (at most ``progress_grids`` of the grids side by side, labelled by step),
    logged as ``interpolation`` and ``progress``.
    Paired data (image translation): a strip of ``pairs`` (inputs in the networks' range, ``uint8`` targets), one row
    per pair: input | output | target; no interpolation (the generator has no latent space).
    2D data: a scatter plot of ``num_points`` samples from a fixed seed over the mode centres.
    Sampling never touches the training RNG, so it cannot change the run's outcome.
    """

    def __init__(
        self,
        out_dir: str | os.PathLike[str],
        every: int,
        centres: Tensor | None = None,
        num_points: int = 2500,
        interpolation_rows: int = 4,
        interpolation_steps: int = 10,
        progress_grids: int = 8,
        pairs: tuple[Tensor, Tensor] | None = None,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.every = every
        self.centres = centres
        self.num_points = num_points
        self.interpolation_rows = interpolation_rows
        self.interpolation_steps = interpolation_steps
        self.progress_grids = progress_grids
        self.pairs = pairs
        self._last_logged_step: int | None = None

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        step = pl_module.generator_step
        if self.every and step % self.every == 0:
            self.save(pl_module, self.out_dir / f"step_{step:07d}.png", f"generator step {step}")
            self.log_picture(trainer, "samples", self.out_dir / f"step_{step:07d}.png", step)
            self._last_logged_step = step

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        step = pl_module.generator_step
        self.save(pl_module, self.out_dir / "final.png", f"generator step {step}")
        if step != self._last_logged_step:  # the last periodic picture may already show this step
            self.log_picture(trainer, "samples", self.out_dir / "final.png", step)
        if len(pl_module.data_shape) == 3 and pl_module.latent_size:
            self.save_interpolation(pl_module, self.out_dir / "interpolation.png")
            self.log_picture(trainer, "interpolation", self.out_dir / "interpolation.png", step)
            self.save_progress(step, self.out_dir / "progress.png")
            self.log_picture(trainer, "progress", self.out_dir / "progress.png", step)

    @rank_zero_only
    def log_picture(self, trainer: L.Trainer, key: str, path: Path, step: int) -> None:
        log_image_file(trainer.loggers, key, path, step)

    @rank_zero_only
    def save(self, pl_module: L.LightningModule, path: Path, title: str) -> None:
        if self.pairs is not None:
            inputs, targets = self.pairs
            outputs = pl_module.to_data_space(pl_module.sample(inputs=inputs)).cpu()
            strip = translation_strip(
                images_to_unit_range(inputs, pl_module.value_range), outputs, targets.float() / 255
            )
            save_samples(strip, path, title=title, nrow=3)
            return
        if len(pl_module.data_shape) >= 2:  # images and sequences: the fixed noise batch
            samples = pl_module.sample(noise=pl_module.fixed_noise, labels=pl_module.fixed_labels)
        else:
            samples = pl_module.sample(self.num_points, generator=torch.Generator().manual_seed(pl_module.cfg.seed))
        save_samples(pl_module.to_data_space(samples), path, self.centres, title, nrow=pl_module.grid_columns)

    @rank_zero_only
    def save_interpolation(self, pl_module: L.LightningModule, path: Path) -> None:
        """One row per pair of seeded latents, from the EMA generator like every other picture."""
        seeded = torch.Generator().manual_seed(pl_module.cfg.seed + INTERPOLATION_SEED_OFFSET)
        start, end = pl_module.latent(2 * self.interpolation_rows, generator=seeded).chunk(2)
        path_latents = slerp(start, end, self.interpolation_steps).flatten(0, 1)
        labels = None  # class-conditional: row r walks through class r (modulo the number of classes)
        if pl_module.num_classes:
            rows = torch.arange(self.interpolation_rows) % pl_module.num_classes
            labels = rows.repeat_interleave(self.interpolation_steps)
        images = pl_module.to_data_space(pl_module.sample(noise=path_latents, labels=labels))
        save_image_grid(images, path, nrow=self.interpolation_steps)

    @rank_zero_only
    def save_progress(self, final_step: int, path: Path) -> None:
        """The run's grids up to ``final_step``, evenly thinned to ``progress_grids``, first and last kept.

        Grids of later steps (left by a longer run that was resumed with fewer steps) are not this
        run's history; the last periodic grid is dropped when ``final.png`` shows the same step.
        """
        grids = sorted(
            (int(match.group(1)), file)
            for file in self.out_dir.glob("step_*.png")
            if (match := STEP_GRID.fullmatch(file.name)) and int(match.group(1)) < final_step
        )
        grids.append((final_step, self.out_dir / "final.png"))
        save_montage([(f"step {step}", file) for step, file in evenly_spaced(grids, self.progress_grids)], path)


def translation_strip(inputs: Tensor, outputs: Tensor, targets: Tensor) -> Tensor:
    """Rows of input | output | target (images in [0, 1]); grey images join RGB ones as three equal channels."""
    channels = max(t.shape[1] for t in (inputs, outputs, targets))
    inputs, outputs, targets = (t.cpu().float().expand(-1, channels, -1, -1) for t in (inputs, outputs, targets))
    return torch.stack([inputs, outputs, targets], dim=1).flatten(0, 1)


def evenly_spaced(items: list[Any], count: int) -> list[Any]:
    """At most ``count`` of ``items``, evenly spread and always including the last (the newest)."""
    if len(items) <= count:
        return items
    stride = (len(items) - 1) / max(count - 1, 1)
    return [items[len(items) - 1 - round(i * stride)] for i in reversed(range(count))]
