"""One picture file reaches each logger type without logger-specific code in the callers."""

from __future__ import annotations

from pathlib import Path

import torch
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from gan_lightning.image_logging import log_image_file
from gan_lightning.visualization import save_image_grid


def test_png_goes_to_tensorboard_and_csv_is_left_alone(tmp_path: Path) -> None:
    picture = tmp_path / "grid.png"
    save_image_grid(torch.rand(4, 3, 8, 8), picture)
    tensorboard = TensorBoardLogger(tmp_path, name="tb", version="")
    log_image_file([CSVLogger(tmp_path, name="csv"), tensorboard], "samples", picture, step=7)
    tensorboard.experiment.flush()
    events = EventAccumulator(str(tmp_path / "tb")).Reload()
    (image,) = events.Images("samples")
    assert image.step == 7 and image.width > 8
