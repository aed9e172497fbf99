"""The results of a local sweep: one CSV row and one markdown table row per trial, and the best config."""

from __future__ import annotations

import csv
import shlex
from pathlib import Path

from gan_lightning.sweep.command import agent_args
from gan_lightning.sweep.local import LocalSweep, Trial


def _value(trial: Trial, sweep: LocalSweep) -> str:
    best = trial.best(sweep.metric, sweep.goal)
    return "" if best is None else f"{best:.4g}"


def write_csv(sweep: LocalSweep, path: Path) -> None:
    params = _param_names(sweep)
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["trial", "state", *params, sweep.metric, "last_step", "returncode", "run_dir"])
        for t in sweep.trials:
            writer.writerow(
                [t.name, t.state, *(t.params.get(p, "") for p in params), _value(t, sweep), t.last_step or "",
                 t.returncode, t.run_dir or ""]
            )  # fmt: skip


def markdown(sweep: LocalSweep) -> str:
    """A table of all trials (best metric value reached, by the sweep's goal) and the best command."""
    params = _param_names(sweep)
    header = ["trial", "state", *params, f"{sweep.metric} ({sweep.goal})", "steps"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for t in sweep.trials:
        cells = [t.name, t.state, *(str(t.params.get(p, "")) for p in params), _value(t, sweep), str(t.last_step or "")]
        lines.append("| " + " | ".join(cells) + " |")
    best = sweep.best()
    if best is None:
        lines += ["", f"No trial logged a finite {sweep.metric}."]
    else:
        command = [w for w in best.command if not w.startswith("--run.")]
        lines += [
            "",
            f"**Best: {best.name}** ({sweep.metric} = {_value(best, sweep)}): " + " ".join(agent_args(best.params)),
            "",
            "```",
            shlex.join(command),
            "```",
        ]
    return "\n".join(lines) + "\n"


def _param_names(sweep: LocalSweep) -> list[str]:
    names: list[str] = []
    for trial in sweep.trials:
        names += [k for k in trial.params if k not in names]
    return names
