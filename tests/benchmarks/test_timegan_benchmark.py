"""``benchmark.py timegan``: TimeGAN's protocol over seeds, beside an untrained generator and the real data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO

from gan_lightning.benchmarks.timegan_protocol import benchmark_timegan
from gan_lightning.config import ConfigError

TINY = ["train.max_steps=4", "train.batch_size=16", "train.sample_every=0", "train.checkpoint_every=0",
        "generator.width=8", "discriminator.width=8", "data.num_samples=128", "metrics.num_generated=128",
        "metrics.num_real=128", "metrics.timegan.runs=2", "metrics.timegan.discriminative_iterations=5",
        "metrics.timegan.predictive_iterations=5"]  # fmt: skip


def test_cli_prints_the_table_beside_timegans_rows_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "timegan.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "benchmark.py"), "timegan", "--seeds", "2", "--json", str(out), *TINY],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for row in (
        "| gan-lightning rnn_sines (2 seeds) |",
        "| untrained generator, same size |",
        "| real data (train and test on real) | – |",
        "| RCGAN (TimeGAN Table 2, sines) | .022 ± .008 |",
    ):
        assert row in done.stdout, row  # fmt: skip
    result = json.loads(out.read_text())
    runs = result["runs"]
    assert len(runs) == 2 and runs[0] != runs[1]  # the seed reaches the run
    for run in runs:
        assert 0 <= run["discriminative"] <= 0.5 and run["predictive"] > 0 and run["seconds"] > 0
    assert result["real_data"]["predictive"] > 0


def test_a_config_that_is_not_sequence_data_fails_before_training(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not sequence data"):
        benchmark_timegan(REPO / "configs" / "quickstart.yaml", 1, tmp_path, ["metrics.names=[]"])
    assert not (tmp_path / "quickstart").exists()
