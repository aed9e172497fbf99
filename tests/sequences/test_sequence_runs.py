"""A recurrent GAN on sequences end to end, as a user runs it: fit, sample, evaluate, and its pictures."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import REPO, TINY, only_run, run_script, tiny_config, train

from gan_lightning.checkpointing import load_module
from gan_lightning.losses import LOSSES
from gan_lightning.networks import SEQUENCE_ARCHS

SCORES = ["metrics.timegan.runs=2", "metrics.timegan.discriminative_iterations=5",
          "metrics.timegan.predictive_iterations=5"]  # fmt: skip


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("arch", SEQUENCE_ARCHS)
def test_every_recurrent_network_and_loss_trains(tmp_path: Path, arch: str, loss: str) -> None:
    extra = {"generator.arch": arch, "discriminator.arch": arch, "loss.name": loss, "train.max_steps": 3,
             "data.num_samples": 128, "metrics.names": "[]"}  # fmt: skip
    if loss == "wasserstein":
        extra["loss.gradient_penalty"] = 10.0
    run_dir = train(tiny_config(tmp_path, "rnn_sines", **extra))
    state = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)["state_dict"]
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())
    assert (run_dir / "samples" / "final.png").is_file()


def test_fit_sample_and_evaluate_sines(tmp_path: Path) -> None:
    done = run_script(
        "fit.py", "--config", str(REPO / "configs" / "rnn_sines.yaml"), f"run.root={tmp_path}",
        "data.num_samples=256", *TINY, *SCORES, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run_dir = only_run(tmp_path)
    rows = list(csv.DictReader((run_dir / "metrics.csv").open()))
    scored = [row for row in rows if row.get("val/discriminative")]
    assert [row["step"] for row in scored] == ["2", "4"]  # metrics.every=2 in TINY, and the end
    assert all(0 <= float(row["val/discriminative"]) <= 0.5 and float(row["val/predictive"]) > 0 for row in scored)
    for picture in ("real_vs_generated", "pca", "tsne", "final"):
        assert (run_dir / "samples" / f"{picture}.png").stat().st_size > 1000, picture
    assert (run_dir / "checkpoints" / "best.ckpt").is_file()

    # samples come back in data units: the sines' values lie in [0.5, 1] (sin of 0 ... 2.4, shifted and halved)
    npz = tmp_path / "samples.npz"
    done = run_script("sample.py", "--ckpt", str(run_dir / "checkpoints" / "last.ckpt"), "--num", "50",
                      "--out", str(npz), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    samples = np.load(npz)["samples"]
    assert samples.shape == (50, 24, 5) and samples.dtype == np.float32
    module = load_module(run_dir / "checkpoints" / "last.ckpt")
    low, high = module.kind.bounds
    assert min(low) > 0.45 and max(high) <= 1.0 + 1e-6
    assert samples.min() >= min(low) - 1e-5 and samples.max() <= max(high) + 1e-5  # sigmoid output, mapped back

    report = tmp_path / "evaluation.json"
    done = run_script("evaluate.py", "--ckpt", str(run_dir / "checkpoints" / "last.ckpt"), "--num", "128",
                      "--json", str(report), "metrics.num_real=128", *SCORES, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(report.read_text())
    assert set(result["metrics"]) == {"discriminative", "discriminative_std", "predictive", "predictive_std"}
    assert result["num_generated"] == 128 and result["num_real"] == 128
    for path in result["pictures"].values():
        assert Path(path).is_file()
    assert "discriminative" in done.stdout


def test_co2_run_trains_and_scores(tmp_path: Path) -> None:
    config = tiny_config(tmp_path, "rnn_co2", **{"train.max_steps": 2, "metrics.num_generated": 64,
                                                   "metrics.num_real": 64})  # fmt: skip
    run_dir = train(config)
    rows = [row for row in csv.DictReader((run_dir / "metrics.csv").open()) if row.get("val/predictive")]
    assert len(rows) == 1 and float(rows[0]["val/predictive"]) > 0
    module = load_module(run_dir / "checkpoints" / "last.ckpt")
    samples = module.to_data_space(module.sample(8, generator=torch.Generator().manual_seed(0)))
    assert samples.shape == (8, 24, 1) and 300 < samples.mean() < 390  # ppm
