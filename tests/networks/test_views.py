"""Discriminator views and several discriminators: what each judges, and how their terms add up."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from helpers import state_of, tiny_config, train

from gan_lightning.config.loading import ConfigError, load_config
from gan_lightning.networks.stft_view import STFTView
from gan_lightning.networks.views import FramesView, View, build_view

REPO = Path(__file__).resolve().parents[2]


def draw_from(generator: torch.Generator) -> Callable[..., torch.Tensor]:
    """The module's ``shared_draw`` on one process, from ``generator``."""
    return lambda sampler, num, *shape: sampler((num, *shape), generator=generator)


def test_frames_view_cuts_distinct_frames_of_each_clip_in_order_of_its_samples() -> None:
    clips = torch.arange(4 * 8, dtype=torch.float32).view(4, 8, 1, 1, 1).expand(4, 8, 1, 2, 2)
    view = build_view("frames", (8, 1, 2, 2), 3)
    assert isinstance(view, FramesView) and view.shape == (1, 2, 2) and view.expansion == 3
    frames = view(clips, draw_from(torch.Generator().manual_seed(0)))
    assert frames.shape == (12, 1, 2, 2)
    index = frames[:, 0, 0, 0].view(4, 3)  # the value is clip * 8 + frame
    assert ((index // 8) == torch.arange(4)[:, None]).all()  # each sample's frames are its own, consecutive
    for row in index % 8:
        assert len(set(row.tolist())) == 3  # distinct frames
    again = view(clips, draw_from(torch.Generator().manual_seed(0)))
    assert torch.equal(frames, again)  # the draw decides which frames: seeded, so DDP ranks agree


def test_frames_view_draws_every_frame_equally_often() -> None:
    view = build_view("frames", (8, 1, 2, 2), 1)
    clips = torch.arange(8, dtype=torch.float32).view(1, 8, 1, 1, 1).expand(4000, 8, 1, 2, 2)
    picked = view(clips, draw_from(torch.Generator().manual_seed(1)))[:, 0, 0, 0]
    counts = torch.bincount(picked.long(), minlength=8).float()
    assert (counts / 4000 - 1 / 8).abs().max() < 0.02  # binomial s.d. 0.005


def test_fold_groups_each_sample_logits_and_repeats_its_condition() -> None:
    view = build_view("frames", (8, 1, 2, 2), 2)
    logits = torch.arange(6.0)
    assert torch.equal(view.fold(logits, 3), torch.tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]))
    classes = torch.tensor([[0.0, 2.0], [2.0, 4.0], [1.0, 1.0], [3.0, 3.0], [0.0, 0.0], [0.0, 6.0]])
    assert torch.equal(view.fold_classes(classes, 3), torch.tensor([[1.0, 3.0], [2.0, 2.0], [0.0, 3.0]]))
    assert torch.equal(view.repeat(torch.tensor([7, 8, 9])), torch.tensor([7, 7, 8, 8, 9, 9]))
    whole = build_view("whole", (2,), 1)
    assert type(whole) is View and torch.equal(whole.fold(logits, 6), logits)


def test_unknown_view_and_too_many_frames_are_one_line_errors() -> None:
    with pytest.raises(ValueError, match="unknown discriminator view 'crops'; registered: whole, frames, stft"):
        build_view("crops", (8, 1, 2, 2), 1)
    with pytest.raises(ValueError, match="view_size=9 frames of a clip of 8; use 1 to 8"):
        build_view("frames", (8, 1, 2, 2), 9)


def test_stft_view_shows_a_full_scale_tone_at_0_db_in_its_bin_and_silence_at_the_floor() -> None:
    """Known cases of the decibel image: a sine of amplitude 1 centred on bin 20 peaks at 0 dB (image 1), one of
    amplitude 1/2 at -6.02 dB (1 - 6.02 / 40), bins far from the tone and silence sit at the -80 dB floor (-1)."""
    view = build_view("stft", (1, 8192), 128)  # window 256, hop 64
    assert isinstance(view, STFTView) and view.shape == (1, 128, 128) and view.expansion == 1
    t = torch.arange(8192, dtype=torch.float64)
    tone = torch.sin(2 * torch.pi * 20 / 256 * t).float()
    clips = torch.stack([tone, tone / 2, torch.zeros(8192)]).unsqueeze(1)
    images = view(clips, draw_from(torch.Generator()))
    assert images.shape == (3, 1, 128, 128)
    inner = images[:, 0, :, 4:-4]  # frames away from the clip's padded ends
    assert torch.allclose(inner[0, 20], torch.ones(120), atol=1e-3)
    assert torch.allclose(inner[1, 20], torch.full((120,), 1 - 20 * math.log10(2) / 40), atol=1e-3)
    assert (inner[0, 45:] < -0.9).all() and (inner[0, :5] < -0.9).all()  # Hann side lobes fall off fast
    assert torch.equal(images[2], torch.full((1, 128, 128), -1.0))


