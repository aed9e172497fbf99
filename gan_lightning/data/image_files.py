"""Decoding image files into fixed-size ``uint8`` tensors, with a policy for unreadable files.

Shared by the streaming datasets (CelebA, image folders): each item is one file, opened with
Pillow in a DataLoader worker, converted to grey or RGB, cropped and resized to a square.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import torchvision.transforms.v2.functional as TF
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset

from gan_lightning.config.options import Rule, one_of, option
from gan_lightning.data.base import DataUnavailableError, ImageData

ON_CORRUPT = ("skip", "error")
UNREADABLE = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)
"""What Pillow raises for a file it cannot identify, a truncated or damaged one, or a decompression bomb."""
PIL_MODES = {1: "L", 3: "RGB"}
CHANNELS = tuple(PIL_MODES)
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


@dataclass
class ImageFilesData(ImageData):
    """The options of datasets read from a folder of image files."""

    channels: int = one_of(3, CHANNELS)
    """1 (converted to grey) or 3 (RGB)."""
    extensions: list[str] = option(
        list(IMAGE_EXTENSIONS),
        Rule(lambda v: len(v) > 0 and all(e.strip(".") for e in v), "a non-empty list like [.png]"),
    )
    """File extensions that count as images (case-insensitive)."""


def image_file_args(data: ImageFilesData) -> dict[str, object]:
    """The keywords of a folder of image files' DataModule that its ``data`` options set."""
    return {"resolution": data.resolution, "channels": data.channels, "extensions": tuple(data.extensions)}


@dataclass
class CorruptFilesData(ImageData):
    """The option of datasets that may meet an unreadable image file."""

    on_corrupt: str = one_of("skip", ON_CORRUPT)
    """What an unreadable image file does. skip: leave it out with one warning naming it; error: stop with its name."""


@dataclass(frozen=True)
class SquareImage:
    """File → ``uint8`` ``(channels, resolution, resolution)``.

    The optional centre ``crop`` (a square of that side, in source pixels) comes first, e.g. the
    face region of an aligned CelebA photo; then the shorter side is resized to ``resolution``
    (antialiased) and the centre square kept, so no image is distorted.
    """

    resolution: int
    channels: int = 3
    crop: int | None = None

    def __post_init__(self) -> None:
        if self.channels not in PIL_MODES:
            raise ValueError(f"invalid value {self.channels} for config key 'data.channels'; allowed: 1, 3")

    def __call__(self, path: str) -> Tensor:
        with Image.open(path) as image:
            return self.square(image)

    def square(self, image: Image.Image) -> Tensor:
        """An opened image (or frame) → the square tensor; frames held in arrays take the same path as files."""
        picture = image.convert(PIL_MODES[self.channels])  # decodes the whole file
        if self.crop is not None:
            picture = TF.center_crop(picture, [self.crop])
        picture = TF.resize(picture, self.resolution, antialias=True)
        return TF.pil_to_tensor(TF.center_crop(picture, [self.resolution]))


def check_header(path: str) -> str | None:
    """Why Pillow cannot identify ``path`` as an image (reading its header only), or None if it can."""
    try:
        with Image.open(path):
            return None
    except UNREADABLE as error:
        return f"{type(error).__name__}: {error}"


class ImageFileDataset(Dataset[Tensor]):
    """``files[i]`` decoded by ``decode``; with ``labels``, the pair ``(image, labels[i])``.

    A file that fails to decode (e.g. truncated after a valid header) stops training with its
    name when ``on_corrupt == "error"``; with ``skip`` it is replaced by the next readable file
    (and its label), with one warning naming it, so every batch keeps its size and the order stays
    reproducible.
    """

    def __init__(
        self,
        files: Sequence[str],
        decode: SquareImage,
        on_corrupt: str = "skip",
        labels: Sequence[int] | None = None,
    ) -> None:
        if on_corrupt not in ON_CORRUPT:
            raise ValueError(f"invalid value {on_corrupt!r} for config key 'data.on_corrupt'; allowed: {ON_CORRUPT}")
        if labels is not None and len(labels) != len(files):
            raise ValueError(f"{len(labels)} labels for {len(files)} files")
        self.files = list(files)
        self.decode = decode
        self.on_corrupt = on_corrupt
        self.labels = None if labels is None else list(labels)
        self._warned: set[str] = set()

    def images_only(self) -> ImageFileDataset:
        """The same files without labels (what the sample-quality metrics read)."""
        return ImageFileDataset(self.files, self.decode, self.on_corrupt)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> Tensor | tuple[Tensor, int]:  # type: ignore[override]
        for offset in range(len(self.files)):
            position = (index + offset) % len(self.files)
            path = self.files[position]
            try:
                image = self.decode(path)
                return image if self.labels is None else (image, self.labels[position])
            except UNREADABLE as error:
                reason = f"{type(error).__name__}: {error}"
                if self.on_corrupt == "error":
                    raise DataUnavailableError(
                        f"cannot read image {path} ({reason}); remove it or set data.on_corrupt=skip"
                    ) from error
                if path not in self._warned:
                    self._warned.add(path)
                    warnings.warn(f"skipping unreadable image {path} ({reason})", RuntimeWarning, stacklevel=2)
        raise DataUnavailableError(f"none of the {len(self.files)} images can be read")
