"""Base classes of every DataModule: the interface the GAN module relies on, and two ways to serve batches.

* :class:`InMemoryDataModule`: the whole training set is one tensor (optionally on the GPU),
  batched by random index. Subclasses only say how to load the tensor (``load``).
* :class:`StreamingImageDataModule`: image files decoded by ``DataLoader`` workers, for sets too
  large to hold (CelebA) or of unknown size (an image folder).

Batching, sharding across ranks, resumable order and the conversion between stored values and the
generator's output range live here once.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import lightning as L
import torch
from torch import Tensor
from torch.utils.data import Dataset

from gan_lightning.config.options import non_negative
from gan_lightning.config.schema import DataConfig
from gan_lightning.data.loader import InMemoryLoader, StreamingLoader

DATA_DEVICES = ("cpu", "auto", "cuda")
"""Where an in-memory training set lives; see ``data.device`` in the config schema."""


@dataclass
class ImageData(DataConfig):
    """The options of datasets of images (and of the frames of clips)."""

    resolution: int = 28
    """Image side in pixels; each dataset says which sides it serves (another is a one-line error)."""


@dataclass
class StreamingData(ImageData):
    """The options of datasets whose image files DataLoader workers decode (:class:`StreamingImageDataModule`)."""

    num_workers: int = non_negative(4)
    """DataLoader worker processes decoding images; 0 decodes in the training process; capped at the CPUs this
    process may use."""
    pin_memory: bool = True
    """Page-locked batches for faster copies to a GPU (ignored without CUDA)."""
    persistent_workers: bool = True
    """Keep the workers alive across epochs instead of restarting them."""


@dataclass
class GeneratedData(DataConfig):
    """The options of datasets drawn from a seed (toy mixtures, sines, Moving MNIST, the oracle, spoken digits)."""

    seed: int = 0
    """Seeds what the dataset draws, its held-out set included, apart from the run's ``seed`` (which orders the
    batches and seeds training): every seed of a benchmark trains on the same data and is scored against the same
    reference set."""


def usable_cpus() -> int:
    """CPUs this process may run on: its affinity mask where the OS has one (Linux), else all."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class DataUnavailableError(RuntimeError):
    """The dataset's files are missing or unreadable; the message says which and how to fix it."""


def check_resolution(dataset: str, resolution: int, allowed: tuple[int, ...]) -> None:
    """Reject a ``data.resolution`` the dataset cannot be served at (a ValueError the config loader reports)."""
    if resolution not in allowed:
        raise ValueError(
            f"invalid value {resolution} for config key 'data.resolution' with {dataset}; "
            f"allowed: {', '.join(map(str, allowed))}"
        )


def images_to_unit_range(samples: Tensor, value_range: tuple[float, float]) -> Tensor:
    """Generated images in ``value_range`` back to pixel intensities in [0, 1] (the inverse of
    :meth:`ImageSpace.to_model_space`)."""
    low, high = value_range
    return ((samples.float() - low) / (high - low)).clamp_(0.0, 1.0)


