"""DCGAN (Radford et al. 2016) generator and discriminator for square 28, 32 or 64 px images."""

from __future__ import annotations

from functools import partial
from itertools import pairwise

import torch
from torch import nn

from gan_lightning.networks.layers import (
    MinibatchStdDev,
    image_geometry,
    output_activation_layer,
    pack_samples,
    weight_block,
)

_STRIDE_2 = {"kernel_size": 4, "stride": 2, "padding": 1}
"""Doubles (ConvTranspose) or halves (Conv) the side of a feature map."""


class DCGANGenerator(nn.Module):
    """z → ConvTranspose to a start×start map → stride-2 ConvTranspose blocks → image.

    Channels halve with each block, down to ``width`` at the last hidden layer; the last
    stride-2 ConvTranspose maps to the image's C channels, followed by the output activation.
    """

    def __init__(
        self,
        data_shape: tuple[int, ...],
        latent_dim: int = 100,
        width: int = 64,
        norm: str = "batch",
        output_activation: str = "tanh",
        init: str = "dcgan",
    ) -> None:
        super().__init__()
        self.latent_size = latent_dim
        self.data_shape = tuple(data_shape)
        start, n_up = image_geometry(self.data_shape, "DCGAN")
        channels = [width * 2**k for k in reversed(range(n_up))]
        block = partial(weight_block, nn.ConvTranspose2d, norm=norm, init=init)
        self.net = nn.Sequential(
            block(latent_dim, channels[0], activation=nn.ReLU(), kernel_size=start),
            *[block(i, o, activation=nn.ReLU(), **_STRIDE_2) for i, o in pairwise(channels)],
            block(
                channels[-1],
                self.data_shape[0],
                activation=output_activation_layer(output_activation),
                batchnorm=False,
                **_STRIDE_2,
            ),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(z.shape[0], -1, 1, 1))


class DCGANDiscriminator(nn.Module):
    """Pack → stride-2 Conv blocks (``width`` channels, doubling) → [minibatch std] → logit.

    The input block has no BatchNorm, as in DCGAN. The blocks shrink the image to the
    generator's start map, which one full-size Conv turns into a logit. Returns (B // pack,).
    """

    def __init__(
        self,
        data_shape: tuple[int, ...],
        width: int = 64,
        norm: str = "none",
        init: str = "dcgan",
        minibatch_std: bool = False,
        pack: int = 1,
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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(pack_samples(x, self.pack)).view(-1)
