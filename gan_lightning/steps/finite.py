"""The NaN guard: every step's losses are checked for NaN/inf without a per-step host sync.

Each step's losses stay on the device; the module checks them all at once (one sync) on the steps after which
anything reads the state (logging, pictures, metrics, checkpoints, the last step), before every checkpoint is written
and when training ends, and the error names the first bad step.
"""

from __future__ import annotations

import torch
from torch import Tensor


class NonFiniteLossError(RuntimeError):
    """A loss became NaN or infinite; training stops before the state is checkpointed."""


class LossCheck:
    """The losses of the steps since the last :meth:`check`."""

    def __init__(self) -> None:
        self._unchecked: list[tuple[int, Tensor]] = []

    def append(self, step: int, losses: Tensor) -> None:
        """Keep generator step ``step``'s losses (D's, G's: a tensor of two) for the next check."""
        self._unchecked.append((step, losses))

    def check(self) -> None:
        """Raise on the first non-finite loss since the last check (one host sync for all of them)."""
        if not self._unchecked:
            return
        steps, losses = zip(*self._unchecked, strict=True)
        self._unchecked = []
        finite = torch.isfinite(torch.stack(losses)).all(dim=1).tolist()
        for step, ok, (d_loss, g_loss) in zip(steps, finite, losses, strict=True):
            if not ok:
                raise NonFiniteLossError(
                    f"non-finite loss at generator step {step}: d_loss={d_loss.item():.4g}, g_loss={g_loss.item():.4g}"
                )
