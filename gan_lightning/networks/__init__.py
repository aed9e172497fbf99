"""Generator and discriminator networks, picked by ``arch`` name from the config.

Every generator takes a flat latent vector per sample, ``latent_size`` long (the module draws the
noise), and returns ``(B, *data_shape)``; every discriminator returns logits, one per (packed)
sample or, for a per-step recurrent discriminator, one per sample and time step.

To add one: a new file in this folder holding an ``nn.Module`` decorated with
``@register_generator("<arch>")`` or ``@register_discriminator("<arch>")``. Every module here is
imported at the end of this file, so ``generator.arch=<arch>`` then works (docs/FORKING.md).
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from torch import nn

from gan_lightning.networks.conditioning import DISCRIMINATOR_CONDITIONINGS, GENERATOR_CONDITIONINGS
from gan_lightning.networks.dcgan import DCGANDiscriminator, DCGANGenerator
from gan_lightning.networks.init import INITS, init_weights
from gan_lightning.networks.layers import NORMS, OUTPUT_ACTIVATIONS, RESOLUTIONS, MinibatchStdDev, pack_samples
from gan_lightning.networks.mlp import MLPDiscriminator, MLPGenerator
from gan_lightning.networks.pix2pix import PatchGANDiscriminator, UNetGenerator
from gan_lightning.networks.recurrent import (
    RECURRENT_CELLS,
    GRUDiscriminator,
    GRUGenerator,
    LSTMDiscriminator,
    LSTMGenerator,
)
from gan_lightning.networks.resnet import ResNetDiscriminator, ResNetGenerator
from gan_lightning.registry import import_package_modules, registrar

# Imported for annotations only: gan_lightning.config imports this package for its validator.
if TYPE_CHECKING:
    from gan_lightning.config.schema import DiscriminatorConfig, GeneratorConfig

GENERATORS: dict[str, type[nn.Module]] = {
    "mlp": MLPGenerator,
    "dcgan": DCGANGenerator,
    "resnet": ResNetGenerator,
    "lstm": LSTMGenerator,
    "gru": GRUGenerator,
    "unet": UNetGenerator,
}
DISCRIMINATORS: dict[str, type[nn.Module]] = {
    "mlp": MLPDiscriminator,
    "dcgan": DCGANDiscriminator,
    "resnet": ResNetDiscriminator,
    "lstm": LSTMDiscriminator,
    "gru": GRUDiscriminator,
    "patchgan": PatchGANDiscriminator,
}
register_generator = registrar(GENERATORS, "generator")
register_discriminator = registrar(DISCRIMINATORS, "discriminator")
ARCHS = ("mlp", "dcgan", "resnet", "lstm", "gru")
"""The shipped unconditional architectures, each with a generator and a discriminator (paired image translation
adds the ``unet`` generator and the ``patchgan`` discriminator)."""
SEQUENCE_ARCHS = tuple(RECURRENT_CELLS)
"""The archs for sequence data ``(T, C)``; the others take images (dcgan, resnet) or flat vectors (mlp)."""


def _build(
    registry: dict[str, type[nn.Module]],
    cfg: Any,
    data_shape: tuple[int, ...],
    role: str,
    num_classes: int,
    condition_shape: tuple[int, ...] | None,
) -> nn.Module:
    """``cls(data_shape, **fields)`` with the config fields the constructor names, plus ``num_classes`` (class-
    conditional data) or ``condition_shape`` (paired data: the input image's shape).

    Constructor keywords and config keys share their names by design, so a new network only needs
    a registry entry: every keyword it accepts is read from the config section of the same name.
    A class-conditional network is one whose constructor takes ``num_classes``; an image-translation network
    one that takes ``condition_shape``.
    """
    if cfg.arch not in registry:
        raise ValueError(f"unknown {role} arch {cfg.arch!r}; choose one of {tuple(registry)}")
    network = registry[cfg.arch]
    keywords = [name for name in inspect.signature(network).parameters if name != "data_shape"]
    kwargs = {name: getattr(cfg, name) for name in keywords if hasattr(cfg, name)}
    if num_classes:
        if "num_classes" not in keywords:
            conditional = ", ".join(a for a, n in registry.items() if "num_classes" in inspect.signature(n).parameters)
            raise ValueError(f"{role} arch {cfg.arch!r} has no class-conditional variant; use one of: {conditional}")
        kwargs["num_classes"] = num_classes
    if condition_shape is not None:
        if "condition_shape" not in keywords:
            paired = ", ".join(a for a, n in registry.items() if "condition_shape" in inspect.signature(n).parameters)
            raise ValueError(f"{role} arch {cfg.arch!r} cannot take an input image (paired data); use {paired}")
        kwargs["condition_shape"] = tuple(condition_shape)
    return network(tuple(data_shape), **kwargs)


def build_generator(
    cfg: GeneratorConfig,
    data_shape: tuple[int, ...],
    num_classes: int = 0,
    condition_shape: tuple[int, ...] | None = None,
) -> nn.Module:
    """The generator named by ``cfg.arch`` for data of shape ``data_shape`` (no batch dim); called as
    ``generator(z, labels)`` when ``num_classes`` > 0 and ``generator(z, inputs)`` with a ``condition_shape``."""
    generator = _build(GENERATORS, cfg, data_shape, "generator", num_classes, condition_shape)
    if not isinstance(getattr(generator, "latent_size", None), int):
        # The module sizes all of its noise from this; say so here rather than as an AttributeError later.
        raise ValueError(
            f"generator arch {cfg.arch!r} ({type(generator).__name__}) must set an int attribute "
            "'latent_size': the length of the noise vector it takes per sample"
        )
    return generator


def build_discriminator(
    cfg: DiscriminatorConfig,
    data_shape: tuple[int, ...],
    num_classes: int = 0,
    condition_shape: tuple[int, ...] | None = None,
) -> nn.Module:
    """The discriminator named by ``cfg.arch`` for data of shape ``data_shape`` (no batch dim); called as
    ``discriminator(x, labels)`` (returning ``(logits, class logits)`` for ACGAN) when ``num_classes`` > 0 and
    ``discriminator(x, inputs)`` with a ``condition_shape``."""
    return _build(DISCRIMINATORS, cfg, data_shape, "discriminator", num_classes, condition_shape)


__all__ = [
    "ARCHS",
    "DISCRIMINATORS",
    "DISCRIMINATOR_CONDITIONINGS",
    "GENERATORS",
    "GENERATOR_CONDITIONINGS",
    "INITS",
    "NORMS",
    "OUTPUT_ACTIVATIONS",
    "RESOLUTIONS",
    "SEQUENCE_ARCHS",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "GRUDiscriminator",
    "GRUGenerator",
    "LSTMDiscriminator",
    "LSTMGenerator",
    "MLPDiscriminator",
    "MLPGenerator",
    "MinibatchStdDev",
    "PatchGANDiscriminator",
    "ResNetDiscriminator",
    "ResNetGenerator",
    "UNetGenerator",
    "build_discriminator",
    "build_generator",
    "init_weights",
    "pack_samples",
    "register_discriminator",
    "register_generator",
]

import_package_modules(__name__)
