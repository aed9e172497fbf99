"""Wall-clock accounting of a run: the seconds it has trained, summed over every session that resumed it (kept in
checkpoints under :data:`TRAIN_SECONDS`, what the video and audio benchmarks report per
run), and the images per second between two logged steps.
"""

from __future__ import annotations

import time
from typing import Any

TRAIN_SECONDS = "train_seconds"
"""The checkpoint key of the run's training wall time in seconds, summed over every session that resumed it."""


class TrainClock:
    """The time the module has trained: this session's, from train start, on top of the earlier sessions'."""

    def __init__(self) -> None:
        self.seconds_before = 0.0
        """Wall seconds of training in the sessions before this one's resume."""
        self._started: float | None = None
        self._last_log: tuple[float, int] | None = None

    def start(self) -> None:
        """At train start: this session's seconds count from now."""
        self._started = time.perf_counter()

    def load(self, checkpoint: dict[str, Any]) -> None:
        """The seconds a resumed checkpoint had trained (0 for checkpoints written before they were kept)."""
        self.seconds_before = checkpoint.get(TRAIN_SECONDS, 0.0)

    @property
    def seconds(self) -> float:
        """Wall seconds this run has trained, summed over every session that resumed it: the time between sessions,
        and before training starts (data, building), is not counted; sampling and metrics callbacks inside are."""
        now = time.perf_counter()
        return self.seconds_before + (now - self._started if self._started is not None else 0.0)

    def images_per_sec(self, step: int, images_per_step: int) -> float | None:
        """Images per second since the last call (at generator step ``step``, ``images_per_step`` real images per
        generator step over all ranks); None at the first."""
        now = time.perf_counter()
        rate = None
        if self._last_log is not None:
            last_time, last_step = self._last_log
            rate = (step - last_step) * images_per_step / max(now - last_time, 1e-9)
        self._last_log = (now, step)
        return rate
