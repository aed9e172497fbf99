"""Video networks for clips ``(T, C, H, W)``: MoCoGAN's generator, a 3D-conv generator and a 3D-conv discriminator.

* :class:`MoCoGANGenerator` (Tulyakov et al. 2018, "MoCoGAN: Decomposing Motion and Content for Video Generation"):
  one content code held for the whole clip, a recurrent (GRU) motion code per frame, and one 2D image generator
  (the DCGAN generator) that renders every frame of every clip as one batch. Its discriminators are an image
  discriminator on random frames (``extra_discriminators`` with ``view: frames``) and the video discriminator.
  With ``motion: translation`` or ``affine`` the motion code moves a picture instead of redrawing it: the image
  generator renders the clip's content once and each frame is that picture under a transform the frame's motion
  code predicts (a spatial transformer, Jaderberg et al. 2015, as in transformation-based video models, van
  Amersfoort et al. 2017), so what a clip shows cannot change from frame to frame.
* :class:`Video3DGenerator`: the VGAN / TGAN-style baseline, one latent code through 3D transposed convolutions
  (Vondrick et al. 2016; Saito et al. 2017): nothing separates motion from content.
* :class:`Video3DDiscriminator`: stride-2 3D convolutions over (time, height, width) down to one logit per clip
  (MoCoGAN's ``D_V``, a DCGAN discriminator in 3D).

Every clip side must be one of the DCGAN sizes (32 or 64 px) and the frame count a power of two, so that stride-2
layers halve (or double) time and space together until time has one step left.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lightning.config.options import non_negative
from gan_lightning.config.schema import GeneratorConfig
from gan_lightning.networks import register_discriminator, register_generator
from gan_lightning.networks.conditioning import ClassHead, LabelledSequential, check_conditional, conditional_input
from gan_lightning.networks.dcgan import DCGANGenerator
from gan_lightning.networks.layers import (
    RESOLUTIONS,
    image_geometry,
    output_activation_layer,
    output_floor,
    pack_samples,
    weight_block,
)


def clip_geometry(data_shape: tuple[int, ...], arch: str) -> tuple[int, int, int]:
    """``(start side, stride-2 layers, layers that double or halve time)`` of a ``(T, C, H, W)`` clip; rejects other
    shapes."""
    if len(data_shape) != 4 or data_shape[0] < 2 or data_shape[0] & (data_shape[0] - 1):
        raise ValueError(f"{arch} needs clips (T, C, H, W) with T a power of two >= 2; got {data_shape}")
    start, layers = image_geometry(tuple(data_shape[1:]), arch)
    return start, layers, int(math.log2(data_shape[0]))


def stride(time: bool) -> dict[str, tuple[int, int, int]]:
    """A 3D (transposed) convolution that doubles or halves height and width, and time when ``time``."""
    return {
        "kernel_size": (4 if time else 3, 4, 4),
        "stride": (2 if time else 1, 2, 2),
        "padding": (1, 1, 1),
    }


def shift_offsets(params: Tensor) -> Tensor:
    """Shifts ``(N, 2)`` (dx, dy) as the last column of ``(N, 2, 3)`` offsets from the identity matrix."""
    return F.pad(params[:, :, None], (2, 0))


def affine_offsets(params: Tensor) -> Tensor:
    """Six numbers ``(N, 6)`` as ``(N, 2, 3)`` offsets from the identity matrix: shift, scale, rotation, shear."""
    return params.view(-1, 2, 3)


def bounce(shift: Tensor, bound: float) -> Tensor:
    """``shift`` folded into ``[-bound, bound]`` by reflection at both ends (a triangle wave of period ``4 * bound``):
    a path that would pass an edge comes back from it by as much, as a Moving MNIST digit bounces off the frame's
    edge. The gradient passes with its sign flipped on the way back."""
    return bound - torch.remainder(shift + bound, 4 * bound).sub(2 * bound).abs()


def whole_pixel_shifts(theta: Tensor, height: int, width: int) -> Tensor:
    """``theta`` ``(N, 2, 3)`` with its shift column rounded to whole pixels (affine_grid's frame spans 2 units, so a
    pixel is ``2 / width`` across and ``2 / height`` down): with the identity's scale every sampling point then lands
    on a pixel centre and the moved picture is an exact copy, not a blend of neighbours."""
    pixel = theta.new_tensor([2 / width, 2 / height])[:, None]
    return torch.cat([theta[:, :, :2], torch.round(theta[:, :, 2:] / pixel) * pixel], dim=2)


MOTIONS: dict[str, tuple[int, Callable[[Tensor], Tensor]] | None] = {
    "latent": None,
    "translation": (2, shift_offsets),
    "affine": (6, affine_offsets),
}
"""How a MoCoGAN motion code makes its frame (``generator.motion``): None when the image generator reads the code,
else how many transform numbers it predicts and how they offset the identity matrix."""


@dataclass
class MoCoGANConfig(GeneratorConfig):
    """MoCoGAN's options: the clip's noise, and how each frame's motion code makes the frame."""

    global_latent_dim: int = non_negative(0)
    """The clip's content code: noise dimensions drawn once per clip and fed to every frame, beside the motion noise
    of each frame."""
    motion: str = "latent"
    """How each frame's motion code makes the frame: latent (the paper's: the image generator draws every
    frame from [content, motion code]) | translation (it draws the clip's content once and each frame shifts that
    picture by an amount the motion code predicts: a spatial transformer, so the content cannot change between
    frames) | affine (the same with a full 2x3 affine map: shift, scale, rotation, shear)."""
    bounce: float = 0.0
    """> 0 folds the picture's shift into ``[-bounce, bounce]`` (the frame
    spans -1 to 1) by reflection, so the content bounces off the edges as Moving MNIST's digits do; 0 lets the path
    run free. A centred digit of ``s`` px in a ``r`` px frame stays inside with ``(r - s) / r``."""
    whole_pixels: bool = False
    """Every frame moves the picture by whole pixels, as Moving MNIST moves its
    digits (the forward pass rounds the shift; the gradient is the unrounded bilinear shift's, straight through), so
    the picture stays crisp on every frame instead of blurring by an amount that changes with the shift's fraction."""
    sprite: int = 0
    """> 0 has the image generator draw a ``sprite`` px picture (the moving thing's
    size: Moving MNIST's ``data.digit_size``), laid centred on a black background in the frame, whose path bounces
    where the sprite meets the frame's edges (it sets ``bounce`` to ``(side - sprite) / side``), so nothing it draws
    leaves the frame; 0 draws the whole frame."""


