"""Sample-quality metrics in 2 gloo processes vs 1 process on the same images: ``python metrics_job.py OUT``.

Each rank extracts its block of the real and generated images; torchmetrics syncs the states. The
job writes ``single.json`` (one process) and ``rank{r}.json`` (each of the two ranks, first and second
evaluation: extracted real features, then the cached ones).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import Tensor, nn

from gan_lightning.metrics.real_cache import RealFeatureCache
from gan_lightning.metrics.sample_quality import SampleQuality

NUM_REAL, NUM_FAKE = 301, 257  # not divisible by 2: uneven blocks


class ToyExtractor(nn.Module):
    """A fixed random projection with class logits: deterministic features for any process."""

    name = "toy_projection"

    def __init__(self) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(0)
        self.register_buffer("projection", torch.randn(48, 16, generator=gen))
        self.register_buffer("classes", torch.randn(16, 5, generator=gen))

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        features = torch.tanh(images.flatten(1) @ self.projection)
        return features, features @ self.classes


def data() -> tuple[Tensor, Tensor]:
    gen = torch.Generator().manual_seed(1)
    real = (torch.rand(NUM_REAL, 3, 4, 4, generator=gen) * 255).to(torch.uint8)
    fake = torch.rand(NUM_FAKE, 3, 4, 4, generator=gen) ** 1.5
    return real, fake


def evaluate_twice(cache_dir: Path) -> list[dict[str, float]]:
    real, fake = data()
    results = []
    for _ in range(2):
        evaluator = SampleQuality(
            ["fid", "kid", "is", "pr", "classes"],
            ToyExtractor(),
            real,
            {"data": "metrics_job"},
            cache=RealFeatureCache(cache_dir),
            batch_size=40,
            kid_subsets=10,
            kid_subset_size=100,
            is_splits=4,
        )
        values = evaluator.evaluate(lambda r: fake[r.start : r.stop], NUM_FAKE, torch.device("cpu"))
        results.append({**values, "real_from_cache": float(evaluator.real_from_cache)})
    return results


def worker(rank: int, out: str, port: int) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=2)
    try:
        results = evaluate_twice(Path(out) / "cache_ddp")
        (Path(out) / f"rank{rank}.json").write_text(json.dumps(results))
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    out_dir = sys.argv[1]
    torch.set_num_threads(1)
    (Path(out_dir) / "single.json").write_text(json.dumps(evaluate_twice(Path(out_dir) / "cache_single")))
    mp.spawn(worker, args=(out_dir, int(sys.argv[2])), nprocs=2, join=True)
