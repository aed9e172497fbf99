"""Sample quality of a config over seeds: train one run per seed, evaluate each final EMA generator once.

The protocol of Lucic et al. 2018 ("Are GANs Created Equal?"), whose best FID per model after a
large search is printed beside the results (:data:`LUCIC_2018`): FID of 10,000 generated vs the
10,000 test images with Inception features (grey tiled to 3 channels), i.e. the shipped
Fashion-MNIST config's ``metrics`` section. Training runs without in-training metrics (so the
wall time is training alone and the end is not evaluated twice); the evaluation uses the config's
``metrics`` settings (names, extractor, counts, split) with the same code as ``scripts/evaluate.py``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import torch

from gan_lightning.benchmarks.parallel import map_seeds, run_seconds, seed_run_config, train_or_finish
from gan_lightning.checkpointing import load_module
from gan_lightning.config import load_config
from gan_lightning.metrics.features import FeatureSuite
from gan_lightning.metrics.suite import latent_samples
from gan_lightning.training import LAST_CHECKPOINT, prepare_data

DEFAULT_METRICS = ("fid", "kid", "pr")
"""Evaluated when the config's ``metrics.names`` is empty."""

LUCIC_2018: dict[str, tuple[str, str, str]] = {
    # model: best FID on MNIST, Fashion-MNIST, CIFAR-10 (Lucic et al. 2018; ../shared/REFERENCES.md)
    "MM GAN": ("9.8 ± 0.9", "29.6 ± 1.6", "72.7 ± 3.6"),
    "NS GAN": ("6.8 ± 0.5", "26.5 ± 1.6", "58.5 ± 1.9"),
    "LSGAN": ("7.8 ± 0.6", "30.7 ± 2.2", "87.1"),
    "WGAN": ("6.7 ± 0.4", "21.5 ± 1.6", "55.2 ± 2.3"),
    "WGAN GP": ("20.3 ± 5.0", "24.5 ± 2.1", "55.8 ± 0.9"),
    "DRAGAN": ("7.6 ± 0.4", "27.7 ± 1.2", "69.8 ± 2.0"),
    "BEGAN": ("13.1 ± 1.0", "22.9 ± 0.9", "71.4 ± 1.6"),
}
LUCIC_DATASETS = ("MNIST", "Fashion-MNIST", "CIFAR-10")


def quality_run(
    config_path: Path, root: Path, overrides: Sequence[str], device: torch.device, seed: int
) -> dict[str, float]:
    """Train (or finish) ``config_path`` with ``seed`` under ``root``; the final EMA generator's metrics, the
    training wall time summed over every session that trained it, and the evaluation's."""
    evaluation = load_config([config_path], [*overrides, f"seed={seed}"])  # validated before anything is trained
    if not evaluation.metrics.names:
        evaluation.metrics.names = list(DEFAULT_METRICS)
    config = seed_run_config(config_path, root, overrides, seed)
    names = evaluation.metrics.names  # missing weights fail before training:
    suite = FeatureSuite.build(names, evaluation, prepare_data(evaluation), root)
    run_dir = train_or_finish(config)  # an interrupted benchmark resumes its runs exactly; a finished run is scored
    module = load_module(run_dir / LAST_CHECKPOINT, map_location=str(device))
    suite.setup(device)
    num = evaluation.metrics.num_generated
    start = time.perf_counter()
    values = suite.evaluate(module, latent_samples(module, num, evaluation.seed), 0).values
    return {**values, "train_seconds": run_seconds(run_dir), "eval_seconds": time.perf_counter() - start}


def benchmark_quality(
    config_path: Path,
    seeds: int,
    root: Path,
    overrides: Sequence[str] = (),
    device: torch.device | None = None,
    jobs: int = 1,
) -> list[dict[str, float]]:
    """One :func:`quality_run` per seed ``0 … seeds-1``, ``jobs`` at a time (on a CPU); results in seed order."""
    device = device or torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return map_seeds(quality_run, seeds, jobs, config_path, root, overrides, device)
