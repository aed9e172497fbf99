"""What each update of a training step minimises, summed over the discriminators (:mod:`gan_lightning.steps.critics`).

D's loss, per discriminator: the adversarial term on its view of the real and the generated samples, an ACGAN
discriminator's classification of the real samples (and of the generated ones, ``loss.classify_generated``), and the
gradient penalties (:mod:`gan_lightning.steps.penalties`). G's loss: the adversarial terms (a relativistic loss,
``generator_sees_real``, compares with D's logits on the last D update's real batch), feature matching
(:mod:`gan_lightning.steps.feature_matching`), the L1 distance to the real sample (``loss.l1``, pix2pix's target) and
the ACGAN classification of the generated samples, whatever the conditioning.

The module runs the updates (which batch, when, backward and optimizer step); these functions only build the losses,
from what :class:`Objective` gathers, and compute every term in the order the module always has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from gan_lightning.config.schema import LossConfig
from gan_lightning.losses import AdversarialLoss
from gan_lightning.networks.views import Draw
from gan_lightning.steps.critics import Critic, discriminate_with_classes, weighted_sum
from gan_lightning.steps.feature_matching import FeatureMatchingTerm, global_batch_mean
from gan_lightning.steps.penalties import PenaltyPlan, add_penalties, penalised_pass, scaler_scale

Batch = tuple[Tensor, Tensor | None]
"""Samples and what each is conditioned on (None when nothing)."""


class Objective(NamedTuple):
    """What the losses need from the module: its loss settings (``cfg``) and adversarial loss, what every
    discriminator's input goes through (``augment``, the augmentation policy or None; ``draw``, the shared draw a view
    chooses with: :func:`~gan_lightning.steps.critics.discriminate_with_classes`), and, for the terms that need them,
    its ``trainer`` (read only then: a module without a trainer computes D's plain loss too; the penalties unscale by
    its fp16 GradScaler) and ``all_gather`` (feature matching's global batch mean)."""

    cfg: LossConfig
    adversarial: AdversarialLoss
    augment: Callable[[Tensor], Tensor] | None
    draw: Draw
    trainer: Callable[[], Any]
    all_gather: Callable[..., Tensor]

    def discriminate(self, samples: Tensor, condition: Tensor | None, critic: Critic) -> tuple[Tensor, Tensor | None]:
        """``critic``'s ``(logits, class logits)`` on its view of ``samples``, after the augmentation."""
        return discriminate_with_classes(critic, samples, condition, self.augment, self.draw)


def classification(loss_cfg: LossConfig, class_logits: Tensor | None, labels: Tensor | None) -> Tensor | None:
    """ACGAN's weighted cross-entropy of the class logits, or None without an auxiliary classifier."""
    if class_logits is None or labels is None:
        return None
    return loss_cfg.classification * F.cross_entropy(class_logits.float(), labels)


def critic_loss(
    objective: Objective,
    critic: Critic,
    real_condition: Tensor | None,
    fake_condition: Tensor | None,
    plan: PenaltyPlan,
) -> tuple[Tensor, dict[str, Tensor], tuple[Tensor, Tensor]]:
    """One discriminator's loss (adversarial term, ACGAN classification, penalties) on ``plan``'s real and generated
    samples (conditioned on ``real_condition`` and ``fake_condition``), its logged parts and its logits on them."""
    loss_cfg = objective.cfg
    with penalised_pass(plan.r1):
        real_logits, real_classes = objective.discriminate(plan.real, real_condition, critic)
    with penalised_pass(plan.r2):
        fake_logits, fake_classes = objective.discriminate(plan.fake, fake_condition, critic)
    loss = objective.adversarial.discriminator_loss(real_logits, fake_logits)
    stats = {"d_loss": loss.detach()}
    real_classification = classification(loss_cfg, real_classes, real_condition)
    if real_classification is not None:
        if loss_cfg.classify_generated:
            real_classification = real_classification + classification(loss_cfg, fake_classes, fake_condition)
        loss = loss + real_classification
        stats["d_classification"] = real_classification.detach()
    # Interpolates between a real and a generated sample are judged as the real sample's class.
    discriminate = lambda x: objective.discriminate(x, real_condition, critic)[0]  # noqa: E731
    grad_scale = lambda: scaler_scale(objective.trainer().precision_plugin)  # noqa: E731
    loss = add_penalties(loss, stats, loss_cfg, discriminate, (real_logits, fake_logits), plan, grad_scale)
    return loss, stats, (real_logits, fake_logits)


def discriminator_loss(
    objective: Objective,
    critics: list[Critic],
    real_condition: Tensor | None,
    fake_condition: Tensor | None,
    plan: PenaltyPlan,
) -> tuple[Tensor, dict[str, Tensor], tuple[Tensor, Tensor]]:
    """D's loss on ``plan``'s samples (:func:`.penalties.penalty_plan`): every discriminator's (:func:`critic_loss`)
    times its weight, its logged parts summed likewise (:func:`~gan_lightning.steps.critics.weighted_sum`), and the
    main discriminator's logits on the real and the generated samples."""
    loss = plan.real.new_zeros((), dtype=torch.float32)
    outputs = [critic_loss(objective, critic, real_condition, fake_condition, plan) for critic in critics]
    loss, stats = weighted_sum(critics, outputs, loss)
    return loss, stats, outputs[0][2]


def generator_loss(
    objective: Objective, critics: list[Critic], fake: Tensor, condition: Tensor | None, real_batch: Batch
) -> tuple[Tensor, dict[str, Tensor]]:
    """G's total loss on ``fake`` (conditioned on ``condition``) and its logged parts (``real_batch``: the last D
    update's real samples and their conditions, the targets of ``loss.l1`` and what a relativistic loss compares
    ``fake`` with). The discriminators are frozen by the caller."""
    loss_cfg = objective.cfg
    real, real_condition = real_batch
    sees_real = objective.adversarial.generator_sees_real
    adversarial = fake.new_zeros((), dtype=torch.float32)
    batch_mean = lambda: global_batch_mean(objective.trainer().world_size, objective.all_gather)  # noqa: E731
    matching = FeatureMatchingTerm(loss_cfg.feature_matching, fake, batch_mean)
    total_classification: Tensor | None = None
    stats: dict[str, Tensor] = {}
    for critic in critics:
        with matching.captured(critic.network) as fake_features:
            logits, class_logits = objective.discriminate(fake, condition, critic)
        with matching.captured(critic.network) as real_features:
            real_logits = (
                objective.discriminate(real.detach(), real_condition, critic)[0]
                if sees_real or matching.active
                else None
            )
        term = objective.adversarial.generator_loss(logits, real_logits if sees_real else None)
        adversarial = adversarial + critic.weight * term
        if critic.name:
            stats[f"g_loss_{critic.name}"] = term.detach()
        matching.add(critic.weight, critic.name, real_features, fake_features, stats)
        critic_classification = classification(loss_cfg, class_logits, condition)
        if critic_classification is not None:
            weighted = critic.weight * critic_classification
            total_classification = weighted if total_classification is None else total_classification + weighted
    loss = loss_cfg.adversarial_weight * adversarial
    stats["g_loss"] = adversarial.detach()
    loss = matching.add_to(loss, stats)
    if loss_cfg.l1 > 0:
        l1 = (fake - real.detach()).abs().mean()
        loss = loss + loss_cfg.l1 * l1
        stats["g_l1"] = l1.detach()
    if total_classification is not None:
        loss = loss + total_classification
        stats["g_classification"] = total_classification.detach()
    return loss, stats
