"""The video metrics against controls whose answer is known: two real sets of held-out-digit clips are the floor,
real clips shuffled in time keep their frames (frame_fd stays at the floor) but not their motion (clip_fd rises),
noise and an untrained generator are the ceiling, a clip that repeats its first frame is frozen, clips whose frames
show different digits are inconsistent; the centre-of-mass displacement is checked by hand, every value of tiny
clips scored by instruments whose readings are known is worked out by hand, a metric the generator makes constant is
neither scored nor followed by best.ckpt, and the clip evaluator's cache is checked by its key and contents.

The controls on the clip evaluator need it trained with its real recipe (about two minutes on 2 CPU cores): they share
one session fixture and run in the slow tier.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from helpers import REPO, script, tiny_config, train
from torch import Tensor, nn

from gan_lightning.config.loading import ConfigError, load_config
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data.base import GANDataModule
from gan_lightning.data.moving_mnist import MovingMNISTDataModule
from gan_lightning.metrics.classifier import load_classifier
from gan_lightning.metrics.clip_evaluator import (
    BuiltClipEvaluator,
    BuiltEvaluator,
    ClipEvaluatorRecipe,
    clip_evaluator_for,
    evaluator_identity,
)
from gan_lightning.metrics.measured import MeasuredQuality, ReferenceSet
from gan_lightning.metrics.suite import (
    METRICS,
    Metric,
    MetricError,
    best_monitor,
    build_suites,
    fixed_metrics,
    register_metric,
)
from gan_lightning.metrics.trained import identity_key
from gan_lightning.metrics.video_quality import (
    FROZEN_FRACTION,
    MEASURES,
    VideoInstruments,
    VideoSuite,
    centres_of_mass,
    consistent_share,
    digit_centres,
    digit_views,
    displacements,
    frame_changes,
)
from gan_lightning.training import prepare_data

CPU = torch.device("cpu")
QUICKSTART = REPO / "configs" / "quickstart.yaml"
SPRITE = REPO / "configs" / "video_moving_mnist_quick.yaml"
"""MoCoGAN moving a 16-px sprite by whole pixels: every frame shows the same content by construction."""
VIDEO = ["data.name=moving_mnist", "data.resolution=32", "generator.arch=mlp", "discriminator.arch=mlp"]
"""A moving-MNIST run on the networks that take any kind of data (the video networks are not needed here)."""
TINY_RECIPE = ClipEvaluatorRecipe(train_clips=16, test_clips=8, epochs=1, batch_size=8)


@pytest.fixture(scope="module")
def moving_mnist() -> MovingMNISTDataModule:
    return MovingMNISTDataModule(16, 0, (-1.0, 1.0))


def held_out(data: MovingMNISTDataModule, num: int, seed: int) -> torch.Tensor:
    """``num`` clips of held-out digits in [0, 1]."""
    return data.render("test", num, seed)[0].float() / 255


def repeat_first_frame(clips: torch.Tensor) -> torch.Tensor:
    return clips[:, :1].expand_as(clips).clone()


def shuffle_in_time(clips: torch.Tensor, seed: int) -> torch.Tensor:
    """Each clip's frames in a random order (``torch.randperm`` per clip)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.stack([clip[torch.randperm(len(clip), generator=generator)] for clip in clips])


def mixed_digits(clips: torch.Tensor) -> torch.Tensor:
    """Clip ``i``'s frame ``t`` is frame ``t`` of clip ``i + t``: each frame from another clip (another digit)."""
    count, frames = clips.shape[:2]
    return torch.stack([clips[(torch.arange(count) + t) % count, t] for t in range(frames)], dim=1)


def no_evaluator() -> BuiltEvaluator:
    raise AssertionError("this metric must not build the clip evaluator")


def quality(
    names: list[str], stored: torch.Tensor, instruments: VideoInstruments, batch_size: int = 200
) -> MeasuredQuality:
    """The video suite's evaluator of ``names`` against the ``uint8`` clips ``stored``."""
    real = ReferenceSet(lambda: stored, lambda clips: clips.float() / 255)
    return MeasuredQuality(
        names, MEASURES, {"real": real}, instruments, ("video metrics", "clips"), batch_size=batch_size
    )


