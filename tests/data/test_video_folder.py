"""``data.name=video_folder`` reads users' clips in each real layout, written here in miniature, and compares the
pixels with what was written; every bad clip stops with one line naming its file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import REPO
from PIL import Image

from gan_lightning.config.loading import ConfigError, load_config
from gan_lightning.data import DataUnavailableError, build_datamodule
from gan_lightning.data.video_folder import VideoFolderDataModule

RNG = np.random.default_rng(0)


def folder_module(root: Path, **options: object) -> VideoFolderDataModule:
    values = {"frames": 4, "resolution": 16, "channels": 1, **options}
    return VideoFolderDataModule(str(root), 8, 0, (-1.0, 1.0), **values)  # type: ignore[arg-type]


def write_frames(folder: Path, frames: np.ndarray, names: list[str] | None = None) -> None:
    """``frames`` ``(T, H, W)`` grey or ``(T, H, W, 3)`` RGB as PNG files, named ``names`` (default f00.png, ...)."""
    folder.mkdir(parents=True)
    for name, frame in zip(names or [f"f{t:02d}.png" for t in range(len(frames))], frames, strict=True):
        Image.fromarray(frame).save(folder / name)


def test_frame_folders_are_clips_in_file_name_order(tmp_path: Path) -> None:
    first = RNG.integers(0, 256, (5, 16, 16, 3), dtype=np.uint8)
    second = RNG.integers(0, 256, (4, 16, 16, 3), dtype=np.uint8)
    names = ["frame_03.png", "frame_00.png", "frame_04.png", "frame_01.png", "frame_02.png"]  # written out of order
    write_frames(tmp_path / "clip_a", first[[3, 0, 4, 1, 2]], names)
    write_frames(tmp_path / "clip_b", second)
    (tmp_path / "clip_a" / "notes.txt").write_text("not a frame")
    (tmp_path / "clip_a" / ".hidden.png").write_bytes(b"macOS metadata")
    (tmp_path / ".cache").mkdir()
    dm = folder_module(tmp_path, channels=3)
    assert dm.data_shape == (4, 3, 16, 16) and dm.splits == ("train",)
    expected = np.stack([first[:4], second]).transpose(0, 1, 4, 2, 3)  # clip_a cut to its first 4 frames
    assert dm.data.dtype == torch.uint8 and torch.equal(dm.data, torch.from_numpy(expected))
    assert dm.evaluation_images("train") is dm.data


def test_frames_are_cropped_to_the_centre_square_and_converted(tmp_path: Path) -> None:
    """20x40 frames, black | grey | white columns: the shorter side goes to 16 px and the centre 16 columns (source
    columns 10 to 30) are kept, so only the grey survives; RGB grey (r = g = b) keeps its value as one channel."""
    frames = np.zeros((4, 20, 40, 3), dtype=np.uint8)
    frames[:, :, 8:32] = 128
    frames[:, :, 32:] = 255
    write_frames(tmp_path / "wide", frames)
    dm = folder_module(tmp_path)
    assert dm.data.shape == (1, 4, 1, 16, 16) and bool((dm.data == 128).all())


def test_npy_and_npz_clips_grey_rgb_and_float(tmp_path: Path) -> None:
    grey = RNG.integers(0, 256, (6, 16, 16), dtype=np.uint8)
    levels = RNG.integers(0, 256, (4, 16, 16, 1))
    rgb = RNG.integers(0, 256, (4, 16, 16, 3), dtype=np.uint8)
    np.save(tmp_path / "a_grey.npy", grey)
    np.save(tmp_path / "b_float.npy", (levels / 255.0).astype(np.float32))  # (T, H, W, 1) floats in [0, 1]
    np.savez_compressed(tmp_path / "c_rgb.npz", clip=rgb)
    data = folder_module(tmp_path, channels=3).data
    assert data.shape == (3, 4, 3, 16, 16)
    grey_as_rgb = np.repeat(grey[:4, None], 3, axis=1)  # grey clips are repeated across R, G and B
    assert torch.equal(data[0], torch.from_numpy(grey_as_rgb))
    assert torch.equal(data[1], torch.from_numpy(np.repeat(levels.transpose(0, 3, 1, 2), 3, axis=1)).to(torch.uint8))
    assert torch.equal(data[2], torch.from_numpy(rgb.transpose(0, 3, 1, 2).copy()))


def test_mnist_test_seq_layout_holds_many_clips(tmp_path: Path) -> None:
    """Srivastava's file is (T, N, 64, 64) uint8; here T=6, N=3 at 16 px."""
    clips = RNG.integers(0, 256, (6, 3, 16, 16), dtype=np.uint8)
    np.save(tmp_path / "mnist_test_seq.npy", clips)
    data = folder_module(tmp_path, frames=5).data
    assert torch.equal(data, torch.from_numpy(clips[:5].transpose(1, 0, 2, 3)[:, :, None].copy()))


def test_mnist_test_seq_layout_resized(tmp_path: Path) -> None:
    """Frames of one shade stay that shade when halved: frame t of clip n is 10 t + n."""
    shades = (10 * np.arange(6)[:, None] + np.arange(3)[None, :]).astype(np.uint8)
    np.save(tmp_path / "mnist_test_seq.npy", np.broadcast_to(shades[:, :, None, None], (6, 3, 16, 16)))
    data = folder_module(tmp_path, resolution=8).data
    assert data.shape == (3, 4, 1, 8, 8)
    assert torch.equal(data, torch.from_numpy(shades[:4].T.copy())[:, :, None, None, None].expand(-1, -1, 1, 8, 8))


