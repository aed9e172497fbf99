"""The sequence datasets: TimeGAN's sines, the CO2 windows, and the scaling between data units and G's range."""

from __future__ import annotations

import math

import pytest
import torch

from gan_lightning.config.loading import load_config
from gan_lightning.data import build_datamodule
from gan_lightning.data.co2 import CO2DataModule, co2_series, sliding_windows
from gan_lightning.data.sequences import sequences_to_data_units
from gan_lightning.data.sines import SinesDataModule, sine_sequences


def sines(value_range: tuple[float, float] = (0.0, 1.0), **options: object) -> SinesDataModule:
    settings = {"num_samples": 500, "length": 24, "features": 5, "frequency": (0.0, 0.1), "phase": (0.0, 0.1)}
    settings.update(options)
    return SinesDataModule(**settings, batch_size=32, seed=3, value_range=value_range)  # type: ignore[arg-type]


def test_sines_follow_timegans_formula() -> None:
    generator = torch.Generator().manual_seed(0)
    x = sine_sequences(200, 24, 5, (0.0, 0.1), (0.0, 0.1), generator)
    assert x.shape == (200, 24, 5) and x.dtype == torch.float32
    # Each (sequence, feature) is (sin(f t + phase) + 1) / 2: recover f and phase from two steps, check the rest.
    phase = torch.asin(2 * x[:, 0].double() - 1)
    frequency = torch.asin(2 * x[:, 1].double() - 1) - phase
    assert frequency.min() >= 0 and frequency.max() <= 0.1 + 1e-6
    assert phase.min() >= 0 and phase.max() <= 0.1 + 1e-6
    t = torch.arange(24, dtype=torch.float64).view(1, 24, 1)
    rebuilt = (torch.sin(frequency.unsqueeze(1) * t + phase.unsqueeze(1)) + 1) / 2
    torch.testing.assert_close(rebuilt.float(), x, atol=1e-4, rtol=0)


def test_paper_ranges_give_faster_waves_and_the_seed_fixes_the_set() -> None:
    paper = sines(frequency=(0.0, 2 * math.pi), phase=(-math.pi, math.pi))
    slow = sines()
    assert paper.data.diff(dim=1).abs().mean() > 5 * slow.data.diff(dim=1).abs().mean()
    assert torch.equal(sines().data, slow.data)


@pytest.mark.parametrize("value_range", [(0.0, 1.0), (-1.0, 1.0)])
def test_model_space_spans_the_generators_range_and_maps_back(value_range: tuple[float, float]) -> None:
    datamodule = sines(value_range)
    model = datamodule.to_model_space(datamodule.data)
    flat = model.reshape(-1, 5)
    torch.testing.assert_close(flat.amin(0), torch.full((5,), value_range[0]), atol=1e-6, rtol=0)
    torch.testing.assert_close(flat.amax(0), torch.full((5,), value_range[1]), atol=1e-6, rtol=0)
    torch.testing.assert_close(datamodule.to_data_space(model), datamodule.data, atol=1e-6, rtol=0)
    # the module maps generated samples back with the bounds alone (what a checkpoint keeps)
    torch.testing.assert_close(sequences_to_data_units(model, value_range, datamodule.data_bounds), datamodule.data)


def test_sines_are_scored_as_they_are_and_real_series_normalized() -> None:
    datamodule = sines()
    assert torch.equal(datamodule.to_score_space(datamodule.data), datamodule.data)
    windows = CO2DataModule(24, 1, batch_size=32, seed=0, value_range=(0.0, 1.0))
    scored = windows.to_score_space(windows.data)
    assert scored.min() == 0 and scored.max() == 1


def test_co2_windows_come_from_the_series_shipped_in_statsmodels() -> None:
    series = co2_series()
    assert len(series) == 2284 and torch.isfinite(series).all()  # 59 gaps interpolated
    assert 310 < series.min() < 320 and 370 < series.max() < 380  # ppm, 1958-2001
    windows = CO2DataModule(24, 2, batch_size=32, seed=0, value_range=(-1.0, 1.0))
    assert windows.data_shape == (24, 1)
    assert windows.data.shape == ((2284 - 24) // 2 + 1, 24, 1)
    torch.testing.assert_close(windows.data[1, :, 0], series[2:26].float())


def test_sliding_windows_and_too_long_windows() -> None:
    windows = sliding_windows(torch.arange(10.0), 4, 3)
    assert windows[:, :, 0].tolist() == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]
    with pytest.raises(ValueError, match=r"data\.sequence_length"):
        sliding_windows(torch.arange(3.0), 4, 1)


def test_config_builds_the_sines_with_its_keys() -> None:
    config = load_config(
        [],
        ["data.name=sines", "data.num_samples=64", "data.sequence_length=10", "data.features=2",
         "generator.arch=gru", "generator.norm=none", "discriminator.arch=gru"],
    )  # fmt: skip
    datamodule = build_datamodule(config)
    assert isinstance(datamodule, SinesDataModule) and datamodule.data_shape == (10, 2)
    assert datamodule.data.shape == (64, 10, 2)
