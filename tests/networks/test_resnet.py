"""SNGAN's ResNet generator and discriminator: SNGAN's layout, spectral norm, options, gradients, training."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from helpers import tiny_config, train
from torch import nn
from torch.nn.utils import parametrize

from gan_lightning.config.sections import section_config
from gan_lightning.networks import ResNetDiscriminator, ResNetGenerator, build_discriminator, build_generator
from gan_lightning.networks.resnet import Residual

LATENT = 8


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def sngan(data_shape: tuple[int, ...], **d_options: object) -> tuple[nn.Module, nn.Module]:
    g_cfg = section_config("generator", arch="resnet", latent_dim=LATENT, width=8, init="xavier")
    d_cfg = section_config("discriminator", arch="resnet", width=8, norm="spectral", init="xavier", **d_options)
    return build_generator(g_cfg, data_shape), build_discriminator(d_cfg, data_shape)


@pytest.mark.parametrize(
    ("data_shape", "g_blocks", "d_down"), [((3, 32, 32), 3, 2), ((3, 64, 64), 4, 3), ((1, 28, 28), 2, 2)]
)
def test_block_layout_and_shapes(data_shape: tuple[int, ...], g_blocks: int, d_down: int) -> None:
    """32 px is SNGAN's CIFAR-10 layout: G 4×4 → 3 up blocks; D 2 down blocks then 2 more; 64 px adds one each."""
    generator, discriminator = sngan(data_shape)
    assert len(generator.blocks) == g_blocks
    d_blocks = [m for m in discriminator.blocks if isinstance(m, Residual)]
    assert len(d_blocks) == d_down + 2
    assert isinstance(d_blocks[-1].shortcut, nn.Identity)  # same size, same width: identity shortcut
    images = generator(torch.randn(4, LATENT))
    assert images.shape == (4, *data_shape) and images.abs().max() <= 1
    assert discriminator(images).shape == (4,)
    side = data_shape[1] // 2**d_down
    features = discriminator.blocks(images)
    assert features.shape == (4, 8, side, side)


def test_sngan_cifar_sizes() -> None:
    """SNGAN's CIFAR-10 widths (G 256, D 128) give its parameter counts, about 4.3 M and 1.05 M."""
    generator, discriminator = ResNetGenerator((3, 32, 32), 128, 256), ResNetDiscriminator((3, 32, 32), 128)
    assert sum(p.numel() for p in generator.parameters()) == pytest.approx(4.28e6, rel=0.01)
    assert sum(p.numel() for p in discriminator.parameters()) == pytest.approx(1.05e6, rel=0.01)


def test_every_discriminator_weight_is_spectrally_normalised() -> None:
    generator, discriminator = sngan((3, 32, 32))
    weighted = [m for m in discriminator.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(weighted) == 2 * 4 + 2 + 1  # two convs per block, two 1×1 shortcuts, the logit layer
    assert all(parametrize.is_parametrized(m, "weight") for m in weighted)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in discriminator.modules())
    assert sum(isinstance(m, nn.BatchNorm2d) for m in generator.modules()) == 2 * 3 + 1
    for _ in range(15):  # power iteration converges over training-mode forwards
        discriminator(torch.randn(8, 3, 32, 32))
    for layer in weighted:
        sigma = torch.linalg.matrix_norm(layer.weight.detach().flatten(1), ord=2)
        assert sigma.item() == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("pack", [1, 2])
def test_pack_and_minibatch_std(pack: int) -> None:
    _, discriminator = sngan((3, 32, 32), pack=pack, minibatch_std=True)
    assert discriminator.blocks[0].residual[0][0].in_channels == 3 * pack
    assert discriminator.logit[0].in_features == 8 + 1
    assert discriminator(torch.randn(8, 3, 32, 32)).shape == (8 // pack,)


@pytest.mark.parametrize("norm", ["batch", "none", "spectral"])
def test_gradients_reach_every_parameter(norm: str) -> None:
    generator = build_generator(
        section_config("generator", arch="resnet", latent_dim=LATENT, width=4, norm=norm), (3, 32, 32)
    )
    d_norm = "none" if norm == "batch" else norm
    discriminator = build_discriminator(
        section_config("discriminator", arch="resnet", width=4, norm=d_norm, minibatch_std=True, pack=2), (3, 32, 32)
    )
    discriminator(generator(torch.randn(8, LATENT))).sum().backward()
    for name, param in [*generator.named_parameters(), *discriminator.named_parameters()]:
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_rejects_batchnorm_discriminator_and_odd_shapes() -> None:
    with pytest.raises(ValueError, match="'spectral' or 'none', not 'batch'"):
        ResNetDiscriminator((3, 32, 32), norm="batch")
    with pytest.raises(ValueError, match=r"ResNet needs square .* \(16, 28, 32, 64, 128\)"):
        ResNetGenerator((3, 48, 48))


def test_resnet_trains_a_few_steps_with_r1(tmp_path: Path) -> None:
    """Double backward (R1) through the residual D, with the embedded MNIST digits padded to 32 px."""
    config = tiny_config(
        tmp_path,
        "quickstart",
        **{
            "generator.arch": "resnet",
            "discriminator.arch": "resnet",
            "discriminator.norm": "spectral",
            "data.resolution": 32,
            "loss.r1": 1.0,
            "train.max_steps": 2,
            "train.batch_size": 8,
            "train.sample_every": 0,
        },
    )
    assert (train(config) / "checkpoints" / "last.ckpt").is_file()
