"""Paired images for image-to-image translation (pix2pix, Isola et al. 2017): every target image B has its input A.

Batches are ``(inputs, targets)`` (pix2pix's A -> B order), both images in the generator's value range; G maps an
input to its target, D judges (input, image) pairs. Two datasets:

* ``paired_folder`` (your data): ``data_dir/A/`` and ``data_dir/B/`` holding files of the same names (the input
  and the target), or, without those sub-folders, side-by-side images (each file twice as wide as high: the input
  on the left, the target on the right). pix2pix's own datasets (facades, maps, edges2shoes...) ship side-by-side
  files in ``train/``, ``val/`` and ``test/`` folders: when ``data_dir`` holds any of those, training reads
  ``train/`` only and the others are held-out splits for ``metrics.real_split`` (``splits`` lists the folders
  found; each may hold side-by-side files or ``A/`` + ``B/``). Without split folders everything under ``data_dir``
  is training data and ``train`` the only split. Training pairs are decoded once at start-up, a held-out split's
  when it is first asked for (the metrics callback asks before training), and held in memory as ``uint8``
  (pix2pix's sets are hundreds to a few thousand pairs); names without a partner, pairs of different sizes,
  side-by-side files that are not 2:1 and unreadable files are one-line errors naming the file (unreadable files
  are skipped with a warning under ``data.on_corrupt=skip``).
* ``fashion_edges`` (the offline demo): Fashion-MNIST images, zero-padded to 32 px, as targets, and their edge
  maps as inputs, the way pix2pix's edges->shoes/handbags sets were made from photos. The operator (documented
  in :func:`sobel_edges`): the Sobel gradient magnitude of the image in [0, 1], 1 where it exceeds
  :data:`EDGE_THRESHOLD`, else 0. Fashion-MNIST has sneakers, bags and boots like pix2pix's sets, ships offline
  (Debian's ``dataset-fashion-mnist``) and has labels, so whether a translation keeps the class is measurable.
"""

from __future__ import annotations

import os
import warnings
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
import torchvision.transforms.v2.functional as TF
from PIL import Image
from torch import Tensor

from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import file_args, image_args, register_dataset
from gan_lightning.data.base import DataUnavailableError, ImageData, ImageDataModule, check_resolution
from gan_lightning.data.image_files import (
    IMAGE_EXTENSIONS,
    PIL_MODES,
    UNREADABLE,
    CorruptFilesData,
    ImageFilesData,
    check_header,
    image_file_args,
)
from gan_lightning.data.image_folder import iter_image_files, normalize_extensions
from gan_lightning.data.mnist import FashionMNISTDataModule, pad_to

PAIRED_RESOLUTIONS = (32, 64, 128, 256)
"""Powers of two: the U-Net halves the side down to 1 pixel."""
SPLIT_FOLDERS = ("train", "val", "test")
"""The sub-folders pix2pix's datasets split their pairs into; ``train`` is what ``paired_folder`` trains on."""
EDGE_THRESHOLD = 0.5
"""Sobel gradient magnitude (of an image in [0, 1]) above which a pixel is an edge."""


def sobel_edges(images: Tensor, threshold: float = EDGE_THRESHOLD) -> Tensor:
    """``uint8`` grey images ``(N, 1, H, W)`` -> their edge maps, ``uint8`` 0 or 255, same shape.

    The horizontal and vertical Sobel filters ([1, 2, 1] smoothing times a [-1, 0, 1] difference) of the image
    in [0, 1], zero-padded by one pixel; a pixel is an edge when the gradient magnitude exceeds ``threshold``.
    """
    pixels = images.float() / 255
    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    kernels = torch.stack([kx, kx.T]).unsqueeze(1)
    gradients = F.conv2d(pixels, kernels, padding=1)
    magnitude = gradients.square().sum(dim=1, keepdim=True).sqrt()
    return (magnitude > threshold).to(torch.uint8) * 255


def read_input_image(path: str, mode: str) -> Image.Image:
    """The image file ``path`` in PIL ``mode``; an unreadable file is a one-line :class:`DataUnavailableError`."""
    reason = check_header(path)
    if reason is not None:
        raise DataUnavailableError(f"cannot read input image {path} ({reason})")
    try:
        with Image.open(path) as image:
            return image.convert(mode)
    except UNREADABLE as error:
        raise DataUnavailableError(f"cannot read input image {path} ({type(error).__name__}: {error})") from error


