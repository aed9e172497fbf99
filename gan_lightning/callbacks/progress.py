"""One terminal progress bar over generator steps, the unit of ``train.max_steps``."""

from __future__ import annotations

import sys
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import TQDMProgressBar
from lightning.pytorch.callbacks.progress.tqdm_progress import Tqdm

LOSSES_SHOWN = {"train/d_loss": "d_loss", "train/g_loss": "g_loss"}
"""Logged name -> the short name the bar shows."""
IMAGES_PER_SECOND = "train/images_per_sec"


class GeneratorStepProgressBar(TQDMProgressBar):
    """``generator steps: 33%|███▎ | 1000/3000 [00:36<01:12, 27.6step/s, d_loss=…, g_loss=…, img/s=…, fid=…]``.

    Lightning's own bar restarts every epoch ("Epoch 38: 36/72"), which says nothing about how far
    a ``max_steps`` run is. This one counts generator steps (one ``training_step``) up to
    ``train.max_steps`` and starts at the step a resumed run continues from, so tqdm's rate and ETA
    are the run's. After every logging step (``log_every``) its postfix shows the latest D and G losses,
    the images per second measured by the module (all ranks together) and, once one has been logged,
    the last FID-like value (``val/...fid``), on 2D toy data the number of modes covered, on sequences the
    last discriminative score. Only rank 0
    draws it (Lightning disables progress bars on the other ranks).
    """

    def __init__(self, log_every: int) -> None:
        super().__init__()
        self.log_every = log_every

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        steps_per_generator_step = pl_module.optimizer_steps_per_generator_step
        self.train_progress_bar = Tqdm(
            desc="generator steps",
            total=trainer.max_steps // steps_per_generator_step,
            initial=pl_module.generator_step,
            unit="step",
            disable=self.is_disabled,
            leave=True,
            dynamic_ncols=True,
            file=sys.stdout,
            smoothing=0,
            bar_format=self.BAR_FORMAT,
        )

    def on_train_epoch_start(self, trainer: L.Trainer, *_: Any) -> None:
        """Unlike Lightning's bar, nothing restarts at an epoch boundary."""

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        if self.is_disabled:
            return
        bar = self.train_progress_bar
        step = pl_module.generator_step
        if step % self.log_every == 0:
            bar.set_postfix(self.get_metrics(trainer, pl_module), refresh=False)
        # update() (not Lightning's refresh per batch) lets tqdm redraw at most every 0.1 s, so a toy run
        # doing hundreds of steps per second does not flood a log file with bars.
        bar.update(step - bar.n)

    def get_metrics(self, trainer: L.Trainer, pl_module: L.LightningModule) -> dict[str, Any]:
        """The latest losses, images/s and last evaluation; Lightning's ``v_num`` is left out."""
        logged = trainer.callback_metrics
        shown: dict[str, Any] = {short: float(logged[name]) for name, short in LOSSES_SHOWN.items() if name in logged}
        if IMAGES_PER_SECOND in logged:
            shown["img/s"] = f"{float(logged[IMAGES_PER_SECOND]):.0f}"
        fid = next((name for name in logged if name.startswith("val/") and name.endswith("fid")), None)
        if fid is not None:
            shown["fid"] = float(logged[fid])
        if "toy/modes" in logged:
            shown["modes"] = int(logged["toy/modes"])
        if "val/discriminative" in logged:
            shown["disc"] = float(logged["val/discriminative"])
        return shown
