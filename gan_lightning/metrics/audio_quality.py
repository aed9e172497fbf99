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
  (``audio_classes_covered``; the issue's bar is 8 of 10 digits) and the KL of that histogram to uniform;
* ``nn_distance``: the paper's |D|self and |D|train, mean nearest-neighbour Euclidean distances in its input space
  (the standardised log-mel spectrogram): of each generated clip to the other generated clips (``d_self``: low when
  the generator repeats itself) and to the training clips (``d_train``: near 0 when it replays them), beside the real
  clips' own (``d_self_real``, ``d_train_real``);
* ``audio_class_accuracy`` (class-conditional runs): how often the classifier names the class a clip was asked for,
  beside its accuracy on the real clips (``audio_class_accuracy_real``: the ceiling).

Each metric reads *measures* (:data:`AUDIO_MEASURES`: the classifier's features and logits, the log-mel
spectrograms) of sets of clips (``generated``, ``real``: ``metrics.real_split``, ``train``), computed once per
evaluation for every metric that reads them, the real and training clips' once per evaluator. A new metric is one
:func:`register_audio_metric` call in a new file of this folder; a new measure one :func:`register_audio_measure`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from gan_lightning.metrics.audio_classifier import AudioClassifier, BuiltAudioClassifier
from gan_lightning.metrics.class_coverage import ClassCoverage
from gan_lightning.metrics.sample_quality import (
    SampleQualityError,
    frechet_distance,
    inception_score,
    kernel_distance,
    named_values,
)
from gan_lightning.registry import registrar

Measures = dict[str, Tensor]
"""Named per-clip measurements of a set of clips (first dimension: the clip), on the CPU."""

COVERED_SHARE = 0.3
"""A class counts as covered by ``audio_classes`` when it gets at least this fraction of its uniform share of the
samples: 3 % of them with 10 digits, the issue's bar."""

IS_SPLITS = 10
"""The Inception score's splits (Salimans et al. 2016, and the WaveGAN paper)."""


@dataclass(frozen=True)
class AudioScoring:
    """The settings the metrics share: KID's subsets (``metrics.kid_subsets`` / ``kid_subset_size``) and the seed of
    every random split or subset."""

    kid_subsets: int = 100
    kid_subset_size: int = 1000
    seed: int = 0


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


AudioMeasure = Callable[[Tensor, AudioInstruments], Measures]
"""``(waves, instruments) -> {name: per-clip tensor}`` of a batch of float waveforms ``(N, L)`` on the
instruments' device (the measure moves any instrument it uses there)."""

AUDIO_MEASURES: dict[str, AudioMeasure] = {}
"""What audio metrics read, measure name -> :data:`AudioMeasure`."""
register_audio_measure = registrar(AUDIO_MEASURES, "audio measure")


@register_audio_measure("classifier")
def _classifier(waves: Tensor, instruments: AudioInstruments) -> Measures:
    """``features (N, 128)`` and ``logits (N, classes)``: the classifier's penultimate layer and output."""
    features, logits = instruments.classifier.to(waves.device)(waves)
    return {"features": features, "logits": logits}


@register_audio_measure("log_mel")
def _log_mel(waves: Tensor, instruments: AudioInstruments) -> Measures:
    """``log_mel (N, bands x frames)``: the classifier's standardised log-mel spectrogram, flattened."""
    return {"log_mel": instruments.classifier.to(waves.device).standardised_log_mel(waves).flatten(1)}


# ---------------------------------------------------------------------- metrics
@dataclass(frozen=True)
class AudioMetric:
    """One name ``metrics.names`` may list for audio: the measures it reads of which sets, what computes it from
    them, what its values are called and which way is better.

    ``compute(sets, scoring)`` gets the :data:`Measures` of the ``generated`` clips and of each set in ``sets``
    (``real``: ``metrics.real_split``; ``train``: the training clips), holding at least what ``measures`` give (and
    ``labels``, the real clips' classes, and ``requested``, the classes generated clips were asked for in a
    class-conditional run), and returns one float per entry of ``values`` (a float for one, a tuple for several),
    logged as ``val/<value>``.
    """

    compute: Callable[[dict[str, Measures], AudioScoring], float | tuple[float, ...]]
    values: tuple[str, ...]
    best: tuple[str, str] | None
    """The value ``metrics.keep_best`` follows when this metric is listed first, and ``min`` or ``max``; None for a
    metric that is better neither way (``nn_distance``: a copy of the training set and white noise are both bad)."""
    measures: tuple[str, ...]
    """Names in :data:`AUDIO_MEASURES`."""
    sets: tuple[str, ...] = ("real",)
    """The reference sets besides the generated clips: ``real`` and/or ``train``."""


AUDIO_METRICS: dict[str, AudioMetric] = {}
"""What ``metrics.names`` may list for audio, name -> :class:`AudioMetric`."""
register_audio_metric = registrar(AUDIO_METRICS, "audio metric")

AUDIO_CLASS_METRICS = ("audio_class_accuracy",)
"""The entries of :data:`AUDIO_METRICS` that score class-conditional runs only (they read ``requested``)."""


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


def _nn_distances(sets: dict[str, Measures], scoring: AudioScoring) -> tuple[float, float, float, float]:
    generated, real, train = (sets[name]["log_mel"] for name in ("generated", "real", "train"))
    return (
        float(nearest_distances(generated).mean()),
        float(nearest_distances(generated, train).mean()),
        float(nearest_distances(real).mean()),
        float(nearest_distances(real, train).mean()),
    )


def _coverage(sets: dict[str, Measures], scoring: AudioScoring) -> tuple[float, float]:
    logits = sets["generated"]["logits"]
    coverage = ClassCoverage(logits.shape[1], covered_share=COVERED_SHARE, sync_on_compute=False)
    coverage.update(logits)
    covered, kl = coverage.compute()
    return float(covered), float(kl)


def _class_accuracy(sets: dict[str, Measures], scoring: AudioScoring) -> tuple[float, float]:
    generated, real = sets["generated"], sets["real"]
    if "requested" not in generated:
        raise SampleQualityError("audio_class_accuracy scores class-conditional generators; set data.conditional=true")
    hits = generated["logits"].argmax(dim=1) == generated["requested"]
    real_hits = real["logits"].argmax(dim=1) == real["labels"]
    return float(hits.double().mean()), float(real_hits.double().mean())


register_audio_metric("audio_is")(
    AudioMetric(
        lambda sets, scoring: (
            *inception_score(sets["generated"]["logits"], IS_SPLITS, scoring.seed),
            inception_score(sets["real"]["logits"], IS_SPLITS, scoring.seed)[0],
        ),
        values=("audio_is", "audio_is_std", "audio_is_real"),
        best=("audio_is", "max"),
        measures=("classifier",),
    )
)
register_audio_metric("audio_fd")(
    AudioMetric(
        lambda sets, scoring: frechet_distance(sets["real"]["features"], sets["generated"]["features"]),
        values=("audio_fd",),
        best=("audio_fd", "min"),
        measures=("classifier",),
    )
)
register_audio_metric("audio_kid")(
    AudioMetric(
        lambda sets, scoring: kernel_distance(
            sets["real"]["features"],
            sets["generated"]["features"],
            scoring.kid_subsets,
            scoring.kid_subset_size,
            scoring.seed,
        ),
        values=("audio_kid", "audio_kid_std"),
        best=("audio_kid", "min"),
        measures=("classifier",),
    )
)
register_audio_metric("audio_classes")(
    AudioMetric(
        _coverage,
        values=("audio_classes_covered", "audio_class_kl"),
        best=("audio_class_kl", "min"),
        measures=("classifier",),
    )
)
register_audio_metric("nn_distance")(
    AudioMetric(
        _nn_distances,
        values=("d_self", "d_train", "d_self_real", "d_train_real"),
        best=None,
        measures=("log_mel",),
        sets=("real", "train"),
    )
)
register_audio_metric("audio_class_accuracy")(
    AudioMetric(
        _class_accuracy,
        values=("audio_class_accuracy", "audio_class_accuracy_real"),
        best=("audio_class_accuracy", "max"),
        measures=("classifier",),
    )
)


# ---------------------------------------------------------------------- the evaluator
class AudioQuality:
    """Scores ``names`` (of :data:`AUDIO_METRICS`) of generated clips against fixed real clips.

    Args:
        real: float waveforms ``(N, L)`` of ``metrics.real_split`` (all are used; pick the subset before).
        real_labels: their classes.
        train: the training clips ``nn_distance``'s ``d_train`` searches (read only when a metric needs them).
        batch_size: clips measured at once.
    """

    def __init__(
        self,
        names: Sequence[str],
        real: Tensor,
        real_labels: Tensor,
        train: Callable[[], Tensor],
        instruments: AudioInstruments,
        scoring: AudioScoring = AudioScoring(),
        batch_size: int = 200,
    ) -> None:
        unknown = sorted(set(names) - set(AUDIO_METRICS))
        if unknown:
            raise SampleQualityError(f"unknown audio metrics {unknown}; registered: {', '.join(AUDIO_METRICS)}")
        self.names = list(dict.fromkeys(names))
        self.sources: dict[str, Callable[[], Tensor]] = {"real": lambda: real, "train": train}
        self.real_labels = real_labels.long()
        self.num_real = len(real)
        self.instruments = instruments
        self.scoring = scoring
        self.batch_size = batch_size
        self.measure_names = list(dict.fromkeys(m for name in self.names for m in AUDIO_METRICS[name].measures))
        self.set_names = list(dict.fromkeys(s for name in self.names for s in AUDIO_METRICS[name].sets))
        self._references: dict[str, Measures] = {}

    def measure(self, waves: Callable[[range], Tensor], num: int, device: torch.device) -> Measures:
        """The measures every listed metric reads of ``waves(indices)`` (float waveforms in [-1, 1]),
        ``batch_size`` clips at a time on ``device``; the results are gathered on the CPU."""
        parts: dict[str, list[Tensor]] = {}
        with torch.no_grad(), torch.autocast(device.type, enabled=False):
            for start in range(0, num, self.batch_size):
                batch = waves(range(start, min(start + self.batch_size, num))).to(device).float()
                for name in self.measure_names:
                    for key, value in AUDIO_MEASURES[name](batch, self.instruments).items():
                        parts.setdefault(key, []).append(value.cpu())
        return {key: torch.cat(values) for key, values in parts.items()}

    def references(self, device: torch.device) -> dict[str, Measures]:
        """The measures of the reference sets the metrics read, each computed on its first use."""
        for name in self.set_names:
            if name not in self._references:
                clips = self.sources[name]()
                measured = self.measure(lambda i, clips=clips: clips[i.start : i.stop], len(clips), device)
                if name == "real":
                    measured["labels"] = self.real_labels
                self._references[name] = measured
        return self._references

    def check(self, num_generated: int, device: torch.device) -> None:
        """Check the counts and measure the reference clips now, so a classifier that cannot be trained surfaces
        (and the classifier is trained) before a run starts."""
        if min(self.num_real, num_generated) < 2:
            raise SampleQualityError(
                f"audio metrics need at least 2 real and 2 generated clips; got {self.num_real} and {num_generated}"
            )
        self.references(device)

    def evaluate(
        self,
        generate: Callable[[range], Tensor],
        num_generated: int,
        device: torch.device,
        requested: Tensor | None = None,
    ) -> dict[str, float]:
        """The values of :attr:`names` of ``num_generated`` clips from ``generate(indices)``, which were asked for
        the classes ``requested`` (a class-conditional run's evaluation conditions; None otherwise).

        Runs with the global RNG forked, so neither a measure nor a metric can move the training run's random state.
        """
        with torch.random.fork_rng(devices=[]):
            sets = dict(self.references(device))
            generated = self.measure(generate, num_generated, device)
            if requested is not None:
                generated["requested"] = requested.cpu().long()
            sets["generated"] = generated
            values: dict[str, float] = {}
            for name in self.names:
                metric = AUDIO_METRICS[name]
                values.update(named_values(metric.values, metric.compute(sets, self.scoring)))
        return values

    def details(self) -> dict[str, object]:
        """What the values were computed on: the real clips' count and the classifier, if built."""
        return {"num_real": self.num_real, **self.instruments.details()}
