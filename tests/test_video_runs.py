"""Video end to end, as a user runs it: fit a MoCoGAN config, its strips and GIFs, sample clips, class-conditional
clips through the conditioning seam."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import REPO, TINY, only_run, script
from PIL import Image

from gan_lightning.checkpointing import load_module

VIDEO = [*TINY, "extra_discriminators.frames.width=8", "data.num_samples=64", "train.batch_size=8"]


def fit_video(root: Path, *extra: str) -> Path:
    arguments = ["--config", str(REPO / "configs" / "video_moving_mnist_quick.yaml"), f"run.root={root}"]
    assert script("fit").main([*arguments, *VIDEO, *extra]) == 0
    return only_run(root)


def test_fit_strips_gifs_and_sampled_clips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    run_dir = fit_video(tmp_path)
    samples = run_dir / "samples"
    steps = {f"step_000000{step}.{suffix}" for step in (2, 4) for suffix in ("png", "gif")}
    assert {p.name for p in samples.iterdir()} == {*steps, "final.png", "final.gif"}
    strip = Image.open(samples / "final.png")
    assert strip.size == (8 * 34 + 2, 16 * 34 + 2)  # a row of 8 frames per clip of the 16 fixed clips
    with Image.open(samples / "final.gif") as animation:
        assert animation.n_frames == 8 and animation.size == (4 * 34 + 2, 4 * 34 + 2)  # 16 clips, 4 by 4

    checkpoint = str(run_dir / "checkpoints" / "last.ckpt")
    sample = script("sample").main
    assert sample(["--ckpt", checkpoint, "--num", "5", "--out", str(tmp_path / "c.npz"), "--seed", "3"]) == 0
    clips = np.load(tmp_path / "c.npz")["samples"]
    assert clips.shape == (5, 8, 1, 32, 32) and clips.min() >= 0 and clips.max() <= 1
    module = load_module(checkpoint)  # the same seed, by hand: the EMA generator's clips in [0, 1]
    expected = module.to_data_space(module.sample(5, generator=torch.Generator().manual_seed(3)))
    np.testing.assert_allclose(clips, expected.numpy(), atol=1e-6)

    assert sample(["--ckpt", checkpoint, "--num", "4", "--out", str(tmp_path / "c.gif")]) == 0
    with Image.open(tmp_path / "c.gif") as animation:
        assert animation.n_frames == 8
    assert not (tmp_path / "c.png").exists()  # a .gif asked for is the animation alone
    assert sample(["--ckpt", checkpoint, "--num", "4", "--out", str(tmp_path / "c.png")]) == 0
    assert (tmp_path / "c.gif").is_file()
    assert sample(["--ckpt", checkpoint, "--num", "4", "--out", str(tmp_path / "c.mp4")]) == 2
    assert "--out must end in .npz, .png, .gif for video data (T, C, H, W), got c.mp4" in capsys.readouterr().err
    assert not (tmp_path / "c.mp4").exists()


def test_class_conditional_clips_follow_the_asked_class(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run_dir = fit_video(tmp_path, "data.conditional=true")
    strip = Image.open(run_dir / "samples" / "final.png")
    assert strip.size[1] == 10 * 34 + 2  # the grid's 16 // 10 = 1 clip per class: a row per class
    checkpoint = str(run_dir / "checkpoints" / "last.ckpt")
    out = tmp_path / "c.npz"
    assert script("sample").main(["--ckpt", checkpoint, "--num", "2", "--class", "3", "8", "--out", str(out)]) == 0
    saved = np.load(out)
    assert saved["samples"].shape == (4, 8, 1, 32, 32) and saved["labels"].tolist() == [3, 3, 8, 8]
    module = load_module(checkpoint)  # the same latents asked for another class give other clips
    z = module.latent(2, torch.Generator().manual_seed(0)).repeat(2, 1)
    clips = module.sample(noise=z, condition=torch.tensor([1, 1, 6, 6]))
    assert not torch.allclose(clips[:2], clips[2:])
