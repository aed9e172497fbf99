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
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from gan_lightning.metrics.classifier import RESOLUTION, DigitClassifier, accuracy, train_classifier

CLASS_SCORES = ("class_accuracy", "cas")
"""``metrics.names`` entries computed here; ``intra_fid`` lives with the feature metrics (sample_quality.py)."""


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
    """Class accuracy and CAS of generated images against fixed real test images.

    Args:
        names: which of :data:`CLASS_SCORES` to compute.
        classifier: the dataset's classifier (class accuracy); None when only CAS is asked for.
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
            raise ValueError(f"unknown class scores {unknown}; allowed: {', '.join(CLASS_SCORES)}")
        if "class_accuracy" in names and classifier is None:
            raise ValueError("class_accuracy needs a classifier of the data's classes")
        self.names = names
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
        if "class_accuracy" in self.names:
            assert self.classifier is not None
            values["class_accuracy"] = accuracy(self.classifier.cpu(), pixels, labels)
            values["class_accuracy_real"] = self.real_accuracy()
        if "cas" in self.names:
            with torch.enable_grad():
                values["cas"] = self.classification_accuracy_score(pixels, labels)
                values["cas_real"] = self.real_cas(len(pixels))
            values["cas_ratio"] = values["cas"] / max(values["cas_real"], 1e-12)
        return values
