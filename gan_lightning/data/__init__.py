"""Datasets as LightningDataModules, chosen by ``data.name``.

To add a dataset: in a new file in this folder, subclass :class:`InMemoryDataModule` /
``ImageDataModule`` (fits in memory), :class:`StreamingImageDataModule` (image files decoded by
DataLoader workers) or :class:`SequenceDataModule` (time series ``(N, T, C)``) and decorate a builder
``config -> DataModule`` with ``@register_dataset("<name>")``. Every module here is imported at the end
of this file, so ``data.name=<name>`` then works (docs/FORKING.md).
"""

from __future__ import annotations

from collections.abc import Callable

from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data.audio_folder import AudioFolderDataModule
from gan_lightning.data.base import (
    DATA_DEVICES,
    DataUnavailableError,
    GANDataModule,
    ImageDataModule,
    InMemoryDataModule,
    StreamingImageDataModule,
    WorkerOptions,
)
from gan_lightning.data.celeba import CelebADataModule
from gan_lightning.data.cifar10 import CIFAR10DataModule
from gan_lightning.data.co2 import CO2DataModule
from gan_lightning.data.image_files import CHANNELS, ON_CORRUPT
from gan_lightning.data.image_folder import ImageFolderDataModule
from gan_lightning.data.mnist import FashionMNISTDataModule, MNISTDataModule
from gan_lightning.data.moving_mnist import MovingMNISTDataModule
from gan_lightning.data.paired import FashionEdgesDataModule, PairedDataModule, PairedFolderDataModule
from gan_lightning.data.sequences import SequenceDataModule
from gan_lightning.data.sines import SinesDataModule
from gan_lightning.data.spoken_digits import SpokenDigitsDataModule
from gan_lightning.data.toy2d import TOY_STD, Toy2DDataModule, mode_centres
from gan_lightning.data.video_folder import VideoFolderDataModule
from gan_lightning.registry import import_package_modules, registrar

VALUE_RANGES: dict[str, tuple[float, float]] = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "none": (-1.0, 1.0)}
"""Range real images are scaled to, matching the generator's output activation."""


def _toy(kind: str) -> Callable[[ExperimentConfig], GANDataModule]:
    return lambda cfg: Toy2DDataModule(kind, cfg.data.num_samples, _step_batch(cfg), cfg.seed, cfg.data.scale)


def _mnist(source: str) -> Callable[[ExperimentConfig], GANDataModule]:
    return lambda cfg: MNISTDataModule(source, *image_args(cfg), **_file_args(cfg), device=cfg.data.device)


def _in_memory(
    cls: type[FashionMNISTDataModule] | type[CIFAR10DataModule] | type[FashionEdgesDataModule],
) -> Callable[[ExperimentConfig], GANDataModule]:
    return lambda cfg: cls(*image_args(cfg), **_file_args(cfg), device=cfg.data.device)


def _celeba(cfg: ExperimentConfig) -> GANDataModule:
    return CelebADataModule(*image_args(cfg), **_file_args(cfg), on_corrupt=cfg.data.on_corrupt, workers=_workers(cfg))


def _image_folder(cfg: ExperimentConfig) -> GANDataModule:
    data = cfg.data
    return ImageFolderDataModule(
        data.data_dir,
        *image_args(cfg),
        resolution=data.resolution,
        channels=data.channels,
        extensions=list(data.extensions),
        on_corrupt=data.on_corrupt,
        workers=_workers(cfg),
    )


def _paired_folder(cfg: ExperimentConfig) -> GANDataModule:
    data = cfg.data
    return PairedFolderDataModule(
        data.data_dir,
        *image_args(cfg),
        resolution=data.resolution,
        channels=data.channels,
        extensions=tuple(data.extensions),
        on_corrupt=data.on_corrupt,
        device=data.device,
    )


def _sines(cfg: ExperimentConfig) -> GANDataModule:
    data = cfg.data
    return SinesDataModule(
        data.num_samples,
        data.sequence_length,
        data.features,
        tuple(data.sines_frequency),
        tuple(data.sines_phase),
        *image_args(cfg),
    )


def _co2(cfg: ExperimentConfig) -> GANDataModule:
    return CO2DataModule(cfg.data.sequence_length, cfg.data.window_stride, *image_args(cfg))