def clip_too_short(root: Path) -> Path:
    write_frames(root / "short", np.zeros((3, 16, 16), np.uint8))
    return root / "short"


def clip_file_too_short(root: Path) -> Path:
    np.save(root / "short.npy", np.zeros((3, 16, 16), np.uint8))
    return root / "short.npy"


def frames_of_two_sizes(root: Path) -> Path:
    write_frames(root / "clip", np.zeros((4, 16, 16), np.uint8))
    Image.fromarray(np.zeros((12, 10), np.uint8)).save(root / "clip" / "f02.png")
    return root / "clip" / "f02.png"


def unreadable_frame(root: Path) -> Path:
    write_frames(root / "clip", np.zeros((4, 16, 16), np.uint8))
    (root / "clip" / "f01.png").write_bytes(b"\x89PNG but not really")
    return root / "clip" / "f01.png"


def unreadable_array(root: Path) -> Path:
    (root / "clip.npy").write_bytes(b"not an array")
    return root / "clip.npy"


def npz_of_two_arrays(root: Path) -> Path:
    np.savez(root / "two.npz", a=np.zeros((4, 16, 16), np.uint8), b=np.zeros((4, 16, 16), np.uint8))
    return root / "two.npz"


def array_of_one_frame(root: Path) -> Path:
    np.save(root / "frame.npy", np.zeros((16, 16), np.uint8))
    return root / "frame.npy"


def float_clips_of_many(root: Path) -> Path:
    np.save(root / "clips.npy", np.zeros((4, 2, 16, 16), np.float32))  # (T, N, H, W) is uint8 only
    return root / "clips.npy"


def integers_not_bytes(root: Path) -> Path:
    np.save(root / "clip.npy", np.zeros((4, 16, 16), np.int64))
    return root / "clip.npy"


def floats_out_of_range(root: Path) -> Path:
    np.save(root / "clip.npy", np.full((4, 16, 16), 255.0, np.float32))
    return root / "clip.npy"


def folder_without_frames(root: Path) -> Path:
    (root / "clip").mkdir()
    (root / "clip" / "readme.txt").write_text("no frames")
    return root / "clip"


@pytest.mark.parametrize(
    ("write", "problem"),
    [
        (clip_too_short, r"clip folder \S*short has 3 frames; data.frames=4 needs at least 4 \(lower data.frames"),
        (clip_file_too_short, r"clip file \S*short.npy has 3 frames; data.frames=4 needs at least 4"),
        (frames_of_two_sizes, r"frame \S*f02.png is 10x12 px but \S*f00.png is 16x16; .* must have one size"),
        (unreadable_frame, r"cannot read frame \S*f01.png \(.*\); replace or remove it"),
        (unreadable_array, r"cannot read clip file \S*clip.npy as an array \(.*\); replace or remove it"),
        (npz_of_two_arrays, r"clip file \S*two.npz holds 2 arrays \(a, b\); save exactly one"),
        (array_of_one_frame, r"clip file \S*frame.npy holds a uint8 array of shape \(16, 16\); save one clip"),
        (float_clips_of_many, r"clip file \S*clips.npy holds a float32 array of shape \(4, 2, 16, 16\)"),
        (integers_not_bytes, r"clip file \S*clip.npy holds int64 values; save uint8 or float in \[0, 1\]"),
        (floats_out_of_range, r"clip file \S*clip.npy holds floats outside \[0, 1\] \(min 255.0, max 255.0\)"),
        (folder_without_frames, r"clip folder \S*clip holds no frame images \(.png, .*; add its frames or remove"),
    ],
)
def test_a_bad_clip_stops_with_one_line_naming_its_file(
    tmp_path: Path, write: Callable[[Path], Path], problem: str
) -> None:
    path = write(tmp_path)
    with pytest.raises(DataUnavailableError, match=problem) as info:
        folder_module(tmp_path).setup()
    message = str(info.value)
    assert "\n" not in message and str(path) in message


def video_config(data_dir: Path, *overrides: str):
    """The shipped toy config (MLP networks, which take any kind of data) reading clips from ``data_dir``."""
    options = ["data.name=video_folder", f"data.data_dir={data_dir}", "data.resolution=32", "data.frames=4"]
    return load_config([REPO / "configs" / "toy_ring.yaml"], [*options, *overrides])


def test_config_builds_video_folder(tmp_path: Path) -> None:
    np.save(tmp_path / "clip.npy", RNG.integers(0, 256, (4, 32, 32), dtype=np.uint8))
    dm = build_datamodule(video_config(tmp_path, "data.channels=1"))
    assert isinstance(dm, VideoFolderDataModule) and dm.kind_name == "video" and dm.data_shape == (4, 1, 32, 32)
    assert torch.equal(dm.data[0, :, 0], torch.from_numpy(np.load(tmp_path / "clip.npy")))


def test_missing_clips_are_one_config_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"data.data_dir=.*empty' holds no clips; add one sub-folder") as info:
        video_config(tmp_path / "empty")
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match=r"data.data_dir=.*absent' is not a folder; point it at a folder of clips"):
        video_config(tmp_path / "absent")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "frame.png")
    with pytest.raises(ConfigError, match=r"frame image \S*frame.png is directly in data.data_dir; put each clip's"):
        video_config(tmp_path)
    with pytest.raises(ConfigError, match=r"invalid value 1 for config key 'data.frames'; a clip needs at least 2"):
        video_config(tmp_path, "data.frames=1")