class GANDataModule(L.LightningDataModule, ABC):
    """What the GAN module and callbacks need from any dataset: its kind, the sample shape and the value mapping."""

    kind_name: ClassVar[str]
    """The kind of data this dataset serves (a name in :data:`gan_lightning.kinds.KINDS`): the one declaration that
    decides its pictures, metrics, networks and how samples map back to data units."""
    splits: tuple[str, ...] = ()
    """Splits :meth:`evaluation_images` serves real images of (``metrics.real_split``)."""
    updates_per_step: int = 1
    """Discriminator updates one training batch is split into (``train.n_critic``, set by ``build_datamodule``):
    each rank's batch is cut per update, so W ranks train like one process with W times the batch."""
    has_classes: bool = False
    """Whether the dataset knows each image's class, so ``data.conditional`` can be set."""
    conditional: bool = False
    """Batches are ``(images, labels)`` (``data.conditional``, set by ``build_datamodule``)."""

    @property
    @abstractmethod
    def data_shape(self) -> tuple[int, ...]:
        """Shape of one sample as the networks see it, e.g. ``(1, 28, 28)`` or ``(2,)``."""

    @property
    def conditioning_name(self) -> str:
        """What samples are conditioned on (a name in :data:`gan_lightning.conditioning.CONDITIONINGS`): their class
        with ``data.conditional``, else nothing; paired data overrides it."""
        return "classes" if self.conditional else "none"

    def to_model_space(self, batch: Tensor) -> Tensor:
        """Map stored values to what the discriminator sees as real data (identity by default)."""
        return batch

    def to_data_space(self, samples: Tensor) -> Tensor:
        """Inverse of :meth:`to_model_space` for generated samples (identity by default)."""
        return samples

    def unavailable(self) -> str | None:
        """A one-line explanation when the data cannot be loaded (files missing, download off), else None.

        Cheap: the config loader calls it before anything is written.
        """
        return None

    def on_after_batch_transfer(self, batch: Tensor | Sequence[Tensor], dataloader_idx: int) -> Any:
        # Converting after the transfer keeps host-to-device copies in the compact stored dtype.
        if self.conditional:
            images, labels = batch
            return self.to_model_space(images), labels
        return self.to_model_space(batch)

    def class_counts(self) -> list[int]:
        """Training images per class, in label order (class-conditional datasets; data loaded by ``setup``)."""
        raise DataUnavailableError(f"{type(self).__name__} has no class labels; set data.conditional=false")

    def evaluation_labels(self, split: str) -> Tensor:
        """The class of every image :meth:`evaluation_images` returns for ``split`` (conditional metrics)."""
        raise DataUnavailableError(f"{type(self).__name__} has no class labels for split {split!r}")

    def evaluation_images(self, split: str) -> Tensor | Dataset[Tensor]:
        """Real ``uint8`` images of ``split`` for the sample-quality metrics, as the generator makes them.

        A ``(N, C, H, W)`` tensor, or a dataset of ``(C, H, W)`` tensors for data that stays on disk.
        """
        allowed = ", ".join(self.splits) or "none (not an image dataset)"
        raise DataUnavailableError(f"metrics.real_split={split!r} is not available here; allowed: {allowed}")

    def reference(self, split: str) -> Tensor | Dataset[Tensor]:
        """What this dataset's metrics compare generated samples with for ``split`` (a benchmark records its hash, so
        every run and control it prints is seen to be scored against one set)."""
        return self.evaluation_images(split)

    def rank_and_world_size(self) -> tuple[int, int]:
        """This process's rank and the number of processes (0 and 1 outside a Trainer)."""
        trainer = self.trainer
        return (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)


class InMemoryDataModule(GANDataModule):
    """Loads the whole training set once and serves shuffled batches from memory.

    Args:
        batch_size: items per training step (the GAN module splits them across its
            ``n_critic`` discriminator updates).
        seed: base seed of the per-epoch shuffling.
        device: ``cpu`` keeps the tensor in host memory; ``auto`` moves it to the training device
            when that is an accelerator (no host-to-device copy per step); ``cuda`` insists on one.
    """

    def __init__(self, batch_size: int, seed: int, device: str = "cpu") -> None:
        super().__init__()
        if device not in DATA_DEVICES:
            raise ValueError(f"invalid value {device!r} for config key 'data.device'; allowed: {DATA_DEVICES}")
        self.batch_size = batch_size
        self.seed = seed
        self.device = device
        self._data: Tensor | None = None

    @abstractmethod
    def load(self) -> Tensor:
        """Return the full training set, shape ``(N, *data_shape)``, in its stored dtype."""

    def setup(self, stage: str | None = None) -> None:
        if self._data is None:
            self._data = self.load()

    @property
    def data(self) -> Tensor:
        if self._data is None:
            self.setup()
        assert self._data is not None
        return self._data

    def train_dataloader(self) -> InMemoryLoader:
        trainer = self.trainer
        rank, world = self.rank_and_world_size()
        target = trainer.strategy.root_device if trainer is not None else torch.device("cpu")
        if self.device == "cuda" and target.type != "cuda":
            raise DataUnavailableError(f"data.device=cuda, but training runs on {target}; use data.device=auto")
        labels = self.training_conditions()
        if self.device != "cpu" and target.type != "cpu":
            self._data = self.data.to(target)
            labels = None if labels is None else labels.to(target)
        return InMemoryLoader(
            self.data,
            self.batch_size,
            self.seed,
            rank=rank,
            world_size=world,
            chunks=self.updates_per_step,
            labels=labels,
        )

    def training_conditions(self) -> Tensor | None:
        """What every training sample comes with, when batches are pairs: its class (``conditional``) or its
        input image (paired data); None when batches are samples alone."""
        return None


