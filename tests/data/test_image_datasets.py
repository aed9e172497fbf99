"""Every image DataModule reads its real on-disk format, written here in miniature, through the
same config → DataModule → loader path a user's run takes."""

from __future__ import annotations

import csv
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import REPO, state_of, tiny_config, train
from PIL import Image
from test_idx import write_idx

from gan_lightning.config.loading import ConfigError, load_config
from gan_lightning.data import DataUnavailableError, build_datamodule
from gan_lightning.data.celeba import CelebADataModule
from gan_lightning.data.cifar10 import CIFAR10DataModule
from gan_lightning.data.image_files import ImageFileDataset, SquareImage
from gan_lightning.data.image_folder import ImageFolderDataModule
from gan_lightning.data.mnist import FashionMNISTDataModule

RNG = np.random.default_rng(0)


def load(config: str, *overrides: str):
    """The DataModule of a shipped config, set up as ``scripts/fit.py`` does."""
    datamodule = build_datamodule(load_config([REPO / "configs" / f"{config}.yaml"], list(overrides)))
    datamodule.prepare_data()
    datamodule.setup("fit")
    return datamodule


def first_batch(datamodule) -> torch.Tensor:
    return datamodule.on_after_batch_transfer(next(iter(datamodule.train_dataloader())), 0)


# ------------------------------------------------------------------ MNIST format


@pytest.mark.parametrize("layout", ["debian", "torchvision"])
def test_fashion_mnist_reads_both_layouts(tmp_path: Path, layout: str) -> None:
    """Debian ships ``*-ubyte.gz`` directly in its folder; torchvision unpacks into FashionMNIST/raw."""
    images = RNG.integers(0, 256, size=(40, 28, 28), dtype=np.uint8)
    labels = (np.arange(40) % 10).astype(np.uint8)
    folder, suffix = (tmp_path, ".gz") if layout == "debian" else (tmp_path / "FashionMNIST" / "raw", "")
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / f"train-images-idx3-ubyte{suffix}", images)
    write_idx(folder / f"train-labels-idx1-ubyte{suffix}", labels)
    dm = load(
        "dcgan_fashion_mnist",
        f"data.data_dir={tmp_path}",
        "data.download=false",
        "data.resolution=32",
        "train.batch_size=8",
    )
    assert isinstance(dm, FashionMNISTDataModule) and dm.data_shape == (1, 32, 32)
    assert dm.data.dtype == torch.uint8 and dm.data.shape == (40, 1, 32, 32)
    assert torch.equal(dm.data[:, 0, 2:30, 2:30], torch.from_numpy(images)) and dm.data[:, :, :2].sum() == 0
    assert torch.equal(dm.labels, torch.from_numpy(labels).long())
    batch = first_batch(dm)
    assert batch.shape == (8, 1, 32, 32) and batch.dtype == torch.float32
    assert batch.min() >= -1 and batch.max() <= 1


def test_missing_fashion_mnist_is_one_config_error_naming_files_and_fixes(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(
            [REPO / "configs" / "dcgan_fashion_mnist.yaml"], [f"data.data_dir={tmp_path}", "data.download=false"]
        )
    message = str(info.value)
    assert "\n" not in message
    for part in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "FashionMNIST/raw", "data.download=true"):
        assert part in message
    assert "apt-get install dataset-fashion-mnist" in message


def test_fashion_mnist_download_failure_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from torchvision.datasets import FashionMNIST

    def offline(self, *args, **kwargs):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    monkeypatch.setattr(FashionMNIST, "download", offline)
    dm = FashionMNISTDataModule(16, 0, (-1.0, 1.0), data_dir=str(tmp_path), download=True)
    with pytest.raises(DataUnavailableError, match=r"could not download Fashion-MNIST .* under .*FashionMNIST/raw"):
        dm.prepare_data()


# ------------------------------------------------------------------ CIFAR-10


