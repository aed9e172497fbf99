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
from dataclasses import dataclass

import torch
from torch import Tensor
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

from gan_lightning.metrics.classifier import DigitClassifier
from gan_lightning.registry import registrar


@dataclass(frozen=True)
class TranslationScore:
    """One name ``metrics.names`` may list for image translation, logged as ``val/<name>``.

    ``compute(outputs, targets, classifier)`` gets the outputs (clamped to [0, 1]) and their targets, both float
    ``(N, C, H, W)`` in [0, 1] with one output per target, and the dataset's classifier (None unless
    ``needs_classifier``); it returns the score as a float.
    """

    compute: Callable[[Tensor, Tensor, DigitClassifier | None], float]
    best: str
    """``min`` or ``max``: which way ``metrics.keep_best`` follows this score when it is listed first."""
    needs_classifier: bool = False
    """Whether it uses the dataset's classifier (``metrics.classifier_weights`` or a shipped one)."""


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


TRANSLATION_SCORES: dict[str, TranslationScore] = {
    "l1": TranslationScore(_l1, "min"),
    "psnr": TranslationScore(_psnr, "max"),
    "ssim": TranslationScore(_ssim, "max"),
    "class_preservation": TranslationScore(_class_preservation, "max", needs_classifier=True),
}
"""What ``metrics.names`` may list for image translation besides the feature metrics, name ->
:class:`TranslationScore`; a new score is a new file in this folder that calls :func:`register_translation_score`."""
register_translation_score = registrar(TRANSLATION_SCORES, "translation score")


@torch.no_grad()
def translation_scores(
    names: Sequence[str], outputs: Tensor, targets: Tensor, classifier: DigitClassifier | None = None
) -> dict[str, float]:
    """The requested :data:`TRANSLATION_SCORES` of ``outputs`` against ``targets`` (both ``(N, C, H, W)`` in [0, 1]),
    in registration order."""
    unknown = sorted(set(names) - set(TRANSLATION_SCORES))
    if unknown:
        raise ValueError(f"unknown translation scores {unknown}; registered: {', '.join(TRANSLATION_SCORES)}")
    outputs, targets = outputs.float().clamp(0, 1), targets.float()
    values: dict[str, float] = {}
    for name, score in TRANSLATION_SCORES.items():
        if name not in names:
            continue
        if score.needs_classifier and classifier is None:
            raise ValueError(f"{name} needs a classifier of the data's classes")
        values[name] = score.compute(outputs, targets, classifier)
    return values
