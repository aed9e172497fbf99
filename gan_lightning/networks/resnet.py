"""ResNet generator and discriminator of SNGAN (Miyato et al. 2018, appendix B.4) for 28, 32 and 64 px.

G: z → Linear to a start×start×``width`` map → one up-sampling residual block per doubling
(BN-ReLU-up-conv3×3-BN-ReLU-conv3×3, 1×1-conv shortcut) → BN-ReLU-conv3×3 → output activation.
At 32 px that is SNGAN's CIFAR-10 generator (4×4 start, 3 blocks); 64 px adds one block.

D: pack → the "optimized" first block (conv-ReLU-conv-pool, pooled 1×1-conv shortcut) → residual
down-sampling blocks (ReLU-conv-ReLU-conv-pool) until the map is 8×8 or smaller → two residual
blocks at that size → [minibatch std] → ReLU → global sum pooling → Linear → logit. At 32 px that
is SNGAN's CIFAR-10 discriminator (32 → 16 → 8, then two 8×8 blocks); 64 px adds one down block.
With ``norm="spectral"`` every conv and the linear layer are spectrally normalised, as in SNGAN.

Every block has ``width`` channels (SNGAN: 256 in G, 128 in D).

With ``num_classes`` (``data.conditional``): G's BatchNorms become class-conditional (SNGAN's conditional
generator) or a label embedding joins z; D adds a projection (SNGAN's projection discriminator: the
embedding is applied to the globally pooled features) or an ACGAN classifier on them.
"""

from __future__ import annotations

from functools import partial

import torch
from torch import nn

from gan_lightning.networks.conditioning import (
    ClassHead,
    ConditionalBatchNorm,
    LabelledSequential,
    TakesLabels,
    check_conditional,
    conditional_input,
)
from gan_lightning.networks.init import init_weights
from gan_lightning.networks.layers import (
    MinibatchStdDev,
    image_geometry,
    output_activation_layer,
    pack_samples,
    weight_block,
)

_CONV3 = {"kernel_size": 3, "padding": 1}
_D_FINAL_SIDE = 8
"""The discriminator down-samples until its feature map is at most this side."""


class Residual(TakesLabels, nn.Module):
    """``residual(x) + shortcut(x)``; class labels go to both (conditional batch norm)."""

    def __init__(self, residual: LabelledSequential, shortcut: nn.Module) -> None:
        super().__init__()
        self.residual = residual
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        shortcut = self.shortcut(x, labels) if isinstance(self.shortcut, TakesLabels) else self.shortcut(x)
        return self.residual(x, labels) + shortcut


def _bn_relu(channels: int, norm: str, init: str, num_classes: int = 0) -> LabelledSequential:
    """The pre-activation that opens a generator block: BatchNorm (when ``norm == "batch"``; class-conditional
    with ``num_classes``) then ReLU."""
    bn: list[nn.Module] = []
    if norm == "batch":
        bn = [ConditionalBatchNorm(channels, num_classes) if num_classes else nn.BatchNorm2d(channels)]
    layers = LabelledSequential(*bn, nn.ReLU())
    init_weights(layers, init)
    return layers


def _up_block(in_ch: int, out_ch: int, norm: str, init: str, num_classes: int = 0) -> Residual:
    conv = partial(weight_block, nn.Conv2d, norm=norm, init=init, num_classes=num_classes)
    up = partial(nn.Upsample, scale_factor=2, mode="nearest")
    return Residual(
        LabelledSequential(
            _bn_relu(in_ch, norm, init, num_classes),
            up(),
            conv(in_ch, out_ch, activation=nn.ReLU(), **_CONV3),  # conv → BN → ReLU
            conv(out_ch, out_ch, batchnorm=False, **_CONV3),
        ),
        LabelledSequential(up(), conv(in_ch, out_ch, batchnorm=False, kernel_size=1)),
    )


