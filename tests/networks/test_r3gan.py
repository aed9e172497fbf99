"""R3GAN's networks against what the paper's code defines: identity blocks at start, fix-up gains, interpolative
resampling, shapes at the template's resolutions, conditioning and packing."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_lightning.config.loading import ConfigError, load_config
from gan_lightning.networks import DISCRIMINATORS, GENERATORS, build_discriminator, build_generator
from gan_lightning.networks.r3gan import BiasedActivation, Resample, ResidualBlock

SMALL = {"width": 16, "cardinality": 4, "blocks": 1}


@pytest.mark.parametrize("data_shape", [(1, 28, 28), (3, 32, 32), (3, 64, 64)])
def test_shapes_at_the_template_resolutions(data_shape: tuple[int, int, int]) -> None:
    generator = GENERATORS["r3gan"](data_shape, latent_dim=8, **SMALL)
    discriminator = DISCRIMINATORS["r3gan"](data_shape, pack=2, **SMALL)
    images = generator(torch.randn(4, 8))
    assert images.shape == (4, *data_shape) and images.abs().max() <= 1
    assert discriminator(images).shape == (2,)
    assert generator.basis.shape == (16, 7, 7) if data_shape[1] == 28 else (16, 4, 4)


def test_every_block_starts_as_the_identity() -> None:
    block = ResidualBlock(8, cardinality=2, expansion=2, blocks=6)
    x = torch.randn(3, 8, 5, 5)
    assert torch.equal(block(x), x)
    assert torch.count_nonzero(block.residual[-1].weight) == 0


def test_fix_up_gain_of_the_block_convolutions() -> None:
    """He's std for a leaky ReLU of slope 0.2 is sqrt(2 / 1.04) / sqrt(fan_in), scaled by L ** (-1/4) (L = 16)."""
    torch.manual_seed(0)
    block = ResidualBlock(64, cardinality=8, expansion=4, blocks=16)
    expand, grouped = block.residual[0].weight, block.residual[2].weight
    gain = math.sqrt(2 / 1.04) / 2  # 16 ** (-1/4) = 1/2
    assert expand.std().item() == pytest.approx(gain / math.sqrt(64), rel=0.05)
    assert grouped.std().item() == pytest.approx(gain / math.sqrt(256 // 8 * 9), rel=0.05)
    assert grouped.shape == (256, 32, 3, 3)  # 8 groups of 32 channels


def test_biased_activation() -> None:
    activation = BiasedActivation(2)
    activation.bias.data = torch.tensor([1.0, -1.0])
    x = torch.tensor([[[[-2.0]], [[3.0]]]])
    assert activation(x).flatten().tolist() == pytest.approx([-0.2, 2.0])


def test_resampling_is_the_1331_low_pass_filter() -> None:
    """A constant keeps its value both ways (the filter sums to one; up-sampling puts 4 taps' weight per output);
    down-sampling a single bright pixel spreads it with the weights [1, 3, 3, 1]² / 64: output (1, 1) reads input rows
    and columns 1 to 4, where the pixel at (3, 3) has weight 3 · 3, output (2, 2) rows 3 to 6, weight 1 · 1."""
    constant = torch.full((1, 2, 8, 8), 3.0)
    assert Resample(up=True)(constant).shape == (1, 2, 16, 16)
    assert torch.allclose(Resample(up=True)(constant)[..., 2:-2, 2:-2], constant.new_full((1, 2, 12, 12), 3.0))
    assert torch.allclose(Resample(up=False)(constant)[..., 1:-1, 1:-1], constant.new_full((1, 2, 2, 2), 3.0))
    impulse = torch.zeros(1, 1, 8, 8)
    impulse[0, 0, 3, 3] = 64.0
    taps = torch.tensor([1.0, 3.0, 3.0, 1.0])
    by_hand = F.conv2d(impulse, (torch.outer(taps, taps) / 64).view(1, 1, 4, 4), stride=2, padding=1)
    assert torch.allclose(Resample(up=False)(impulse), by_hand)
    assert Resample(up=False)(impulse)[0, 0, 1:3, 1:3].flatten().tolist() == pytest.approx([9.0, 3.0, 3.0, 1.0])


def test_conditional_variants() -> None:
    generator = GENERATORS["r3gan"]((1, 28, 28), latent_dim=8, num_classes=10, **SMALL)
    labels = torch.arange(4)
    images = generator(torch.randn(4, 8), labels)
    projection = DISCRIMINATORS["r3gan"]((1, 28, 28), num_classes=10, **SMALL)
    acgan = DISCRIMINATORS["r3gan"]((1, 28, 28), num_classes=10, conditioning="acgan", **SMALL)
    assert projection(images, labels).shape == (4,)
    logits, classes = acgan(images, labels)
    assert logits.shape == (4,) and classes.shape == (4, 10)
    with pytest.raises(ValueError, match=r"generator\.conditioning=embedding"):
        GENERATORS["r3gan"]((1, 28, 28), num_classes=10, conditioning="batchnorm", **SMALL)


def test_groups_must_divide_the_expanded_width() -> None:
    with pytest.raises(ValueError, match=r"generator\.width \* generator\.expansion = 32 is not a multiple of"):
        GENERATORS["r3gan"]((1, 28, 28), width=16, cardinality=5)


def test_options_come_from_the_config_section() -> None:
    overrides = ["generator.arch=r3gan", "discriminator.arch=r3gan", "generator.blocks=1", "discriminator.width=32",
                 "discriminator.cardinality=8", "generator.output_activation=tanh"]  # fmt: skip
    cfg = load_config(["configs/quickstart.yaml"], overrides)
    generator = build_generator(cfg.generator, (1, 28, 28))
    discriminator = build_discriminator(cfg.discriminator, (1, 28, 28))
    assert sum(isinstance(m, ResidualBlock) for m in generator.modules()) == 3  # one a resolution: 7, 14, 28
    assert discriminator.logit.in_features == 32
    assert discriminator.blocks[1].residual[2].groups == 8
    with pytest.raises(ConfigError, match=r"discriminator\.cardinality"):
        load_config(["configs/quickstart.yaml"], ["discriminator.arch=r3gan", "discriminator.cardinality=0"])


def test_trains_a_step_on_rpgan_with_r1_and_r2() -> None:
    """Gradients reach every parameter through the relativistic loss and both penalties (the zero-initialised last
    convolutions get theirs first)."""
    torch.manual_seed(0)
    generator = GENERATORS["r3gan"]((1, 28, 28), latent_dim=8, **SMALL)
    discriminator = DISCRIMINATORS["r3gan"]((1, 28, 28), **SMALL)
    real = torch.rand(4, 1, 28, 28).mul(2).sub(1).requires_grad_(True)
    fake = generator(torch.randn(4, 8)).detach().requires_grad_(True)
    real_logits, fake_logits = discriminator(real), discriminator(fake)
    r1 = torch.autograd.grad(real_logits.sum(), real, create_graph=True)[0].square().sum(dim=(1, 2, 3))
    r2 = torch.autograd.grad(fake_logits.sum(), fake, create_graph=True)[0].square().sum(dim=(1, 2, 3))
    (F.softplus(-(real_logits - fake_logits)) + 0.5 * (r1 + r2)).mean().backward()
    last_convs = [m.residual[-1].weight for m in discriminator.modules() if isinstance(m, ResidualBlock)]
    assert all(w.grad is not None and w.grad.abs().sum() > 0 for w in last_convs)
    assert isinstance(discriminator.blocks[0], nn.Conv2d)
