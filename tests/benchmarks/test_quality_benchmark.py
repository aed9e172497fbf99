"""``benchmark.py quality``: one run per seed, each final EMA generator evaluated as scripts/evaluate.py does."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO

EVALUATION = ["metrics.num_generated=64", "metrics.num_real=64", "metrics.kid_subset_size=32"]
TINY = ["train.max_steps=4", "train.batch_size=16", "generator.width=8", "discriminator.width=8",
        "train.sample_every=0", "train.checkpoint_every=0", "train.num_samples_grid=16", "metrics.names=[fid,kid,pr]",
        *EVALUATION]  # fmt: skip


@pytest.mark.slow  # `python -m pytest -m slow`; minutes of subprocesses, a script rather than a guarantee
def test_cli_trains_each_seed_evaluates_it_and_prints_lucic_rows(tmp_path: Path) -> None:
    out, root, cache = tmp_path / "quality.json", tmp_path / "runs", f"metrics.cache_dir={tmp_path / 'cache'}"

    def benchmark(*jobs: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(REPO / "scripts" / "benchmark.py"), "quality", "--config",
             str(REPO / "configs" / "quickstart.yaml"), "--seeds", "2", "--extractor", "mnist_classifier", *jobs,
             "--device", "cpu", "--root", str(root), "--json", str(out), *TINY, cache],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip

    done = benchmark("--jobs", "2")
    assert done.returncode == 0, done.stderr
    assert "| quickstart | " in done.stdout and "| WGAN | 6.7 ± 0.4 | 21.5 ± 1.6 | 55.2 ± 2.3 |" in done.stdout
    assert "(mnist_classifier FID: not comparable" in done.stdout
    runs = json.loads(out.read_text())["quickstart"]
    assert len(runs) == 2 and runs[0]["fid"] != runs[1]["fid"]  # the seed reaches the run
    for run in runs:
        assert {"fid", "kid", "precision", "recall", "seconds", "scoring_seconds"} <= run.keys()
        assert all(math.isfinite(v) for v in run.values())

    # The same number as scripts/evaluate.py gives for the kept checkpoint of seed 1.
    checkpoint = root / "quickstart" / "seed1" / "checkpoints" / "last.ckpt"
    evaluation = tmp_path / "evaluate.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "evaluate.py"), "--ckpt", str(checkpoint), "--metrics", "fid,kid,pr",
         "--extractor", "mnist_classifier", "--device", "cpu", "--json", str(evaluation), *EVALUATION, cache],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(evaluation.read_text())["metrics"]["fid"] == runs[1]["fid"]

    # Run again on the same root, as after an interruption: the finished runs are scored as they are, not retrained.
    trained = {seed: (root / "quickstart" / f"seed{seed}" / "checkpoints" / "last.ckpt").stat().st_mtime_ns
               for seed in (0, 1)}  # fmt: skip
    done = benchmark()
    assert done.returncode == 0, done.stderr
    again = json.loads(out.read_text())["quickstart"]
    assert [run["fid"] for run in again] == [run["fid"] for run in runs]
    assert [run["seconds"] for run in again] == [run["seconds"] for run in runs]
    for seed, mtime in trained.items():
        assert (root / "quickstart" / f"seed{seed}" / "checkpoints" / "last.ckpt").stat().st_mtime_ns == mtime
