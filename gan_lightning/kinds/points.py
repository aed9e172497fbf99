"""Points: low-dimensional vectors such as the 2-D Gaussian mixtures of the mode-collapse benchmarks (``toy_*``).

The networks see points divided by ``data.scale``; :meth:`PointsKind.to_data_space` multiplies them back. A point
set drawn from a known mixture (``mixture``: ``ring`` or ``grid``) has mode centres, so its pictures mark them and
its runs log the VEEGAN/PacGAN mode metrics (``toy/modes``, ``toy/high_quality``, ``toy/reverse_kl``: the registered
metrics of :mod:`gan_lightning.metrics.toy_modes`) every ``train.sample_every`` steps; ``evaluate.py`` reproduces those
values from a checkpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightning as L
import torch
from torch import Tensor

from gan_lightning.callbacks.evaluation import Evaluation
from gan_lightning.data.toy2d import TOY_STD, mode_centres
from gan_lightning.generating import Generating
from gan_lightning.kinds import DataKind, ModeCounter, register_kind, value_range
from gan_lightning.metrics.toy_modes import MODE_METRICS, ToyModeSuite, high_quality_counts, mode_samples
from gan_lightning.visualization import save_scatter

if TYPE_CHECKING:
    from gan_lightning.config.schema import ExperimentConfig
    from gan_lightning.data.base import GANDataModule

PICTURE_POINTS = 2500
"""Samples in each scatter plot (drawn from ``seed``)."""


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
        """Unless ``metrics.names`` lists metrics (scored on ``metrics.every``'s schedule, as any kind's are), the mode
        metrics every ``train.sample_every`` steps, beside the scatter plots and not again at the end of training."""
        if config.metrics.names:
            return []
        suite = ToyModeSuite(MODE_METRICS, datamodule.mixture)  # type: ignore[attr-defined]
        return [Evaluation([suite], mode_samples, config.train.sample_every, [suite.log_prefix(config)], final=False)]

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
