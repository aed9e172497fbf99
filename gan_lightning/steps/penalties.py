"""The gradient penalties of the D update, as the module applies them: WGAN-GP (``loss.gradient_penalty``) on
interpolates between real and generated samples, R1 (``loss.r1``) on the real samples and R2 (``loss.r2``) on the
generated ones, lazily.

The penalties themselves are :mod:`gan_lightning.losses` functions; this file decides when they apply and with what:
R1 and R2 only every ``loss.r1_interval``-th D update (StyleGAN2's lazy regularisation, weighted by the interval so
their average strength is unchanged), at weights that follow ``loss.penalty_end``'s schedule, the interpolation
weights from the draw every rank shares (so W ranks train like one process), and the fp16 GradScaler's scale, so the
penalties' inner gradients are unscaled. R1 and R2 differentiate D's input gradients again, so their passes run under
:func:`~gan_lightning.networks.layers.penalised_forward`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, NamedTuple

import torch
from torch import Tensor
from torch.profiler import record_function

from gan_lightning.config.schema import LossConfig, TrainConfig
from gan_lightning.losses import gradient_penalty, zero_centred_penalty
from gan_lightning.networks.layers import penalised_forward
from gan_lightning.networks.views import Draw
from gan_lightning.scheduling import cosine
from gan_lightning.steps.phases import PHASE_PENALTY


class PenaltyPlan(NamedTuple):
    """The penalties of one D update: the samples they differentiate (``real`` and ``fake``, each requiring its
    gradient when R1, resp. R2, is due: through the augmentation and the views, w.r.t. the un-augmented samples),
    WGAN-GP's mixing weights ``alpha`` (one per sample; None without the penalty), and the R1 and R2 weights of this
    update (0 when not due)."""

    real: Tensor
    fake: Tensor
    alpha: Tensor | None
    r1: float
    r2: float


def penalty_plan(
    loss_cfg: LossConfig, train: TrainConfig, update_index: int, real: Tensor, fake: Tensor, draw: Draw
) -> PenaltyPlan:
    """The :class:`PenaltyPlan` of the D update numbered ``update_index`` (counted over the whole run, ``n_critic``
    per generator step, so a resumed run computes R1 and R2 on the same updates, at the same weights); ``alpha``
    comes from the shared ``draw``."""
    due = update_index % loss_cfg.r1_interval == 0
    r1, r2 = (loss_cfg.r1, loss_cfg.r2) if due else (0.0, 0.0)
    if loss_cfg.penalty_end is not None:
        factor = cosine(1.0, loss_cfg.penalty_end, update_index // train.n_critic, train.max_steps)
        r1, r2 = r1 * factor, r2 * factor
    if r1 > 0:
        real = real.detach().requires_grad_(True)
    if r2 > 0:
        fake = fake.detach().requires_grad_(True)
    alpha = draw(torch.rand, real.shape[0]) if loss_cfg.gradient_penalty > 0 else None
    return PenaltyPlan(real, fake, alpha, r1, r2)


def penalised_pass(weight: float) -> AbstractContextManager[None]:
    """Around D's pass on the samples a zero-centred penalty of ``weight`` differentiates: it differentiates this
    pass's input gradients again."""
    return penalised_forward() if weight > 0 else nullcontext()


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
    logits: tuple[Tensor, Tensor],
    plan: PenaltyPlan,
    grad_scale: Callable[[], float | None],
) -> Tensor:
    """``loss`` plus the weighted penalties of one discriminator, their values logged in ``stats``.

    ``discriminate`` is the discriminator's logits on its view of the samples, conditioned as the real ones are
    (interpolates between a real and a generated sample are judged as the real sample's class); ``logits`` are its
    passes on ``plan.real`` and ``plan.fake`` (under :func:`penalised_pass`), which R1 and R2 differentiate.
    ``grad_scale`` reads the current :func:`scaler_scale` when a penalty needs it (only then: a module without a
    trainer computes D's loss too).
    """
    if plan.alpha is not None:
        with record_function(PHASE_PENALTY):
            gp = gradient_penalty(
                discriminate, plan.real.detach(), plan.fake, grad_scale=grad_scale(), alpha=plan.alpha
            )
        loss = loss + loss_cfg.gradient_penalty * gp
        stats["gradient_penalty"] = gp.detach()
    for name, weight, samples, sample_logits in (
        ("r1", plan.r1, plan.real, logits[0]),
        ("r2", plan.r2, plan.fake, logits[1]),
    ):
        if weight > 0:
            with record_function(PHASE_PENALTY):
                penalty = zero_centred_penalty(sample_logits, samples, grad_scale=grad_scale())
            loss = loss + 0.5 * weight * loss_cfg.r1_interval * penalty
            stats[f"{name}_penalty"] = penalty.detach()
    return loss
