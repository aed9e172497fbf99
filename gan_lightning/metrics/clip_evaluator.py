"""A small (2+1)-D CNN trained on real clips, whose penultimate features the ``clip_fd`` video metric compares.

The Fréchet Video Distance needs I3D weights trained on Kinetics, which are a download and a poor fit for bouncing
digits, as Inception is for MNIST (see :mod:`gan_lightning.metrics.classifier`). :class:`ClipEvaluator` is this
project's stand-in: trained on real clips only, with two heads, to tell clips in their true order from the same clips
with their frames shuffled in time, and to name the digits a clip shows. Its 128-d features therefore respond to
motion (a clip that jumps or stands still) as well as to content (a digit that is not one), so a Fréchet distance on
them sees what a per-frame distance cannot.

The network is trained once per clip setting (frames, resolution, digit size, digits per clip, speed, digit source)
by :func:`clip_evaluator_for`, seeded and on one thread, keyed by a hash of those options, the training recipe and
:data:`VERSION`, as :func:`~gan_lightning.metrics.trained.built_evaluator` keys every evaluator learnt from real data.
The quick config's evaluator ships with the package (:data:`SHIPPED`); others are cached under ``metrics.cache_dir``.
``scripts/build_evaluator.py`` (re)builds one and prints its accuracies on clips of held-out digits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lightning.metrics.trained import BuiltEvaluator, built_evaluator, one_thread

VERSION = "1"
"""Part of every cache key: bump it when the network, its preprocessing or its training changes."""
SHIPPED = Path(__file__).parent / "weights" / "clip_evaluator"
"""Evaluators shipped with the package, named like the cache's (``<key>.pt`` and its ``.json``), looked up first. The
clips are rendered the same everywhere, but training on CPUs with other vector units rounds differently and ends at
another network, and the clip FD moves with it: the same real training clips scored clip FD 0.46 by one machine's
evaluator and 0.51 by another's, their time-shuffled copies 187.9 and 144.6. The shipped one is the quick config's
(``video_moving_mnist_quick.yaml``), by which the published clip FDs are measured."""

RESOLUTION = 32
"""The side frames are resized to before the network (64-px clips are halved, so training stays cheap)."""

NUM_DIGITS = 10
"""Classes of the digit head."""


class ClipSource(Protocol):
    """What the evaluator is trained from: real clips of a split, rendered afresh from a seed
    (:meth:`~gan_lightning.data.moving_mnist.MovingMNISTDataModule.render`)."""

    def render(self, split: str, num_clips: int, seed: int) -> tuple[Tensor, Tensor]:
        """``(uint8 clips (N, T, C, H, W), digit labels (N, digits per clip))``."""
        ...


@dataclass(frozen=True)
class ClipEvaluatorRecipe:
    """How the evaluator is trained; every field is part of its cache key.

    The default renders and trains in about 65 s at 32 px x 16 frames on one core of a 2-core machine (not measured
    alone), and reaches 0.997 ordered vs shuffled and 0.90 digit accuracy on held-out-digit clips
    (``scripts/build_evaluator.py``).
    """

    train_clips: int = 2000
    """Clips rendered from the training digits; each epoch shuffles a fresh half of them in time."""
    test_clips: int = 1000
    """Clips rendered from the held-out digits, on which the accuracies are measured."""
    epochs: int = 4
    batch_size: int = 16
    lr: float = 2e-3
    seed: int = 0
    """Seeds the clips, the initial weights, the batch order and the shuffles (not the run's seed: one evaluator
    serves every run of a clip setting)."""


class ClipEvaluator(nn.Module):
    """A (2+1)-D CNN: three 3x3 conv + max-pool stages on every frame (resized to 32 px: 32 -> 16 -> 8 -> 4 px),
    then two paths over the frames' 64-channel maps, concatenated into a 128-d feature layer with two heads.

    * content: each map's maximum over positions, averaged over the frames (what is shown, wherever it is);
    * motion: a 1x1x1 conv to 16 channels and a 3x3x3 conv over (time, rows, columns) to 64, maximum over all (how
      the maps change from frame to frame: a digit that jumps, stands still or morphs).

    Per-frame 2-D convolutions run several times faster on a CPU than 3-D ones of the same size, which is what keeps
    the training to a minute or two. Like :class:`~gan_lightning.metrics.classifier.DigitClassifier` it has no batch
    norm or dropout and stays in eval mode (:meth:`train` is a no-op): a fixed measuring instrument. About 70k
    parameters.
    """

    num_features = 128
    preprocessing = f"RGB averaged to grey; frames resized to {RESOLUTION}x{RESOLUTION} (bilinear, antialias)"

    def __init__(self) -> None:
        super().__init__()
        self.frames = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.motion = nn.Sequential(
            nn.Conv3d(64, 16, 1),
            nn.ReLU(),
            nn.Conv3d(16, 64, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveMaxPool3d(1),
            nn.Flatten(),
        )
        self.features = nn.Sequential(nn.Linear(64 + 64, self.num_features), nn.ReLU())
        self.order = nn.Linear(self.num_features, 2)
        self.digits = nn.Linear(self.num_features, NUM_DIGITS)
        super().train(False)

    def train(self, mode: bool = True) -> ClipEvaluator:
        """Stay in eval mode (no mode-dependent layers; see the class doc)."""
        return super().train(False)

    def forward(self, clips: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``(features (N, 128), order logits (N, 2): [ordered, shuffled], digit logits (N, 10))`` of float clips
        ``(N, T, C, H, W)`` in [0, 1], C = 1 or 3."""
        if not clips.is_floating_point() or clips.dim() != 5 or clips.shape[2] not in (1, 3):
            raise ValueError(f"expected float clips (N, T, 1 or 3, H, W) in [0, 1], got {clips.dtype} {clips.shape}")
        count, length = clips.shape[:2]
        frames = clips.flatten(0, 1).mean(dim=1, keepdim=True)
        if frames.shape[-2:] != (RESOLUTION, RESOLUTION):
            frames = F.interpolate(frames, size=(RESOLUTION, RESOLUTION), mode="bilinear", antialias=True)
        maps = self.frames(frames)  # (N * T, 64, 4, 4)
        content = maps.amax(dim=(2, 3)).view(count, length, -1).mean(dim=1)
        motion = self.motion(maps.view(count, length, *maps.shape[1:]).transpose(1, 2))  # over (N, 64, T, 4, 4)
        features = self.features(torch.cat((content, motion), dim=1))
        return features, self.order(features), self.digits(features)


