"""The discriminators of a run and what each judges: ``discriminator`` and the ``extra_discriminators``, each with its
view of the samples (:mod:`gan_lightning.networks.views`) and its weight.

The module builds them once (:func:`build_critics`) and keeps them as :class:`Critic` records; the D and G updates
loop over them, so one discriminator or several, whole samples or views of them, train through the same code. The
networks stay attributes of the module (``discriminator``, ``extra_discriminators``), which keeps their checkpoint
keys; a :class:`Critic` only points at them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from torch import Tensor, nn

from gan_lightning.config.schema import LossConfig
from gan_lightning.networks import build_discriminator
from gan_lightning.networks.views import Draw, View, build_view


class Critic(NamedTuple):
    """One discriminator and what it judges: ``network`` sees ``view`` of every sample; its adversarial term (and
    penalties) count ``weight`` times. ``name`` is empty for ``discriminator``, the key of ``extra_discriminators``
    otherwise."""

    name: str
    network: nn.Module
    view: View
    weight: float


def build_critic(cfg: Any, data_shape: tuple[int, ...], variant: str, network_args: dict[str, Any]) -> Critic:
    """A discriminator (``cfg``: a ``discriminator`` or ``extra_discriminators`` entry) for its view of samples of
    ``data_shape``, as an unnamed :class:`Critic`."""
    view = build_view(cfg.view, data_shape, cfg.view_size)
    return Critic("", build_discriminator(cfg, view.shape, variant, **network_args), view, cfg.weight)


def build_critics(cfg: Any, data_shape: tuple[int, ...], variant: str, network_args: dict[str, Any]) -> list[Critic]:
    """The main discriminator's :class:`Critic` (``cfg.discriminator``), then one per entry of
    ``cfg.extra_discriminators``, built in that order (their initial weights come from the global RNG, one after the
    other)."""
    critics = [build_critic(cfg.discriminator, data_shape, variant, network_args)]
    for name, extra in (cfg.extra_discriminators or {}).items():
        critics.append(build_critic(extra, data_shape, variant, network_args)._replace(name=name))
    return critics


def compilable(loss_cfg: LossConfig) -> bool:
    """Whether the discriminators may be compiled (``train.compile``): gradient penalties differentiate D twice, which
    compiled (AOT-autograd) graphs cannot; feature matching hooks a layer inside D, which a compiled graph would not
    call."""
    return loss_cfg.r1 == loss_cfg.r2 == loss_cfg.gradient_penalty == loss_cfg.feature_matching == 0


def critic_networks(critics: Sequence[Critic]) -> list[nn.Module]:
    """Every discriminator: ``discriminator`` and the ``extra_discriminators``."""
    return [critic.network for critic in critics]


def critic_parameters(critics: Sequence[Critic]) -> Iterator[nn.Parameter]:
    """The parameters ``d_optim`` updates: every discriminator's."""
    return (param for network in critic_networks(critics) for param in network.parameters())


@contextmanager
def frozen(networks: list[nn.Module]) -> Iterator[None]:
    """The trainable parameters of ``networks`` without gradients inside the block (the discriminators during the
    G update).

    Only the parameters this freezes are unfrozen afterwards, so parameters a fork froze stay frozen.
    """
    params = [p for network in networks for p in network.parameters() if p.requires_grad]
    for param in params:
        param.requires_grad_(False)
    try:
        yield
    finally:
        for param in params:
            param.requires_grad_(True)


def discriminate_with_classes(
    critic: Critic,
    samples: Tensor,
    condition: Tensor | None,
    augment: Callable[[Tensor], Tensor] | None,
    draw: Draw,
) -> tuple[Tensor, Tensor | None]:
    """``(logits, class logits)`` of ``critic`` on its view of ``samples`` (conditioned on ``condition``) after
    ``augment``, the same for real and generated samples; one row per sample. The class logits are an ACGAN
    discriminator's classifier output, else None. ``draw`` is the module's shared draw, for views that choose at
    random (so W ranks stay equivalent to one process)."""
    samples = samples if augment is None else augment(samples)
    seen, seen_condition = critic.view(samples, draw), critic.view.repeat(condition)
    output = critic.network(seen) if seen_condition is None else critic.network(seen, seen_condition)
    logits, class_logits = output if isinstance(output, tuple) else (output, None)
    batch = samples.shape[0]
    folded_classes = None if class_logits is None else critic.view.fold_classes(class_logits, batch)
    return critic.view.fold(logits, batch), folded_classes


def weighted_sum(
    critics: Sequence[Critic], losses: Sequence[tuple[Tensor, dict[str, Tensor], Any]], loss: Tensor
) -> tuple[Tensor, dict[str, Tensor]]:
    """``loss`` plus each discriminator's loss (``losses``: ``(loss, logged parts, ...)`` per critic) times its
    weight, and the logged parts summed likewise (the losses and penalties as they count in D's loss), with each extra
    discriminator's own ``d_loss_<name>`` beside them."""
    stats: dict[str, Tensor] = {}
    for critic, (critic_loss, critic_stats, _) in zip(critics, losses, strict=True):
        loss = loss + critic.weight * critic_loss
        for key, value in critic_stats.items():
            stats[key] = stats.get(key, 0.0) + critic.weight * value
        if critic.name:
            stats[f"d_loss_{critic.name}"] = critic_stats["d_loss"]
    return loss, stats