class ImageSpace:
    """Images stored as ``uint8`` ``(C, H, W)``, served in the generator's output range ``value_range``."""

    kind_name = "images"
    value_range: tuple[float, float]

    def to_model_space(self, batch: Tensor) -> Tensor:
        low, high = self.value_range
        return batch.to(torch.float32).mul_((high - low) / 255.0).add_(low)

    def to_data_space(self, samples: Tensor) -> Tensor:
        """Generated images back to pixel intensities in [0, 1]."""
        return images_to_unit_range(samples, self.value_range)


class ImageDataModule(ImageSpace, InMemoryDataModule):
    """An in-memory image set: one ``uint8`` ``(N, C, H, W)`` tensor.

    ``labels`` holds the class of every training image (``load`` sets it); with ``conditional`` the
    batches are ``(images, labels)``.
    """

    splits = ("train",)
    has_classes = True
    num_classes = 10
    """Classes of the dataset's labels (MNIST, Fashion-MNIST, CIFAR-10: 10)."""

    def __init__(self, batch_size: int, seed: int, value_range: tuple[float, float], device: str = "cpu") -> None:
        super().__init__(batch_size, seed, device)
        self.value_range = value_range
        self.labels: Tensor | None = None

    def evaluation_images(self, split: str) -> Tensor | Dataset[Tensor]:
        return self.data if split == "train" else super().evaluation_images(split)

    def _training_set_labels(self) -> Tensor:
        self.setup()
        assert self.labels is not None, f"{type(self).__name__}.load() must set labels"
        return self.labels

    def training_conditions(self) -> Tensor | None:
        return self._training_set_labels() if self.conditional else None

    def class_counts(self) -> list[int]:
        return torch.bincount(self._training_set_labels(), minlength=self.num_classes).tolist()

    def evaluation_labels(self, split: str) -> Tensor:
        return self._training_set_labels() if split == "train" else super().evaluation_labels(split)


@dataclass(frozen=True)
class WorkerOptions:
    """How the ``DataLoader`` of a streaming dataset runs its workers (``data.*`` in the config)."""

    num_workers: int = 4
    """Capped at the CPUs this process may use: more workers than cores only contend for them."""
    pin_memory: bool = True
    """Page-locked batches for faster, asynchronous copies to a GPU; ignored without CUDA."""
    persistent_workers: bool = True
    """Keep workers alive between epochs instead of restarting them (and their file handles)."""


class StreamingImageDataModule(ImageSpace, GANDataModule):
    """Image files decoded to ``uint8`` ``(C, R, R)`` by DataLoader workers, in a seeded, resumable order.

    Subclasses build the dataset in :meth:`index` (list the files, no decoding), which ``setup``
    calls once, so a missing or empty dataset fails before training starts.
    """

    splits = ("train",)

    def __init__(
        self,
        batch_size: int,
        seed: int,
        value_range: tuple[float, float],
        workers: WorkerOptions = WorkerOptions(),
    ) -> None:
        super().__init__()
        self.batch_size = batch_size
        self.seed = seed
        self.value_range = value_range
        self.workers = workers
        self._dataset: Dataset[Tensor] | None = None

    @abstractmethod
    def index(self) -> Dataset[Tensor]:
        """The training set as a map-style dataset of ``uint8`` ``(C, R, R)`` tensors."""

    def setup(self, stage: str | None = None) -> None:
        if self._dataset is None:
            self._dataset = self.index()

    @property
    def dataset(self) -> Dataset[Tensor]:
        if self._dataset is None:
            self.setup()
        assert self._dataset is not None
        return self._dataset

    def evaluation_images(self, split: str) -> Tensor | Dataset[Tensor]:
        return self.dataset if split == "train" else super().evaluation_images(split)

    def train_dataloader(self) -> StreamingLoader:
        rank, world = self.rank_and_world_size()
        return StreamingLoader(
            self.dataset,
            self.batch_size,
            self.seed,
            rank=rank,
            world_size=world,
            chunks=self.updates_per_step,
            num_workers=min(self.workers.num_workers, usable_cpus()),
            pin_memory=self.workers.pin_memory and torch.cuda.is_available(),
            persistent_workers=self.workers.persistent_workers,
        )
