"""Scores of generated sound against real sound by registered name, offline (the WaveGAN paper's evaluation).

Every metric reads waveforms ``(N, L)`` in [-1, 1] (a SpecGAN's spectrograms are inverted by Griffin-Lim first,
in the kind's ``to_data_space``) through one instrument, the spoken-word classifier trained on real clips only
(:mod:`gan_lightning.metrics.audio_classifier`):

* ``audio_is``: the Inception score of its class probabilities over ``IS_SPLITS`` splits (``audio_is``,
  ``audio_is_std``), beside the real clips' own score (``audio_is_real``: the ceiling; absolute values do not
  transfer across classifiers, ratios do);
* ``audio_fd`` and ``audio_kid``: the Fréchet and kernel distances between its 128-d penultimate features of the
  generated and of the real clips;
* ``audio_classes``: how many classes get at least :data:`COVERED_SHARE` of the samples by predicted class
  (``audio_classes_covered``) and the KL of that histogram to uniform;
* ``nn_distance``: the paper's |D|self and |D|train, mean nearest-neighbour Euclidean distances in its input space
  (the standardised log-mel spectrogram): of each generated clip to the other generated clips (``d_self``: low when
  the generator repeats itself) and to the training clips (``d_train``: near 0 when it replays them), beside the real
  clips' own (``d_self_real``, ``d_train_real``);
* ``audio_class_accuracy`` (class-conditional runs): how often the classifier names the class a clip was asked for,
  beside its accuracy on the real clips (``audio_class_accuracy_real``: the ceiling).

Each metric reads *measures* (:data:`MEASURES`: the classifier's features and logits, the log-mel spectrograms) of
sets of clips (``generated``, ``real``: ``metrics.real_split``, ``train``), computed once per evaluation for every
metric that reads them, the real and training clips' once per evaluator (:mod:`gan_lightning.metrics.measured`). A
new metric is one :func:`~gan_lightning.metrics.suite.register_metric` call naming :class:`AudioSuite`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from lightning.pytorch.utilities import rank_zero_info
from torch import Tensor

from gan_lightning.data.audio import AudioDataModule
from gan_lightning.data.base import DataUnavailableError
from gan_lightning.metrics.audio_classifier import (
    AudioClassifier,
    BuiltAudioClassifier,
    LabelledClips,
    audio_classifier_for,
)
from gan_lightning.metrics.class_coverage import ClassCoverage
from gan_lightning.metrics.distances import frechet_distance, inception_score, kernel_distance
from gan_lightning.metrics.measured import Measure, MeasuredQuality, MeasuredSuite, Measures, ReferenceSet, Scoring
from gan_lightning.metrics.sample_quality import intra_class_fid
from gan_lightning.metrics.suite import (
    Metric,
    MetricError,
    Suite,
    real_subset,
    register_metric,
)

if TYPE_CHECKING:
    from gan_lightning.config.schema import ExperimentConfig
    from gan_lightning.data.base import GANDataModule

COVERED_SHARE = 0.3
"""A class counts as covered by ``audio_classes`` when it gets at least this fraction of its uniform share of the
samples: 3 % of them with 10 digits, the project's bar."""

IS_SPLITS = 10
"""The Inception score's splits (Salimans et al. 2016, and the WaveGAN paper)."""
REAL_SPLITS_SEED = 0
"""Seeds the real clips' Inception-score splits, whatever the run's seed (which seeds the generated clips' splits):
the ceiling every run's ratio divides by is one number per reference set. Split by the run's seed, the same 800 test
clips of the spoken digits scored 8.40, 8.28 and 8.21 for runs of seeds 0, 1 and 2."""


class AudioInstruments:
    """The classifier the measures use, built when a measure first asks for it (a cached one loads in a moment; an
    uncached one trains).

    Args:
        classifier: loads the classifier from the cache, or trains and caches it.
    """

    def __init__(self, classifier: Callable[[], BuiltAudioClassifier]) -> None:
        self._build_classifier = classifier

    @functools.cached_property
    def built(self) -> BuiltAudioClassifier:
        return self._build_classifier()

    @property
    def classifier(self) -> AudioClassifier:
        return self.built.model

    def details(self) -> dict[str, object]:
        """What the classifier is (its held-out accuracy and cache file), for reports, once it has been built."""
        built = self.__dict__.get("built")  # where cached_property keeps a value once computed
        return {} if built is None else built.details()


def _classifier(waves: Tensor, instruments: AudioInstruments) -> Measures:
    """``features (N, 128)`` and ``logits (N, classes)``: the classifier's penultimate layer and output."""
    features, logits = instruments.classifier.to(waves.device)(waves)
    return {"features": features, "logits": logits}


def _log_mel(waves: Tensor, instruments: AudioInstruments) -> Measures:
    """``log_mel (N, bands x frames)``: the classifier's standardised log-mel spectrogram, flattened."""
    return {"log_mel": instruments.classifier.to(waves.device).standardised_log_mel(waves).flatten(1)}


