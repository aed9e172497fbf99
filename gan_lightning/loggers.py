"""Loggers chosen by ``run.loggers``, made safe for resumed runs.

Lightning's CSVLogger deletes an existing ``metrics.csv`` when its directory is reused, which a
resumed run always does. :class:`ResumableCSVLogger` keeps the file, and the rows logged after the
checkpoint being resumed are dropped first (they will be logged again), so the history reads as if
the run had never stopped.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from lightning.pytorch.loggers import CSVLogger, Logger, TensorBoardLogger
from lightning.pytorch.loggers.csv_logs import ExperimentWriter
from lightning.pytorch.loggers.logger import rank_zero_experiment

LOGGERS = ("csv", "tensorboard")


class _AppendingWriter(ExperimentWriter):
    def _check_log_dir_exists(self) -> None:
        # Keep the file and adopt its columns, so new rows extend it instead of replacing it.
        if os.path.isfile(self.metrics_file_path):
            with open(self.metrics_file_path, newline="") as stream:
                self.metrics_keys = next(csv.reader(stream), [])


class ResumableCSVLogger(CSVLogger):
    """``<run_dir>/metrics.csv`` and ``hparams.yaml``; appends when the file exists."""

    @property
    @rank_zero_experiment
    def experiment(self) -> ExperimentWriter:
        if self._experiment is None:
            self._experiment = _AppendingWriter(log_dir=self.log_dir)
        return self._experiment


def drop_rows_after(metrics_csv: Path, step: int) -> None:
    """Remove rows logged after generator ``step`` (a resumed run logs them again)."""
    if not metrics_csv.is_file():
        return
    with open(metrics_csv, newline="") as stream:
        reader = csv.DictReader(stream)
        fields = reader.fieldnames or []
        rows = [row for row in reader if not row.get("step") or float(row["step"]) <= step]
    temporary = metrics_csv.with_name(f".{metrics_csv.name}.tmp")
    with open(temporary, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(temporary, metrics_csv)


def build_loggers(names: list[str], run_dir: Path) -> list[Logger]:
    """One logger per name in ``run.loggers``, all writing inside the run directory."""
    loggers: list[Logger] = []
    for name in names:
        if name == "csv":
            loggers.append(ResumableCSVLogger(save_dir=run_dir, name="", version=""))
        elif name == "tensorboard":
            loggers.append(TensorBoardLogger(save_dir=run_dir, name="tensorboard", version=""))
        else:
            raise ValueError(f"unknown logger {name!r}; allowed: {', '.join(LOGGERS)}")
    return loggers
