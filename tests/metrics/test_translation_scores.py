"""L1, PSNR and SSIM of image translation on pairs whose values are known in closed form.

Constant images make every score computable by hand: an output offset by ``d`` from its target has L1 ``d`` and
MSE ``d**2``; two constant images have no variance, so SSIM reduces to its luminance term.
"""

from __future__ import annotations

import math

import pytest
import torch

from gan_lightning.metrics.translation import translation_scores

SIDE = 32
"""Larger than SSIM's 11x11 window; constant images make its reflection padding constant too."""


def constant(*values: float, channels: int = 3) -> torch.Tensor:
    """One constant ``(channels, SIDE, SIDE)`` image per value, stacked."""
    return torch.stack([torch.full((channels, SIDE, SIDE), v) for v in values])


def test_psnr_is_the_mean_of_each_pairs_psnr_not_the_psnr_of_the_pooled_mse() -> None:
    targets = constant(0.2, 0.5)
    outputs = constant(0.3, 0.8)  # offsets 0.1 and 0.3: MSE 0.01 and 0.09
    per_pair = [10 * math.log10(1 / 0.01), 10 * math.log10(1 / 0.09)]  # 20 dB and 10.46 dB
    pooled = 10 * math.log10(1 / ((0.01 + 0.09) / 2))  # 13.01 dB: what one PSNR of the whole batch gives
    psnr = translation_scores(["psnr"], outputs, targets)["psnr"]
    assert psnr == pytest.approx(sum(per_pair) / 2, abs=1e-3)
    assert abs(psnr - pooled) > 2  # the two reductions are far apart here


def test_l1_is_the_mean_absolute_offset() -> None:
    targets = constant(0.2, 0.5, 0.9)
    outputs = constant(0.3, 0.8, 0.5)  # offsets 0.1, 0.3, 0.4
    assert translation_scores(["l1"], outputs, targets)["l1"] == pytest.approx((0.1 + 0.3 + 0.4) / 3, abs=1e-6)


def test_outputs_are_clamped_to_the_image_range_and_an_exact_pair_has_infinite_psnr() -> None:
    outputs = constant(1.5)  # clamped to 1
    scores = translation_scores(["l1", "psnr"], outputs, constant(0.9))
    assert scores["l1"] == pytest.approx(0.1, abs=1e-6)
    assert scores["psnr"] == pytest.approx(10 * math.log10(1 / 0.01), abs=1e-3)
    assert math.isinf(translation_scores(["psnr"], outputs, constant(1.0))["psnr"])


def test_ssim_of_identical_images_is_one() -> None:
    images = torch.rand(3, 3, SIDE, SIDE, generator=torch.Generator().manual_seed(0))
    assert translation_scores(["ssim"], images, images.clone())["ssim"] == pytest.approx(1.0, abs=1e-5)


def test_ssim_of_constant_images_is_the_mean_of_their_luminance_terms() -> None:
    c1 = (0.01 * 1.0) ** 2  # K1 = 0.01, data range 1; the variances are 0, so the contrast-structure term is 1

    def luminance(mx: float, my: float) -> float:
        return (2 * mx * my + c1) / (mx**2 + my**2 + c1)

    # Dark images, where C1 moves the value most (0.833 for 0.02 vs 0.01, 0.8 without C1). Brighter ones would
    # do too, but in float32 the window's covariance of a constant image is rounding noise of about
    # 1e-7 * mx * my, which against C2 = 9e-4 shifts SSIM by up to 1e-4 at means near 0.5 (measured).
    targets = constant(0.02, 0.5, 0.05)
    outputs = constant(0.01, 0.5, 0.15)
    expected = (luminance(0.02, 0.01) + luminance(0.5, 0.5) + luminance(0.05, 0.15)) / 3
    without_c1 = (0.8 + 1.0 + 0.6) / 3
    assert abs(expected - without_c1) > 0.01  # the case tells C1's presence apart
    assert translation_scores(["ssim"], outputs, targets)["ssim"] == pytest.approx(expected, abs=1e-4)
