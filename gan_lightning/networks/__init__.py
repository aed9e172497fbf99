"""Generator and discriminator networks, picked by ``arch`` name from the config."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from torch import nn

from gan_lightning.networks.dcgan import DCGANDiscriminator, DCGANGenerator
from gan_lightning.networks.init import INITS, init_weights
from gan_lightning.networks.layers import NORMS, OUTPUT_ACTIVATIONS, RESOLUTIONS, MinibatchStdDev, pack_samples
from gan_lightning.networks.mlp import MLPDiscriminator, MLPGenerator
from gan_lightning.networks.resnet import ResNetDiscriminator, ResNetGenerator

# Imported for annotations only: gan_lightning.config imports this package for its validator.
if TYPE_CHECKING:
    from gan_lightning.config.schema import DiscriminatorConfig, GeneratorConfig

GENERATORS: dict[str, Callable[[GeneratorConfig, tuple[int, ...]], nn.Module]] = {
    "mlp": MLPGenerator.from_config,
    "dcgan": DCGANGenerator.from_config,
    "resnet": ResNetGenerator.from_config,
}
DISCRIMINATORS: dict[str, Callable[[DiscriminatorConfig, tuple[int, ...]], nn.Module]] = {
    "mlp": MLPDiscriminator.from_config,
    "dcgan": DCGANDiscriminator.from_config,
    "resnet": ResNetDiscriminator.from_config,
}
ARCHS = tuple(GENERATORS)
"""("mlp", "dcgan", "resnet"); both registries share these names."""

_Builder = TypeVar("_Builder")


def _lookup(registry: dict[str, _Builder], arch: str, role: str) -> _Builder:
    if arch not in registry:
        raise ValueError(f"unknown {role} arch {arch!r}; choose one of {tuple(registry)}")
    return registry[arch]


def build_generator(cfg: GeneratorConfig, data_shape: tuple[int, ...]) -> nn.Module:
    """The generator named by ``cfg.arch`` for data of shape ``data_shape`` (no batch dim)."""
    return _lookup(GENERATORS, cfg.arch, "generator")(cfg, tuple(data_shape))


def build_discriminator(cfg: DiscriminatorConfig, data_shape: tuple[int, ...]) -> nn.Module:
    """The discriminator named by ``cfg.arch`` for data of shape ``data_shape`` (no batch dim)."""
    return _lookup(DISCRIMINATORS, cfg.arch, "discriminator")(cfg, tuple(data_shape))


__all__ = [
    "ARCHS",
    "DISCRIMINATORS",
    "GENERATORS",
    "INITS",
    "NORMS",
    "OUTPUT_ACTIVATIONS",
    "RESOLUTIONS",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "MLPDiscriminator",
    "MLPGenerator",
    "MinibatchStdDev",
    "ResNetDiscriminator",
    "ResNetGenerator",
    "build_discriminator",
    "build_generator",
    "init_weights",
    "pack_samples",
]
