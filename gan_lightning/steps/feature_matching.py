"""The feature-matching term of the G update (``loss.feature_matching``; the distance itself is
:func:`gan_lightning.losses.feature_matching.feature_matching`).

The G update runs each discriminator on the generated and the real samples; with feature matching on, it captures the
features of both passes (:meth:`FeatureMatchingTerm.captured`), and this term adds each discriminator's distance,
times its weight, to G's loss. Across processes the batch means are those of the global batch, so W ranks x batch B
train exactly like one process x batch W*B (:func:`global_batch_mean`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import torch
from torch import Tensor, nn

from gan_lightning.losses.feature_matching import captured_features, feature_matching


def global_batch_mean(world_size: int, all_gather: Callable[..., Tensor]) -> Callable[[Tensor], Tensor] | None:
    """Turns a rank's batch mean into the global batch's, keeping its gradient (None on one process): each rank's
    loss is then the one process's, and DDP's averaging of the gradients gives the one process's gradient.
    ``all_gather`` is the module's (``LightningModule.all_gather``)."""
    if world_size == 1:
        return None
    return lambda mean: all_gather(mean, sync_grads=True).mean(0)


class FeatureMatchingTerm:
    """The feature-matching part of G's loss, summed over the discriminators as the G update visits them.

    Args:
        weight: ``loss.feature_matching``; 0 turns the term off (nothing is hooked, nothing added).
        like: a tensor on the device the sum lives on (the generated batch).
        batch_mean: called once per discriminator for :func:`global_batch_mean` (only when the term is on).
    """

    def __init__(
        self, weight: float, like: Tensor, batch_mean: Callable[[], Callable[[Tensor], Tensor] | None]
    ) -> None:
        self.weight = weight
        self.active = weight > 0
        self.total = like.new_zeros((), dtype=torch.float32)
        self._batch_mean = batch_mean

    def captured(self, network: nn.Module) -> AbstractContextManager[list[Tensor]]:
        """The features ``network`` computes inside the block when the term is on, or nothing to hook."""
        return captured_features(network) if self.active else nullcontext([])

    def add(self, weight: float, name: str, real: list[Tensor], fake: list[Tensor], stats: dict[str, Tensor]) -> None:
        """Add one discriminator's distance between the ``real`` and ``fake`` features it :meth:`captured`, times its
        ``weight``; an extra discriminator's (``name`` not empty) is logged on its own too."""
        if not self.active:
            return
        distance = feature_matching(real[0], fake[0], self._batch_mean())
        self.total = self.total + weight * distance
        if name:
            stats[f"g_feature_matching_{name}"] = distance.detach()

    def add_to(self, loss: Tensor, stats: dict[str, Tensor]) -> Tensor:
        """``loss`` plus the weighted term, logged as ``g_feature_matching``; ``loss`` as it is when the term is off."""
        if not self.active:
            return loss
        loss = loss + self.weight * self.total
        stats["g_feature_matching"] = self.total.detach()
        return loss
