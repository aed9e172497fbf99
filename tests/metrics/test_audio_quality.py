"""The audio metrics against cases whose answer is known, on a classifier trained here on ten pure tones.

Ten classes of sine tones (each its own pitch, at a random time, length, gain and level of noise) are what a
spoken-word classifier sees at its simplest: a known, separable case, quick to train. On them: the real clips' own
Inception score is near its ceiling (the number of classes), noise and silence score 1 to 2 and lie far in Fréchet
distance, labels shuffled leave the Inception score as it was but drop class accuracy to chance; |D| and class
coverage are checked on cases computed by hand, the Inception score on one-hot predictions, and the classifier's cache
by its key and contents, and the shipped classifier by the clips' digest: it serves the same clips, and other clips of
the same settings are told in one line why it does not.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
from helpers import REPO, TINY, only_run, script

from gan_lightning.config.loading import load_config
from gan_lightning.metrics.audio_classifier import (
    AudioClassifierRecipe,
    BuiltAudioClassifier,
    LabelledClips,
    audio_classifier_for,
    classifier_accuracy,
    clips_digest,
    log_mel,
)
from gan_lightning.metrics.audio_quality import MEASURES, AudioInstruments, AudioSuite
from gan_lightning.metrics.distances import inception_score
from gan_lightning.metrics.measured import MeasuredQuality, ReferenceSet, Scoring
from gan_lightning.metrics.suite import METRICS, Metric, MetricError, best_monitor, register_metric

CPU = torch.device("cpu")
RATE = 8000
LENGTH = 2048
CLASSES = 10
TONE_RECIPE = AudioClassifierRecipe(epochs=6, batch_size=32, lr=3e-3)


def tones(count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` clips ``(N, LENGTH)`` (the audio kinds' data space): class ``k`` a sine of ``300 * 1.25**k`` Hz
    (300 to 2,240 Hz, each a third of an octave or more from the next) lasting 40 to 90 % of the clip at a random
    place, gain and phase, in light white noise; the classes in turn."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(count) % CLASSES
    time = torch.arange(LENGTH) / RATE
    waves = torch.zeros(count, LENGTH)
    for i, label in enumerate(labels.tolist()):
        duration = int(LENGTH * (0.4 + 0.5 * float(torch.rand(1, generator=generator))))
        start = int(torch.randint(0, LENGTH - duration + 1, (1,), generator=generator))
        gain, phase = 0.2 + 0.7 * float(torch.rand(1, generator=generator)), float(torch.rand(1, generator=generator))
        tone = gain * torch.sin(2 * math.pi * (300 * 1.25**label * time + phase))
        waves[i, start : start + duration] = tone[start : start + duration]
    waves += 0.005 * torch.randn(waves.shape, generator=generator)
    return waves.clamp(-1, 1), labels


@pytest.fixture(scope="module")
def tone_clips() -> LabelledClips:
    train, train_labels = tones(400, seed=0)
    test, test_labels = tones(500, seed=1)
    return LabelledClips(train, train_labels, test, test_labels)


@pytest.fixture(scope="module")
def classifier(tone_clips: LabelledClips, tmp_path_factory: pytest.TempPathFactory) -> BuiltAudioClassifier:
    cache = tmp_path_factory.mktemp("audio_cache")
    return audio_classifier_for(tone_clips, {"name": "tones"}, RATE, CLASSES, cache, TONE_RECIPE)


def references(real: torch.Tensor, labels: torch.Tensor, train: torch.Tensor) -> dict[str, ReferenceSet]:
    return {"real": ReferenceSet(lambda: real, extras={"labels": labels}), "train": ReferenceSet(lambda: train)}


def quality(names: list[str], clips: LabelledClips, built: BuiltAudioClassifier, seed: int = 0) -> MeasuredQuality:
    """The audio suite's evaluator of ``names`` against the held-out tones (and the training tones), for a run of
    ``seed``."""
    instruments = AudioInstruments(lambda: built)
    scoring = Scoring(kid_subsets=20, kid_subset_size=100, seed=seed)
    sets = references(clips.test_waves, clips.test_labels, clips.train_waves)
    return MeasuredQuality(names, MEASURES, sets, instruments, ("audio metrics", "clips"), scoring)


def served(waves: torch.Tensor) -> Callable[[range], torch.Tensor]:
    """The evaluator's ``generate(indices)`` over fixed clips."""
    return lambda index: waves[index.start : index.stop]


