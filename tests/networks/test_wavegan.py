"""WaveGAN's networks: shapes, phase shuffle against a hand computation, and where its shifts come from."""

from __future__ import annotations

import re

import pytest
import torch

from gan_lightning.networks import build_discriminator, build_generator
from gan_lightning.networks.wavegan import PhaseShuffle, WaveGANDiscriminator, WaveGANGenerator, shift_reflected


def test_shapes_and_the_papers_size() -> None:
    generator = WaveGANGenerator((1, 4096), latent_dim=10, width=4)
    clips = generator(torch.randn(3, 10))
    assert clips.shape == (3, 1, 4096) and clips.abs().max() <= 1
    discriminator = WaveGANDiscriminator((1, 4096), width=4).eval()
    assert discriminator(clips).shape == (3,)
    paper = WaveGANGenerator((1, 16384), width=64)
    assert paper.dense[0].out_features == 16 * 1024  # 16 steps of 16d channels, as in the paper's table
    assert [m.kernel_size[0] for m in paper.modules() if isinstance(m, torch.nn.ConvTranspose1d)] == [25] * 5
    with pytest.raises(ValueError, match="multiple of 1024"):
        WaveGANGenerator((1, 5000))


def _constant_response(upsample: str) -> torch.Tensor:
    """G's first x4 layer with every weight 1 and no bias, on a constant feature map: what it adds on its own."""
    generator = WaveGANGenerator((1, 4096), latent_dim=4, width=1, norm="none", upsample=upsample)
    conv = next(m for m in generator.net.modules() if isinstance(m, torch.nn.ConvTranspose1d | torch.nn.Conv1d))
    layer = torch.nn.Sequential(*[m for m in generator.net.modules() if isinstance(m, torch.nn.Upsample)][:1], conv)
    torch.nn.init.ones_(conv.weight)
    torch.nn.init.zeros_(conv.bias)
    with torch.no_grad():
        return layer(torch.ones(1, conv.in_channels, 64))[0, 0, 40:-40]  # away from the edges


def test_nearest_upsampling_adds_no_periodic_artefact_where_a_transposed_convolution_does() -> None:
    """A stride-4 transposed convolution of kernel 25 sums 7 taps at one output phase in 4 and 6 at the others
    (25 = 6 * 4 + 1), so a constant input comes out with a period-4 ripple: the tone at a quarter of the sample rate
    (and its images) that gives a generated clip away. Nearest-neighbour x4 then a kernel-25 convolution sums 25
    taps everywhere."""
    ripple = _constant_response("transposed").view(-1, 4)
    assert torch.equal(ripple, ripple[:1].expand_as(ripple))  # period 4
    assert sorted(ripple[0].tolist()) == [6 * 16.0] * 3 + [7 * 16.0]  # 16 channels of width 1 * 16
    flat = _constant_response("nearest")
    assert torch.equal(flat, torch.full_like(flat, 25 * 16.0))
    generator = WaveGANGenerator((1, 4096), latent_dim=10, width=4, upsample="nearest")
    assert generator(torch.randn(2, 10)).shape == (2, 1, 4096)
    with pytest.raises(
        ValueError, match=re.escape("generator.upsample='linear'; wavegan takes one of: transposed, nearest")
    ):
        WaveGANGenerator((1, 4096), upsample="linear")


def test_shift_reflected_by_hand() -> None:
    x = torch.arange(6.0).view(1, 1, 6).repeat(3, 2, 1)
    out = shift_reflected(x, torch.tensor([1, -2, 0]))
    assert out[0, 0].tolist() == [1, 0, 1, 2, 3, 4]  # right by one: x[-1] reflects to x[1]
    assert out[1, 1].tolist() == [2, 3, 4, 5, 4, 3]  # left by two: x[6], x[7] reflect to x[4], x[3]
    assert out[2, 0].tolist() == [0, 1, 2, 3, 4, 5]


def test_phase_shuffle_shifts_come_from_the_shared_draw() -> None:
    layer = PhaseShuffle(2)
    draws: list[tuple[int, ...]] = []

    def draw(sampler, num, *shape):  # type: ignore[no-untyped-def]
        draws.append((num, *shape))
        return torch.tensor([0.0, 0.999, 0.5])  # floor(u * 5) - 2: shifts -2, 2, 0

    layer.draw = draw
    x = torch.arange(6.0).view(1, 1, 6).repeat(3, 1, 1)
    out = layer(x)
    assert draws == [(3,)]
    assert out[0, 0].tolist() == [2, 3, 4, 5, 4, 3]
    assert out[1, 0].tolist() == [2, 1, 0, 1, 2, 3]
    assert out[2, 0].tolist() == [0, 1, 2, 3, 4, 5]
    assert torch.equal(layer.eval()(x), x)  # off outside training


def test_an_unbound_phase_shuffle_says_where_its_noise_comes_from() -> None:
    discriminator = WaveGANDiscriminator((1, 1024), width=2)
    with pytest.raises(RuntimeError, match="shared noise"):
        discriminator(torch.zeros(2, 1, 1024))
    off = WaveGANDiscriminator((1, 1024), width=2, phase_shuffle=0)
    assert off(torch.zeros(2, 1, 1024)).shape == (2,)


def test_conditional_variants() -> None:
    from gan_lightning.config.sections import section_config

    g_cfg = section_config("generator", arch="wavegan", latent_dim=8, width=2, norm="none", conditioning="embedding")
    d_cfg = section_config("discriminator", arch="wavegan", width=2, norm="none", conditioning="projection")
    generator = build_generator(g_cfg, (1, 1024), "class-conditional", num_classes=10)
    discriminator = build_discriminator(d_cfg, (1, 1024), "class-conditional", num_classes=10).eval()
    labels = torch.tensor([3, 7])
    clips = generator(torch.randn(2, 8), labels)
    assert clips.shape == (2, 1, 1024)
    assert discriminator(clips, labels).shape == (2,)
    with pytest.raises(ValueError, match="labels"):
        generator(torch.randn(2, 8))
