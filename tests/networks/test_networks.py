"""Shapes, options, initialisation and gradient flow of the generator/discriminator networks."""

from __future__ import annotations

import math
import re

import pytest
import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from gan_lightning.config.schema import DiscriminatorConfig, GeneratorConfig
from gan_lightning.config.sections import section_config
from gan_lightning.networks import (
    ARCHS,
    DISCRIMINATORS,
    GENERATORS,
    INITS,
    NORMS,
    OUTPUT_ACTIVATIONS,
    SEQUENCE_ARCHS,
    MinibatchStdDev,
    build_discriminator,
    build_generator,
    init_weights,
    pack_samples,
)

LATENT = 8
IMAGE_ARCHS = [arch for arch in ARCHS if arch not in SEQUENCE_ARCHS]
"""The archs these tests build for images and flat vectors (recurrent ones: tests/networks/test_recurrent.py)."""
IMAGE_SHAPES = [(c, r, r) for r in (16, 28, 32, 64) for c in (1, 3)]
MLP_SHAPES = [(2,), (784,), (1, 28, 28), (3, 8, 8)]
SMALL_CASES = [("dcgan", (3, 32, 32)), ("dcgan", (1, 28, 28)), ("mlp", (2,))]
RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}


@pytest.fixture(autouse=True)
def _seed() -> None:
    """Fixed randomness so the statistical checks (init moments, power iteration) are reproducible."""
    torch.manual_seed(0)


def mlp_depth(arch: str) -> dict[str, int]:
    """Two hidden layers for the MLP (DCGAN's depth follows the resolution: it has no such option)."""
    return {"depth": 2} if arch == "mlp" else {}


def make_gan(arch: str, data_shape: tuple[int, ...], **d_options: object) -> tuple[nn.Module, nn.Module]:
    """A small G and D; ``d_options`` go to the discriminator config, ``norm`` to both."""
    norm = d_options.pop("norm", "none")
    g_cfg = section_config("generator", arch=arch, latent_dim=LATENT, width=4, **mlp_depth(arch), norm=norm)
    d_cfg = section_config("discriminator", arch=arch, width=4, **mlp_depth(arch), norm=norm, **d_options)
    return build_generator(g_cfg, data_shape), build_discriminator(d_cfg, data_shape)


def shape_cases() -> list[tuple[str, tuple[int, ...]]]:
    return [("dcgan", s) for s in IMAGE_SHAPES] + [("mlp", s) for s in MLP_SHAPES]


@pytest.mark.parametrize("activation", OUTPUT_ACTIVATIONS)
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize(("arch", "data_shape"), shape_cases())
def test_output_shapes_and_ranges(arch: str, data_shape: tuple[int, ...], norm: str, activation: str) -> None:
    g_cfg = section_config(
        "generator", arch=arch, latent_dim=LATENT, width=4, **mlp_depth(arch), norm=norm, output_activation=activation
    )
    generator = build_generator(g_cfg, data_shape)
    d_cfg = section_config("discriminator", arch=arch, width=4, **mlp_depth(arch), norm=norm)
    discriminator = build_discriminator(d_cfg, data_shape)
    assert generator.latent_size == LATENT
    assert generator.data_shape == data_shape
    x = generator(torch.randn(4, LATENT))
    assert x.shape == (4, *data_shape)
    assert torch.isfinite(x).all()
    if activation in RANGES:
        low, high = RANGES[activation]
        assert x.min() >= low and x.max() <= high
    assert discriminator(x).shape == (4,)