MEASURES: dict[str, Measure] = {"classifier": _classifier, "log_mel": _log_mel}
"""What the audio metrics read (their ``needs``, beside the reference sets ``real`` and ``train``)."""


# ---------------------------------------------------------------------- metrics
def class_shares(logits: Tensor) -> Tensor:
    """The share of clips the classifier puts in each class (by the argmax of ``logits``)."""
    counts = torch.bincount(logits.argmax(dim=1), minlength=logits.shape[1])
    return counts.double() / counts.sum()


def nearest_distances(points: Tensor, reference: Tensor | None = None, chunk: int = 256) -> Tensor:
    """``(N,)``: the Euclidean distance of each row of ``points`` to its nearest row of ``reference``, or, without
    one, to its nearest other row of ``points`` (float64, ``chunk`` rows at a time)."""
    points = points.double()
    others = points if reference is None else reference.double()
    nearest = []
    for start in range(0, len(points), chunk):
        distances = torch.cdist(points[start : start + chunk], others)
        if reference is None:
            rows = torch.arange(len(distances))
            distances[rows, rows + start] = float("inf")
        nearest.append(distances.amin(dim=1))
    return torch.cat(nearest)


def _nn_distances(sets: dict[str, Measures], scoring: Scoring) -> tuple[float, float, float, float]:
    generated, real, train = (sets[name]["log_mel"] for name in ("generated", "real", "train"))
    return (
        float(nearest_distances(generated).mean()),
        float(nearest_distances(generated, train).mean()),
        float(nearest_distances(real).mean()),
        float(nearest_distances(real, train).mean()),
    )


def _coverage(sets: dict[str, Measures], scoring: Scoring) -> tuple[float, float]:
    logits = sets["generated"]["logits"]
    coverage = ClassCoverage(logits.shape[1], covered_share=COVERED_SHARE, sync_on_compute=False)
    coverage.update(logits)
    covered, kl = coverage.compute()
    return float(covered), float(kl)


def _class_accuracy(sets: dict[str, Measures], scoring: Scoring) -> tuple[float, float]:
    generated, real = sets["generated"], sets["real"]
    if "requested" not in generated:
        raise MetricError("audio_class_accuracy scores class-conditional generators; set data.conditional=true")
    hits = generated["logits"].argmax(dim=1) == generated["requested"]
    real_hits = real["logits"].argmax(dim=1) == real["labels"]
    return float(hits.double().mean()), float(real_hits.double().mean())


def _intra_fd(sets: dict[str, Measures], scoring: Scoring) -> float:
    """Within each digit, the Fréchet distance between the classifier features of the clips asked for it and the real
    clips of it, averaged over the digits: what class accuracy cannot see, a generator that says each digit one way."""
    generated, real = sets["generated"], sets["real"]
    if "requested" not in generated:
        raise MetricError("audio_intra_fd scores class-conditional generators; set data.conditional=true")
    return intra_class_fid(
        real["features"], real["labels"], generated["features"], generated["requested"], "audio_intra_fd"
    )


# ---------------------------------------------------------------------- the suite
HELD_OUT_SPLIT = "test"
"""The split the classifier's accuracy is measured on (spoken_digits: voices never heard in training)."""


def _audio_data(datamodule: GANDataModule) -> AudioDataModule:
    if not isinstance(datamodule, AudioDataModule):
        raise MetricError(f"the audio metrics score audio clips; {type(datamodule).__name__} has none")
    return datamodule


def classifier_options(config: ExperimentConfig, datamodule: AudioDataModule) -> dict[str, object]:
    """What makes the dataset's clips what they are, the classifier's cache key: the dataset, its clips
    (:attr:`AudioDataModule.clips_identity`: their folder, or for ``spoken_digits`` the hash of the synthesis options
    and engines), the sample rate and the clip length. Not the representation: WaveGAN and SpecGAN runs on the same
    clips share one classifier."""
    return {
        "name": config.data.name,
        "clips": datamodule.clips_identity,
        "sample_rate": datamodule.sample_rate,
        "audio_length": datamodule.audio_length,
    }


def clip_labels(datamodule: AudioDataModule, split: str) -> Tensor:
    """The classes of ``split``'s clips; one line when the clips have none (every audio metric reads a classifier
    trained on them)."""
    try:
        return datamodule.evaluation_labels(split)
    except DataUnavailableError as error:
        raise MetricError(
            f"the audio metrics read a classifier trained on labelled clips (class sub-folders or SC09 names): {error}"
        ) from error


def labelled_clips(datamodule: AudioDataModule) -> LabelledClips:
    """The real training clips and the held-out ones with their classes; one line when there are none."""
    if HELD_OUT_SPLIT not in datamodule.splits:
        raise MetricError(
            f"the audio metrics' classifier is measured on held-out clips: give the data a {HELD_OUT_SPLIT}/ split"
        )
    return LabelledClips(
        datamodule.evaluation_images("train"),
        clip_labels(datamodule, "train"),
        datamodule.evaluation_images(HELD_OUT_SPLIT),
        clip_labels(datamodule, HELD_OUT_SPLIT),
    )


