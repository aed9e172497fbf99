"""Paired data for image translation: A/ + B/ folders, side-by-side files, the edges -> Fashion-MNIST demo, and
the one-line errors for pairs that do not match."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import PAIRED, write_pairs
from PIL import Image
from test_idx import write_idx
from test_image_datasets import first_batch, load

from gan_lightning.config import ConfigError
from gan_lightning.data import DataUnavailableError
from gan_lightning.data.paired import sobel_edges

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


def test_sobel_edges_mark_the_outline_of_a_shape() -> None:
    image = torch.zeros(1, 1, 12, 12, dtype=torch.uint8)
    image[..., 3:9, 3:9] = 200
    edges = sobel_edges(image)
    assert edges.dtype == torch.uint8 and set(edges.unique().tolist()) == {0, 255}
    inside, outside = edges[..., 5:7, 5:7], edges[..., 0, :]
    assert inside.eq(0).all() and outside.eq(0).all()  # flat regions have no edges
    assert edges[..., 2:4, 3:9].eq(255).all() and edges[..., 8:10, 3:9].eq(255).all()  # the square's top and bottom


def test_fashion_edges_pairs_images_with_their_edges(tmp_path: Path) -> None:
    images = RNG.integers(0, 256, size=(40, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte", (np.arange(40) % 10).astype(np.uint8))
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images[:10])
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", (np.arange(10) % 10).astype(np.uint8))
    dm = load("pix2pix_fashion_edges", f"data.data_dir={tmp_path}", "data.download=false", "train.batch_size=8")
    targets, inputs = first_batch(dm)
    assert targets.shape == inputs.shape == (8, 1, 32, 32)
    assert torch.equal(dm.inputs, sobel_edges(dm.data)) and dm.data.shape == (40, 1, 32, 32)
    assert torch.equal(dm.evaluation_inputs("test"), sobel_edges(dm.evaluation_images("test")))
    assert dm.evaluation_labels("test").tolist() == list(range(10))


def test_translation_options_that_cannot_work_are_config_errors(tmp_path: Path) -> None:
    write_pairs(tmp_path)
    with pytest.raises(ConfigError, match=r"augment.policy is not supported for paired data"):
        load("quickstart", f"data.data_dir={tmp_path}", *PAIRED, "augment.policy=[translation]")
    with pytest.raises(ConfigError, match=r"metrics \['ssim'\] score image translation; mnist_embedded is not paired"):
        load("quickstart", "metrics.names=[fid,ssim]")
    with pytest.raises(ConfigError, match=r"paired data takes class_preservation, fid, kid, l1, pr, psnr, ssim"):
        load("quickstart", f"data.data_dir={tmp_path}", *PAIRED, "metrics.names=[is]")
