"""Values scheduled over a run (learning rate, Adam's beta2, the R1 / R2 weight, the EMA's half-life) and R2, against
hand computations of R3GAN's formulas."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from helpers import tiny_config, train
from torch import Tensor, nn

from gan_lightning.config.schema import LossConfig, OptimizerConfig, TrainConfig
from gan_lightning.ema import ema_decay
from gan_lightning.scheduling import build_scheduler, cosine, half_life_decay, schedule_beta2
from gan_lightning.steps.penalties import add_penalties, penalty_plan


def r3gan_cosine(start: float, end: float, step: int, steps: int) -> float:
    """R3GAN's ``cosine_decay_with_warmup`` without warm-up, written from its definition: the decay term first."""
    decay = 0.5 * (1 + math.cos(math.pi * step / steps))
    value = start + (1 - decay) * (end - start)
    return end if step > steps else value


@pytest.mark.parametrize("step", [0, 1, 25, 50, 99, 100, 130])
def test_cosine_is_r3gans_schedule(step: int) -> None:
    assert cosine(2e-4, 5e-5, step, 100) == pytest.approx(r3gan_cosine(2e-4, 5e-5, step, 100), rel=1e-12)
    assert cosine(0.0, 500.0, step, 100) == pytest.approx(r3gan_cosine(0.0, 500.0, step, 100), rel=1e-12, abs=1e-9)


def test_cosine_known_points() -> None:
    assert cosine(0.9, 0.99, 0, 10) == 0.9
    assert cosine(0.9, 0.99, 5, 10) == pytest.approx(0.945)
    assert cosine(0.9, 0.99, 10, 10) == pytest.approx(0.99) and cosine(0.9, 0.99, 20, 10) == pytest.approx(0.99)


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_learning_rate_decays_to_lr_end(kind: str) -> None:
    weight = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.Adam([weight], lr=2e-4)
    scheduler = build_scheduler(optimizer, kind, 8, 2e-4, 5e-5)
    seen = [optimizer.param_groups[0]["lr"]]
    for _ in range(10):
        optimizer.step()
        scheduler.step()
        seen.append(optimizer.param_groups[0]["lr"])
    by_hand = [
        5e-5
        + (2e-4 - 5e-5) * (max(0.0, 1 - s / 8) if kind == "linear" else 0.5 * (1 + math.cos(math.pi * min(s, 8) / 8)))
        for s in range(11)
    ]
    assert seen == pytest.approx(by_hand, rel=1e-12)
    assert seen[0] == 2e-4 and seen[8] == pytest.approx(5e-5) and seen[10] == pytest.approx(5e-5)


def test_lr_end_zero_keeps_the_decay_to_zero_bit_for_bit() -> None:
    """The schedules without ``lr_end`` are the ones the template always had: 1 - s/N, and 0.5 (1 + cos(pi s / N))."""
    weight = nn.Parameter(torch.zeros(1))
    for kind, factor in (
        ("linear", lambda s: max(0.0, 1.0 - s / 7)),
        ("cosine", lambda s: 0.5 * (1.0 + math.cos(math.pi * min(s, 7) / 7))),
    ):
        scheduler = build_scheduler(torch.optim.Adam([weight], lr=1.0), kind, 7, 1.0, 0.0)
        assert [scheduler.lr_lambdas[0](s) for s in range(9)] == [factor(s) for s in range(9)]


def test_beta2_follows_its_schedule_and_only_where_asked() -> None:
    weight = nn.Parameter(torch.zeros(1))
    scheduled = torch.optim.Adam([weight], betas=(0.0, 0.9))
    fixed = torch.optim.Adam([weight], betas=(0.5, 0.999))
    configs = (OptimizerConfig(betas=[0.0, 0.9], beta2_end=0.99), OptimizerConfig(betas=[0.5, 0.999]))
    schedule_beta2(zip((scheduled, fixed), configs, strict=True), 3, 12)
    assert scheduled.param_groups[0]["betas"] == (0.0, pytest.approx(r3gan_cosine(0.9, 0.99, 3, 12)))
    assert fixed.param_groups[0]["betas"] == (0.5, 0.999)


def test_ema_half_life_schedule() -> None:
    """StyleGAN's EMA: an old weight's share halves every ``half_life`` images, so ``decay ** (H / B) = 1/2``."""
    train_cfg = TrainConfig(batch_size=64, max_steps=100, ema_half_life=640.0)
    assert ema_decay(train_cfg, 0, 1) == 0.0  # half-life 0 at the start: a copy of G
    assert ema_decay(train_cfg, 100, 1) == pytest.approx(0.5**0.1)
    assert ema_decay(train_cfg, 100, 2) == pytest.approx(0.5**0.2)  # two ranks: twice the images per step
    assert ema_decay(train_cfg, 100, 1) ** (640 / 64) == pytest.approx(0.5)
    middle = ema_decay(train_cfg, 50, 1)
    assert middle == pytest.approx(0.5 ** (64 / 320))
    assert half_life_decay(0.0, 64) == 0.0
    assert ema_decay(TrainConfig(ema_decay=0.99, ema_start=3), 2, 1) == 0.0
    assert ema_decay(TrainConfig(ema_decay=0.99, ema_start=3), 3, 1) == 0.99


