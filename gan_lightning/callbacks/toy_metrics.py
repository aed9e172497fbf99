"""Log the VEEGAN/PacGAN mode metrics of a 2D run every N generator steps."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch

from gan_lightning.callbacks.evaluation import log_evaluation


class ToyModeMetrics(L.Callback):
    """Logs ``toy/modes``, ``toy/high_quality`` (%) and ``toy/reverse_kl`` on ``num_samples`` EMA samples.

    The samples come from a generator seeded once per evaluation, so every evaluation uses the
    same latents and the training RNG is untouched. The run's points kind scores them against its mixture
    (:meth:`PointsKind.mode_metrics`).
    """

    def __init__(self, every: int, num_samples: int = 2500) -> None:
        self.every = every
        self.num_samples = num_samples

    def evaluate(self, pl_module: L.LightningModule, use_ema: bool = True) -> dict[str, float]:
        noise_rng = torch.Generator().manual_seed(pl_module.cfg.seed + 1)
        samples = pl_module.to_data_space(pl_module.sample(self.num_samples, generator=noise_rng, use_ema=use_ema))
        metrics = pl_module.kind.mode_metrics(samples)
        return {
            "toy/modes": metrics["modes"],
            "toy/high_quality": 100 * metrics["high_quality"],
            "toy/reverse_kl": metrics["reverse_kl"],
        }

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        step = pl_module.generator_step
        if self.every and step % self.every == 0:
            log_evaluation(trainer, self.evaluate(pl_module), step)
