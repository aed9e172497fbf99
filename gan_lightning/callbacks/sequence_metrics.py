"""The sequence scores (``metrics.names``: TimeGAN's and any registered) and comparison pictures of a sequence run
every N generator steps and at the end."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import lightning as L

from gan_lightning.callbacks.metric_logging import RankZeroEvaluation
from gan_lightning.callbacks.sample_quality import generated_images, real_subset
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data.sequences import SequenceDataModule
from gan_lightning.image_logging import log_image_file
from gan_lightning.metrics.sequence_quality import SequenceQuality


def build_sequence_quality(
    config: ExperimentConfig, datamodule: SequenceDataModule, names: Sequence[str] | None = None
) -> SequenceQuality:
    """The evaluator of ``names`` (default ``metrics.names``) against ``metrics.num_real`` real sequences
    (a seeded subset when the set is larger)."""
    real = real_subset(datamodule.evaluation_sequences(), config.metrics.num_real)
    cfg = config.metrics
    return SequenceQuality(
        cfg.names if names is None else names, real, datamodule.to_score_space, cfg.timegan, config.seed
    )


class SequenceQualityMetrics(RankZeroEvaluation):
    """Logs ``val/<value>`` of each sequence metric in ``metrics.names`` (``val/discriminative``,
    ``val/predictive`` and their ``_std``) of ``num_generated`` EMA samples.

    The same seeded latents every evaluation, so successive values differ only because the generator
    changed. The post-hoc models train on rank 0 only and the values are broadcast, so every rank (and
    a best-checkpoint callback on each) sees the same numbers. The pictures (``real_vs_generated``,
    ``pca``, ``tsne``) are rewritten in ``out_dir`` at each evaluation and sent to every logger.
    """

    def __init__(self, evaluator: SequenceQuality, every: int, num_generated: int, seed: int, out_dir: Path) -> None:
        super().__init__(every)
        self.evaluator = evaluator
        self.num_generated = num_generated
        self.seed = seed
        self.out_dir = out_dir

    def evaluate_on_rank_zero(self, trainer: L.Trainer, pl_module: L.LightningModule, step: int) -> dict[str, float]:
        generated = generated_images(pl_module, self.num_generated, self.seed)(range(self.num_generated))
        values = {f"val/{name}": value for name, value in self.evaluator.evaluate(generated).items()}
        paths = self.evaluator.save_pictures(generated, self.out_dir, f"generator step {step}")
        for name, path in paths.items():
            log_image_file(trainer.loggers, name, path, step)
        return values


def sequence_quality_callbacks(
    config: ExperimentConfig, datamodule: SequenceDataModule, run_dir: Path
) -> list[L.Callback]:
    """The scores callback for ``config.metrics`` when it lists any; its pictures go to ``run_dir/samples``."""
    cfg = config.metrics
    if not cfg.names:
        return []
    evaluator = build_sequence_quality(config, datamodule)
    return [SequenceQualityMetrics(evaluator, cfg.every, cfg.num_generated, config.seed, run_dir / "samples")]
