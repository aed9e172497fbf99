"""CelebA (Liu et al. 2015): aligned celebrity faces, decoded from JPEG by DataLoader workers.

The layout is torchvision's: ``<data_dir>/celeba/img_align_celeba/*.jpg`` (178×218 px) and
``<data_dir>/celeba/list_eval_partition.txt``; the 162,770 images of the official training
partition are used. Each is centre-cropped to 140×140 (the face, little background) and
resized to the resolution, the common preprocessing of 64-px CelebA GANs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import file_args, image_args, register_dataset, worker_options
from gan_lightning.data.base import (
    DataUnavailableError,
    StreamingData,
    StreamingImageDataModule,
    WorkerOptions,
    check_resolution,
)
from gan_lightning.data.image_files import CorruptFilesData, ImageFileDataset, SquareImage

CELEBA_RESOLUTIONS = (32, 64)
CELEBA_CROP = 140
IMAGES_FOLDER = "img_align_celeba"
PARTITION_FILE = "list_eval_partition.txt"
TRAIN_PARTITION = "0"


def read_partition(path: str, partition: str = TRAIN_PARTITION) -> list[str]:
    """Image file names of one partition (0 train, 1 validation, 2 test) from ``list_eval_partition.txt``."""
    with open(path, encoding="utf-8") as stream:
        rows = [line.split() for line in stream if line.strip()]
    if any(len(row) != 2 for row in rows):
        raise DataUnavailableError(f"{path} is not a CelebA partition list (lines of '<file> <0|1|2>')")
    return [name for name, part in rows if part == partition]


class CelebADataModule(StreamingImageDataModule):
    """CelebA's training partition, RGB, 140-px centre crop resized to ``resolution``."""

    def __init__(
        self,
        batch_size: int,
        seed: int,
        value_range: tuple[float, float],
        resolution: int = 64,
        data_dir: str = "data",
        download: bool = False,
        on_corrupt: str = "skip",
        workers: WorkerOptions = WorkerOptions(),  # noqa: B008 - frozen dataclass, immutable default
    ) -> None:
        super().__init__(batch_size, seed, value_range, workers)
        check_resolution("CelebA", resolution, CELEBA_RESOLUTIONS)
        self.data_dir = data_dir
        self.download = download
        self.on_corrupt = on_corrupt
        self.decode = SquareImage(resolution, 3, crop=CELEBA_CROP)

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (3, self.decode.resolution, self.decode.resolution)

    @property
    def folder(self) -> str:
        return os.path.join(self.data_dir, "celeba")

    def _missing_message(self) -> str | None:
        required = {
            os.path.join(self.folder, IMAGES_FOLDER) + os.sep: os.path.isdir,
            os.path.join(self.folder, PARTITION_FILE): os.path.isfile,
        }
        missing = [path for path, exists in required.items() if not exists(path)]
        if not missing:
            return None
        return (
            f"data.data_dir={self.data_dir!r} lacks the CelebA files {', '.join(missing)}; set data.download=true "
            "or get img_align_celeba.zip and list_eval_partition.txt from "
            f"https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html and unzip them into {self.folder}"
        )

    def unavailable(self) -> str | None:
        return None if self.download else self._missing_message()

    def prepare_data(self) -> None:
        if self.download and self._missing_message():
            from torchvision.datasets import CelebA

            try:
                CelebA(self.data_dir, split="train", target_type=[], download=True)
            except (RuntimeError, OSError, ImportError, ValueError) as error:
                raise DataUnavailableError(
                    f"could not download CelebA ({type(error).__name__}: {error}); get img_align_celeba.zip and "
                    f"{PARTITION_FILE} from https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html, unzip them into "
                    f"{self.folder} and run with data.download=false"
                ) from error

    def index(self) -> ImageFileDataset:
        problem = self._missing_message()
        if problem:
            raise DataUnavailableError(problem)
        names = read_partition(os.path.join(self.folder, PARTITION_FILE))
        images = os.path.join(self.folder, IMAGES_FOLDER)
        absent = sorted(set(names) - set(os.listdir(images)))
        if absent:
            raise DataUnavailableError(
                f"{images} lacks {len(absent)} of the {len(names)} training images (e.g. {absent[0]}); "
                "unzip img_align_celeba.zip again"
            )
        if not names:
            raise DataUnavailableError(f"{PARTITION_FILE} in {self.folder} lists no training images")
        return ImageFileDataset([os.path.join(images, name) for name in names], self.decode, self.on_corrupt)


@dataclass
class CelebAData(StreamingData, CorruptFilesData):
    """CelebA's options: its files stream through DataLoader workers and may hold unreadable images."""


@register_dataset("celeba", section=CelebAData)
def _celeba(cfg: ExperimentConfig) -> CelebADataModule:
    return CelebADataModule(
        *image_args(cfg), **file_args(cfg), on_corrupt=cfg.data.on_corrupt, workers=worker_options(cfg)
    )