@register_generator("mocogan", section=MoCoGANConfig)
class MoCoGANGenerator(nn.Module):
    """``z = [content (global_latent_dim), noise per frame (T x latent_dim)]`` → a GRU turns the noise into a motion
    code per frame (``latent_dim`` wide, as MoCoGAN's d_M = d_ε = 10) → frames, by ``motion``:

    * ``latent`` (the paper's): the DCGAN generator renders each frame from ``[content, motion_t]``, all ``B x T``
      frames in one batch (its BatchNorm sees the frames of the batch's clips together);
    * ``translation`` / ``affine``: the DCGAN generator renders the content once per clip, and frame t is that
      picture resampled (bilinear, edges extended) under the identity plus the sum of a linear map of
      ``motion_1 … motion_t``: each code says how its frame moves on from the last, so a steady code is a steady
      drift, as a bouncing digit's velocity is (on Moving MNIST this gave motion 0.85 of real at step 3,000, where
      maps of each frame's position from its own code jittered at 1.38). With ``bounce`` > 0 the shift part of the
      path bounces off ``±bounce`` (:func:`bounce`; in affine_grid's units, where the frame spans -1 to 1) instead of
      running out of the frame: a picture centred in the frame then stays inside it as Moving MNIST's digits do.
      With ``whole_pixels`` (translation only) every frame moves the picture by whole pixels, as Moving MNIST
      moves its digits: the forward pass rounds the shift (:func:`whole_pixel_shifts`) and the gradient is that of
      the unrounded, bilinear shift (a straight-through estimator), so the path still learns. Sub-pixel shifts blur
      the picture by an amount that changes from frame to frame, which the image discriminator sees and which flips
      a classifier's call on an ambiguous digit between frames. With ``sprite`` (translation only) the image
      generator draws a ``sprite`` px picture, the size of the thing that moves, which is laid centred on a
      background of the data's black (the low end of its range) and bounces off the frame's edges where the sprite's
      edge meets them (``bounce`` is then ``(side - sprite) / side``): whatever it draws stays whole inside the frame,
      as Moving MNIST's digits do, where a full-frame picture lets strokes near its edge slide out (on the quick
      config 17 % of clips touched the edge and only 66 % of those kept their digit).

    Class-conditional through the image generator (every frame gets its clip's label)."""

    data_kinds = ("video",)

    def __init__(
        self,
        data_shape: tuple[int, ...],
        latent_dim: int = 10,
        global_latent_dim: int = 50,
        width: int = 64,
        norm: str = "batch",
        output_activation: str = "tanh",
        init: str = "dcgan",
        motion: str = "latent",
        bounce: float = 0.0,
        whole_pixels: bool = False,
        sprite: int = 0,
        num_classes: int = 0,
        conditioning: str = "batchnorm",
    ) -> None:
        super().__init__()
        self.data_shape = tuple(data_shape)
        if len(self.data_shape) != 4:
            raise ValueError(f"mocogan needs clips (T, C, H, W); got {self.data_shape}")
        if bounce < 0 or (bounce > 0 and motion == "latent"):
            raise ValueError(f"generator.bounce={bounce} must be >= 0, and > 0 only with a motion that moves a picture")
        self.bounce = bounce
        if whole_pixels and motion != "translation":
            raise ValueError(f"generator.whole_pixels needs generator.motion=translation, not {motion!r}")
        self.whole_pixels = whole_pixels
        side = self.data_shape[-1]
        self.margin, self.background = 0, 0.0
        if sprite:
            if motion != "translation" or bounce:
                raise ValueError("generator.sprite needs generator.motion=translation and sets generator.bounce itself")
            if sprite not in RESOLUTIONS or not sprite < side or (side - sprite) % 2:
                raise ValueError(
                    f"generator.sprite={sprite} must be a side the image generator draws {RESOLUTIONS}, below the "
                    f"frame's {side} px by an even number"
                )
            self.margin, self.background = (side - sprite) // 2, output_floor(output_activation)
            self.bounce = (side - sprite) / side
        if global_latent_dim < 1:
            raise ValueError("mocogan needs generator.global_latent_dim >= 1: the content code held for the whole clip")
        if motion not in MOTIONS:
            raise ValueError(f"generator.motion={motion!r}; mocogan takes one of: {', '.join(MOTIONS)}")
        self.frames = self.data_shape[0]
        self.content_dim, self.motion_dim = global_latent_dim, latent_dim
        self.latent_size = global_latent_dim + self.frames * latent_dim
        self.motion = nn.GRUCell(latent_dim, latent_dim)
        transform = MOTIONS[motion]
        self.moves_picture = transform is not None
        if transform is not None:
            size, self.offsets = transform
            # PyTorch's default (random) init: from a zero map every direction of motion would look alike to the
            # video discriminator and the shift's gradient would average out (a saddle; its weights stayed near 1e-3
            # over 1,000 steps on Moving MNIST).
            self.transform = nn.Linear(latent_dim, size)
        self.frame_generator = DCGANGenerator(
            (self.data_shape[1], side - 2 * self.margin, side - 2 * self.margin),
            global_latent_dim + (0 if self.moves_picture else latent_dim),
            width,
            norm,
            output_activation,
            init,
            num_classes,
            conditioning,
        )

    @staticmethod
    def invariants(options: Mapping[str, Any]) -> dict[str, str]:
        """What every clip of a generator built with ``options`` (its constructor's keywords, as the config gives them)
        keeps whatever its weights, each with why: ``content`` when each frame is one sprite moved by whole pixels and
        kept whole inside the frame on the data's black (``sprite`` with ``whole_pixels``), so every frame shows the
        same picture. A metric of what changes between frames (content consistency) is then constant by construction,
        not a score of what the generator learnt. Without whole pixels a sub-pixel shift blurs the sprite differently
        on each frame, and without a sprite the picture slides out at the frame's edge, so nothing is fixed."""
        if options.get("sprite") and options.get("whole_pixels"):
            return {
                "content": "generator.sprite with generator.whole_pixels moves one picture by whole pixels inside the "
                "frame, so every frame shows the same content"
            }
        return {}

    def motion_codes(self, noise: Tensor) -> Tensor:
        """``(B, T, latent_dim)`` motion codes: the GRU's state after each frame's noise, from a zero state."""
        state = noise.new_zeros(noise.shape[0], self.motion_dim)
        codes = []
        for step in range(self.frames):
            state = self.motion(noise[:, step], state)
            codes.append(state)
        return torch.stack(codes, dim=1)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        batch = z.shape[0]
        content = z[:, : self.content_dim]
        motion = self.motion_codes(z[:, self.content_dim :].reshape(batch, self.frames, self.motion_dim))
        if not self.moves_picture:
            frames = torch.cat([content[:, None].expand(-1, self.frames, -1), motion], dim=2).flatten(0, 1)
            frame_labels = None if labels is None else labels.repeat_interleave(self.frames)
            return self.frame_generator(frames, frame_labels).view(batch, *self.data_shape)
        picture = self.frame_generator(content, labels)  # what the whole clip shows, centred on its background
        picture = F.pad(picture, [self.margin] * 4, value=self.background)  # (B, C, H, W)
        pictures = picture.repeat_interleave(self.frames, dim=0)
        # Each motion code predicts its frame's change; the sums make the path: a constant code is a steady drift
        path = self.transform(motion).cumsum(dim=1).flatten(0, 1).to(pictures.dtype)
        theta = torch.eye(2, 3, dtype=path.dtype, device=path.device) + self.offsets(path)
        if self.bounce:
            theta = torch.cat([theta[:, :, :2], bounce(theta[:, :, 2:], self.bounce)], dim=2)
        frames = self.moved(pictures, theta)
        if self.whole_pixels:  # the rounded frames forward, the bilinear frames' gradient backward
            frames = frames + (self.moved(pictures, whole_pixel_shifts(theta, *pictures.shape[-2:])) - frames).detach()
        return frames.view(batch, *self.data_shape)

    @staticmethod
    def moved(pictures: Tensor, theta: Tensor) -> Tensor:
        """``pictures`` resampled under ``theta`` (bilinear, edges extended)."""
        grid = F.affine_grid(theta, list(pictures.shape), align_corners=False)
        return F.grid_sample(pictures, grid, mode="bilinear", padding_mode="border", align_corners=False)


