"""Mode-collapse metrics for 2D Gaussian mixtures (VEEGAN / PacGAN protocol).

A generated sample is *high quality* when it lies within 3 standard deviations of its nearest
mode centre; a mode is *captured* when at least one high-quality sample is assigned to it; the
*reverse KL* is KL(q || uniform) of the histogram of high-quality samples over modes.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


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