def test_log_mel_puts_a_tone_in_the_band_of_its_pitch() -> None:
    """A 1 kHz tone's loudest mel band is the one whose centre frequency (librosa's) is nearest 1 kHz."""
    import librosa

    wave = torch.sin(2 * math.pi * 1000 * torch.arange(LENGTH) / RATE)[None, None]
    bands = log_mel(wave, RATE)
    centres = librosa.mel_frequencies(n_mels=bands.shape[1] + 2, fmax=RATE / 2)[1:-1]
    assert int(bands[0].mean(dim=1).argmax()) == int(abs(centres - 1000).argmin())


def test_the_classifier_names_held_out_tones(classifier: BuiltAudioClassifier, tone_clips: LabelledClips) -> None:
    assert classifier.test_accuracy >= 0.9
    assert classifier_accuracy(classifier.model, tone_clips.test_waves, tone_clips.test_labels) == pytest.approx(
        classifier.test_accuracy
    )
    assert classifier.origin == "trained" and not classifier.from_cache


def test_a_shipped_classifier_comes_before_the_cache_and_training(
    classifier: BuiltAudioClassifier, tone_clips: LabelledClips, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    monkeypatch.setattr("gan_lightning.metrics.audio_classifier.SHIPPED", shipped)
    shutil.copy(classifier.path, shipped / classifier.path.name)  # the same key: the same clips, recipe and network
    found = audio_classifier_for(tone_clips, {"name": "tones"}, RATE, CLASSES, tmp_path / "cache", TONE_RECIPE)
    assert found.origin == "shipped" and found.from_cache and found.path == shipped / classifier.path.name
    assert not (tmp_path / "cache").exists()  # nothing trained, nothing written
    for name, tensor in classifier.model.state_dict().items():
        assert torch.equal(found.model.state_dict()[name], tensor)
    # other clips are another key: not the shipped file's, so trained
    other = audio_classifier_for(tone_clips, {"name": "other tones"}, RATE, CLASSES, tmp_path / "cache", TONE_RECIPE)
    assert other.origin == "trained" and other.path.parent == tmp_path / "cache" / "audio_classifier"


def one_sample_changed(clips: LabelledClips) -> LabelledClips:
    """``clips`` with one sample of one training clip a 16-bit step louder: the smallest change a WAV can carry."""
    train = clips.train_waves.clone()
    train[0, 100] += 1 / 32768
    return LabelledClips(train, clips.train_labels, clips.test_waves, clips.test_labels)


def test_the_clips_digest_is_their_content(tone_clips: LabelledClips) -> None:
    """Copies of the clips give the same digest; one sample a step louder, one label changed, or the splits swapped
    give another."""
    same = LabelledClips(*(tensor.clone() for tensor in vars(tone_clips).values()))
    assert clips_digest(same) == clips_digest(tone_clips)
    relabelled = tone_clips.train_labels.clone()
    relabelled[0] = (relabelled[0] + 1) % CLASSES
    others = [
        one_sample_changed(tone_clips),
        LabelledClips(tone_clips.train_waves, relabelled, tone_clips.test_waves, tone_clips.test_labels),
        LabelledClips(tone_clips.test_waves, tone_clips.test_labels, tone_clips.train_waves, tone_clips.train_labels),
    ]
    assert len({clips_digest(clips) for clips in [tone_clips, *others]}) == 4


def test_a_shipped_classifier_serves_its_clips_and_says_in_one_line_why_not_other_clips(
    classifier: BuiltAudioClassifier, tone_clips: LabelledClips, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shipped with its description, the classifier serves the same clips without a warning; the same settings with
    one sample changed (the control) get one warning line naming the shipped file and both digests, and a classifier
    trained for them; other settings, for which nothing was shipped, get none."""
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    monkeypatch.setattr("gan_lightning.metrics.audio_classifier.SHIPPED", shipped)
    for suffix in (".pt", ".json"):
        shutil.copy(classifier.path.with_suffix(suffix), shipped / classifier.path.with_suffix(suffix).name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found = audio_classifier_for(tone_clips, {"name": "tones"}, RATE, CLASSES, tmp_path / "cache", TONE_RECIPE)
    assert found.origin == "shipped" and found.path == shipped / classifier.path.name

    changed = one_sample_changed(tone_clips)
    with pytest.warns(UserWarning) as caught:
        other = audio_classifier_for(changed, {"name": "tones"}, RATE, CLASSES, tmp_path / "cache", TONE_RECIPE)
    (reason,) = [str(warning.message) for warning in caught]
    assert "\n" not in reason and reason.startswith(f"audio classifier: the shipped {classifier.path.name} is for")
    assert f"clips_sha256 {clips_digest(tone_clips)[:12]}, here {clips_digest(changed)[:12]}" in reason
    assert other.origin == "trained" and other.path.parent == tmp_path / "cache" / "audio_classifier"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        unshipped = audio_classifier_for(changed, {"name": "chirps"}, RATE, CLASSES, tmp_path / "cache", TONE_RECIPE)
    assert unshipped.origin == "trained"


@pytest.mark.parametrize(
    ("config_name", "rate"), [("specgan_spoken_digits_quick", 8000), ("specgan_spoken_digits", 16000)]
)
def test_a_classifier_is_shipped_for_the_spoken_digits_configs(config_name: str, rate: int) -> None:
    """A classifier is shipped for the settings of the quick and the paper-size configs' spoken digits (made without
    synthesising the set): one description matches their identity in all but the clips' digest, and its key is its
    file's name."""
    from gan_lightning.data import build_datamodule
    from gan_lightning.metrics.audio_classifier import SHIPPED, classifier_identity
    from gan_lightning.metrics.audio_quality import classifier_options
    from gan_lightning.metrics.trained import identity_key

    config = load_config([REPO / "configs" / f"{config_name}.yaml"], ["data.data_dir=/nonexistent"])
    options = classifier_options(config, build_datamodule(config))
    matching = []
    for path in sorted(SHIPPED.glob("*.json")):
        described = json.loads(path.read_text())
        accuracy, _ = described.pop("test_accuracy"), described.pop("train_seconds")
        identity = classifier_identity(options, rate, 10, AudioClassifierRecipe(), described["clips_sha256"])
        if described == json.loads(json.dumps(identity)):
            matching.append(path)
            assert accuracy >= 0.9  # the project's bar on held-out voices
            assert identity_key(identity) == path.stem and path.with_suffix(".pt").is_file()
    assert len(matching) == 1


@pytest.mark.slow  # synthesises the quick configs' 5,600 spoken digits (about two minutes on two cores)
def test_the_shipped_classifier_serves_the_quick_spoken_digits_rendered_here(tmp_path: Path) -> None:
    """On the Debian espeak-ng and flite the shipped classifier was trained with, the quick configs' clips rendered
    here are the shipped classifier's (no warning, nothing trained, its stored accuracy measured again on them); one
    sample of one clip changed makes them another set, and the one-line reason names the shipped file."""
    from gan_lightning.data import prepare_data
    from gan_lightning.metrics.audio_classifier import CONTENT_FIELD, SHIPPED, classifier_identity
    from gan_lightning.metrics.audio_quality import build_audio_classifier, classifier_options, labelled_clips
    from gan_lightning.metrics.trained import shipped_for_other_content

    places = [f"data.data_dir={tmp_path / 'data'}", f"metrics.cache_dir={tmp_path / 'cache'}"]
    config = load_config([REPO / "configs" / "wavegan_spoken_digits_quick.yaml"], places)
    datamodule = prepare_data(config)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        built = build_audio_classifier(config, datamodule)
    assert built.origin == "shipped" and built.path.parent == SHIPPED and not (tmp_path / "cache").exists()
    clips = labelled_clips(datamodule)
    assert classifier_accuracy(built.model, clips.test_waves, clips.test_labels) == built.test_accuracy
    changed = one_sample_changed(clips)
    identity = classifier_identity(
        classifier_options(config, datamodule), 8000, 10, AudioClassifierRecipe(), clips_digest(changed)
    )
    reason = shipped_for_other_content(BuiltAudioClassifier, SHIPPED, identity, CONTENT_FIELD)
    assert reason is not None and reason.startswith(f"audio classifier: the shipped {built.path.name} is for these")


def test_the_cache_returns_the_same_classifier(
    classifier: BuiltAudioClassifier, tone_clips: LabelledClips, tmp_path: Path
) -> None:
    """A second call loads the file the first wrote (same weights, accuracy and key); another recipe is another
    file; an unreadable file is rebuilt."""
    again = audio_classifier_for(tone_clips, {"name": "tones"}, RATE, CLASSES, classifier.path.parents[1], TONE_RECIPE)
    assert again.origin == "cache" and again.path == classifier.path
    assert again.test_accuracy == classifier.test_accuracy
    for name, tensor in classifier.model.state_dict().items():
        assert torch.equal(again.model.state_dict()[name], tensor)
    assert classifier.path.with_suffix(".json").is_file()
    other = AudioClassifierRecipe(epochs=1, batch_size=32)
    quick = audio_classifier_for(tone_clips, {"name": "tones"}, RATE, CLASSES, tmp_path, other)
    assert quick.path.name != classifier.path.name and not quick.from_cache
    quick.path.write_bytes(b"not a checkpoint")
    rebuilt = audio_classifier_for(tone_clips, {"name": "tones"}, RATE, CLASSES, tmp_path, other)
    assert not rebuilt.from_cache
    for name, tensor in quick.model.state_dict().items():  # seeded: the same weights again
        assert torch.equal(rebuilt.model.state_dict()[name], tensor)


@pytest.mark.filterwarnings(r"ignore:std\(\). degrees of freedom")
def test_inception_score_of_one_hot_predictions() -> None:
    """Certain predictions spread evenly over K classes score K (exp of the entropy of the marginal) in one split,
    and a little less in 10 random splits (each split's marginal is not quite even); all in one class score 1."""
    confident = 50.0 * torch.eye(CLASSES).repeat(200, 1)
    assert inception_score(confident, 1, seed=0)[0] == pytest.approx(CLASSES, rel=1e-4)
    assert 0.95 * CLASSES < inception_score(confident, 10, seed=0)[0] < CLASSES
    assert inception_score(confident[:1].repeat(200, 1), 10, seed=0)[0] == pytest.approx(1.0)


def test_real_clips_score_near_the_ceiling_and_noise_and_silence_far_from_it(
    classifier: BuiltAudioClassifier, tone_clips: LabelledClips
) -> None:
    evaluator = quality(["audio_is", "audio_fd", "audio_kid"], tone_clips, classifier)
    real = evaluator.evaluate(served(tone_clips.train_waves), 400, CPU)
    assert real["audio_is_real"] > 0.8 * CLASSES  # 50 clips a split: each split's classes are not quite even
    assert real["audio_is"] == pytest.approx(real["audio_is_real"], rel=0.1)
    noise = torch.randn(400, LENGTH, generator=torch.Generator().manual_seed(3)).mul(0.5).clamp(-1, 1)
    for fake in (noise, torch.zeros(400, LENGTH)):
        values = evaluator.evaluate(served(fake), 400, CPU)
        assert 1.0 - 1e-9 <= values["audio_is"] <= 2.0  # silence: every prediction alike, IS is 1 up to rounding
        assert values["audio_is_real"] == real["audio_is_real"]  # the ceiling does not depend on the samples
        assert values["audio_fd"] > 20 * real["audio_fd"]
        assert values["audio_kid"] > 20 * max(real["audio_kid"], 1e-3)


def test_every_run_seed_divides_by_one_ceiling(classifier: BuiltAudioClassifier, tone_clips: LabelledClips) -> None:
    """The real clips' Inception score is split one way whatever the run's seed: runs of seeds 0 and 1 scored
    against one reference set share its ceiling, and the reference clips scored as a seed-0 run's samples are split
    like it, so they score exactly the ceiling (a seed-1 run's splits of the same clips differ, the control)."""
    clips = tone_clips.test_waves
    seed0 = quality(["audio_is"], tone_clips, classifier, seed=0).evaluate(served(clips), len(clips), CPU)
    seed1 = quality(["audio_is"], tone_clips, classifier, seed=1).evaluate(served(clips), len(clips), CPU)
    assert seed1["audio_is_real"] == seed0["audio_is_real"] == seed0["audio_is"]
    assert seed1["audio_is"] != seed0["audio_is"]


def test_shuffled_labels_keep_the_inception_score_and_drop_class_accuracy_to_chance(
    classifier: BuiltAudioClassifier, tone_clips: LabelledClips
) -> None:
    """Real test clips stand in for a class-conditional generator: asked for their own classes, class accuracy is
    the classifier's accuracy and the within-class distance 0; asked for shuffled classes, the same clips score the
    same IS but about 1/K, and a within-class distance well above 0."""
    evaluator = quality(["audio_is", "audio_class_accuracy", "audio_intra_fd"], tone_clips, classifier)
    clips, labels = tone_clips.test_waves, tone_clips.test_labels
    right = evaluator.evaluate(served(clips), len(clips), CPU, requested=labels)
    shuffled = labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))]
    wrong = evaluator.evaluate(served(clips), len(clips), CPU, requested=shuffled)
    assert right["audio_class_accuracy"] == pytest.approx(classifier.test_accuracy)
    assert right["audio_class_accuracy_real"] == pytest.approx(classifier.test_accuracy)
    assert wrong["audio_is"] == right["audio_is"]
    assert abs(wrong["audio_class_accuracy"] - 1 / CLASSES) < 0.08
    # within each class the clips asked for it are its real clips, so the distance is 0 (up to the covariance
    # square root); asked for shuffled classes, each class's clips are a mixture of every class
    assert right["audio_intra_fd"] == pytest.approx(0, abs=1e-3)
    assert wrong["audio_intra_fd"] > 1
    with pytest.raises(MetricError, match="class-conditional"):
        evaluator.evaluate(served(clips), len(clips), CPU)


