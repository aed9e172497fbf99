"""The ``stft`` view: a discriminator that judges a waveform's log-magnitude spectrogram, beside one on the samples.

Waveform discriminators learn slowly: WaveGAN's D has to find pitch and formants in raw samples through strided
convolutions, and on a CPU budget its generator never leaves broadband noise (docs/AUDIO.md). The vocoder GANs that
followed (MelGAN, Kumar et al. 2019; HiFi-GAN, Kong et al. 2020; UnivNet, Jang et al. 2021) add discriminators on
short-time Fourier magnitudes, where speech is an image of harmonics and formants that a 2D CNN reads as readily as
SpecGAN's D. This view gives any audio run such a discriminator through ``extra_discriminators`` (several windows make
UnivNet's multi-resolution set); the generator still makes waveforms, and its gradient comes back through
``torch.stft``.

The image is square, ``view_size`` frequency bins by ``view_size`` frames, so an image discriminator (SpecGAN's DCGAN
D) takes it whatever the clip's length: a periodic Hann window of ``2 * view_size`` samples, ``length / view_size``
samples apart. At 128 that is SpecGAN's paper geometry for 16,384 samples (window 256, hop 128) and its quick
config's for 8,192 (hop 64). Magnitudes are in decibels against a full-scale sine's peak (``window / 4``), floored at
-80 dB (librosa's ``top_db`` default) and mapped to [-1, 1] (``dB / 40 + 1``): fixed, so real and generated clips go
through one map that needs no statistics of the data. The Nyquist bin and the last frame are dropped
(:func:`gan_lightning.data.spectrogram.stft_magnitude`, SpecGAN's own STFT).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from gan_lightning.data.spectrogram import stft_magnitude
from gan_lightning.networks.views import Draw, View, register_view

FLOOR_DB = -80.0
"""The quietest level the image shows, against a full-scale sine; quieter bins are clipped to it."""


@register_view("stft")
class STFTView(View):
    """Waveforms ``(1, L)`` → decibel log-magnitude STFT images ``(1, size, size)`` in [-1, 1]."""

    name = "stft"
    data_kinds = ("audio",)
    element_kind = "spectrogram"

    def __init__(self, data_shape: Sequence[int], size: int = 1) -> None:
        super().__init__(data_shape, size)
        length = self.data_shape[-1]
        if size < 8 or length % size or length // size > size:
            raise ValueError(
                f"view_size={size} is the side of the STFT image: at least 8, dividing the clip's {length} samples, "
                f"and at least their square root (so frames overlap)"
            )
        self.window, self.hop = 2 * size, length // size

    @property
    def shape(self) -> tuple[int, ...]:
        return (1, self.size, self.size)

    def __call__(self, samples: Tensor, draw: Draw) -> Tensor:
        clips = samples.reshape(samples.shape[0], -1).float()  # torch.stft wants float32 under any autocast
        reference = self.window / 4  # a full-scale sine's peak magnitude under a Hann window
        floor = reference * 10 ** (FLOOR_DB / 20)
        magnitude = stft_magnitude(clips, self.window, self.hop)
        decibels = 20 * torch.log10(magnitude.clamp_min(floor) / reference)
        return (decibels / -FLOOR_DB * 2 + 1).unsqueeze(1)
