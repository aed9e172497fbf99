"""Mode-collapse metrics for 2D Gaussian mixtures (VEEGAN / PacGAN protocol).

A generated sample is *high quality* when it lies within 3 standard deviations of its nearest
mode centre; a mode is *captured* when at least one high-quality sample is assigned to it; the
*reverse KL* is KL(q || uniform) of the histogram of high-quality samples over modes.

They are the registered metrics ``modes``, ``high_quality`` (in %) and ``reverse_kl`` of point data drawn from a
known mixture, computed by :class:`ToyModeSuite` and logged as ``toy/<name>``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from gan_lightning.data.toy2d import TOY_STD, mode_centres
from gan_lightning.metrics.suite import METRICS, GeneratedSet, Metric, MetricError, Scores, Suite, register_metric

if TYPE_CHECKING:
    from gan_lightning.config.schema import ExperimentConfig
    from gan_lightning.data.base import GANDataModule

SAMPLES = 2500
"""Points each evaluation scores (PacGAN's count)."""
MODE_METRICS = ("modes", "high_quality", "reverse_kl")
"""The metrics of this file, in the order a toy run logs them."""


def high_quality_counts(samples: Tensor, centres: Tensor, std: float) -> tuple[Tensor, Tensor]:
    """Per mode, the number of high-quality samples assigned to it; and which samples are high quality."""
    distances = torch.cdist(samples.detach().double().cpu(), centres.double().cpu())
    nearest_distance, nearest = distances.min(dim=1)
    good = nearest_distance <= 3.0 * std
    return torch.bincount(nearest[good], minlength=len(centres)).double(), good


def toy_mode_metrics(samples: Tensor, centres: Tensor, std: float) -> dict[str, float]:
    """``modes`` captured, ``high_quality`` fraction in [0, 1] and ``reverse_kl`` in nats."""
    counts, good = high_quality_counts(samples, centres, std)
    total = counts.sum()
    if total == 0:
        return {"modes": 0.0, "high_quality": 0.0, "reverse_kl": math.inf}
    q = counts / total
    nonzero = q > 0
    reverse_kl = float((q[nonzero] * torch.log(q[nonzero] * len(centres))).sum())
    return {
        "modes": float((counts > 0).sum()),
        "high_quality": float(good.double().mean()),
        "reverse_kl": reverse_kl,
    }


def mode_samples(module: Any, use_ema: bool = True) -> GeneratedSet:
    """The :data:`SAMPLES` points in data space that every evaluation of a toy run scores: from latents seeded by the
    run's seed + 1 (its scatter plots draw from the seed itself), so every evaluation, in training and in
    ``scripts/evaluate.py``, scores the same latents and the training RNG is untouched. Drawn whole at each call:
    the suite asks for all of them at once."""

    def generate(indices: range) -> Tensor:
        generator = torch.Generator().manual_seed(module.cfg.seed + 1)
        points = module.to_data_space(module.sample(SAMPLES, generator=generator, use_ema=use_ema))
        return points[indices.start : indices.stop]

    return GeneratedSet(generate, SAMPLES, use_ema=use_ema)


class ToyModeSuite(Suite):
    """The mode metrics against the centres of the run's mixture (``mixture``: ``ring`` or ``grid``).

    It scores :func:`mode_samples` of the generator the set it is given comes from (the EMA one or not, as the set
    says), whatever set the run's conditioning offers, so a run's log and ``scripts/evaluate.py`` agree on the same
    points; :meth:`score` scores other points (the toy benchmark's own draw). A metric's ``compute(measured)`` gets
    :func:`toy_mode_metrics` of the points and returns its value. Every rank draws the same points and computes the
    same values.
    """

    distributed = True

    def __init__(self, names: Sequence[str], mixture: str) -> None:
        super().__init__(names)
        self.centres = mode_centres(mixture)
        self.std = TOY_STD[mixture]

    @classmethod
    def build(
        cls, names: Sequence[str], config: ExperimentConfig, datamodule: GANDataModule, out_dir: Path
    ) -> ToyModeSuite:
        mixture = getattr(datamodule, "mixture", None)
        if mixture is None:
            raise MetricError(
                f"{', '.join(names)} need points from a known mixture; data.name={config.data.name} has none "
                "(use toy_ring or toy_grid)"
            )
        return cls(names, mixture)

    @classmethod
    def log_prefix(cls, config: ExperimentConfig) -> str:
        return "toy/"

    def score(self, points: Tensor) -> dict[str, float]:
        """The values of :attr:`names` of ``points`` in data space."""
        measured = toy_mode_metrics(points, self.centres, self.std)
        return {name: METRICS[name].compute(measured) for name in self.names}

    def evaluate(self, module: Any, samples: GeneratedSet, step: int) -> Scores:
        return Scores(self.score(mode_samples(module, samples.use_ema).all()))

    def details(self) -> dict[str, object]:
        return {"num_real": len(self.centres), "num_generated": SAMPLES, "scored_by": "toy mode metrics"}


register_metric("modes")(
    Metric(ToyModeSuite, lambda measured: measured["modes"], ("modes", "max"), ("modes",), kinds=("points",))
)
register_metric("high_quality")(
    Metric(
        ToyModeSuite,
        lambda measured: 100 * measured["high_quality"],
        ("high_quality", "max"),
        ("high_quality",),
        kinds=("points",),
    )
)
register_metric("reverse_kl")(
    Metric(
        ToyModeSuite, lambda measured: measured["reverse_kl"], ("reverse_kl", "min"), ("reverse_kl",), kinds=("points",)
    )
)
