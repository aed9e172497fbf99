"""Store the wandb run id in every checkpoint, so that ``--resume`` continues the same wandb run."""

from __future__ import annotations

from typing import Any

import lightning as L
from lightning.pytorch.loggers import WandbLogger

WANDB_RUN_ID_KEY = "wandb_run_id"


class WandbRunId(L.Callback):
    """Writes ``checkpoint["wandb_run_id"]``; training.py reads it back when resuming."""

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]) -> None:
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger) and logger.version:
                checkpoint[WANDB_RUN_ID_KEY] = logger.version
