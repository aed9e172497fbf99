"""SpecGAN's spectrogram (Donahue et al. 2019): waveform → normalised log-magnitude STFT image, and back by Griffin-Lim.

The forward map is the paper's: a linear-frequency STFT (periodic Hann window of ``window`` samples, ``hop`` samples
apart; 256 and 128 in the paper) → log magnitude → per-frequency-bin mean and standard deviation measured on the
training set → ``(log |X| - mean) / std``, clipped at 3 standard deviations and divided by 3, so images lie in
[-1, 1]. The Nyquist bin and the last frame are dropped so the image is ``(1, window / 2, length / hop)``: 128×128
for 16,384 samples, as in the paper.

The inverse undoes the scaling (a clipped value comes back as the 3σ edge), exponentiates, puts back a silent Nyquist
bin and a silent last frame, and recovers a phase by Griffin-Lim (``iterations`` rounds from zero phase; the paper's
code: 16, default here 32). Both directions run batched on the samples' device with ``torch.stft`` / ``torch.istft``.

The statistics are the only thing learnt from data; :meth:`Spectrogram.state` keeps them, so a checkpoint rebuilds
the transform without the dataset (the ``spectrogram`` kind saves them in the hyperparameters).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

CLIP_STD = 3.0
"""Log magnitudes are clipped at this many per-bin standard deviations (the paper's 3σ) and scaled by it to [-1, 1]."""
LOG_FLOOR = 1e-6
"""Added to magnitudes before the log, so silence has a finite log magnitude (the paper's code)."""
GRIFFIN_LIM_ITERATIONS = 32
"""Griffin-Lim rounds by default (``data.griffin_lim_iterations``). The paper's code runs 16; from zero phase, 16
rounds left a 440 Hz tone at 375 Hz (the frames' 125 Hz rate at 16 kHz, hop 128 shows through), 32 put it within
one 62.5 Hz bin (tests/data/test_spectrogram.py)."""
STATS_BATCH = 256
"""Clips per STFT when measuring the training set's statistics (bounds the memory of a large set)."""


def spectrogram_shape(length: int, window: int, hop: int) -> tuple[int, int, int]:
    """``(1, bins, frames)`` of a clip of ``length`` samples; a one-line ValueError for a geometry that cannot be
    inverted (Griffin-Lim needs overlapping frames) or does not tile the clip."""
    if window < 4 or window % 2:
        raise ValueError(f"invalid value {window} for config key 'data.stft_window'; allowed: an even number >= 4")
    if not 0 < hop <= window // 2 or length % hop:
        raise ValueError(
            f"invalid value {hop} for config key 'data.stft_hop'; it must divide data.audio_length ({length}) and "
            f"be at most half of data.stft_window ({window}) so frames overlap"
        )
    return (1, window // 2, length // hop)


class Spectrogram:
    """The normalised log-magnitude STFT of clips of ``length`` samples, and its Griffin-Lim inverse.

    Args:
        length: samples per clip.
        window, hop: the STFT's window and hop in samples.
        mean, std: per-frequency-bin statistics of the training set's log magnitudes (``window / 2`` each); see
            :meth:`fit`.
        iterations: Griffin-Lim rounds of :meth:`invert`.
    """

    def __init__(
        self,
        length: int,
        window: int,
        hop: int,
        mean: Sequence[float],
        std: Sequence[float],
        iterations: int = GRIFFIN_LIM_ITERATIONS,
    ) -> None:
        self.shape = spectrogram_shape(length, window, hop)
        self.length, self.window, self.hop, self.iterations = length, window, hop, iterations
        self.mean = torch.as_tensor(mean, dtype=torch.float32)
        self.std = torch.as_tensor(std, dtype=torch.float32)
        if self.mean.shape != (window // 2,) or self.std.shape != (window // 2,) or not bool((self.std > 0).all()):
            raise ValueError(f"spectrogram statistics must be {window // 2} means and as many positive deviations")

    @classmethod
    def fit(cls, waveforms: Tensor, length: int, window: int, hop: int, iterations: int = GRIFFIN_LIM_ITERATIONS):
        """The transform whose per-bin statistics are those of ``waveforms`` ``(N, length)`` in [-1, 1] (float64
        sums, so the result does not depend on how the set is batched)."""
        spectrogram_shape(length, window, hop)
        total = torch.zeros(window // 2, dtype=torch.float64)
        squares = torch.zeros(window // 2, dtype=torch.float64)
        count = 0
        for chunk in waveforms.split(STATS_BATCH):
            logs = log_magnitude(chunk.float(), window, hop).double()  # (n, bins, frames)
            total += logs.sum(dim=(0, 2))
            squares += logs.square().sum(dim=(0, 2))
            count += logs.shape[0] * logs.shape[2]
        mean = total / count
        std = (squares / count - mean.square()).clamp_min(1e-12).sqrt()
        return cls(length, window, hop, mean.float(), std.float(), iterations)

    def state(self) -> dict[str, Any]:
        """The constructor's arguments, as plain lists (a checkpoint's hyperparameters)."""
        return {
            "length": self.length,
            "window": self.window,
            "hop": self.hop,
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "iterations": self.iterations,
        }

    def __call__(self, waveforms: Tensor) -> Tensor:
        """Clips ``(N, 1, length)`` (or ``(N, length)``) in [-1, 1] → images ``(N, 1, bins, frames)`` in [-1, 1]."""
        logs = log_magnitude(waveforms.reshape(-1, self.length).float(), self.window, self.hop)
        mean, std = (t.to(logs.device)[:, None] for t in (self.mean, self.std))
        return ((logs - mean) / (std * CLIP_STD)).clamp_(-1.0, 1.0).unsqueeze(1)

    def magnitude(self, images: Tensor) -> Tensor:
        """Images ``(N, 1, bins, frames)`` → STFT magnitudes ``(N, bins + 1, frames + 1)`` (silent Nyquist bin and
        last frame put back)."""
        images = images.reshape(-1, *self.shape[1:]).float().clamp(-1.0, 1.0)
        mean, std = (t.to(images.device)[:, None] for t in (self.mean, self.std))
        magnitude = torch.exp(images * std * CLIP_STD + mean)
        return torch.nn.functional.pad(magnitude, (0, 1, 0, 1))

    def invert(self, images: Tensor) -> Tensor:
        """Images ``(N, 1, bins, frames)`` → clips ``(N, length)`` in [-1, 1] by Griffin-Lim from zero phase."""
        magnitude = self.magnitude(images)
        window = torch.hann_window(self.window, device=magnitude.device)
        phase = torch.ones_like(magnitude, dtype=torch.complex64)
        for _ in range(self.iterations):
            clips = torch.istft(magnitude * phase, self.window, self.hop, window=window, length=self.length)
            rebuilt = torch.stft(clips, self.window, self.hop, window=window, return_complex=True)
            phase = rebuilt / rebuilt.abs().clamp_min(1e-12)
        clips = torch.istft(magnitude * phase, self.window, self.hop, window=window, length=self.length)
        return clips.clamp_(-1.0, 1.0)


def stft_magnitude(clips: Tensor, window: int, hop: int) -> Tensor:
    """``|STFT|`` of clips ``(N, L)`` (periodic Hann window): ``(N, window / 2, L / hop)``, the Nyquist bin and the
    last frame (centred on the clip's end) dropped."""
    spectrum = torch.stft(
        clips, window, hop, window=torch.hann_window(window, device=clips.device), return_complex=True
    )
    return spectrum.abs()[:, :-1, :-1]


def log_magnitude(clips: Tensor, window: int, hop: int) -> Tensor:
    """``log(|STFT| + 1e-6)`` of clips ``(N, L)``: ``(N, window / 2, L / hop)`` (:func:`stft_magnitude`)."""
    return torch.log(stft_magnitude(clips, window, hop) + LOG_FLOOR)
