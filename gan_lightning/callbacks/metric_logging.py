"""Evaluation results logged at the generator step they describe, by every metric callback the same way."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import lightning as L
import torch


def log_evaluation(trainer: L.Trainer, metrics: dict[str, float], step: int) -> None:
    """Send ``metrics`` to every logger at generator ``step`` and expose them to ``ModelCheckpoint``.

    Straight to the loggers, because Lightning would hold values logged from a callback until its
    next logging step (or drop them after the last one); ``callback_metrics`` is what
    ``ModelCheckpoint(monitor=...)`` reads, so a best-metric checkpoint sees them in the same step.
    """
    for logger in trainer.loggers:
        logger.log_metrics(metrics, step=step)
    for name, value in metrics.items():
        trainer.callback_metrics[name] = torch.tensor(value)


class PeriodicEvaluation(L.Callback, ABC):
    """Runs :meth:`evaluate_and_log` every ``every`` generator steps and once more at the end of training
    (unless the last step was just evaluated); ``every=0`` evaluates only at the end."""

    def __init__(self, every: int) -> None:
        self.every = every
        self._last_step: int | None = None

    @abstractmethod
    def evaluate_and_log(self, trainer: L.Trainer, pl_module: Any, step: int) -> None:
        """Evaluate ``pl_module`` and log the results at generator ``step``."""

    def _run(self, trainer: L.Trainer, pl_module: Any) -> None:
        step = pl_module.generator_step
        self.evaluate_and_log(trainer, pl_module, step)
        self._last_step = step

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        if self.every and pl_module.generator_step % self.every == 0:
            self._run(trainer, pl_module)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if pl_module.generator_step != self._last_step:
            self._run(trainer, pl_module)
