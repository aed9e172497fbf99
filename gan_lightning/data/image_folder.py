"""Any folder of images, searched recursively: the way to train on your own data.

Files are kept when their extension is in ``extensions`` (case-insensitive); hidden files and
folders (``.name``, e.g. macOS ``._photo.jpg`` metadata) are ignored. Every kept file's header is
read once at start-up, so files that are not images are reported before training: skipped with
one warning naming them, or an error, as ``on_corrupt`` says. Sub-folders are not classes here;
every image is one training sample, unless ``data.conditional`` is set: then every sub-folder of
``data_dir`` is one class (sorted by name, as in torchvision's ``ImageFolder``), its label is its
position in that order, and every image must be inside one of them.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import image_args, register_dataset, worker_options
from gan_lightning.data.base import DataUnavailableError, StreamingData, StreamingImageDataModule, WorkerOptions
from gan_lightning.data.image_files import (
    IMAGE_EXTENSIONS,
    CorruptFilesData,
    ImageFileDataset,
    ImageFilesData,
    SquareImage,
    check_header,
    image_file_args,
)

_NAMED_IN_WARNING = 20
"""At most this many skipped files are named in the warning (then a count)."""


def normalize_extensions(extensions: Sequence[str]) -> tuple[str, ...]:
    """``["PNG", ".jpg"]`` → ``(".png", ".jpg")``."""
    return tuple(f".{e.lower().lstrip('.')}" for e in extensions)


def iter_image_files(root: str, extensions: Sequence[str]) -> Iterator[str]:
    """Image files under ``root``, recursively, in a sorted (reproducible) order."""
    wanted = normalize_extensions(extensions)
    for directory, subdirs, files in os.walk(root, followlinks=True):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.lower().endswith(wanted):
                yield os.path.join(directory, name)


def iter_image_files_here(root: str, extensions: Sequence[str]) -> Iterator[str]:
    """Image files directly in ``root`` (not in its sub-folders), sorted."""
    wanted = normalize_extensions(extensions)
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if not name.startswith(".") and name.lower().endswith(wanted) and os.path.isfile(path):
            yield path


def class_folders(root: str) -> list[str]:
    """The class sub-folders of ``root`` (not hidden), sorted: label k is the k-th name."""
    return sorted(e.name for e in os.scandir(root) if e.is_dir(follow_symlinks=True) and not e.name.startswith("."))


class ImageFolderDataModule(StreamingImageDataModule):
    """Every image under ``data_dir``, as ``channels`` (1 grey or 3 RGB) × ``resolution``² squares."""

    has_classes = True

    def __init__(
        self,
        data_dir: str,
        batch_size: int,
        seed: int,
        value_range: tuple[float, float],
        resolution: int = 64,
        channels: int = 3,
        extensions: Sequence[str] = IMAGE_EXTENSIONS,
        on_corrupt: str = "skip",
        workers: WorkerOptions = WorkerOptions(),  # noqa: B008 - frozen dataclass, immutable default
    ) -> None:
        super().__init__(batch_size, seed, value_range, workers)
        self.data_dir = data_dir
        self.decode = SquareImage(resolution, channels)
        self.extensions = normalize_extensions(extensions)
        self.on_corrupt = on_corrupt
        self.class_names: list[str] = []
        """With ``conditional``: the class sub-folders, in label order (set by ``index``)."""

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (self.decode.channels, self.decode.resolution, self.decode.resolution)

    def unavailable(self) -> str | None:
        if not os.path.isdir(self.data_dir):
            return f"data.data_dir={self.data_dir!r} is not a folder; point it at a folder of images"
        if next(iter_image_files(self.data_dir, self.extensions), None) is None:
            return (
                f"data.data_dir={self.data_dir!r} holds no images with extensions {', '.join(self.extensions)} "
                "(searched recursively); add images or set data.extensions"
            )
        if self.conditional:
            if not class_folders(self.data_dir):
                return (
                    f"data.conditional=true needs one sub-folder per class in data.data_dir={self.data_dir!r}, "
                    "which has none"
                )
            loose = next(iter_image_files_here(self.data_dir, self.extensions), None)
            if loose is not None:
                return f"data.conditional=true: image {loose} is in no class sub-folder of {self.data_dir}"
        return None

    def index(self) -> ImageFileDataset:
        problem = self.unavailable()
        if problem:
            raise DataUnavailableError(problem)
        files, labels, unreadable = [], [], []
        self.class_names = class_folders(self.data_dir) if self.conditional else [""]
        for label, name in enumerate(self.class_names):
            for path in iter_image_files(os.path.join(self.data_dir, name), self.extensions):
                reason = check_header(path)
                if reason is None:
                    files.append(path)
                    labels.append(label)
                elif self.on_corrupt == "error":
                    raise DataUnavailableError(
                        f"cannot read image {path} ({reason}); remove it or set data.on_corrupt=skip"
                    )
                else:
                    unreadable.append(path)
        if unreadable:
            named = ", ".join(unreadable[:_NAMED_IN_WARNING])
            more = f" and {len(unreadable) - _NAMED_IN_WARNING} more" if len(unreadable) > _NAMED_IN_WARNING else ""
            warnings.warn(f"skipping {len(unreadable)} unreadable image file(s): {named}{more}", stacklevel=2)
        if not files:
            raise DataUnavailableError(f"none of the image files under {self.data_dir} can be read")
        if self.conditional:
            present = set(labels)
            empty = [name for label, name in enumerate(self.class_names) if label not in present]
            if empty:
                raise DataUnavailableError(f"class folder(s) {', '.join(empty)} in {self.data_dir}: no readable image")
        return ImageFileDataset(files, self.decode, self.on_corrupt, labels if self.conditional else None)

    def _labelled(self) -> ImageFileDataset:
        dataset = self.dataset
        assert isinstance(dataset, ImageFileDataset)
        if dataset.labels is None:
            raise DataUnavailableError("the image folder was indexed without classes; set data.conditional=true")
        return dataset

    def class_counts(self) -> list[int]:
        return torch.bincount(torch.tensor(self._labelled().labels), minlength=len(self.class_names)).tolist()

    def evaluation_images(self, split: str) -> ImageFileDataset:  # type: ignore[override]
        if split != "train":
            return super().evaluation_images(split)  # type: ignore[return-value]
        dataset = self.dataset
        assert isinstance(dataset, ImageFileDataset)
        return dataset.images_only()

    def evaluation_labels(self, split: str) -> Tensor:
        if split != "train":
            return super().evaluation_labels(split)
        return torch.tensor(self._labelled().labels)


@dataclass
class ImageFolderData(StreamingData, CorruptFilesData, ImageFilesData):
    """An image folder's options (``data_dir`` is the folder; one sub-folder per class for ``data.conditional``)."""


@register_dataset("imagefolder", section=ImageFolderData)
def _image_folder(cfg: ExperimentConfig) -> ImageFolderDataModule:
    data = cfg.data
    return ImageFolderDataModule(
        data.data_dir,
        *image_args(cfg),
        **image_file_args(data),
        on_corrupt=data.on_corrupt,
        workers=worker_options(cfg),
    )
