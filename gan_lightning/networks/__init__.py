"""Generator and discriminator networks, picked by ``arch`` name from the config.

Every generator takes a flat latent vector per sample, ``latent_size`` long (the module draws the
noise), and returns ``(B, *data_shape)``; every discriminator returns logits, one per (packed)
sample or, for a per-step recurrent discriminator, one per sample and time step.

To add one: a new file in this folder holding an ``nn.Module`` decorated with
``@register_generator("<arch>")`` or ``@register_discriminator("<arch>")``, with ``section=`` a subclass of
``GeneratorConfig`` / ``DiscriminatorConfig`` declaring its own options (each reaches the constructor keyword of the
same name). Every module here is imported at the end of this file, so ``generator.arch=<arch>`` then works
(docs/FORKING.md).
"""

from __future__ import annotations

import inspect
from typing import Any

from torch import nn

from gan_lightning.config.schema import DiscriminatorConfig, GeneratorConfig
from gan_lightning.networks.conditioning import DISCRIMINATOR_CONDITIONINGS, GENERATOR_CONDITIONINGS
from gan_lightning.networks.dcgan import DCGANDiscriminator, DCGANGenerator, DCGANGeneratorConfig
from gan_lightning.networks.init import INITS, init_weights
from gan_lightning.networks.layers import NORMS, OUTPUT_ACTIVATIONS, RESOLUTIONS, MinibatchStdDev, pack_samples
from gan_lightning.networks.mlp import MLPDiscriminator, MLPDiscriminatorConfig, MLPGenerator, MLPGeneratorConfig
from gan_lightning.networks.pix2pix import PatchGANConfig, PatchGANDiscriminator, UNetGenerator
from gan_lightning.networks.recurrent import (
    RECURRENT_CELLS,
    GRUDiscriminator,
    GRUGenerator,
    LSTMDiscriminator,
    LSTMGenerator,
    RecurrentDiscriminatorConfig,
    RecurrentGeneratorConfig,
)
from gan_lightning.networks.resnet import ResNetDiscriminator, ResNetGenerator
from gan_lightning.registry import import_package_modules, registrar

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
GENERATOR_SECTIONS: dict[str, type[GeneratorConfig]] = {
    "mlp": MLPGeneratorConfig,
    "dcgan": DCGANGeneratorConfig,
    "lstm": RecurrentGeneratorConfig,
    "gru": RecurrentGeneratorConfig,
}
"""``generator.arch`` -> the ``GeneratorConfig`` subclass declaring that network's own options (none: the common
keys only)."""
DISCRIMINATOR_SECTIONS: dict[str, type[DiscriminatorConfig]] = {
    "mlp": MLPDiscriminatorConfig,
    "lstm": RecurrentDiscriminatorConfig,
    "gru": RecurrentDiscriminatorConfig,
    "patchgan": PatchGANConfig,
}
"""``discriminator.arch`` -> the ``DiscriminatorConfig`` subclass declaring that network's own options."""
register_generator = registrar(GENERATORS, "generator", GENERATOR_SECTIONS)
register_discriminator = registrar(DISCRIMINATORS, "discriminator", DISCRIMINATOR_SECTIONS)
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
    variant: str,
    conditioning: dict[str, Any],
) -> nn.Module:
    """``cls(data_shape, **fields, **conditioning)``: the config fields the constructor names, plus what the run's
    conditioning passes (``num_classes`` for class labels, ``condition_shape`` for an input image).

    Constructor keywords and config keys share their names by design, so a new network only needs
    a registry entry: every keyword it accepts is read from the config section of the same name. A network has a
    conditional variant when its constructor takes the conditioning's keywords; ``variant`` names it in the error.
    """
    if cfg.arch not in registry:
        raise ValueError(f"unknown {role} arch {cfg.arch!r}; choose one of {tuple(registry)}")
    network = registry[cfg.arch]
    keywords = [name for name in inspect.signature(network).parameters if name != "data_shape"]
    kwargs = {name: getattr(cfg, name) for name in keywords if hasattr(cfg, name)}
    if not set(conditioning) <= set(keywords):
        takers = ", ".join(a for a, n in registry.items() if set(conditioning) <= set(inspect.signature(n).parameters))
        raise ValueError(f"{role} arch {cfg.arch!r} has no {variant} variant; use one of: {takers}")
    return network(tuple(data_shape), **kwargs, **conditioning)


def build_generator(
    cfg: GeneratorConfig, data_shape: tuple[int, ...], variant: str = "unconditional", **conditioning: Any
) -> nn.Module:
    """The generator named by ``cfg.arch`` for data of shape ``data_shape`` (no batch dim); called as
    ``generator(z, labels)`` when built with ``num_classes`` and ``generator(z, inputs)`` with a ``condition_shape``
    (the run's :meth:`Conditioning.network_args`)."""
    generator = _build(GENERATORS, cfg, data_shape, "generator", variant, conditioning)
    if not isinstance(getattr(generator, "latent_size", None), int):
        # The module sizes all of its noise from this; say so here rather than as an AttributeError later.
        raise ValueError(
            f"generator arch {cfg.arch!r} ({type(generator).__name__}) must set an int attribute "
            "'latent_size': the length of the noise vector it takes per sample"
        )
    return generator


def build_discriminator(
    cfg: DiscriminatorConfig, data_shape: tuple[int, ...], variant: str = "unconditional", **conditioning: Any
) -> nn.Module:
    """The discriminator named by ``cfg.arch`` for data of shape ``data_shape`` (no batch dim); called as
    ``discriminator(x, labels)`` (returning ``(logits, class logits)`` for ACGAN) when built with ``num_classes`` and
    ``discriminator(x, inputs)`` with a ``condition_shape``."""
    return _build(DISCRIMINATORS, cfg, data_shape, "discriminator", variant, conditioning)


__all__ = [
    "ARCHS",
    "DISCRIMINATORS",
    "DISCRIMINATOR_CONDITIONINGS",
    "DISCRIMINATOR_SECTIONS",
    "GENERATORS",
    "GENERATOR_CONDITIONINGS",
    "GENERATOR_SECTIONS",
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
