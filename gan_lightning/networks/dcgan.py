"""DCGAN (Radford et al. 2016) generator and discriminator for square 28, 32, 64 or 128 px images.

They also take SpecGAN's spectrogram images of audio (Donahue et al. 2019: DCGAN on 128x128 log-magnitude STFTs;
the ``spectrogram`` kind).

With ``num_classes`` (``data.conditional``) both are class-conditional (:mod:`.conditioning`): G through
conditional batch norm or a label embedding beside z, D through a projection or an ACGAN classifier on
the features its last conv turns into the logit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from itertools import pairwise

import torch
from torch import nn

from gan_lightning.config.options import one_of
from gan_lightning.config.schema import GeneratorConfig
from gan_lightning.networks.conditioning import ClassHead, LabelledSequential, check_conditional, conditional_input
from gan_lightning.networks.layers import (
    MinibatchStdDev,
    image_geometry,
    output_activation_layer,
    pack_samples,
    weight_block,
)

_STRIDE_2 = {"kernel_size": 4, "stride": 2, "padding": 1}
"""Doubles (ConvTranspose) or halves (Conv) the side of a feature map."""
_SAME_3X3 = {"kernel_size": 3, "stride": 1, "padding": 1}
"""Keeps the side of a feature map."""
OUTPUT_LAYERS = ("transposed", "conv", "upsample")
"""How the DCGAN generator turns its last feature map into the image (``generator.output_layer``)."""


@dataclass
class DCGANGeneratorConfig(GeneratorConfig):
    """The DCGAN generator's option: how its last layer makes the image."""

    output_layer: str = one_of("transposed", OUTPUT_LAYERS)
    """How the image is made from the last feature map. transposed (DCGAN's: a stride-2 ConvTranspose straight
    to the image's channels, whose checkerboard no later layer can smooth) | conv (SNGAN's standard CNN: that
    ConvTranspose keeps ``width // 2`` hidden channels at full resolution, then a 3x3 conv makes the image) | upsample
    (Odena et al.'s resize-convolution: nearest-neighbour doubling, then a 3x3 conv to the image)."""


