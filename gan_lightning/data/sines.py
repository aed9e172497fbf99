"""TimeGAN's sines (Yoon et al. 2019): independent sine waves per feature, in [0, 1].

``x_c(t) = (sin(f_c · t + φ_c) + 1) / 2`` for ``t = 0 … T-1``, with a frequency ``f_c`` and a phase
``φ_c`` drawn uniformly per sequence and feature. The defaults follow TimeGAN's official code
(``f ~ U(0, 0.1)``, ``φ ~ U(0, 0.1)``, 10,000 sequences of 24 steps × 5 features), the setting its
published scores were computed on. The paper writes ``sin(2πηt + θ)``, ``η ~ U[0, 1]``,
``θ ~ U[-π, π]``: that is ``data.sines_frequency=[0, 6.2832] data.sines_phase=[-3.1416, 3.1416]``.
The set is drawn once from the run's seed, so every run with the same seed sees the same sequences.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from gan_lightning.config.options import at_least, option, positive
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import image_args, register_dataset
from gan_lightning.data.base import GeneratedData
from gan_lightning.data.sequences import SequenceDataModule


def sine_sequences(
    num: int,
    length: int,
    features: int,
    frequency: tuple[float, float],
    phase: tuple[float, float],
    generator: torch.Generator,
) -> Tensor:
    """``num`` sequences ``(num, length, features)`` of ``(sin(f t + φ) + 1) / 2``, float32."""

    def uniform(bounds: tuple[float, float]) -> Tensor:
        low, high = bounds
        return low + (high - low) * torch.rand(num, 1, features, generator=generator, dtype=torch.float64)

    f, phi = uniform(frequency), uniform(phase)
    t = torch.arange(length, dtype=torch.float64).view(1, length, 1)
    return ((torch.sin(f * t + phi) + 1) / 2).float()


class SinesDataModule(SequenceDataModule):
    """The sines, drawn once from ``seed``; scored unnormalized, as TimeGAN does."""

    score_in_data_units = True

    def __init__(
        self,
        num_samples: int,
        length: int,
        features: int,
        frequency: tuple[float, float],
        phase: tuple[float, float],
        batch_size: int,
        seed: int,
        value_range: tuple[float, float],
        data_seed: int = 0,
    ) -> None:
        super().__init__(batch_size, seed, value_range)
        self.data_seed = data_seed
        for key, bounds in (("sines_frequency", frequency), ("sines_phase", phase)):
            if len(bounds) != 2 or bounds[0] > bounds[1]:
                raise ValueError(f"invalid value {list(bounds)} for config key 'data.{key}'; allowed: [low, high]")
        self.num_samples = num_samples
        self.length = length
        self.features = features
        self.frequency = (float(frequency[0]), float(frequency[1]))
        self.phase = (float(phase[0]), float(phase[1]))

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (self.length, self.features)

    def load_sequences(self) -> Tensor:
        generator = torch.Generator().manual_seed(self.data_seed)
        return sine_sequences(self.num_samples, self.length, self.features, self.frequency, self.phase, generator)


@dataclass
class SinesData(GeneratedData):
    """TimeGAN's sines: ``num_samples`` sequences of ``features`` independent sines."""

    num_samples: int = positive(100_000)
    """Sequences drawn (TimeGAN uses 10,000)."""
    sequence_length: int = at_least(24, 2)
    """Time steps per sequence (TimeGAN uses 24)."""
    features: int = positive(5)
    """Features per time step, each an independent sine (TimeGAN uses 5)."""
    sines_frequency: list[float] = option([0.0, 0.1])
    """The frequency f of ``sin(f t + phase)`` is drawn uniformly from [low, high] per sequence and
    feature. [0, 0.1] is TimeGAN's code; its paper's ``sin(2 pi eta t + theta)``, eta ~ U[0, 1], is [0, 6.2832]."""
    sines_phase: list[float] = option([0.0, 0.1])
    """The phase's [low, high]; TimeGAN's code uses [0, 0.1], its paper [-3.1416, 3.1416]."""


@register_dataset("sines", section=SinesData)
def _sines(cfg: ExperimentConfig) -> SinesDataModule:
    data = cfg.data
    return SinesDataModule(
        data.num_samples,
        data.sequence_length,
        data.features,
        tuple(data.sines_frequency),
        tuple(data.sines_phase),
        *image_args(cfg),
        data_seed=data.seed,
    )