def scorer(names: list[str], real: torch.Tensor, evaluator: BuiltEvaluator | None = None) -> MeasuredQuality:
    instruments = VideoInstruments(load_classifier, (lambda: evaluator) if evaluator else no_evaluator, 16)
    return quality(names, real.mul(255).round().byte(), instruments, batch_size=100)


def score(quality: MeasuredQuality, clips: torch.Tensor) -> dict[str, float]:
    return quality.evaluate(lambda i: clips[i.start : i.stop], len(clips), CPU)


# ---------------------------------------------------------------------- by hand
def test_centre_of_mass_displacement_and_frame_change_by_hand() -> None:
    clip = torch.zeros(1, 3, 1, 4, 4)
    clip[0, 0, 0, 0, 0] = 1.0  # centre (0, 0)
    clip[0, 1, 0, 0, 3], clip[0, 1, 0, 2, 3] = 1.0, 3.0  # rows 0 and 2 weighted 1:3 -> (1.5, 3)
    # frame 2 is black: placed at the frame's centre (1.5, 1.5)
    assert centres_of_mass(clip)[0].tolist() == [[0.0, 0.0], [1.5, 3.0], [1.5, 1.5]]
    assert displacements(clip)[0].tolist() == pytest.approx([math.hypot(1.5, 3.0), 1.5])
    # |frame 1 - frame 0| sums to 1 + 1 + 3 over 16 pixels, |frame 2 - frame 1| to 1 + 3
    assert frame_changes(clip).tolist() == pytest.approx([(5 / 16 + 4 / 16) / 2])


def test_the_digit_view_centres_a_frame_on_its_centre_of_mass() -> None:
    frame = torch.zeros(1, 1, 32, 32)
    frame[0, 0, 2:4, 4:6] = 1.0  # a 2x2 blob centred at (2.5, 4.5), near a corner
    view = digit_views(frame, window=16)
    assert view.shape == (1, 1, 28, 28)
    # the 16-px window around (2.5, 4.5) spans the 28-px view: the blob lands in its middle
    assert centres_of_mass(view[:, None])[0, 0].tolist() == pytest.approx([13.5, 13.5], abs=1e-4)
    assert torch.equal(digit_views(frame, window=None), frame)


def test_two_digits_get_a_window_each_centred_on_its_own_blob() -> None:
    """Two blobs of a 64-px frame, by hand: a 4x4 one centred at (9.5, 49.5) and a 2x6 one at (50.5, 12.5), the
    second twice as bright; each window (28 px of the frame) holds its blob in the middle of its 28-px view. One
    digit's view centres on the centre of mass of both, between them."""
    frame = torch.zeros(1, 1, 64, 64)
    frame[0, 0, 8:12, 48:52] = 0.5
    frame[0, 0, 50:52, 10:16] = 1.0
    centres = digit_centres(frame, 2)[0]
    assert sorted(centres.tolist()) == [pytest.approx([9.5, 49.5], abs=1e-4), pytest.approx([50.5, 12.5], abs=1e-4)]
    views = digit_views(frame, window=28, digits=2)
    assert views.shape == (2, 1, 28, 28)
    for view in views:
        assert centres_of_mass(view[None, None])[0, 0].tolist() == pytest.approx([13.5, 13.5], abs=1e-4)
    # one window: the mass-weighted mean of the two blob centres (mass 8 and 12)
    mean = (8 * torch.tensor([9.5, 49.5]) + 12 * torch.tensor([50.5, 12.5])) / 20
    assert digit_centres(frame, 1)[0, 0].tolist() == pytest.approx(mean.tolist(), abs=1e-4)


