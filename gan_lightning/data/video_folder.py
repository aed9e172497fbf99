"""Your own clips from a folder: the way to train a video GAN on your data.

``data_dir`` holds clips in any mix of these layouts (hidden entries, ``.name``, are ignored), read in sorted name
order:

* a sub-folder of frame images per clip: the files with ``data.extensions`` directly in it are its frames, in sorted
  file-name order (zero-pad frame numbers: ``frame_010.png`` sorts after ``frame_009.png``, ``frame_10.png`` does not);
* a ``.npy`` or ``.npz`` file per clip, ``(T, H, W)`` grey or ``(T, H, W, C)`` with C 1 or 3, ``uint8`` or float in
  [0, 1]; an ``.npz`` holds exactly one array;
* many clips in one ``.npy`` / ``.npz``, ``(T, N, H, W)`` ``uint8``: the layout of Srivastava et al.'s
  ``mnist_test_seq.npy`` (20 frames of 10,000 64-px clips), which TGAN reads.

A 4-D array is one ``(T, H, W, C)`` clip when its last dimension is 1 or 3; otherwise it is ``(T, N, H, W)`` clips
when it is ``uint8`` and its last two dimensions are equal (square frames); any other 4-D array is an error, so a
layout is never guessed from values.

Every frame is converted to ``data.channels`` (1 grey or 3 RGB) and resized to ``data.resolution`` squares exactly as
an image folder's files are (shorter side resized, centre square kept); clips longer than ``data.frames`` keep their
first frames. A clip that is too short, a clip whose frames differ in size, an unreadable file or an array of the
wrong shape stops the run with its name: unlike an image folder (``data.on_corrupt``), a clip cannot skip one frame
without changing its motion.

The clips are read once at ``setup`` into one ``uint8`` ``(N, T, C, R, R)`` tensor held in memory, because users'
clip sets for GANs are small: 1,000 RGB clips of 16 64-px frames take 200 MB, Srivastava's 10,000 grey clips 655 MB.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import image_args, register_dataset
from gan_lightning.data.base import DataUnavailableError, InMemoryDataModule
from gan_lightning.data.image_files import IMAGE_EXTENSIONS, UNREADABLE, ImageFilesData, SquareImage, image_file_args
from gan_lightning.data.image_folder import iter_image_files_here, normalize_extensions
from gan_lightning.data.video import VideoSpace

CLIP_FILES = (".npy", ".npz")
ARRAY_CHANNELS = (1, 3)
"""Channel counts of a ``(T, H, W, C)`` clip array (a 4-D array ending in another size is ``(T, N, H, W)``)."""
UNREADABLE_ARRAY = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)
"""What numpy raises for a file that is not an array (or a pickle, refused), or a truncated or damaged one."""


def read_clip_array(path: str) -> np.ndarray:
    """The one array the ``.npy`` / ``.npz`` file ``path`` holds; an ``.npy`` is memory-mapped, so only the frames
    kept are read from disk."""
    try:
        loaded = np.load(path, mmap_mode="r", allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            return loaded
        with loaded:
            names = loaded.files
            if len(names) != 1:
                raise DataUnavailableError(
                    f"clip file {path} holds {len(names)} arrays ({', '.join(names) or 'none'}); "
                    "save exactly one clip array per .npz"
                )
            return loaded[names[0]]
    except UNREADABLE_ARRAY as error:
        reason = " ".join(f"{type(error).__name__}: {error}".split())
        raise DataUnavailableError(
            f"cannot read clip file {path} as an array ({reason}); replace or remove it"
        ) from error


def clips_of(array: np.ndarray, path: str) -> np.ndarray:
    """``array`` as clips ``(N, T, H, W, C)`` by the layout rules of the module doc (a view, nothing copied)."""
    shape = array.shape
    if 0 not in shape:
        if array.ndim == 3:
            return array[None, ..., None]
        if array.ndim == 4 and shape[-1] in ARRAY_CHANNELS:
            return array[None]
        if array.ndim == 4 and array.dtype == np.uint8 and shape[2] == shape[3]:
            return array.transpose(1, 0, 2, 3)[..., None]
    raise DataUnavailableError(
        f"clip file {path} holds a {array.dtype} array of shape {shape}; save one clip (T, H, W) or (T, H, W, C) "
        "with C 1 or 3, or uint8 clips (T, N, H, W) of square frames"
    )


def to_uint8(clips: np.ndarray, path: str) -> np.ndarray:
    """``uint8`` clips as they are; floats in [0, 1] scaled to 0..255; anything else an error naming ``path``."""
    if clips.dtype == np.uint8:
        return clips
    if not np.issubdtype(clips.dtype, np.floating):
        raise DataUnavailableError(f"clip file {path} holds {clips.dtype} values; save uint8 or float in [0, 1]")
    values = np.asarray(clips, dtype=np.float32)
    if not np.isfinite(values).all() or values.min() < 0 or values.max() > 1:
        raise DataUnavailableError(
            f"clip file {path} holds floats outside [0, 1] (min {values.min()}, max {values.max()}); "
            "save uint8 or float in [0, 1]"
        )
    return np.rint(values * 255).astype(np.uint8)


class VideoFolderDataModule(VideoSpace, InMemoryDataModule):
    """The clips in ``data_dir`` (see the module doc), as ``uint8`` ``(frames, channels, resolution, resolution)``."""

    splits = ("train",)

    def __init__(
        self,
        data_dir: str,
        batch_size: int,
        seed: int,
        value_range: tuple[float, float],
        *,
        frames: int = 16,
        resolution: int = 64,
        channels: int = 3,
        extensions: Sequence[str] = IMAGE_EXTENSIONS,
        device: str = "cpu",
    ) -> None:
        super().__init__(batch_size, seed, device)
        if frames < 2:
            raise ValueError(f"invalid value {frames} for config key 'data.frames'; a clip needs at least 2 frames")
        self.data_dir = data_dir
        self.value_range = value_range
        self.frames = frames
        self.decode = SquareImage(resolution, channels)
        self.extensions = normalize_extensions(extensions)

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (self.frames, self.decode.channels, self.decode.resolution, self.decode.resolution)

    def clip_paths(self) -> list[str]:
        """The clip sub-folders and clip files of ``data_dir``, sorted by name (listing only, nothing read)."""
        entries = sorted((e for e in os.scandir(self.data_dir) if not e.name.startswith(".")), key=lambda e: e.name)
        return [e.path for e in entries if e.is_dir() or e.name.lower().endswith(CLIP_FILES)]

    def unavailable(self) -> str | None:
        if not os.path.isdir(self.data_dir):
            return f"data.data_dir={self.data_dir!r} is not a folder; point it at a folder of clips"
        loose = next(iter_image_files_here(self.data_dir, self.extensions), None)
        if loose is not None:
            return (
                f"frame image {loose} is directly in data.data_dir; put each clip's frames in a sub-folder of its own"
            )
        if not self.clip_paths():
            return (
                f"data.data_dir={self.data_dir!r} holds no clips; add one sub-folder of frame images per clip "
                "or .npy/.npz clip files"
            )
        return None

    def load(self) -> Tensor:
        problem = self.unavailable()
        if problem:
            raise DataUnavailableError(problem)
        parts = [self._read_folder(p) if os.path.isdir(p) else self._read_file(p) for p in self.clip_paths()]
        return parts[0] if len(parts) == 1 else torch.cat(parts)

    def evaluation_images(self, split: str) -> Tensor:
        """The training clips ``uint8 (N, T, C, R, R)`` (``train``, the only split)."""
        return self.data if split == "train" else super().evaluation_images(split)  # type: ignore[return-value]

    def _too_short(self, what: str, path: str, count: int) -> DataUnavailableError:
        return DataUnavailableError(
            f"{what} {path} has {count} frames; data.frames={self.frames} needs at least {self.frames} "
            "(lower data.frames or remove the clip)"
        )

    def _read_folder(self, folder: str) -> Tensor:
        """One clip ``(1, T, C, R, R)`` from the frame images in ``folder``."""
        files = list(iter_image_files_here(folder, self.extensions))
        if not files:
            raise DataUnavailableError(
                f"clip folder {folder} holds no frame images ({', '.join(self.extensions)}); "
                "add its frames or remove the folder"
            )
        if len(files) < self.frames:
            raise self._too_short("clip folder", folder, len(files))
        frames, size = [], None
        for path in files[: self.frames]:
            try:
                with Image.open(path) as image:
                    if size is not None and image.size != size:
                        raise DataUnavailableError(
                            f"frame {path} is {image.width}x{image.height} px but {files[0]} is {size[0]}x{size[1]}; "
                            "every frame of a clip must have one size"
                        )
                    size = image.size
                    frames.append(self.decode.square(image))
            except UNREADABLE as error:
                reason = f"{type(error).__name__}: {error}"
                raise DataUnavailableError(f"cannot read frame {path} ({reason}); replace or remove it") from error
        return torch.stack(frames)[None]

    def _read_file(self, path: str) -> Tensor:
        """The clips ``(N, T, C, R, R)`` of one ``.npy`` / ``.npz`` file."""
        clips = clips_of(read_clip_array(path), path)
        if clips.shape[1] < self.frames:
            raise self._too_short("clip file", path, clips.shape[1])
        return self._square(to_uint8(clips[:, : self.frames], path))

    def _square(self, clips: np.ndarray) -> Tensor:
        """``uint8`` clips ``(N, T, H, W, C)`` → ``(N, T, channels, R, R)``, frame by frame as image files are; frames
        already of that size and channel count are copied as they are (what the resize would return)."""
        count, frames, height, width, channels = clips.shape
        side = self.decode.resolution
        if height == width == side and channels == self.decode.channels:
            return torch.from_numpy(np.array(clips.transpose(0, 1, 4, 2, 3), dtype=np.uint8, order="C"))
        flat = clips.reshape(count * frames, height, width, channels)
        squares = [self.decode.square(Image.fromarray(f[..., 0] if channels == 1 else f)) for f in flat]
        return torch.stack(squares).view(count, frames, self.decode.channels, side, side)


@dataclass
class VideoFolderData(ImageFilesData):
    """A folder of clips' options; ``extensions`` name the frame files, ``resolution`` and ``channels`` every
    frame's."""

    frames: int = 16
    """Frames per clip: clips with more are cut to their first frames."""


@register_dataset("video_folder", section=VideoFolderData)
def _video_folder(cfg: ExperimentConfig) -> VideoFolderDataModule:
    data = cfg.data
    return VideoFolderDataModule(
        data.data_dir, *image_args(cfg), frames=data.frames, **image_file_args(data), device=data.device
    )
