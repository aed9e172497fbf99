"""Evaluation results logged at the generator step they describe, by every metric callback the same way."""

from __future__ import annotations

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
