"""Typed configuration: the schema (defaults) and the loader (files + overrides + validation)."""

from gan_lightning.config.loading import ConfigError, load_config, to_yaml, validate
from gan_lightning.config.schema import (
    DataConfig,
    DiscriminatorConfig,
    ExperimentConfig,
    GeneratorConfig,
    LossConfig,
    OptimizerConfig,
    RunConfig,
    TrainConfig,
    TrainerConfig,
)

__all__ = [
    "ConfigError",
    "DataConfig",
    "DiscriminatorConfig",
    "ExperimentConfig",
    "GeneratorConfig",
    "LossConfig",
    "OptimizerConfig",
    "RunConfig",
    "TrainConfig",
    "TrainerConfig",
    "load_config",
    "to_yaml",
    "validate",
]
