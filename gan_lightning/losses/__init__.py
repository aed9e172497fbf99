"""Adversarial losses and gradient penalties, all on discriminator logits."""

from __future__ import annotations

from gan_lightning.losses.adversarial import (
    AdversarialLoss,
    HingeLoss,
    LeastSquaresLoss,
    MinimaxLoss,
    NonSaturatingLoss,
    WassersteinLoss,
)
from gan_lightning.losses.gradient_penalty import gradient_penalty
from gan_lightning.losses.r1 import r1_penalty

LOSSES: dict[str, type[AdversarialLoss]] = {
    "minimax": MinimaxLoss,
    "non_saturating": NonSaturatingLoss,
    "hinge": HingeLoss,
    "wasserstein": WassersteinLoss,
    "least_squares": LeastSquaresLoss,
}


def build_loss(name: str) -> AdversarialLoss:
    """Instantiate the loss registered under ``name`` (a config string)."""
    if name not in LOSSES:
        raise ValueError(f"unknown adversarial loss {name!r}; allowed: {', '.join(LOSSES)}")
    return LOSSES[name]()


__all__ = [
    "LOSSES",
    "AdversarialLoss",
    "HingeLoss",
    "LeastSquaresLoss",
    "MinimaxLoss",
    "NonSaturatingLoss",
    "WassersteinLoss",
    "build_loss",
    "gradient_penalty",
    "r1_penalty",
]