class PairedDataModule(ImageDataModule):
    """Targets (``data``) and their ``inputs``, both ``uint8`` ``(N, C, R, R)``; batches are ``(inputs, targets)``.

    Subclasses also say how one input file the user brings is decoded (:meth:`decode_inputs`), the way training
    decodes its inputs, so ``scripts/sample.py --inputs`` translates what the generator was trained on.
    """

    has_classes = False

    def __init__(self, batch_size: int, seed: int, value_range: tuple[float, float], device: str = "cpu") -> None:
        super().__init__(batch_size, seed, value_range, device)
        self.inputs: Tensor | None = None
        self.input_channels = 1

    @property
    def conditioning_name(self) -> str:
        return "image"

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one input image G translates."""
        return (self.input_channels, *self.data_shape[1:])

    def on_after_batch_transfer(self, batch: Sequence[Tensor], dataloader_idx: int) -> tuple[Tensor, Tensor]:
        targets, inputs = batch  # the loader serves the stored set (targets) with its inputs beside it
        return self.to_model_space(inputs), self.to_model_space(targets)

    @abstractmethod
    def decode_inputs(self, paths: Sequence[str]) -> Tensor:
        """Input image files decoded as training decodes its inputs: ``uint8`` ``(N, C, R, R)``; an unreadable file
        is a one-line :class:`DataUnavailableError`."""

    def training_conditions(self) -> Tensor:
        self.setup()
        assert self.inputs is not None, f"{type(self).__name__}.load() must set inputs"
        return self.inputs

    def evaluation_inputs(self, split: str) -> Tensor:
        """The inputs of :meth:`evaluation_images` (the targets), pair by pair."""
        if split != "train":
            raise DataUnavailableError(
                f"metrics.real_split={split!r} is not available here; allowed: {', '.join(self.splits)}"
            )
        return self.training_conditions()


class FashionEdgesDataModule(PairedDataModule):
    """Fashion-MNIST targets at ``resolution`` (32 or 64) with their :func:`sobel_edges` as inputs."""

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
        check_resolution("fashion_edges", resolution, (32, 64))
        self.fashion = FashionMNISTDataModule(batch_size, seed, value_range, resolution, data_dir, download, device)

    @property
    def data_shape(self) -> tuple[int, ...]:
        return self.fashion.data_shape

    def unavailable(self) -> str | None:
        return self.fashion.unavailable()

    def prepare_data(self) -> None:
        self.fashion.prepare_data()

    def load(self) -> Tensor:
        images = self.fashion.load()
        self.labels = self.fashion.labels
        self.inputs = sobel_edges(images)
        return images

    def evaluation_images(self, split: str) -> Tensor:
        return self.fashion.evaluation_images(split) if split == "test" else super().evaluation_images(split)

    def evaluation_inputs(self, split: str) -> Tensor:
        return sobel_edges(self.evaluation_images("test")) if split == "test" else super().evaluation_inputs(split)

    def evaluation_labels(self, split: str) -> Tensor:
        return self.fashion.evaluation_labels(split) if split == "test" else super().evaluation_labels(split)

    def decode_inputs(self, paths: Sequence[str]) -> Tensor:
        """Grey edge maps: at the training resolution as they are; at any other size resized to Fashion-MNIST's
        28 px and zero-padded like the training images (the edges of a 28-px garment, as training made them)."""
        images = []
        for path in paths:
            grey = read_input_image(path, "L")
            side = self.data_shape[-1]
            if grey.size != (side, side):
                grey = TF.resize(grey, [28, 28], antialias=True)
            pixels = TF.pil_to_tensor(grey).unsqueeze(0)
            images.append(pad_to(pixels, side)[0] if pixels.shape[-1] != side else pixels[0])
        return torch.stack(images)


class PairedFolderDataModule(PairedDataModule):
    """Pairs from ``data_dir/A`` + ``data_dir/B`` (same file names) or side-by-side files, optionally split into
    ``train/``, ``val/``, ``test/`` folders; see the module docstring."""

    def __init__(
        self,
        data_dir: str,
        batch_size: int,
        seed: int,
        value_range: tuple[float, float],
        resolution: int = 256,
        channels: int = 3,
        extensions: Sequence[str] = IMAGE_EXTENSIONS,
        on_corrupt: str = "skip",
        device: str = "cpu",
    ) -> None:
        super().__init__(batch_size, seed, value_range, device)
        check_resolution("paired_folder", resolution, PAIRED_RESOLUTIONS)
        self.data_dir = data_dir
        self.resolution = resolution
        self.channels = self.input_channels = channels
        self.extensions = normalize_extensions(extensions)
        self.on_corrupt = on_corrupt
        # data_dir's train/, val/, test/ folders (pix2pix's layout; none: all of data_dir is training data), looked
        # up once here so that the config loader's check of metrics.real_split sees the folders the run will read
        self.split_folders = tuple(s for s in SPLIT_FOLDERS if os.path.isdir(os.path.join(data_dir, s)))
        self.splits = self.split_folders or ("train",)
        self._held_out: dict[str, tuple[Tensor, Tensor]] = {}

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (self.channels, self.resolution, self.resolution)

    def split_root(self, split: str) -> str:
        """The folder ``split``'s pairs are read from: ``data_dir/split`` in pix2pix's layout, else ``data_dir``."""
        return os.path.join(self.data_dir, split) if self.split_folders else self.data_dir

    def _pairs(self, root: str) -> list[tuple[str, str | None]]:
        """``(input file, target file)``, or ``(side-by-side file, None)``; raises on names without a partner."""
        if not all(os.path.isdir(os.path.join(root, side)) for side in ("A", "B")):
            return [(path, None) for path in iter_image_files(root, self.extensions)]
        names = {side: _relative_files(os.path.join(root, side), self.extensions) for side in ("A", "B")}
        for side, other in (("A", "B"), ("B", "A")):
            alone = sorted(names[side] - names[other])
            if alone:
                more = f" and {len(alone) - 1} more" if len(alone) > 1 else ""
                raise DataUnavailableError(
                    f"{os.path.join(root, side, alone[0])} has no file of the same name in "
                    f"{os.path.join(root, other)}{more}; every input needs its target"
                )
        return [(os.path.join(root, "A", n), os.path.join(root, "B", n)) for n in sorted(names["A"])]

    def unavailable(self) -> str | None:
        if not os.path.isdir(self.data_dir):
            return (
                f"data.data_dir={self.data_dir!r} is not a folder; point it at A/ and B/ folders or side-by-side pairs"
            )
        if self.split_folders:
            found = ", ".join(f"{s}/" for s in self.split_folders)
            if all(os.path.isdir(os.path.join(self.data_dir, side)) for side in ("A", "B")):
                return (
                    f"data.data_dir={self.data_dir!r} holds both A/ + B/ and {found}: keep one layout "
                    "(A/ and B/ inside each split folder are fine)"
                )
            if "train" not in self.split_folders:
                return f"data.data_dir={self.data_dir!r} holds {found} but no train/ folder; training reads train/"
        for split in self.splits:
            root = self.split_root(split)
            try:
                pairs = self._pairs(root)
            except DataUnavailableError as error:
                return str(error)
            if not pairs:
                where = f"data.data_dir={self.data_dir!r}" if root == self.data_dir else root
                return f"{where} holds no image pairs ({', '.join(self.extensions)})"
        return None

    def load(self) -> Tensor:
        problem = self.unavailable()
        if problem:
            raise DataUnavailableError(problem)
        self.inputs, targets = self._read(self.split_root("train"))
        return targets

    def evaluation_images(self, split: str) -> Tensor:
        if split == "train" or split not in self.splits:
            return super().evaluation_images(split)  # type: ignore[return-value]
        return self._held_out_pairs(split)[1]

    def evaluation_inputs(self, split: str) -> Tensor:
        if split == "train" or split not in self.splits:
            return super().evaluation_inputs(split)
        return self._held_out_pairs(split)[0]

    def _held_out_pairs(self, split: str) -> tuple[Tensor, Tensor]:
        """``(inputs, targets)`` of a ``val`` or ``test`` folder, read on first use."""
        if split not in self._held_out:
            problem = self.unavailable()
            if problem:
                raise DataUnavailableError(problem)
            self._held_out[split] = self._read(self.split_root(split))
        return self._held_out[split]

    def _read(self, root: str) -> tuple[Tensor, Tensor]:
        """Every pair under ``root`` decoded: ``(inputs, targets)``, ``uint8`` ``(N, C, R, R)`` each."""
        inputs, targets, skipped = [], [], []
        for first, second in self._pairs(root):
            try:
                pair = self._decode(first, second)
            except _UnreadablePairError as error:
                if self.on_corrupt == "error":
                    raise DataUnavailableError(f"{error}; remove it or set data.on_corrupt=skip") from error
                skipped.append(str(error))
                continue
            inputs.append(pair[0])
            targets.append(pair[1])
        if skipped:
            warnings.warn(f"skipping {len(skipped)} unreadable pair(s): {'; '.join(skipped[:5])}", stacklevel=3)
        if not targets:
            raise DataUnavailableError(f"none of the image pairs under {root} can be read")
        return torch.stack(inputs), torch.stack(targets)

    def _decode(self, first: str, second: str | None) -> tuple[Tensor, Tensor]:
        for path in (first, second):
            reason = None if path is None else check_header(path)
            if reason is not None:
                raise _UnreadablePairError(f"cannot read image {path} ({reason})")
        try:
            with Image.open(first) as image:
                left = image.convert(PIL_MODES[self.channels])
            if second is None:
                width, height = left.size
                if width != 2 * height:
                    raise DataUnavailableError(
                        f"{first} is {width}x{height}; a side-by-side pair is twice as wide as high "
                        "(or put inputs in A/ and targets in B/)"
                    )
                halves = (left.crop((0, 0, height, height)), left.crop((height, 0, width, height)))
            else:
                with Image.open(second) as image:
                    right = image.convert(PIL_MODES[self.channels])
                if left.size != right.size:
                    raise DataUnavailableError(
                        f"{first} is {left.size[0]}x{left.size[1]} but {second} is {right.size[0]}x{right.size[1]}; "
                        "a pair must have one size"
                    )
                halves = (left, right)
        except UNREADABLE as error:
            raise _UnreadablePairError(f"cannot read image {first} ({type(error).__name__}: {error})") from error
        size = [self.resolution, self.resolution]
        return tuple(TF.pil_to_tensor(TF.resize(half, size, antialias=True)) for half in halves)  # type: ignore[return-value]

    def decode_inputs(self, paths: Sequence[str]) -> Tensor:
        """Input files as training decodes the A side: a side-by-side file (twice as wide as high) gives its left
        half, any other file is the input itself; both resized to ``resolution``."""
        inputs = []
        for path in paths:
            picture = read_input_image(path, PIL_MODES[self.channels])
            width, height = picture.size
            if width == 2 * height:
                picture = picture.crop((0, 0, height, height))
            inputs.append(TF.pil_to_tensor(TF.resize(picture, [self.resolution, self.resolution], antialias=True)))
        return torch.stack(inputs)


@dataclass
class PairedFolderData(CorruptFilesData, ImageFilesData):
    """A folder of pairs' options (``data_dir`` holds A/ and B/ or side-by-side pairs, optionally in train/, val/,
    test/)."""


@register_dataset("paired_folder", section=PairedFolderData)
def _paired_folder(cfg: ExperimentConfig) -> PairedFolderDataModule:
    data = cfg.data
    return PairedFolderDataModule(
        data.data_dir, *image_args(cfg), **image_file_args(data), on_corrupt=data.on_corrupt, device=data.device
    )


@register_dataset("fashion_edges", section=ImageData)
def _fashion_edges(cfg: ExperimentConfig) -> FashionEdgesDataModule:
    return FashionEdgesDataModule(*image_args(cfg), **file_args(cfg), device=cfg.data.device)


class _UnreadablePairError(Exception):
    """A file of a pair cannot be decoded (its message names the file)."""


def _relative_files(root: str, extensions: tuple[str, ...]) -> set[str]:
    return (
        {os.path.relpath(path, root) for path in iter_image_files(root, extensions)} if os.path.isdir(root) else set()
    )