def test_nn_distances_on_a_hand_computed_case() -> None:
    """Generated points (0,0), (3,4), (0,1); training points (0,0), (6,8); real (held-out) points (1,0), (0,3).

    Nearest other generated point: 1, sqrt(3² + 3²), 1. Nearest training point: 0, 5, 1. Real, to each other: 3.162
    (sqrt(10)) twice; to the training set: 1, 3.
    """
    sets = {
        "generated": {"log_mel": torch.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])},
        "train": {"log_mel": torch.tensor([[0.0, 0.0], [6.0, 8.0]])},
        "real": {"log_mel": torch.tensor([[1.0, 0.0], [0.0, 3.0]])},
    }
    d_self, d_train, d_self_real, d_train_real = METRICS["nn_distance"].compute(sets, Scoring())
    assert d_self == pytest.approx((1 + math.sqrt(18) + 1) / 3)
    assert d_train == pytest.approx((0 + 5 + 1) / 3)
    assert d_self_real == pytest.approx(math.sqrt(10))
    assert d_train_real == pytest.approx((1 + 3) / 2)


def test_class_coverage_on_a_known_histogram() -> None:
    """100 clips: classes 0-7 get 12 each, class 8 gets 3 (3 %, just covered), class 9 gets 1 (1 %, not covered).
    The KL to uniform is sum(q log(10 q))."""
    counts = [12] * 8 + [3, 1]
    logits = torch.cat([torch.eye(CLASSES)[k].repeat(n, 1) for k, n in enumerate(counts)])
    covered, kl = METRICS["audio_classes"].compute({"generated": {"logits": logits}}, Scoring())
    assert covered == 9
    assert kl == pytest.approx(sum(n / 100 * math.log(10 * n / 100) for n in counts))


