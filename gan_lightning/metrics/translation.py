"""How close an image-translation generator's outputs are to their targets (pix2pix's evaluation).

Each score is the mean over pairs of that pair's value, on images in [0, 1]: ``l1`` (mean absolute pixel
difference), ``psnr`` (peak signal-to-noise ratio, dB: ``10 log10(1 / MSE)`` of the pair) and ``ssim`` (structural
similarity, 11x11 Gaussian windows), both from torchmetrics with a data range of 1. PSNR is reduced per pair: the
PSNR of the batch's pooled MSE (torchmetrics' default ``dim=None``) is the log of a mean, not the mean of the logs,
and is never larger. A pair reproduced exactly has an infinite PSNR (as in torchmetrics and scikit-image), and so
has the mean. L1 and SSIM need no such care: every pair has as many pixels as the next, so the mean over the batch
of absolute differences (or of SSIM-map values, averaged by torchmetrics per image, then over images) is the mean
of the per-pair values.
``class_preservation``: how often the dataset's classifier gives the output the class it gives the target
(pix2pix's "semantic" check, here with the shipped Fashion-MNIST / MNIST classifier). The FID of the outputs
against the real targets comes from the feature metrics (``fid`` in ``metrics.names``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

from gan_lightning.metrics.classifier import DigitClassifier, dataset_classifier
from gan_lightning.metrics.suite import METRICS, GeneratedSet, Metric, Scores, Suite, real_subset, register_metric

if TYPE_CHECKING:
    from gan_lightning.config.schema import ExperimentConfig
    from gan_lightning.data.base import GANDataModule


CLASSIFIER = "classifier"
"""What a translation score's ``needs`` holds when it uses the dataset's classifier (``metrics.classifier_weights``
or a shipped one)."""


def _predicted_classes(classifier: DigitClassifier, images: Tensor, batch_size: int = 1000) -> Tensor:
    with torch.no_grad():
        return torch.cat(
            [classifier(images[i : i + batch_size])[1].argmax(dim=1) for i in range(0, len(images), batch_size)]
        )


def _l1(outputs: Tensor, targets: Tensor, classifier: DigitClassifier | None) -> float:
    return float((outputs - targets).abs().mean())


def _psnr(outputs: Tensor, targets: Tensor, classifier: DigitClassifier | None) -> float:
    # dim=(1, 2, 3): one PSNR per pair, then their mean (see the module docstring)
    return float(peak_signal_noise_ratio(outputs, targets, data_range=1.0, dim=(1, 2, 3)))


def _ssim(outputs: Tensor, targets: Tensor, classifier: DigitClassifier | None) -> float:
    return float(structural_similarity_index_measure(outputs, targets, data_range=1.0))


def _class_preservation(outputs: Tensor, targets: Tensor, classifier: DigitClassifier | None) -> float:
    assert classifier is not None
    classifier = classifier.to(outputs.device)
    same = _predicted_classes(classifier, outputs) == _predicted_classes(classifier, targets)
    return float(same.float().mean())


class TranslationSuite(Suite):
    """The pixel scores of a translation run's outputs for the evaluation inputs (``metrics.num_real`` pairs of
    ``metrics.real_split``, the same seeded subset as the targets) against their targets. Every rank translates the
    same pairs and computes the same values.

    A score's ``compute(outputs, targets, classifier)`` gets the outputs (clamped to [0, 1]) and their targets, both
    float ``(N, C, H, W)`` in [0, 1] with one output per target, and the dataset's classifier (None unless its
    ``needs`` hold :data:`CLASSIFIER`); it returns the score as a float, logged as ``val/<name>``.
    """

    distributed = True

    def __init__(self, names: Sequence[str], targets: Tensor, classifier: DigitClassifier | None) -> None:
        super().__init__(names)
        self.targets = targets
        self.classifier = classifier

    @classmethod
    def build(cls, names: Sequence[str], config: ExperimentConfig, datamodule: GANDataModule, out_dir: Path) -> Suite:
        cfg = config.metrics
        targets: Tensor = real_subset(datamodule.evaluation_images(cfg.real_split), cfg.num_real)  # type: ignore[assignment]
        needing = [name for name in names if CLASSIFIER in METRICS[name].needs]
        classifier = dataset_classifier(config.data.name, cfg.classifier_weights, needing[0]) if needing else None
        return cls(names, targets.float() / 255, classifier)

    def evaluate(self, module: Any, samples: GeneratedSet, step: int) -> Scores:
        return Scores(translation_scores(self.names, samples.all(), self.targets, self.classifier))

    def details(self) -> dict[str, object]:
        return {"scored_by": "output-target pairs"}


def _register(
    name: str, compute: Callable[[Tensor, Tensor, DigitClassifier | None], float], best: str, *needs: str
) -> None:
    """``name`` as a translation score logged as ``val/<name>``, better ``best`` (``min`` or ``max``)."""
    register_metric(name)(Metric(TranslationSuite, compute, (name, best), (name,), ("images",), ("image",), needs))


_register("l1", _l1, "min")
_register("psnr", _psnr, "max")
_register("ssim", _ssim, "max")
_register("class_preservation", _class_preservation, "max", CLASSIFIER)


@torch.no_grad()
def translation_scores(
    names: Sequence[str], outputs: Tensor, targets: Tensor, classifier: DigitClassifier | None = None
) -> dict[str, float]:
    """The requested translation scores of ``outputs`` against ``targets`` (both ``(N, C, H, W)`` in [0, 1]), in
    registration order."""
    registered = [name for name, metric in METRICS.items() if metric.suite is TranslationSuite]
    unknown = sorted(set(names) - set(registered))
    if unknown:
        raise ValueError(f"unknown translation scores {unknown}; registered: {', '.join(registered)}")
    outputs, targets = outputs.float().clamp(0, 1), targets.float()
    values: dict[str, float] = {}
    for name in registered:
        score = METRICS[name]
        if name not in names:
            continue
        if CLASSIFIER in score.needs and classifier is None:
            raise ValueError(f"{name} needs a classifier of the data's classes")
        values[name] = score.compute(outputs, targets, classifier)
    return values
