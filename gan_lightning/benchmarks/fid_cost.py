"""What a repeated FID evaluation costs with cached real features vs torchmetrics' default usage.

torchmetrics' documented pattern (``FrechetInceptionDistance(normalize=True)``, then per evaluation
``reset()``, ``update(real, real=True)``, ``update(fake, real=False)``, ``compute()``) runs the
Inception network over the real images at every evaluation. :class:`SampleQuality` extracts them
once and reuses the cached features, so an evaluation costs only the generated images' pass.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor
from torchmetrics.image.fid import FrechetInceptionDistance

from gan_lightning.metrics.inception import InceptionExtractor, resolve_inception_weights
from gan_lightning.metrics.real_cache import RealFeatureCache
from gan_lightning.metrics.sample_quality import SampleQuality


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _rgb(images: Tensor) -> Tensor:
    return images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images


def time_torchmetrics_default(
    real: Tensor, generate: Callable[[range], Tensor], num: int, batch: int, weights: str | None, device: torch.device
) -> tuple[float, float]:
    """Seconds and value of one evaluation the torchmetrics way (real images through Inception every time)."""
    fid = FrechetInceptionDistance(normalize=True, feature_extractor_weights_path=weights).to(device)
    _synchronize(device)
    start = time.perf_counter()
    fid.reset()
    for first in range(0, len(real), batch):
        fid.update(_rgb(real[first : first + batch].to(device).float() / 255), real=True)
    for first in range(0, num, batch):
        fid.update(_rgb(generate(range(first, min(first + batch, num)))), real=False)
    value = float(fid.compute())
    _synchronize(device)
    return time.perf_counter() - start, value


def benchmark_fid_cost(
    real: Tensor,
    generate: Callable[[range], Tensor],
    num: int,
    repeats: int,
    batch: int,
    weights_path: str | None,
    device: torch.device,
) -> dict[str, object]:
    """Median seconds per evaluation, interleaved, after one warm-up of each (which fills the cache)."""
    weights = resolve_inception_weights(weights_path, Path(tempfile.gettempdir()) / "gan_lightning_benchmark")
    extractor = InceptionExtractor(weights).to(device)
    with tempfile.TemporaryDirectory() as cache_dir:

        def cached() -> tuple[float, float]:
            # A new evaluator each time, as in a new run or scripts/evaluate.py: real features come from disk.
            evaluator = SampleQuality(
                ["fid"], extractor, real, {"benchmark": "fid_cost"}, cache=RealFeatureCache(cache_dir), batch_size=batch
            )
            _synchronize(device)
            start = time.perf_counter()
            value = evaluator.evaluate(generate, num, device)["fid"]
            _synchronize(device)
            return time.perf_counter() - start, value

        first_seconds, _ = cached()  # extracts and caches the real features
        time_torchmetrics_default(real, generate, num, batch, weights, device)  # warm-up
        timings: dict[str, list[float]] = {"cached": [], "torchmetrics_default": []}
        values: dict[str, float] = {}
        for _ in range(repeats):
            seconds, values["cached"] = cached()
            timings["cached"].append(seconds)
            seconds, values["torchmetrics_default"] = time_torchmetrics_default(
                real, generate, num, batch, weights, device
            )
            timings["torchmetrics_default"].append(seconds)
    medians = {name: statistics.median(times) for name, times in timings.items()}
    return {
        "first_cached_evaluation_s": first_seconds,
        "timings": timings,
        "medians": medians,
        "ratio": medians["torchmetrics_default"] / medians["cached"],
        "values": values,
    }
