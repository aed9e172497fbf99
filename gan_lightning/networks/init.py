"""Weight initialisation schemes, selected by name from the config."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn.utils import parametrize

_WEIGHT_INITS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    # Radford et al. 2016; the scheme most GAN recipes were tuned with.
    "dcgan": lambda w: nn.init.normal_(w, 0.0, 0.02),
    # Keeps every singular value at 1 (BigGAN); a natural start for spectral-norm nets.
    "orthogonal": nn.init.orthogonal_,
    "xavier": nn.init.xavier_uniform_,
    # Variance-preserving for the LeakyReLU(0.2) used in the discriminators.
    "kaiming": lambda w: nn.init.kaiming_normal_(w, a=0.2, nonlinearity="leaky_relu"),
}
INITS = (*_WEIGHT_INITS, "default")
_WEIGHTED = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)


def init_weights(module: nn.Module, scheme: str) -> None:
    """Initialise every Linear/Conv/ConvTranspose (bias 0) and, for dcgan, BatchNorm in ``module``.

    Must run before spectral norm is attached: once parametrised, ``layer.weight`` is recomputed
    from ``parametrizations.weight.original`` on every access, so initialising it in place would
    silently change nothing, and the power-iteration vectors spectral norm seeds at registration
    would belong to the old weight. That misuse raises instead of passing unnoticed.
    ``default`` keeps PyTorch's own initialisation untouched.
    """
    if scheme not in INITS:
        raise ValueError(f"unknown init {scheme!r}; choose one of {INITS}")
    if scheme == "default":
        return
    for m in module.modules():
        if isinstance(m, _WEIGHTED):
            if parametrize.is_parametrized(m, "weight"):
                raise RuntimeError("init_weights must run before spectral norm is attached")
            _WEIGHT_INITS[scheme](m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and m.affine and scheme == "dcgan":
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