@register_generator("video3d")
class Video3DGenerator(nn.Module):
    """z → ConvTranspose3d to a ``(1 or 2) x start x start`` volume → stride-2 ConvTranspose3d blocks (time doubles
    until it reaches T) → clip. Channels halve with each block down to ``width``, as in the DCGAN generator."""

    data_kinds = ("video",)

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
    ) -> None:
        super().__init__()
        self.data_shape = tuple(data_shape)
        self.latent_size = latent_dim
        start, layers, time_layers = clip_geometry(self.data_shape, "video3d")
        start_time = self.data_shape[0] // 2 ** min(time_layers, layers)
        channels = [width * 2**k for k in reversed(range(layers))]
        self.embed, bn_classes = conditional_input(num_classes, conditioning, norm, latent_dim)
        block = partial(weight_block, nn.ConvTranspose3d, norm=norm, init=init, num_classes=bn_classes)
        doubles = [k >= layers - time_layers for k in range(layers)]  # the last layers double time
        inputs = latent_dim * (2 if self.embed is not None else 1)
        self.net = LabelledSequential(
            block(inputs, channels[0], activation=nn.ReLU(), kernel_size=(start_time, start, start)),
            *[
                block(i, o, activation=nn.ReLU(), **stride(t))
                for (i, o), t in zip(pairwise(channels), doubles[:-1], strict=True)
            ],
            block(
                channels[-1],
                self.data_shape[1],
                activation=output_activation_layer(output_activation),
                batchnorm=False,
                **stride(doubles[-1]),
            ),
        )

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        if self.embed is not None:
            z = self.embed(z, labels)
        clips = self.net(z.view(z.shape[0], -1, 1, 1, 1), labels)  # (B, C, T, H, W)
        return clips.transpose(1, 2)


