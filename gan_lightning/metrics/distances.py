"""Distances between sets of feature rows or class logits, each on the calling rank alone (no cross-rank sync):
the statistics the video, audio and sequence metrics compute from their measures, and ``intra_fid`` per class.

Each wraps torchmetrics (float64 statistics) or scipy, and seeds what it draws from its ``seed`` without moving the
global RNG, so every evaluation of the same sets gives the same value.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torchmetrics.image.fid import FrechetInceptionDistance  # not torchmetrics.image: needs torch-fidelity there
from torchmetrics.image.inception import InceptionScore
from torchmetrics.image.kid import KernelInceptionDistance


class Precomputed(nn.Module):
    """Hands already-extracted features to torchmetrics' metrics, which call their extractor on ``update``."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, features: Tensor) -> Tensor:
        return features


def wasserstein_1d(a: Tensor, b: Tensor) -> float:
    """The 1-D Wasserstein (earth mover's) distance between the empirical distributions of ``a`` and ``b`` (by scipy;
    the values of every element count, whatever the shapes)."""
    from scipy.stats import wasserstein_distance

    return float(wasserstein_distance(a.flatten().double().numpy(), b.flatten().double().numpy()))


def frechet_distance(real: Tensor, generated: Tensor) -> float:
    """The Fréchet distance between Gaussians fitted to two sets of feature rows ``(N, D)``, by torchmetrics' FID
    (float64 statistics), on the calling rank alone (no cross-rank sync); each set needs 2 or more rows."""
    fid = FrechetInceptionDistance(feature=Precomputed(real.shape[1]), sync_on_compute=False).to(real.device)
    fid.update(real, real=True)
    fid.update(generated.to(real.device), real=False)
    return float(fid.compute())


def inception_score(logits: Tensor, splits: int, seed: int) -> tuple[float, float]:
    """The Inception score (mean and standard deviation over ``splits`` splits) of class logits ``(N, K)``, by
    torchmetrics' ``InceptionScore`` on the calling rank alone; the splits are a permutation seeded by ``seed`` (the
    global RNG is left as it was).

    The logits go in as float64 log-probabilities floored at -100: a class no sample gives any probability to (a
    confident classifier far from its data, on noise) would otherwise make torchmetrics' ``0 * log 0`` a NaN; the
    floor moves no probability by more than ``e**-100``."""
    score = InceptionScore(feature=Precomputed(logits.shape[1]), splits=splits, sync_on_compute=False)
    score = score.to(logits.device)
    score.update(logits.double().log_softmax(dim=1).clamp_min(-100.0))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        mean, std = score.compute()
    return float(mean), float(std)


def kernel_distance(real: Tensor, generated: Tensor, subsets: int, subset_size: int, seed: int) -> tuple[float, float]:
    """KID (mean and standard deviation over ``subsets`` random subsets of ``subset_size`` rows, capped at the
    smaller set) between two sets of feature rows, by torchmetrics on the calling rank alone; the subsets are seeded
    by ``seed`` (the global RNG is left as it was)."""
    size = min(subset_size, len(real), len(generated))
    kid = KernelInceptionDistance(
        feature=Precomputed(real.shape[1]), subsets=subsets, subset_size=size, sync_on_compute=False
    ).to(real.device)
    kid.update(real, real=True)
    kid.update(generated.to(real.device), real=False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        mean, std = kid.compute()
    return float(mean), float(std)
