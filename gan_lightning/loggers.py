"""Loggers chosen by ``run.loggers``, made safe for resumed runs.

Lightning's CSVLogger deletes an existing ``metrics.csv`` when its directory is reused, which a
resumed run always does. :class:`ResumableCSVLogger` keeps the file, and the rows logged after the
checkpoint being resumed are dropped first (they will be logged again), so the history reads as if
the run had never stopped. It also writes every row as it is logged (Lightning's default buffers
100 steps), so a live run's metrics can be watched, e.g. by the local sweep runner.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from lightning.pytorch.loggers import CSVLogger, Logger, TensorBoardLogger
from lightning.pytorch.loggers.csv_logs import ExperimentWriter
from lightning.pytorch.loggers.logger import rank_zero_experiment

from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.files import atomic_path
from gan_lightning.wandb_logging import build_wandb_logger

LOGGERS = ("csv", "tensorboard", "wandb")


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
    with atomic_path(metrics_csv) as temporary, open(temporary, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def build_loggers(config: ExperimentConfig, run_dir: Path, wandb_run_id: str | None = None) -> list[Logger]:
    """One logger per name in ``run.loggers``; ``wandb_run_id`` continues a resumed run's wandb run."""
    loggers: list[Logger] = []
    for name in config.run.loggers:
        if name == "csv":
            loggers.append(ResumableCSVLogger(save_dir=run_dir, name="", version="", flush_logs_every_n_steps=1))
        elif name == "tensorboard":
            loggers.append(TensorBoardLogger(save_dir=run_dir, name="tensorboard", version=""))
        elif name == "wandb":
            loggers.append(build_wandb_logger(config, run_dir, wandb_run_id))
        else:
            raise ValueError(f"unknown logger {name!r}; allowed: {', '.join(LOGGERS)}")
    return loggers
