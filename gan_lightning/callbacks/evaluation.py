"""The one evaluation callback: every metric of ``metrics.names`` every ``metrics.every`` generator steps and at the
end of training, logged at the generator step it describes, and the ``best.ckpt`` that follows the first of them."""

from __future__ import annotations

import os
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.utilities import rank_zero_only

from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.image_logging import log_image_file
from gan_lightning.metrics.suite import SampleSource, Suite, best_monitor


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


class Evaluation(L.Callback):
    """Scores the run's suites on the samples of ``source`` every ``every`` generator steps (0: only at the end)
    and, when ``final``, once more at the end of training (unless the last step was just evaluated), then makes the
    suites' end-of-training pictures. A schedule tied to another one (a toy run's mode metrics beside its scatter
    plots, every ``train.sample_every`` steps) sets ``final`` off, so no value falls between its steps.

    A distributed suite runs on every rank; the others run on rank 0 and their values are broadcast, so every rank
    (and a best-checkpoint callback on each) logs the same numbers. The evaluation samples come from fixed seeds, so
    successive values differ only because the generator changed.
    """

    def __init__(
        self, suites: list[Suite], source: SampleSource, every: int, prefixes: list[str], final: bool = True
    ) -> None:
        self.suites = suites
        self.source = source
        self.every = every
        self.prefixes = prefixes
        self.final = final
        self._last_step: int | None = None

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        for suite in self.suites:
            suite.setup(pl_module.device)

    def evaluate(self, trainer: L.Trainer, pl_module: Any, step: int) -> None:
        """Every suite's values at generator ``step``, logged in one go, and their pictures sent to every logger."""
        samples = self.source(pl_module, True)
        values: dict[str, float] = {}
        for suite, prefix in zip(self.suites, self.prefixes, strict=True):
            computed = None
            if suite.distributed or trainer.is_global_zero:  # the EMA generator is not DDP-wrapped: one rank can sample
                scores = suite.evaluate(pl_module, samples, step)
                for name, path in scores.pictures.items():
                    log_image_file(trainer.loggers, name, path, step)
                computed = scores.values
            if not suite.distributed:
                computed = trainer.strategy.broadcast(computed, src=0)
            values.update({f"{prefix}{name}": value for name, value in computed.items()})  # type: ignore[union-attr]
        log_evaluation(trainer, values, step)
        self._last_step = step

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        step = pl_module.generator_step  # type: ignore[attr-defined]
        if self.every and step % self.every == 0:
            self.evaluate(trainer, pl_module, step)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        step = pl_module.generator_step  # type: ignore[attr-defined]
        if self.final and step != self._last_step:
            self.evaluate(trainer, pl_module, step)
        for suite in self.suites:
            if suite.distributed or trainer.is_global_zero:
                for name, path in suite.at_end(trainer, pl_module, step).items():
                    log_image_file(trainer.loggers, name, path, step)


def best_checkpoint(config: ExperimentConfig, checkpoint_dir: str | os.PathLike[str]) -> ModelCheckpoint | None:
    """With ``metrics.keep_best`` and periodic metrics, ``best.ckpt``: the checkpoint at the best logged value of the
    first of ``metrics.names`` so far (:func:`~gan_lightning.metrics.suite.best_monitor`), checked at every
    evaluation; else None."""
    cfg = config.metrics
    if not (cfg.keep_best and cfg.every and cfg.names):
        return None
    monitor, mode = best_monitor(cfg.names, config)
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


def evaluation_callbacks(
    config: ExperimentConfig, suites: list[Suite], source: SampleSource, checkpoint_dir: str | os.PathLike[str]
) -> list[L.Callback]:
    """The evaluation of ``suites`` (none without metrics) and :func:`best_checkpoint`. The suites check themselves
    first, on the ranks that evaluate (a missing classifier, or an evaluator to train, surfaces before training)."""
    if not suites:
        return []
    cfg = config.metrics
    for suite in suites:
        if suite.distributed or rank_zero_only.rank == 0:
            suite.check(cfg.num_generated, torch.device("cpu"))
    prefixes = [type(suite).log_prefix(config) for suite in suites]
    best = best_checkpoint(config, checkpoint_dir)
    return [Evaluation(suites, source, cfg.every, prefixes), *([] if best is None else [best])]
