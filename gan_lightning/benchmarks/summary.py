"""What every benchmark reports alike: mean ± standard error over seeds, the per-seed lines printed as runs finish and
the markdown tables the results are pasted from (docs/RESULTS.md)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence


def mean_and_se(values: Sequence[float]) -> tuple[float, float]:
    """The mean of per-seed ``values`` and its standard error (sample standard deviation / sqrt(n); 0 for one seed,
    which has no spread to estimate)."""
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return mean, se


def mean_se(values: Sequence[float], decimals: int = 2) -> str:
    """``"mean ± s.e."`` of per-seed ``values``, both to ``decimals`` places."""
    mean, se = mean_and_se(values)
    return f"{mean:.{decimals}f} ± {se:.{decimals}f}"


def summary(runs: Sequence[Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """``{value: {"mean": ..., "se": ...}}`` over the runs of one config, for every value of its first run."""
    return {key: dict(zip(("mean", "se"), mean_and_se([run[key] for run in runs]), strict=True)) for key in runs[0]}


def seed_line(run: str, values: Mapping[str, float]) -> str:
    """What is printed of each ``run`` (a config's seed) before the table: every value to 4 significant digits."""
    return f"{run}: " + ", ".join(f"{key}={value:.4g}" for key, value in values.items())


def table_row(cells: Sequence[str], width: int = 0) -> str:
    """One markdown row of ``cells``, padded with empty cells to ``width`` columns. A cell may hold several leading
    columns joined by ``" | "`` (a label of data and method), counted as such."""
    padding = max(0, width - sum(cell.count(" | ") + 1 for cell in cells))
    return "|" + "".join(f" {cell} |" if cell else " |" for cell in [*cells, *[""] * padding])


def table_head(titles: Sequence[str]) -> list[str]:
    """A markdown table's header and separator rows."""
    width = sum(title.count(" | ") + 1 for title in titles)
    return [table_row(titles), "|---" * width + "|"]
