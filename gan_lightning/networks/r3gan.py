"""R3GAN's generator and discriminator (Huang et al., "The GAN is dead; long live the GAN! A Modern GAN Baseline",
NeurIPS 2024), for square images of 28 to 64 px on a CPU and larger on a GPU.

Both are plain ResNeXt-style stacks without normalization, built from one residual block: a 1×1 convolution expanding
the channels ``expansion`` times, a grouped 3×3 convolution (``cardinality`` groups), a 1×1 convolution back, each of
the first two followed by a biased leaky ReLU (slope 0.2), the last one initialised to zero so every block starts as
the identity. The other weights are He-initialised with the fix-up gain ``L ** (-1/4)`` (``L`` blocks in the network,
three layers a block), which keeps the variance of the residual sum bounded however deep the stack: R3GAN's
replacement for normalization. Resolution changes by a fixed low-pass filter ([1, 3, 3, 1]², "interpolative"
resampling) rather than by strided or transposed convolutions.

G: z (with a class embedding beside it) → a learned ``start × start`` basis scaled per channel by a linear map of z →
``blocks`` residual blocks → per doubling: up-sample, ``blocks`` blocks → a 1×1 convolution to the image channels →
``output_activation``. D mirrors it: a 1×1 convolution from the (packed) image → per halving: ``blocks`` blocks,
down-sample → ``blocks`` blocks → a learned per-channel ``start × start`` filter reducing the map to a vector (the
discriminative basis) → a linear logit.

Where the template differs from the authors' code (``R3GAN/Networks.py``): every stage has the same ``width`` (R3GAN
narrows its last stages at high resolution); the basis is ``start × start`` with the template's start side (7 at
28 px, 4 otherwise; R3GAN always 4); G ends in ``output_activation`` (R3GAN's is linear); the class-conditional D
adds a projection or an ACGAN head to its unconditional logit (:class:`~gan_lightning.networks.conditioning.ClassHead`,
as the other image networks), where R3GAN's D is the projection alone; PacGAN's packing is available. ``init`` is not
read: the initialisation is part of the architecture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lightning.config.options import positive
from gan_lightning.config.schema import DiscriminatorConfig, GeneratorConfig
from gan_lightning.networks import register_discriminator, register_generator
from gan_lightning.networks.conditioning import ClassHead, check_conditional, conditional_input
from gan_lightning.networks.layers import image_geometry, output_activation_layer, pack_samples

SLOPE = 0.2
"""The leaky ReLU's negative slope."""
GAIN = math.sqrt(2 / (1 + SLOPE**2))
"""He's gain of a leaky ReLU of that slope: a layer before one is initialised with this standard-deviation factor."""
FILTER = (1.0, 3.0, 3.0, 1.0)
"""The resampling low-pass filter: R3GAN's [1, 2, 1] convolved with [1, 1]."""


def he_init(layer: nn.Conv2d | nn.Linear, gain: float = 1.0) -> nn.Module:
    """Weights ``N(0, (gain / sqrt(fan_in))²)`` (R3GAN's ``MSRInitializer``), no bias."""
    fan_in = layer.weight[0].numel()
    nn.init.normal_(layer.weight, 0.0, gain / math.sqrt(fan_in))
    return layer


