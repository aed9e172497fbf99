"""SpecGAN's spectrogram: shape, range, the image against an STFT written here with NumPy, and a Griffin-Lim round
trip that keeps a tone's pitch and spectrogram."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gan_lightning.data.spectrogram import Spectrogram, spectrogram_shape
from gan_lightning.kinds.audio import AudioKind, SpectrogramKind

RATE, LENGTH = 16000, 16384


def tones(frequency: float, count: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    t = torch.arange(LENGTH) / RATE
    amplitude = 0.2 + 0.5 * torch.rand(count, 1, generator=generator)
    phase = 2 * math.pi * torch.rand(count, 1, generator=generator)
    noise = 0.01 * torch.randn(count, LENGTH, generator=generator)
    return amplitude * torch.sin(2 * math.pi * frequency * t + phase) + noise


def numpy_stft_magnitude(clip: np.ndarray, window: int, hop: int) -> np.ndarray:
    """``|STFT|`` ``(window / 2 + 1, len / hop + 1)`` by hand: the clip reflect-padded by half a window at each end
    (a centred STFT), a frame every ``hop`` samples, scipy's periodic Hann window, NumPy's real FFT in float64."""
    from scipy.signal import get_window

    frames = np.lib.stride_tricks.sliding_window_view(np.pad(clip, window // 2, mode="reflect"), window)[::hop]
    return np.abs(np.fft.rfft(frames * get_window("hann", window), axis=1)).T


def relative_error(clip: torch.Tensor, reference: torch.Tensor) -> float:
    """How far ``clip``'s NumPy STFT magnitude is from ``reference``'s, relative to the latter (Frobenius norms)."""
    heard, wanted = (numpy_stft_magnitude(c.double().numpy(), 256, 128) for c in (clip, reference))
    return float(np.linalg.norm(heard - wanted) / np.linalg.norm(wanted))


def test_the_image_is_the_normalised_log_magnitude_of_a_numpy_stft() -> None:
    """The per-bin statistics and the image, computed again from the paper's definition (module doc) with NumPy:
    the Nyquist bin and last frame dropped, log(|X| + 1e-6), standardised per bin, clipped at 3 deviations, over 3."""
    fitted = tones(440.0, 8, 0)
    transform = Spectrogram.fit(fitted, LENGTH, 256, 128)
    logs = np.stack([np.log(numpy_stft_magnitude(c.double().numpy(), 256, 128)[:-1, :-1] + 1e-6) for c in fitted])
    mean, std = logs.mean(axis=(0, 2)), logs.std(axis=(0, 2))
    np.testing.assert_allclose(transform.mean.numpy(), mean, atol=1e-4)
    np.testing.assert_allclose(transform.std.numpy(), std, rtol=1e-3)
    clips = tones(440.0, 2, 1)
    by_hand = [np.log(numpy_stft_magnitude(c.double().numpy(), 256, 128)[:-1, :-1] + 1e-6) for c in clips]
    expected = np.stack([np.clip((x - mean[:, None]) / (3 * std[:, None]), -1, 1) for x in by_hand])
    np.testing.assert_allclose(transform(clips)[:, 0].numpy(), expected, atol=1e-3)


def test_paper_geometry_is_128_by_128_in_unit_range() -> None:
    assert spectrogram_shape(16384, 256, 128) == (1, 128, 128)
    transform = Spectrogram.fit(tones(440.0, 8, 0), LENGTH, 256, 128)
    images = transform(tones(440.0, 3, 1))
    assert images.shape == (3, 1, 128, 128) and images.min() >= -1 and images.max() <= 1


@pytest.mark.parametrize("frequency", [440.0, 1234.0, 3000.0])
def test_griffin_lim_keeps_a_tones_pitch(frequency: float) -> None:
    transform = Spectrogram.fit(tones(frequency, 16, 0), LENGTH, 256, 128)
    heard = transform.invert(transform(tones(frequency, 1, 1)))
    assert heard.shape == (1, LENGTH)
    spectrum = np.abs(np.fft.rfft(heard[0].numpy()))
    peak = spectrum.argmax() * RATE / LENGTH
    assert abs(peak - frequency) <= RATE / 256  # within one STFT bin (62.5 Hz)
    assert heard.pow(2).mean().sqrt() > 0.1  # and loud, not a residue


def test_statistics_round_trip_through_the_state() -> None:
    transform = Spectrogram.fit(tones(700.0, 4, 0), LENGTH, 256, 128)
    rebuilt = Spectrogram(**transform.state())
    clips = tones(700.0, 2, 3)
    assert torch.equal(rebuilt(clips), transform(clips))


@pytest.mark.parametrize(("window", "hop"), [(255, 128), (256, 200), (256, 100)])
def test_bad_geometry_is_one_line(window: int, hop: int) -> None:
    with pytest.raises(ValueError, match=r"data\.stft_"):
        spectrogram_shape(16384, window, hop)


def test_a_kind_hears_real_clips_through_its_representation() -> None:
    """The audio benchmark's ceiling for SpecGAN: real clips through the spectrogram kind come back by Griffin-Lim,
    other samples with the same spectrogram: by NumPy's STFT, within 20 % of the clips' magnitudes with the peak in
    the tone's bin, where a tone of another pitch through the same kind is 50 % off or more. The waveform kind
    returns them as they are."""
    transform = Spectrogram.fit(tones(440.0, 8, 0), LENGTH, 256, 128)
    clips = tones(440.0, 2, 1)
    assert np.array_equal(AudioKind((1, LENGTH), (-1.0, 1.0), RATE).heard_through(clips).numpy(), clips.numpy())
    kind = SpectrogramKind((1, 128, 128), (-1.0, 1.0), RATE, transform.state())
    heard, other = kind.heard_through(clips), kind.heard_through(tones(1234.0, 2, 1))
    assert heard.shape == clips.shape and not torch.equal(heard, clips)
    for clip, again, control in zip(clips, heard, other, strict=True):
        assert relative_error(again, clip) < 0.2 and relative_error(control, clip) > 0.5
        spectrum = numpy_stft_magnitude(again.double().numpy(), 256, 128).mean(axis=1)
        assert int(spectrum.argmax()) == round(440.0 / (RATE / 256))  # bin 7 of 62.5 Hz
