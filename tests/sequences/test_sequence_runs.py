"""A recurrent GAN on sequences end to end, as a user runs it: fit, sample, evaluate, and its pictures."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import POSTHOC, REPO, TINY, only_run, run_script, script, sines_by_hand, tiny_config, train

from gan_lightning.checkpointing import load_module
from gan_lightning.config.loading import load_config
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.losses import LOSSES
from gan_lightning.metrics.sequence_quality import SequenceQuality, SequenceSuite
from gan_lightning.metrics.timegan_scores import real_data_predictive
from gan_lightning.networks import SEQUENCE_ARCHS
from gan_lightning.training import prepare_data


def sequence_quality(config: ExperimentConfig, names: list[str], out: Path) -> SequenceQuality:
    """The evaluator the sequence suite (training and evaluate.py) scores ``names`` with."""
    suite = SequenceSuite.build(names, config, prepare_data(config), out)
    return suite.quality  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize(  # the fast tier trains each recurrent network once (hinge); every other loss is slow
    ("arch", "loss"),
    [
        (a, n) if n == "hinge" else pytest.param(a, n, marks=pytest.mark.slow)
        for a in SEQUENCE_ARCHS
        for n in sorted(LOSSES)
    ],
)
def test_every_recurrent_network_and_loss_trains(tmp_path: Path, arch: str, loss: str) -> None:
    extra = {"generator.arch": arch, "discriminator.arch": arch, "loss.name": loss, "train.max_steps": 3,
             "data.num_samples": 128, "metrics.names": "[]"}  # fmt: skip
    if loss == "wasserstein":
        extra["loss.gradient_penalty"] = 10.0
    run_dir = train(tiny_config(tmp_path, "rnn_sines", **extra))
    state = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)["state_dict"]
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())
    assert (run_dir / "samples" / "final.png").is_file()


@pytest.mark.slow  # post-hoc scoring against controls (60 s)
def test_fit_sample_and_evaluate_sines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the run logs the discriminative score only: the predictive one is checked on evaluate.py's report
    done = run_script(
        "fit.py", "--config", str(REPO / "configs" / "rnn_sines.yaml"), f"run.root={tmp_path}",
        "data.num_samples=256", *TINY, *POSTHOC, "metrics.names=[discriminative]", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run_dir = only_run(tmp_path)
    rows = list(csv.DictReader((run_dir / "metrics.csv").open()))
    scored = [row for row in rows if row.get("val/discriminative")]
    assert [row["step"] for row in scored] == ["2", "4"]  # metrics.every=2 in TINY, and the end
    logged = [float(row["val/discriminative"]) for row in scored]  # checked against the control at the end
    for picture in ("real_vs_generated", "levels", "pca", "tsne", "final"):
        assert (run_dir / "samples" / f"{picture}.png").stat().st_size > 1000, picture
    assert (run_dir / "checkpoints" / "best.ckpt").is_file()

    # samples come back in data units: the sines' values lie in [0.5, 1] (sin of 0 ... 2.4, shifted and halved)
    npz, checkpoint = tmp_path / "samples.npz", str(run_dir / "checkpoints" / "last.ckpt")
    assert script("sample").main(["--ckpt", checkpoint, "--num", "50", "--out", str(npz)]) == 0
    samples = np.load(npz)["samples"]
    assert samples.shape == (50, 24, 5) and samples.dtype == np.float32
    module = load_module(checkpoint)
    low, high = module.kind.bounds
    assert min(low) > 0.45 and max(high) <= 1.0 + 1e-6
    assert samples.min() >= min(low) - 1e-5 and samples.max() <= max(high) + 1e-5  # sigmoid output, mapped back

    report = tmp_path / "evaluation.json"
    arguments = ["--metrics", "discriminative,predictive", "--num", "128", "--json", str(report), "--device", "cpu",
                 "metrics.num_real=128", *POSTHOC]  # fmt: skip
    assert script("evaluate").main(["--ckpt", checkpoint, *arguments]) == 0
    assert "discriminative" in capsys.readouterr().out
    result = json.loads(report.read_text())
    assert set(result["metrics"]) == {"discriminative", "discriminative_std", "predictive", "predictive_std"}
    assert result["num_generated"] == 128 and result["num_real"] == 128
    for path in result["pictures"].values():
        assert Path(path).is_file()

    # The control, scored by the evaluator evaluate.py uses with the same real sequences and settings: real data the
    # run never saw can hardly be told apart and trains a better predictor. 2 and 4 steps into training, the
    # generator's near-constant curves must be told apart and train a worse one.
    config = load_config([run_dir / "config.yaml"], ["metrics.num_real=128", *POSTHOC])
    evaluator = sequence_quality(config, ["discriminative", "predictive"], tmp_path)
    held_out = evaluator.evaluate(sines_by_hand(128, seed=1))
    generated = result["metrics"]
    assert held_out["discriminative"] < 0.15
    assert min(generated["discriminative"], *logged) > held_out["discriminative"] + 0.2
    assert generated["predictive"] > 1.2 * held_out["predictive"]


def test_co2_run_trains_and_scores(tmp_path: Path) -> None:
    """Two steps in, the generator's sequences train a next-step predictor far worse on the real windows than the
    real windows themselves do (the control: TimeGAN's "original data" row, same post-hoc settings)."""
    extra = {"train.max_steps": 2, "metrics.names": "[predictive]", "metrics.timegan.lr": 0.01,
             "metrics.timegan.predictive_iterations": 50}  # fmt: skip
    config = tiny_config(tmp_path, "rnn_co2", **extra)
    run_dir = train(config)
    rows = [row for row in csv.DictReader((run_dir / "metrics.csv").open()) if row.get("val/predictive")]
    assert len(rows) == 1
    datamodule = prepare_data(config)
    real = datamodule.to_score_space(sequence_quality(config, config.metrics.names, tmp_path).real)
    baseline = real_data_predictive(real, config.metrics.timegan, config.seed)["predictive"]
    assert float(rows[0]["val/predictive"]) > 2 * baseline
    module = load_module(run_dir / "checkpoints" / "last.ckpt")
    samples = module.to_data_space(module.sample(8, generator=torch.Generator().manual_seed(0)))
    assert samples.shape == (8, 24, 1) and 300 < samples.mean() < 390  # ppm
