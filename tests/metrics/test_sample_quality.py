"""FID/KID/IS/precision-recall/class coverage through SampleQuality, and the real-feature cache."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import torch
from torch import Tensor, nn

from gan_lightning.metrics.class_coverage import ClassCoverage
from gan_lightning.metrics.precision_recall import ImprovedPrecisionRecall
from gan_lightning.metrics.real_cache import RealFeatureCache
from gan_lightning.metrics.sample_quality import SampleQuality, block
from gan_lightning.metrics.suite import MetricError

CPU = torch.device("cpu")


class Flatten(nn.Module):
    """Features are the pixels themselves, so tests control the feature distribution exactly."""

    name = "flatten"

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.register_buffer("version", torch.zeros(1))

    def forward(self, images: Tensor) -> Tensor:
        self.calls += len(images)
        return images.flatten(1) + self.version


class Classifier(nn.Module):
    """Features plus logits: class = which of the first 3 pixels is brightest."""

    name = "toy_classifier"

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        flat = images.flatten(1)
        return flat, 50 * flat[:, :3]


def pixels(values: Tensor) -> Tensor:
    """Feature vectors in [0, 1] as 1-channel uint8 'images' of one row."""
    return values.mul(255).round().clamp(0, 255).to(torch.uint8).reshape(len(values), 1, 1, -1)


def quality(metrics: list[str], real: Tensor, extractor: nn.Module | None = None, **kwargs: object) -> SampleQuality:
    return SampleQuality(metrics, extractor or Flatten(), real, {"data": "test"}, batch_size=64, **kwargs)  # type: ignore[arg-type]


def from_tensor(fake: Tensor) -> Callable[[range], Tensor]:
    return lambda indices: fake[indices.start : indices.stop]


def scipy_fid(a: np.ndarray, b: np.ndarray) -> float:
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


def test_fid_matches_scipy_and_the_closed_form_for_gaussians() -> None:
    gen = torch.Generator().manual_seed(0)
    dims, n = 4, 20000
    std_a, std_b = torch.tensor([0.05, 0.1, 0.08, 0.06]), torch.tensor([0.08, 0.05, 0.08, 0.1])
    a = (0.4 + std_a * torch.randn(n, dims, generator=gen)).clamp(0, 1)
    b = (0.5 + std_b * torch.randn(n, dims, generator=gen)).clamp(0, 1)
    real, fake = pixels(a), pixels(b)
    fid = quality(["fid"], real).evaluate(from_tensor(fake.float() / 255), n, CPU)["fid"]
    # Independent computation on the very same quantized features.
    expected = scipy_fid(real.flatten(1).double().numpy() / 255, fake.flatten(1).double().numpy() / 255)
    assert fid == pytest.approx(expected, rel=1e-6)
    # Closed form for Gaussians with diagonal covariance: |mu1 - mu2|^2 + sum (s1 - s2)^2.
    closed = dims * 0.1**2 + float(((std_a - std_b) ** 2).sum())
    assert fid == pytest.approx(closed, rel=0.03)


def test_kid_is_near_zero_for_one_distribution_and_positive_for_two() -> None:
    gen = torch.Generator().manual_seed(1)
    real = pixels(torch.rand(600, 8, generator=gen))
    same = torch.rand(600, 1, 1, 8, generator=gen)
    shifted = (same * 0.5 + 0.5).clamp(0, 1)
    evaluator = quality(["kid"], real, kid_subsets=20, kid_subset_size=200)
    near = evaluator.evaluate(from_tensor(same), 600, CPU)
    far = evaluator.evaluate(from_tensor(shifted), 600, CPU)
    assert abs(near["kid"]) < 3 * near["kid_std"] + 1e-4
    assert far["kid"] > 10 * max(abs(near["kid"]), near["kid_std"])


# One split has no spread to measure: torchmetrics' std of a single value warns, and that std is not what is tested.
@pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0:UserWarning")
def test_inception_score_bounds() -> None:
    real = pixels(torch.rand(50, 3))
    # Every sample confidently in one of 3 classes, equally often: IS = 3. All in one class: IS = 1.
    spread = torch.eye(3).repeat(100, 1).reshape(300, 1, 1, 3)
    collapsed = torch.eye(3)[:1].repeat(300, 1).reshape(300, 1, 1, 3)
    evaluator = quality(["is"], real, Classifier(), is_splits=1)
    assert evaluator.evaluate(from_tensor(spread), 300, CPU)["is"] == pytest.approx(3.0, rel=1e-4)
    assert evaluator.evaluate(from_tensor(collapsed), 300, CPU)["is"] == pytest.approx(1.0, abs=1e-4)


def test_precision_recall_separate_fidelity_from_coverage() -> None:
    gen = torch.Generator().manual_seed(2)
    real = torch.rand(400, 2, generator=gen)
    metric = ImprovedPrecisionRecall(k=3)
    metric.update(real, real=True)
    metric.update(real.clone(), real=False)
    assert [float(v) for v in metric.compute()] == [1.0, 1.0]
    # A generator that only makes the samples of one corner: all inside the real manifold, covering little of it.
    collapsed = real[(real < 0.25).all(dim=1)]
    metric = ImprovedPrecisionRecall(k=3)
    metric.update(real, real=True)
    metric.update(collapsed, real=False)
    precision, recall = (float(v) for v in metric.compute())
    assert precision == 1.0 and recall < 0.2


def test_class_coverage_counts_classes_and_kl_to_uniform() -> None:
    metric = ClassCoverage(num_classes=4)
    metric.update(torch.eye(4)[[0, 1, 2, 3] * 10])
    covered, kl = metric.compute()
    assert int(covered) == 4 and float(kl) == pytest.approx(0.0, abs=1e-12)
    metric = ClassCoverage(num_classes=4)
    metric.update(torch.eye(4)[[0] * 99 + [1]])  # class 1 has 1 % of the samples, < 10 % of its 25 % share
    covered, kl = metric.compute()
    assert int(covered) == 1
    assert float(kl) == pytest.approx(0.99 * math.log(0.99 * 4) + 0.01 * math.log(0.01 * 4))


def test_logit_metrics_need_an_extractor_with_logits() -> None:
    real = pixels(torch.rand(10, 3))
    with pytest.raises(MetricError, match="need class logits"):
        quality(["fid", "is"], real).check(10)
    with pytest.raises(MetricError, match="need at least 4 real and generated images; got 10 real and 3"):
        quality(["fid", "pr"], real).check(3)
    with pytest.raises(MetricError, match="unknown metrics"):
        quality(["fid", "lpips"], real)


def test_blocks_cover_the_range_in_rank_order() -> None:
    for total, world in [(10, 3), (2, 2), (7, 1), (1000, 4)]:
        ranges = [block(total, rank, world) for rank in range(world)]
        assert [i for r in ranges for i in r] == list(range(total))


def test_real_features_are_cached_and_any_change_invalidates_them(tmp_path: Path) -> None:
    real = pixels(torch.rand(100, 6, generator=torch.Generator().manual_seed(3)))
    fake = torch.rand(100, 1, 1, 6, generator=torch.Generator().manual_seed(4))
    cache = RealFeatureCache(tmp_path)

    def run(identity: dict[str, object], extractor: Flatten, images: Tensor = real) -> tuple[float, Flatten]:
        evaluator = SampleQuality(["fid"], extractor, images, identity, cache=cache, batch_size=32)
        value = evaluator.evaluate(from_tensor(fake), 100, CPU)["fid"]
        return value, extractor

    first, extractor = run({"data": "a"}, Flatten())
    assert extractor.calls == 200 and len(list(tmp_path.glob("*.pt"))) == 1
    again, extractor = run({"data": "a"}, Flatten())  # a new evaluator, e.g. the next run: a hit
    assert extractor.calls == 100 and again == first
    _, extractor = run({"data": "b"}, Flatten())  # other data options: a miss
    assert extractor.calls == 200
    _, extractor = run({"data": "a"}, Flatten(), real[:50])  # fewer images: a miss
    assert extractor.calls == 150
    changed = Flatten()
    changed.version += 0.5  # other extractor weights: a miss
    _, extractor = run({"data": "a"}, changed)
    assert extractor.calls == 200
    assert len(list(tmp_path.glob("*.pt"))) == 4
    # A corrupt entry is a miss, recomputed and rewritten; never a crash.
    entry = cache.path(SampleQuality(["fid"], Flatten(), real, {"data": "a"}).identity)
    entry.write_bytes(b"truncated")
    value, extractor = run({"data": "a"}, Flatten())
    assert extractor.calls == 200 and value == first
    assert torch.load(entry, weights_only=True).shape == (100, 6)


def test_evaluation_leaves_the_global_rng_alone() -> None:
    real = pixels(torch.rand(64, 4))
    evaluator = quality(["kid", "is"], real, Classifier(), kid_subsets=5, kid_subset_size=32)
    fake = torch.rand(64, 1, 1, 4)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = evaluator.evaluate(from_tensor(fake), 64, CPU)
    assert torch.equal(torch.rand(3), expected)
    assert evaluator.evaluate(from_tensor(fake), 64, CPU) == first
