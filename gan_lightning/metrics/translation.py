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

import torch
from torch import Tensor
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

from gan_lightning.metrics.classifier import DigitClassifier

TRANSLATION_SCORES = ("l1", "psnr", "ssim", "class_preservation")


def _predicted_classes(classifier: DigitClassifier, images: Tensor, batch_size: int = 1000) -> Tensor:
    with torch.no_grad():
        return torch.cat(
            [classifier(images[i : i + batch_size])[1].argmax(dim=1) for i in range(0, len(images), batch_size)]
        )


@torch.no_grad()
def translation_scores(
    names: list[str], outputs: Tensor, targets: Tensor, classifier: DigitClassifier | None = None
) -> dict[str, float]:
    """The requested :data:`TRANSLATION_SCORES` of ``outputs`` against ``targets`` (both ``(N, C, H, W)`` in [0, 1])."""
    outputs, targets = outputs.float().clamp(0, 1), targets.float()
    values: dict[str, float] = {}
    if "l1" in names:
        values["l1"] = float((outputs - targets).abs().mean())
    if "psnr" in names:
        # dim=(1, 2, 3): one PSNR per pair, then their mean (see the module docstring)
        values["psnr"] = float(peak_signal_noise_ratio(outputs, targets, data_range=1.0, dim=(1, 2, 3)))
    if "ssim" in names:
        values["ssim"] = float(structural_similarity_index_measure(outputs, targets, data_range=1.0))
    if "class_preservation" in names:
        if classifier is None:
            raise ValueError("class_preservation needs a classifier of the data's classes")
        classifier = classifier.to(outputs.device)
        same = _predicted_classes(classifier, outputs) == _predicted_classes(classifier, targets)
        values["class_preservation"] = float(same.float().mean())
    return values
