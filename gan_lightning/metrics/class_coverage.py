"""Mode counting with a classifier: which classes the generator covers, and how evenly.

For data with known classes (MNIST's digits, Fashion-MNIST's garments) a classifier's predicted
labels turn "did the GAN drop modes?" into counting: a mode-collapsed generator leaves classes
empty and skews the histogram, which shows as a large KL divergence from uniform.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torchmetrics import Metric

COVERED_SHARE = 0.1
"""A class counts as covered when it gets at least this fraction of its uniform share of samples,
so a handful of misclassified samples cannot make a dropped class look present."""


class ClassCoverage(Metric):
    """``update(logits)`` with generated samples' class logits; ``compute()`` → ``(classes covered, KL to uniform)``.

    The KL is ``KL(q || uniform)`` of the predicted-class histogram ``q``, in nats: 0 when all classes
    are equally frequent, ``log K`` when every sample falls in one class. A class is covered when it gets at least
    ``covered_share`` of its uniform share of the samples (:data:`COVERED_SHARE` unless a caller sets its own bar).
    """

    full_state_update = False

    def __init__(self, num_classes: int, covered_share: float = COVERED_SHARE, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.num_classes = num_classes
        self.covered_share = covered_share
        self.add_state("counts", torch.zeros(num_classes, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, logits: Tensor) -> None:
        self.counts += torch.bincount(logits.argmax(dim=1), minlength=self.num_classes)[: self.num_classes]

    def compute(self) -> tuple[Tensor, Tensor]:
        total = self.counts.sum()
        share = self.counts.double() / total
        # a share exactly at the bar counts (the relative 1e-9 absorbs rounding: 0.3 * 100 / 10 > 3.0 in floats)
        covered = (share >= self.covered_share / self.num_classes * (1 - 1e-9)).sum()
        nonzero = share > 0
        kl = (share[nonzero] * torch.log(share[nonzero] * self.num_classes)).sum()
        return covered, kl
