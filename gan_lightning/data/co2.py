"""Weekly atmospheric CO2 at Mauna Loa (1958-2001, 2,284 weeks, public domain), cut into windows.

The series ships inside statsmodels (``statsmodels.datasets.co2``), so it loads offline. Its 59
missing weeks are filled by linear interpolation in time; every window of ``length`` consecutive
weeks (stride ``stride``) is one training sequence with one feature, in ppm, the way TimeGAN turns its
stock and energy series into samples. TimeGAN's scores see the windows min-max normalized to [0, 1].
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import torch
from torch import Tensor

from gan_lightning.config.options import at_least, positive
from gan_lightning.config.schema import DataConfig, ExperimentConfig
from gan_lightning.data import image_args, register_dataset
from gan_lightning.data.base import DataUnavailableError
from gan_lightning.data.sequences import SequenceDataModule

MISSING_STATSMODELS = "data.name=co2 reads the series shipped in statsmodels; install it: pip install statsmodels"


def co2_series() -> Tensor:
    """The weekly CO2 concentration in ppm, gaps interpolated, float64 ``(2284,)``."""
    if importlib.util.find_spec("statsmodels") is None:
        raise DataUnavailableError(MISSING_STATSMODELS)
    from statsmodels.datasets import co2

    frame = co2.load_pandas().data
    filled = frame["co2"].interpolate(method="time")
    return torch.tensor(filled.to_numpy(), dtype=torch.float64)


def sliding_windows(series: Tensor, length: int, stride: int) -> Tensor:
    """Every ``length``-long window of a 1-D series, ``stride`` apart: ``(N, length, 1)``."""
    if len(series) < length:
        raise ValueError(f"invalid value {length} for config key 'data.sequence_length'; the series has {len(series)}")
    return series.unfold(0, length, stride).unsqueeze(-1)


class CO2DataModule(SequenceDataModule):
    """Windows of the weekly Mauna Loa CO2 series, in ppm."""

    def __init__(self, length: int, stride: int, batch_size: int, seed: int, value_range: tuple[float, float]) -> None:
        super().__init__(batch_size, seed, value_range)
        self.length = length
        self.stride = stride

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (self.length, 1)

    def unavailable(self) -> str | None:
        return None if importlib.util.find_spec("statsmodels") is not None else MISSING_STATSMODELS

    def load_sequences(self) -> Tensor:
        return sliding_windows(co2_series(), self.length, self.stride).float()


@dataclass
class CO2Data(DataConfig):
    """Windows cut from the weekly Mauna Loa CO2 series shipped in statsmodels."""

    sequence_length: int = at_least(24, 2)
    """Time steps per window."""
    window_stride: int = positive(1)
    """Steps between the starts of consecutive windows cut from the series."""


@register_dataset("co2", section=CO2Data)
def _co2(cfg: ExperimentConfig) -> CO2DataModule:
    return CO2DataModule(cfg.data.sequence_length, cfg.data.window_stride, *image_args(cfg))