def test_memorised_training_clips_have_no_distance_to_the_training_set(
    classifier: BuiltAudioClassifier, tone_clips: LabelledClips
) -> None:
    """Training clips scored as if generated: |D|train is 0 (each is its own nearest neighbour), |D|self is not; the
    held-out real clips are further from the training set than from nothing."""
    evaluator = quality(["nn_distance"], tone_clips, classifier)
    copies = evaluator.evaluate(served(tone_clips.train_waves), 100, CPU)
    assert copies["d_train"] < 1e-4  # 0 but for float32 rounding
    assert copies["d_self"] > 1.0
    assert copies["d_train_real"] > 1.0


def test_unknown_metrics_and_too_few_clips_are_one_line_errors(
    classifier: BuiltAudioClassifier, tone_clips: LabelledClips
) -> None:
    with pytest.raises(MetricError, match="unknown audio metrics"):
        quality(["audio_fid"], tone_clips, classifier)
    with pytest.raises(MetricError, match="at least 2 real and 2 generated"):
        quality(["audio_fd"], tone_clips, classifier).check(1, CPU)
    with pytest.raises(ValueError, match=r"waveforms \(N, L\) or \(N, 1, L\)"):
        classifier.model(torch.zeros(2, 2, LENGTH))
    with pytest.raises(ValueError, match="clips of 1920 samples or more"):
        classifier.model(torch.zeros(2, 1000))