@pytest.mark.parametrize("minibatch_std", [False, True])
@pytest.mark.parametrize("pack", [1, 2, 4])
@pytest.mark.parametrize(("arch", "data_shape"), [("dcgan", (3, 32, 32)), ("mlp", (2,))])
def test_discriminator_pack_and_minibatch_std_shapes(
    arch: str, data_shape: tuple[int, ...], pack: int, minibatch_std: bool
) -> None:
    _, discriminator = make_gan(arch, data_shape, pack=pack, minibatch_std=minibatch_std)
    assert discriminator.pack == pack
    assert discriminator(torch.randn(8, *data_shape)).shape == (8 // pack,)


@pytest.mark.parametrize("arch", IMAGE_ARCHS)
def test_pack_rejects_indivisible_batch(arch: str) -> None:
    _, discriminator = make_gan(arch, (1, 28, 28), pack=4)
    with pytest.raises(ValueError, match="not divisible by pack=4"):
        discriminator(torch.randn(6, 1, 28, 28))


def test_pack_samples_concatenates_consecutive_samples() -> None:
    x = torch.randn(6, 2, 3, 3)
    packed = pack_samples(x, 3)
    assert packed.shape == (2, 6, 3, 3)
    torch.testing.assert_close(packed[1], torch.cat([x[3], x[4], x[5]]))
    flat = torch.randn(4, 5)
    torch.testing.assert_close(pack_samples(flat, 2)[1], torch.cat([flat[2], flat[3]]))


def test_minibatch_std_matches_hand_computation_on_features() -> None:
    # Groups of 2 out of 4 samples: {0, 2} and {1, 3}.
    x = torch.tensor([[0.0, 0.0], [0.0, 1.0], [2.0, 4.0], [0.0, 3.0]])
    out = MinibatchStdDev(group_size=2)(x)
    # Group {0, 2}: per-feature std (1, 2) -> mean 1.5; group {1, 3}: std (0, 1) -> mean 0.5.
    torch.testing.assert_close(out[:, :2], x)
    torch.testing.assert_close(out[:, 2], torch.tensor([1.5, 0.5, 1.5, 0.5]), atol=1e-3, rtol=0)


def test_minibatch_std_on_images_adds_one_constant_channel() -> None:
    x = torch.randn(4, 3, 2, 2)
    out = MinibatchStdDev(group_size=4)(x)
    assert out.shape == (4, 4, 2, 2)
    expected = x.std(dim=0, unbiased=False).mean()
    torch.testing.assert_close(out[:, 3], expected.expand(4, 2, 2), atol=1e-5, rtol=1e-5)


def test_minibatch_std_falls_back_to_a_divisor_of_the_batch() -> None:
    x = torch.randn(6, 5)
    out = MinibatchStdDev(group_size=4)(x)  # 4 does not divide 6: groups of 3, {0, 2, 4} and {1, 3, 5}
    groups = x.view(3, 2, 5).std(dim=0, unbiased=False).mean(dim=1)
    torch.testing.assert_close(out[:, 5], groups.repeat(3))


@pytest.mark.parametrize("arch", IMAGE_ARCHS)
def test_minibatch_std_widens_the_logit_layer_by_one(arch: str) -> None:
    def logit_fan_in(discriminator: nn.Module) -> int:
        weights = [m.weight for m in discriminator.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
        return weights[-1].shape[1]

    _, plain = make_gan(arch, (1, 32, 32))
    _, with_std = make_gan(arch, (1, 32, 32), minibatch_std=True)
    assert logit_fan_in(with_std) == logit_fan_in(plain) + 1


def test_dcgan_init_draws_weights_from_normal_002() -> None:
    module = nn.Sequential(nn.Linear(512, 512), nn.ConvTranspose2d(64, 64, 4), nn.BatchNorm2d(4096))
    init_weights(module, "dcgan")
    for layer in module[:2]:
        assert layer.weight.std().item() == pytest.approx(0.02, rel=0.05)
        assert abs(layer.weight.mean().item()) < 1e-3
        assert torch.count_nonzero(layer.bias) == 0
    assert module[2].weight.mean().item() == pytest.approx(1.0, abs=2e-3)
    assert module[2].weight.std().item() == pytest.approx(0.02, rel=0.05)
    assert torch.count_nonzero(module[2].bias) == 0


def test_orthogonal_init_gives_orthogonal_square_weights() -> None:
    layer = nn.Linear(64, 64)
    init_weights(layer, "orthogonal")
    torch.testing.assert_close(layer.weight @ layer.weight.T, torch.eye(64), atol=1e-5, rtol=0)


def test_xavier_init_is_uniform_with_glorot_bound() -> None:
    layer = nn.Linear(300, 500)
    init_weights(layer, "xavier")
    bound = math.sqrt(6 / (300 + 500))
    assert layer.weight.abs().max().item() <= bound
    assert layer.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.03)


def test_kaiming_init_matches_leaky_relu_gain() -> None:
    layer = nn.Conv2d(64, 128, 3)
    init_weights(layer, "kaiming")
    expected = math.sqrt(2 / (1 + 0.2**2)) / math.sqrt(64 * 9)
    assert layer.weight.std().item() == pytest.approx(expected, rel=0.03)


def test_default_init_leaves_pytorch_weights_alone() -> None:
    layer = nn.Linear(16, 16)
    before = [p.clone() for p in layer.parameters()]
    init_weights(layer, "default")
    for old, new in zip(before, layer.parameters(), strict=True):
        torch.testing.assert_close(old, new)


def test_init_rejects_unknown_scheme_and_spectral_layers() -> None:
    assert INITS == ("dcgan", "orthogonal", "xavier", "kaiming", "default")
    with pytest.raises(ValueError, match="unknown init"):
        init_weights(nn.Linear(2, 2), "he")
    with pytest.raises(RuntimeError, match="before spectral norm"):
        init_weights(spectral_norm(nn.Linear(2, 2)), "dcgan")


def test_networks_are_initialised_before_spectral_norm() -> None:
    cfg = section_config("discriminator", arch="mlp", width=512, depth=2, norm="spectral", init="dcgan")
    discriminator = build_discriminator(cfg, (2,))
    hidden = discriminator.net[1][0]  # second hidden Linear, 512 x 512
    assert hidden.parametrizations.weight.original.std().item() == pytest.approx(0.02, rel=0.05)


@pytest.mark.parametrize(("arch", "data_shape"), [*SMALL_CASES, ("dcgan", (3, 64, 64))])
def test_spectral_norm_bounds_every_layer_at_one(arch: str, data_shape: tuple[int, ...]) -> None:
    generator, discriminator = make_gan(arch, data_shape, norm="spectral")
    # Spectral norm refines its power-iteration estimate once per training-mode forward pass.
    for _ in range(20):
        discriminator(generator(torch.randn(8, LATENT)))
    layers = [m for m in [*generator.modules(), *discriminator.modules()] if hasattr(m, "parametrizations")]
    assert len(layers) == sum(isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)) for m in layers) > 0

    def sigma(layer: nn.Module, weight: torch.Tensor) -> float:
        # ConvTranspose weights are (in, out, k, k); spectral norm treats dim 1 as the output.
        matrix = weight.transpose(0, 1) if isinstance(layer, nn.ConvTranspose2d) else weight
        return torch.linalg.matrix_norm(matrix.detach().flatten(1), ord=2).item()

    assert max(abs(sigma(m, m.parametrizations.weight.original) - 1) for m in layers) > 0.3
    for layer in layers:
        assert sigma(layer, layer.weight) == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("data_shape", [(1, 20, 20), (3, 32, 28), (784,)])