def write_cifar10(root: Path, per_batch: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """The python version's layout: pickled dicts with ``data`` (N, 3072) uint8 and ``labels``."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    images = RNG.integers(0, 256, size=(5 * per_batch, 3, 32, 32), dtype=np.uint8)
    labels = RNG.integers(0, 10, size=5 * per_batch)
    for k in range(5):
        part = slice(k * per_batch, (k + 1) * per_batch)
        batch = {
            "batch_label": f"training batch {k + 1} of 5",
            "labels": labels[part].tolist(),
            "data": images[part].reshape(per_batch, 3072),
            "filenames": [f"img_{i}.png" for i in range(per_batch)],
        }
        (folder / f"data_batch_{k + 1}").write_bytes(pickle.dumps(batch, protocol=2))
    return images, labels


def test_cifar10_reads_the_python_pickles(tmp_path: Path) -> None:
    images, labels = write_cifar10(tmp_path)
    dm = load(
        "dcgan_cifar10", f"data.data_dir={tmp_path}", "data.download=false", "generator.output_activation=sigmoid"
    )
    assert isinstance(dm, CIFAR10DataModule) and dm.data_shape == (3, 32, 32)
    assert dm.data.dtype == torch.uint8 and torch.equal(dm.data, torch.from_numpy(images))
    assert torch.equal(dm.labels, torch.from_numpy(labels))
    batch = first_batch(dm)
    assert batch.shape == (64, 3, 32, 32) and batch.min() >= 0 and batch.max() <= 1


def test_cifar10_test_split_for_metrics(tmp_path: Path) -> None:
    write_cifar10(tmp_path)
    dm = CIFAR10DataModule(16, 0, (-1.0, 1.0), data_dir=str(tmp_path))
    with pytest.raises(DataUnavailableError, match=r"metrics.real_split=test needs .*test_batch"):
        dm.evaluation_images("test")
    test_images = RNG.integers(0, 256, size=(30, 3, 32, 32), dtype=np.uint8)
    batch = {"labels": [0] * 30, "data": test_images.reshape(30, 3072)}
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(pickle.dumps(batch, protocol=2))
    assert torch.equal(dm.evaluation_images("test"), torch.from_numpy(test_images))
    assert torch.equal(dm.evaluation_images("train"), dm.data) and dm.splits == ("train", "test")


def test_cifar10_missing_and_damaged_files(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"lacks the CIFAR-10 files data_batch_1.*cifar-10-batches-py; set data.downl"
    ):
        load_config([REPO / "configs" / "dcgan_cifar10.yaml"], [f"data.data_dir={tmp_path}", "data.download=false"])
    write_cifar10(tmp_path)
    (tmp_path / "cifar-10-batches-py" / "data_batch_3").write_bytes(b"not a pickle")
    dm = CIFAR10DataModule(16, 0, (-1.0, 1.0), data_dir=str(tmp_path))
    with pytest.raises(DataUnavailableError, match=r"data_batch_3 is not a CIFAR-10 python batch"):
        dm.setup()


def test_resolution_is_checked_per_dataset(tmp_path: Path) -> None:
    write_cifar10(tmp_path)
    with pytest.raises(
        ConfigError, match=r"invalid value 64 for config key 'data.resolution' with CIFAR-10; allowed: 32"
    ):
        load_config([REPO / "configs" / "dcgan_cifar10.yaml"], [f"data.data_dir={tmp_path}", "data.resolution=64"])
    with pytest.raises(ConfigError, match=r"'data.resolution' with CelebA; allowed: 32, 64"):
        load_config([REPO / "configs" / "dcgan_celeba64.yaml"], ["data.resolution=28"])


def test_sngan_trains_on_cifar10_pickles(tmp_path: Path) -> None:
    write_cifar10(tmp_path / "data")
    config = tiny_config(
        tmp_path / "runs",
        "sngan_cifar10",
        **{
            "data.data_dir": tmp_path / "data",
            "data.download": "false",
            "train.max_steps": 2,
            "train.n_critic": 1,
            "metrics.names": "[]",
        },
    )
    state = state_of(train(config))
    assert any("parametrizations.weight.original" in key for key in state)  # spectral norm in D


# ------------------------------------------------------------------ CelebA


def write_celeba(root: Path, count: int = 6) -> Path:
    """torchvision's layout: 178×218 aligned JPEGs and the partition list (0 train, 1 valid, 2 test).

    Each photo is white in its centre 140×140 square (the face crop) and black elsewhere.
    """
    folder = root / "celeba"
    (folder / "img_align_celeba").mkdir(parents=True)
    photo = np.zeros((218, 178, 3), dtype=np.uint8)
    photo[39:179, 19:159] = 255
    lines = []
    for i in range(1, count + 1):
        Image.fromarray(photo).save(folder / "img_align_celeba" / f"{i:06d}.jpg", quality=95)
        lines.append(f"{i:06d}.jpg {0 if i <= count - 2 else i % 2 + 1}")
    (folder / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")
    return folder


def test_celeba_centre_crop_and_training_partition(tmp_path: Path) -> None:
    write_celeba(tmp_path)
    dm = load(
        "dcgan_celeba64", f"data.data_dir={tmp_path}", "data.download=false", "data.num_workers=0", "train.batch_size=2"
    )
    assert isinstance(dm, CelebADataModule) and dm.data_shape == (3, 64, 64)
    assert len(dm.dataset) == 4  # the two files of partitions 1 and 2 are left out
    image = dm.dataset[0]
    assert image.shape == (3, 64, 64) and image.dtype == torch.uint8
    assert image.float().mean() > 250  # only the white face square survives the crop
    batch = first_batch(dm)
    assert batch.shape == (2, 3, 64, 64) and batch.min() >= -1 and batch.max() <= 1


def test_celeba_missing_files_and_images(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"lacks the CelebA files .*img_align_celeba/, .*list_eval_partition.txt"):
        load_config([REPO / "configs" / "dcgan_celeba64.yaml"], [f"data.data_dir={tmp_path}", "data.download=false"])
    folder = write_celeba(tmp_path)
    (folder / "img_align_celeba" / "000002.jpg").unlink()
    with pytest.raises(DataUnavailableError, match=r"lacks 1 of the 4 training images \(e.g. 000002.jpg\)"):
        CelebADataModule(2, 0, (-1.0, 1.0), data_dir=str(tmp_path)).setup()


# ------------------------------------------------------------------ image folder


def write_image_folder(root: Path) -> Path:
    """Three good images (one in a sub-folder, one a grey JPEG), one corrupt .png, and files to ignore."""
    root.mkdir(parents=True)
    (root / "cats").mkdir()
    Image.fromarray(RNG.integers(0, 256, (40, 60, 3), dtype=np.uint8)).save(root / "a.png")
    Image.fromarray(RNG.integers(0, 256, (50, 50), dtype=np.uint8)).save(root / "b.JPG")
    Image.fromarray(RNG.integers(0, 256, (80, 70, 3), dtype=np.uint8)).save(root / "cats" / "c.png")
    (root / "broken.png").write_bytes(b"\x89PNG but not really")
    (root / "notes.txt").write_text("not an image")
    (root / "._a.png").write_bytes(b"macOS metadata")
    return root


def test_image_folder_skips_a_corrupt_file_with_one_warning(tmp_path: Path) -> None:
    root = write_image_folder(tmp_path / "images")
    with pytest.warns(UserWarning, match=r"skipping 1 unreadable image file\(s\): .*broken.png") as caught:
        dm = load(
            "imagefolder_example",
            f"data.data_dir={root}",
            "data.resolution=32",
            "data.num_workers=0",
            "train.batch_size=3",
        )
    assert len([w for w in caught if "unreadable" in str(w.message)]) == 1
    assert isinstance(dm, ImageFolderDataModule) and dm.data_shape == (3, 32, 32)
    assert sorted(Path(f).name for f in dm.dataset.files) == ["a.png", "b.JPG", "c.png"]
    batch = first_batch(dm)
    assert batch.shape == (3, 3, 32, 32) and batch.min() >= -1 and batch.max() <= 1


def test_image_folder_grey_and_strict(tmp_path: Path) -> None:
    root = write_image_folder(tmp_path / "images")
    with pytest.raises(DataUnavailableError, match=r"cannot read image .*broken.png .*data.on_corrupt=skip"):
        load("imagefolder_example", f"data.data_dir={root}", "data.on_corrupt=error")
    (root / "broken.png").unlink()
    dm = load("imagefolder_example", f"data.data_dir={root}", "data.channels=1", "data.extensions=[png]")
    assert dm.data_shape == (1, 64, 64) and len(dm.dataset) == 2 and dm.dataset[0].shape == (1, 64, 64)


def test_empty_or_absent_folder_is_one_config_error(tmp_path: Path) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "sub" / "readme.txt").write_text("no images here")
    with pytest.raises(ConfigError, match=r"holds no images with extensions .png, .jpg.*searched recursively"):
        load_config([REPO / "configs" / "imagefolder_example.yaml"], [f"data.data_dir={tmp_path / 'empty'}"])
    with pytest.raises(ConfigError, match=r"data.data_dir=.*absent' is not a folder"):
        load_config([REPO / "configs" / "imagefolder_example.yaml"], [f"data.data_dir={tmp_path / 'absent'}"])


def test_file_that_fails_to_decode_is_replaced_or_reported(tmp_path: Path) -> None:
    """A valid header with truncated pixel data passes the start-up check and fails only when decoded."""
    good, bad = tmp_path / "good.png", tmp_path / "bad.png"
    Image.fromarray(RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(good)
    bad.write_bytes(good.read_bytes()[:200])
    skipping = ImageFileDataset([str(bad), str(good)], SquareImage(32), "skip")
    with pytest.warns(RuntimeWarning, match=r"skipping unreadable image .*bad.png"):
        assert torch.equal(skipping[0], skipping[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        skipping[0]  # warned once per file
    with pytest.raises(DataUnavailableError, match=r"cannot read image .*bad.png"):
        ImageFileDataset([str(bad), str(good)], SquareImage(32), "error")[0]


def test_dcgan_trains_on_an_image_folder_with_workers(tmp_path: Path) -> None:
    root = write_image_folder(tmp_path / "images")
    config = tiny_config(
        tmp_path / "runs",
        "imagefolder_example",
        **{
            "data.data_dir": root,
            "data.resolution": 32,
            "data.num_workers": 1,
            "train.batch_size": 3,
            "train.max_steps": 3,
            # FID on the folder's images, read through the same dataset the loader uses (a fast extractor)
            "metrics.names": "[fid]",
            "metrics.extractor": "mnist_classifier",
            "metrics.every": 3,
        },
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_dir = train(config)
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    rows = [r for r in csv.DictReader((run_dir / "metrics.csv").open()) if r.get("val/mnist_classifier_fid")]
    assert [int(r["step"]) for r in rows] == [3]
