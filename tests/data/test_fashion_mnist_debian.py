"""Train a few steps on the real Fashion-MNIST from Debian's ``dataset-fashion-mnist`` package (CI installs it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import tiny_config, train

from gan_lightning.data import build_datamodule

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(
    not (DEBIAN_DIR / "train-images-idx3-ubyte.gz").is_file(),
    reason=f"{DEBIAN_DIR} absent: apt-get install dataset-fashion-mnist (CI does)",
)
def test_dcgan_trains_on_debians_fashion_mnist(tmp_path: Path) -> None:
    config = tiny_config(
        tmp_path,
        "dcgan_fashion_mnist",
        **{
            "data.data_dir": DEBIAN_DIR,
            "data.download": "false",
            "train.max_steps": 2,
            "train.sample_every": 0,
            "metrics.names": "[]",  # the Inception FID path has its own test (tests/metrics/test_inception.py)
        },
    )
    datamodule = build_datamodule(config)
    datamodule.setup()
    assert tuple(datamodule.data.shape) == (60_000, 1, 28, 28) and datamodule.labels.unique().numel() == 10
    run_dir = train(config)
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
