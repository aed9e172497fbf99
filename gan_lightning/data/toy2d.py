"""The 2D Gaussian mixtures of the VEEGAN and PacGAN mode-collapse benchmarks.

*ring*: 8 Gaussians evenly on the unit circle, std 0.01. *grid*: 25 Gaussians at
{-4, -2, 0, 2, 4}², std 0.05. A fixed training set (PacGAN uses 100,000 points) is drawn once
from the seed so every run with the same seed sees the same points.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from gan_lightning.data.base import InMemoryDataModule

TOY_STD = {"ring": 0.01, "grid": 0.05}


def mode_centres(kind: str) -> Tensor:
    """Centres of the mixture components, shape ``(K, 2)``."""
    if kind == "ring":
        angles = torch.arange(8, dtype=torch.float64) * (2 * math.pi / 8)
        return torch.stack([angles.cos(), angles.sin()], dim=1).float()
    if kind == "grid":
        axis = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
        return torch.cartesian_prod(axis, axis)
    raise ValueError(f"unknown toy dataset {kind!r}; allowed: {', '.join(TOY_STD)}")


def sample_mixture(kind: str, num: int, generator: torch.Generator) -> Tensor:
    """``num`` points from the equal-weight mixture."""
    centres = mode_centres(kind)
    components = torch.randint(len(centres), (num,), generator=generator)
    return centres[components] + TOY_STD[kind] * torch.randn(num, 2, generator=generator)


class Toy2DDataModule(InMemoryDataModule):
    """Fixed points from the ring or grid ``mixture``, shown to the networks divided by ``scale``."""

    kind_name = "points"

    def __init__(self, mixture: str, num_samples: int, batch_size: int, seed: int, scale: float = 1.0) -> None:
        super().__init__(batch_size, seed)
        mode_centres(mixture)  # validates the name early
        self.mixture = mixture
        self.num_samples = num_samples
        self.scale = scale

    def to_model_space(self, batch: Tensor) -> Tensor:
        return batch / self.scale

    def to_data_space(self, samples: Tensor) -> Tensor:
        return samples.float() * self.scale

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (2,)

    def load(self) -> Tensor:
        return sample_mixture(self.mixture, self.num_samples, torch.Generator().manual_seed(self.seed))
