"""Datasets as LightningDataModules, chosen by ``data.name``.

To add a dataset: in a new file in this folder, subclass :class:`~gan_lightning.data.base.InMemoryDataModule` /
``ImageDataModule`` (fits in memory), ``StreamingImageDataModule`` (image files decoded by DataLoader workers) or
``SequenceDataModule`` (time series ``(N, T, C)``), declare its options in a ``DataConfig`` subclass, and decorate a
builder ``config -> DataModule`` with ``@register_dataset("<name>", section=<that subclass>)``. Every module here is
imported at the end of this file, so ``data.name=<name>`` then works and takes those options (docs/FORKING.md).
"""

from __future__ import annotations

from collections.abc import Callable

from gan_lightning.config.schema import DataConfig, ExperimentConfig
from gan_lightning.data.base import (
    DATA_DEVICES,
    DataUnavailableError,
    GANDataModule,
    GeneratedData,
    ImageData,
    ImageDataModule,
    InMemoryDataModule,
    StreamingData,
    StreamingImageDataModule,
    WorkerOptions,
)
from gan_lightning.data.sequences import SequenceDataModule
from gan_lightning.registry import import_package_modules, registrar

VALUE_RANGES: dict[str, tuple[float, float]] = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "none": (-1.0, 1.0)}
"""Range real images are scaled to, matching the generator's output activation."""

DATASETS: dict[str, Callable[[ExperimentConfig], GANDataModule]] = {}
"""``data.name`` -> a builder ``config -> DataModule``, registered in the dataset's own file."""
DATASET_SECTIONS: dict[str, type[DataConfig]] = {}
"""``data.name`` -> the ``DataConfig`` subclass declaring that dataset's own options (``data.<option>``)."""
register_dataset = registrar(DATASETS, "dataset", DATASET_SECTIONS)


def step_batch(cfg: ExperimentConfig) -> int:
    """What one training step consumes: a fresh real batch for each of its ``n_critic`` D updates."""
    return cfg.train.batch_size * cfg.train.n_critic


def image_args(cfg: ExperimentConfig) -> tuple[int, int, tuple[float, float]]:
    """``(batch_size, seed, value_range)``: the first arguments of every image and sequence DataModule.

    ``batch_size`` is what one training step consumes (``train.batch_size`` per discriminator update);
    ``value_range`` is the generator's output range, which real data is scaled to.
    """
    return step_batch(cfg), cfg.seed, VALUE_RANGES[cfg.generator.output_activation]


def file_args(cfg: ExperimentConfig) -> dict[str, object]:
    """Where a downloadable image dataset's files are, at which resolution it is served."""
    return {"resolution": cfg.data.resolution, "data_dir": cfg.data.data_dir, "download": cfg.data.download}


def worker_options(cfg: ExperimentConfig) -> WorkerOptions:
    data = cfg.data
    return WorkerOptions(data.num_workers, data.pin_memory, data.persistent_workers)


def build_datamodule(cfg: ExperimentConfig) -> GANDataModule:
    """The DataModule named by ``cfg.data.name``; ValueError for options the dataset cannot serve."""
    datamodule = DATASETS[cfg.data.name](cfg)
    datamodule.updates_per_step = cfg.train.n_critic
    if cfg.data.conditional:
        if not datamodule.has_classes:
            raise ValueError(
                f"data.conditional=true: {cfg.data.name} has no class labels (datasets with classes: mnist_embedded, "
                "mnist, fashion_mnist, cifar10, imagefolder with one sub-folder per class, moving_mnist with one digit "
                "per clip, spoken_digits, audio_folder with class sub-folders or SC09-style names)"
            )
        datamodule.conditional = True
    return datamodule


def prepare_data(config: ExperimentConfig) -> GANDataModule:
    """Build the DataModule and load its data now, so missing files fail before anything is written."""
    datamodule = build_datamodule(config)
    datamodule.prepare_data()
    datamodule.setup("fit")
    return datamodule


__all__ = [
    "DATASETS",
    "DATASET_SECTIONS",
    "DATA_DEVICES",
    "VALUE_RANGES",
    "DataUnavailableError",
    "GANDataModule",
    "GeneratedData",
    "ImageData",
    "ImageDataModule",
    "InMemoryDataModule",
    "SequenceDataModule",
    "StreamingData",
    "StreamingImageDataModule",
    "WorkerOptions",
    "build_datamodule",
    "file_args",
    "image_args",
    "prepare_data",
    "register_dataset",
    "step_batch",
    "worker_options",
]

import_package_modules(__name__)
