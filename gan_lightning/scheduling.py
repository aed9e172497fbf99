"""Values that change over a run, as functions of the generator step: the learning rates (stepped once per generator
step by the GAN module), Adam's beta2, the R1 / R2 weight and the EMA's half-life.

Each is a start value, an end value reached at ``train.max_steps`` and held after, and a curve between; R3GAN
(Huang et al. 2024) schedules all four by half a cosine, which :func:`cosine` is. They are recomputed from the step
alone, never accumulated, so a resumed run takes the same values as an uninterrupted one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

from gan_lightning.config.schema import OptimizerConfig


def cosine(start: float, end: float, step: int, steps: int) -> float:
    """``start`` at step 0, ``end`` from ``steps`` on, half a cosine between (R3GAN's ``cosine_decay_with_warmup``
    without its warm-up)."""
    return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * min(step, steps) / steps))


def lr_factor(kind: str, max_steps: int, end_factor: float = 0.0) -> Callable[[int], float]:
    """Multiplier of the base learning rate at a given generator step: from 1 to ``end_factor`` at ``max_steps``."""
    if kind == "constant":
        return lambda step: 1.0
    if kind == "linear":
        return lambda step: end_factor + (1.0 - end_factor) * max(0.0, 1.0 - step / max_steps)
    if kind == "cosine":
        return lambda step: cosine(1.0, end_factor, step, max_steps)
    raise ValueError(f"unknown scheduler {kind!r}; allowed: constant, linear, cosine")


def build_scheduler(optimizer: Optimizer, kind: str, max_steps: int, lr: float, lr_end: float) -> LambdaLR:
    """The learning-rate schedule of ``optimizer`` (base rate ``lr``): ``kind`` from ``lr`` to ``lr_end``."""
    return LambdaLR(optimizer, lr_factor(kind, max_steps, lr_end / lr))


def schedule_beta2(optimizers: Iterable[tuple[Optimizer, OptimizerConfig]], step: int, max_steps: int) -> None:
    """Adam's beta2 of every parameter group of each optimizer (beta1 kept) set to its value at generator step
    ``step`` of its config's ``beta2_end`` schedule; an optimizer without one is left alone."""
    for optimizer, opt_cfg in optimizers:
        if opt_cfg.beta2_end is None:
            continue
        beta2 = cosine(opt_cfg.betas[1], opt_cfg.beta2_end, step, max_steps)
        for group in optimizer.param_groups:
            group["betas"] = (group["betas"][0], beta2)


def half_life_decay(half_life: float, images_per_step: int) -> float:
    """The EMA decay per step that halves an old weight's share every ``half_life`` images (StyleGAN's and R3GAN's
    ``0.5 ** (batch / ema_nimg)``); a half-life of 0 copies the generator."""
    return 0.0 if half_life <= 0 else 0.5 ** (images_per_step / half_life)
