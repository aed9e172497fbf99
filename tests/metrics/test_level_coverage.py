"""Level coverage of sequences: hand-computed distances and coverage, and the collapse it exists to catch."""

from __future__ import annotations

import pytest
import torch

from gan_lightning.config.schema import TimeGANScoreConfig
from gan_lightning.metrics.distances import wasserstein_1d
from gan_lightning.metrics.level_coverage import level_coverage, range_covered
from gan_lightning.metrics.sequence_quality import sequence_scores


def test_wasserstein_matches_hand_values() -> None:
    # {0, 1} against {0.5, 0.5}: every unit of mass moves 0.5
    assert wasserstein_1d(torch.tensor([0.0, 1.0]), torch.tensor([0.5, 0.5])) == pytest.approx(0.5)
    # a shift moves everything by the shift
    a = torch.rand(200, generator=torch.Generator().manual_seed(0))
    assert wasserstein_1d(a, a + 0.25) == pytest.approx(0.25)
    # unequal sizes: {0} against {0, 1, 2}: a third of the mass moves 1, a third 2
    assert wasserstein_1d(torch.tensor([0.0]), torch.tensor([0.0, 1.0, 2.0])) == pytest.approx(1.0)


def test_range_covered_counts_the_bins_generated_means_reach() -> None:
    real = torch.linspace(0, 1, 101)  # bins of width 0.05 over [0, 1]
    assert range_covered(real, torch.tensor([0.01, 0.02, 0.51, 0.99, 1.0]), bins=20) == pytest.approx(3 / 20)
    assert range_covered(real, torch.tensor([-0.5, 1.5]), bins=20) == 0  # outside the real range
    assert range_covered(real, real) == 1


def test_a_generator_stuck_at_one_level_is_caught_where_a_matching_one_is_not() -> None:
    """Windows at levels spread over [0.1, 0.9] (a trend): generated windows at every level score near 0 and
    cover the range; the same shapes all at the middle level cover one bin."""
    generator = torch.Generator().manual_seed(0)
    season = 0.05 * torch.sin(torch.linspace(0, 6.28, 24))[None, :, None]

    def windows(levels: torch.Tensor) -> torch.Tensor:
        return levels[:, None, None] + season

    real = windows(0.1 + 0.8 * torch.rand(2000, generator=generator))
    spread = windows(0.1 + 0.8 * torch.rand(2000, generator=generator))
    stuck = windows(torch.full((2000,), 0.5))
    cfg = TimeGANScoreConfig()
    good, bad = level_coverage(real, spread, cfg, 0), level_coverage(real, stuck, cfg, 0)
    assert good[0] < 0.02 and good[1] == 1
    assert bad[0] == pytest.approx(0.2, abs=0.01)  # E|U(0.1, 0.9) - 0.5| = 0.2
    assert bad[1] == 1 / 20
    scores = sequence_scores(real, stuck, ["level_coverage"], cfg)
    assert scores == {"level_w1": pytest.approx(bad[0]), "level_range_covered": bad[1]}
