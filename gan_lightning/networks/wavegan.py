"""WaveGAN (Donahue et al., ICLR 2019, "Adversarial Audio Synthesis"): 1D convolutional G and D on raw waveforms.

G: z → dense → ``(16 d, L / 1024)`` → five transposed 1D convolutions (kernel 25, stride 4), halving the channels
``16d → 8d → 4d → 2d → d → 1`` and multiplying the length by 4 each (ReLU between, tanh at the end): for the paper's
16,384 samples the dense layer makes 16 steps of 1024 channels (d = 64 = ``width``). D mirrors it: five 1D
convolutions (kernel 25, stride 4, LeakyReLU 0.2) ``1 → d → ... → 16d`` with **phase shuffle** after each of the
first four, then a dense layer to the logit. No batch norm (the paper's setting, ``norm: none``; ``batch`` and
``spectral`` work too). ``data.audio_length`` must be a multiple of 1024 (4,096 or 8,192 for the CPU, 16,384 for the
paper); the depth stays five layers and the first feature map shrinks with the clip.

Phase shuffle (radius ``discriminator.phase_shuffle``, 2 in the paper) shifts every sample's activations by an integer
in [-radius, radius] drawn uniformly, filling the edge by reflection, so D cannot tell real from generated clips by the
periodic artefacts of G's transposed convolutions. The paper's code draws one shift per batch and layer; here each
sample gets its own (a batch split across ranks then sees the shifts one process would), drawn from the module's
shared noise RNG (:class:`~gan_lightning.networks.layers.DrawsTrainingNoise`), so resumed and 2-rank runs stay exact.
It is active in training mode only.

Class-conditional variants: G takes the label as a learned embedding beside z (``generator.conditioning: embedding``;
``batchnorm`` with ``norm: batch``), D through a projection or an ACGAN head on its last features.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from typing import Any

import torch
from torch import Tensor, nn

from gan_lightning.config.schema import DiscriminatorConfig, GeneratorConfig
from gan_lightning.networks import register_discriminator, register_generator
from gan_lightning.networks.conditioning import ClassHead, LabelledSequential, check_conditional, conditional_input
from gan_lightning.networks.layers import DrawsTrainingNoise, output_activation_layer, pack_samples, weight_block

LAYERS = 5
"""Up-samplings of G and strided convolutions of D, as in the paper."""
STRIDE = 4
KERNEL = 25
_STRIDE_4 = {"kernel_size": KERNEL, "stride": STRIDE, "padding": KERNEL // 2 - 1}
"""Length / 4 for a length divisible by 4 (``floor((L + 22 - 25) / 4) + 1``)."""
_UP_4 = {**_STRIDE_4, "output_padding": 1}
"""Length x 4 (``(L - 1) * 4 - 22 + 25 + 1``): TensorFlow's "same" transposed convolution."""
_SAME = {"kernel_size": KERNEL, "padding": KERNEL // 2}
"""Length kept: the convolution after a nearest-neighbour ×4."""


UPSAMPLINGS = ("transposed", "nearest")
"""How G multiplies the length by 4 (``generator.upsample``)."""


def _upsampling(
    kind: str, block: Callable[..., nn.Module], inputs: int, outputs: int, **options: Any
) -> list[nn.Module]:
    """One ×4 layer of G: a stride-4 transposed convolution, or nearest-neighbour ×4 then a kernel-25 convolution."""
    if kind == "transposed":
        return [block(nn.ConvTranspose1d, inputs, outputs, **options, **_UP_4)]
    return [nn.Upsample(scale_factor=STRIDE, mode="nearest"), block(nn.Conv1d, inputs, outputs, **options, **_SAME)]


def start_length(data_shape: tuple[int, ...]) -> int:
    """The length of G's first feature map (and D's last): ``L / 4**5``; a ValueError for a shape it cannot serve."""
    if len(data_shape) != 2 or data_shape[1] % STRIDE**LAYERS:
        raise ValueError(
            f"WaveGAN needs waveforms (1, L) with L a multiple of {STRIDE**LAYERS} (e.g. 4096, 8192, 16384); "
            f"got {data_shape}"
        )
    return data_shape[1] // STRIDE**LAYERS


class PhaseShuffle(DrawsTrainingNoise):
    """Shift each sample's activations ``(B, C, L)`` by its own integer in [-radius, radius], reflecting at the edges:
    ``out[b, :, t] = x[b, :, reflect(t - k_b)]`` (``reflect(-1) = 1``, ``reflect(L) = L - 2``)."""

    def __init__(self, radius: int) -> None:
        super().__init__()
        self.radius = radius

    def shifts(self, batch: int) -> Tensor:
        """Each sample's shift, from the shared draw."""
        uniform = self.training_draw(torch.rand, batch)
        return (uniform * (2 * self.radius + 1)).floor().long().clamp_(max=2 * self.radius) - self.radius

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.radius == 0:
            return x
        return shift_reflected(x, self.shifts(x.shape[0]).to(x.device))


def shift_reflected(x: Tensor, shifts: Tensor) -> Tensor:
    """``x`` ``(B, C, L)`` with sample ``b`` shifted right by ``shifts[b]`` (left when negative), reflected at the
    edges."""
    length = x.shape[-1]
    index = (torch.arange(length, device=x.device)[None, :] - shifts[:, None]).abs()
    index = torch.where(index > length - 1, 2 * (length - 1) - index, index)
    return x.gather(2, index[:, None, :].expand(-1, x.shape[1], -1))


@dataclass
class WaveGANGeneratorConfig(GeneratorConfig):
    """WaveGAN's generator option."""

    upsample: str = "transposed"
    """How each layer multiplies the length by 4: transposed (a stride-4 transposed convolution, the paper's
    default) | nearest (repeat every step 4 times, then a kernel-25 convolution: the paper code's ``nn`` option, whose
    output has none of the periodic artefacts a stride-4 transposed convolution leaves, which a discriminator on the
    spectrogram spots at once)."""


@register_generator("wavegan", section=WaveGANGeneratorConfig)
class WaveGANGenerator(nn.Module):
    """z → dense → five stride-4 transposed 1D convolutions → waveform ``(1, L)``."""

    data_kinds = ("audio",)
    """The kinds of data this network takes (``gan_lightning/kinds``); the config validator checks it."""

    def __init__(
        self,
        data_shape: tuple[int, ...],
        latent_dim: int = 100,
        width: int = 64,
        norm: str = "none",
        output_activation: str = "tanh",
        init: str = "dcgan",
        num_classes: int = 0,
        conditioning: str = "embedding",
        upsample: str = "transposed",
    ) -> None:
        super().__init__()
        if upsample not in UPSAMPLINGS:
            raise ValueError(f"generator.upsample={upsample!r}; wavegan takes one of: {', '.join(UPSAMPLINGS)}")
        self.latent_size = latent_dim
        self.data_shape = tuple(data_shape)
        self.start = start_length(self.data_shape)
        channels = [width * 2**k for k in reversed(range(LAYERS))]  # 16d, 8d, 4d, 2d, d
        self.embed, bn_classes = conditional_input(num_classes, conditioning, norm, latent_dim)
        inputs = latent_dim * (2 if self.embed is not None else 1)
        block = partial(weight_block, norm=norm, init=init, num_classes=bn_classes)
        self.dense = block(nn.Linear, inputs, channels[0] * self.start, activation=None, batchnorm=False)
        up = partial(_upsampling, upsample, block)
        self.net = LabelledSequential(
            nn.ReLU(),
            *[layer for i, o in pairwise(channels) for layer in up(i, o, activation=nn.ReLU())],
            *up(
                channels[-1], self.data_shape[0], activation=output_activation_layer(output_activation), batchnorm=False
            ),
        )

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        if self.embed is not None:
            z = self.embed(z, labels)
        x = self.dense(z.flatten(1)).view(z.shape[0], -1, self.start)
        return self.net(x, labels)


@dataclass
class WaveGANDiscriminatorConfig(DiscriminatorConfig):
    """WaveGAN's discriminator option."""

    phase_shuffle: int = 2
    """Phase shuffle radius, shifting every sample's activations after each of D's first four layers by up to
    this many steps (the paper: 2); 0 turns it off."""


@register_discriminator("wavegan", section=WaveGANDiscriminatorConfig)
class WaveGANDiscriminator(nn.Module):
    """Pack → five stride-4 1D convolutions with phase shuffle → dense → logit; returns ``(B // pack,)``."""

    data_kinds = ("audio",)
    """The kinds of data this network takes (``gan_lightning/kinds``); the config validator checks it."""
    feature_layer = "logit"
    """The layer whose input is this network's features: what feature matching compares (``loss.feature_matching``)."""

    def __init__(
        self,
        data_shape: tuple[int, ...],
        width: int = 64,
        norm: str = "none",
        init: str = "dcgan",
        phase_shuffle: int = 2,
        pack: int = 1,
        num_classes: int = 0,
        conditioning: str = "projection",
    ) -> None:
        super().__init__()
        self.data_shape = tuple(data_shape)
        self.pack = pack
        start = start_length(self.data_shape)
        if phase_shuffle < 0:
            raise ValueError(f"discriminator.phase_shuffle={phase_shuffle}; use 0 (off) or a positive radius")
        channels = [self.data_shape[0] * pack, *[width * 2**k for k in range(LAYERS)]]
        block = partial(weight_block, nn.Conv1d, norm=norm, init=init)
        layers: list[nn.Module] = []
        for k, (i, o) in enumerate(pairwise(channels)):
            layers.append(block(i, o, activation=nn.LeakyReLU(0.2), batchnorm=k > 0, **_STRIDE_4))
            if k < LAYERS - 1 and phase_shuffle:
                layers.append(PhaseShuffle(phase_shuffle))
        self.net = nn.Sequential(*layers)
        features = channels[-1] * start
        self.logit = weight_block(nn.Linear, features, 1, norm=norm, init=init, batchnorm=False)
        self.head = None
        if num_classes:
            check_conditional(num_classes, pack)
            self.head = ClassHead(features, num_classes, conditioning, norm)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor | tuple[Tensor, Tensor]:
        features = self.net(pack_samples(x, self.pack)).flatten(1)
        logits = self.logit(features).view(-1)
        return logits if self.head is None else self.head(logits, features, labels)
