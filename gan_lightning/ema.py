"""Exponential moving average of the generator's weights.

Averaged generator weights give visibly better samples and FID than the raw iterate (Yazıcı et
al. 2019, Karras et al. 2018), so sampling and evaluation use the EMA copy by default.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

from gan_lightning.config.schema import TrainConfig
from gan_lightning.scheduling import cosine, half_life_decay


def make_ema_copy(model: nn.Module) -> nn.Module:
    """A frozen copy of ``model`` in eval mode, to be updated only by :func:`update_ema`."""
    ema = copy.deepcopy(model).eval()
    ema.requires_grad_(False)
    return ema


def ema_decay(train: TrainConfig, step: int, world_size: int) -> float:
    """The EMA's decay after generator step ``step``: 0 (a copy) up to ``train.ema_start``, then ``train.ema_decay``,
    or, with ``train.ema_half_life``, the decay of that half-life's schedule (a cosine from 0,
    :mod:`gan_lightning.scheduling`) for the images of one step over ``world_size`` ranks, so W ranks average like one
    process with W times the batch."""
    if step + 1 <= train.ema_start:
        return 0.0
    if train.ema_half_life is None:
        return train.ema_decay
    half_life = cosine(0.0, train.ema_half_life, step, train.max_steps)
    return half_life_decay(half_life, train.batch_size * world_size)


@torch.no_grad()
def update_ema(ema: nn.Module, model: nn.Module, decay: float) -> None:
    """``ema = decay * ema + (1 - decay) * model`` for parameters; buffers are copied.

    Buffers (batch-norm statistics, spectral-norm power-iteration vectors) are not averaged:
    they describe the current weights, so they follow the live generator. ``decay=0`` copies.
    """
    ema_params = [p for p in ema.parameters()]
    live_params = [p.detach() for p in model.parameters()]
    if decay == 0.0:
        torch._foreach_copy_(ema_params, live_params)
    else:
        torch._foreach_lerp_(ema_params, live_params, 1.0 - decay)
    for ema_buffer, buffer in zip(ema.buffers(), model.buffers(), strict=True):
        ema_buffer.copy_(buffer)


@contextmanager
def standing_statistics(network: nn.Module) -> Iterator[None]:
    """Inside the block, each batch norm of ``network`` forgets its running statistics and averages those of the
    batches it is run on, all weighted alike (BigGAN's "standing statistics", Brock et al. 2019).

    The EMA generator's averaged weights meet batch-norm statistics copied from the live generator
    (:func:`update_ema`), measured on other weights; its own, re-estimated on its own outputs, are what its layers
    actually see. Only the batch norms run in train mode (dropout stays off); each gets its momentum back afterwards.
    """
    norms = [module for module in network.modules() if isinstance(module, nn.modules.batchnorm._BatchNorm)]
    saved = [(norm.momentum, norm.training) for norm in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # a cumulative average
        norm.train()
    try:
        with torch.no_grad():
            yield
    finally:
        for norm, (momentum, training) in zip(norms, saved, strict=True):
            norm.momentum = momentum
            norm.train(training)
