"""Level coverage: does the generator place its sequences at every level the real ones sit at?

A series with a trend (Mauna Loa's CO2 rises from 315 to 370 ppm over the record) has windows at many levels; a
generator can match each window's shape yet put them all near one level, which TimeGAN's scores barely see. Two
values, on each sequence's per-feature mean (in the [0, 1] score scale, the training set's min-max):

* ``level_w1``: the 1-D Wasserstein distance between the real and the generated window means, averaged over
  features (0: the same distribution of levels);
* ``level_range_covered``: the share of the real means' range, cut into :data:`LEVEL_BINS` equal bins, in which at
  least one generated mean falls, averaged over features (1: every level is reached).
"""

from __future__ import annotations

import torch
from torch import Tensor

from gan_lightning.config.schema import TimeGANScoreConfig
from gan_lightning.metrics.distances import wasserstein_1d
from gan_lightning.metrics.sequence_quality import sequence_metric
from gan_lightning.metrics.suite import register_metric

LEVEL_BINS = 20
"""Equal bins over the real window means' range; a bin counts as covered when a generated mean falls in it."""


def range_covered(real: Tensor, generated: Tensor, bins: int = LEVEL_BINS) -> float:
    """The share of ``bins`` equal bins over ``[real.min(), real.max()]`` holding at least one of ``generated``."""
    low, high = float(real.min()), float(real.max())
    if high == low:
        return float(((generated - low).abs() < 1e-12).any())
    inside = generated[(generated >= low) & (generated <= high)]
    index = ((inside - low) / (high - low) * bins).long().clamp_(max=bins - 1)
    return len(torch.unique(index)) / bins


def level_coverage(real: Tensor, generated: Tensor, cfg: TimeGANScoreConfig, seed: int) -> tuple[float, float]:
    """``(level_w1, level_range_covered)`` of ``(N, T, C)`` sequences in [0, 1]."""
    real_means, generated_means = real.mean(dim=1), generated.mean(dim=1)
    features = range(real.shape[2])
    distance = sum(wasserstein_1d(real_means[:, c], generated_means[:, c]) for c in features) / len(features)
    covered = sum(range_covered(real_means[:, c], generated_means[:, c]) for c in features) / len(features)
    return distance, covered


register_metric("level_coverage")(
    sequence_metric(level_coverage, values=("level_w1", "level_range_covered"), best=("level_w1", "min"))
)
