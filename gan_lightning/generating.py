"""What kinds of data, conditionings and metrics ask of a GAN module: to sample, and to say what it samples.

:class:`~gan_lightning.module.GANModule` is the one implementation. Kinds, conditionings and metrics sit below the
module (it is built from them), so they name it through this protocol rather than import it: a module from another
template that samples the same way would do for them too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import torch
from torch import Tensor, nn


class Generating(Protocol):
    """A trained (or training) generator with its kind of data and conditioning."""

    cfg: Any
    """The run's :class:`~gan_lightning.config.schema.ExperimentConfig`."""
    kind: Any
    """The run's :class:`~gan_lightning.kinds.DataKind`."""
    conditioning: Any
    """The run's :class:`~gan_lightning.conditioning.Conditioning`."""
    generator: nn.Module
    ema_generator: nn.Module
    fixed_noise: Tensor
    grid_columns: int | None

    @property
    def device(self) -> torch.device: ...

    @property
    def dtype(self) -> torch.dtype: ...

    @property
    def latent_size(self) -> int: ...

    @property
    def fixed_conditions(self) -> Tensor | None: ...

    def latent(self, num: int, generator: torch.Generator | None = None) -> Tensor:
        """``num`` latents, drawn with ``generator`` (the global RNG without one)."""
        ...

    def shared_draw(self, sampler: Callable[..., Tensor], num: int, *shape: int) -> Tensor:
        """``num`` draws of ``sampler`` that every rank of a distributed run sees the same."""
        ...

    def sample(
        self,
        num: int | None = None,
        *,
        noise: Tensor | None = None,
        condition: Tensor | None = None,
        generator: torch.Generator | None = None,
        use_ema: bool = True,
        batch_size: int = 500,
        mode: str = "eval",
    ) -> Tensor:
        """Generated samples in the networks' space."""
        ...

    def to_data_space(self, samples: Tensor) -> Tensor:
        """Generated samples in data units."""
        ...
