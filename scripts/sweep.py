#!/usr/bin/env python
"""Run a wandb sweep YAML (configs/sweeps/) locally, or on the wandb server with --wandb.

    python scripts/sweep.py configs/sweeps/toy_ring_grid.yaml --count 4        # no server needed
    python scripts/sweep.py configs/sweeps/toy_ring_random.yaml --count 20 --wandb --project gan

Locally, wandb's own sweep engine (the `sweeps` package) proposes every trial and applies the
YAML's early termination; each trial is scripts/fit.py in a subprocess, run from the current
directory (the repository root, as for `wandb agent`). Results: <out>/results.csv, results.md
(also printed), one log and run directory per trial. Exit codes: 0 done, 2 bad sweep file.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sweep", type=Path, help="a wandb sweep YAML, e.g. configs/sweeps/toy_ring_grid.yaml")
    parser.add_argument("--count", type=int, default=10, help="number of trials (default 10)")
    parser.add_argument("--out", type=Path, help="results folder (default runs/sweeps/<sweep>/<time>)")
    parser.add_argument("--poll-seconds", type=float, default=2.0, help="how often a running trial is checked")
    parser.add_argument("--wandb", action="store_true", help="create the sweep on the server and run `wandb agent`")
    parser.add_argument("--project", help="wandb project for --wandb (default: the YAML's, else WANDB_PROJECT)")
    parser.add_argument("--entity", help="wandb entity for --wandb")
    return parser.parse_args(argv)


def run_local(config: dict[str, Any], args: argparse.Namespace) -> int:
    from gan_lightning.sweep.local import LocalSweep
    from gan_lightning.sweep.report import markdown, write_csv

    out = args.out or Path("runs") / "sweeps" / args.sweep.stem / time.strftime("%Y%m%d-%H%M%S")
    sweep = LocalSweep(config, out, args.poll_seconds)
    sweep.run(args.count)
    write_csv(sweep, out / "results.csv")
    table = markdown(sweep)
    (out / "results.md").write_text(table, encoding="utf-8")
    print(table)
    print(f"results: {out / 'results.csv'}, {out / 'results.md'}")
    return 0


def run_wandb(config: dict[str, Any], args: argparse.Namespace) -> int:
    import wandb

    from gan_lightning.wandb_logging import DEFAULT_PROJECT

    project = args.project or config.get("project") or wandb.env.get_project() or DEFAULT_PROJECT
    sweep_id = wandb.sweep(config, project=project, entity=args.entity)
    agent = [sys.executable, "-m", "wandb", "agent", "--count", str(args.count), "--project", project]
    agent += ["--entity", args.entity] if args.entity else []
    return subprocess.call([*agent, sweep_id])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        with open(args.sweep, encoding="utf-8") as stream:
            config = yaml.safe_load(stream)
    except (OSError, yaml.YAMLError) as error:
        print(f"error: cannot read sweep file {args.sweep}: {error}", file=sys.stderr)
        return 2
    if args.wandb:
        return run_wandb(config, args)
    from jsonschema import ValidationError

    try:
        return run_local(config, args)
    except ValidationError as error:
        print(f"error: {args.sweep} is not a valid wandb sweep: {error.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
