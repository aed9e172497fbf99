"""TimeGAN's sines (Yoon et al. 2019): independent sine waves per feature, in [0, 1].

``x_c(t) = (sin(f_c · t + φ_c) + 1) / 2`` for ``t = 0 … T-1``, with a frequency ``f_c`` and a phase
``φ_c`` drawn uniformly per sequence and feature. The defaults follow TimeGAN's official code
(``f ~ U(0, 0.1)``, ``φ ~ U(0, 0.1)``, 10,000 sequences of 24 steps × 5 features), the setting its
published scores were computed on. The paper writes ``sin(2πηt + θ)``, ``η ~ U[0, 1]``,
``θ ~ U[-π, π]``: that is ``data.sines_frequency=[0, 6.2832] data.sines_phase=[-3.1416, 3.1416]``.
The set is drawn once from the run's seed, so every run with the same seed sees the same sequences.
"""

from __future__ import annotations

import torch
from torch import Tensor

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
    ) -> None:
        super().__init__(batch_size, seed, value_range)
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
        generator = torch.Generator().manual_seed(self.seed)
        return sine_sequences(self.num_samples, self.length, self.features, self.frequency, self.phase, generator)
