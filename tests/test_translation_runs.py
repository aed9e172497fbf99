"""pix2pix end to end, as a user runs it: fit on paired data, the input | output | target strip, translate new
inputs, evaluate against the copy-the-input baseline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import PAIRED, REPO, TINY, only_run, script, state_of, tiny_config, train, write_pairs
from PIL import Image
from test_conditional_runs import DEBIAN_FASHION, logged_values

TRANSLATION = [*PAIRED[:-1], "loss.l1=100", "metrics.names=[l1,psnr,ssim,fid]", "metrics.extractor=mnist_classifier"]


def test_fit_strip_translate_and_evaluate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_pairs(tmp_path / "pairs", count=40)
    monkeypatch.chdir(tmp_path)
    arguments = ["--config", str(REPO / "configs" / "quickstart.yaml"), f"run.root={tmp_path / 'runs'}", *TINY]
    assert script("fit").main([*arguments, f"data.data_dir={tmp_path / 'pairs'}", *TRANSLATION]) == 0
    run_dir = only_run(tmp_path / "runs")
    logged = logged_values(run_dir)
    assert {"val/l1", "val/psnr", "val/ssim", "val/mnist_classifier_fid", "train/g_l1"} <= set(logged)
    strip = Image.open(run_dir / "samples" / "final.png")
    assert strip.size == (3 * 32 + 4 * 2, 8 * 32 + 9 * 2)  # 8 pairs: input | output | target
    assert not (run_dir / "samples" / "interpolation.png").exists()  # no latent space to walk

    checkpoint = str(run_dir / "checkpoints" / "last.ckpt")
    sample = script("sample").main
    assert (
        sample(["--ckpt", checkpoint, "--inputs", str(tmp_path / "pairs" / "A"), "--num", "3", "--out", "t.npz"]) == 0
    )
    saved = np.load(tmp_path / "t.npz")
    assert saved["inputs"].shape == saved["samples"].shape == (3, 1, 32, 32)
    assert sample(["--ckpt", checkpoint, "--num", "3", "--out", "t.png"]) == 2
    assert "give --inputs" in capsys.readouterr().err

    evaluate = script("evaluate").main
    assert evaluate(["--ckpt", checkpoint, "--device", "cpu", "--json", "g.json"]) == 0
    generated = json.loads((tmp_path / "g.json").read_text())
    assert generated["outputs"] == "generator" and Path(generated["strip"]).is_file()
    assert evaluate(["--ckpt", checkpoint, "--device", "cpu", "--json", "c.json", "--copy-input"]) == 0
    copied = json.loads((tmp_path / "c.json").read_text())["metrics"]
    # copying an input that is its target inverted: L1 is the mean of |2 x - 1| over the pixels, by hand
    shades = [
        np.asarray(Image.open(path), dtype=np.float64)[0, 0] / 255
        for path in sorted((tmp_path / "pairs" / "A").iterdir())
    ]
    assert copied["l1"] == pytest.approx(np.mean([abs(1 - 2 * s) for s in shades]), abs=1e-3)
    assert copied["psnr"] < 10 and generated["metrics"]["l1"] != copied["l1"]


def test_without_the_adversarial_term_the_generator_ignores_the_discriminator(tmp_path: Path) -> None:
    """pix2pix's "L1 only" baseline: with loss.adversarial_weight=0, G (and its EMA) train the same whatever D does."""
    write_pairs(tmp_path / "pairs", count=40)
    extra = {key: value for key, value in (item.split("=", 1) for item in TRANSLATION)}
    extra.update({"data.data_dir": tmp_path / "pairs", "loss.adversarial_weight": 0, "metrics.names": "[]"})
    states = [
        state_of(train(tiny_config(tmp_path / loss, "quickstart", **extra, **{"loss.name": loss})))
        for loss in ("non_saturating", "hinge")
    ]
    for key in states[0]:
        if key.startswith(("generator.", "ema_generator.")):
            assert torch.equal(states[0][key], states[1][key]), key
    assert not torch.equal(states[0]["discriminator.net.0.0.weight"], states[1]["discriminator.net.0.0.weight"])


@pytest.mark.skipif(
    not DEBIAN_FASHION.is_dir(), reason=f"{DEBIAN_FASHION} absent: apt-get install dataset-fashion-mnist"
)
@pytest.mark.slow
def test_pix2pix_fashion_edges_config_trains_and_scores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    configs = ["--config", str(REPO / "configs" / "pix2pix_fashion_edges.yaml"),
               "--config", str(REPO / "configs" / "quick_cpu.yaml")]  # fmt: skip
    overrides = [f"run.root={tmp_path / 'runs'}", *TINY, f"data.data_dir={DEBIAN_FASHION}", "data.download=false",
                 "metrics.num_real=100"]  # fmt: skip
    assert script("fit").main([*configs, *overrides]) == 0
    logged = logged_values(only_run(tmp_path / "runs"))
    assert 0 <= logged["val/class_preservation"] <= 1 and logged["val/psnr"] > 0
    assert "val/fashion_mnist_classifier_fid" in logged