# ---------------------------------------------------------------------- runs, evaluate.py, best.ckpt
AUDIO_RUN = [*TINY, "data.voices=4", "data.test_voices=2", "data.utterances=1", "data.audio_length=2048",
             "train.batch_size=4", "train.n_critic=2", "train.num_samples_grid=10", "metrics.real_split=test",
             "metrics.num_generated=40", "metrics.num_real=20"]  # fmt: skip
"""A tiny spoken-digits run (4 training voices, 2 held out, 2,048 samples at 8 kHz) scored every 2 steps."""


@pytest.fixture(scope="module")
def audio_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(data_dir, cache_dir)`` shared by the runs: the tiny set is synthesised and the classifier trained once."""
    root = tmp_path_factory.mktemp("audio_runs")
    return root / "data", root / "cache"


def fit_audio(root: Path, dirs: tuple[Path, Path], config: str, *extra: str) -> Path:
    data_dir, cache_dir = dirs
    arguments = ["--config", str(REPO / "configs" / f"{config}.yaml"), f"run.root={root}"]
    locations = [f"data.data_dir={data_dir}", f"metrics.cache_dir={cache_dir}"]
    assert script("fit").main([*arguments, *AUDIO_RUN, *locations, *extra]) == 0
    return only_run(root)


def logged_values(run_dir: Path, key: str) -> tuple[list[str], dict[str, float]]:
    """The steps at which ``val/<key>`` was logged and the last row's ``val/`` values."""
    rows = [row for row in csv.DictReader((run_dir / "metrics.csv").open()) if row.get(f"val/{key}")]
    last = {k.removeprefix("val/"): float(v) for k, v in rows[-1].items() if k.startswith("val/") and v}
    return [row["step"] for row in rows], last


