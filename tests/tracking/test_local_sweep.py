"""scripts/sweep.py: a local sweep with wandb's engine, crashed and early-stopped trials included."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import REPO

pytest.importorskip("sweeps")

TINY = {
    "train.batch_size": 16,
    "train.log_every": 2,
    "generator.width": 8,
    "discriminator.width": 8,
    "data.num_samples": 512,
}


def write_sweep(path: Path, method: str, metric: dict, parameters: dict, **extra: object) -> Path:
    params = {**{k: {"value": v} for k, v in TINY.items()}, **parameters}
    command = ["${env}", "${interpreter}", "${program}", "--config", "configs/toy_ring.yaml", "${args}"]
    sweep = {"program": "scripts/fit.py", "method": method, "metric": metric, "parameters": params}
    path.write_text(yaml.safe_dump({**sweep, **extra, "command": command}))
    return path


def run_sweep(sweep: Path, out: Path, count: int) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "scripts/sweep.py", str(sweep), "--count", str(count), "--out", str(out)]
    return subprocess.run([*command, "--poll-seconds", "0.2"], cwd=REPO, capture_output=True, text=True, timeout=240)


def results(out: Path) -> list[dict[str, str]]:
    with open(out / "results.csv", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.mark.slow  # several trials
def test_grid_sweep_reports_the_better_trial(tmp_path: Path) -> None:
    sweep = write_sweep(
        tmp_path / "grid.yaml",
        "grid",
        {"name": "toy/high_quality", "goal": "maximize"},
        {"g_optim.lr": {"values": [1e-3, 1e-5]}, "train.max_steps": {"value": 30}, "train.sample_every": {"value": 10}},
    )
    done = run_sweep(sweep, tmp_path / "out", count=4)  # the grid has only 2 points
    assert done.returncode == 0, done.stderr
    rows = results(tmp_path / "out")
    assert [(r["trial"], r["state"], r["g_optim.lr"]) for r in rows] == [
        ("trial-000", "finished", "0.001"),
        ("trial-001", "finished", "1e-05"),
    ]
    assert all(r["last_step"] == "30" and r["toy/high_quality"] for r in rows)
    better = max(rows, key=lambda r: float(r["toy/high_quality"]))
    assert f"**Best: {better['trial']}**" in done.stdout
    assert done.stdout.count("| trial | state |") == 1 and "g_optim.lr" in done.stdout
    assert (tmp_path / "out" / "results.md").read_text() in done.stdout


@pytest.mark.slow  # several trials
def test_hyperband_stops_a_worse_trial_and_a_crash_does_not_stop_the_sweep(tmp_path: Path) -> None:
    # train/g_lr with a constant schedule is the trial's learning rate: a metric whose ranking is known.
    sweep = write_sweep(
        tmp_path / "hyperband.yaml",
        "grid",
        {"name": "train/g_lr", "goal": "minimize"},
        {
            "g_optim.lr": {"values": [-1.0, 1e-4, 2e-4, 4e-3]},
            "g_optim.scheduler": {"value": "constant"},
            "train.max_steps": {"value": 200},
        },
        early_terminate={"type": "hyperband", "min_iter": 2, "eta": 2},
    )
    done = run_sweep(sweep, tmp_path / "out", count=4)
    assert done.returncode == 0, done.stderr
    rows = results(tmp_path / "out")
    assert [r["state"] for r in rows] == ["crashed", "finished", "finished", "stopped"]
    assert rows[0]["returncode"] == "2" and rows[1]["last_step"] == "200"
    assert int(rows[3]["last_step"]) < 200
    assert "trial-003 stopped early by hyperband" in done.stdout
    assert "**Best: trial-001**" in done.stdout
