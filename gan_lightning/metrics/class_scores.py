"""Does a class-conditional generator draw the class it is asked for? Two classifier-based answers.

* **Class accuracy**: how often a classifier of the dataset (the shipped MNIST / Fashion-MNIST
  :class:`~gan_lightning.metrics.classifier.DigitClassifier`) assigns the requested class to a generated
  image, logged beside that classifier's accuracy on the real test images (its ceiling: a generator whose
  images were real test images would score it).
* **Classification Accuracy Score** (CAS, Ravuri & Vinyals 2019): a fresh classifier trained on generated,
  labelled images only, tested on the real test images; logged beside the same classifier trained on as many
  real training images with the same settings (``cas_real``) and their ratio. A generator that ignores its
  label trains a classifier at chance; one whose class-conditionals match the data's scores like real data.

Both work on the classifier's input: images averaged to grey and resized to 28x28 (its own preprocessing).
Each is a :class:`ClassScore` in :data:`CLASS_SCORES`; a new one is a new file in this folder that calls
:func:`register_class_score` (docs/FORKING.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from gan_lightning.metrics.classifier import RESOLUTION, DigitClassifier, accuracy, train_classifier
from gan_lightning.metrics.sample_quality import named_values
from gan_lightning.registry import registrar


@dataclass(frozen=True)
class ClassScore:
    """One name ``metrics.names`` may list for class-conditional runs: what computes it, what its values are called,
    which way is better and what it needs.

    ``compute(scores, pixels, labels)`` gets the :class:`ClassScores` evaluator (its real test and training images,
    classifier and cached baselines), the generated images as the classifier sees them (``uint8`` ``(N, 1, 28, 28)``,
    on the CPU) and the classes they were asked for; it returns one float per entry of ``values`` (a float for one,
    a tuple for several), logged as ``val/<value>``.
    """

    compute: Callable[[ClassScores, Tensor, Tensor], float | tuple[float, ...]]
    values: tuple[str, ...]
    best: tuple[str, str]
    """The value ``metrics.keep_best`` follows when this score is listed first, and ``min`` or ``max``."""
    needs_classifier: bool = False
    """Whether it uses the dataset's classifier (``metrics.classifier_weights`` or a shipped one)."""
    held_out: bool = False
    """Whether it tests classifiers on the real images of ``metrics.real_split``, which must then be held out
    (``test``): trained on real training images, they would score the training images they saw."""


CLASS_SCORES: dict[str, ClassScore] = {}
"""``metrics.names`` entries of class-conditional runs scored from the classes of generated images, name ->
:class:`ClassScore`; ``intra_fid`` lives with the feature metrics (sample_quality.py)."""
register_class_score = registrar(CLASS_SCORES, "class score")


@dataclass(frozen=True)
class CASSettings:
    """How the CAS classifiers train: those of the shipped classifiers (``scripts/train_classifier.py``)."""

    epochs: int = 5
    batch_size: int = 64
    lr: float = 1e-3
    seed: int = 0


def to_classifier_pixels(images: Tensor) -> Tensor:
    """Images in [0, 1] ``(N, C, H, W)`` -> ``uint8`` ``(N, 1, 28, 28)``, as :class:`DigitClassifier` sees them."""
    images = images.float()
    if images.shape[1] == 3:
        images = images.mean(dim=1, keepdim=True)
    if images.shape[-2:] != (RESOLUTION, RESOLUTION):
        images = F.interpolate(images, size=(RESOLUTION, RESOLUTION), mode="bilinear", antialias=True)
    return images.clamp(0, 1).mul(255).round().to(torch.uint8)


