"""Zero-centred gradient penalties: R1 on real samples (Mescheder et al. 2018) and R2 on generated ones."""

from __future__ import annotations

from torch import Tensor

from gan_lightning.losses.gradient_penalty import input_gradients


def zero_centred_penalty(logits: Tensor, samples: Tensor, grad_scale: float | None = None) -> Tensor:
    """``mean_i ‖∇_{x_i} D(x_i)‖²`` over ``samples``, ``D(x_i)`` the unit's mean logit (a sample's, or a PacGAN
    pack's with the norm over the pack; see :func:`input_gradients`).

    On real samples it is R1: penalising D's gradient on real data alone makes GAN training locally convergent
    ("Which Training Methods for GANs do actually Converge?"). On generated samples it is R2; R3GAN (Huang et al.
    2024) shows that with a relativistic loss the two together keep training convergent where R1 alone diverges.
    ``samples`` must have ``requires_grad=True`` and ``logits`` must be ``D(samples)``. The caller applies the
    ``γ/2`` weight and, for lazy regularisation, the interval factor. ``grad_scale``: see :func:`input_gradients`.
    """
    if not samples.requires_grad:
        raise ValueError("zero_centred_penalty needs samples.requires_grad=True before computing logits = D(samples)")
    return input_gradients(logits, samples, grad_scale).pow(2).sum(dim=1).mean()