@register_discriminator("video3d")
class Video3DDiscriminator(nn.Module):
    """Pack → stride-2 Conv3d blocks (``width`` channels, doubling; time halves until one step is left) → one logit
    per clip from a full-size Conv3d. The input block has no BatchNorm, as in DCGAN. Returns ``(B // pack,)``;
    class-conditional through a projection or an ACGAN head on the last features."""

    data_kinds = ("video",)
    feature_layer = "logit"
    """The layer whose input is this network's features: what feature matching compares (``loss.feature_matching``)."""

    def __init__(
        self,
        data_shape: tuple[int, ...],
        width: int = 64,
        norm: str = "none",
        init: str = "dcgan",
        pack: int = 1,
        num_classes: int = 0,
        conditioning: str = "projection",
    ) -> None:
        super().__init__()
        self.data_shape = tuple(data_shape)
        self.pack = pack
        start, layers, time_layers = clip_geometry(self.data_shape, "video3d")
        channels = [self.data_shape[1] * pack, *[width * 2**k for k in range(layers)]]
        halves = [k < time_layers for k in range(layers)]  # the first layers halve time
        end_time = self.data_shape[0] // 2 ** min(time_layers, layers)
        block = partial(weight_block, nn.Conv3d, norm=norm, init=init)
        self.features = nn.Sequential(
            *[
                block(i, o, activation=nn.LeakyReLU(0.2), batchnorm=k > 0, **stride(t))
                for k, ((i, o), t) in enumerate(zip(pairwise(channels), halves, strict=True))
            ]
        )
        self.logit = block(channels[-1], 1, batchnorm=False, kernel_size=(end_time, start, start))
        self.head = None
        if num_classes:
            check_conditional(num_classes, pack)
            self.head = ClassHead(channels[-1] * end_time * start * start, num_classes, conditioning, norm)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor | tuple[Tensor, Tensor]:
        features = self.features(pack_samples(x.transpose(1, 2), self.pack))  # Conv3d takes (B, C, T, H, W)
        logits = self.logit(features).view(-1)
        return logits if self.head is None else self.head(logits, features.flatten(1), labels)