def shuffle_frames(clips: Tensor, generator: torch.Generator) -> Tensor:
    """``clips`` with each clip's frames in a random order other than its own (a drawn identity becomes a shift by
    one frame, so every clip is out of order)."""
    count, frames = clips.shape[:2]
    order = torch.argsort(torch.rand(count, frames, generator=generator), dim=1)
    unchanged = (order == torch.arange(frames)).all(dim=1)
    order[unchanged] = torch.roll(torch.arange(frames), 1)
    return clips[torch.arange(count)[:, None], order]


def digit_targets(labels: Tensor) -> Tensor:
    """``(N, 10)`` target distributions: each of a clip's digits an equal share (one-hot for one-digit clips)."""
    counts = F.one_hot(labels.long(), NUM_DIGITS).sum(dim=1).float()
    return counts / counts.sum(dim=1, keepdim=True)


def order_and_digit_batch(clips: Tensor, labels: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor, Tensor]:
    """``(float clips in [0, 1], order labels (0 ordered, 1 shuffled), digit targets)``: a seeded half of ``clips``
    shuffled in time."""
    pixels = clips.float() / 255
    shuffled = torch.rand(len(clips), generator=generator) < 0.5
    pixels[shuffled] = shuffle_frames(pixels[shuffled], generator)
    return pixels, shuffled.long(), digit_targets(labels)