def test_a_clip_is_consistent_when_every_frame_names_the_same_digits() -> None:
    """Pairs compare as sorted pairs (which window a digit fell in does not matter); one frame off breaks a clip."""
    pairs = torch.tensor([[[3, 7], [3, 7], [3, 7]], [[3, 7], [3, 7], [3, 8]], [[1, 1], [1, 1], [1, 1]]])
    assert consistent_share(pairs) == pytest.approx(2 / 3)
    assert consistent_share(torch.tensor([[4, 4, 4], [4, 9, 4]])) == 0.5  # one digit: (N, T)


def test_two_digit_clips_are_read_a_digit_at_a_time(moving_mnist: MovingMNISTDataModule) -> None:
    """Real 64-px clips of two digits (Srivastava's setting): each frame's two windows name the clip's two digits
    most of the time; against another clip's digits (the control) they almost never do."""
    data = MovingMNISTDataModule(16, 0, (-1.0, 1.0), resolution=64, frames=4, digit_size=28, digits_per_clip=2)
    assert data.digits_per_frame == 2 and moving_mnist.digits_per_frame == 1
    clips, labels = data.render("test", 200, 3)
    classifier = load_classifier()
    with torch.no_grad():
        _, logits = classifier(digit_views(clips.float().flatten(0, 1) / 255, data.digit_window, 2))
    named = logits.argmax(dim=1).view(200, 4, 2).sort(dim=-1).values
    pairs = labels.sort(dim=-1).values[:, None]
    assert (named == pairs).all(dim=-1).float().mean() > 0.6  # 0.70 on 500 clips of 16 frames (seed 3)
    assert (named == pairs.roll(1, dims=0)).all(dim=-1).float().mean() < 0.1


