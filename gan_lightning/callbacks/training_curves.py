"""Plot a run's logged scalars into one PNG at the end of training."""

from __future__ import annotations

import csv
import math
import os
from collections import defaultdict
from collections.abc import Collection
from pathlib import Path

import lightning as L
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.utilities import rank_zero_info, rank_zero_only
from matplotlib.figure import Figure

from gan_lightning.image_logging import log_image_file

Series = dict[str, tuple[list[float], list[float]]]
"""Metric name -> (generator steps, values), only the rows that logged the metric."""

TRAINING_PANELS = (("losses", ("train/d_loss", "train/g_loss")), ("D outputs", ("train/d_real", "train/d_fake")))
EVALUATION_PREFIXES = ("val/", "toy/")
"""Each metric under these prefixes gets its own panel: FID, KID and mode counts have unrelated scales."""

PANEL_SIZE = (4.0, 3.0)
"""Width and height of one panel in inches (at 100 dpi)."""
COLUMNS = 3


def read_series(metrics_csv: str | os.PathLike[str]) -> Series:
    """Every numeric column of ``metrics.csv`` against its ``step`` column, sorted by step.

    Rows are sparse (training scalars and evaluation metrics are logged in different rows, and
    columns added mid-run are blank in earlier rows), so each metric keeps only its own rows.
    """
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    with open(metrics_csv, newline="") as stream:
        for row in csv.DictReader(stream):
            if not row.get("step"):
                continue
            step = float(row["step"])
            for key, value in row.items():
                if key not in (None, "step") and value:
                    points[key].append((step, float(value)))
    series: Series = {}
    for key, pairs in points.items():
        pairs.sort(key=lambda pair: pair[0])
        series[key] = ([step for step, _ in pairs], [value for _, value in pairs])
    return series


def curve_panels(metrics: Collection[str]) -> list[tuple[str, list[str]]]:
    """(title, metric names) of each panel to draw; panels whose metrics were never logged are left out."""
    panels = [(title, [key for key in keys if key in metrics]) for title, keys in TRAINING_PANELS]
    panels += [(key, [key]) for key in sorted(metrics) if key.startswith(EVALUATION_PREFIXES)]
    return [(title, keys) for title, keys in panels if keys]


def panel_grid(panels: int) -> tuple[int, int]:
    """(rows, columns) of the figure for ``panels`` panels."""
    columns = min(COLUMNS, panels)
    return math.ceil(panels / columns), columns


def plot_curves(series: Series, path: str | os.PathLike[str]) -> bool:
    """Draw the panels of :func:`curve_panels` into ``path``; False (and no file) when there are none."""
    panels = curve_panels(series)
    if not panels:
        return False
    rows, columns = panel_grid(len(panels))
    # A bare Figure, not pyplot: no global figure registry to leak into, no backend to select.
    figure = Figure(figsize=(PANEL_SIZE[0] * columns, PANEL_SIZE[1] * rows), dpi=100)
    for index, (title, keys) in enumerate(panels):
        axes = figure.add_subplot(rows, columns, index + 1)
        for key in keys:
            steps, values = series[key]
            # Markers keep a metric evaluated once or twice visible; long curves read better as lines.
            axes.plot(steps, values, label=key, marker="o" if len(steps) <= 20 else None, markersize=3)
        if not any(math.isfinite(value) for key in keys for value in series[key][1]):
            # e.g. toy/reverse_kl is infinite while a mode is missed: say so instead of an empty frame
            axes.text(0.5, 0.5, "no finite values", transform=axes.transAxes, ha="center", va="center")
        axes.set_title(title, fontsize=10)
        axes.set_xlabel("generator step")
        axes.grid(alpha=0.3)
        if len(keys) > 1:
            axes.legend(fontsize=8)
    figure.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return True


class TrainingCurves(L.Callback):
    """Writes ``out_path`` (losses, D outputs, each ``val/`` and ``toy/`` metric against the generator
    step) when training ends, and logs it as ``curves``.

    The source is the run's ``metrics.csv``, so a resumed run's curves show its whole history, not
    only the part since the resume. Without a CSV logger there is nothing to read and nothing is drawn.
    Drawn in ``on_fit_end``, which Lightning calls after every callback's ``on_train_end`` and before
    it closes the loggers, so a final evaluation logged in ``on_train_end`` is on the curves whatever
    the callbacks' order.
    """

    def __init__(self, out_path: str | os.PathLike[str]) -> None:
        self.out_path = Path(out_path)

    @rank_zero_only
    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        csv_logger = next((logger for logger in trainer.loggers if isinstance(logger, CSVLogger)), None)
        if csv_logger is None:
            rank_zero_info("training curves: no CSV logger, so no metrics.csv to plot")
            return
        csv_logger.save()  # rows may still be buffered in memory
        metrics_csv = Path(csv_logger.experiment.metrics_file_path)
        if not metrics_csv.is_file():
            rank_zero_info(f"training curves: {metrics_csv} was not written (nothing logged yet)")
            return
        if plot_curves(read_series(metrics_csv), self.out_path):
            log_image_file(trainer.loggers, "curves", self.out_path, pl_module.generator_step)
        else:
            rank_zero_info(f"training curves: no losses, D outputs or metrics in {metrics_csv}")
