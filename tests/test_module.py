"""The GAN training step: which weights each update touches, step counting, EMA, clipping, NaN."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import lightning as L
import pytest
import torch
from helpers import state_of, tiny_config, train

from gan_lightning.ema import make_ema_copy, standing_statistics, update_ema
from gan_lightning.losses import LOSSES
from gan_lightning.module import GANModule
from gan_lightning.steps.finite import NonFiniteLossError


def _weights(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def _same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("base", ["toy_ring", "quickstart"])
def test_every_loss_and_network_trains(tmp_path: Path, base: str, loss: str) -> None:
    config = tiny_config(tmp_path, base, **{"loss.name": loss, "train.max_steps": 3})
    run_dir = train(config)
    state = state_of(run_dir)
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())
    assert (run_dir / "samples" / "final.png").is_file()


class UpdateRecorder(L.Callback):
    """Snapshots G and D before each optimizer step and at the end of each training step."""

    def __init__(self) -> None:
        self.snapshots: list[tuple[str, list[torch.Tensor], list[torch.Tensor]]] = []

    def _snap(self, label: str, pl_module: Any) -> None:
        self.snapshots.append((label, _weights(pl_module.generator), _weights(pl_module.discriminator)))

    def on_before_optimizer_step(self, trainer: L.Trainer, pl_module: Any, optimizer: Any) -> None:
        opt_g, _ = pl_module.optimizers(use_pl_optimizer=False)
        self._snap("before_g" if optimizer is opt_g else "before_d", pl_module)

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: Any, *args: Any) -> None:
        self._snap("end", pl_module)


@pytest.mark.parametrize("base", ["toy_ring", "quickstart"])
def test_each_update_touches_only_its_network(tmp_path: Path, base: str) -> None:
    recorder = UpdateRecorder()
    config = tiny_config(tmp_path, base, **{"train.max_steps": 2, "train.n_critic": 2})
    train(config, callbacks=[recorder])
    labels = [label for label, _, _ in recorder.snapshots]
    assert labels == ["before_d", "before_d", "before_g", "end"] * 2
    for (label, g0, d0), (_, g1, d1) in zip(recorder.snapshots, recorder.snapshots[1:], strict=False):
        if label == "before_d":  # a D step happened between these snapshots
            assert _same(g0, g1) and not _same(d0, d1)
        elif label == "before_g":  # a G step happened
            assert _same(d0, d1) and not _same(g0, g1)


def test_generator_runs_once_per_discriminator_update(tmp_path: Path) -> None:
    calls: list[int] = []

    class CountForwards(L.Callback):
        def on_fit_start(self, trainer: L.Trainer, pl_module: Any) -> None:
            pl_module.generator.register_forward_hook(lambda *_: calls.append(1))

    config = tiny_config(tmp_path, "toy_ring", **{"train.max_steps": 4, "train.n_critic": 3, "train.sample_every": 0})
    train(config, callbacks=[CountForwards()])
    assert len(calls) == 4 * 3  # n_critic forwards per step; the G update reuses the last fake batch


def test_steps_are_counted_in_generator_steps(tmp_path: Path) -> None:
    config = tiny_config(tmp_path, "toy_ring", **{"train.max_steps": 6, "train.n_critic": 2})
    run_dir = train(config)
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)
    assert checkpoint["global_step"] == 6 * 3 and checkpoint["generator_step"] == 6
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [
        "gen_step=0000003.ckpt",
        "gen_step=0000006.ckpt",
        "last.ckpt",
    ]
    assert sorted(p.name for p in (run_dir / "samples").iterdir()) == [
        "final.png",
        "step_0000003.png",
        "step_0000006.png",
    ]
    with open(run_dir / "metrics.csv") as stream:
        rows = list(csv.DictReader(stream))
    logged = [row for row in rows if row.get("train/d_loss")]
    assert [int(row["step"]) for row in logged] == [2, 4, 6]  # the logger's step counts generator steps
    for key in ("g_loss", "d_real", "d_fake", "g_grad_norm", "d_grad_norm", "g_lr", "d_lr"):
        assert logged[-1][f"train/{key}"] != ""
    assert float(logged[-1]["train/images_per_sec"]) > 0
    toy = [row for row in rows if row.get("toy/modes")]
    assert len(toy) == 2 and 0 <= float(toy[-1]["toy/modes"]) <= 8


@pytest.mark.slow  # two identical trainings; exact resume and DDP tests also pin the seeds
def test_same_seed_same_weights(tmp_path: Path) -> None:
    first = state_of(train(tiny_config(tmp_path / "a", "quickstart")))
    second = state_of(train(tiny_config(tmp_path / "b", "quickstart")))
    other = state_of(train(tiny_config(tmp_path / "c", "quickstart", seed=1)))
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert not all(torch.equal(first[k], other[k]) for k in first if k.startswith("generator."))


# The test wraps each optimizer's step to record what it sees; PyTorch's scheduler notices the wrapper and warns.
@pytest.mark.filterwarnings("ignore:Seems like `optimizer.step\\(\\)` has been overridden:UserWarning")
def test_clipping_bounds_the_gradients_each_optimizer_sees(tmp_path: Path) -> None:
    seen: dict[str, list[float]] = {"g": [], "d": []}

    class RecordStepGradients(L.Callback):
        def on_train_start(self, trainer: L.Trainer, pl_module: Any) -> None:
            for name, optimizer in zip("gd", trainer.optimizers, strict=True):
                original = optimizer.step

                def step(closure: Any = None, _orig: Any = original, _name: str = name, _opt: Any = optimizer) -> Any:
                    def recording_closure() -> Any:
                        result = closure() if closure is not None else None  # runs on_before_optimizer_step
                        grads = [p.grad for group in _opt.param_groups for p in group["params"] if p.grad is not None]
                        if _name == "g":
                            seen[_name].append(float(torch.nn.utils.get_total_norm(grads)))
                        else:
                            seen[_name].append(max(float(g.abs().max()) for g in grads))
                        return result

                    return _orig(closure=recording_closure)

                optimizer.step = step

    config = tiny_config(
        tmp_path,
        "quickstart",
        **{"train.max_steps": 3, "g_optim.clip_norm": 1e-3, "d_optim.clip_value": 1e-4},
    )
    train(config, callbacks=[RecordStepGradients()])
    assert len(seen["g"]) == 3 and max(seen["g"]) <= 1e-3 * (1 + 1e-4)
    assert len(seen["d"]) == 3 and max(seen["d"]) <= 1e-4 * (1 + 1e-6)


def test_nan_loss_stops_with_step_and_keeps_last_good_checkpoint(tmp_path: Path) -> None:
    class PoisonAtStep(L.Callback):
        def on_train_batch_start(self, trainer: L.Trainer, pl_module: Any, batch: Any, batch_idx: int) -> None:
            if pl_module.generator_step == 4:  # the 5th step produces NaN fakes
                pl_module.generator.register_forward_hook(lambda module, args, out: out * float("nan"))

    config = tiny_config(tmp_path, "toy_ring", **{"train.max_steps": 8, "train.checkpoint_every": 2})
    with pytest.raises(NonFiniteLossError, match=r"non-finite loss at generator step 5: d_loss=nan"):
        train(config, callbacks=[PoisonAtStep()])
    run_dir = next((tmp_path / "toy_ring").iterdir())
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)
    assert checkpoint["generator_step"] == 4
    assert all(torch.isfinite(v).all() for v in checkpoint["state_dict"].values() if v.is_floating_point())


def test_ema_update_rule() -> None:
    live = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.BatchNorm1d(3))
    ema = make_ema_copy(live)
    assert not any(p.requires_grad for p in ema.parameters())
    before = _weights(ema)
    with torch.no_grad():
        for p in live.parameters():
            p.add_(1.0)
        live[1].running_mean.fill_(5.0)
    update_ema(ema, live, decay=0.75)
    for old, new, target in zip(before, _weights(ema), _weights(live), strict=True):
        assert torch.allclose(new, 0.75 * old + 0.25 * target)
    assert torch.equal(ema[1].running_mean, live[1].running_mean)
    update_ema(ema, live, decay=0.0)
    assert _same(_weights(ema), _weights(live))


def test_standing_statistics_average_every_batch_alike_and_leave_the_rest_as_it_was() -> None:
    torch.manual_seed(0)
    network = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4, momentum=0.3), torch.nn.Dropout(0.5))
    network.eval()
    batches = [torch.randn(8, 3) * (k + 1) + k for k in range(3)]  # batches of unlike statistics
    with standing_statistics(network):
        outputs = [network(batch) for batch in batches]
    with torch.no_grad():  # by hand: each batch's mean and unbiased variance of the linear layer, averaged
        pre = [network[0](batch) for batch in batches]
    torch.testing.assert_close(network[1].running_mean, torch.stack([x.mean(0) for x in pre]).mean(0))
    torch.testing.assert_close(network[1].running_var, torch.stack([x.var(0) for x in pre]).mean(0))
    assert network[1].momentum == 0.3 and not network[1].training and not network[2].training
    assert not any(o.requires_grad for o in outputs)
    # dropout stayed off: each output is the batch-normalised linear layer, no zeros
    assert all((o != 0).all() for o in outputs)


def test_ema_waits_for_its_start_step(tmp_path: Path) -> None:
    config = tiny_config(tmp_path, "toy_ring", **{"train.ema_start": 100, "train.ema_decay": 0.9})
    state = state_of(train(config))
    for key, value in state.items():
        if key.startswith("generator."):
            assert torch.equal(value, state["ema_generator." + key.removeprefix("generator.")])


def test_linear_schedule_reaches_zero(tmp_path: Path) -> None:
    config = tiny_config(tmp_path, "toy_ring", **{"g_optim.scheduler": "linear", "d_optim.scheduler": "cosine"})
    checkpoint = torch.load(train(config) / "checkpoints" / "last.ckpt", weights_only=False)
    lr_g = checkpoint["optimizer_states"][0]["param_groups"][0]["lr"]
    lr_d = checkpoint["optimizer_states"][1]["param_groups"][0]["lr"]
    assert lr_g == pytest.approx(0.0, abs=1e-12) and lr_d == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(("penalty", "key"), [("loss.gradient_penalty", "gradient_penalty"), ("loss.r1", "r1_penalty")])
def test_penalties_are_applied_and_logged(tmp_path: Path, penalty: str, key: str) -> None:
    config = tiny_config(tmp_path, "quickstart", **{penalty: 10.0, "loss.r1_interval": 2, "train.log_every": 1})
    run_dir = train(config)
    with open(run_dir / "metrics.csv") as stream:
        values = [row[f"train/{key}"] for row in csv.DictReader(stream) if row.get(f"train/{key}")]
    assert len(values) == 6 and all(float(v) >= 0 for v in values)
    if key == "r1_penalty":  # lazy R1 runs on every second D update; the log repeats the latest value
        assert values[0::2] == values[1::2] and len(set(values)) == 3


def test_module_restores_from_checkpoint_hyperparameters(tmp_path: Path) -> None:
    run_dir = train(tiny_config(tmp_path, "quickstart"))
    module = GANModule.load_from_checkpoint(run_dir / "checkpoints" / "last.ckpt", weights_only=False)
    assert module.data_shape == (1, 28, 28)
    samples = module.sample(5, generator=torch.Generator().manual_seed(0))
    assert samples.shape == (5, 1, 28, 28) and samples.min() >= -1 and samples.max() <= 1


def test_channels_last_and_compile_options_train(tmp_path: Path) -> None:
    config = tiny_config(tmp_path, "quickstart", **{"train.channels_last": "true", "train.max_steps": 2})
    state = state_of(train(config))
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())
    compiled = tiny_config(tmp_path / "c", "toy_ring", **{"train.compile": "true", "train.max_steps": 2})
    keys = state_of(train(compiled)).keys()
    assert not any("_orig_mod" in key for key in keys)  # in-place compile keeps checkpoint keys
