"""Paired data for image translation: A/ + B/ folders, side-by-side files, pix2pix's train/ val/ test/ folders, the
edges -> Fashion-MNIST demo, and the one-line errors for pairs that do not match."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import PAIRED, REPO, write_pairs
from PIL import Image
from scipy import ndimage
from test_idx import write_idx
from test_image_datasets import first_batch, load

from gan_lightning.config.loading import ConfigError, load_config
from gan_lightning.data import DataUnavailableError
from gan_lightning.data.paired import EDGE_THRESHOLD, sobel_edges

RNG = np.random.default_rng(2)


@pytest.mark.parametrize("layout", ["folders", "side_by_side"])
def test_paired_folder_yields_targets_with_their_inputs(tmp_path: Path, layout: str) -> None:
    write_pairs(tmp_path, layout=layout)
    dm = load("quickstart", f"data.data_dir={tmp_path}", *PAIRED)
    assert dm.data_shape == dm.input_shape == (1, 32, 32) and len(dm.data) == 12
    inputs, targets = first_batch(dm)  # pix2pix's A -> B order
    assert targets.shape == inputs.shape == (8, 1, 32, 32)
    torch.testing.assert_close(targets, -inputs, atol=0.01, rtol=0)  # each target is its own input inverted
    # which is which: the first element's rows are stored inputs (A), the second's stored targets (B)
    stored_inputs, stored_targets = (dm.to_model_space(t.clone()).flatten(1) for t in (dm.inputs, dm.data))
    assert all((stored_inputs == row).all(dim=1).any() for row in inputs.flatten(1))
    assert all((stored_targets == row).all(dim=1).any() for row in targets.flatten(1))


def test_paired_folder_errors_name_the_file(tmp_path: Path) -> None:
    write_pairs(tmp_path / "unmatched")
    (tmp_path / "unmatched" / "B" / "005.png").rename(tmp_path / "unmatched" / "B" / "extra.png")
    with pytest.raises(ConfigError, match=r"A/005.png has no file of the same name in .*/B; every input needs"):
        load("quickstart", f"data.data_dir={tmp_path / 'unmatched'}", *PAIRED)

    write_pairs(tmp_path / "sizes")
    Image.new("L", (30, 40)).save(tmp_path / "sizes" / "B" / "003.png")
    with pytest.raises(DataUnavailableError, match=r"A/003.png is 40x40 but .*B/003.png is 30x40; a pair must have"):
        load("quickstart", f"data.data_dir={tmp_path / 'sizes'}", *PAIRED)

    write_pairs(tmp_path / "wide", layout="side_by_side")
    Image.new("L", (50, 40)).save(tmp_path / "wide" / "007.png")
    with pytest.raises(DataUnavailableError, match=r"007.png is 50x40; a side-by-side pair is twice as wide as high"):
        load("quickstart", f"data.data_dir={tmp_path / 'wide'}", *PAIRED)

    write_pairs(tmp_path / "corrupt")
    (tmp_path / "corrupt" / "B" / "002.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(DataUnavailableError, match=r"cannot read image .*B/002.png .*set data.on_corrupt=skip"):
        load("quickstart", f"data.data_dir={tmp_path / 'corrupt'}", *PAIRED, "data.on_corrupt=error")
    with pytest.warns(UserWarning, match=r"skipping 1 unreadable pair"):
        dm = load("quickstart", f"data.data_dir={tmp_path / 'corrupt'}", *PAIRED)
    assert len(dm.data) == 11


TRAIN_SHADES, VAL_SHADES, TEST_SHADES = [10, 60, 110, 160, 210, 250], [30, 130, 230], [20, 90, 170, 240]
"""Each split's input shades, all different, so which files a tensor came from shows in its values."""


def write_split(folder: Path, shades: list[int], suffix: str = ".png") -> None:
    """pix2pix's side-by-side files, 80x40: a constant input of each shade on the left, its inverse (the target) on
    the right. The halves meet on an 8-pixel block edge, so JPEG keeps them constant to a grey level."""
    folder.mkdir(parents=True)
    for index, shade in enumerate(shades):
        halves = [np.full((40, 40), shade, dtype=np.uint8), np.full((40, 40), 255 - shade, dtype=np.uint8)]
        Image.fromarray(np.concatenate(halves, axis=1)).save(folder / f"{index:03d}{suffix}")