def train_clip_evaluator(clips: Tensor, labels: Tensor, recipe: ClipEvaluatorRecipe) -> ClipEvaluator:
    """A :class:`ClipEvaluator` trained with Adam on ``uint8`` clips and their digits ``(N, digits per clip)``;
    returned frozen. The sum of the two heads' cross-entropies is minimised on one thread (:func:`one_thread`); the
    weights, batch order and shuffles come from ``recipe.seed`` (the global RNG is left as it was), so the same call
    gives the same weights."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(recipe.seed)
        model = ClipEvaluator()
    generator = torch.Generator().manual_seed(recipe.seed + 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    with one_thread(), torch.enable_grad():  # a measure builds the evaluator when it first needs it, under no_grad
        for _ in range(recipe.epochs):
            order = torch.randperm(len(clips), generator=generator)
            for start in range(0, len(order), recipe.batch_size):
                batch = order[start : start + recipe.batch_size]
                pixels, shuffled, targets = order_and_digit_batch(clips[batch], labels[batch], generator)
                _, order_logits, digit_logits = model(pixels)
                loss = F.cross_entropy(order_logits, shuffled) + F.cross_entropy(digit_logits, targets)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
    model.requires_grad_(False)
    return model


@torch.no_grad()
def clip_evaluator_accuracy(
    model: ClipEvaluator, clips: Tensor, labels: Tensor, seed: int, batch_size: int = 100
) -> dict[str, float]:
    """``order_accuracy`` (a seeded half of ``clips`` shuffled in time, told apart from the rest) and
    ``digit_accuracy`` (a clip counts when its top-k digits are its k digits) on ``uint8`` clips."""
    generator = torch.Generator().manual_seed(seed)
    order_right = digits_right = 0
    for start in range(0, len(clips), batch_size):
        batch = slice(start, start + batch_size)
        pixels, shuffled, _ = order_and_digit_batch(clips[batch], labels[batch], generator)
        _, order_logits, digit_logits = model(pixels)
        order_right += int((order_logits.argmax(dim=1) == shuffled).sum())
        top = digit_logits.topk(labels.shape[1], dim=1).indices.sort(dim=1).values
        digits_right += int((top == labels[batch].sort(dim=1).values).all(dim=1).sum())
    return {"order_accuracy": order_right / len(clips), "digit_accuracy": digits_right / len(clips)}


class BuiltClipEvaluator(BuiltEvaluator[ClipEvaluator]):
    """A clip evaluator and what it is (see :class:`~gan_lightning.metrics.trained.BuiltEvaluator`): its accuracies
    on held-out-digit clips; its training time includes rendering its training clips."""

    folder: ClassVar[str] = "clip_evaluator"
    accuracy_labels: ClassVar[dict[str, str]] = {
        "order_accuracy": "on held-out-digit clips, ordered vs time-shuffled accuracy",
        "digit_accuracy": "digit accuracy",
    }

    @property
    def order_accuracy(self) -> float:
        """The share of held-out-digit clips told right as in order or shuffled in time."""
        return self.accuracies["order_accuracy"]

    @property
    def digit_accuracy(self) -> float:
        """The share of held-out-digit clips whose top-k digits are their k digits."""
        return self.accuracies["digit_accuracy"]


def evaluator_identity(clip_options: dict[str, Any], recipe: ClipEvaluatorRecipe) -> dict[str, Any]:
    """Everything that makes an evaluator what it is: the clip options, the recipe, the network's preprocessing and
    :data:`VERSION`."""
    return {
        "clips": clip_options,
        "recipe": asdict(recipe),
        "preprocessing": ClipEvaluator.preprocessing,
        "version": VERSION,
    }


def clip_evaluator_for(
    source: ClipSource,
    clip_options: dict[str, Any],
    cache_dir: str | Path,
    recipe: ClipEvaluatorRecipe = ClipEvaluatorRecipe(),
    rebuild: bool = False,
) -> BuiltClipEvaluator:
    """The evaluator of the clips ``source`` renders, described by ``clip_options``: loaded from :data:`SHIPPED` or
    ``<cache_dir>/clip_evaluator/`` under a hash of :func:`evaluator_identity`, else (or with ``rebuild``) trained on
    ``recipe.train_clips`` training-digit clips, measured on ``recipe.test_clips`` held-out-digit clips and cached
    (:func:`~gan_lightning.metrics.trained.built_evaluator`)."""

    def train() -> ClipEvaluator:
        clips, labels = source.render("train", recipe.train_clips, recipe.seed)
        return train_clip_evaluator(clips, labels, recipe)

    def measure(model: ClipEvaluator) -> dict[str, float]:
        test_clips, test_labels = source.render("test", recipe.test_clips, recipe.seed + 1)
        return clip_evaluator_accuracy(model, test_clips, test_labels, recipe.seed + 2)

    return built_evaluator(
        BuiltClipEvaluator,
        evaluator_identity(clip_options, recipe),
        network=ClipEvaluator,
        train=train,
        measure=measure,
        cache_dir=cache_dir,
        shipped=SHIPPED,
        rebuild=rebuild,
    )
