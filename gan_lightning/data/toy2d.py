"""The 2D Gaussian mixtures of the VEEGAN and PacGAN mode-collapse benchmarks.

*ring*: 8 Gaussians evenly on the unit circle, std 0.01. *grid*: 25 Gaussians at
{-4, -2, 0, 2, 4}², std 0.05. A fixed training set (PacGAN uses 100,000 points) is drawn once
from the seed so every run with the same seed sees the same points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from gan_lightning.config.options import positive
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import register_dataset, step_batch
from gan_lightning.data.base import GeneratedData, InMemoryDataModule

TOY_STD = {"ring": 0.01, "grid": 0.05}


@dataclass
class ToyData(GeneratedData):
    """The options of the toy 2D mixtures."""

    num_samples: int = positive(100_000)
    """Fixed training points (PacGAN uses 100,000)."""
    scale: float = positive(1.0)
    """Coordinates are divided by this before the networks see them and samples are multiplied back, so the networks
    work near unit scale (4 for the grid, whose modes reach ±4)."""


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
    splits = ("train",)  # the mode metrics' reference: the training points (:meth:`reference`)

    def __init__(
        self, mixture: str, num_samples: int, batch_size: int, seed: int, scale: float = 1.0, data_seed: int = 0
    ) -> None:
        super().__init__(batch_size, seed)
        self.data_seed = data_seed
        mode_centres(mixture)  # validates the name early
        self.mixture = mixture
        self.num_samples = num_samples
        self.scale = scale

    def reference(self, split: str) -> Tensor:
        """The training points: the mode counts compare with the mixture they are drawn from."""
        return self.data

    def to_model_space(self, batch: Tensor) -> Tensor:
        return batch / self.scale

    def to_data_space(self, samples: Tensor) -> Tensor:
        return samples.float() * self.scale

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (2,)

    def load(self) -> Tensor:
        return sample_mixture(self.mixture, self.num_samples, torch.Generator().manual_seed(self.data_seed))


def _toy(mixture: str) -> None:
    @register_dataset(f"toy_{mixture}", section=ToyData)
    def build(cfg: ExperimentConfig) -> Toy2DDataModule:
        data = cfg.data
        return Toy2DDataModule(mixture, data.num_samples, step_batch(cfg), cfg.seed, data.scale, data.seed)


_toy("ring")
_toy("grid")
