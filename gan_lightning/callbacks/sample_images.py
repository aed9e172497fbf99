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

from gan_lightning.visualization import save_montage, slerp

STEP_GRID = re.compile(r"step_(\d+)\.png")

INTERPOLATION_SEED_OFFSET = 2
"""Added to ``seed`` for the interpolation end points, so they are other latents than the fixed
grid noise (``seed``) and the toy metrics' samples (``seed + 1``)."""


class SampleImages(L.Callback):
    """Writes ``<out_dir>/step_0000500.png`` … and ``final.png``, and logs each picture as ``samples``.

    What a picture shows is the run's kind of data and conditioning's to say (:meth:`DataKind.save_picture`):
    images, a grid from the module's fixed noise, so successive grids show the same latents (class-conditional
    runs: one row per class, the same latent down each column; image translation: a strip of ``pairs``, one row
    per pair: input | output | target); sequences, line plots of that batch; 2D points, a scatter plot over the
    mode centres. Kinds with :attr:`DataKind.end_pictures` (images) also get, at the end, ``interpolation.png``
    (``interpolation_rows`` slerp walks of ``interpolation_steps`` images between seeded latents, showing whether
    G's latent space is smooth; none for a generator without latents) and ``progress.png`` (at most
    ``progress_grids`` of the grids side by side, labelled by step), logged as ``interpolation`` and ``progress``.
    Sampling never touches the training RNG, so it cannot change the run's outcome.
    """

    def __init__(
        self,
        out_dir: str | os.PathLike[str],
        every: int,
        interpolation_rows: int = 4,
        interpolation_steps: int = 10,
        progress_grids: int = 8,
        pairs: tuple[Tensor, Tensor] | None = None,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.every = every
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
        if not pl_module.kind.end_pictures:
            return
        if pl_module.latent_size:
            self.save_interpolation(pl_module, self.out_dir / "interpolation.png")
            self.log_picture(trainer, "interpolation", self.out_dir / "interpolation.png", step)
        self.save_progress(step, self.out_dir / "progress.png")
        self.log_picture(trainer, "progress", self.out_dir / "progress.png", step)

    @rank_zero_only
    def log_picture(self, trainer: L.Trainer, key: str, path: Path, step: int) -> None:
        trainer.lightning_module.kind.log_picture(trainer.loggers, key, path, step)

    @rank_zero_only
    def save(self, pl_module: L.LightningModule, path: Path, title: str) -> None:
        pl_module.kind.save_picture(pl_module, path, title, self.pairs)

    @rank_zero_only
    def save_interpolation(self, pl_module: L.LightningModule, path: Path) -> None:
        """One row per pair of seeded latents, from the EMA generator like every other picture."""
        seeded = torch.Generator().manual_seed(pl_module.cfg.seed + INTERPOLATION_SEED_OFFSET)
        start, end = pl_module.latent(2 * self.interpolation_rows, generator=seeded).chunk(2)
        path_latents = slerp(start, end, self.interpolation_steps).flatten(0, 1)
        conditions = pl_module.conditioning.walk_conditions(self.interpolation_rows, self.interpolation_steps)
        images = pl_module.to_data_space(pl_module.sample(noise=path_latents, condition=conditions))
        pl_module.kind.draw(images, path, columns=self.interpolation_steps)

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


def evenly_spaced(items: list[Any], count: int) -> list[Any]:
    """At most ``count`` of ``items``, evenly spread and always including the last (the newest)."""
    if len(items) <= count:
        return items
    stride = (len(items) - 1) / max(count - 1, 1)
    return [items[len(items) - 1 - round(i * stride)] for i in reversed(range(count))]
