"""Run a wandb sweep YAML on this machine, without a wandb server.

wandb's own sweep engine (the ``sweeps`` package, what the wandb server runs) proposes each
trial with ``next_run`` and judges early termination with ``stop_runs``; each trial is
``scripts/fit.py`` in a subprocess, one at a time. A trial reports its metric through the
``metrics.csv`` of its run directory, which the CSV logger writes row by row: the runner reads
it while the trial runs, gives the engine the history, and terminates a trial that hyperband
marks for stopping. Trials run with ``WANDB_MODE=offline`` unless the environment sets a mode.
"""

from __future__ import annotations

import csv
import math
import os
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gan_lightning.sweep.command import trial_command

with warnings.catch_warnings():  # sweeps 0.3 declares a pydantic-1 config key; harmless, but noisy
    warnings.filterwarnings("ignore", message="Valid config keys have changed in V2")
    from sweeps import RunState, SweepConfig, SweepRun, next_run, stop_runs

STOP_GRACE_SECONDS = 10.0
"""How long a trial asked to stop (SIGTERM) may take before it is killed."""


@dataclass
class Trial:
    """One fit run of the sweep and what the runner learned about it."""

    name: str
    params: dict[str, Any]
    command: list[str]
    log: Path
    state: str = "pending"
    """finished | stopped (early termination) | crashed."""
    returncode: int | None = None
    run_dir: Path | None = None
    history: list[dict[str, float]] = field(default_factory=list)

    def metric_values(self, metric: str) -> list[float]:
        return [row[metric] for row in self.history if math.isfinite(row[metric])]

    def best(self, metric: str, goal: str) -> float | None:
        """The trial's best finite value of the metric, as the wandb sweep engine ranks runs."""
        values = self.metric_values(metric)
        if not values:
            return None
        return max(values) if goal == "maximize" else min(values)

    @property
    def last_step(self) -> int | None:
        return int(self.history[-1]["step"]) if self.history else None


def load_sweep(config: dict[str, Any]) -> dict[str, Any]:
    """The YAML validated against wandb's sweep schema (raises ``jsonschema.ValidationError``)."""
    return dict(SweepConfig(config))


def read_history(run_dir: Path | None, metric: str) -> list[dict[str, float]]:
    """``{"step": s, metric: v}`` for every row of ``metrics.csv`` that logged the metric."""
    if run_dir is None or not (run_dir / "metrics.csv").is_file():
        return []
    with open(run_dir / "metrics.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    return [
        {"step": float(row.get("step") or "nan"), metric: float(row[metric])}
        for row in rows
        if row.get(metric) not in (None, "")
    ]


class LocalSweep:
    """Runs up to ``count`` trials of ``sweep`` and keeps every trial's outcome in :attr:`trials`."""

    def __init__(self, sweep: dict[str, Any], out_dir: Path, poll_seconds: float = 2.0) -> None:
        self.sweep = load_sweep(sweep)
        self.out_dir = out_dir
        self.poll_seconds = poll_seconds
        self.metric: str = self.sweep["metric"]["name"]
        self.goal: str = self.sweep["metric"].get("goal", "minimize")
        self.trials: list[Trial] = []
        self._runs: list[SweepRun] = []

    def run(self, count: int) -> list[Trial]:
        """Run trials until ``count`` have run or the search space is exhausted (grid)."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for index in range(count):
            suggestion = next_run(self.sweep, self._runs)
            if suggestion is None:
                print(f"sweep: search space exhausted after {index} trials")
                break
            params = {key: spec["value"] for key, spec in suggestion.config.items()}
            self._run_trial(f"trial-{index:03d}", params, suggestion.config)
        return self.trials

    def _run_trial(self, name: str, params: dict[str, Any], engine_config: dict[str, Any]) -> None:
        outputs = [f"--run.root={self.out_dir / 'runs'}", f"--run.version={name}", "--run.progress_bar=false"]
        trial = Trial(name, params, trial_command(self.sweep, params) + outputs, self.out_dir / f"{name}.log")
        record = SweepRun(name=name, config=engine_config, state=RunState.running)
        self.trials.append(trial)
        self._runs.append(record)
        print(f"sweep: {name} " + " ".join(f"{k}={v}" for k, v in params.items()), flush=True)
        env = {**os.environ, "WANDB_MODE": os.environ.get("WANDB_MODE", "offline")}
        with open(trial.log, "w") as log:
            process = subprocess.Popen(trial.command, stdout=log, stderr=subprocess.STDOUT, env=env)
            stopped = False
            while process.poll() is None:
                time.sleep(self.poll_seconds)
                self._observe(trial, record)
                if not stopped and self._should_stop(record):
                    print(f"sweep: {name} stopped early by hyperband at step {trial.last_step}", flush=True)
                    _stop(process)
                    stopped = True
        trial.returncode = process.returncode
        self._observe(trial, record)
        if stopped:
            trial.state, record.state = "stopped", RunState.killed
        elif process.returncode == 0:
            trial.state, record.state = "finished", RunState.finished
        else:
            trial.state, record.state = "crashed", RunState.crashed
            print(f"sweep: {name} crashed (exit code {process.returncode}); see {trial.log}", flush=True)

    def _observe(self, trial: Trial, record: SweepRun) -> None:
        if trial.run_dir is None:
            found = sorted((self.out_dir / "runs").glob(f"*/{trial.name}"))
            trial.run_dir = found[0] if found else None
        trial.history = read_history(trial.run_dir, self.metric)
        record.history = [{self.metric: row[self.metric]} for row in trial.history]

    def _should_stop(self, record: SweepRun) -> bool:
        if "early_terminate" not in self.sweep:
            return False
        return any(run.name == record.name for run in stop_runs(self.sweep, self._runs))

    def best(self) -> Trial | None:
        """The trial with the best metric; a trial stopped early counts with what it reached."""
        scored = [t for t in self.trials if t.best(self.metric, self.goal) is not None]
        if not scored:
            return None
        sign = 1 if self.goal == "maximize" else -1
        return max(scored, key=lambda t: sign * t.best(self.metric, self.goal))  # type: ignore[operator]


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