def build_audio_classifier(
    config: ExperimentConfig, datamodule: GANDataModule, rebuild: bool = False
) -> BuiltAudioClassifier:
    """The classifier of the run's clips, from ``metrics.cache_dir`` or trained now on the real training clips."""
    audio = _audio_data(datamodule)
    audio.setup()
    clips = labelled_clips(audio)
    return audio_classifier_for(
        clips,
        classifier_options(config, audio),
        audio.sample_rate,
        len(audio.class_names),
        config.metrics.cache_dir,
        rebuild=rebuild,
    )


class AudioSuite(MeasuredSuite):
    """The audio metrics of generated clips against ``metrics.num_real`` clips of ``metrics.real_split`` (a seeded
    subset when the split has more) and, for ``d_train``, every training clip, through the spoken-word classifier
    (built when first used: from the cache, or trained on the real training clips).

    A metric's ``needs`` names measures of :data:`MEASURES` and the reference sets ``real`` / ``train``; its
    ``compute(sets, scoring)`` gets their :data:`~gan_lightning.metrics.measured.Measures` (``real`` with ``labels``,
    ``generated`` with ``requested`` in a class-conditional run) and returns one float per value.
    """

    @classmethod
    def build(cls, names: Sequence[str], config: ExperimentConfig, datamodule: GANDataModule, out_dir: Path) -> Suite:
        cfg = config.metrics
        audio = _audio_data(datamodule)
        real: Tensor = real_subset(audio.evaluation_images(cfg.real_split), cfg.num_real)  # type: ignore[assignment]
        labels: Tensor = real_subset(clip_labels(audio, cfg.real_split), cfg.num_real)  # type: ignore[assignment]

        def classifier() -> BuiltAudioClassifier:
            built = build_audio_classifier(config, datamodule)
            rank_zero_info(built.summary())
            return built

        references = {
            "real": ReferenceSet(lambda: real, extras={"labels": labels.long()}),
            "train": ReferenceSet(lambda: audio.evaluation_images("train")),  # type: ignore[arg-type,return-value]
        }
        quality = MeasuredQuality(
            names,
            MEASURES,
            references,
            AudioInstruments(classifier),
            ("audio metrics", "clips"),
            Scoring(cfg.kid_subsets, cfg.kid_subset_size, config.seed),
            cfg.batch_size,
        )
        return cls(names, quality, cfg.real_split)


AUDIO = ("audio", "spectrogram")
"""The kinds whose samples are heard as waveforms."""

register_metric("audio_is")(
    Metric(
        AudioSuite,
        lambda sets, scoring: (
            *inception_score(sets["generated"]["logits"], IS_SPLITS, scoring.seed),
            inception_score(sets["real"]["logits"], IS_SPLITS, REAL_SPLITS_SEED)[0],
        ),
        ("audio_is", "max"),
        ("audio_is", "audio_is_std", "audio_is_real"),
        AUDIO,
        needs=("classifier", "real"),
    )
)
register_metric("audio_fd")(
    Metric(
        AudioSuite,
        lambda sets, scoring: frechet_distance(sets["real"]["features"], sets["generated"]["features"]),
        ("audio_fd", "min"),
        ("audio_fd",),
        AUDIO,
        needs=("classifier", "real"),
    )
)
register_metric("audio_kid")(
    Metric(
        AudioSuite,
        lambda sets, scoring: kernel_distance(
            sets["real"]["features"],
            sets["generated"]["features"],
            scoring.kid_subsets,
            scoring.kid_subset_size,
            scoring.seed,
        ),
        ("audio_kid", "min"),
        ("audio_kid", "audio_kid_std"),
        AUDIO,
        needs=("classifier", "real"),
    )
)
register_metric("audio_classes")(
    Metric(
        AudioSuite,
        _coverage,
        ("audio_class_kl", "min"),
        ("audio_classes_covered", "audio_class_kl"),
        AUDIO,
        needs=("classifier", "real"),
    )
)
register_metric("nn_distance")(
    Metric(
        AudioSuite,
        _nn_distances,
        None,
        ("d_self", "d_train", "d_self_real", "d_train_real"),
        AUDIO,
        needs=("log_mel", "real", "train"),
    )
)
register_metric("audio_class_accuracy")(
    Metric(
        AudioSuite,
        _class_accuracy,
        ("audio_class_accuracy", "max"),
        ("audio_class_accuracy", "audio_class_accuracy_real"),
        AUDIO,
        ("classes",),
        needs=("classifier", "real"),
        companions=("audio_intra_fd",),
    )
)
register_metric("audio_intra_fd")(
    Metric(
        AudioSuite,
        _intra_fd,
        ("audio_intra_fd", "min"),
        ("audio_intra_fd",),
        AUDIO,
        ("classes",),
        needs=("classifier", "real"),
    )
)
