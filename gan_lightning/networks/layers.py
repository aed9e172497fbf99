"""Building blocks shared by the MLP, DCGAN, ResNet and WaveGAN networks."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from gan_lightning.data import VALUE_RANGES
from gan_lightning.networks.conditioning import BATCH_NORMS, ConditionalBatchNorm, LabelledSequential
from gan_lightning.networks.init import init_weights

NORMS = ("batch", "none", "spectral")
_OUTPUT_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "none": nn.Identity,
}
OUTPUT_ACTIVATIONS = tuple(_OUTPUT_ACTIVATIONS)
WeightLayer = (
    type[nn.Linear]
    | type[nn.Conv1d]
    | type[nn.ConvTranspose1d]
    | type[nn.Conv2d]
    | type[nn.ConvTranspose2d]
    | type[nn.Conv3d]
    | type[nn.ConvTranspose3d]
)
SPATIAL_DIMS: dict[type[nn.Module], int] = {
    nn.Linear: 0,
    nn.Conv1d: 1,
    nn.ConvTranspose1d: 1,
    nn.Conv2d: 2,
    nn.ConvTranspose2d: 2,
    nn.Conv3d: 3,
    nn.ConvTranspose3d: 3,
}
"""The spatial dimensions of the feature maps each weight layer makes (what its BatchNorm normalises)."""

_START_SIZE = {16: 4, 28: 7, 32: 4, 64: 4, 128: 4}
"""Side of the generator's smallest feature map per image side; each up-sampling doubles it."""
RESOLUTIONS = tuple(_START_SIZE)


_PENALISED = ContextVar("penalised_forward", default=False)


@contextmanager
def penalised_forward() -> Iterator[None]:
    """Marks discriminator forward passes whose input gradients a penalty differentiates again: WGAN-GP and R1 train
    D through ``∇x D(x)``, so these passes need a twice-differentiable graph. A network whose fastest kernels have no
    double backward asks :func:`twice_differentiable_rnn` for another implementation inside; elsewhere (every G
    step, the plain D terms) it keeps its fastest."""
    token = _PENALISED.set(True)
    try:
        yield
    finally:
        _PENALISED.reset(token)


@contextmanager
def twice_differentiable_rnn() -> Iterator[None]:
    """Runs the RNN calls inside on PyTorch's own kernels during a :func:`penalised_forward`: cuDNN's fused RNNs have
    no double backward ("Double backwards is not supported for CuDNN RNNs", pytorch/pytorch#5261), so a recurrent
    critic with a gradient penalty would stop at its first D step on a GPU. Outside a penalised pass, and where cuDNN
    is off anyway (every CPU), it changes nothing."""
    if not _PENALISED.get() or not torch.backends.cudnn.enabled:
        yield
        return
    torch.backends.cudnn.enabled = False
    try:
        yield
    finally:
        torch.backends.cudnn.enabled = True


class DrawsTrainingNoise(nn.Module):
    """A layer that draws random numbers in training (WaveGAN's phase shuffle) from the module's shared noise RNG.

    The global RNG differs per rank, so draws from it would make a 2-rank run differ from one process; the module's
    ``shared_draw`` gives each rank its slice of one draw every rank makes, and is saved in checkpoints, so runs resume
    exactly. :func:`share_training_draw` hands it to every such layer when the module is built.
    """

    def __init__(self) -> None:
        super().__init__()
        self.draw: Callable[..., torch.Tensor] | None = None

    def training_draw(self, sampler: Callable[..., torch.Tensor], num: int, *shape: int) -> torch.Tensor:
        """This rank's ``num`` rows of a shared draw (``shared_draw(sampler, num, *shape)``)."""
        if self.draw is None:
            raise RuntimeError(
                f"{type(self).__name__} draws from the GAN module's shared noise in training; train it inside a "
                "GANModule, call eval() to use it outside, or set its draw"
            )
        return self.draw(sampler, num, *shape)


def share_training_draw(network: nn.Module, draw: Callable[..., torch.Tensor]) -> None:
    """Give every :class:`DrawsTrainingNoise` layer of ``network`` the module's shared ``draw``."""
    for layer in network.modules():
        if isinstance(layer, DrawsTrainingNoise):
            layer.draw = draw


