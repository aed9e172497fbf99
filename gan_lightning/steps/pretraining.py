"""Maximum-likelihood pretraining of G (RelGAN's MLE pretraining for text).

The first ``train.pretrain_steps`` generator steps train G by maximum likelihood (its ``likelihood_loss`` over the
positions the kind's ``likelihood_mask`` counts, with the ``pretrain_optim`` optimizer) instead of adversarially. They
count ``n_critic + 1`` optimizer steps too (D's optimizer steps without gradients), so the step units hold in both
phases and a run resumes exactly across the switch. After pretraining, G's likelihood of the real batch keeps being
logged (:func:`likelihood`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

Mask = Callable[[Tensor], Tensor]
"""The run's kind's ``likelihood_mask``: which positions of each sample the likelihood counts."""


def likelihood_update(
    generator: nn.Module,
    mask: Mask,
    samples: Tensor,
    backward: Callable[[Tensor], None],
    opt_g: Any,
    opt_d: Any,
    n_critic: int,
) -> tuple[Tensor, dict[str, Tensor]]:
    """A maximum-likelihood (pretraining) step of G on the step's real batch: ``generator.likelihood_loss``,
    teacher-forced, stepped by ``opt_g`` (the pretraining optimizer, ``pretrain_optim``) after ``backward`` (the
    module's ``manual_backward``). D is not trained; its optimizer still takes its ``n_critic`` steps, without
    gradients (so nothing changes), so that a generator step is ``n_critic + 1`` optimizer steps in both phases: the
    unit of ``max_steps``, the checkpoints and the progress bar.

    Returns the losses the module checks for NaN (D's, 0 here, and G's) and the logged parts.
    """
    loss = generator.likelihood_loss(samples, mask(samples))
    opt_g.zero_grad(set_to_none=True)
    backward(loss)
    opt_g.step()
    for _ in range(n_critic):
        opt_d.zero_grad(set_to_none=True)
        opt_d.step()
    nll = loss.detach().float()
    return torch.stack([nll.new_zeros(()), nll]), {"g_nll": nll}


@torch.no_grad()
def likelihood(generator: nn.Module, mask: Mask, real: Tensor) -> Tensor:
    """G's negative log-likelihood of ``real`` (no gradient), logged as ``g_nll`` after pretraining too."""
    nll = generator.likelihood_loss(real, mask(real))
    return nll.detach().float()
