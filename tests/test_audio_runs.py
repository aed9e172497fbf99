"""Audio end to end, as a user runs it: fit WaveGAN, SpecGAN and a conditional WaveGAN on a tiny spoken-digits set,
their spectrogram grids and WAV folders, and sampled clips as .wav, .npz and .png.

The WAV folders are decoded by soundfile and checked against the checkpoint's generator run again here; SpecGAN's
clips against their spectrograms by an STFT written with NumPy; the conditional samples against the generator given
the asked classes by hand, and the other class as the control."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
from helpers import REPO, TINY, only_run, script
from PIL import Image

from gan_lightning.checkpointing import load_module
from gan_lightning.module import GANModule

RATE = 8000
LSB = 1 / 32767
"""One step of a 16-bit WAV sample."""
WAV_TOLERANCE = 1.5 * LSB
"""What writing a clip to a 16-bit WAV and reading it back may change a sample by (a step, and rounding)."""
AUDIO = [*TINY, "data.voices=4", "data.test_voices=2", "data.utterances=1", "data.audio_length=2048",
         "train.batch_size=4", "train.n_critic=2", "train.num_samples_grid=10"]  # fmt: skip


def fit_audio(root: Path, config: str, *extra: str) -> Path:
    arguments = ["--config", str(REPO / "configs" / f"{config}.yaml"), f"run.root={root}"]
    data_dir = f"data.data_dir={root.parent / 'data'}"
    assert script("fit").main([*arguments, *AUDIO, data_dir, *extra]) == 0
    return only_run(root)


def decoded(folder: Path, length: int) -> np.ndarray:
    """Every WAV of ``folder`` in name order, ``(N, length)``, each checked by soundfile to be 16-bit mono at
    :data:`RATE` and ``length`` samples long."""
    clips = []
    for path in sorted(folder.glob("*.wav")):
        info = soundfile.info(str(path))
        assert (info.samplerate, info.channels, info.frames, info.subtype) == (RATE, 1, length, "PCM_16"), path
        clips.append(soundfile.read(path, dtype="float32")[0])
    return np.stack(clips)


def grid_clips(module: GANModule) -> np.ndarray:
    """What the run's last sample folder holds: the checkpoint's EMA generator on its fixed noise (and labels)."""
    with torch.no_grad():
        samples = module.sample(noise=module.fixed_noise, condition=module.fixed_conditions)
    return module.to_data_space(samples).numpy()


def numpy_stft_magnitude(clip: np.ndarray, window: int, hop: int) -> np.ndarray:
    """``|STFT|`` ``(window / 2 + 1, len / hop + 1)`` by hand: the clip reflect-padded by half a window at each end
    (a centred STFT), a frame every ``hop`` samples, scipy's periodic Hann window, NumPy's real FFT."""
    from scipy.signal import get_window

    frames = np.lib.stride_tricks.sliding_window_view(np.pad(clip, window // 2, mode="reflect"), window)[::hop]
    return np.abs(np.fft.rfft(frames * get_window("hann", window), axis=1)).T


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
    final = decoded(samples / "final", 2048)
    assert np.sqrt(np.mean(final**2, axis=1)).min() > 0.01  # sound, not silence
    checkpoint = str(run_dir / "checkpoints" / "last.ckpt")
    assert np.abs(final - grid_clips(load_module(checkpoint))).max() <= WAV_TOLERANCE  # the generator's, as they are
    assert Image.open(samples / "final.png").size[0] > 0

    sample = script("sample").main
    assert sample(["--ckpt", checkpoint, "--num", "5", "--out", str(tmp_path / "c.npz"), "--seed", "3"]) == 0
    array = np.load(tmp_path / "c.npz")["samples"]
    assert array.shape == (5, 2048) and np.abs(array).max() <= 1
    assert sample(["--ckpt", checkpoint, "--num", "3", "--out", str(tmp_path / "clips.wav"), "--seed", "3"]) == 0
    written = sorted((tmp_path / "clips").iterdir())
    assert [p.name for p in written] == ["000.wav", "001.wav", "002.wav"]
    heard, _ = soundfile.read(written[0])
    assert np.allclose(heard, array[0], atol=WAV_TOLERANCE)  # the same seed, the same clip, 16-bit
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
    heard = decoded(run_dir / "samples" / "final", 1024)
    assert np.abs(heard - grid_clips(module)).max() <= WAV_TOLERANCE
    # Griffin-Lim found clips whose spectrogram is the generated one: the magnitude of each WAV, by NumPy's STFT,
    # is within 20 % of its image's (relative Frobenius error), where noise as loud is 50 % off or more
    with torch.no_grad():
        target = module.kind.spectrogram.magnitude(module.sample(noise=module.fixed_noise)).numpy()
    noise = np.random.default_rng(0).normal(0.0, heard.std(), heard.shape)
    for clip, control, wanted in zip(heard, noise, target, strict=True):
        error = [
            np.linalg.norm(numpy_stft_magnitude(c, 64, 32) - wanted) / np.linalg.norm(wanted) for c in (clip, control)
        ]
        assert error[0] < 0.2 and error[1] > 0.5, error


def test_conditional_wavegan_draws_asked_digits(tmp_path: Path) -> None:
    run_dir = fit_audio(tmp_path / "runs", "cwavegan_spoken_digits_quick")
    checkpoint = str(run_dir / "checkpoints" / "last.ckpt")
    out = tmp_path / "threes.npz"
    assert script("sample").main(["--ckpt", checkpoint, "--num", "2", "--class", "3", "7", "--out", str(out)]) == 0
    saved = np.load(out)
    assert saved["labels"].tolist() == [3, 3, 7, 7]
    # the clips are the generator's for the asked classes (latents of seed 0, classes given here by hand) ...
    module = load_module(checkpoint)
    noise = module.latent(4, torch.Generator().manual_seed(0))
    with torch.no_grad():
        asked = module.to_data_space(module.sample(noise=noise, condition=torch.tensor([3, 3, 7, 7]))).numpy()
        swapped = module.to_data_space(module.sample(noise=noise, condition=torch.tensor([7, 7, 3, 3]))).numpy()
    assert np.array_equal(saved["samples"], asked)
    assert np.abs(saved["samples"] - swapped).max() > 10 * LSB  # ... and the class reaches the generator
    heard = decoded(run_dir / "samples" / "final", 2048)  # the grid: a clip per class, from the same generator
    assert np.abs(heard - grid_clips(module)).max() <= WAV_TOLERANCE


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
