"""One tiny image run and one tiny 2D run, shared by the callback tests (each run costs seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import tiny_config, train
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


@pytest.fixture(scope="session")
def image_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DCGAN on 28-px digits, 6 generator steps, grids at steps 3 and 6, CSV and TensorBoard loggers."""
    return train(tiny_config(tmp_path_factory.mktemp("image"), "quickstart", **{"run.loggers": "[csv,tensorboard]"}))


@pytest.fixture(scope="session")
def toy_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2D ring, 6 generator steps, toy metrics at steps 3 and 6."""
    return train(tiny_config(tmp_path_factory.mktemp("toy"), "toy_ring"))


@pytest.fixture(scope="session")
def image_run_tensorboard(image_run: Path) -> EventAccumulator:
    """The image run's TensorBoard events, every image kept (the default keeps a sample of 4 per tag)."""
    return EventAccumulator(str(image_run / "tensorboard"), size_guidance={"images": 0}).Reload()