def test_an_audio_run_logs_the_metrics_keeps_the_best_and_evaluate_gives_the_same(
    tmp_path: Path, audio_dirs: tuple[Path, Path]
) -> None:
    names = ["audio_fd", "audio_is", "audio_kid", "audio_classes", "nn_distance"]
    listed = f"metrics.names=[{','.join(names)}]"
    run_dir = fit_audio(tmp_path / "runs", audio_dirs, "wavegan_spoken_digits_quick", listed)
    steps, logged = logged_values(run_dir, "audio_fd")
    assert steps == ["2", "4"]
    assert set(logged) == {value for name in names for value in METRICS[name].values}
    assert (run_dir / "checkpoints" / "best.ckpt").is_file()
    assert logged["d_train"] > 0 and logged["d_train_real"] > 0  # neither set is a copy of the training clips

    report = tmp_path / "evaluation.json"
    checkpoint = str(run_dir / "checkpoints" / "last.ckpt")
    assert script("evaluate").main(["--ckpt", checkpoint, "--json", str(report), "--device", "cpu"]) == 0
    result = json.loads(report.read_text())
    assert result["metrics"] == pytest.approx(logged, rel=1e-5)
    assert result["num_real"] == 20 and result["real_split"] == "test"
    assert result["audio_classifier_from_cache"] is True
    assert 0 <= result["audio_classifier_test_accuracy"] <= 1


def test_a_class_conditional_audio_run_scores_its_class_accuracy(tmp_path: Path, audio_dirs: tuple[Path, Path]) -> None:
    run_dir = fit_audio(
        tmp_path / "runs",
        audio_dirs,
        "cwavegan_spoken_digits_quick",
        "metrics.names=[audio_class_accuracy,audio_intra_fd,audio_is]",
    )
    steps, logged = logged_values(run_dir, "audio_class_accuracy")
    assert steps == ["2", "4"]
    assert 0 <= logged["audio_class_accuracy"] <= 1 and "audio_is" in logged and logged["audio_intra_fd"] > 0
    # the ceiling is the classifier's accuracy on the held-out voices, which the run's log also gave
    built = json.loads(next((audio_dirs[1] / "audio_classifier").glob("*.json")).read_text())
    assert logged["audio_class_accuracy_real"] == pytest.approx(built["test_accuracy"])


