"""Mode metrics on hand-built sample sets; a toy run's log of them and ``scripts/evaluate.py``'s score of its
checkpoint, through the metric registry."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from helpers import script, tiny_config, train

from gan_lightning.data.toy2d import mode_centres
from gan_lightning.metrics import toy_mode_metrics
from gan_lightning.metrics.suite import MetricError, fitting_metrics
from gan_lightning.metrics.toy_modes import MODE_METRICS, ToyModeSuite


def test_perfect_uniform_samples() -> None:
    centres = mode_centres("ring")
    samples = centres.repeat(10, 1)
    metrics = toy_mode_metrics(samples, centres, std=0.01)
    assert metrics == {"modes": 8.0, "high_quality": 1.0, "reverse_kl": 0.0}


def test_collapsed_and_off_mode_samples() -> None:
    centres = mode_centres("ring")
    good = centres[:2].repeat_interleave(torch.tensor([30, 10]), dim=0)
    far = torch.zeros(10, 2)  # the circle's centre is 1.0 away from every mode
    metrics = toy_mode_metrics(torch.cat([good, far]), centres, std=0.01)
    assert metrics["modes"] == 2.0
    assert metrics["high_quality"] == 0.8
    assert math.isclose(metrics["reverse_kl"], 0.75 * math.log(0.75 * 8) + 0.25 * math.log(0.25 * 8), rel_tol=1e-12)


def test_three_std_boundary() -> None:
    centres = mode_centres("grid")
    inside = centres[:1] + torch.tensor([[0.149, 0.0]])
    outside = centres[:1] + torch.tensor([[0.151, 0.0]])
    assert toy_mode_metrics(inside, centres, 0.05)["high_quality"] == 1.0
    assert toy_mode_metrics(outside, centres, 0.05)["high_quality"] == 0.0


def test_the_registered_metrics_score_through_their_suite(tmp_path: Path) -> None:
    suite = ToyModeSuite(["reverse_kl", "modes", "high_quality"], "ring")
    assert suite.score(mode_centres("ring").repeat(10, 1)) == {"reverse_kl": 0.0, "modes": 8.0, "high_quality": 100.0}
    assert ToyModeSuite.log_prefix(tiny_config(tmp_path)) == "toy/"
    assert fitting_metrics("points", "none") == MODE_METRICS == ("modes", "high_quality", "reverse_kl")


def test_data_from_no_known_mixture_is_one_line(tmp_path: Path) -> None:
    config = tiny_config(tmp_path)
    with pytest.raises(MetricError, match=r"^modes need points from a known mixture; data.name=toy_ring has none"):
        ToyModeSuite.build(["modes"], config, SimpleNamespace(), tmp_path)  # type: ignore[arg-type]


def logged_rows(run_dir: Path) -> dict[int, dict[str, float]]:
    """The ``toy/`` values of a run's metrics.csv by step."""
    with open(run_dir / "metrics.csv") as stream:
        rows = [row for row in csv.DictReader(stream) if row.get("toy/reverse_kl")]
    return {int(row["step"]): {k: float(v) for k, v in row.items() if k.startswith("toy/") and v} for row in rows}


def test_a_toy_run_logs_them_at_its_picture_steps_and_evaluate_py_scores_them_again(tmp_path: Path) -> None:
    # a generator wide enough to put some points on the centre mode from the start, so the values are no zeros
    run_dir = train(tiny_config(tmp_path, "toy_grid", **{"train.max_steps": 7, "generator.width": 32}))
    logged = logged_rows(run_dir)
    # every train.sample_every steps, beside the scatter plots, and not again at the end of training
    assert list(logged) == [3, 6]
    assert all(list(values) == [f"toy/{name}" for name in sorted(MODE_METRICS)] for values in logged.values())
    assert not (run_dir / "checkpoints" / "best.ckpt").exists()
    out = tmp_path / "eval.json"
    ckpt = run_dir / "checkpoints" / "gen_step=0000006.ckpt"
    assert script("evaluate").main(["--ckpt", str(ckpt), "--json", str(out), "--device", "cpu"]) == 0
    report = json.loads(out.read_text())
    assert report["metrics"] == {name.removeprefix("toy/"): value for name, value in logged[6].items()}
    assert (report["num_generated"], report["num_real"], report["scored_by"]) == (2500, 25, "toy mode metrics")
    assert 0 < report["metrics"]["high_quality"] < 100


def test_toy_metrics_listed_in_metrics_names_follow_metrics_every(tmp_path: Path) -> None:
    names = {"metrics.names": "[reverse_kl,modes]", "metrics.every": 2, "train.max_steps": 7}
    run_dir = train(tiny_config(tmp_path, "toy_grid", **names))
    logged = logged_rows(run_dir)
    assert list(logged) == [2, 4, 6, 7] and set(logged[7]) == {"toy/reverse_kl", "toy/modes"}
    assert (run_dir / "checkpoints" / "best.ckpt").is_file()
