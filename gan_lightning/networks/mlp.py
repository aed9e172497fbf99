"""Fully connected generator and discriminator: right-sized for toy 2-D data and quick MNIST runs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from itertools import pairwise

import torch
from torch import nn

from gan_lightning.config.options import positive
from gan_lightning.config.schema import DiscriminatorConfig, GeneratorConfig
from gan_lightning.networks.layers import MinibatchStdDev, output_activation_layer, pack_samples, weight_block
from gan_lightning.registry import ANY


@dataclass
class MLPGeneratorConfig(GeneratorConfig):
    """The MLP generator's option."""

    depth: int = positive(3)
    """Hidden layers."""


@dataclass
class MLPDiscriminatorConfig(DiscriminatorConfig):
    """The MLP discriminator's option."""

    depth: int = positive(3)
    """Hidden layers."""


class MLPGenerator(nn.Module):
    """z → ``depth`` × (Linear → [BatchNorm] → ReLU) → Linear → output activation → (B, *data_shape)."""

    data_kinds = (ANY,)
    """Samples of any kind (``gan_lightning/kinds``): they are flattened; the config validator reads this."""

    def __init__(
        self,
        data_shape: tuple[int, ...],
        latent_dim: int = 100,
        width: int = 64,
        depth: int = 3,
        norm: str = "batch",
        output_activation: str = "tanh",
        init: str = "dcgan",
    ) -> None:
        super().__init__()
        self.latent_size = latent_dim
        self.data_shape = tuple(data_shape)
        dims = [latent_dim, *[width] * depth]
        block = partial(weight_block, nn.Linear, norm=norm, init=init)
        self.net = nn.Sequential(
            *[block(i, o, activation=nn.ReLU()) for i, o in pairwise(dims)],
            block(
                dims[-1],
                math.prod(self.data_shape),
                activation=output_activation_layer(output_activation),
                batchnorm=False,
            ),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(z.shape[0], *self.data_shape)


class MLPDiscriminator(nn.Module):
    """Flatten → pack → ``depth`` × (Linear → [BatchNorm] → LeakyReLU) → [minibatch std] → logit.

    Like DCGAN, the input layer gets no BatchNorm. Returns logits of shape (B // pack,).
    """

    data_kinds = (ANY,)
    """Samples of any kind (``gan_lightning/kinds``): they are flattened; the config validator reads this."""
    feature_layer = "net.-1"
    """The layer whose input is this network's features: what feature matching compares (``loss.feature_matching``)."""

    def __init__(
        self,
        data_shape: tuple[int, ...],
        width: int = 64,
        depth: int = 3,
        norm: str = "none",
        init: str = "dcgan",
        minibatch_std: bool = False,
        pack: int = 1,
    ) -> None:
        super().__init__()
        self.data_shape = tuple(data_shape)
        self.pack = pack
        dims = [math.prod(self.data_shape) * pack, *[width] * depth]
        block = partial(weight_block, nn.Linear, norm=norm, init=init)
        layers: list[nn.Module] = [
            block(i, o, activation=nn.LeakyReLU(0.2), batchnorm=k > 0) for k, (i, o) in enumerate(pairwise(dims))
        ]
        if minibatch_std:
            layers.append(MinibatchStdDev())
        layers.append(block(dims[-1] + int(minibatch_std), 1, batchnorm=False))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(pack_samples(x.flatten(1), self.pack)).view(-1)
