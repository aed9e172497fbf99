"""Mixed precision with the manual GAN loop: bf16 autocast, and fp16 with a GradScaler.

Lightning maps ``16-mixed`` to bf16 on CPU, so the fp16 tests pass Lightning's own
``MixedPrecision`` plugin with a CPU ``GradScaler`` explicitly: the same code path a GPU run takes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import pytest
import torch
from helpers import state_of, tiny_config, train
from lightning.pytorch.plugins.precision import MixedPrecision

from gan_lightning.checkpointing import AtomicCheckpointIO


def _finite(state: dict[str, torch.Tensor]) -> bool:
    return all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())


@pytest.mark.parametrize(
    "extra",
    [
        {"loss.gradient_penalty": 10.0, "loss.name": "wasserstein"},
        {"loss.r1": 1.0, "discriminator.norm": "spectral", "g_optim.clip_norm": 1.0},
        {"augment.policy": "[color,translation,cutout]", "augment.ada": "true", "loss.r1": 1.0},
    ],
)
def test_bf16_mixed_trains_with_penalties(tmp_path: Path, extra: dict[str, object]) -> None:
    run_dir = train(tiny_config(tmp_path, "quickstart", **{"trainer.precision": "bf16-mixed", **extra}))
    assert _finite(state_of(run_dir))


def fp16_plugin(init_scale: float = 2.0**16) -> tuple[MixedPrecision, torch.amp.GradScaler]:
    scaler = torch.amp.GradScaler("cpu", init_scale=init_scale)
    return MixedPrecision("16-mixed", "cpu", scaler=scaler), scaler


class PoisonDiscriminatorGradient(L.Callback):
    """Makes one D parameter's (scaled) gradient infinite during the backward of one D update."""

    def __init__(self, step: int) -> None:
        self.step = step
        self.snapshots: dict[str, Any] = {}

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: Any, batch: Any, batch_idx: int) -> None:
        if pl_module.generator_step != self.step:
            return
        scaler = trainer.precision_plugin.scaler
        self.snapshots["before"] = (
            [p.detach().clone() for p in pl_module.discriminator.parameters()],
            [p.detach().clone() for p in pl_module.generator.parameters()],
            scaler.get_scale(),
        )
        param = next(pl_module.discriminator.parameters())
        handle = param.register_hook(lambda grad: torch.full_like(grad, float("inf")))
        self.snapshots["handle"] = handle

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: Any, *args: Any) -> None:
        if "handle" in self.snapshots and "after" not in self.snapshots:
            self.snapshots["handle"].remove()
            self.snapshots["after"] = (
                [p.detach().clone() for p in pl_module.discriminator.parameters()],
                [p.detach().clone() for p in pl_module.generator.parameters()],
                trainer.precision_plugin.scaler.get_scale(),
            )


def test_fp16_inf_gradient_skips_only_that_optimizer_and_halves_the_scale(tmp_path: Path) -> None:
    plugin, _ = fp16_plugin(init_scale=1024.0)
    poison = PoisonDiscriminatorGradient(step=2)
    config = tiny_config(tmp_path, "quickstart", **{"train.max_steps": 4, "loss.r1": 1.0})
    run_dir = train(config, callbacks=[poison], plugins=[AtomicCheckpointIO(), plugin], precision=None)
    d_before, g_before, scale_before = poison.snapshots["before"]
    d_after, g_after, scale_after = poison.snapshots["after"]
    assert all(torch.equal(a, b) for a, b in zip(d_before, d_after, strict=True))  # D step skipped
    assert not all(torch.equal(a, b) for a, b in zip(g_before, g_after, strict=True))  # G stepped
    assert scale_after == scale_before / 2
    assert _finite(state_of(run_dir))


def test_fp16_penalties_stay_finite_at_the_default_scale(tmp_path: Path) -> None:
    plugin, scaler = fp16_plugin()
    config = tiny_config(
        tmp_path,
        "quickstart",
        **{"train.max_steps": 3, "loss.r1": 1.0, "loss.gradient_penalty": 1.0, "discriminator.norm": "none"},
    )
    run_dir = train(config, plugins=[AtomicCheckpointIO(), plugin], precision=None)
    assert _finite(state_of(run_dir))
    assert scaler.get_scale() >= 2.0**15  # at most one overflow while the scale settles
