"""pix2pix's networks (Isola et al. 2017) for paired image-to-image translation.

* :class:`UNetGenerator` (``generator.arch: unet``): an encoder-decoder that halves the side down to 1 pixel
  and doubles it back, with a skip connection from every encoder level to the decoder level of the same side,
  so fine detail of the input reaches the output directly. Channels: ``width``, doubling per level up to
  8 x ``width``. Pre-activation blocks as in the paper's code: encoder LeakyReLU(0.2)-conv-BN (no activation
  before the first conv, no BN at the 1-pixel bottleneck), decoder ReLU-transposed conv-BN; all convs 4x4,
  stride 2. There is no z: as in the paper, dropout (0.5, in the three innermost decoder blocks) is the noise.
  It is active while training; sampling and metrics run the generator in eval mode, so outputs are deterministic.
* :class:`PatchGANDiscriminator` (``discriminator.arch: patchgan``): a fully convolutional classifier of the
  input and the image concatenated along channels; each output logit judges one patch (70x70 at ``depth`` 3 on
  256 px, pix2pix's default), so the loss averages over patches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from gan_lightning.config.options import positive
from gan_lightning.config.schema import DiscriminatorConfig
from gan_lightning.networks.layers import output_activation_layer, weight_block

_STRIDE_2 = {"kernel_size": 4, "stride": 2, "padding": 1}
_DROPOUT_BLOCKS = 3
"""Innermost decoder blocks with dropout, as in pix2pix."""


def _check_pair(data_shape: tuple[int, ...], condition_shape: tuple[int, ...] | None, arch: str) -> int:
    """The number of halvings to one pixel; one-line errors for unpaired data or sizes that do not halve evenly."""
    if condition_shape is None:
        raise ValueError(
            f"arch {arch!r} translates an input image: it needs paired data (paired_folder, fashion_edges)"
        )
    side = data_shape[-1]
    if len(data_shape) != 3 or data_shape[1] != side or tuple(condition_shape[1:]) != tuple(data_shape[1:]):
        raise ValueError(f"{arch} needs square inputs and targets of one size; got {condition_shape} -> {data_shape}")
    if side < 32 or side & (side - 1):
        raise ValueError(f"{arch} needs a side that is a power of two, at least 32; got {side}")
    return int(math.log2(side))


class UNetGenerator(nn.Module):
    """pix2pix's U-Net; see the module docstring. ``forward(z, inputs)`` ignores z (``latent_size`` is 0)."""

    data_kinds = ("images",)
    """The kinds of data this network takes (``gan_lightning/kinds``); the config validator checks it."""

    def __init__(
        self,
        data_shape: tuple[int, ...],
        width: int = 64,
        norm: str = "batch",
        output_activation: str = "tanh",
        init: str = "dcgan",
        condition_shape: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__()
        levels = _check_pair(tuple(data_shape), condition_shape, "unet")
        assert condition_shape is not None
        self.latent_size = 0
        self.data_shape = tuple(data_shape)
        channels = [min(width * 2**k, 8 * width) for k in range(levels)]
        conv = {"norm": norm, "init": init, **_STRIDE_2}
        self.down = nn.ModuleList()
        for k in range(levels):
            in_ch = condition_shape[0] if k == 0 else channels[k - 1]
            block = weight_block(nn.Conv2d, in_ch, channels[k], batchnorm=0 < k < levels - 1, **conv)
            self.down.append(nn.Sequential(*([nn.LeakyReLU(0.2)] if k else []), block))
        ups: list[nn.Module] = []
        for k in range(levels):  # ups[k] takes level k's features (with their skip) up to level k - 1
            in_ch = channels[k] * (1 if k == levels - 1 else 2)
            if k == 0:
                block = weight_block(
                    nn.ConvTranspose2d,
                    in_ch,
                    self.data_shape[0],
                    batchnorm=False,
                    activation=output_activation_layer(output_activation),
                    **conv,
                )
            else:
                block = weight_block(nn.ConvTranspose2d, in_ch, channels[k - 1], **conv)
                if levels - 1 - k < _DROPOUT_BLOCKS:
                    block.append(nn.Dropout(0.5))
            ups.append(nn.Sequential(nn.ReLU(), block))
        self.up = nn.ModuleList(ups)

    def forward(self, z: torch.Tensor, inputs: torch.Tensor | None = None) -> torch.Tensor:
        if inputs is None:
            raise ValueError("the U-Net generator translates images: call it as generator(z, inputs)")
        skips = []
        x = inputs
        for block in self.down:
            x = block(x)
            skips.append(x)
        x = self.up[-1](skips[-1])
        for k in range(len(self.up) - 2, -1, -1):
            x = self.up[k](torch.cat([x, skips[k]], dim=1))
        return x


@dataclass
class PatchGANConfig(DiscriminatorConfig):
    """PatchGAN's option."""

    depth: int = positive(3)
    """Stride-2 layers: each doubles the side of the patch every logit judges."""


class PatchGANDiscriminator(nn.Module):
    """pix2pix's PatchGAN on (input, image) pairs; see the module docstring. Returns ``(B, patches)`` logits."""

    data_kinds = ("images",)
    """The kinds of data this network takes (``gan_lightning/kinds``); the config validator checks it."""
    feature_layer = "net.-1"
    """The layer whose input is this network's features: what feature matching compares (``loss.feature_matching``)."""

    def __init__(
        self,
        data_shape: tuple[int, ...],
        width: int = 64,
        depth: int = 3,
        norm: str = "batch",
        init: str = "dcgan",
        condition_shape: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__()
        _check_pair(tuple(data_shape), condition_shape, "patchgan")
        assert condition_shape is not None
        channels = [condition_shape[0] + data_shape[0], *[min(width * 2**k, 8 * width) for k in range(depth + 1)]]
        layers: list[nn.Module] = []
        for k in range(depth + 1):  # depth stride-2 convs, then one stride-1 conv, as in pix2pix's n_layers
            stride = {**_STRIDE_2, "stride": 2 if k < depth else 1}
            block = weight_block(nn.Conv2d, channels[k], channels[k + 1], norm=norm, init=init, batchnorm=k > 0,
                                 activation=nn.LeakyReLU(0.2), **stride)  # fmt: skip
            layers.append(block)
        layers.append(weight_block(nn.Conv2d, channels[-1], 1, norm=norm, init=init, batchnorm=False,
                                   kernel_size=4, stride=1, padding=1))  # fmt: skip
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, inputs: torch.Tensor | None = None) -> torch.Tensor:
        if inputs is None:
            raise ValueError(
                "the PatchGAN discriminator judges (input, image) pairs: call it as discriminator(x, inputs)"
            )
        return self.net(torch.cat([inputs, x], dim=1)).flatten(1)