def write_pix2pix(root: Path, splits: tuple[str, ...] = ("train", "val", "test")) -> Path:
    """A dataset folder as pix2pix's facades / maps / edges2shoes unpack: train/ (PNG), val/ (PNG), test/ (JPEG)."""
    shades = {"train": TRAIN_SHADES, "val": VAL_SHADES, "test": TEST_SHADES}
    for split in splits:
        write_split(root / split, shades[split], ".jpg" if split == "test" else ".png")
    return root


def shades_of(images: torch.Tensor) -> list[float]:
    """The mean grey level of each (constant) image."""
    return images.float().mean(dim=(1, 2, 3)).tolist()


def test_paired_folder_trains_on_train_and_serves_the_held_out_splits(tmp_path: Path) -> None:
    data_dir = write_pix2pix(tmp_path / "facades")
    dm = load("quickstart", f"data.data_dir={data_dir}", *PAIRED)
    assert dm.splits == ("train", "val", "test")
    # training reads train/ alone: the 6 train pairs, not the 13 files under data_dir
    assert shades_of(dm.inputs) == pytest.approx(TRAIN_SHADES, abs=1)
    assert shades_of(dm.data) == pytest.approx([255 - s for s in TRAIN_SHADES], abs=1)
    assert torch.equal(dm.evaluation_images("train"), dm.data)
    for split, shades in (("val", VAL_SHADES), ("test", TEST_SHADES)):
        inputs, targets = dm.evaluation_inputs(split), dm.evaluation_images(split)
        assert inputs.shape == targets.shape == (len(shades), 1, 32, 32) and targets.dtype == torch.uint8
        assert shades_of(inputs) == pytest.approx(shades, abs=1)
        assert shades_of(targets) == pytest.approx([255 - s for s in shades], abs=1)


def test_real_split_may_be_any_split_folder_there_is(tmp_path: Path) -> None:
    config = REPO / "configs" / "quickstart.yaml"
    scored = [*PAIRED[:-1], "metrics.names=[l1,psnr]"]  # metrics.real_split is checked when metrics are on
    data_dir = write_pix2pix(tmp_path / "maps")
    for split in ("train", "val", "test"):
        loaded = load_config([config], [f"data.data_dir={data_dir}", *scored, f"metrics.real_split={split}"])
        assert loaded.metrics.real_split == split

    no_val = write_pix2pix(tmp_path / "no_val", splits=("train", "test"))
    with pytest.raises(ConfigError) as missing:
        load_config([config], [f"data.data_dir={no_val}", *scored, "metrics.real_split=val"])
    assert str(missing.value) == (
        "invalid value 'val' for config key 'metrics.real_split' with paired_folder; allowed: train, test"
    )
    write_pairs(tmp_path / "flat", layout="side_by_side")  # no split folders: everything is training data
    with pytest.raises(ConfigError, match=r"^invalid value 'test' for config key 'metrics.real_split' .* train$"):
        load_config([config], [f"data.data_dir={tmp_path / 'flat'}", *scored, "metrics.real_split=test"])


def test_split_folder_errors_are_one_line_and_name_the_problem(tmp_path: Path) -> None:
    wide = write_pix2pix(tmp_path / "wide")
    Image.new("L", (50, 40)).save(wide / "val" / "001.png")
    dm = load("quickstart", f"data.data_dir={wide}", *PAIRED)  # training reads train/ only, which is fine
    with pytest.raises(DataUnavailableError) as error:
        dm.evaluation_images("val")
    assert "\n" not in str(error.value)
    assert str(error.value).startswith(f"{wide / 'val' / '001.png'} is 50x40; a side-by-side pair is twice as wide")

    write_split(tmp_path / "no_train" / "val", VAL_SHADES)
    with pytest.raises(ConfigError, match=r"^data.data_dir='.*no_train' holds val/ but no train/ folder; training"):
        load("quickstart", f"data.data_dir={tmp_path / 'no_train'}", *PAIRED)

    empty = write_pix2pix(tmp_path / "empty_test", splits=("train",))
    (empty / "test").mkdir()
    with pytest.raises(ConfigError, match=r"^.*empty_test/test holds no image pairs \("):
        load("quickstart", f"data.data_dir={empty}", *PAIRED)

    both = tmp_path / "both"
    write_pairs(both)
    write_split(both / "train", TRAIN_SHADES)
    with pytest.raises(ConfigError, match=r"holds both A/ \+ B/ and train/: keep one layout"):
        load("quickstart", f"data.data_dir={both}", *PAIRED)


