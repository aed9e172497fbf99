"""The randomness of training, and how it survives a resume.

* **World-size independent noise.** What is drawn for training (latents, labels of generated samples, gradient-penalty
  mixing weights, a view's random choices, phase shuffle) comes from one noise RNG seeded identically on every rank;
  each rank draws the global batch and keeps its own slice. With the data loader's rank sharding, 2 processes x batch
  B then see exactly the data and noise of 1 process x batch 2B.
* **Everything else** (augmentation, dropout) draws from each rank's global RNGs, seeded with the run's seed plus the
  rank, so it differs per rank.
* **Exact resume.** Both are saved in checkpoints (every rank's global RNG states, the noise RNG's state) and restored
  at train start, not at load time, so nothing between loading and the first step can draw from them and a resumed
  run draws what the uninterrupted run would have.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from gan_lightning.rng import gather_rng_states, restore_rng_state, seed_all

RNG_STATES = "rng_states"
"""The checkpoint key of every rank's global RNG states, in rank order."""
NOISE_STATE = "noise_rng_state"
"""The checkpoint key of the shared noise RNG's state."""


class Randomness:
    """The noise RNG every rank holds (only during fit: :meth:`start`), and the RNG states a resume restores."""

    def __init__(self) -> None:
        self.noise: torch.Generator | None = None
        self._noise_state: Tensor | None = None
        self._rng_states: list[dict[str, Any]] | None = None

    def start(self, seed: int, rank: int, device: torch.device) -> None:
        """At fit start: the noise RNG on ``device``, seeded with the run's ``seed`` (the same on every rank), and the
        global RNGs seeded with ``seed + rank``."""
        self.noise = torch.Generator(device=device).manual_seed(seed)
        seed_all(seed + rank)

    def draw(
        self,
        sampler: Callable[..., Tensor],
        num: int,
        shape: tuple[int, ...],
        placement: Callable[[], tuple[int, int, torch.device]],
    ) -> Tensor:
        """This rank's ``num`` rows of one ``num * world`` draw of ``sampler`` (``torch.randn``, ``torch.rand``, ...)
        with rows of ``shape`` from the noise RNG; ``placement()`` is ``(world size, rank, device)``, read only during
        fit."""
        assert self.noise is not None, "training draws are only available during fit"
        world, rank, device = placement()
        rows = sampler((num * world, *shape), generator=self.noise, device=device)
        return rows[rank * num : (rank + 1) * num]

    def save_rng_states(self, checkpoint: dict[str, Any]) -> None:
        """Write every rank's global RNG states into ``checkpoint`` (a collective under distributed training)."""
        checkpoint[RNG_STATES] = gather_rng_states()

    def save_noise(self, checkpoint: dict[str, Any]) -> None:
        """Write the noise RNG's state into ``checkpoint`` (nothing outside fit)."""
        if self.noise is not None:
            checkpoint[NOISE_STATE] = self.noise.get_state()

    def load(self, checkpoint: dict[str, Any]) -> None:
        """Keep ``checkpoint``'s states for :meth:`restore`."""
        self._rng_states = checkpoint.get(RNG_STATES)
        self._noise_state = checkpoint.get(NOISE_STATE)

    def restore(self, rank: int) -> None:
        """At train start: the loaded states, if any; a rank the checkpoint has no state for takes rank 0's."""
        if self._rng_states:
            states = self._rng_states
            restore_rng_state(states[rank] if rank < len(states) else states[0])
            self._rng_states = None
        if self.noise is not None and self._noise_state is not None:
            self.noise.set_state(self._noise_state)
            self._noise_state = None