def test_dcgan_rejects_unsupported_shapes(data_shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"\(16, 28, 32, 64, 128\)"):
        build_generator(section_config("generator"), data_shape)
    with pytest.raises(ValueError, match=r"\(16, 28, 32, 64, 128\)"):
        build_discriminator(section_config("discriminator"), data_shape)


def test_unknown_names_are_rejected_with_the_allowed_ones() -> None:
    # every registered network is offered, the shipped ones among them
    assert {"mlp", "dcgan", "resnet", "gru", "unet", "mocogan", "wavegan", "text_lstm"} <= set(GENERATORS)
    assert {"mlp", "dcgan", "resnet", "gru", "patchgan", "video3d", "wavegan", "text_cnn"} <= set(DISCRIMINATORS)
    with pytest.raises(ValueError, match=r"'stylegan'.*" + re.escape(str(tuple(GENERATORS)))):
        build_generator(GeneratorConfig(arch="stylegan"), (1, 28, 28))
    with pytest.raises(ValueError, match=r"'stylegan'.*" + re.escape(str(tuple(DISCRIMINATORS)))):
        build_discriminator(DiscriminatorConfig(arch="stylegan"), (1, 28, 28))
    with pytest.raises(ValueError, match="unknown norm 'layer'"):
        build_discriminator(section_config("discriminator", norm="layer"), (1, 28, 28))
    with pytest.raises(ValueError, match="unknown output activation 'relu'"):
        build_generator(section_config("generator", output_activation="relu"), (1, 28, 28))


def test_a_generator_without_latent_size_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoLatentSize(nn.Module):
        def __init__(self, data_shape: tuple[int, ...]) -> None:
            super().__init__()
            self.net = nn.Linear(4, math.prod(data_shape))

    monkeypatch.setitem(GENERATORS, "no_latent_size", NoLatentSize)
    with pytest.raises(ValueError, match=r"'no_latent_size' \(NoLatentSize\) must set an int attribute 'latent_size'"):
        build_generator(section_config("generator", arch="no_latent_size"), (2,))


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize(("arch", "data_shape"), SMALL_CASES)
def test_gradients_reach_every_parameter(arch: str, data_shape: tuple[int, ...], norm: str) -> None:
    generator, discriminator = make_gan(arch, data_shape, norm=norm, minibatch_std=True, pack=2)
    discriminator(generator(torch.randn(8, LATENT))).sum().backward()
    for name, param in [*generator.named_parameters(), *discriminator.named_parameters()]:
        assert param.grad is not None, name
        assert param.grad.abs().sum() > 0, name