def test_sobel_edges_mark_the_outline_of_a_shape() -> None:
    image = torch.zeros(1, 1, 12, 12, dtype=torch.uint8)
    image[..., 3:9, 3:9] = 200
    edges = sobel_edges(image)
    assert edges.dtype == torch.uint8 and set(edges.unique().tolist()) == {0, 255}
    inside, outside = edges[..., 5:7, 5:7], edges[..., 0, :]
    assert inside.eq(0).all() and outside.eq(0).all()  # flat regions have no edges
    assert edges[..., 2:4, 3:9].eq(255).all() and edges[..., 8:10, 3:9].eq(255).all()  # the square's top and bottom


def scipy_edges(images: np.ndarray) -> np.ndarray:
    """The documented edge operator computed with scipy instead of torch: per image, the magnitude of
    ``scipy.ndimage.sobel`` along x and y with zero padding (``mode="constant"``), on pixels in [0, 1], above 0.5.

    One 2-D image at a time: on a stack, ``ndimage.sobel`` would also smooth across the images."""
    pixels = images.astype(np.float64) / 255
    magnitude = np.stack(
        [np.hypot(ndimage.sobel(p, axis=1, mode="constant"), ndimage.sobel(p, axis=0, mode="constant")) for p in pixels]
    )
    return np.where(magnitude > EDGE_THRESHOLD, 255, 0).astype(np.uint8)


def blocky_images(count: int) -> np.ndarray:
    """28 x 28 images of 4 x 4 flat squares of random grey: edges on some block borders and on the image border,
    none inside the blocks, so a wrong padding, threshold or kernel changes pixels (random noise would be an edge
    almost everywhere)."""
    return np.kron(RNG.integers(0, 256, size=(count, 4, 4)), np.ones((7, 7), dtype=np.int64)).astype(np.uint8)


def test_sobel_edges_match_scipys_sobel_up_to_the_image_border() -> None:
    images = blocky_images(8)
    expected = scipy_edges(images)
    assert 0.2 < (expected == 255).mean() < 0.8  # a mix of edges and flat regions
    np.testing.assert_array_equal(sobel_edges(torch.from_numpy(images)[:, None])[:, 0].numpy(), expected)


def test_fashion_edges_pairs_images_with_their_edges(tmp_path: Path) -> None:
    """The inputs are the edges of their own targets, checked against scipy's Sobel on the images as written."""
    images = blocky_images(40)
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte", (np.arange(40) % 10).astype(np.uint8))
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images[:10])
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", (np.arange(10) % 10).astype(np.uint8))
    dm = load("pix2pix_fashion_edges", f"data.data_dir={tmp_path}", "data.download=false", "train.batch_size=8")
    targets, inputs = first_batch(dm)
    assert targets.shape == inputs.shape == (8, 1, 32, 32)
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2)))  # zero-padded from 28 to 32 px
    expected = scipy_edges(padded)
    assert 0.2 < (expected == 255).mean() < 0.6  # a mix of edges and flat regions
    assert dm.data.shape == dm.inputs.shape == (40, 1, 32, 32)
    np.testing.assert_array_equal(dm.data[:, 0].numpy(), padded)
    np.testing.assert_array_equal(dm.evaluation_images("test")[:, 0].numpy(), padded[:10])
    np.testing.assert_array_equal(dm.inputs[:, 0].numpy(), expected)
    np.testing.assert_array_equal(dm.evaluation_inputs("test")[:, 0].numpy(), expected[:10])
    assert dm.evaluation_labels("test").tolist() == list(range(10))


def test_translation_options_that_cannot_work_are_config_errors(tmp_path: Path) -> None:
    write_pairs(tmp_path)
    with pytest.raises(ConfigError, match=r"augment.policy is not supported for paired data"):
        load("quickstart", f"data.data_dir={tmp_path}", *PAIRED, "augment.policy=[translation]")
    with pytest.raises(ConfigError, match=r"ssim score image-translation runs: they need paired data"):
        load("quickstart", "metrics.names=[fid,ssim]")
    with pytest.raises(
        ConfigError,
        match=r"is cannot score image-translation image data \(C, H, W\); "
        r"use fid, kid, pr, l1, psnr, ssim, class_preservation",
    ):
        load("quickstart", f"data.data_dir={tmp_path}", *PAIRED, "metrics.names=[is]")
