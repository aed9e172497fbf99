"""SpecGAN's spectrogram: shape, range, and a Griffin-Lim round trip that keeps a tone's pitch."""

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
    """The audio benchmark's ceiling for SpecGAN: real clips through the spectrogram kind come back by Griffin-Lim
    (the same pitch, not the same samples); the waveform kind returns them untouched."""
    transform = Spectrogram.fit(tones(440.0, 8, 0), LENGTH, 256, 128)
    clips = tones(440.0, 2, 1)
    assert AudioKind((1, LENGTH), (-1.0, 1.0), RATE).heard_through(clips) is clips
    heard = SpectrogramKind((1, 128, 128), (-1.0, 1.0), RATE, transform.state()).heard_through(clips)
    assert heard.shape == clips.shape and not torch.equal(heard, clips)
    assert torch.allclose(heard, transform.invert(transform(clips)))
