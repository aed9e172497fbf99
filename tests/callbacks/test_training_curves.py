"""curves.png: which panels a run's metrics.csv gives, and that runs write and log it."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import tiny_config, train
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.utilities import rank_zero_only
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from gan_lightning.callbacks import training_curves
from gan_lightning.callbacks.training_curves import (
    PANEL_SIZE,
    TrainingCurves,
    curve_panels,
    panel_grid,
    plot_curves,
    read_series,
)
from gan_lightning.training import find_resume_point

LOSSES = ("losses", ["train/d_loss", "train/g_loss"])
D_OUTPUTS = ("D outputs", ["train/d_real", "train/d_fake"])


def figure_size(panels: int) -> tuple[int, int]:
    rows, columns = panel_grid(panels)
    return round(PANEL_SIZE[0] * columns * 100), round(PANEL_SIZE[1] * rows * 100)


def test_sparse_resumed_csv_gives_one_series_per_logged_column(tmp_path: Path) -> None:
    metrics_csv = tmp_path / "metrics.csv"
    # As the CSV logger leaves it after a resume at step 4 added a column: rows blank where a
    # metric was not logged, val/kid in the header but never logged, val/fid logged as inf once.
    metrics_csv.write_text(
        "step,train/d_loss,train/g_loss,train/g_lr,val/fid,val/kid\n"
        "2,1.5,0.7,0.1,,\n"
        "4,1.4,0.8,0.1,,\n"
        "4,,,,inf,\n"
        "6,1.3,0.9,0.1,,\n"
        "8,,,,12.5,\n"
    )
    series = read_series(metrics_csv)
    assert sorted(series) == ["train/d_loss", "train/g_loss", "train/g_lr", "val/fid"]
    assert series["train/d_loss"] == ([2.0, 4.0, 6.0], [1.5, 1.4, 1.3])
    assert series["val/fid"] == ([4.0, 8.0], [float("inf"), 12.5])
    assert curve_panels(series) == [("losses", ["train/d_loss", "train/g_loss"]), ("val/fid", ["val/fid"])]


def test_every_evaluation_metric_gets_its_own_panel() -> None:
    logged = {"train/d_loss", "train/g_loss", "train/d_real", "train/d_fake", "val/kid", "val/fid", "toy/modes"}
    assert curve_panels(logged) == [
        LOSSES,
        D_OUTPUTS,
        ("toy/modes", ["toy/modes"]),
        ("val/fid", ["val/fid"]),
        ("val/kid", ["val/kid"]),
    ]


def test_image_run_plots_losses_d_outputs_and_the_final_evaluation(
    image_run: Path, image_run_tensorboard: EventAccumulator
) -> None:
    # The quickstart evaluates its classifier metrics at the end of training: one panel each.
    evaluated = [
        f"val/mnist_classifier_{name}" for name in ("class_kl", "classes_covered", "fid", "precision", "recall")
    ]
    panels = curve_panels(read_series(image_run / "metrics.csv"))
    assert panels == [LOSSES, D_OUTPUTS, *[(name, [name]) for name in evaluated]]
    with Image.open(image_run / "curves.png") as curves:
        assert curves.size == figure_size(len(panels))
    (event,) = image_run_tensorboard.Images("curves")
    assert (event.step, event.width, event.height) == (6, *figure_size(len(panels)))


def test_toy_run_plots_the_toy_metrics(toy_run: Path) -> None:
    panels = curve_panels(read_series(toy_run / "metrics.csv"))
    assert panels == [
        LOSSES,
        D_OUTPUTS,
        ("toy/high_quality", ["toy/high_quality"]),
        ("toy/modes", ["toy/modes"]),
        ("toy/reverse_kl", ["toy/reverse_kl"]),
    ]
    with Image.open(toy_run / "curves.png") as curves:
        assert curves.size == figure_size(len(panels))


def test_a_resumed_run_plots_its_whole_history(tmp_path: Path) -> None:
    first = train(tiny_config(tmp_path, "toy_ring", **{"train.max_steps": 4}))
    config = tiny_config(tmp_path, "toy_ring", **{"train.max_steps": 8})
    resumed = train(config, find_resume_point(str(first), config))
    assert resumed == first
    series = read_series(resumed / "metrics.csv")
    assert series["train/d_loss"][0] == [2.0, 4.0, 6.0, 8.0]
    assert series["toy/modes"][0] == [3.0, 6.0]
    assert (resumed / "curves.png").is_file()


def test_without_a_csv_logger_nothing_is_drawn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    messages: list[str] = []
    monkeypatch.setattr(training_curves, "rank_zero_info", messages.append)
    TrainingCurves(tmp_path / "curves.png").on_fit_end(SimpleNamespace(loggers=[]), SimpleNamespace())
    assert not (tmp_path / "curves.png").exists()
    assert messages == ["training curves: no CSV logger, so no metrics.csv to plot"]


def test_only_rank_zero_draws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "metrics.csv").write_text("step,train/d_loss,train/g_loss\n2,1.5,0.7\n")
    trainer = SimpleNamespace(loggers=[CSVLogger(tmp_path, name="", version="")])
    monkeypatch.setattr(rank_zero_only, "rank", 1)
    TrainingCurves(tmp_path / "curves.png").on_fit_end(trainer, SimpleNamespace(generator_step=2))
    assert not (tmp_path / "curves.png").exists()


def test_nothing_to_plot_writes_nothing(tmp_path: Path) -> None:
    assert not plot_curves({"train/g_lr": ([2.0], [0.1])}, tmp_path / "curves.png")
    assert not (tmp_path / "curves.png").exists()
