"""Learning-rate schedules, stepped once per generator step by the GAN module."""

from __future__ import annotations

import math
from collections.abc import Callable

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR


def lr_factor(kind: str, max_steps: int) -> Callable[[int], float]:
    """Multiplier of the base learning rate at a given generator step."""
    if kind == "constant":
        return lambda step: 1.0
    if kind == "linear":
        return lambda step: max(0.0, 1.0 - step / max_steps)
    if kind == "cosine":
        return lambda step: 0.5 * (1.0 + math.cos(math.pi * min(step, max_steps) / max_steps))
    raise ValueError(f"unknown scheduler {kind!r}; allowed: constant, linear, cosine")


def build_scheduler(optimizer: Optimizer, kind: str, max_steps: int) -> LambdaLR:
    return LambdaLR(optimizer, lr_factor(kind, max_steps))
