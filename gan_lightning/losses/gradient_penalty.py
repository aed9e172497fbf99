"""WGAN-GP gradient penalty (Gulrajani et al. 2017) and the input-gradient helper it shares with R1."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from gan_lightning.networks.layers import penalised_forward


def input_gradients(logits: Tensor, inputs: Tensor, grad_scale: float | None = None) -> Tensor:
    """The gradient w.r.t. ``inputs`` of each unit's own mean logit, one flattened row per unit: ``(U, -1)``.

    A unit is what D judges on its own: a sample, or a PacGAN pack of ``B // U`` consecutive samples, so ``U`` is
    ``logits.shape[0]``. D's value for a unit is the mean of its logits, because that is what the loss averages: a
    per-step recurrent critic gives ``T`` logits per sequence, PatchGAN one per patch. Differentiating the *sum*
    instead would scale the gradient by their number (``T``, the patches), so a penalty on it would be miscalibrated
    by that factor (squared for R1); the papers penalise the gradient of the critic's value for one sample. Units do
    not interact in D, so one backward pass of the sum of unit means gives every unit its own gradient; a pack's row
    holds its samples' gradients side by side, so its norm is the pack's.

    ``create_graph=True`` keeps the result differentiable w.r.t. D's weights, so a penalty built from it trains D.
    Under fp16 mixed precision pass the GradScaler's current scale: the sum is scaled before differentiating so small
    gradients do not underflow in fp16, then unscaled (the gradient-penalty recipe of the PyTorch AMP docs). The scale
    is spread over the units, ``grad_scale / U`` each: the GradScaler's usual 65536 per fp16 value would itself
    overflow fp16 (max 65504). Half-precision gradients are upcast so the norm taken from them is accurate; float64
    stays float64.
    """
    units = logits.shape[0]
    unit_logits = logits.reshape(units, -1).mean(dim=1)
    per_unit = 1.0 if grad_scale is None else grad_scale / units
    (grad,) = torch.autograd.grad(unit_logits.sum() * per_unit, inputs, create_graph=True)
    grad = grad.to(torch.promote_types(grad.dtype, torch.float32)).reshape(units, -1)
    return grad if grad_scale is None else grad / per_unit


def gradient_penalty(
    discriminator: Callable[[Tensor], Tensor],
    real: Tensor,
    fake: Tensor,
    grad_scale: float | None = None,
    alpha: Tensor | None = None,
) -> Tensor:
    """WGAN-GP penalty ``mean((‖∇_x̂ D(x̂)‖₂ - 1)²)``, ``x̂ = α·real + (1 - α)·fake``, ``α ~ U[0, 1]``, with ``D(x̂)`` each
    unit's mean logit and the norm taken per unit (a sample, or a PacGAN pack; see :func:`input_gradients`).

    Enforces the critic's 1-Lipschitz constraint softly on points between the data and generator
    distributions, where the optimal critic has unit gradient norm. ``α`` is one draw per sample,
    broadcast over the non-batch dims; the module passes its own (``alpha``, shape ``(B,)``) so that
    the draw does not depend on the number of processes. Neither ``real`` nor ``fake`` receives a
    gradient; the caller multiplies by λ (10 in the paper).
    """
    if alpha is None:
        alpha = torch.rand(real.shape[0], device=real.device, dtype=real.dtype)
    alpha = alpha.to(real.dtype).view((real.shape[0],) + (1,) * (real.dim() - 1))
    interpolated = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    with penalised_forward():  # the penalty's backward differentiates this pass twice
        logits = discriminator(interpolated)
    grad = input_gradients(logits, interpolated, grad_scale)
    return ((grad.norm(2, dim=1) - 1) ** 2).mean()
