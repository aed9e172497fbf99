"""Batches/s of the in-memory loader against torch DataLoaders over the same images and batch size
(``scripts/benchmark.py data``).

The DataLoaders are a ``TensorDataset`` (per-sample indexing and collation) and torchvision's per-sample path (PIL
image → ``ToTensor`` → ``Normalize``, what ``torchvision.datasets.FashionMNIST`` with transforms does), each with
every worker count asked for. Every batch ends as float32 in the generator's range; medians over interleaved
repetitions, so load from other processes hits every variant alike.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset, TensorDataset
from torchvision import transforms

from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import InMemoryDataModule, build_datamodule
from gan_lightning.data.base import ImageSpace
from gan_lightning.data.loader import InMemoryLoader


class PerSamplePIL(Dataset[torch.Tensor]):
    """What torchvision's MNIST-style datasets do per item: uint8 array → PIL image → ToTensor → Normalize."""

    def __init__(self, images: torch.Tensor, value_range: tuple[float, float]) -> None:
        low, high = value_range
        self.images = images.numpy()
        self.transform = transforms.Compose(
            [transforms.ToTensor(), transforms.Normalize([-low / (high - low)], [1 / (high - low)])]
        )

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> torch.Tensor:
        image = self.images[index]
        return self.transform(Image.fromarray(image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0)))


def batches_per_second(loader: Any, convert: Callable[[Any], Any], count: int) -> float:
    """Seconds for ``count`` batches from a fresh iterator of ``loader``, as batches/s."""
    start = time.perf_counter()
    iterator = iter(loader)
    for _ in range(count):
        convert(next(iterator))
    return count / (time.perf_counter() - start)


def benchmark_loaders(config: ExperimentConfig, batches: int, repeats: int, workers: Sequence[int]) -> dict[str, Any]:
    """``{"rates": {loader: [batches/s per repeat]}, "medians": {loader: median}, "images": count, "shape": [C, H,
    W]}`` of ``config``'s in-memory data; a SystemExit for data that is not held in memory."""
    datamodule = build_datamodule(config)
    if not isinstance(datamodule, InMemoryDataModule):
        raise SystemExit(f"data.name={config.data.name} is not an in-memory dataset")
    datamodule.prepare_data()
    datamodule.setup()
    images, batch = datamodule.data, config.train.batch_size
    to_model = datamodule.to_model_space
    value_range = getattr(datamodule, "value_range", (-1.0, 1.0))
    loaders: dict[str, tuple[Any, Callable[[Any], Any]]] = {
        "in_memory": (InMemoryLoader(images, batch, config.seed), to_model)
    }
    conditions = datamodule.training_conditions()  # labels (data.conditional) or input images (paired data)
    if conditions is not None:
        labelled = InMemoryLoader(images, batch, config.seed, labels=conditions)
        loaders["in_memory_with_conditions"] = (labelled, lambda b: datamodule.on_after_batch_transfer(b, 0))
    for count in workers:
        options = {"batch_size": batch, "shuffle": True, "drop_last": True, "num_workers": count}
        options["persistent_workers"] = count > 0
        tensor_loader = DataLoader(TensorDataset(images), **options)  # type: ignore[arg-type]
        loaders[f"dataloader_tensor_w{count}"] = (tensor_loader, lambda b: to_model(b[0]))
        if isinstance(datamodule, ImageSpace):  # uint8 images: torchvision's per-sample PIL pipeline applies
            pil_loader = DataLoader(PerSamplePIL(images, value_range), **options)  # type: ignore[arg-type]
            loaders[f"dataloader_torchvision_w{count}"] = (pil_loader, lambda b: b)
    for loader, convert in loaders.values():  # warm-up: worker start-up, allocator, caches
        batches_per_second(loader, convert, min(batches, 20))
    rates: dict[str, list[float]] = {name: [] for name in loaders}
    for _ in range(repeats):  # interleaved, so load from other processes hits every variant alike
        for name, (loader, convert) in loaders.items():
            rates[name].append(batches_per_second(loader, convert, batches))
    medians = {name: statistics.median(values) for name, values in rates.items()}
    return {"rates": rates, "medians": medians, "images": len(images), "shape": list(images.shape[1:])}


def summarize_loaders(result: dict[str, Any]) -> list[str]:
    """The table of median batches/s and the in-memory loader's speed-up over each loader."""
    medians = result["medians"]
    lines = ["| loader | batches/s (median) | in-memory speed-up |", "|---|---|---|"]
    return lines + [
        f"| {name} | {median:,.0f} | {medians['in_memory'] / median:.1f}x |" for name, median in medians.items()
    ]