def test_class_accuracy_needs_a_class_conditional_run_and_nn_distance_is_no_best(tmp_path: Path) -> None:
    config = ["--config", str(REPO / "configs" / "wavegan_spoken_digits_quick.yaml"), f"run.root={tmp_path}"]
    assert script("fit").main([*config, "metrics.names=[audio_class_accuracy]"]) == 2
    assert not tmp_path.exists() or not any(tmp_path.iterdir())
    config = load_config([REPO / "configs" / "wavegan_spoken_digits_quick.yaml"])
    assert best_monitor(["audio_is"], config) == ("val/audio_is", "max")
    assert best_monitor(["audio_classes"], config) == ("val/audio_class_kl", "min")
    with pytest.raises(MetricError, match="'nn_distance' is better neither way"):
        best_monitor(["nn_distance"], config)


def test_build_evaluator_needs_audio_with_a_held_out_split(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert script("build_evaluator").main(["--config", str(REPO / "configs" / "quickstart.yaml")]) == 2
    assert "nothing to build" in capsys.readouterr().err  # images: no evaluator of their own
    folder = tmp_path / "clips" / "one"
    folder.mkdir(parents=True)
    for index in range(2):
        soundfile.write(folder / f"{index}.wav", np.full(2048, 0.1 * (index + 1), np.float32), 8000)
    arguments = ["--config", str(REPO / "configs" / "wavegan_spoken_digits_quick.yaml"), "data.name=audio_folder",
                 f"data.data_dir={tmp_path / 'clips'}", "data.audio_length=2048"]  # fmt: skip
    assert script("build_evaluator").main(arguments) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "give the data a test/ split" in err
    for split in ("train", "test"):  # clips without classes, in both splits
        (tmp_path / "plain" / split).mkdir(parents=True)
        soundfile.write(tmp_path / "plain" / split / "clip.wav", np.full(2048, 0.1, np.float32), 8000)
    arguments[-2] = f"data.data_dir={tmp_path / 'plain'}"
    assert script("build_evaluator").main(arguments) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "trained on labelled clips (class sub-folders or SC09 names)" in err


@pytest.fixture
def loudness() -> Iterator[str]:
    """A metric registered by a test, on a measure registered by the test: the clips' RMS over the real clips'."""

    def rms(waves: torch.Tensor, instruments: AudioInstruments) -> dict[str, torch.Tensor]:
        return {"rms": waves.reshape(len(waves), -1).square().mean(dim=1).sqrt()}

    MEASURES["toy_rms"] = rms
    register_metric("toy_loudness")(
        Metric(
            AudioSuite,
            lambda sets, scoring: float(sets["generated"]["rms"].mean() / sets["real"]["rms"].mean()),
            ("toy_loudness", "max"),
            ("toy_loudness",),
            ("audio", "spectrogram"),
            needs=("toy_rms", "real"),
        )
    )
    yield "toy_loudness"
    del METRICS["toy_loudness"], MEASURES["toy_rms"]


def test_a_metric_registered_elsewhere_is_accepted_computed_and_followed(loudness: str) -> None:
    """One register_metric call naming the audio suite: the config validator takes the name for audio runs, best.ckpt
    follows it, and the evaluator computes it (clips at half the real clips' amplitude have half their RMS) without the
    classifier."""
    config = load_config([REPO / "configs" / "wavegan_spoken_digits_quick.yaml"], [f"metrics.names=[{loudness}]"])
    assert best_monitor(config.metrics.names, config) == ("val/toy_loudness", "max")
    real = torch.sin(torch.arange(4 * LENGTH, dtype=torch.float32).reshape(4, LENGTH))
    untouchable = AudioInstruments(lambda: pytest.fail("no measure of toy_loudness needs the classifier"))
    sets = references(real, torch.zeros(4), real)
    evaluator = MeasuredQuality([loudness], MEASURES, sets, untouchable, ("audio metrics", "clips"))
    assert evaluator.evaluate(served(real / 2), 4, CPU) == {"toy_loudness": pytest.approx(0.5)}
