"""Audio end to end, as a user runs it: fit WaveGAN, SpecGAN and a conditional WaveGAN on a tiny spoken-digits set,
their spectrogram grids and WAV folders, and sampled clips as .wav, .npz and .png."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
from helpers import REPO, TINY, only_run, script
from PIL import Image

from gan_lightning.checkpointing import load_module

AUDIO = [*TINY, "data.voices=4", "data.test_voices=2", "data.utterances=1", "data.audio_length=2048",
         "train.batch_size=4", "train.n_critic=2", "train.num_samples_grid=10"]  # fmt: skip


def fit_audio(root: Path, config: str, *extra: str) -> Path:
    arguments = ["--config", str(REPO / "configs" / f"{config}.yaml"), f"run.root={root}"]
    data_dir = f"data.data_dir={root.parent / 'data'}"
    assert script("fit").main([*arguments, *AUDIO, data_dir, *extra]) == 0
    return only_run(root)


def test_wavegan_fit_pictures_sounds_and_samples(tmp_path: Path) -> None:
    run_dir = fit_audio(tmp_path / "runs", "wavegan_spoken_digits_quick")
    samples = run_dir / "samples"
    assert {p.name for p in samples.iterdir()} == {
        *(f"step_000000{s}{suffix}" for s in (2, 4) for suffix in (".png", "")),
        "final.png",
        "final",
    }
    clips = sorted((samples / "final").iterdir())
    assert [p.name for p in clips] == [f"{i:03d}.wav" for i in range(10)]
    sound, rate = soundfile.read(clips[0])
    assert rate == 8000 and sound.shape == (2048,)
    assert Image.open(samples / "final.png").size[0] > 0

    checkpoint = str(run_dir / "checkpoints" / "last.ckpt")
    sample = script("sample").main
    assert sample(["--ckpt", checkpoint, "--num", "5", "--out", str(tmp_path / "c.npz"), "--seed", "3"]) == 0
    array = np.load(tmp_path / "c.npz")["samples"]
    assert array.shape == (5, 2048) and np.abs(array).max() <= 1
    assert sample(["--ckpt", checkpoint, "--num", "3", "--out", str(tmp_path / "clips.wav"), "--seed", "3"]) == 0
    written = sorted((tmp_path / "clips").iterdir())
    assert [p.name for p in written] == ["000.wav", "001.wav", "002.wav"]
    heard, _ = soundfile.read(written[0])
    assert np.allclose(heard, array[0], atol=1.5 / 32767)  # the same seed, the same clip, 16-bit
    assert sample(["--ckpt", checkpoint, "--num", "4", "--out", str(tmp_path / "grid.png")]) == 0
    assert (tmp_path / "grid.png").is_file() and len(list((tmp_path / "grid").iterdir())) == 4
    assert sample(["--ckpt", checkpoint, "--num", "4", "--out", str(tmp_path / "x.gif")]) == 2


def test_specgan_is_heard_through_griffin_lim(tmp_path: Path) -> None:
    geometry = ("data.audio_length=1024", "data.stft_window=64", "data.stft_hop=32")  # 32x32 images
    run_dir = fit_audio(tmp_path / "runs", "specgan_spoken_digits_quick", *geometry)
    module = load_module(run_dir / "checkpoints" / "last.ckpt")
    assert module.kind.name == "spectrogram" and module.data_shape == (1, 32, 32)
    clips = module.to_data_space(module.sample(3))
    assert clips.shape == (3, 1024)
    sound, rate = soundfile.read(sorted((run_dir / "samples" / "final").iterdir())[0])
    assert rate == 8000 and sound.shape == (1024,)


def test_conditional_wavegan_draws_asked_digits(tmp_path: Path) -> None:
    run_dir = fit_audio(tmp_path / "runs", "cwavegan_spoken_digits_quick")
    checkpoint = str(run_dir / "checkpoints" / "last.ckpt")
    out = tmp_path / "threes.npz"
    assert script("sample").main(["--ckpt", checkpoint, "--num", "2", "--class", "3", "7", "--out", str(out)]) == 0
    assert np.load(out)["labels"].tolist() == [3, 3, 7, 7]


@pytest.mark.parametrize(
    "bad",
    [
        "data.audio_length=3000",
        "generator.output_activation=sigmoid",
        "extra_discriminators.stft.view=stft",  # a 2nd critic whose view_size (1) cannot cut an STFT image
        "generator.upsample=linear",
    ],
)
def test_configs_it_cannot_serve_are_one_line(tmp_path: Path, bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["--config", str(REPO / "configs" / "wavegan_spoken_digits_quick.yaml"), f"run.root={tmp_path}"]
    assert script("fit").main([*arguments, *AUDIO, f"data.data_dir={tmp_path / 'data'}", bad]) != 0
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and error
    assert not list(tmp_path.glob("*/*/checkpoints"))
