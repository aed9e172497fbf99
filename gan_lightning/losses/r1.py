"""R1 gradient penalty (Mescheder et al. 2018)."""

from __future__ import annotations

from torch import Tensor

from gan_lightning.losses.gradient_penalty import input_gradients


def r1_penalty(real_logits: Tensor, real: Tensor, grad_scale: float | None = None) -> Tensor:
    """``mean_i ‖∇_{x_i} D(x_i)‖²`` over real samples, ``D(x_i)`` the unit's mean logit (a sample's, or a PacGAN
    pack's with the norm over the pack; see :func:`input_gradients`).

    Penalising D's gradient on real data alone makes GAN training locally convergent ("Which
    Training Methods for GANs do actually Converge?"). ``real`` must have ``requires_grad=True``
    and ``real_logits`` must be ``D(real)``. The caller applies the ``γ/2`` weight and, for lazy
    regularisation, the interval factor. ``grad_scale``: see :func:`input_gradients`.
    """
    if not real.requires_grad:
        raise ValueError("r1_penalty needs real.requires_grad=True before computing real_logits = D(real)")
    return input_gradients(real_logits, real, grad_scale).pow(2).sum(dim=1).mean()
