"""Evaluation results logged at the generator step they describe, by every metric callback the same way, and the
``best.ckpt`` that follows the first of ``metrics.names``."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint

from gan_lightning.config import ConfigError
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.metrics.audio_quality import AUDIO_METRICS
from gan_lightning.metrics.class_scores import CLASS_SCORES
from gan_lightning.metrics.extractors import metric_prefix
from gan_lightning.metrics.sample_quality import INTRA_CLASS_FID, METRICS
from gan_lightning.metrics.sequence_quality import SEQUENCE_METRICS
from gan_lightning.metrics.text_quality import TEXT_METRICS
from gan_lightning.metrics.translation import TRANSLATION_SCORES
from gan_lightning.metrics.video_quality import VIDEO_METRICS


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


class RankZeroEvaluation(PeriodicEvaluation):
    """A :class:`PeriodicEvaluation` computed on rank 0 alone and broadcast, for scores that cannot be split across
    ranks (post-hoc models or classifiers trained from scratch): every rank logs the same values, so a
    best-checkpoint callback on each sees the same numbers."""

    @abstractmethod
    def evaluate_on_rank_zero(self, trainer: L.Trainer, pl_module: Any, step: int) -> dict[str, float]:
        """The values to log at generator ``step`` (called on rank 0 only; other ranks wait for the broadcast)."""

    def evaluate_and_log(self, trainer: L.Trainer, pl_module: Any, step: int) -> None:
        values: dict[str, float] | None = None
        if trainer.is_global_zero:  # the EMA generator is not DDP-wrapped: sampling on one rank needs no peers
            values = self.evaluate_on_rank_zero(trainer, pl_module, step)
        log_evaluation(trainer, trainer.strategy.broadcast(values, src=0), step)


def best_monitor(names: Sequence[str], extractor: str) -> tuple[str, str]:
    """``(logged key, min or max)`` that ``best.ckpt`` follows for ``metrics.names`` ``names``: the ``best`` of its
    first entry's registry entry, logged as ``val/<value>``, or ``val/[<extractor>_]<value>`` for a feature metric.

    Every registry's entries say which value is better which way, so this is decided here once for every kind of
    data and conditioning.
    """
    first = names[0]
    if first in METRICS:
        value, mode = METRICS[first].best
        return metric_prefix(extractor) + value, mode
    if first == INTRA_CLASS_FID:
        return metric_prefix(extractor) + first, "min"
    if first in TRANSLATION_SCORES:
        return f"val/{first}", TRANSLATION_SCORES[first].best
    for registry in (SEQUENCE_METRICS, VIDEO_METRICS, TEXT_METRICS, AUDIO_METRICS, CLASS_SCORES):
        if first in registry:
            best = registry[first].best
            if best is None:
                raise ConfigError(
                    f"metrics.keep_best follows the first of metrics.names, and {first!r} is better neither way: list "
                    "another metric first or set metrics.keep_best=false"
                )
            value, mode = best
            return f"val/{value}", mode
    raise ConfigError(
        f"metrics.keep_best follows the first of metrics.names, and {first!r} is in no metric registry: list a "
        "registered metric first or set metrics.keep_best=false"
    )


def best_checkpoint(config: ExperimentConfig, checkpoint_dir: str | os.PathLike[str]) -> ModelCheckpoint | None:
    """With ``metrics.keep_best`` and periodic metrics, ``best.ckpt``: the checkpoint at the best logged value of the
    first of ``metrics.names`` so far (:func:`best_monitor`), checked at every evaluation; else None."""
    cfg = config.metrics
    if not (cfg.keep_best and cfg.every and cfg.names):
        return None
    monitor, mode = best_monitor(cfg.names, cfg.extractor)
    return ModelCheckpoint(
        dirpath=checkpoint_dir,
        filename="best",
        monitor=monitor,
        mode=mode,
        save_top_k=1,
        every_n_train_steps=cfg.every * (config.train.n_critic + 1),
        save_on_train_epoch_end=False,
        auto_insert_metric_name=False,
        enable_version_counter=False,
    )
