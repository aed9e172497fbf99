"""Points: low-dimensional vectors such as the 2-D Gaussian mixtures of the mode-collapse benchmarks (``toy_*``).

The networks see points divided by ``data.scale``; :meth:`PointsKind.to_data_space` multiplies them back. A point
set drawn from a known mixture (``mixture``: ``ring`` or ``grid``) has mode centres, so its pictures mark them and
its runs log the VEEGAN/PacGAN mode metrics (``toy/modes``, ``toy/high_quality``, ``toy/reverse_kl``) every
``train.sample_every`` steps; ``evaluate.py`` reproduces those values from a checkpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightning as L
import torch
from torch import Tensor

from gan_lightning.callbacks.toy_metrics import ToyModeMetrics
from gan_lightning.data.toy2d import TOY_STD, mode_centres
from gan_lightning.generating import Generating
from gan_lightning.kinds import DataKind, DataKindError, ModeCounter, register_kind, value_range
from gan_lightning.metrics.toy_modes import high_quality_counts, toy_mode_metrics
from gan_lightning.visualization import save_scatter

if TYPE_CHECKING:
    from gan_lightning.config.schema import ExperimentConfig
    from gan_lightning.data.base import GANDataModule
    from gan_lightning.metrics.suite import EvaluationOptions

PICTURE_POINTS = 2500
"""Samples in each scatter plot (drawn from ``seed``) and in each mode-metrics evaluation (from ``seed + 1``)."""


@register_kind("points")
class PointsKind(DataKind):
    """Points of ``data_shape`` ``(D,)``, shown to the networks divided by ``scale``; ``mixture`` names the
    Gaussian mixture they come from (None: no known modes)."""

    name = "points"
    description = "2-D point data"

    def __init__(
        self, data_shape: Sequence[int], value_range: Sequence[float], scale: float = 1.0, mixture: str | None = None
    ) -> None:
        super().__init__(data_shape, value_range)
        self.scale = float(scale)
        self.mixture = mixture

    def state(self) -> dict[str, Any]:
        return {**super().state(), "scale": self.scale, "mixture": self.mixture}

    @classmethod
    def from_datamodule(cls, datamodule: GANDataModule, config: ExperimentConfig) -> PointsKind:
        return cls(datamodule.data_shape, value_range(config), config.data.scale, datamodule.mixture)  # type: ignore[attr-defined]

    def to_data_space(self, samples: Tensor) -> Tensor:
        return samples.float() * self.scale

    def centres(self) -> Tensor | None:
        """The mixture's mode centres ``(K, 2)``, None without a known mixture."""

        return None if self.mixture is None else mode_centres(self.mixture)

    def mode_metrics(self, samples: Tensor) -> dict[str, float]:
        """VEEGAN/PacGAN's ``modes``, ``high_quality`` (a fraction) and ``reverse_kl`` of samples in data space."""

        centres = self.centres()
        if centres is None:
            raise DataKindError("mode metrics need points from a known mixture (data.name=toy_ring or toy_grid)")
        return toy_mode_metrics(samples, centres, TOY_STD[self.mixture])  # type: ignore[index]

    def draw(self, samples: Tensor, path: str | Path, title: str = "", columns: int | None = None) -> None:

        save_scatter(samples, path, self.centres(), title)

    def save_picture(
        self, module: Generating, path: Path, title: str, pairs: tuple[Tensor, Tensor] | None = None
    ) -> None:
        """A scatter plot of :data:`PICTURE_POINTS` samples from a generator seeded with the run's seed."""
        samples = module.sample(PICTURE_POINTS, generator=torch.Generator().manual_seed(module.cfg.seed))
        self.draw(module.to_data_space(samples), path, title)

    @classmethod
    def callbacks(cls, config: ExperimentConfig, datamodule: GANDataModule) -> list[L.Callback]:

        return [ToyModeMetrics(config.train.sample_every, PICTURE_POINTS)]

    @classmethod
    def check_config(cls, config: ExperimentConfig, datamodule: GANDataModule) -> str | None:
        if config.metrics.names:
            return (
                f"metrics.names is for image and sequence data; {config.data.name} logs its own toy/ mode metrics "
                "(set metrics.names=[])"
            )
        return None

    @classmethod
    def evaluate(
        cls, module: Generating, config: ExperimentConfig, datamodule: GANDataModule, options: EvaluationOptions
    ) -> tuple[dict[str, float], dict[str, object]]:
        """The mode metrics of the samples the training callback scores (seed + 1), so the values match its log."""

        centres = module.kind.centres()  # type: ignore[attr-defined]
        if centres is None:
            return super().evaluate(module, config, datamodule, options)
        scores = ToyModeMetrics(0, PICTURE_POINTS).evaluate(module, use_ema=not options.no_ema)
        values = {name.removeprefix("toy/"): value for name, value in scores.items()}
        return values, {"num_real": len(centres), "num_generated": PICTURE_POINTS, "scored_by": "toy mode metrics"}

    def mode_counter(self, config: ExperimentConfig) -> ModeCounter | None:
        """High-quality samples per mixture component (within 3 std, as ``toy/modes``)."""

        centres = self.centres()
        if centres is None:
            return None
        std = TOY_STD[self.mixture]  # type: ignore[index]
        return ModeCounter(
            [f"({round(x, 2) + 0:g}, {round(y, 2) + 0:g})" for x, y in centres.tolist()],  # + 0 turns -0 into 0
            lambda points: high_quality_counts(points, centres, std)[0],
            f"high-quality samples (within 3 std of a {self.mixture} mode)",
        )
