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
Each is a :class:`~gan_lightning.metrics.suite.Metric` of :class:`ClassScoreSuite`; a new one is a new file in this
folder that calls :func:`~gan_lightning.metrics.suite.register_metric` (docs/FORKING.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import Dataset

from gan_lightning.metrics.classifier import RESOLUTION, DigitClassifier, accuracy, dataset_classifier, train_classifier
from gan_lightning.metrics.suite import (
    METRICS,
    GeneratedSet,
    Metric,
    MetricError,
    Scores,
    Suite,
    named_values,
    register_metric,
)

if TYPE_CHECKING:
    from gan_lightning.config.schema import ExperimentConfig
    from gan_lightning.data.base import GANDataModule


HELD_OUT = "held_out"
"""What a class score's ``needs`` holds when it tests classifiers on the real images of ``metrics.real_split``, which
must then be held out (``test``): trained on real training images, they would score the training images they saw."""
CLASSIFIER = "classifier"
"""What a class score's ``needs`` holds when it uses the dataset's classifier (``metrics.classifier_weights`` or a
shipped one)."""


@dataclass(frozen=True)
class CASSettings:
    """How the CAS classifiers train: those of the shipped classifiers (``scripts/build_evaluator.py --classifier``)."""

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
        names: which class scores to compute.
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
        registered = [name for name, metric in METRICS.items() if metric.suite is ClassScoreSuite]
        unknown = sorted(set(names) - set(registered))
        if unknown:
            raise ValueError(f"unknown class scores {unknown}; registered: {', '.join(registered)}")
        needing = [name for name in names if CLASSIFIER in METRICS[name].needs]
        if needing and classifier is None:
            raise ValueError(f"{needing[0]} needs a classifier of the data's classes")
        # In registration order, whatever the order of ``names``: CAS trains seeded classifiers, and a fixed order
        # keeps every value (and what follows it in the global RNG) the same however the scores are listed.
        self.names = [name for name in registered if name in names]
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
            score = METRICS[name]
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


def _as_tensor(images: Tensor | Dataset[Tensor]) -> Tensor:
    """Real images as one ``uint8`` tensor (a dataset of image files is decoded once)."""
    if isinstance(images, Tensor):
        return images
    return torch.stack([images[i] for i in range(len(images))])  # type: ignore[arg-type]


class ClassScoreSuite(Suite):
    """The class scores of generated images (their classes asked for) against the real images of
    ``metrics.real_split``. Rank 0 computes them (CAS trains classifiers) and the values are broadcast.

    A score's ``compute(scores, pixels, labels)`` gets the :class:`ClassScores` evaluator (its real test and training
    images, classifier and cached baselines), the generated images as the classifier sees them (``uint8``
    ``(N, 1, 28, 28)``, on the CPU) and the classes they were asked for, and returns one float per value; its
    ``needs`` may hold :data:`CLASSIFIER` and :data:`HELD_OUT`.
    """

    def __init__(self, names: Sequence[str], scores: ClassScores) -> None:
        super().__init__(names)
        self.scores = scores

    @classmethod
    def build(cls, names: Sequence[str], config: ExperimentConfig, datamodule: GANDataModule, out_dir: Path) -> Suite:
        """Its real images and classifier load now; what is missing is a one-line :class:`MetricError`."""
        cfg = config.metrics
        needing = [name for name in names if CLASSIFIER in METRICS[name].needs]
        classifier = dataset_classifier(config.data.name, cfg.classifier_weights, needing[0]) if needing else None
        held_out = [name for name in names if HELD_OUT in METRICS[name].needs]
        if held_out and cfg.real_split != "test":
            raise MetricError(
                f"{held_out[0]} tests its classifiers on real held-out images: set metrics.real_split=test"
            )
        scores = ClassScores(
            list(names),
            classifier,
            _as_tensor(datamodule.evaluation_images(cfg.real_split)),
            datamodule.evaluation_labels(cfg.real_split),
            _as_tensor(datamodule.evaluation_images("train")),
            datamodule.evaluation_labels("train"),
            len(datamodule.class_counts()),
            CASSettings(seed=config.seed),
        )
        return cls(names, scores)

    def evaluate(self, module: Any, samples: GeneratedSet, step: int) -> Scores:
        assert samples.conditions is not None, "class scores score class-conditional samples"
        return Scores(self.scores.evaluate(samples.all(), samples.conditions))

    def details(self) -> dict[str, object]:
        return {"scored_by": "the dataset's classifier", "num_real": len(self.scores.test_labels)}


register_metric("class_accuracy")(
    Metric(
        ClassScoreSuite,
        _class_accuracy,
        ("class_accuracy", "max"),
        ("class_accuracy", "class_accuracy_real"),
        ("images",),
        ("classes",),
        needs=(CLASSIFIER,),
        companions=("intra_fid",),
    )
)
register_metric("cas")(
    Metric(
        ClassScoreSuite,
        _classification_accuracy_score,
        ("cas", "max"),
        ("cas", "cas_real", "cas_ratio"),
        ("images",),
        ("classes",),
        needs=(HELD_OUT,),
    )
)
