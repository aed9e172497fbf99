"""How the generator runs when sampled (:meth:`GANModule.sample <gan_lightning.module.GANModule.sample>`), and the
EMA generator's standing statistics.

Sampling must change nothing: not the training RNG, not a network's mode, not its running statistics. So a generator
is sampled in eval mode, or in train mode (pix2pix's test time) on a forked, seeded RNG with its buffers restored
(:func:`sampling_mode`), and the EMA generator's batch-norm statistics, re-estimated on its own outputs
(``train.ema_standing_batches``), come from noise of their own seeded generator (:class:`StandingStatistics`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn

from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.ema import standing_statistics

SAMPLING_MODES = ("eval", "train")
"""How the generator runs when sampled: eval (dropout off, BatchNorm running statistics) or train (dropout on,
statistics of the sampled batch: pix2pix's test time), see :meth:`GANModule.sample`."""

SAMPLING_SEED = 0
"""Seeds the dropout of ``mode="train"`` sampling, so its outputs are reproducible."""
STANDING_SEED_OFFSET = 7919
"""Added to the run's seed for the noise the EMA generator's standing statistics are measured on
(``train.ema_standing_batches``): the same on every rank and at every step, and apart from the training noise."""

Generate = Callable[[nn.Module, Tensor, Tensor | None], Tensor]
"""``generate(network, latents, condition)``: the module's :meth:`GANModule.generate`."""


@contextmanager
def sampling_mode(network: nn.Module, mode: str) -> Iterator[None]:
    """``network`` in eval mode inside the block, or in train mode (``mode="train"``) on a forked, seeded RNG with its
    buffers (BatchNorm's running statistics) restored afterwards; its own mode is restored either way."""
    if mode not in SAMPLING_MODES:
        raise ValueError(f"sampling mode {mode!r}; allowed: {', '.join(SAMPLING_MODES)}")
    was_training = network.training
    buffers = {name: buffer.clone() for name, buffer in network.named_buffers()} if mode == "train" else {}
    devices = [torch.cuda.current_device()] if torch.cuda.is_available() else []
    try:
        with torch.random.fork_rng(devices=devices, enabled=mode == "train"):
            if mode == "train":
                torch.manual_seed(SAMPLING_SEED)
            network.train(mode == "train")
            yield
    finally:
        network.train(was_training)
        with torch.no_grad():
            for name, buffer in network.named_buffers():
                if name in buffers:
                    buffer.copy_(buffers[name])


def sample_batches(
    generate: Generate,
    network: nn.Module,
    noise: Tensor,
    condition: Tensor | None,
    batch_size: int,
    device: torch.device,
    dtype: torch.dtype,
) -> Tensor:
    """``network``'s samples of ``noise`` (and ``condition``), ``batch_size`` rows at a time, each chunk moved to the
    module's ``device`` and ``dtype`` first, so a large ``noise`` on the CPU never sits on the device whole."""
    samples = []
    for start in range(0, len(noise), batch_size):
        chunk = noise[start : start + batch_size].to(device, dtype)
        chunk_condition = None if condition is None else condition[start : start + batch_size]
        samples.append(generate(network, chunk, chunk_condition))
    return torch.cat(samples)


def latent(num: int, size: int, device: torch.device, generator: torch.Generator | None = None) -> Tensor:
    """``num`` standard-normal latent codes of length ``size`` on ``device``: from the global RNG, or from
    ``generator`` on its own device (so callers can sample without consuming the training RNG)."""
    shape = (num, size)
    if generator is None:
        return torch.randn(shape, device=device)
    return torch.randn(shape, generator=generator, device=generator.device).to(device)


class StandingStatistics:
    """With ``train.ema_standing_batches``, the EMA generator's batch-norm statistics re-estimated on its own outputs
    (:func:`~gan_lightning.ema.standing_statistics`), once per generator step: :func:`~gan_lightning.ema.update_ema`
    copies the live generator's over them at every step."""

    def __init__(self) -> None:
        self.step: int | None = None
        """The generator step they were last measured at."""

    def refresh(
        self,
        step: int,
        ema_generator: nn.Module,
        cfg: ExperimentConfig,
        inputs: Callable[[int, torch.Generator], tuple[Tensor, Tensor | None]],
        run: Callable[[nn.Module, Tensor, Tensor | None, int], Tensor],
    ) -> None:
        """Measure them unless off or already measured at generator ``step``.

        ``cfg.train.ema_standing_batches`` batches of ``cfg.train.batch_size`` (read now: an evaluation may change
        them); ``inputs(num, rng)`` is the noise and conditions of ``num`` samples drawn with ``rng`` (the run's
        conditioning completes them), here an RNG seeded with ``cfg.seed + STANDING_SEED_OFFSET``, so the training RNG
        is untouched and every rank measures the same statistics; ``run(network, noise, condition, batch_size)``
        samples them (:func:`sample_batches`).
        """
        train = cfg.train
        if not train.ema_standing_batches or self.step == step:
            return
        seeded = torch.Generator().manual_seed(cfg.seed + STANDING_SEED_OFFSET)
        noise, condition = inputs(train.ema_standing_batches * train.batch_size, seeded)
        with standing_statistics(ema_generator):
            run(ema_generator, noise, condition, train.batch_size)
        self.step = step