class DCGANGenerator(nn.Module):
    """z → ConvTranspose to a start×start map → stride-2 ConvTranspose blocks → image.

    Channels halve with each block, down to ``width`` at the last hidden layer. ``output_layer`` says how the image is
    made, followed by the output activation:

    - ``transposed`` (DCGAN's): the last stride-2 ConvTranspose maps straight to the image's C channels. Each output
      pixel then comes from one of the kernel's 4 phases, and nothing after it can smooth the checkerboard pattern
      that uneven overlap leaves (Odena et al. 2016, "Deconvolution and Checkerboard Artifacts").
    - ``conv`` (the "standard CNN" generator of SNGAN, Miyato et al. 2018, Table 3): the last stride-2 ConvTranspose
      keeps ``width // 2`` hidden channels at full resolution (BatchNorm, ReLU), and a 3×3 stride-1 conv makes the
      image from each pixel's neighbourhood. It costs about one more hidden layer at full resolution (twice the
      generator's multiply-adds at 28 px, width 128).
    - ``upsample`` (Odena et al.'s resize-convolution): nearest-neighbour doubling, then a 3×3 conv from the last
      hidden layer to the image. No pixel depends on a kernel phase, at almost no cost.
    """

    data_kinds = ("images", "spectrogram")
    """The kinds of data this network takes (``gan_lightning/kinds``); the config validator checks it."""

    def __init__(
        self,
        data_shape: tuple[int, ...],
        latent_dim: int = 100,
        width: int = 64,
        norm: str = "batch",
        output_activation: str = "tanh",
        init: str = "dcgan",
        num_classes: int = 0,
        conditioning: str = "batchnorm",
        output_layer: str = "transposed",
    ) -> None:
        super().__init__()
        if output_layer not in OUTPUT_LAYERS:
            raise ValueError(f"generator.output_layer={output_layer!r}; choose one of {OUTPUT_LAYERS}")
        if output_layer == "conv" and width < 2:
            raise ValueError(f"generator.output_layer=conv needs generator.width >= 2 (it halves it); got {width}")
        self.latent_size = latent_dim
        self.data_shape = tuple(data_shape)
        start, n_up = image_geometry(self.data_shape, "DCGAN")
        channels = [width * 2**k for k in reversed(range(n_up))]
        self.embed, bn_classes = conditional_input(num_classes, conditioning, norm, latent_dim)
        block = partial(weight_block, nn.ConvTranspose2d, norm=norm, init=init, num_classes=bn_classes)
        inputs = latent_dim * (2 if self.embed is not None else 1)
        layers = [
            block(inputs, channels[0], activation=nn.ReLU(), kernel_size=start),
            *[block(i, o, activation=nn.ReLU(), **_STRIDE_2) for i, o in pairwise(channels)],
        ]
        # Built after the hidden blocks: each block draws its initial weights from the seeded generator in turn.
        image = {"activation": output_activation_layer(output_activation), "batchnorm": False}
        conv = partial(weight_block, nn.Conv2d, norm=norm, init=init)
        if output_layer == "transposed":
            layers.append(block(channels[-1], self.data_shape[0], **image, **_STRIDE_2))
        elif output_layer == "conv":
            layers.append(block(channels[-1], width // 2, activation=nn.ReLU(), **_STRIDE_2))
            layers.append(conv(width // 2, self.data_shape[0], **image, **_SAME_3X3))
        else:
            layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
            layers.append(conv(channels[-1], self.data_shape[0], **image, **_SAME_3X3))
        self.net = LabelledSequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.embed is not None:
            z = self.embed(z, labels)
        return self.net(z.view(z.shape[0], -1, 1, 1), labels)


class DCGANDiscriminator(nn.Module):
    """Pack → stride-2 Conv blocks (``width`` channels, doubling) → [minibatch std] → logit.

    The input block has no BatchNorm, as in DCGAN. The blocks shrink the image to the
    generator's start map, which one full-size Conv turns into a logit. Returns (B // pack,).
    """

    data_kinds = ("images", "spectrogram")
    """The kinds of data this network takes (``gan_lightning/kinds``); the config validator checks it."""
    feature_layer = "net.-1"
    """The layer whose input is this network's features: what feature matching compares (``loss.feature_matching``)."""

    def __init__(
        self,
        data_shape: tuple[int, ...],
        width: int = 64,
        norm: str = "none",
        init: str = "dcgan",
        minibatch_std: bool = False,
        pack: int = 1,
        num_classes: int = 0,
        conditioning: str = "projection",
    ) -> None:
        super().__init__()
        self.data_shape = tuple(data_shape)
        self.pack = pack
        start, n_down = image_geometry(self.data_shape, "DCGAN")
        channels = [self.data_shape[0] * pack, *[width * 2**k for k in range(n_down)]]
        block = partial(weight_block, nn.Conv2d, norm=norm, init=init)
        layers: list[nn.Module] = [
            block(i, o, activation=nn.LeakyReLU(0.2), batchnorm=k > 0, **_STRIDE_2)
            for k, (i, o) in enumerate(pairwise(channels))
        ]
        if minibatch_std:
            layers.append(MinibatchStdDev())
        layers.append(block(channels[-1] + int(minibatch_std), 1, batchnorm=False, kernel_size=start))
        self.net = nn.Sequential(*layers)
        self.head = None
        if num_classes:
            check_conditional(num_classes, pack)
            features = (channels[-1] + int(minibatch_std)) * start * start  # what the last conv sees
            self.head = ClassHead(features, num_classes, conditioning, norm)

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        x = pack_samples(x, self.pack)
        if self.head is None:
            return self.net(x).view(-1)
        features = self.net[:-1](x)
        return self.head(self.net[-1](features).view(-1), features.flatten(1), labels)
