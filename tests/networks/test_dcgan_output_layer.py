"""The DCGAN generator's ``output_layer``: DCGAN's stride-2 ConvTranspose to pixels, SNGAN's standard-CNN ending (a
hidden full-resolution layer of ``width // 2`` channels, then a 3x3 conv to the image) or Odena et al.'s
resize-convolution (nearest doubling, then a 3x3 conv)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gan_lightning.config.sections import section_config
from gan_lightning.networks import build_discriminator, build_generator
from gan_lightning.networks.dcgan import OUTPUT_LAYERS

LATENT = 4


def generator(output_layer: str, data_shape: tuple[int, ...] = (1, 28, 28), width: int = 8) -> nn.Module:
    cfg = section_config("generator", arch="dcgan", latent_dim=LATENT, width=width, output_layer=output_layer)
    return build_generator(cfg, data_shape)


@pytest.mark.parametrize(
    ("output_layer", "expected"),
    [
        # 28 px, width 8: z (4) → ConvT k7 to 16@7 → ConvT k4 s2 to 8@14, each bias-free with BatchNorm (2 per channel).
        # transposed: ConvT k4 s2 straight to 1@28 with a bias.
        ("transposed", (4 * 16 * 49 + 2 * 16) + (16 * 8 * 16 + 2 * 8) + (8 * 1 * 16 + 1)),
        # conv: ConvT k4 s2 to 4@28 (BatchNorm), then a 3x3 conv to 1@28 with a bias.
        ("conv", (4 * 16 * 49 + 2 * 16) + (16 * 8 * 16 + 2 * 8) + (8 * 4 * 16 + 2 * 4) + (4 * 1 * 9 + 1)),
        # upsample: nearest doubling (no weights), then a 3x3 conv from 8@28 to 1@28 with a bias.
        ("upsample", (4 * 16 * 49 + 2 * 16) + (16 * 8 * 16 + 2 * 8) + (8 * 1 * 9 + 1)),
    ],
)
def test_parameter_count_matches_the_layers_by_hand(output_layer: str, expected: int) -> None:
    assert sum(p.numel() for p in generator(output_layer).parameters()) == expected


@pytest.mark.parametrize("data_shape", [(1, 28, 28), (3, 32, 32), (1, 64, 64)])
def test_conv_ending_makes_the_image_from_half_width_features_at_full_resolution(data_shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    net = generator("conv", data_shape)
    last = net.net[-1][0]
    assert isinstance(last, nn.Conv2d) and last.kernel_size == (3, 3) and last.stride == (1, 1)
    seen: list[torch.Size] = []
    handle = last.register_forward_hook(lambda _m, inputs, _out: seen.append(inputs[0].shape))
    image = net(torch.randn(5, LATENT))
    handle.remove()
    assert seen == [torch.Size((5, 4, *data_shape[1:]))]
    assert image.shape == (5, *data_shape) and image.abs().max() <= 1  # tanh
    discriminator = build_discriminator(section_config("discriminator", arch="dcgan", width=4), data_shape)
    discriminator(image).sum().backward()
    for name, param in net.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_the_default_is_dcgans_ending_with_unchanged_initial_weights() -> None:
    """Runs made before the option existed keep their seeds' weights: the hidden blocks draw theirs first."""
    torch.manual_seed(0)
    default = build_generator(section_config("generator", arch="dcgan", latent_dim=LATENT, width=8), (1, 28, 28))
    torch.manual_seed(0)
    conv = generator("conv")
    assert OUTPUT_LAYERS[0] == section_config("generator").output_layer == "transposed"
    assert isinstance(default.net[-1][0], nn.ConvTranspose2d) and default.net[-1][0].out_channels == 1
    for k in (0, 1):  # the shared hidden blocks get the same draws under either ending
        assert torch.equal(default.net[k][0].weight, conv.net[k][0].weight)


def test_a_conv_ending_needs_two_channels_to_halve() -> None:
    with pytest.raises(ValueError, match=r"generator.output_layer=conv needs generator.width >= 2"):
        generator("conv", width=1)


@pytest.mark.parametrize(("output_layer", "flat"), [("transposed", False), ("upsample", True)])
def test_only_the_transposed_ending_paints_a_checkerboard_on_flat_features(output_layer: str, flat: bool) -> None:
    """Odena et al. 2016: a stride-2 ConvTranspose gives neighbouring pixels different kernel phases, so even a
    spatially constant feature map comes out as a 2x2-periodic pattern; a resize-convolution keeps it flat."""
    torch.manual_seed(0)
    net = generator(output_layer)
    ending = net.net[2:]  # after the two hidden blocks: the layers that make the image from 8@14
    image = ending(torch.ones(1, 8, 14, 14))[0, 0, 2:-2, 2:-2]  # away from the zero-padded border
    assert torch.allclose(image, image.roll(shifts=(2, 2), dims=(0, 1)))  # 2x2-periodic either way
    assert (image.std() < 1e-6) == flat
    if not flat:
        assert image.std() > 1e-4
