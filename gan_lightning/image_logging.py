"""Send a picture file to every attached logger, so callbacks need no logger-specific code.

Callbacks write their pictures (sample grids, scatter plots, curves) as PNG files in the run
directory first; :func:`log_image_file` then hands the same file to each logger it knows.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
from lightning.pytorch.loggers import Logger, TensorBoardLogger, WandbLogger
from PIL import Image


def log_image_file(loggers: Iterable[Logger], key: str, path: str | os.PathLike[str], step: int) -> None:
    """Log the image at ``path`` under ``key`` at ``step`` to each logger.

    TensorBoard gets the pixels (``add_image``), wandb the file (``log_image``); the CSV logger
    records scalars only, and the PNG already on disk is the record. Loggers of other types are
    skipped, so adding one never breaks a callback.
    """
    for logger in loggers:
        if isinstance(logger, WandbLogger):
            logger.log_image(key, [os.fspath(path)], step=step)
        elif isinstance(logger, TensorBoardLogger):
            with Image.open(path) as image:
                pixels = np.asarray(image.convert("RGB"))
            logger.experiment.add_image(key, pixels, global_step=step, dataformats="HWC")
