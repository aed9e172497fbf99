"""Training-step speed: the template vs. a hand-written loop vs. Lightning's GAN-example pattern.

All three train the same networks (built from one config) with the same Adam settings, loss,
batch size and EMA update, on the same in-memory data:

* ``template``: :class:`GANModule` under a Lightning ``Trainer``, exactly as ``scripts/fit.py`` runs it
  (no sample pictures or checkpoints during the timed window).
* ``hand_loop``: a minimal PyTorch loop, the practical limit. It reuses the fake batch for the G
  update like the template does, and applies the same speed settings: ``torch.autocast`` for
  ``bf16-mixed`` / ``16-mixed`` (with a ``GradScaler`` for fp16), ``train.channels_last`` and
  ``train.compile``, so each row compares the same arithmetic.
* ``lightning_example``: the module with the training step of Lightning's published GAN example,
  which runs G again for the generator update (and so pays for G twice per step).

Repetitions are interleaved (template, hand loop, example, template, ...) so that drifts in machine
load hit all variants alike; each repetition times ``steps`` generator steps after ``warmup`` steps.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning as L
import torch
from torch import Tensor

from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.ema import make_ema_copy, update_ema
from gan_lightning.losses import build_loss
from gan_lightning.module import GANModule
from gan_lightning.networks import build_discriminator, build_generator
from gan_lightning.training import build_trainer, module_states, prepare_data

MIXED_PRECISION = {"bf16-mixed": torch.bfloat16, "16-mixed": torch.float16}
"""``trainer.precision`` values under which the hand loop runs in ``torch.autocast`` of this dtype."""


class StepTimer(L.Callback):
    """Wall time of training steps ``warmup + 1 .. warmup + steps`` (synchronising CUDA)."""

    def __init__(self, warmup: int) -> None:
        self.warmup = warmup
        self.start: float | None = None
        self.end: float | None = None

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: Any, batch: Any, batch_idx: int) -> None:
        if pl_module.generator_step == self.warmup:
            _synchronize(pl_module.device)
            self.start = time.perf_counter()

    def on_train_end(self, trainer: L.Trainer, pl_module: Any) -> None:
        _synchronize(pl_module.device)
        self.end = time.perf_counter()


class HostSyncGuard(L.Callback):
    """Raises at the first host-device synchronisation inside a CUDA training step after ``warmup`` steps
    (``torch.cuda.set_sync_debug_mode("error")``), except the steps after which something reads the module's state
    (:meth:`GANModule.state_is_read_after`: logging, pictures, checkpoints, metrics, the last step), which may wait.

    A step that waits for the GPU (a ``.item()``, a blocking copy from the CPU) stops the host from queueing the next
    step's kernels while the GPU works, so small networks run at the speed of Python plus the GPU instead of the
    larger of the two. ``checked`` counts the steps watched.
    """

    def __init__(self, warmup: int) -> None:
        self.warmup = warmup
        self.checked = 0

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: Any, batch: Any, batch_idx: int) -> None:
        step = pl_module.generator_step
        if pl_module.device.type == "cuda" and step >= self.warmup and not pl_module.state_is_read_after(step + 1):
            torch.cuda.set_sync_debug_mode("error")
            self.checked += 1

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        if pl_module.device.type == "cuda":
            torch.cuda.set_sync_debug_mode("default")


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class LightningExampleGAN(GANModule):
    """GANModule with the training step of Lightning's GAN example: G runs again for the G update."""

    def training_step(self, batch: Tensor, batch_idx: int) -> None:
        opt_g, opt_d = self.optimizers()
        real = batch.to(self.dtype)
        z = self.training_latent(real.shape[0])
        with self.toggled_optimizer(opt_g):
            g_loss = self.adversarial_loss.generator_loss(self.discriminator(self.generator(z)))
            opt_g.zero_grad(set_to_none=True)
            self.manual_backward(g_loss)
            opt_g.step()
        with self.toggled_optimizer(opt_d):
            fake = self.generator(z).detach()
            d_loss = self.adversarial_loss.discriminator_loss(self.discriminator(real), self.discriminator(fake))
            opt_d.zero_grad(set_to_none=True)
            self.manual_backward(d_loss)
            opt_d.step()
        update_ema(self.ema_generator, self.generator, self.cfg.train.ema_decay)


