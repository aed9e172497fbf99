"""The gradient penalties of the D update, as the module applies them: WGAN-GP (``loss.gradient_penalty``) on
interpolates between real and generated samples, and R1 (``loss.r1``) on the real samples, lazily.

The penalties themselves are :mod:`gan_lightning.losses` functions; this file decides when they apply and with what:
R1 only every ``loss.r1_interval``-th D update (StyleGAN2's lazy regularisation, weighted by the interval so its
average strength is unchanged), the interpolation weights from the draw every rank shares (so W ranks train like one
process), and the fp16 GradScaler's scale, so the penalties' inner gradients are unscaled. Both differentiate D's
input gradients again, so their passes run under :func:`~gan_lightning.networks.layers.penalised_forward`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import torch
from torch import Tensor
from torch.profiler import record_function

from gan_lightning.config.schema import LossConfig
from gan_lightning.losses import gradient_penalty, r1_penalty
from gan_lightning.networks.layers import penalised_forward
from gan_lightning.networks.views import Draw
from gan_lightning.steps.phases import PHASE_PENALTY


def penalty_inputs(
    loss_cfg: LossConfig, update_index: int, real: Tensor, draw: Draw
) -> tuple[Tensor, Tensor | None, bool]:
    """``(real, alpha, use_r1)`` for the D update numbered ``update_index`` (counted over the whole run, so a resumed
    run computes R1 on the same updates): ``real`` requires its gradient when R1 is due (R1 differentiates w.r.t.
    the un-augmented samples, through the augmentation and the views), and ``alpha`` are WGAN-GP's mixing weights,
    one per sample from the shared ``draw`` (None without the penalty)."""
    use_r1 = loss_cfg.r1 > 0 and update_index % loss_cfg.r1_interval == 0
    if use_r1:
        real = real.detach().requires_grad_(True)
    alpha = draw(torch.rand, real.shape[0]) if loss_cfg.gradient_penalty > 0 else None
    return real, alpha, use_r1


def penalised_pass(use_r1: bool) -> AbstractContextManager[None]:
    """Around D's pass on the real samples: R1 differentiates this pass's input gradients again."""
    return penalised_forward() if use_r1 else nullcontext()


def scaler_scale(precision_plugin: Any) -> float | None:
    """The fp16 GradScaler's current scale (``trainer.precision_plugin``'s), so penalties can unscale their inner
    gradients; None without one."""
    scaler = getattr(precision_plugin, "scaler", None)
    return float(scaler.get_scale()) if scaler is not None and scaler.is_enabled() else None


def add_penalties(
    loss: Tensor,
    stats: dict[str, Tensor],
    loss_cfg: LossConfig,
    discriminate: Callable[[Tensor], Tensor],
    real: Tensor,
    fake: Tensor,
    real_logits: Tensor,
    alpha: Tensor | None,
    use_r1: bool,
    grad_scale: Callable[[], float | None],
) -> Tensor:
    """``loss`` plus the weighted penalties of one discriminator, their values logged in ``stats``.

    ``discriminate`` is the discriminator's logits on its view of the samples, conditioned as the real ones are
    (interpolates between a real and a generated sample are judged as the real sample's class); ``real_logits`` is
    its pass on ``real`` (under :func:`penalised_pass`), which R1 differentiates. ``grad_scale`` reads the current
    :func:`scaler_scale` when a penalty needs it (only then: a module without a trainer computes D's loss too).
    """
    if alpha is not None:
        with record_function(PHASE_PENALTY):
            gp = gradient_penalty(discriminate, real.detach(), fake, grad_scale=grad_scale(), alpha=alpha)
        loss = loss + loss_cfg.gradient_penalty * gp
        stats["gradient_penalty"] = gp.detach()
    if use_r1:
        with record_function(PHASE_PENALTY):
            r1 = r1_penalty(real_logits, real, grad_scale=grad_scale())
        loss = loss + 0.5 * loss_cfg.r1 * loss_cfg.r1_interval * r1
        stats["r1_penalty"] = r1.detach()
    return loss