def _moving_mnist(cfg: ExperimentConfig) -> GANDataModule:
    data = cfg.data
    return MovingMNISTDataModule(
        *image_args(cfg),
        source=data.digit_source,
        num_clips=data.num_samples,
        frames=data.frames,
        resolution=data.resolution,
        digit_size=data.digit_size,
        digits_per_clip=data.digits_per_clip,
        speed=tuple(data.speed),
        data_dir=data.data_dir,
        device=data.device,
    )


def _video_folder(cfg: ExperimentConfig) -> GANDataModule:
    data = cfg.data
    return VideoFolderDataModule(
        data.data_dir,
        *image_args(cfg),
        frames=data.frames,
        resolution=data.resolution,
        channels=data.channels,
        extensions=list(data.extensions),
        device=data.device,
    )


def _audio_args(cfg: ExperimentConfig) -> dict[str, object]:
    data = cfg.data
    return {
        "sample_rate": data.sample_rate,
        "audio_length": data.audio_length,
        "representation": data.representation,
        "stft_window": data.stft_window,
        "stft_hop": data.stft_hop,
        "griffin_lim_iterations": data.griffin_lim_iterations,
        "device": data.device,
    }


def _spoken_digits(cfg: ExperimentConfig) -> GANDataModule:
    data = cfg.data
    return SpokenDigitsDataModule(
        data.data_dir,
        *image_args(cfg),
        voices=data.voices,
        test_voices=data.test_voices,
        utterances=data.utterances,
        synthesis_seed=data.synthesis_seed,
        **_audio_args(cfg),
    )


def _audio_folder(cfg: ExperimentConfig) -> GANDataModule:
    return AudioFolderDataModule(cfg.data.data_dir, *image_args(cfg), **_audio_args(cfg))


def _step_batch(cfg: ExperimentConfig) -> int:
    # One training step consumes a fresh real batch for each of its n_critic D updates.
    return cfg.train.batch_size * cfg.train.n_critic


def image_args(cfg: ExperimentConfig) -> tuple[int, int, tuple[float, float]]:
    """``(batch_size, seed, value_range)``: the first arguments of every image and sequence DataModule.

    ``batch_size`` is what one training step consumes (``train.batch_size`` per discriminator update);
    ``value_range`` is the generator's output range, which real data is scaled to.
    """
    return _step_batch(cfg), cfg.seed, VALUE_RANGES[cfg.generator.output_activation]


def _file_args(cfg: ExperimentConfig) -> dict[str, object]:
    return {"resolution": cfg.data.resolution, "data_dir": cfg.data.data_dir, "download": cfg.data.download}


def _workers(cfg: ExperimentConfig) -> WorkerOptions:
    data = cfg.data
    return WorkerOptions(data.num_workers, data.pin_memory, data.persistent_workers)


DATASETS: dict[str, Callable[[ExperimentConfig], GANDataModule]] = {
    "toy_ring": _toy("ring"),
    "toy_grid": _toy("grid"),
    "mnist_embedded": _mnist("embedded"),
    "mnist": _mnist("torchvision"),
    "fashion_mnist": _in_memory(FashionMNISTDataModule),
    "cifar10": _in_memory(CIFAR10DataModule),
    "celeba": _celeba,
    "imagefolder": _image_folder,
    "paired_folder": _paired_folder,
    "fashion_edges": _in_memory(FashionEdgesDataModule),
    "sines": _sines,
    "co2": _co2,
    "moving_mnist": _moving_mnist,
    "video_folder": _video_folder,
    "spoken_digits": _spoken_digits,
    "audio_folder": _audio_folder,
}
register_dataset = registrar(DATASETS, "dataset")


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
    "CHANNELS",
    "DATASETS",
    "DATA_DEVICES",
    "ON_CORRUPT",
    "TOY_STD",
    "VALUE_RANGES",
    "AudioFolderDataModule",
    "CIFAR10DataModule",
    "CO2DataModule",
    "CelebADataModule",
    "DataUnavailableError",
    "FashionEdgesDataModule",
    "FashionMNISTDataModule",
    "GANDataModule",
    "ImageDataModule",
    "ImageFolderDataModule",
    "InMemoryDataModule",
    "MNISTDataModule",
    "MovingMNISTDataModule",
    "PairedDataModule",
    "PairedFolderDataModule",
    "SequenceDataModule",
    "SinesDataModule",
    "SpokenDigitsDataModule",
    "StreamingImageDataModule",
    "Toy2DDataModule",
    "VideoFolderDataModule",
    "WorkerOptions",
    "build_datamodule",
    "image_args",
    "mode_centres",
    "prepare_data",
    "register_dataset",
]

import_package_modules(__name__)
