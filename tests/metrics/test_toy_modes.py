"""Mode metrics on hand-built sample sets."""

from __future__ import annotations

import math

import torch

from gan_lightning.data.toy2d import mode_centres
from gan_lightning.metrics import toy_mode_metrics


def test_perfect_uniform_samples() -> None:
    centres = mode_centres("ring")
    samples = centres.repeat(10, 1)
    metrics = toy_mode_metrics(samples, centres, std=0.01)
    assert metrics == {"modes": 8.0, "high_quality": 1.0, "reverse_kl": 0.0}


def test_collapsed_and_off_mode_samples() -> None:
    centres = mode_centres("ring")
    good = centres[:2].repeat_interleave(torch.tensor([30, 10]), dim=0)
    far = torch.zeros(10, 2)  # the circle's centre is 1.0 away from every mode
    metrics = toy_mode_metrics(torch.cat([good, far]), centres, std=0.01)
    assert metrics["modes"] == 2.0
    assert metrics["high_quality"] == 0.8
    assert math.isclose(metrics["reverse_kl"], 0.75 * math.log(0.75 * 8) + 0.25 * math.log(0.25 * 8), rel_tol=1e-12)


def test_three_std_boundary() -> None:
    centres = mode_centres("grid")
    inside = centres[:1] + torch.tensor([[0.149, 0.0]])
    outside = centres[:1] + torch.tensor([[0.151, 0.0]])
    assert toy_mode_metrics(inside, centres, 0.05)["high_quality"] == 1.0
    assert toy_mode_metrics(outside, centres, 0.05)["high_quality"] == 0.0
