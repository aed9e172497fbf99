"""Differentiable augmentation: each op as DiffAugment defines it, gradients through it, ADA's p, config errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch
from helpers import DIGITS, REPO, state_of, tiny_config, train

from gan_lightning.augment import DiscriminatorAugment, brightness, contrast, cutout, saturation, translation
from gan_lightning.config.loading import ConfigError, load_config
from gan_lightning.config.schema import AugmentConfig
from gan_lightning.module import GANModule
from gan_lightning.steps.critics import discriminate_with_classes


def _images(batch: int = 32, channels: int = 3, side: int = 16) -> torch.Tensor:
    torch.manual_seed(0)
    return torch.rand(batch, channels, side, side) * 2 - 1


def test_brightness_adds_one_uniform_offset_per_sample() -> None:
    x = _images()
    offset = (brightness(x, 0.5) - x).flatten(1)
    assert torch.allclose(offset, offset[:, :1].expand_as(offset), atol=1e-6)
    assert offset.abs().max() <= 0.5 and offset[:, 0].std() > 0.1


def test_saturation_scales_around_the_channel_mean_and_leaves_grey_images_alone() -> None:
    x = _images()
    y = saturation(x, 1.0)
    mean_x, mean_y = x.mean(1, keepdim=True), y.mean(1, keepdim=True)
    assert torch.allclose(mean_x, mean_y, atol=1e-6)
    factor = ((y - mean_y).flatten(1) / (x - mean_x).flatten(1))[:, 0]
    assert torch.allclose((y - mean_y), (x - mean_x) * factor.view(-1, 1, 1, 1), atol=1e-5)
    assert factor.min() >= 0 and factor.max() <= 2
    grey = _images(channels=1)
    assert torch.equal(saturation(grey, 1.0), grey)


def test_contrast_scales_around_the_image_mean() -> None:
    x = _images()
    y = contrast(x, 0.5)
    assert torch.allclose(x.mean((1, 2, 3)), y.mean((1, 2, 3)), atol=1e-5)
    centred_x, centred_y = x - x.mean((1, 2, 3), keepdim=True), y - y.mean((1, 2, 3), keepdim=True)
    factor = centred_y.flatten(1).norm(dim=1) / centred_x.flatten(1).norm(dim=1)
    assert torch.allclose(centred_y, centred_x * factor.view(-1, 1, 1, 1), atol=1e-5)
    assert factor.min() >= 0.5 and factor.max() <= 1.5


def _shifted(image: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """``image`` moved by (dy, dx) pixels with zeros coming in."""
    out = torch.zeros_like(image)
    height, width = image.shape[-2:]
    out[:, max(dy, 0) : height + min(dy, 0), max(dx, 0) : width + min(dx, 0)] = image[
        :, max(-dy, 0) : height + min(-dy, 0), max(-dx, 0) : width + min(-dx, 0)
    ]
    return out


def test_translation_is_a_whole_pixel_zero_padded_shift_of_at_most_an_eighth() -> None:
    x = _images(batch=64, side=28) + 3  # no zero pixels, so the padding is recognisable
    y = translation(x, 0.125)
    limit = 4  # round(28 / 8)
    shifts = set()
    for image, moved in zip(x, y, strict=True):
        found = [
            (dy, dx)
            for dy in range(-limit, limit + 1)
            for dx in range(-limit, limit + 1)
            if torch.equal(_shifted(image, dy, dx), moved)
        ]
        assert len(found) == 1, "every sample is one integer shift of its image"
        shifts.add(found[0])
    assert len(shifts) > 20  # parameters drawn per sample


def test_cutout_zeroes_one_half_side_square_per_sample_and_the_gradient_is_its_mask() -> None:
    x = (_images(batch=64, side=16) + 3).requires_grad_(True)
    y = cutout(x, 0.5)
    y.sum().backward()
    zeroed = (y == 0).all(dim=1)  # (B, H, W)
    assert torch.equal(x.grad, (~zeroed)[:, None].expand_as(x).float())
    for mask in zeroed:
        rows, cols = mask.any(1).nonzero().flatten(), mask.any(0).nonzero().flatten()
        assert rows.numel() <= 8 and cols.numel() <= 8  # a square of side 8, clipped at the border
        assert mask.sum() == rows.numel() * cols.numel()  # one rectangle
        assert rows.numel() >= 4 and cols.numel() >= 4  # its centre is inside the image
    assert len({tuple(m.nonzero()[0].tolist()) for m in zeroed}) > 10


def test_probability_applies_each_augmentation_to_that_share_of_samples() -> None:
    x = _images(batch=4000, channels=1, side=8)
    assert torch.equal(DiscriminatorAugment(AugmentConfig(policy=["cutout"], p=0.0))(x), x)
    changed = (DiscriminatorAugment(AugmentConfig(policy=["cutout"], p=0.3))(x) != x).flatten(1).any(1)
    assert abs(changed.float().mean().item() - 0.3) < 0.03


def test_generator_gets_gradients_through_every_augmentation() -> None:
    config = tiny_config(Path("unused"), "quickstart", **{"augment.policy": "[color,translation,cutout]"})
    module = GANModule(config, DIGITS)
    fake = module.generator(torch.randn(8, config.generator.latent_dim))
    logits, _ = discriminate_with_classes(module.critics[0], fake, None, module.augment, module.shared_draw)
    module.adversarial_loss.generator_loss(logits).backward()
    grads = [p.grad for p in module.generator.parameters()]
    assert all(g is not None and torch.isfinite(g).all() and g.abs().sum() > 0 for g in grads)


def test_ada_moves_p_by_the_images_seen_toward_the_target() -> None:
    augment = DiscriminatorAugment(AugmentConfig(policy=["color"], ada=True, p=0.0, ada_interval=2, ada_kimg=1.0))
    identity = lambda t: t  # noqa: E731 - one process: the sum over ranks is the tensor itself
    for step in (1, 2):  # D says "real" to every real image: r_t = 1 > 0.6, p rises
        augment.observe(torch.ones(50), num_images=100)
        augment.end_generator_step(step, identity)
        assert augment.p.item() == pytest.approx(0.0 if step == 1 else 0.2)
    assert augment.rt.item() == 1.0
    for step in (3, 4):  # 30 of 50 negative: r_t = -0.2 < 0.6, p falls, clamped at 0
        augment.observe(torch.tensor([1.0] * 20 + [-1.0] * 30), num_images=200)
        augment.end_generator_step(step, identity)
    assert augment.rt.item() == pytest.approx(-0.2)
    assert augment.p.item() == 0.0
    capped = DiscriminatorAugment(AugmentConfig(policy=["color"], ada=True, p=0.9, max_p=0.95, ada_interval=1))
    capped.observe(torch.ones(4), num_images=10**6)
    capped.end_generator_step(1, identity)
    assert capped.p.item() == pytest.approx(0.95)


def test_p_is_logged_and_checkpointed(tmp_path: Path) -> None:
    extra = {"augment.policy": "[translation]", "augment.ada": "true", "augment.p": 0.0, "augment.ada_kimg": 0.1}
    run_dir = train(tiny_config(tmp_path, "quickstart", **{**extra, "augment.ada_interval": 2}))
    with open(run_dir / "metrics.csv", newline="") as stream:
        logged = [float(row["train/augment_p"]) for row in csv.DictReader(stream) if row.get("train/augment_p")]
    assert len(logged) == 3 and logged[-1] > 0
    assert state_of(run_dir)["augment.p"].item() == pytest.approx(logged[-1])


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("augment.policy=[color,flip]", "invalid value ['color', 'flip'] for config key 'augment.policy'"),
        ("augment.ada=true", "augment.ada=true adapts the probability of augment.policy, which is empty"),
        ("augment.p=1.5", "invalid value 1.5 for config key 'augment.p'"),
    ],
)
def test_invalid_augment_settings_are_one_line_errors(override: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config([REPO / "configs" / "quickstart.yaml"], [override])
    assert message in str(error.value) and "\n" not in str(error.value)


def test_augmentation_is_for_images_only() -> None:
    with pytest.raises(ConfigError, match=r"augment\.policy is for image data; toy_ring is not images"):
        load_config([REPO / "configs" / "toy_ring.yaml"], ["augment.policy=[color]"])
