"""``data.conditional``: every DataModule with classes yields ``(image, label)`` pairs that belong together,
sharded across ranks like the images alone; datasets without classes say so in one line."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from test_idx import write_idx
from test_image_datasets import first_batch, load, write_cifar10

from gan_lightning.config.loading import ConfigError
from gan_lightning.data import DataUnavailableError
from gan_lightning.data.loader import InMemoryLoader

RNG = np.random.default_rng(1)


def test_in_memory_loader_keeps_pairs_and_shards_them_like_one_process() -> None:
    data = torch.arange(200).view(200, 1).float()
    labels = torch.arange(200) % 7
    one = InMemoryLoader(data, 24, seed=3, chunks=2, labels=labels)
    ranks = [InMemoryLoader(data, 12, seed=3, rank=r, world_size=2, chunks=2, labels=labels) for r in (0, 1)]
    for (images, classes), *rank_batches in zip(one, *ranks, strict=False):
        assert torch.equal(classes, images.view(-1).long() % 7)  # every label travels with its image
        for k in range(2):  # D update k of both ranks together is D update k of the one process
            together = torch.cat([batch[0][6 * k : 6 * (k + 1)] for batch in rank_batches])
            assert torch.equal(together, images[12 * k : 12 * (k + 1)])
            together_labels = torch.cat([batch[1][6 * k : 6 * (k + 1)] for batch in rank_batches])
            assert torch.equal(together_labels, classes[12 * k : 12 * (k + 1)])


def test_mnist_embedded_yields_labelled_batches_and_class_counts() -> None:
    dm = load("quickstart", "data.conditional=true")
    images, labels = first_batch(dm)
    assert images.shape == (64, 1, 28, 28) and images.dtype == torch.float32 and labels.dtype == torch.int64
    assert dm.class_counts() == torch.bincount(dm.labels, minlength=10).tolist() and sum(dm.class_counts()) == 5000
    # the batch's labels are those of its images: find each image in the training set
    flat = dm.data.flatten(1).float()
    for image, label in zip(images[:8], labels[:8], strict=True):
        pixels = ((image + 1) * 127.5).round().flatten()
        (index,) = (flat == pixels).all(dim=1).nonzero()[0]
        assert dm.labels[index] == label
    assert isinstance(first_batch(load("quickstart")), torch.Tensor)  # unconditional: images only


def test_fashion_mnist_labels_and_test_labels(tmp_path: Path) -> None:
    images = RNG.integers(0, 256, size=(64, 28, 28), dtype=np.uint8)
    labels = (np.arange(64) % 10).astype(np.uint8)
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images[:20])
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels[:20][::-1].copy())
    dm = load("cgan_fashion_mnist", f"data.data_dir={tmp_path}", "data.download=false", "train.batch_size=32")
    batch_images, batch_labels = first_batch(dm)
    assert batch_images.shape == (32, 1, 28, 28)
    pixels = ((batch_images + 1) * 127.5).round().to(torch.uint8).squeeze(1)
    for image, label in zip(pixels, batch_labels, strict=True):
        (index,) = np.nonzero((images == image.numpy()).all(axis=(1, 2)))[0][:1]
        assert labels[index] == label
    assert dm.evaluation_labels("test").tolist() == labels[:20][::-1].tolist()
    assert dm.evaluation_labels("train").tolist() == labels.tolist()


def test_cifar10_labels_and_test_labels(tmp_path: Path) -> None:
    images, labels = write_cifar10(tmp_path)
    dm = load("dcgan_cifar10", f"data.data_dir={tmp_path}", "data.download=false", "data.conditional=true")
    batch_images, batch_labels = first_batch(dm)
    assert batch_images.shape == (64, 3, 32, 32) and batch_labels.shape == (64,)
    assert dm.class_counts() == np.bincount(labels, minlength=10).tolist()
    test = {"labels": [3] * 10 + [4] * 10, "data": images[:20].reshape(20, 3072)}
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(pickle.dumps(test, protocol=2))
    assert dm.evaluation_labels("test").tolist() == [3] * 10 + [4] * 10


def _class_folders(root: Path, counts: dict[str, int]) -> None:
    for name, count in counts.items():
        (root / name).mkdir(parents=True)
        for index in range(count):
            shade = {"cats": 30, "dogs": 220}.get(name, 128)
            Image.new("L", (12, 12), color=shade).save(root / name / f"{index}.png")


def test_image_folder_classes_are_sorted_subfolders(tmp_path: Path) -> None:
    _class_folders(tmp_path, {"dogs": 24, "cats": 40})
    dm = load(
        "imagefolder_example",
        f"data.data_dir={tmp_path}",
        "data.conditional=true",
        "data.num_workers=0",
        "data.resolution=28",
        "data.channels=1",
        "train.batch_size=16",
    )
    assert dm.class_names == ["cats", "dogs"] and dm.class_counts() == [40, 24]
    images, labels = first_batch(dm)
    assert images.shape == (16, 1, 28, 28)
    # cats are dark, dogs bright: each label matches its image
    assert torch.equal(labels, (images.mean(dim=(1, 2, 3)) > 0).long())
    assert dm.evaluation_labels("train").tolist() == [0] * 40 + [1] * 24
    assert isinstance(dm.evaluation_images("train")[0], torch.Tensor)  # metrics read images without labels


def test_image_folder_class_errors(tmp_path: Path) -> None:
    overrides = ("data.conditional=true", "data.num_workers=0")
    flat = tmp_path / "flat"
    flat.mkdir()
    Image.new("RGB", (8, 8)).save(flat / "a.png")
    with pytest.raises(ConfigError, match=r"needs one sub-folder per class in data.data_dir=.*flat"):
        load("imagefolder_example", f"data.data_dir={flat}", *overrides)
    _class_folders(tmp_path / "loose", {"cats": 2})
    Image.new("RGB", (8, 8)).save(tmp_path / "loose" / "stray.png")
    with pytest.raises(ConfigError, match=r"image .*stray.png is in no class sub-folder"):
        load("imagefolder_example", f"data.data_dir={tmp_path / 'loose'}", *overrides)
    _class_folders(tmp_path / "empty", {"cats": 2})
    (tmp_path / "empty" / "dogs").mkdir()
    (tmp_path / "empty" / "dogs" / "broken.png").write_bytes(b"not a png")
    with (
        pytest.warns(UserWarning, match=r"skipping 1 unreadable image file\(s\): .*broken.png"),
        pytest.raises(DataUnavailableError, match=r"class folder\(s\) dogs in .*: no readable image"),
    ):
        load("imagefolder_example", f"data.data_dir={tmp_path / 'empty'}", *overrides)


def test_class_accuracy_needs_a_classifier_of_the_data(tmp_path: Path) -> None:
    from helpers import tiny_config, train

    write_cifar10(tmp_path / "cifar")
    extra = {"data.data_dir": tmp_path / "cifar", "data.download": "false", "data.conditional": "true",
             "metrics.names": "[class_accuracy,intra_fid]"}  # fmt: skip
    with pytest.raises(ConfigError, match=r"class_accuracy needs a classifier of cifar10's classes; shipped for mnist"):
        train(tiny_config(tmp_path, "dcgan_cifar10", **extra))
    assert not (tmp_path / "dcgan_cifar10").exists()


@pytest.mark.parametrize("config", ["toy_ring", "rnn_sines"])
def test_datasets_without_classes_reject_conditional(config: str) -> None:
    with pytest.raises(ConfigError, match=r"data.conditional=true: \w+ has no class labels \(datasets with classes"):
        load(config, "data.conditional=true")
