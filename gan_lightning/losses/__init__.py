"""Adversarial losses and gradient penalties (WGAN-GP, R1 and R2), all on discriminator logits.

To add a loss: a new file in this folder holding an :class:`AdversarialLoss` subclass decorated with
``@register_loss("<name>")`` (with ``section=`` a ``LossConfig`` subclass when it has options of its own). Every
module here is imported at the end of this file, so ``loss.name=<name>`` then works (docs/FORKING.md).
"""

from __future__ import annotations

from gan_lightning.config.schema import LossConfig
from gan_lightning.losses.adversarial import (
    AdversarialLoss,
    HingeLoss,
    LeastSquaresLoss,
    MinimaxLoss,
    NonSaturatingLoss,
    PerLogitLoss,
    RelativisticStandardLoss,
    WassersteinLoss,
)
from gan_lightning.losses.gradient_penalty import gradient_penalty
from gan_lightning.losses.zero_centred import zero_centred_penalty
from gan_lightning.registry import import_package_modules, registrar

LOSSES: dict[str, type[AdversarialLoss]] = {
    "minimax": MinimaxLoss,
    "non_saturating": NonSaturatingLoss,
    "hinge": HingeLoss,
    "wasserstein": WassersteinLoss,
    "least_squares": LeastSquaresLoss,
    "rsgan": RelativisticStandardLoss,
    "rpgan": RelativisticStandardLoss,  # R3GAN's name for the same loss
}
LOSS_SECTIONS: dict[str, type[LossConfig]] = {}
"""``loss.name`` -> the ``LossConfig`` subclass declaring that loss's own options (none of the shipped losses has
any: ``loss``'s keys are the penalties every loss takes)."""
register_loss = registrar(LOSSES, "adversarial loss", LOSS_SECTIONS)


def build_loss(name: str) -> AdversarialLoss:
    """Instantiate the loss registered under ``name`` (a config string)."""
    if name not in LOSSES:
        raise ValueError(f"unknown adversarial loss {name!r}; allowed: {', '.join(LOSSES)}")
    return LOSSES[name]()


__all__ = [
    "LOSSES",
    "LOSS_SECTIONS",
    "AdversarialLoss",
    "HingeLoss",
    "LeastSquaresLoss",
    "MinimaxLoss",
    "NonSaturatingLoss",
    "PerLogitLoss",
    "RelativisticStandardLoss",
    "WassersteinLoss",
    "build_loss",
    "gradient_penalty",
    "register_loss",
    "zero_centred_penalty",
]

import_package_modules(__name__)