def _down_block(in_ch: int, out_ch: int, norm: str, init: str, *, down: bool, first: bool = False) -> Residual:
    """A discriminator block; ``first`` is SNGAN's optimized block (no ReLU on the image, pool before the shortcut)."""
    conv = partial(weight_block, nn.Conv2d, norm=norm, init=init, batchnorm=False)
    pool = [nn.AvgPool2d(2)] if down else []
    residual = LabelledSequential(
        *([] if first else [nn.ReLU()]),
        conv(in_ch, out_ch, activation=nn.ReLU(), **_CONV3),
        conv(out_ch, out_ch, **_CONV3),
        *pool,
    )
    if first:
        shortcut: nn.Module = nn.Sequential(*pool, conv(in_ch, out_ch, kernel_size=1))
    elif down or in_ch != out_ch:
        shortcut = nn.Sequential(conv(in_ch, out_ch, kernel_size=1), *pool)
    else:
        shortcut = nn.Identity()
    return Residual(residual, shortcut)


class ResNetGenerator(nn.Module):
    """SNGAN's residual generator; see the module docstring. Returns (B, *data_shape)."""

    data_kinds = ("images",)
    """The kinds of data this network takes (``gan_lightning/kinds``); the config validator checks it."""

    def __init__(
        self,
        data_shape: tuple[int, ...],
        latent_dim: int = 128,
        width: int = 256,
        norm: str = "batch",
        output_activation: str = "tanh",
        init: str = "xavier",
        num_classes: int = 0,
        conditioning: str = "batchnorm",
    ) -> None:
        super().__init__()
        self.latent_size = latent_dim
        self.data_shape = tuple(data_shape)
        self.start, n_up = image_geometry(self.data_shape, "ResNet")
        self.width = width
        self.embed, bn_classes = conditional_input(num_classes, conditioning, norm, latent_dim)
        block = partial(weight_block, norm=norm, init=init, batchnorm=False)
        inputs = latent_dim * (2 if self.embed is not None else 1)
        self.input = block(nn.Linear, inputs, self.start * self.start * width)
        self.blocks = LabelledSequential(*[_up_block(width, width, norm, init, bn_classes) for _ in range(n_up)])
        self.output = LabelledSequential(
            _bn_relu(width, norm, init, bn_classes),
            block(
                nn.Conv2d,
                width,
                self.data_shape[0],
                activation=output_activation_layer(output_activation),
                **_CONV3,
            ),
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = z.view(z.shape[0], -1) if self.embed is None else self.embed(z, labels)
        x = self.input(z).view(z.shape[0], self.width, self.start, self.start)
        return self.output(self.blocks(x, labels), labels)


class ResNetDiscriminator(nn.Module):
    """SNGAN's residual discriminator; see the module docstring. Returns logits (B // pack,)."""

    data_kinds = ("images",)
    """The kinds of data this network takes (``gan_lightning/kinds``); the config validator checks it."""
    feature_layer = "logit"
    """The layer whose input is this network's features: what feature matching compares (``loss.feature_matching``)."""

    def __init__(
        self,
        data_shape: tuple[int, ...],
        width: int = 128,
        norm: str = "spectral",
        init: str = "xavier",
        minibatch_std: bool = False,
        pack: int = 1,
        num_classes: int = 0,
        conditioning: str = "projection",
    ) -> None:
        super().__init__()
        if norm == "batch":
            raise ValueError("the ResNet discriminator takes norm 'spectral' or 'none', not 'batch'")
        self.data_shape = tuple(data_shape)
        self.pack = pack
        image_geometry(self.data_shape, "ResNet")
        side, n_down = self.data_shape[1] // 2, 1
        while side > _D_FINAL_SIDE:
            side, n_down = side // 2, n_down + 1
        block = partial(_down_block, norm=norm, init=init)
        layers: list[nn.Module] = [
            block(self.data_shape[0] * pack, width, down=True, first=True),
            *[block(width, width, down=True) for _ in range(n_down - 1)],
            block(width, width, down=False),
            block(width, width, down=False),
        ]
        if minibatch_std:
            layers.append(MinibatchStdDev())
        layers.append(nn.ReLU())
        self.blocks = nn.Sequential(*layers)
        self.logit = weight_block(nn.Linear, width + int(minibatch_std), 1, norm=norm, init=init, batchnorm=False)
        self.head = None
        if num_classes:
            check_conditional(num_classes, pack)
            self.head = ClassHead(width + int(minibatch_std), num_classes, conditioning, norm)

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        features = self.blocks(pack_samples(x, self.pack)).sum(dim=(2, 3))  # global sum pooling
        logits = self.logit(features).view(-1)
        return logits if self.head is None else self.head(logits, features, labels)
