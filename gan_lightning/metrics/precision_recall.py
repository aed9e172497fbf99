"""Improved precision and recall (Kynkäänniemi et al. 2019): k-NN manifolds in feature space.

Precision is the share of generated samples that fall inside the real manifold (the union of balls
around each real feature, of radius its distance to its k-th nearest real neighbour); recall is the
share of real samples inside the generated manifold. Unlike FID they separate fidelity (precision)
from coverage (recall), so a mode-collapsed generator shows high precision and low recall.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat


def knn_radii(features: Tensor, k: int, chunk: int = 1024) -> Tensor:
    """Distance from each row to its k-th nearest other row (the row itself excluded)."""
    radii = []
    for start in range(0, len(features), chunk):
        distances = torch.cdist(features[start : start + chunk], features)
        # The smallest distance is the row to itself (0), so the k-th neighbour is at index k.
        radii.append(distances.kthvalue(k + 1, dim=1).values)
    return torch.cat(radii)


def manifold_coverage(manifold: Tensor, radii: Tensor, queries: Tensor, chunk: int = 1024) -> Tensor:
    """Share of ``queries`` within ``radii[i]`` of some ``manifold[i]``."""
    inside = 0
    for start in range(0, len(queries), chunk):
        distances = torch.cdist(queries[start : start + chunk], manifold)
        inside += int((distances <= radii.unsqueeze(0)).any(dim=1).sum())
    return torch.tensor(inside / len(queries))


class ImprovedPrecisionRecall(Metric):
    """``update(features, real)`` like torchmetrics' FID; ``compute()`` returns ``(precision, recall)``.

    Features are concatenated across processes on compute, so every rank gets the global value.
    """

    full_state_update = False

    def __init__(self, k: int = 3, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        if k < 1:
            raise ValueError(f"precision/recall needs k >= 1, got {k}")
        self.k = k
        self.add_state("real_features", [], dist_reduce_fx="cat")
        self.add_state("fake_features", [], dist_reduce_fx="cat")

    def update(self, features: Tensor, real: bool) -> None:
        (self.real_features if real else self.fake_features).append(features.float())

    def compute(self) -> tuple[Tensor, Tensor]:
        real = dim_zero_cat(self.real_features).double()
        fake = dim_zero_cat(self.fake_features).double()
        if min(len(real), len(fake)) <= self.k:
            raise ValueError(f"precision/recall with k={self.k} needs more than {self.k} real and generated samples")
        precision = manifold_coverage(real, knn_radii(real, self.k), fake)
        recall = manifold_coverage(fake, knn_radii(fake, self.k), real)
        return precision, recall
