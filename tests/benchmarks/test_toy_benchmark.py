"""``benchmark.py toy``: the PacGAN protocol's runs, alone or several at once, give the same numbers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from helpers import REPO

from gan_lightning.benchmarks.protocol import run_seeds
from gan_lightning.benchmarks.toy_modes import TOY
from gan_lightning.config.loading import ConfigError

SHORT = ["train.max_steps=12", "train.sample_every=0", "train.checkpoint_every=0"]


@pytest.mark.slow  # four toy trainings in two processes
def test_parallel_runs_match_sequential_ones(tmp_path: Path) -> None:
    """Two spawned workers (one thread each) reproduce in-process single-thread runs seed for seed."""
    config = REPO / "configs" / "toy_ring.yaml"
    parallel = run_seeds(TOY, config, 2, tmp_path / "parallel", SHORT, jobs=2)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        sequential = run_seeds(TOY, config, 2, tmp_path / "sequential", SHORT, jobs=1)
    finally:
        torch.set_num_threads(threads)
    for a, b in zip(parallel, sequential, strict=True):
        assert {k: a[k] for k in ("modes", "high_quality", "reverse_kl")} == {
            k: b[k] for k in ("modes", "high_quality", "reverse_kl")
        }
        assert a["seconds"] > 0
    assert parallel[0] != parallel[1]  # the seed reaches the run
    assert (tmp_path / "parallel" / "toy_ring" / "seed1" / "checkpoints" / "last.ckpt").is_file()


@pytest.mark.slow  # two toy trainings
def test_cli_prints_the_table_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "toy.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "benchmark.py"), "toy", "--seeds", "2", "--datasets", "grid",
         "--max-steps", "4", "--json", str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "| grid | gan-lightning (2 seeds) |" in done.stdout
    assert "| grid | PacGAN4 (PacGAN Table 1) |" in done.stdout
    runs = json.loads(out.read_text())["grid"]
    assert len(runs) == 2 and all(0 <= r["modes"] <= 25 and 0 <= r["high_quality"] <= 100 for r in runs)


def test_a_config_that_is_not_a_toy_mixture_fails_before_training(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"modes, high_quality, reverse_kl cannot score unconditional image data"):
        run_seeds(TOY, REPO / "configs" / "quickstart.yaml", 1, tmp_path, SHORT)
    assert not any(tmp_path.iterdir())