def time_lightning(
    config: ExperimentConfig,
    module_class: type[GANModule],
    warmup: int,
    steps: int,
    callbacks: Sequence[L.Callback] = (),
) -> float:
    """Generator steps per second of ``module_class`` under the template's Trainer (with ``callbacks`` beside the
    timer)."""
    datamodule = prepare_data(config)
    module = module_class(config, *module_states(config, datamodule))
    timer = StepTimer(warmup)
    # Only the timer: no sample pictures, metrics files or checkpoints inside the timed window.
    trainer = build_trainer(
        config,
        Path(config.run.root),
        datamodule,
        callbacks=[timer, *callbacks],
        logger=False,
        enable_checkpointing=False,
    )
    trainer.fit(module, datamodule=datamodule)
    assert timer.start is not None and timer.end is not None
    return steps / (timer.end - timer.start)


def time_hand_loop(config: ExperimentConfig, device: torch.device, warmup: int, steps: int) -> float:
    """Generator steps per second of a minimal PyTorch loop doing the same work."""
    datamodule = prepare_data(config)
    data = datamodule.data.to(device)
    shape = datamodule.data_shape
    generator = build_generator(config.generator, shape).to(device)
    discriminator = build_discriminator(config.discriminator, shape).to(device)
    ema = make_ema_copy(generator)
    loss = build_loss(config.loss.name)
    opt_g = torch.optim.Adam(generator.parameters(), config.g_optim.lr, betas=tuple(config.g_optim.betas))
    opt_d = torch.optim.Adam(discriminator.parameters(), config.d_optim.lr, betas=tuple(config.d_optim.betas))
    batch, latent_dim = config.train.batch_size, config.generator.latent_dim
    memory_format = torch.channels_last if config.train.channels_last else torch.contiguous_format
    if config.train.channels_last:
        for network in (generator, discriminator, ema):
            network.to(memory_format=memory_format)
    if config.train.compile:
        generator.compile()
        discriminator.compile()
    autocast_dtype = MIXED_PRECISION.get(config.trainer.precision)
    scaler = torch.amp.GradScaler(device.type) if autocast_dtype is torch.float16 else None

    def autocast() -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext() if autocast_dtype is None else torch.autocast(device.type, autocast_dtype)

    def update(optimizer: torch.optim.Optimizer, loss_value: Tensor) -> None:
        optimizer.zero_grad(set_to_none=True)
        if scaler is None:
            loss_value.backward()
            optimizer.step()
        else:
            scaler.scale(loss_value).backward()
            scaler.step(optimizer)
            scaler.update()

    def step() -> None:
        real = datamodule.to_model_space(data[torch.randint(len(data), (batch,), device=device)])
        real = real.contiguous(memory_format=memory_format)
        with autocast():
            fake = generator(torch.randn(batch, latent_dim, device=device))
            discriminator.requires_grad_(True)
            d_loss = loss.discriminator_loss(discriminator(real), discriminator(fake.detach()))
        update(opt_d, d_loss)
        discriminator.requires_grad_(False)
        with autocast():
            g_loss = loss.generator_loss(discriminator(fake))
        update(opt_g, g_loss)
        update_ema(ema, generator, config.train.ema_decay)

    for _ in range(warmup):
        step()
    _synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    _synchronize(device)
    return steps / (time.perf_counter() - start)


def benchmark_train(
    config: ExperimentConfig, repeats: int, warmup: int, steps: int, variants: tuple[str, ...]
) -> dict[str, list[float]]:
    """Generator steps/s per variant, one entry per interleaved repetition."""
    device = torch.device("cuda" if config.trainer.accelerator in ("gpu", "cuda") else "cpu")
    timers = {
        "template": lambda: time_lightning(config, GANModule, warmup, steps),
        "hand_loop": lambda: time_hand_loop(config, device, warmup, steps),
        "lightning_example": lambda: time_lightning(config, LightningExampleGAN, warmup, steps),
    }
    results: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name in variants:
            torch.manual_seed(0)
            results[name].append(timers[name]())
    return results


def summarize(results: dict[str, list[float]], batch_size: int) -> list[str]:
    """Markdown table: steps/s and images/s medians, and ratios to the hand loop (min / median / max)."""
    lines = [
        "| variant | gen steps/s (median) | images/s (median) | vs hand loop: min / median / max |",
        "|---|---|---|---|",
    ]
    reference = results.get("hand_loop")
    for name, rates in results.items():
        median = statistics.median(rates)
        ratio = "-"
        if reference and name != "hand_loop":
            ratios = sorted(r / h for r, h in zip(rates, reference, strict=True))
            ratio = f"{ratios[0]:.3f} / {statistics.median(ratios):.3f} / {ratios[-1]:.3f}"
        lines.append(f"| {name} | {median:.2f} | {median * batch_size:.0f} | {ratio} |")
    return lines
