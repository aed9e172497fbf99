"""``benchmark.py profile``: a real run's steps split into the module's phases, counted as the config says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import REPO, script

from gan_lightning.benchmarks.step_profile import profile_config
from gan_lightning.steps.phases import PHASES

TOY = [str(REPO / "configs" / "toy_ring.yaml")]
SMALL = ["generator.width=16", "discriminator.width=16", "train.batch_size=32"]


def test_each_phase_runs_as_often_as_the_config_asks_and_fits_in_the_step() -> None:
    result = profile_config(
        TOY, [*SMALL, "train.n_critic=3", "loss.name=wasserstein", "loss.gradient_penalty=10"], 2, 4
    )
    calls = result["phase_calls_per_step"]
    assert calls == {
        "gan.generate": 3.0,  # G runs once per D update; the G update reuses the last batch
        "gan.d_update": 3.0,
        "gan.penalty": 3.0,
        "gan.d_backward": 3.0,
        "gan.g_update": 1.0,
        "gan.ema": 1.0,
    }
    phases = result["phases_ms"]
    assert all(phases[name] > 0 for name in PHASES)
    top = phases["gan.generate"] + phases["gan.d_update"] + phases["gan.g_update"] + phases["gan.ema"]
    assert top <= result["step_ms"] * 1.05  # the profiler's ranges lie within the measured wall time
    assert phases["gan.penalty"] + phases["gan.d_backward"] <= phases["gan.d_update"] * 1.05  # parts of it
    assert result["operators"] and all(op["self_cpu_ms"] >= 0 for op in result["operators"])


def test_without_a_penalty_there_is_no_penalty_phase() -> None:
    result = profile_config(TOY, [*SMALL, "loss.gradient_penalty=0", "loss.r1=0"], 1, 2)
    assert result["phase_calls_per_step"]["gan.penalty"] == 0.0 and result["phases_ms"]["gan.penalty"] == 0.0


def test_cli_prints_the_tables_and_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "profile.json"
    arguments = ["profile", "--config", TOY[0], "--warmup", "1", "--steps", "2", "--json", str(out), *SMALL]
    assert script("benchmark").main(arguments) == 0
    printed = capsys.readouterr().out
    assert "| gan.d_update |" in printed and "| operator | calls / step |" in printed
    assert json.loads(out.read_text())["steps"] == 2
    with pytest.raises(
        SystemExit, match=r"^error: --warmup 0 and --steps 2: profile at least one step after at least one$"
    ):
        script("benchmark").main(["profile", "--config", TOY[0], "--warmup", "0", "--steps", "2"])
    with pytest.raises(SystemExit, match=r"^error: .*generator\.width"):
        script("benchmark").main(["profile", "--config", TOY[0], "generator.width=-3"])