# ---------------------------------------------------------------------- every value of tiny clips, by hand
class HalvesClassifier(nn.Module):
    """A stand-in for the MNIST classifier whose readings are known: a frame's one feature is its total intensity,
    and its class is the half (0 left, 1 right) holding more of it (ties: left)."""

    def forward(self, views: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        half = views.shape[-1] // 2
        left, right = views[..., :half].sum(dim=(1, 2, 3)), views[..., half:].sum(dim=(1, 2, 3))
        return views.sum(dim=(1, 2, 3))[:, None], torch.stack((left, right), dim=1)


class BrightestPixel(nn.Module):
    """A stand-in for the clip evaluator: a clip's one feature is its brightest pixel."""

    def forward(self, clips: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return clips.flatten(1).amax(dim=1, keepdim=True), torch.zeros(len(clips), 2), torch.zeros(len(clips), 10)


def dot_clip(value: float, path: list[tuple[int, int]]) -> torch.Tensor:
    """A 4x4 clip ``(T, 1, 4, 4)`` of one pixel of ``value`` at (row, column) ``path[t]`` in frame t."""
    clip = torch.zeros(len(path), 1, 4, 4)
    for frame, (row, column) in enumerate(path):
        clip[frame, 0, row, column] = value
    return clip


def test_every_video_value_of_tiny_clips_by_hand() -> None:
    """Two real clips: a dot of 1 walking (0,0) (0,1) (1,1), a dot of 0.4 walking (3,3) (2,3) (2,2): one pixel a
    frame, each in one half. Two generated: a dot of 0.8 jumping (0,0) (0,3) (0,0), 3 px a frame, left, right, left;
    a dot of 0.2 standing at (1,1). By hand:

    * frame_fd: frame intensities 1 1 1 0.4 0.4 0.4 against 0.8 0.8 0.8 0.2 0.2 0.2, the same spread 0.2 lower:
      0.2 ** 2 = 0.04; clip_fd on brightest pixels 1, 0.4 against 0.8, 0.2 likewise 0.04;
    * content_consistency: the jumping dot changes halves, the standing one does not: 1/2; the real clips 1;
    * motion: displacements 1 1 1 1 against 3 3 0 0: ratio 1.5 / 1 and W1 (2 + 2 + 1 + 1) / 4 = 1.5; the real clips
      change 2 / 16 and 0.8 / 16 a pixel a frame (median 0.05, torch's lower middle value), the standing dot 0,
      below a tenth of it, the jumping one 1.6 / 16 = 0.1: frozen 1/2.
    """
    real = torch.stack([dot_clip(1.0, [(0, 0), (0, 1), (1, 1)]), dot_clip(0.4, [(3, 3), (2, 3), (2, 2)])])
    generated = torch.stack([dot_clip(0.8, [(0, 0), (0, 3), (0, 0)]), dot_clip(0.2, [(1, 1)] * 3)])
    accuracies = {"order_accuracy": 1.0, "digit_accuracy": 1.0}
    evaluator = BuiltClipEvaluator(BrightestPixel(), accuracies, 0.0, Path("stand-in.pt"), "trained")  # type: ignore[arg-type]
    instruments = VideoInstruments(HalvesClassifier, lambda: evaluator, None)  # type: ignore[arg-type]
    names = ["frame_fd", "clip_fd", "content_consistency", "motion"]
    values = score(quality(names, real.mul(255).round().byte(), instruments), generated)
    assert FROZEN_FRACTION == 0.1
    expected = {"frame_fd": 0.04, "clip_fd": 0.04, "content_consistency": 0.5, "content_consistency_real": 1.0,
                "motion_ratio": 1.5, "motion_w1": 1.5, "frozen": 0.5}  # fmt: skip
    assert values == pytest.approx(expected, abs=1e-5)


# ---------------------------------------------------------------------- a metric the generator fixes
def test_the_generator_says_which_metrics_it_fixes() -> None:
    """The quick MoCoGAN config moves one sprite by whole pixels: content_consistency cannot change, and the reason
    names the config keys. Without whole pixels, with the 3D-conv generator or the paper's motion, nothing is fixed."""
    names = ["frame_fd", "clip_fd", "content_consistency", "motion"]
    fixed = fixed_metrics(names, load_config([SPRITE]))
    assert list(fixed) == ["content_consistency"]
    assert "generator.sprite with generator.whole_pixels" in fixed["content_consistency"]
    assert "\n" not in fixed["content_consistency"]
    for config in (
        load_config([SPRITE], ["generator.whole_pixels=false"]),
        load_config([REPO / "configs" / "video3d_moving_mnist_quick.yaml"]),
        load_config([REPO / "configs" / "video_moving_mnist.yaml"]),
    ):
        assert fixed_metrics(names, config) == {}, config.name


def sprite_data(tmp_path: Path, *extra: str) -> tuple[ExperimentConfig, GANDataModule]:
    """The sprite config on 16 clips, and its data."""
    config = load_config([SPRITE], [f"run.root={tmp_path}", "data.num_samples=16", *extra])
    return config, prepare_data(config)


def test_a_fixed_metric_is_not_scored_and_best_ckpt_refuses_to_follow_it(tmp_path: Path) -> None:
    """The suites of the sprite config leave content_consistency out, and best.ckpt will not follow it (one line
    naming the config keys); listed after another metric it is simply not scored."""
    config, data = sprite_data(tmp_path)
    names = ["frame_fd", "content_consistency", "motion"]
    (suite,) = build_suites(names, config, data, tmp_path)
    assert suite.names == ["frame_fd", "motion"]
    with pytest.raises(MetricError) as info:
        best_monitor(["content_consistency", "frame_fd"], config)
    message = str(info.value)
    assert "'content_consistency' cannot change in this run (generator.sprite with generator.whole_pixels" in message
    assert message.endswith("list another metric first or set metrics.keep_best=false") and "\n" not in message
    assert best_monitor(["frame_fd", "content_consistency"], config) == ("val/frame_fd", "min")
    # the control: the same run without whole pixels scores it and may follow it
    free, _ = sprite_data(tmp_path, "generator.whole_pixels=false")
    (suite,) = build_suites(names, free, data, tmp_path)
    assert suite.names == names
    assert best_monitor(["content_consistency"], free) == ("val/content_consistency", "max")


def test_a_run_listing_a_fixed_metric_first_with_keep_best_stops_before_training(tmp_path: Path) -> None:
    """A one-line ConfigError, and no run directory written."""
    listed = {"metrics.names": "[content_consistency,motion]", "metrics.every": 3,
              "extra_discriminators.frames.width": 8}  # fmt: skip
    with pytest.raises(ConfigError, match=r"'content_consistency' cannot change in this run"):
        train(tiny_config(tmp_path, "video_moving_mnist_quick", **listed))
    assert not (tmp_path / "video_moving_mnist_quick").exists()


def test_a_sprite_run_neither_logs_nor_reports_the_metric_it_fixes(tmp_path: Path) -> None:
    """Listed second, content_consistency is not logged while training and not scored by evaluate.py, whose JSON says
    why; frame_fd beside it is logged, and best.ckpt follows it."""
    listed = {"metrics.names": "[frame_fd,content_consistency]", "metrics.every": 3,
              "extra_discriminators.frames.width": 8}  # fmt: skip
    run_dir = train(tiny_config(tmp_path, "video_moving_mnist_quick", **listed))
    logged = next(csv.reader((run_dir / "metrics.csv").open()))
    assert "val/frame_fd" in logged and not [key for key in logged if "content_consistency" in key]
    assert (run_dir / "checkpoints" / "best.ckpt").is_file()
    report = tmp_path / "evaluation.json"
    checkpoint = str(run_dir / "checkpoints" / "last.ckpt")
    arguments = ["--json", str(report), "--device", "cpu", "--metrics", "content_consistency,motion"]
    assert script("evaluate").main(["--ckpt", checkpoint, *arguments]) == 0
    result = json.loads(report.read_text())
    assert set(result["metrics"]) == {"motion_ratio", "motion_w1", "frozen"}
    assert "generator.sprite with generator.whole_pixels" in result["not_scored"]["content_consistency"]


# ---------------------------------------------------------------------- controls without the clip evaluator
@pytest.fixture(scope="module")
def frame_controls(moving_mnist: MovingMNISTDataModule) -> dict[str, dict[str, float]]:
    """frame_fd, content_consistency and motion of 80 held-out-digit clips against 80 others (the floor) and
    against the controls made of them."""
    real, other = held_out(moving_mnist, 80, 1), held_out(moving_mnist, 80, 2)
    quality = scorer(["frame_fd", "content_consistency", "motion"], real)
    cases = {
        "floor": other,
        "shuffled": shuffle_in_time(other, seed=3),
        "frozen": repeat_first_frame(other),
        "mixed": mixed_digits(other),
        "noise": torch.rand(80, *real.shape[1:], generator=torch.Generator().manual_seed(4)),
    }
    scores = {name: score(quality, clips) for name, clips in cases.items()}
    scores["real"] = {"mean_displacement": float(quality.reference_measures(CPU)["real"]["displacement"].mean())}
    return scores


def test_motion_of_real_clips_against_frozen_ones(frame_controls: dict[str, dict[str, float]]) -> None:
    floor, frozen = frame_controls["floor"], frame_controls["frozen"]
    assert floor["motion_ratio"] == pytest.approx(1.0, abs=0.1)
    assert floor["motion_w1"] < 0.2  # pixels per frame; the real clips move 1 to 3
    assert floor["frozen"] < 0.1
    assert frozen["frozen"] == 1.0 and frozen["motion_ratio"] == 0.0
    # every displacement of a frozen clip is 0: the earth mover moves all the real mass to 0
    assert frozen["motion_w1"] == pytest.approx(frame_controls["real"]["mean_displacement"])
    assert frame_controls["shuffled"]["motion_ratio"] > 2  # shuffled frames jump


def test_frame_fd_and_content_consistency(frame_controls: dict[str, dict[str, float]]) -> None:
    floor, shuffled, mixed = frame_controls["floor"], frame_controls["shuffled"], frame_controls["mixed"]
    assert floor["content_consistency"] >= 0.9 and floor["content_consistency_real"] >= 0.9
    assert shuffled["frame_fd"] < 2 * floor["frame_fd"] + 1e-3  # the same frames in another order
    assert shuffled["content_consistency"] == floor["content_consistency"]
    assert mixed["content_consistency"] < 0.2  # each frame another clip's digit
    assert mixed["content_consistency_real"] == floor["content_consistency_real"]
    assert frame_controls["noise"]["frame_fd"] > 5 * floor["frame_fd"]


# ---------------------------------------------------------------------- the registry and the config
@pytest.fixture
def brightness_gap() -> Iterator[str]:
    """A metric on an existing measure, registered by the test: the gap between the real and generated clips' mean
    frame-to-frame change."""

    def gap(sets: dict[str, dict[str, torch.Tensor]], scoring: object) -> float:
        return float((sets["real"]["frame_change"].mean() - sets["generated"]["frame_change"].mean()).abs())

    register_metric("toy_change_gap")(
        Metric(VideoSuite, gap, ("toy_change_gap", "min"), ("toy_change_gap",), ("video",), needs=("motion", "real"))
    )
    yield "toy_change_gap"
    del METRICS["toy_change_gap"]


def test_a_registered_video_metric_is_validated_computed_and_followed(brightness_gap: str) -> None:
    config = load_config([QUICKSTART], [*VIDEO, f"metrics.names=[{brightness_gap},clip_fd,motion]"])
    assert list(config.metrics.names) == [brightness_gap, "clip_fd", "motion"]
    assert best_monitor(config.metrics.names, config) == ("val/toy_change_gap", "min")
    assert best_monitor(["clip_fd"], config) == ("val/clip_fd", "min")
    assert best_monitor(["motion"], config) == ("val/motion_w1", "min")
    assert best_monitor(["content_consistency"], config) == ("val/content_consistency", "max")
    with pytest.raises(ConfigError, match="fid cannot score unconditional video data"):
        load_config([QUICKSTART], [*VIDEO, "metrics.names=[fid]"])
    with pytest.raises(ConfigError, match="clip_fd cannot score unconditional image data"):
        load_config([QUICKSTART], ["metrics.names=[clip_fd]"])

    still = torch.zeros(2, 3, 1, 4, 4)
    moving = still.clone()
    moving[:, 1] = 1.0  # changes of 1 and 1 per pixel: a mean change of 1
    values = score(
        quality([brightness_gap], still.byte(), VideoInstruments(load_classifier, no_evaluator, None)), moving
    )
    assert values == {brightness_gap: 1.0}


# ---------------------------------------------------------------------- the clip evaluator's cache
def cache_files(folder: Path) -> dict[str, tuple[int, bytes]]:
    """The files in ``folder`` (temporary ones included): their modification times and bytes."""
    return {path.name: (path.stat().st_mtime_ns, path.read_bytes()) for path in folder.iterdir()}


def test_the_clip_evaluator_is_cached_under_a_key_of_what_made_it(
    moving_mnist: MovingMNISTDataModule, tmp_path: Path
) -> None:
    small = MovingMNISTDataModule(16, 0, (-1.0, 1.0), frames=4)
    options = small.clip_options()
    built = clip_evaluator_for(small, options, tmp_path, TINY_RECIPE)
    assert built.origin == "trained" and built.path.is_file() and built.path.with_suffix(".json").is_file()
    key = identity_key(evaluator_identity(options, TINY_RECIPE))
    assert built.path == tmp_path / "clip_evaluator" / f"{key}.pt"
    written = cache_files(tmp_path / "clip_evaluator")
    again = clip_evaluator_for(small, options, tmp_path, TINY_RECIPE)
    assert again.origin == "cache" and again.from_cache and again.path == built.path
    assert (again.order_accuracy, again.digit_accuracy) == (built.order_accuracy, built.digit_accuracy)
    clips = small.render("test", 4, 9)[0].float() / 255
    assert torch.equal(again.model(clips)[0], built.model(clips)[0])
    assert sorted(written) == sorted([built.path.name, built.path.with_suffix(".json").name])  # no partial file left
    assert cache_files(tmp_path / "clip_evaluator") == written  # a hit writes nothing

    for changed in (
        {**options, "digit_size": 12},
        {**options, "speed": [1.0, 2.0]},
        {**options, "digit_source": "torchvision"},
    ):
        assert identity_key(evaluator_identity(changed, TINY_RECIPE)) != key
    assert identity_key(evaluator_identity(dict(reversed(options.items())), TINY_RECIPE)) == key
    epochs = ClipEvaluatorRecipe(**{**TINY_RECIPE.__dict__, "epochs": 2})
    assert identity_key(evaluator_identity(options, epochs)) != key
    retrained = clip_evaluator_for(small, options, tmp_path, TINY_RECIPE, rebuild=True)
    assert retrained.origin == "trained" and retrained.path == built.path
    assert torch.equal(retrained.model(clips)[0], built.model(clips)[0])  # seeded: the same weights again


def test_build_evaluator_refuses_a_kind_scored_without_a_learnt_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert script("build_evaluator").main(["--config", str(QUICKSTART)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "image data (C, H, W) is scored with no evaluator learnt from its own data; nothing to build" in error


# ---------------------------------------------------------------------- controls with the clip evaluator (slow)
@pytest.fixture(scope="session")
def video_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("video_metrics")


@pytest.fixture(scope="session")
def clip_evaluator(video_cache: Path) -> BuiltEvaluator:
    """The evaluator of 16-frame 32-px one-digit clips, trained with the default recipe into the session's cache."""
    data = MovingMNISTDataModule(16, 0, (-1.0, 1.0))
    return clip_evaluator_for(data, data.clip_options(), video_cache)


@pytest.fixture(scope="session")
def controls(clip_evaluator: BuiltEvaluator) -> dict[str, dict[str, float]]:
    """frame_fd and clip_fd of 500 held-out-digit clips against 500 others (the floor) and against the controls."""
    data = MovingMNISTDataModule(16, 0, (-1.0, 1.0))
    real, other = held_out(data, 500, 1), held_out(data, 500, 2)
    quality = scorer(["frame_fd", "clip_fd"], real, clip_evaluator)
    cases = {
        "floor": other,
        "shuffled": shuffle_in_time(other, seed=3),
        "frozen": repeat_first_frame(other),
        "noise": torch.rand(500, *real.shape[1:], generator=torch.Generator().manual_seed(4)),
    }
    return {name: score(quality, clips) for name, clips in cases.items()}


@pytest.mark.slow
def test_the_clip_evaluator_tells_order_and_digits_on_held_out_clips(clip_evaluator: BuiltEvaluator) -> None:
    assert clip_evaluator.order_accuracy >= 0.95
    assert clip_evaluator.digit_accuracy >= 0.7


@pytest.mark.slow
def test_clip_fd_sees_the_time_order_frame_fd_cannot(controls: dict[str, dict[str, float]]) -> None:
    floor, shuffled, frozen = controls["floor"], controls["shuffled"], controls["frozen"]
    assert shuffled["frame_fd"] < 2 * floor["frame_fd"] + 1e-3
    assert shuffled["clip_fd"] >= 5 * floor["clip_fd"]
    assert frozen["clip_fd"] >= 3 * floor["clip_fd"]  # a standing digit: not trained on, still far from real


@pytest.mark.slow
def test_noise_is_the_ceiling(controls: dict[str, dict[str, float]]) -> None:
    floor, noise = controls["floor"], controls["noise"]
    for name in ("frame_fd", "clip_fd"):
        assert noise[name] > 20 * floor[name], name


@pytest.mark.slow  # a moving-MNIST run with the video metrics, then evaluate.py on its checkpoint (about 40 s)
def test_a_video_run_logs_the_metrics_and_evaluate_gives_the_same(
    tmp_path: Path, video_cache: Path, clip_evaluator: BuiltEvaluator
) -> None:
    names = ["clip_fd", "frame_fd", "content_consistency", "motion"]
    extra = {"data.name": "moving_mnist", "data.resolution": 32, "generator.arch": "mlp", "discriminator.arch": "mlp",
             "metrics.names": f"[{','.join(names)}]", "metrics.every": 3, "metrics.real_split": "test",
             "metrics.cache_dir": str(video_cache), "data.num_samples": 128, "metrics.num_real": 128,
             "metrics.num_generated": 128}  # fmt: skip
    run_dir = train(tiny_config(tmp_path, "quickstart", **extra))
    rows = [row for row in csv.DictReader((run_dir / "metrics.csv").open()) if row.get("val/clip_fd")]
    assert [row["step"] for row in rows] == ["3", "6"]
    logged = {
        key.removeprefix("val/"): float(value) for key, value in rows[-1].items() if key.startswith("val/") and value
    }
    assert (run_dir / "checkpoints" / "best.ckpt").is_file()

    report = tmp_path / "evaluation.json"
    checkpoint = str(run_dir / "checkpoints" / "last.ckpt")
    assert script("evaluate").main(["--ckpt", checkpoint, "--json", str(report), "--device", "cpu"]) == 0
    result = json.loads(report.read_text())
    assert result["metrics"] == pytest.approx(logged, rel=1e-5)
    assert set(result["metrics"]) == {v for name in names for v in METRICS[name].values}
    assert result["num_real"] == 128 and result["real_split"] == "test"
    assert result["clip_evaluator_from_cache"] is True
    assert result["clip_evaluator_order_accuracy"] == clip_evaluator.order_accuracy

    # six steps leave the generator untrained: its clips are the ceiling, far from real clips by both distances
    data = MovingMNISTDataModule(16, 0, (-1.0, 1.0), num_clips=128)
    suite = VideoSuite.build(names, load_config([run_dir / "config.yaml"]), data, tmp_path)
    floor = score(suite.quality, held_out(data, 128, 5))  # type: ignore[attr-defined]
    for name in ("frame_fd", "clip_fd"):
        assert result["metrics"][name] > 10 * floor[name], name


@pytest.mark.slow
def test_build_clip_evaluator_loads_the_cached_one(
    video_cache: Path, clip_evaluator: BuiltEvaluator, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["--config", str(QUICKSTART), *VIDEO, "metrics.names=[clip_fd]", f"metrics.cache_dir={video_cache}"]
    assert script("build_evaluator").main(arguments) == 0
    printed = capsys.readouterr().out
    assert f"clip evaluator loaded from {clip_evaluator.path}" in printed
    assert f"digit accuracy {clip_evaluator.digit_accuracy:.3f}" in printed


class NoRendering:
    """A clip source that fails if asked for clips: an evaluator served from a file never trains."""

    def render(self, split: str, count: int, seed: int) -> tuple[Tensor, Tensor]:
        raise AssertionError("the shipped evaluator was trained again")


def test_the_quick_configs_clip_evaluator_is_shipped_and_served_before_training(tmp_path: Path) -> None:
    """The quick config's clip options and the default recipe name a shipped file (its ``.json`` describes exactly that
    identity), and the evaluator is read from it with nothing rendered or cached; other clip options are not served by
    it (the control: their key names no shipped file)."""
    from gan_lightning.data import build_datamodule
    from gan_lightning.metrics.clip_evaluator import SHIPPED, ClipEvaluatorRecipe, evaluator_identity

    config = load_config([REPO / "configs" / "video_moving_mnist_quick.yaml"])
    options = build_datamodule(config).clip_options()  # type: ignore[attr-defined]
    identity = evaluator_identity(options, ClipEvaluatorRecipe())
    described = json.loads((SHIPPED / f"{identity_key(identity)}.json").read_text())
    assert {k: v for k, v in described.items() if k in identity} == json.loads(json.dumps(identity))
    assert described["order_accuracy"] > 0.9 and described["digit_accuracy"] > 0.9
    built = clip_evaluator_for(NoRendering(), options, tmp_path)  # type: ignore[arg-type]
    assert built.origin == "shipped" and built.path.parent == SHIPPED and not any(tmp_path.iterdir())
    other = evaluator_identity({**options, "frames": 4}, ClipEvaluatorRecipe())
    assert not (SHIPPED / f"{identity_key(other)}.pt").exists()