def image_geometry(data_shape: tuple[int, ...], arch: str) -> tuple[int, int]:
    """(start map side, number of 2× up-samplings) for a (C, H, W) shape; rejects unsupported ones."""
    if len(data_shape) != 3 or data_shape[1] != data_shape[2] or data_shape[1] not in _START_SIZE:
        raise ValueError(f"{arch} needs square (C, H, W) images with side in {RESOLUTIONS}; got {data_shape}")
    start = _START_SIZE[data_shape[1]]
    return start, int(math.log2(data_shape[1] // start))


def output_activation_layer(name: str) -> nn.Module:
    """The generator's last nonlinearity; it must match the range the data is scaled to."""
    if name not in _OUTPUT_ACTIVATIONS:
        raise ValueError(f"unknown output activation {name!r}; choose one of {OUTPUT_ACTIVATIONS}")
    return _OUTPUT_ACTIVATIONS[name]()


def output_floor(name: str) -> float:
    """The data's black under the output activation ``name``: the low end of the range real data is scaled to
    (``gan_lightning.data.VALUE_RANGES`` owns it), the background a generator lays around a picture it draws smaller
    than its frame."""

    if name not in VALUE_RANGES:
        raise ValueError(f"unknown output activation {name!r}; choose one of {OUTPUT_ACTIVATIONS}")
    return VALUE_RANGES[name][0]


def spectral_norm_if(layer: nn.Module, norm: str) -> nn.Module:
    """Attach spectral norm (Miyato et al. 2018) to ``layer`` in place when ``norm == "spectral"``."""
    return spectral_norm(layer) if norm == "spectral" else layer


def weight_block(
    layer_cls: WeightLayer,
    in_dim: int,
    out_dim: int,
    *,
    norm: str,
    init: str,
    activation: nn.Module | None = None,
    batchnorm: bool = True,
    num_classes: int = 0,
    **layer_kwargs: int,
) -> LabelledSequential:
    """``layer_cls(in_dim, out_dim)`` → BatchNorm (if ``norm == "batch"`` and ``batchnorm``) → activation.

    With ``num_classes`` the BatchNorm of a conv layer is class-conditional (:class:`ConditionalBatchNorm`),
    and the block is called as ``block(x, labels)``.

    Spectral norm, when asked for, goes on every weight layer, input and output layers included,
    because the discriminator is only Lipschitz-bounded if all of them are normalised.
    ``batchnorm=False`` is for the layers DCGAN keeps free of BatchNorm (G's output, D's input
    and D's logit). A layer followed by BatchNorm has no bias: BatchNorm's mean subtraction
    would cancel it and leave it a parameter that never gets a gradient.
    """
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; choose one of {NORMS}")
    use_bn = batchnorm and norm == "batch"
    layer = layer_cls(in_dim, out_dim, bias=not use_bn, **layer_kwargs)
    modules: list[nn.Module] = [layer]
    spatial_dims = SPATIAL_DIMS[layer_cls]
    if use_bn and num_classes and spatial_dims:
        modules.append(ConditionalBatchNorm(out_dim, num_classes, spatial_dims))
    elif use_bn:
        modules.append(BATCH_NORMS[max(spatial_dims, 1)](out_dim))
    if activation is not None:
        modules.append(activation)
    block = LabelledSequential(*modules)
    init_weights(block, init)
    spectral_norm_if(layer, norm)
    return block


def pack_samples(x: torch.Tensor, pack: int) -> torch.Tensor:
    """PacGAN (Lin et al. 2018): (B, C, ...) → (B // pack, pack * C, ...).

    Each packed sample concatenates ``pack`` consecutive samples along dim 1, so the
    discriminator judges them jointly and can penalise a generator whose samples look alike.
    """
    if x.shape[0] % pack:
        raise ValueError(f"batch size {x.shape[0]} is not divisible by pack={pack}")
    return x.reshape(x.shape[0] // pack, pack * x.shape[1], *x.shape[2:])


class MinibatchStdDev(nn.Module):
    """Append the average per-group standard deviation as one extra channel (Karras et al. 2018).

    The statistic tells the discriminator how varied a group of samples is, which a
    mode-collapsed generator cannot fake. Works on (B, C, H, W) and (B, F) inputs. As in the
    reference implementation, group ``g`` holds samples ``g, g + B/G, g + 2B/G, ...``; the group
    size G is the largest divisor of B not above ``group_size``, so any batch size works.
    """

    def __init__(self, group_size: int = 4, eps: float = 1e-8) -> None:
        super().__init__()
        self.group_size = group_size
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch = x.shape[0]
        group = next(g for g in range(min(self.group_size, batch), 0, -1) if batch % g == 0)
        y = x.reshape(group, batch // group, *x.shape[1:])
        std = torch.sqrt(y.var(dim=0, unbiased=False) + self.eps)
        stat = std.flatten(1).mean(dim=1).repeat(group)  # sample i belongs to group i % (B / G)
        feature = stat.view(batch, 1, *[1] * (x.dim() - 2)).expand(batch, 1, *x.shape[2:])
        return torch.cat([x, feature], dim=1)
