"""CIFAR-10 (Krizhevsky 2009): 50,000 training images, 32×32 RGB, 10 classes, held in memory.

Read from the python version's pickles, ``<data_dir>/cifar-10-batches-py/data_batch_{1..5}``, where
torchvision's download puts them. We read the pickles ourselves instead of through torchvision's
``CIFAR10`` so no MD5 pass over 150 MB is repeated at every start; torchvision checks the
checksums once, when it downloads.
"""

from __future__ import annotations

import os
import pickle

import numpy as np
import torch
from torch import Tensor

from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import file_args, image_args, register_dataset
from gan_lightning.data.base import DataUnavailableError, ImageData, ImageDataModule, check_resolution

CIFAR10_RESOLUTIONS = (32,)
CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_TRAIN_FILES = tuple(f"data_batch_{k}" for k in range(1, 6))
CIFAR10_TEST_FILE = "test_batch"


def read_cifar_batch(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Images ``uint8`` ``(N, 3, 32, 32)`` and labels of one CIFAR python batch file.

    These are pickles, like every copy of CIFAR-10's python version: only load files you trust.
    """
    with open(path, "rb") as stream:
        batch = pickle.load(stream, encoding="latin1")
    images = np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
    return images, np.asarray(batch["labels"], dtype=np.int64)


class CIFAR10DataModule(ImageDataModule):
    """The CIFAR-10 training set; ``labels`` keeps its classes for class-conditional use."""

    splits = ("train", "test")

    def __init__(
        self,
        batch_size: int,
        seed: int,
        value_range: tuple[float, float],
        resolution: int = 32,
        data_dir: str = "data",
        download: bool = False,
        device: str = "cpu",
    ) -> None:
        super().__init__(batch_size, seed, value_range, device)
        check_resolution("CIFAR-10", resolution, CIFAR10_RESOLUTIONS)
        self.data_dir = data_dir
        self.download = download

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (3, 32, 32)

    @property
    def folder(self) -> str:
        return os.path.join(self.data_dir, CIFAR10_FOLDER)

    def _missing_message(self) -> str | None:
        missing = [name for name in CIFAR10_TRAIN_FILES if not os.path.isfile(os.path.join(self.folder, name))]
        if not missing:
            return None
        return (
            f"data.data_dir={self.data_dir!r} lacks the CIFAR-10 files {', '.join(missing)} in {self.folder}; "
            "set data.download=true, or unpack cifar-10-python.tar.gz "
            "(https://www.cs.toronto.edu/~kriz/cifar.html) into data_dir"
        )

    def unavailable(self) -> str | None:
        return None if self.download else self._missing_message()

    def prepare_data(self) -> None:
        if self.download and self._missing_message():
            from torchvision.datasets import CIFAR10

            try:
                CIFAR10(self.data_dir, train=True, download=True)
            except (RuntimeError, OSError) as error:
                raise DataUnavailableError(
                    f"could not download CIFAR-10 ({error}); unpack cifar-10-python.tar.gz into {self.data_dir} "
                    "(it creates cifar-10-batches-py/) and run with data.download=false"
                ) from error

    def load(self) -> Tensor:
        problem = self._missing_message()
        if problem:
            raise DataUnavailableError(problem)
        images, self.labels = self._read(CIFAR10_TRAIN_FILES)
        return images

    def evaluation_images(self, split: str) -> Tensor:
        """``train``: the training set; ``test``: the 10,000 images of ``test_batch``."""
        return self._read_test()[0] if split == "test" else super().evaluation_images(split)

    def evaluation_labels(self, split: str) -> Tensor:
        """The classes of :meth:`evaluation_images`."""
        return self._read_test()[1] if split == "test" else super().evaluation_labels(split)

    def _read_test(self) -> tuple[Tensor, Tensor]:
        if not os.path.isfile(os.path.join(self.folder, CIFAR10_TEST_FILE)):
            raise DataUnavailableError(
                f"metrics.real_split=test needs {os.path.join(self.folder, CIFAR10_TEST_FILE)}; it is part of "
                "cifar-10-python.tar.gz (data.download=true fetches it)"
            )
        return self._read((CIFAR10_TEST_FILE,))

    def _read(self, names: tuple[str, ...]) -> tuple[Tensor, Tensor]:
        parts = []
        for name in names:
            path = os.path.join(self.folder, name)
            try:
                parts.append(read_cifar_batch(path))
            except (pickle.UnpicklingError, EOFError, KeyError, ValueError) as error:
                raise DataUnavailableError(
                    f"{path} is not a CIFAR-10 python batch ({type(error).__name__}: {error}); download it again"
                ) from error
        images = torch.from_numpy(np.concatenate([images for images, _ in parts]))
        return images, torch.from_numpy(np.concatenate([labels for _, labels in parts])).long()


@register_dataset("cifar10", section=ImageData)
def _cifar10(cfg: ExperimentConfig) -> CIFAR10DataModule:
    return CIFAR10DataModule(*image_args(cfg), **file_args(cfg), device=cfg.data.device)
