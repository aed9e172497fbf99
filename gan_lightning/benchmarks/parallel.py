"""Run one benchmark function per seed, several at once in spawned processes when asked to, and what every protocol
needs of each seed's run: the config it is trained and scored with, its wall time, the untrained control (the
protocol itself, scoring included, is :mod:`gan_lightning.benchmarks.protocol`)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import torch

from gan_lightning.checkpointing import read_checkpoint
from gan_lightning.config.loading import load_config
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.module import GANModule
from gan_lightning.rng import seed_all
from gan_lightning.steps.clock import TRAIN_SECONDS
from gan_lightning.training import CONFIG_FILE, LAST_CHECKPOINT, build_module, find_resume_point, fit, new_run_dir


def map_runs(
    run: Callable[..., dict[str, float]], calls: Sequence[Sequence[Any]], jobs: int
) -> Iterator[dict[str, float]]:
    """``run(*call)`` for each of ``calls``, ``jobs`` at a time; results yielded in the order of ``calls``, each as
    soon as it and those before it are done (a benchmark prints its runs as they finish).

    One pool serves every call, so a worker free after one config takes the next config's run: with 2 jobs, 2 configs
    of 3 seeds take 3 rounds, not 4. Each process gets ``cores / jobs`` torch threads: small networks gain little from
    a second thread, and more threads than cores stall OpenMP, so on 2 cores two one-thread runs take half the time.
    """
    if jobs <= 1:
        yield from (run(*call) for call in calls)
        return
    threads = max(1, (os.cpu_count() or 1) // jobs)
    context = multiprocessing.get_context("spawn")  # fork would copy this process's torch thread pools
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=torch.set_num_threads, initargs=(threads,)) as pool:
        futures = [pool.submit(run, *call) for call in calls]
        yield from (future.result() for future in futures)


def map_seeds(run: Callable[..., dict[str, float]], seeds: int, jobs: int, *args: Any) -> list[dict[str, float]]:
    """``[run(*args, s) for s in range(seeds)]``, ``jobs`` at a time (:func:`map_runs`); results in seed order."""
    return list(map_runs(run, [(*args, seed) for seed in range(seeds)], jobs))


def run_seconds(run_dir: Path) -> float:
    """The run's training wall time, summed over every session that resumed it (the last checkpoint's
    :data:`~gan_lightning.steps.clock.TRAIN_SECONDS`). Checkpoints written before that count existed fall back on
    the files, from ``config.yaml`` (rewritten at each start) to the checkpoint: right for a run trained in one go."""

    checkpoint = run_dir / LAST_CHECKPOINT
    state = read_checkpoint(checkpoint)
    if TRAIN_SECONDS in state:
        return float(state[TRAIN_SECONDS])
    return os.path.getmtime(checkpoint) - os.path.getmtime(run_dir / CONFIG_FILE)


def train_or_finish(config: ExperimentConfig) -> Path:
    """Train ``config``'s run in ``<run.root>/<name>/<run.version>``, or finish the one an interrupted benchmark left
    there (resumed exactly, from its last checkpoint); a finished run is left as it is. Returns the run's folder.

    Every protocol trains through this, so a benchmark of hours can be stopped and started again without losing a run.
    """

    run_dir = new_run_dir(config)
    resume = find_resume_point(str(run_dir)) if (run_dir / LAST_CHECKPOINT).is_file() else None
    if resume is None or resume.generator_step < config.train.max_steps:
        fit(config, resume)
    return run_dir


def untrained_module(config: ExperimentConfig, datamodule: Any) -> GANModule:
    """The config's module at the initial weights of its seed, in eval mode: the untrained control every benchmark
    prints. The global generators are seeded first, so the control is the same whatever ran before it in the process
    (unseeded, the 3D-conv video generator's control moved between 560 and 577 frame FD from one benchmark to the
    next)."""

    seed_all(config.seed)
    return build_module(config, datamodule).eval()


def seed_run_config(
    config_path: Path, root: Path, overrides: Sequence[str], seed: int, scoring: Sequence[str] = ()
) -> ExperimentConfig:
    """The config of seed ``seed``'s run under ``root`` (``run.version=seed<seed>``), computing no metrics itself: the
    protocol scores it after training. ``scoring``, when given, are the overrides it is scored with, followed by
    ``overrides`` again so a user's override still wins."""

    return load_config(
        [config_path],
        [f"seed={seed}", f"run.root={root}", "run.progress_bar=false", f"run.version=seed{seed}", *overrides,
         "metrics.names=[]", *([*scoring, *overrides] if scoring else [])],
    )  # fmt: skip