def conv(in_channels: int, out_channels: int, kernel: int = 1, groups: int = 1, gain: float = 1.0) -> nn.Module:
    """A bias-free, same-size convolution, He-initialised with ``gain``."""
    layer = nn.Conv2d(in_channels, out_channels, kernel, padding=(kernel - 1) // 2, groups=groups, bias=False)
    return he_init(layer, gain)


class BiasedActivation(nn.Module):
    """``leaky_relu(x + b)`` with a per-channel bias starting at 0: the only biases of the networks."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x + self.bias.to(x.dtype).view(1, -1, 1, 1), SLOPE)


class ResidualBlock(nn.Module):
    """``x + conv1×1(act(conv3×3_grouped(act(conv1×1(x)))))``, the last convolution zero at start; ``blocks`` is
    the network's number of blocks, which sets the fix-up gain."""

    def __init__(self, channels: int, cardinality: int, expansion: int, blocks: int) -> None:
        super().__init__()
        expanded = channels * expansion
        gain = GAIN * blocks ** (-1 / 4)  # R3GAN: variance scaling L ** (-1 / (2m - 2)) with m = 3 layers
        self.residual = nn.Sequential(
            conv(channels, expanded, gain=gain),
            BiasedActivation(expanded),
            conv(expanded, expanded, kernel=3, groups=cardinality, gain=gain),
            BiasedActivation(expanded),
            conv(expanded, channels, gain=0.0),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.residual(x)


class Resample(nn.Module):
    """Doubles (``up``) or halves the side of every channel with the fixed :data:`FILTER`, channel by channel."""

    def __init__(self, up: bool) -> None:
        super().__init__()
        taps = torch.tensor(FILTER)
        kernel = torch.outer(taps, taps)
        self.register_buffer("kernel", (kernel / kernel.sum()).view(1, 1, 4, 4), persistent=False)
        self.up = up

    def forward(self, x: Tensor) -> Tensor:
        batch, channels, height, width = x.shape
        flat = x.reshape(batch * channels, 1, height, width)
        kernel = self.kernel.to(x.dtype)
        y = (
            F.conv_transpose2d(flat, 4 * kernel, stride=2, padding=1)
            if self.up
            else F.conv2d(flat, kernel, stride=2, padding=1)
        )
        return y.view(batch, channels, y.shape[-2], y.shape[-1])


def stage(channels: int, cardinality: int, expansion: int, blocks: int, total: int) -> list[nn.Module]:
    """``blocks`` residual blocks of a network of ``total``."""
    return [ResidualBlock(channels, cardinality, expansion, total) for _ in range(blocks)]


@dataclass
class R3GANBlocks:
    """The residual blocks' options, the same keys in ``generator`` and ``discriminator`` (``width`` is every stage's
    channels)."""

    blocks: int = positive(2)
    """Residual blocks per resolution (R3GAN: 2)."""
    cardinality: int = positive(16)
    """Groups of each block's 3×3 convolution; ``width * expansion`` must be a multiple (R3GAN: 16 channels a group)."""
    expansion: int = positive(2)
    """How many times each block's 1×1 convolution widens the channels (R3GAN: 2)."""


@dataclass
class R3GANGeneratorConfig(R3GANBlocks, GeneratorConfig):
    """R3GAN's generator options."""


@dataclass
class R3GANDiscriminatorConfig(R3GANBlocks, DiscriminatorConfig):
    """R3GAN's discriminator options."""


def _check_groups(role: str, width: int, expansion: int, cardinality: int) -> None:
    if (width * expansion) % cardinality:
        raise ValueError(
            f"{role}.width * {role}.expansion = {width * expansion} is not a multiple of {role}.cardinality = "
            f"{cardinality}"
        )


@register_generator("r3gan", section=R3GANGeneratorConfig)
class R3GANGenerator(nn.Module):
    """R3GAN's generator; see the module docstring. Returns (B, *data_shape)."""

    data_kinds = ("images",)
    """The kinds of data this network takes (``gan_lightning/kinds``); the config validator checks it."""

    def __init__(
        self,
        data_shape: tuple[int, ...],
        latent_dim: int = 64,
        width: int = 128,
        output_activation: str = "tanh",
        blocks: int = 2,
        cardinality: int = 16,
        expansion: int = 2,
        num_classes: int = 0,
        conditioning: str = "embedding",
    ) -> None:
        super().__init__()
        _check_groups("generator", width, expansion, cardinality)
        if num_classes and conditioning != "embedding":
            raise ValueError(
                f"generator.arch=r3gan has no normalization to condition: use generator.conditioning=embedding, not "
                f"{conditioning!r}"
            )
        self.latent_size, self.data_shape, self.width = latent_dim, tuple(data_shape), width
        self.start, n_up = image_geometry(self.data_shape, "r3gan")
        self.embed, _ = conditional_input(num_classes, "embedding", "none", latent_dim)
        total = blocks * (n_up + 1)
        self.basis = nn.Parameter(torch.randn(width, self.start, self.start))
        self.basis_scale = he_init(nn.Linear(latent_dim * (2 if self.embed is not None else 1), width, bias=False))
        layers = stage(width, cardinality, expansion, blocks, total)
        for _ in range(n_up):
            layers += [Resample(up=True), *stage(width, cardinality, expansion, blocks, total)]
        self.blocks = nn.Sequential(*layers)
        self.output = nn.Sequential(conv(width, self.data_shape[0]), output_activation_layer(output_activation))

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        z = z.flatten(1) if self.embed is None else self.embed(z, labels)
        x = self.basis.to(z.dtype) * self.basis_scale(z).view(z.shape[0], self.width, 1, 1)
        return self.output(self.blocks(x))


@register_discriminator("r3gan", section=R3GANDiscriminatorConfig)
class R3GANDiscriminator(nn.Module):
    """R3GAN's discriminator; see the module docstring. Returns logits (B // pack,)."""

    data_kinds = ("images",)
    """The kinds of data this network takes (``gan_lightning/kinds``); the config validator checks it."""
    feature_layer = "logit"
    """The layer whose input is this network's features: what feature matching compares (``loss.feature_matching``)."""

    def __init__(
        self,
        data_shape: tuple[int, ...],
        width: int = 128,
        pack: int = 1,
        blocks: int = 2,
        cardinality: int = 16,
        expansion: int = 2,
        num_classes: int = 0,
        conditioning: str = "projection",
    ) -> None:
        super().__init__()
        _check_groups("discriminator", width, expansion, cardinality)
        self.data_shape, self.pack = tuple(data_shape), pack
        start, n_down = image_geometry(self.data_shape, "r3gan")
        total = blocks * (n_down + 1)
        layers = [conv(self.data_shape[0] * pack, width)]
        for _ in range(n_down):
            layers += [*stage(width, cardinality, expansion, blocks, total), Resample(up=False)]
        layers += [*stage(width, cardinality, expansion, blocks, total)]
        layers.append(he_init(nn.Conv2d(width, width, start, groups=width, bias=False)))  # the discriminative basis
        self.blocks = nn.Sequential(*layers)
        self.logit = he_init(nn.Linear(width, 1, bias=False))
        self.head = None
        if num_classes:
            check_conditional(num_classes, pack)
            self.head = ClassHead(width, num_classes, conditioning, "none")

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor | tuple[Tensor, Tensor]:
        features = self.blocks(pack_samples(x, self.pack)).flatten(1)
        logits = self.logit(features).view(-1)
        return logits if self.head is None else self.head(logits, features, labels)
