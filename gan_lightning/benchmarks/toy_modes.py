"""The PacGAN Table 1 protocol (Lin et al. 2018) on the 2-D ring and grid.

One training run per seed from a shipped toy config, then 2,500 samples from the EMA generator
scored by the points kind's mode metrics (:meth:`PointsKind.mode_metrics`): modes captured, % high-quality
samples (within 3 std of the nearest centre) and the reverse KL of the mode histogram to uniform. Runs are
independent, so ``jobs > 1`` trains that many at once in spawned processes, each with its share of the CPU threads
(small MLPs gain little from more than one thread, so this is the fast way to run 5 seeds).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from gan_lightning.benchmarks.parallel import map_seeds, run_seconds, train_or_finish
from gan_lightning.checkpointing import load_module
from gan_lightning.config import ConfigError, load_config
from gan_lightning.data import build_datamodule
from gan_lightning.kinds import kind_class
from gan_lightning.kinds.points import PointsKind
from gan_lightning.training import LAST_CHECKPOINT

SAMPLES = 2500
SAMPLE_SEED = 10_000  # + the run's seed: the evaluation draw never reuses a training seed


def toy_run(config_path: Path, root: Path, overrides: Sequence[str], seed: int) -> dict[str, float]:
    """Train (or finish) ``config_path`` with ``seed`` under ``root`` and score 2,500 EMA samples; adds the training
    wall time, summed over every session that trained it."""
    config = load_config(
        [config_path],
        [f"seed={seed}", f"run.root={root}", "run.progress_bar=false", f"run.version=seed{seed}", *overrides],
    )
    if kind_class(build_datamodule(config).kind_name) is not PointsKind:  # fails here, before training
        raise ConfigError(
            f"data.name={config.data.name} is not 2-D point data; the toy protocol needs toy_ring or toy_grid"
        )
    run_dir = train_or_finish(config)
    module = load_module(run_dir / LAST_CHECKPOINT)
    samples = module.to_data_space(module.sample(SAMPLES, generator=torch.Generator().manual_seed(SAMPLE_SEED + seed)))
    metrics = module.kind.mode_metrics(samples)
    return {**metrics, "high_quality": 100 * metrics["high_quality"], "seconds": run_seconds(run_dir)}


def benchmark_toy(
    config_path: Path, seeds: int, root: Path, overrides: Sequence[str] = (), jobs: int = 1
) -> list[dict[str, float]]:
    """One :func:`toy_run` per seed ``0 … seeds-1``, ``jobs`` at a time; results in seed order."""
    return map_seeds(toy_run, seeds, jobs, config_path, root, overrides)
