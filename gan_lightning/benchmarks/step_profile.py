"""Where a training step's time goes: ``torch.profiler`` over a few steps of any config, as ``scripts/fit.py`` runs it.

The run is the real one (:func:`gan_lightning.training.fit`: the same module, data, precision and Trainer) with no
metrics, pictures or checkpoints inside the window. After ``warmup`` steps a callback profiles ``steps`` generator steps
and splits their wall time into the module's phases (:data:`gan_lightning.steps.phases.PHASES`, ``record_function``
ranges): G's forward for D's steps, the D updates (within them: the penalties' extra pass and input gradient, and D's
backward and optimizer step), the G update and the EMA; what is left is Lightning's loop, data loading and logging.
Then the operators that took the most time of their own (self time) across the window.

On a GPU the phase times are the CPU's: kernel launches and the waits at synchronising calls; the operator table then
adds each operator's own device time.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from typing import Any

import lightning as L
import torch
from torch.profiler import ProfilerActivity, profile

from gan_lightning.config.loading import load_config
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.steps.phases import PHASE_D_BACKWARD, PHASE_PENALTY, PHASES
from gan_lightning.training import fit

NESTED = {PHASE_PENALTY, PHASE_D_BACKWARD}
"""Phases inside the D update: the table shows them as parts of it, and they are not added to the total twice."""
TOP_OPERATORS = 12


class StepProfiler(L.Callback):
    """Profiles generator steps ``warmup`` to ``warmup + steps - 1`` (counted from the start of this run)."""

    def __init__(self, warmup: int, steps: int) -> None:
        self.warmup, self.steps = warmup, steps
        self.batches = 0
        self.profiler: profile | None = None
        self.started = 0.0
        self.seconds = 0.0

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, index: int) -> None:
        if self.batches == self.warmup:
            activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if pl_module.device.type == "cuda" else [])
            self.profiler = profile(activities=activities)
            self.profiler.__enter__()
            self.started = time.perf_counter()

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, index: int
    ) -> None:
        self.batches += 1
        if self.profiler is not None and self.batches == self.warmup + self.steps:
            if pl_module.device.type == "cuda":
                torch.cuda.synchronize(pl_module.device)
            self.seconds = time.perf_counter() - self.started
            self.profiler.__exit__(None, None, None)


def profile_config(config_paths: Sequence[str], overrides: Sequence[str], warmup: int, steps: int) -> dict[str, Any]:
    """Train ``warmup + steps`` generator steps of the config and profile the last ``steps``: the wall time per step,
    each phase's time per step and share, and the operators with the most self time."""
    if warmup < 1 or steps < 1:
        raise ValueError(f"--warmup {warmup} and --steps {steps}: profile at least one step after at least one")
    quiet = ["train.sample_every=0", "train.checkpoint_every=0", "metrics.names=[]", "run.progress_bar=false"]
    with tempfile.TemporaryDirectory() as scratch:
        config: ExperimentConfig = load_config(
            list(config_paths), [*overrides, *quiet, f"train.max_steps={warmup + steps}", f"run.root={scratch}"]
        )
        profiler = StepProfiler(warmup, steps)
        fit(config, callbacks=[profiler])
    if profiler.profiler is None:
        raise RuntimeError("the profiled steps never ran")
    events = profiler.profiler.key_averages()
    step_ms = profiler.seconds * 1e3 / steps
    phases = {e.key: e.cpu_time_total / 1e3 / steps for e in events if e.key in PHASES}
    calls = {e.key: e.count / steps for e in events if e.key in PHASES}
    counted = sum(ms for name, ms in phases.items() if name not in NESTED)
    device = any(e.self_device_time_total for e in events)
    operators = sorted((e for e in events if e.key not in PHASES), key=lambda e: -e.self_cpu_time_total)
    return {
        "config": config.name,
        "device": str(torch.cuda.get_device_name(0)) if device else f"cpu, {torch.get_num_threads()} threads",
        "steps": steps,
        "step_ms": step_ms,
        "phases_ms": {name: phases.get(name, 0.0) for name in PHASES},
        "phase_calls_per_step": {name: calls.get(name, 0.0) for name in PHASES},
        "other_ms": max(step_ms - counted, 0.0),
        "operators": [
            {
                "name": e.key,
                "calls_per_step": e.count / steps,
                "self_cpu_ms": e.self_cpu_time_total / 1e3 / steps,  # the profiler counts microseconds
                **({"self_device_ms": e.self_device_time_total / 1e3 / steps} if device else {}),
            }
            for e in operators[:TOP_OPERATORS]
        ],
    }


def summarize(result: dict[str, Any]) -> list[str]:
    """The phase table and the operator table, in markdown."""
    step = result["step_ms"]
    lines = [
        f"{result['config']}: {result['steps']} generator steps on {result['device']}, {step:.1f} ms per step",
        "",
        "| phase | calls / step | ms / step | share of the step |",
        "|---|---|---|---|",
    ]
    for name, ms in result["phases_ms"].items():
        label = f"&nbsp;&nbsp;of which {name}" if name in NESTED else name
        lines.append(f"| {label} | {result['phase_calls_per_step'][name]:g} | {ms:.2f} | {ms / step:.1%} |")
    lines.append(
        f"| other (Lightning's loop, data, logging) | | {result['other_ms']:.2f} | {result['other_ms'] / step:.1%} |"
    )
    device = "self_device_ms" in (result["operators"] or [{}])[0]
    lines += ["", "| operator | calls / step | self CPU ms / step" + (" | self device ms / step |" if device else " |")]
    lines.append("|---|---|---|" + ("---|" if device else ""))
    for op in result["operators"]:
        extra = f" {op['self_device_ms']:.2f} |" if device else ""
        lines.append(f"| {op['name']} | {op['calls_per_step']:.1f} | {op['self_cpu_ms']:.2f} |{extra}")
    return lines