W = torch.tensor([1.0, -2.0, 2.0], dtype=torch.float64)  # ‖W‖² = 9


def _linear_plan(loss_cfg: LossConfig, update_index: int, train_cfg: TrainConfig) -> tuple:
    real = torch.randn(5, 3, dtype=torch.float64)
    fake = torch.randn(5, 3, dtype=torch.float64)
    plan = penalty_plan(loss_cfg, train_cfg, update_index, real, fake, lambda sampler, n: sampler(n))
    return plan, (plan.real @ W, plan.fake @ W)


def _penalised(loss_cfg: LossConfig, plan: object, logits: tuple[Tensor, Tensor]) -> tuple[Tensor, dict]:
    stats: dict[str, Tensor] = {}
    loss = add_penalties(
        torch.zeros((), dtype=torch.float64), stats, loss_cfg, lambda x: x @ W, logits, plan, lambda: None
    )
    return loss, stats


def test_r2_penalises_the_gradient_on_generated_samples() -> None:
    """A linear critic's input gradient is W everywhere: R2 = ‖W‖² = 9, weighted γ / 2."""
    loss_cfg = LossConfig(r2=2.0)
    plan, logits = _linear_plan(loss_cfg, 0, TrainConfig())
    assert plan.fake.requires_grad and not plan.real.requires_grad and plan.r1 == 0
    loss, stats = _penalised(loss_cfg, plan, logits)
    assert stats["r2_penalty"].item() == pytest.approx(9.0) and "r1_penalty" not in stats
    assert loss.item() == pytest.approx(0.5 * 2.0 * 9.0)


def test_r1_and_r2_together_lazily_and_scheduled() -> None:
    loss_cfg = LossConfig(r1=1.0, r2=3.0, r1_interval=2, penalty_end=0.1)
    train_cfg = TrainConfig(n_critic=2, max_steps=10)
    skipped, _ = _linear_plan(loss_cfg, 5, train_cfg)
    assert skipped.r1 == skipped.r2 == 0 and not skipped.real.requires_grad and not skipped.fake.requires_grad
    plan, logits = _linear_plan(loss_cfg, 8, train_cfg)  # D update 8: generator step 4 of 10
    factor = r3gan_cosine(1.0, 0.1, 4, 10)
    assert (plan.r1, plan.r2) == (pytest.approx(factor), pytest.approx(3 * factor))
    loss, stats = _penalised(loss_cfg, plan, logits)
    assert stats["r1_penalty"].item() == pytest.approx(9.0) and stats["r2_penalty"].item() == pytest.approx(9.0)
    assert loss.item() == pytest.approx(0.5 * 2 * 9.0 * (1 + 3) * factor)  # interval 2 scales the lazy penalties


@pytest.mark.slow
def test_a_run_follows_every_schedule(tmp_path: Path) -> None:
    """R3GAN's recipe of schedules through ``fit.py``'s path: the final learning rates and beta2 are the schedules'
    ends, R2 is logged, and the EMA generator is no longer a copy of G."""
    steps = 6
    config = tiny_config(tmp_path, "quickstart", **{
        "loss.name": "rpgan", "loss.r1": 0.5, "loss.r2": 0.5, "loss.penalty_end": 0.1, "g_optim.scheduler": "cosine",
        "g_optim.lr_end": 5e-5, "g_optim.betas": "[0.0,0.9]", "g_optim.beta2_end": 0.99, "train.ema_half_life": 64.0,
        "train.max_steps": steps, "train.log_every": 1,
    })  # fmt: skip
    checkpoint = torch.load(train(config) / "checkpoints" / "last.ckpt", weights_only=False)
    group = checkpoint["optimizer_states"][0]["param_groups"][0]
    assert group["lr"] == pytest.approx(5e-5)
    assert group["betas"][1] == pytest.approx(r3gan_cosine(0.9, 0.99, steps - 1, steps))  # set before the last step
    assert checkpoint["optimizer_states"][1]["param_groups"][0]["betas"][1] == 0.999  # D's left alone
    state = checkpoint["state_dict"]
    assert any(
        not torch.equal(state[k], state["ema_generator." + k[len("generator.") :]])
        for k in state
        if k.startswith("generator.")
    )
