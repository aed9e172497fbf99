#!/usr/bin/env python
"""Benchmarks that back the numbers quoted in the README and issue notes.

    python scripts/benchmark.py toy [--seeds 5] [--datasets ring grid] [--max-steps N]

``toy``: the PacGAN Table 1 protocol (Lin et al. 2018) on the shipped ``toy_ring`` / ``toy_grid``
configs: train one run per seed, draw 2,500 samples from the EMA generator, report modes
captured, % high-quality samples and reverse KL (mean ± standard error over seeds) and the wall
time per run, beside PacGAN's published rows.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from gan_lightning.checkpointing import load_module
from gan_lightning.config import load_config
from gan_lightning.data import TOY_STD, mode_centres
from gan_lightning.metrics import toy_mode_metrics
from gan_lightning.training import LAST_CHECKPOINT, fit

REPO = Path(__file__).resolve().parents[1]

PACGAN_TABLE1 = {  # method, modes, high-quality %, reverse KL (mean ± s.e. over 10 trials)
    "ring": [
        ("GAN", "6.3 ± 0.5", "98.2 ± 0.2", "0.45 ± 0.09"),
        ("PacGAN2", "7.9 ± 0.1", "95.6 ± 2.0", "0.07 ± 0.03"),
        ("PacGAN3", "7.8 ± 0.1", "97.7 ± 0.3", "0.10 ± 0.02"),
        ("PacGAN4", "7.8 ± 0.1", "95.9 ± 1.4", "0.07 ± 0.02"),
    ],
    "grid": [
        ("GAN", "17.3 ± 0.8", "94.8 ± 0.7", "0.70 ± 0.07"),
        ("PacGAN2", "23.8 ± 0.7", "91.3 ± 0.8", "0.13 ± 0.04"),
        ("PacGAN3", "24.6 ± 0.4", "94.2 ± 0.4", "0.06 ± 0.02"),
        ("PacGAN4", "24.8 ± 0.2", "93.6 ± 0.6", "0.04 ± 0.01"),
    ],
}


def mean_se(values: list[float]) -> str:
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return f"{mean:.2f} ± {se:.2f}"


def toy_run(dataset: str, seed: int, root: Path, overrides: list[str]) -> dict[str, float]:
    config = load_config(
        [REPO / "configs" / f"toy_{dataset}.yaml"],
        [
            f"seed={seed}",
            f"run.root={root}",
            "run.progress_bar=false",
            "run.version=seed" + str(seed),
            *overrides,
        ],
    )
    start = time.perf_counter()
    run_dir = fit(config)
    seconds = time.perf_counter() - start
    module = load_module(run_dir / LAST_CHECKPOINT)
    samples = module.to_data_space(module.sample(2500, generator=torch.Generator().manual_seed(10_000 + seed)))
    metrics = toy_mode_metrics(samples, mode_centres(dataset), TOY_STD[dataset])
    return {**metrics, "high_quality": 100 * metrics["high_quality"], "seconds": seconds}


def toy(args: argparse.Namespace) -> dict[str, object]:
    overrides = [f"train.max_steps={args.max_steps}"] if args.max_steps else []
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for dataset in args.datasets:
            runs = [toy_run(dataset, seed, Path(scratch), overrides) for seed in range(args.seeds)]
            for seed, run in enumerate(runs):
                print(f"{dataset} seed {seed}: " + ", ".join(f"{k}={v:.4g}" for k, v in run.items()), flush=True)
            results[dataset] = runs
    print()
    print("| data | method | modes | high-quality % | reverse KL | wall time / run (s) |")
    print("|---|---|---|---|---|---|")
    for dataset in args.datasets:
        runs = results[dataset]
        assert isinstance(runs, list)
        row = [mean_se([r[k] for r in runs]) for k in ("modes", "high_quality", "reverse_kl", "seconds")]
        print(f"| {dataset} | gan-lightning ({args.seeds} seeds) | " + " | ".join(row) + " |")
        for name, *published in PACGAN_TABLE1[dataset]:
            print(f"| {dataset} | {name} (PacGAN Table 1) | " + " | ".join(published) + " | |")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    toy_parser = commands.add_parser("toy", help="PacGAN Table 1 protocol on the 2D ring and grid")
    toy_parser.add_argument("--seeds", type=int, default=5)
    toy_parser.add_argument("--datasets", nargs="+", choices=["ring", "grid"], default=["ring", "grid"])
    toy_parser.add_argument("--max-steps", type=int, default=None, help="override train.max_steps")
    toy_parser.add_argument("--json", type=Path, help="also write the per-run results here")
    args = parser.parse_args(argv)
    results = {"toy": toy}[args.command](args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
