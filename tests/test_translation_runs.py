"""pix2pix end to end, as a user runs it: fit on paired data, the input | output | target strip, translate new
inputs, evaluate against the copy-the-input baseline."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import PAIRED, REPO, TINY, only_run, script, state_of, tiny_config, train, write_pairs
from PIL import Image
from test_conditional_runs import DEBIAN_FASHION, logged_values

from gan_lightning.data.paired import sobel_edges
from gan_lightning.metrics.classifier import load_classifier
from gan_lightning.metrics.suite import real_subset

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
        sample(["--ckpt", checkpoint, "--inputs", str(tmp_path / "pairs" / "A"), "--num", "40", "--out", "t.npz"]) == 0
    )
    saved = np.load(tmp_path / "t.npz")
    assert saved["inputs"].shape == saved["samples"].shape == (40, 1, 32, 32)
    assert sample(["--ckpt", checkpoint, "--num", "3", "--out", "t.png"]) == 2
    assert "give --inputs" in capsys.readouterr().err

    evaluate = script("evaluate").main
    assert evaluate(["--ckpt", checkpoint, "--device", "cpu", "--json", "g.json"]) == 0
    generated = json.loads((tmp_path / "g.json").read_text())
    assert generated["outputs"] == "generator" and Path(generated["strip"]).is_file()
    assert generated["num_generated"] == 40  # every pair (metrics.num_real=64 in TINY)
    # the generator's scores by hand from sample.py's translations of all 40 inputs: each target is its input
    # inverted; PSNR of images in [0, 1] is -10 log10 of a pair's mean squared error, averaged over the pairs
    errors = np.clip(saved["samples"], 0, 1).astype(np.float64) - (1 - saved["inputs"].astype(np.float64))
    assert generated["metrics"]["l1"] == pytest.approx(np.abs(errors).mean(), rel=1e-4)
    per_pair = -10 * np.log10(np.square(errors).reshape(len(errors), -1).mean(axis=1))
    assert generated["metrics"]["psnr"] == pytest.approx(per_pair.mean(), abs=1e-3)

    assert evaluate(["--ckpt", checkpoint, "--device", "cpu", "--json", "c.json", "--copy-input"]) == 0
    copied = json.loads((tmp_path / "c.json").read_text())["metrics"]
    # copying an input that is its target inverted: the error of a pair of shade x is 1 - 2 x at every pixel
    shades = np.array(
        [np.asarray(Image.open(path), dtype=np.float64)[0, 0] / 255 for path in (tmp_path / "pairs" / "A").iterdir()]
    )
    assert copied["l1"] == pytest.approx(np.abs(1 - 2 * shades).mean(), abs=1e-3)
    assert copied["psnr"] == pytest.approx((-10 * np.log10(np.square(1 - 2 * shades))).mean(), abs=1e-3)


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
    """The shipped config on the real Fashion-MNIST; its final scores recomputed by hand from sample.py's
    translations of the same 100 test pairs (the evaluation's seeded subset, their edges written as image files)."""
    monkeypatch.chdir(tmp_path)
    configs = ["--config", str(REPO / "configs" / "pix2pix_fashion_edges.yaml"),
               "--config", str(REPO / "configs" / "quick_cpu.yaml")]  # fmt: skip
    overrides = [f"run.root={tmp_path / 'runs'}", *TINY, f"data.data_dir={DEBIAN_FASHION}", "data.download=false",
                 "metrics.num_real=100", "metrics.every=0", "train.sample_every=0",
                 "train.checkpoint_every=0"]  # fmt: skip
    assert script("fit").main([*configs, *overrides]) == 0
    run_dir = only_run(tmp_path / "runs")
    logged = logged_values(run_dir)
    assert "val/fashion_mnist_classifier_fid" in logged

    # metrics.real_split=test: the t10k images, zero-padded to 32 px, and their Sobel edges as inputs
    with gzip.open(DEBIAN_FASHION / "t10k-images-idx3-ubyte.gz") as stream:
        test_images = np.frombuffer(stream.read(), dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28)
    targets = real_subset(torch.from_numpy(np.pad(test_images, ((0, 0), (0, 0), (2, 2), (2, 2)))), 100)
    (tmp_path / "edges").mkdir()
    for index, edges in enumerate(sobel_edges(targets)):
        Image.fromarray(edges[0].numpy()).save(tmp_path / "edges" / f"{index:03d}.png")
    arguments = ["--inputs", str(tmp_path / "edges"), "--num", "100", "--out", "t.npz"]
    assert script("sample").main(["--ckpt", str(run_dir / "checkpoints" / "last.ckpt"), *arguments]) == 0
    outputs = torch.from_numpy(np.load(tmp_path / "t.npz")["samples"]).clamp(0, 1)
    targets = targets.float() / 255

    errors = (outputs - targets).double()
    assert logged["val/l1"] == pytest.approx(errors.abs().mean().item(), rel=1e-4)
    per_pair = -10 * torch.log10(errors.square().flatten(1).mean(dim=1))
    assert logged["val/psnr"] == pytest.approx(per_pair.mean().item(), abs=1e-3)
    # 4 steps in, the classifier gives every output one class, so this pins the count, not which output goes with
    # which target: tests/metrics/test_class_scores.py pairs real digits with their neighbours' targets for that
    classifier = load_classifier(dataset="fashion_mnist")
    with torch.no_grad():
        same = classifier(outputs)[1].argmax(dim=1) == classifier(targets)[1].argmax(dim=1)
    assert logged["val/class_preservation"] == pytest.approx(same.double().mean().item(), abs=1e-6)
