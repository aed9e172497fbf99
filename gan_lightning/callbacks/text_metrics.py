"""The text metrics (``metrics.names``: ``nll_oracle``, ``nll_test``, ``unique``, ``bleu``, ``self_bleu``,
``valid_words``, ``novel_words`` and any registered) of a tokens run every N generator steps and at the end, and the
quality-diversity curve (``metrics.temperatures``) at the end."""

from __future__ import annotations

from pathlib import Path

import lightning as L

from gan_lightning.callbacks.metric_logging import RankZeroEvaluation
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data.text import TokenDataModule
from gan_lightning.image_logging import log_image_file
from gan_lightning.metrics.text_quality import (
    plot_quality_diversity,
    quality_diversity_axes,
    score_text,
    temperature_sweep,
)

QUALITY_DIVERSITY_KEY = "quality_diversity"


class TextQualityMetrics(RankZeroEvaluation):
    """Logs ``val/<value>`` of each text metric of ``metrics.num_generated`` EMA samples at temperature 1; at the
    end of training, with ``metrics.temperatures``, sweeps them and sends ``quality_diversity.png`` (in
    ``out_dir``) to every logger.

    The same seeded latents, hence the same Gumbel noise, every evaluation: successive values differ only because
    the generator changed.
    """

    def __init__(self, config: ExperimentConfig, datamodule: TokenDataModule, out_dir: Path) -> None:
        super().__init__(config.metrics.every)
        self.config, self.datamodule, self.out_dir = config, datamodule, out_dir
        self._sweep_at_end = False

    def evaluate_on_rank_zero(self, trainer: L.Trainer, pl_module: L.LightningModule, step: int) -> dict[str, float]:
        cfg = self.config.metrics
        values = score_text(pl_module, self.datamodule, cfg.names, cfg, self.config.seed)
        if self._sweep_at_end:
            self.sweep(trainer, pl_module, step)
        return {f"val/{name}": value for name, value in values.items()}

    def sweep(self, trainer: L.Trainer, pl_module: L.LightningModule, step: int) -> None:
        """The quality-diversity picture of ``metrics.temperatures`` on the dataset's axes, sent to every logger."""
        cfg = self.config.metrics
        if not cfg.temperatures:
            return
        axes = quality_diversity_axes(self.datamodule)
        rows = temperature_sweep(pl_module, self.datamodule, cfg.temperatures, cfg, self.config.seed)
        path = self.out_dir / f"{QUALITY_DIVERSITY_KEY}.png"
        reference = axes.reference(self.datamodule, cfg)
        plot_quality_diversity({"generator": rows}, path, axes, reference, f"generator step {step}")
        log_image_file(trainer.loggers, QUALITY_DIVERSITY_KEY, path, step)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if pl_module.generator_step != self._last_step:
            self._sweep_at_end = True
            try:
                self._run(trainer, pl_module)
            finally:
                self._sweep_at_end = False
        elif trainer.is_global_zero:  # the last step's values are logged already: only the sweep is left
            self.sweep(trainer, pl_module, pl_module.generator_step)


def text_quality_callbacks(config: ExperimentConfig, datamodule: TokenDataModule, run_dir: Path) -> list[L.Callback]:
    """The text metrics callback for ``config.metrics`` when it lists any; its picture goes to ``run_dir/samples``."""
    if not config.metrics.names:
        return []
    return [TextQualityMetrics(config, datamodule, run_dir / "samples")]