def test_stft_view_passes_the_critic_gradient_back_to_the_waveform() -> None:
    view = build_view("stft", (1, 1024), 32)  # window 64, hop 32
    clips = (0.1 * torch.randn(2, 1, 1024, generator=torch.Generator().manual_seed(0))).requires_grad_()
    assert view(clips, draw_from(torch.Generator())).shape == (2, 1, 32, 32)
    view(clips, draw_from(torch.Generator()))[:, :, 10].sum().backward()  # bin 10 only: a band of frequencies
    assert clips.grad is not None and clips.grad.abs().sum() > 0
    spectrum = torch.fft.rfft(clips.grad[0, 0].double())
    band = spectrum.abs()[len(spectrum) * 7 // 32 : len(spectrum) * 13 // 32].square().sum()  # Hann: +-2 bins
    assert band / spectrum.abs().square().sum() > 0.9  # the gradient is the band that bin measures


@pytest.mark.parametrize("size", [4, 16, 250, 96])
def test_stft_view_sizes_it_cannot_cut_are_one_line(size: int) -> None:
    with pytest.raises(ValueError, match=f"view_size={size} is the side of the STFT image") as error:
        build_view("stft", (1, 1024), size)
    assert "\n" not in str(error.value)


def _metric_rows(run_dir: Path) -> list[dict[str, str]]:
    with open(run_dir / "metrics.csv", newline="") as stream:
        return list(csv.DictReader(stream))


def test_an_extra_discriminator_of_weight_zero_changes_nothing_the_generator_learns(tmp_path: Path) -> None:
    """The control of the mechanism: a second critic (whole view, so it draws nothing) whose term counts 0 times
    leaves G's weights exactly those of the run without it, while its own terms are computed and logged."""
    alone = train(tiny_config(tmp_path / "alone"))
    extra = {"extra_discriminators": "{second: {arch: mlp, width: 8, weight: 0.0}}"}
    paired = train(tiny_config(tmp_path / "paired", **extra))
    one, two = state_of(alone), state_of(paired)
    for key in one:
        if key.startswith(("generator.", "ema_generator.", "discriminator.")):
            assert torch.equal(one[key], two[key]), key
    assert any(key.startswith("extra_discriminators.second.") for key in two)
    rows = [row for row in _metric_rows(paired) if row.get("train/d_loss_second")]
    assert rows and all(float(row["train/g_loss_second"]) != 0 for row in rows)


def test_two_discriminators_add_their_weighted_terms(tmp_path: Path) -> None:
    """The logged losses are the weighted sums of each critic's terms: with the first weighted 0 and the second 2,
    exactly twice the second critic's own terms."""
    extra = {
        "discriminator.weight": 0.0,
        "extra_discriminators": "{second: {arch: mlp, width: 8, weight: 2.0}}",
        "train.log_every": 1,
    }
    rows = [row for row in _metric_rows(train(tiny_config(tmp_path, **extra))) if row.get("train/d_loss")]
    assert len(rows) == 6
    for row in rows:
        assert float(row["train/d_loss"]) == pytest.approx(2 * float(row["train/d_loss_second"]), rel=1e-6)
        assert float(row["train/d_real"]) != 0  # D's outputs are logged as they are, not weighted like its loss
        assert float(row["train/g_loss"]) == pytest.approx(2 * float(row["train/g_loss_second"]), rel=1e-6)


def _load(*overrides: str) -> None:
    load_config([REPO / "configs" / "video_moving_mnist_quick.yaml"], list(overrides))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["extra_discriminators.frames.view_size=9"], "extra_discriminators.frames.view_size=9 frames of a clip of 8"),
        (["extra_discriminators.frames.arch=video3d"], "extra_discriminators.frames.view=frames shows image data"),
        (["discriminator.arch=dcgan"], "data.name=moving_mnist is video data (T, C, H, W); discriminator.arch=dcgan"),
        (["extra_discriminators.frames.view_size=3", "extra_discriminators.frames.pack=2", "train.batch_size=32"],
         "extra_discriminators.frames.pack=2 must divide the 3 elements"),
        (["extra_discriminators.frames.weight=-1"],
         "invalid value -1.0 for config key 'extra_discriminators.frames.weight'"),
    ],
)  # fmt: skip
def test_discriminator_views_are_checked_before_anything_runs(overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match="^" + message.replace("(", r"\(").replace(")", r"\)")) as error:
        _load(*overrides)
    assert "\n" not in str(error.value)


def test_a_view_of_another_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"discriminator\.view=frames cuts video data; data\.name=toy_ring is 2-D"):
        tiny_config(tmp_path, **{"discriminator.view": "frames"})
