"""``benchmark.py timegan``: TimeGAN's protocol over seeds, beside an untrained generator and the real data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import POSTHOC, REPO, script, sines_by_hand

from gan_lightning.benchmarks.protocol import run_seeds
from gan_lightning.benchmarks.timegan_protocol import TIMEGAN
from gan_lightning.config.loading import ConfigError, load_config
from gan_lightning.metrics.sequence_quality import sequence_scores

TINY = ["train.max_steps=4", "train.batch_size=16", "train.sample_every=0", "train.checkpoint_every=0",
        "generator.width=8", "discriminator.width=8", "data.num_samples=128", "metrics.num_generated=128",
        "metrics.num_real=128", *POSTHOC]  # fmt: skip


@pytest.mark.slow  # two trainings and their scoring
def test_cli_prints_the_table_beside_timegans_rows_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Four training steps leave the generator near its initialisation: the benchmark must score its runs, like the
    untrained floor, far from a control (real sines against a second draw, same post-hoc settings) and their
    predictors worse than the real data's own row."""
    out = tmp_path / "timegan.json"
    assert script("benchmark").main(["timegan", "--seeds", "2", "--json", str(out), *TINY]) == 0
    printed = capsys.readouterr().out
    for row in (
        "| gan-lightning rnn_sines (2 seeds) |",
        "| untrained generator, same size |",
        "| real data (train and test on real) | – |",
        "| RCGAN (TimeGAN Table 2, sines) | .022 ± .008 |",
    ):
        assert row in printed, row  # fmt: skip
    result = json.loads(out.read_text())
    runs, controls = result["rnn_sines"], result["controls"]
    assert len(runs) == 2 and runs[0] != runs[1]  # the seed reaches the run
    assert all(run["seconds"] > 0 for run in runs)

    posthoc = load_config([REPO / "configs" / "rnn_sines.yaml"], TINY).metrics.timegan
    control = sequence_scores(sines_by_hand(128, seed=0), sines_by_hand(128, seed=1), ["discriminative"], posthoc)
    assert control["discriminative"] < 0.15
    real = controls["real data (train and test on real)"]
    for scores in (*runs, controls["untrained generator, same size"]):
        assert scores["discriminative"] > control["discriminative"] + 0.2
        assert scores["predictive"] > 1.2 * real["predictive"]


def test_a_config_that_is_not_sequence_data_fails_before_training(tmp_path: Path) -> None:
    """TimeGAN's scores declare the kinds they score: the config validator refuses them for image data."""
    with pytest.raises(ConfigError, match=r"discriminative, predictive cannot score unconditional image data"):
        run_seeds(TIMEGAN, REPO / "configs" / "quickstart.yaml", 1, tmp_path)
    assert not (tmp_path / "quickstart").exists()