class ClassScores:
    """The class scores of ``names`` (class accuracy, CAS, any registered) of generated images against fixed real
    test images.

    Args:
        names: which of :data:`CLASS_SCORES` to compute.
        classifier: the dataset's classifier; None when no score of ``names`` needs it.
        test_images, test_labels: real held-out images (``uint8``, any size and 1 or 3 channels) and classes.
        train_images, train_labels: real training images and classes, for the real-trained CAS baseline.
        num_classes: classes of the labels.
    """

    def __init__(
        self,
        names: list[str],
        classifier: DigitClassifier | None,
        test_images: Tensor,
        test_labels: Tensor,
        train_images: Tensor,
        train_labels: Tensor,
        num_classes: int,
        cas: CASSettings = CASSettings(),
    ) -> None:
        unknown = sorted(set(names) - set(CLASS_SCORES))
        if unknown:
            raise ValueError(f"unknown class scores {unknown}; registered: {', '.join(CLASS_SCORES)}")
        needing = [name for name in names if CLASS_SCORES[name].needs_classifier]
        if needing and classifier is None:
            raise ValueError(f"{needing[0]} needs a classifier of the data's classes")
        # In registration order, whatever the order of ``names``: CAS trains seeded classifiers, and a fixed order
        # keeps every value (and what follows it in the global RNG) the same however the scores are listed.
        self.names = [name for name in CLASS_SCORES if name in names]
        self.classifier = classifier
        self.test_images = to_classifier_pixels(test_images.float() / 255)
        self.test_labels = test_labels.long()
        self.train_images = train_images
        self.train_labels = train_labels.long()
        self.num_classes = num_classes
        self.cas = cas
        self._real_cas: dict[int, float] = {}
        self._real_accuracy: float | None = None

    def real_accuracy(self) -> float:
        """The classifier's accuracy on the real test images: the ceiling of class accuracy."""
        assert self.classifier is not None
        if self._real_accuracy is None:
            self._real_accuracy = accuracy(self.classifier.cpu(), self.test_images, self.test_labels)
        return self._real_accuracy

    def classification_accuracy_score(self, images: Tensor, labels: Tensor) -> float:
        """Test accuracy of a fresh classifier trained on ``images`` (``uint8`` 28x28 grey) labelled ``labels``."""
        model, _ = train_classifier(
            images,
            labels,
            epochs=self.cas.epochs,
            batch_size=self.cas.batch_size,
            lr=self.cas.lr,
            seed=self.cas.seed,
            num_classes=self.num_classes,
        )
        return accuracy(model, self.test_images, self.test_labels)

    def real_cas(self, num: int) -> float:
        """CAS of ``num`` real training images (a seeded subset), computed once per size."""
        if num not in self._real_cas:
            count = min(num, len(self.train_images))
            order = torch.randperm(len(self.train_images), generator=torch.Generator().manual_seed(self.cas.seed))
            chosen = order[:count]
            pixels = to_classifier_pixels(self.train_images[chosen].float() / 255)
            self._real_cas[num] = self.classification_accuracy_score(pixels, self.train_labels[chosen])
        return self._real_cas[num]

    @torch.no_grad()
    def evaluate(self, images: Tensor, labels: Tensor) -> dict[str, float]:
        """Scores of generated ``images`` in [0, 1] that were asked for classes ``labels`` (on the CPU)."""
        pixels = to_classifier_pixels(images.cpu())
        labels = labels.cpu().long()
        values: dict[str, float] = {}
        for name in self.names:
            score = CLASS_SCORES[name]
            values.update(named_values(score.values, score.compute(self, pixels, labels)))
        return values


def _class_accuracy(scores: ClassScores, pixels: Tensor, labels: Tensor) -> tuple[float, float]:
    """The classifier's accuracy on the requested classes, and on the real test images (its ceiling)."""
    assert scores.classifier is not None
    return accuracy(scores.classifier.cpu(), pixels, labels), scores.real_accuracy()


def _classification_accuracy_score(scores: ClassScores, pixels: Tensor, labels: Tensor) -> tuple[float, float, float]:
    """CAS, the CAS of as many real training images, and their ratio."""
    with torch.enable_grad():
        cas = scores.classification_accuracy_score(pixels, labels)
        real = scores.real_cas(len(pixels))
    return cas, real, cas / max(real, 1e-12)


register_class_score("class_accuracy")(
    ClassScore(
        _class_accuracy, ("class_accuracy", "class_accuracy_real"), ("class_accuracy", "max"), needs_classifier=True
    )
)
register_class_score("cas")(
    ClassScore(_classification_accuracy_score, ("cas", "cas_real", "cas_ratio"), ("cas", "max"), held_out=True)
)
