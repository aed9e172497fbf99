"""Run one benchmark function per seed, several at once in spawned processes when asked to."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import torch


def map_seeds(run: Callable[..., dict[str, float]], seeds: int, jobs: int, *args: Any) -> list[dict[str, float]]:
    """``[run(*args, seed=s) for s in range(seeds)]``, ``jobs`` at a time; results in seed order.

    Each process gets ``cores / jobs`` torch threads: small networks gain little from a second thread,
    and more threads than cores stall OpenMP, so on 2 cores two one-thread runs take half the time.
    """
    if jobs <= 1:
        return [run(*args, seed=seed) for seed in range(seeds)]
    threads = max(1, (os.cpu_count() or 1) // jobs)
    context = multiprocessing.get_context("spawn")  # fork would copy this process's torch thread pools
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=torch.set_num_threads, initargs=(threads,)) as pool:
        futures = [pool.submit(run, *args, seed=seed) for seed in range(seeds)]
        return [future.result() for future in futures]
