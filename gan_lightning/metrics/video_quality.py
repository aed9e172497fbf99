"""Scores of generated clips against real ones by registered name, offline (MoCoGAN's kind of evaluation).

A video GAN can fail in ways an image metric cannot see: every frame a good digit, but the digit changes from frame
to frame, jumps about or stands still. The metrics here each look at one of those, on clips ``(N, T, C, H, W)`` in
[0, 1]:

* ``frame_fd``: the Fréchet distance between the per-frame features (the shipped MNIST classifier's 128-d
  penultimate layer) of all frames of the generated and of the real clips: does each frame look real?
* ``clip_fd``: the Fréchet distance between the features of a small 3D CNN trained on real clips to tell them from
  time-shuffled ones and to name their digit (:mod:`gan_lightning.metrics.clip_evaluator`): do the clips, as clips,
  look real? (Not the FVD, whose I3D network is a download trained on Kinetics.)
* ``content_consistency``: the share of clips whose digit stays the same (the classifier's argmax is one class on
  every frame), beside the real clips' share.
* ``motion``: how far a clip's intensity centre of mass moves per frame: the generated clips' mean over the real
  clips' (``motion_ratio``), the 1-D Wasserstein distance between the two sets of per-frame displacements
  (``motion_w1``, pixels), and the share of clips that stand still (``frozen``, :data:`FROZEN_FRACTION`).

The MNIST classifier reads each frame through a window of ``digit_window`` px centred on the frame's intensity centre
of mass, resized to its 28 px (:func:`digit_views`): MNIST centres its digits by centre of mass in a 28-px box, which
a ``digit_size`` window around a moving-MNIST digit reproduces, while the whole 32-px frame shrunk to 28 px shows a
small, off-centre digit: on held-out-digit clips the classifier names 28 % of whole frames right and 97 % of windows.
``frame_fd`` therefore compares what the digits look like (every frame of a real clip gives the same view); where they
are and how they move is ``motion``'s and ``clip_fd``'s. With two digits per frame (Srivastava's setting) each frame
gets two windows, centred on the two clusters of its intensity (:func:`digit_centres`), and a clip is consistent when
the pair of digits named stays the same; where the digits overlap one window can hold both, which the real clips'
value beside shows.

Each metric reads *measures* of the clips (:data:`CLIP_MEASURES`: the classifier's features and classes of every
frame, the clip evaluator's features, the centre-of-mass displacements), computed once per evaluation for every metric
that reads them, and the real clips' measures once per evaluator. A new metric on the existing measures is one
:func:`register_video_metric` call in a new file of this folder; a new measure is one :func:`register_clip_measure`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from gan_lightning.metrics.classifier import RESOLUTION as DIGIT_RESOLUTION
from gan_lightning.metrics.classifier import DigitClassifier
from gan_lightning.metrics.clip_evaluator import BuiltEvaluator
from gan_lightning.metrics.sample_quality import SampleQualityError, frechet_distance, named_values, wasserstein_1d
from gan_lightning.registry import registrar

Measures = dict[str, Tensor]
"""Named per-clip measurements of a set of clips (first dimension: the clip), on the CPU."""

FROZEN_FRACTION = 0.1
"""A clip is frozen when its mean absolute frame-to-frame change is below this fraction of the real clips' median
change: a still picture, or one that only flickers. A clip that repeats its first frame changes by 0; of 4,000 real
moving-MNIST clips (1 to 3 px per frame) the stillest changes 0.16 of the median, so none counts as frozen."""


# ---------------------------------------------------------------------- what the measures are made of
def centres_of_mass(clips: Tensor) -> Tensor:
    """``(N, T, 2)``: the (row, column) in pixels of each frame's intensity centre of mass (channels summed); a
    frame with no intensity is placed at the frame's centre, so an all-black clip does not move."""
    mass = clips.sum(dim=2)  # (N, T, H, W)
    height, width = mass.shape[-2:]
    rows = torch.arange(height, dtype=mass.dtype, device=mass.device)
    cols = torch.arange(width, dtype=mass.dtype, device=mass.device)
    total = mass.sum(dim=(-2, -1))
    weighted = torch.stack(((mass.sum(-1) * rows).sum(-1), (mass.sum(-2) * cols).sum(-1)), dim=-1)
    centre = torch.tensor([(height - 1) / 2, (width - 1) / 2], dtype=mass.dtype, device=mass.device)
    return torch.where(total[..., None] > 0, weighted / total.clamp_min(1e-12)[..., None], centre)


def displacements(clips: Tensor) -> Tensor:
    """``(N, T - 1)``: how many pixels each frame's centre of mass moved from the frame before."""
    centres = centres_of_mass(clips)
    return (centres[:, 1:] - centres[:, :-1]).norm(dim=-1)


def frame_changes(clips: Tensor) -> Tensor:
    """``(N,)``: each clip's mean absolute change of a pixel from one frame to the next (intensity units)."""
    return (clips[:, 1:] - clips[:, :-1]).abs().flatten(1).mean(dim=1)


CLUSTER_ITERATIONS = 10
"""Lloyd iterations of :func:`digit_centres`' two-means (two digits of a 64-px frame settle in a few)."""


def digit_centres(grey: Tensor, digits: int) -> Tensor:
    """``(M, digits, 2)``: the (row, column) of each of ``digits`` intensity clusters of grey frames ``(M, 1, H, W)``.

    One digit: the centre of mass. Two: a two-means of the pixels weighted by intensity, started from the centre of
    mass plus and minus the principal axis of the intensity's spread (one standard deviation), so two apart digits
    each get their own centre; a cluster left with no intensity keeps its start."""
    centre = centres_of_mass(grey[:, None])[:, 0]  # (M, 2)
    if digits == 1:
        return centre[:, None]
    if digits != 2:
        raise ValueError(f"the video metrics find 1 or 2 digits per frame, not {digits}")
    height, width = grey.shape[-2:]
    rows, cols = torch.meshgrid(
        torch.arange(height, dtype=grey.dtype, device=grey.device),
        torch.arange(width, dtype=grey.dtype, device=grey.device),
        indexing="ij",
    )
    points = torch.stack((rows.flatten(), cols.flatten()), dim=-1)  # (P, 2)
    mass = grey.flatten(1)  # (M, P)
    total = mass.sum(dim=1).clamp_min(1e-12)
    offsets = points[None] - centre[:, None]  # (M, P, 2)
    covariance = torch.einsum("mp,mpi,mpj->mij", mass, offsets, offsets) / total[:, None, None]
    spread, axes = torch.linalg.eigh(covariance)  # eigenvalues in ascending order
    step = axes[:, :, 1] * spread[:, 1:].clamp_min(0).sqrt()
    centres = torch.stack((centre - step, centre + step), dim=1)  # (M, 2, 2)
    for _ in range(CLUSTER_ITERATIONS):
        # exact distances (no matrix-product shortcut), so pixels halfway between the centres split the same way
        distances = torch.cdist(centres, points[None], compute_mode="donot_use_mm_for_euclid_dist")  # (M, 2, P)
        nearest = distances.argmin(dim=1)  # (M, P)
        members = F.one_hot(nearest, 2).to(grey.dtype) * mass[..., None]  # (M, P, 2)
        weight = members.sum(dim=1)  # (M, 2)
        means = torch.einsum("mpk,pi->mki", members, points) / weight.clamp_min(1e-12)[..., None]
        centres = torch.where(weight[..., None] > 0, means, centres)
    return centres


def digit_views(frames: Tensor, window: int | None, digits: int = 1) -> Tensor:
    """Frames ``(M, C, H, W)`` in [0, 1] as the MNIST classifier should see them: grey, and with ``window``, for
    each of the frame's ``digits`` (:func:`digit_centres`), a ``window``-px square centred on it (zeros beyond the
    frame) resized to 28 px, ``(M * digits, 1, 28, 28)`` frame by frame; without, the whole frame (the classifier
    resizes it)."""
    grey = frames.mean(dim=1, keepdim=True)
    if window is None:
        return grey
    height, width = grey.shape[-2:]
    centre = digit_centres(grey, digits).flatten(0, 1)  # (M * digits, 2) rows, columns
    theta = torch.zeros(len(centre), 2, 3, dtype=grey.dtype, device=grey.device)
    theta[:, 0, 0], theta[:, 1, 1] = window / width, window / height
    # affine_grid's coordinates run from -1 to 1 across the frame's outer edges (align_corners=False)
    theta[:, 0, 2] = (centre[:, 1] + 0.5) / width * 2 - 1
    theta[:, 1, 2] = (centre[:, 0] + 0.5) / height * 2 - 1
    grid = F.affine_grid(theta, [len(centre), 1, DIGIT_RESOLUTION, DIGIT_RESOLUTION], align_corners=False)
    return F.grid_sample(
        grey.repeat_interleave(digits, dim=0), grid, mode="bilinear", padding_mode="zeros", align_corners=False
    )


# ---------------------------------------------------------------------- instruments and measures
class VideoInstruments:
    """The networks the measures use, each built when a measure first asks for it: a run scoring ``motion`` alone
    never loads the classifier nor trains the clip evaluator.

    Args:
        digit_classifier: builds the MNIST classifier (the shipped one, or ``metrics.classifier_weights``).
        clip_evaluator: loads the clip evaluator from the cache, or trains and caches it.
        digit_window: the side of :func:`digit_views`' window (the dataset's digit size), None for whole frames.
        digits: how many digits each frame holds, each read through its own window.
    """

    def __init__(
        self,
        digit_classifier: Callable[[], DigitClassifier],
        clip_evaluator: Callable[[], BuiltEvaluator],
        digit_window: int | None,
        digits: int = 1,
    ) -> None:
        self._build_classifier = digit_classifier
        self._build_evaluator = clip_evaluator
        self.digit_window = digit_window
        self.digits = digits if digit_window is not None else 1

    @functools.cached_property
    def digit_classifier(self) -> DigitClassifier:
        return self._build_classifier()

    @functools.cached_property
    def clip_evaluator(self) -> BuiltEvaluator:
        return self._build_evaluator()

    def details(self) -> dict[str, object]:
        """What the built instruments are (the clip evaluator's accuracies and cache file), for reports."""
        built = self.__dict__.get("clip_evaluator")  # where cached_property keeps a value once computed
        return {} if built is None else built.details()


ClipMeasure = Callable[[Tensor, VideoInstruments], Measures]
"""``(clips, instruments) -> {name: per-clip tensor}`` of a batch of float clips ``(N, T, C, H, W)`` in [0, 1] on
the instruments' device (the measure moves any instrument it uses there)."""

CLIP_MEASURES: dict[str, ClipMeasure] = {}
"""What video metrics read, measure name -> :data:`ClipMeasure`."""
register_clip_measure = registrar(CLIP_MEASURES, "clip measure")


@register_clip_measure("digits")
def _digits(clips: Tensor, instruments: VideoInstruments) -> Measures:
    """``frame_features (N, T * digits, 128)`` (each digit view of each frame) and ``frame_classes (N, T, digits)``
    (each frame's classes in ascending order, so a pair compares whichever window each digit fell in): the MNIST
    classifier on the frames' digit views."""
    classifier = instruments.digit_classifier.to(clips.device)
    digits = instruments.digits
    features, logits = classifier(digit_views(clips.flatten(0, 1), instruments.digit_window, digits))
    count, frames = clips.shape[:2]
    classes = logits.argmax(dim=1).view(count, frames, digits).sort(dim=-1).values
    return {"frame_features": features.view(count, frames * digits, -1), "frame_classes": classes}


@register_clip_measure("clip_features")
def _clip_features(clips: Tensor, instruments: VideoInstruments) -> Measures:
    """``clip_features (N, 128)``: the clip evaluator's penultimate features."""
    features, _, _ = instruments.clip_evaluator.model.to(clips.device)(clips)
    return {"clip_features": features}


@register_clip_measure("motion")
def _motion(clips: Tensor, instruments: VideoInstruments) -> Measures:
    """``displacement (N, T - 1)`` (pixels per frame) and ``frame_change (N,)`` (:func:`frame_changes`)."""
    return {"displacement": displacements(clips), "frame_change": frame_changes(clips)}


# ---------------------------------------------------------------------- metrics
@dataclass(frozen=True)
class VideoMetric:
    """One name ``metrics.names`` may list for video data: the measures it reads, what computes it from them, what
    its values are called and which way is better.

    ``compute(real, generated)`` gets the :data:`Measures` of the real and of the generated clips (any numbers of
    clips, each at least 2) holding at least what ``measures`` give, and returns one float per entry of ``values``
    (a float for one, a tuple for several), logged as ``val/<value>``.
    """

    compute: Callable[[Measures, Measures], float | tuple[float, ...]]
    values: tuple[str, ...]
    best: tuple[str, str]
    """The value ``metrics.keep_best`` follows when this metric is listed first, and ``min`` or ``max``."""
    measures: tuple[str, ...]
    """Names in :data:`CLIP_MEASURES`."""


VIDEO_METRICS: dict[str, VideoMetric] = {}
"""What ``metrics.names`` may list for video data, name -> :class:`VideoMetric`."""
register_video_metric = registrar(VIDEO_METRICS, "video metric")


def consistent_share(frame_classes: Tensor) -> float:
    """The share of clips whose frames all get the same classes (the classifier's argmax of each digit view;
    ``(N, T, digits)`` or ``(N, T)``) as their first frame."""
    return float((frame_classes == frame_classes[:, :1]).flatten(1).all(dim=1).float().mean())


def frozen_share(real_changes: Tensor, changes: Tensor) -> float:
    """The share of ``changes`` (per-clip mean frame changes) below :data:`FROZEN_FRACTION` of the real median."""
    return float((changes < FROZEN_FRACTION * real_changes.median()).float().mean())


def _motion_scores(real: Measures, generated: Measures) -> tuple[float, float, float]:
    real_mean = float(real["displacement"].mean())
    if real_mean == 0:
        raise SampleQualityError("motion: the real clips do not move (their centres of mass stay put)")
    return (
        float(generated["displacement"].mean()) / real_mean,
        wasserstein_1d(real["displacement"], generated["displacement"]),
        frozen_share(real["frame_change"], generated["frame_change"]),
    )


register_video_metric("frame_fd")(
    VideoMetric(
        lambda real, generated: frechet_distance(
            real["frame_features"].flatten(0, 1), generated["frame_features"].flatten(0, 1)
        ),
        values=("frame_fd",),
        best=("frame_fd", "min"),
        measures=("digits",),
    )
)
register_video_metric("clip_fd")(
    VideoMetric(
        lambda real, generated: frechet_distance(real["clip_features"], generated["clip_features"]),
        values=("clip_fd",),
        best=("clip_fd", "min"),
        measures=("clip_features",),
    )
)
register_video_metric("content_consistency")(
    VideoMetric(
        lambda real, generated: (
            consistent_share(generated["frame_classes"]),
            consistent_share(real["frame_classes"]),
        ),
        values=("content_consistency", "content_consistency_real"),
        best=("content_consistency", "max"),
        measures=("digits",),
    )
)
register_video_metric("motion")(
    VideoMetric(
        _motion_scores,
        values=("motion_ratio", "motion_w1", "frozen"),
        best=("motion_w1", "min"),
        measures=("motion",),
    )
)


# ---------------------------------------------------------------------- the evaluator
class VideoQuality:
    """Scores ``names`` (of :data:`VIDEO_METRICS`) of generated clips against the fixed ``real`` clips.

    Args:
        real: ``uint8`` clips ``(N, T, C, H, W)`` (all of them are used; pick the subset before).
        batch_size: clips measured at once.
    """

    def __init__(
        self, names: Sequence[str], real: Tensor, instruments: VideoInstruments, batch_size: int = 200
    ) -> None:
        unknown = sorted(set(names) - set(VIDEO_METRICS))
        if unknown:
            raise SampleQualityError(f"unknown video metrics {unknown}; registered: {', '.join(VIDEO_METRICS)}")
        self.names = list(dict.fromkeys(names))
        self.real = real
        self.instruments = instruments
        self.batch_size = batch_size
        self.measure_names = list(dict.fromkeys(m for name in self.names for m in VIDEO_METRICS[name].measures))
        self._real_measures: Measures | None = None

    @property
    def num_real(self) -> int:
        return len(self.real)

    def measure(self, clips: Callable[[range], Tensor], num: int, device: torch.device) -> Measures:
        """The measures every listed metric reads of ``clips(indices)`` (float clips in [0, 1]), ``batch_size``
        clips at a time on ``device``; the results are gathered on the CPU."""
        parts: dict[str, list[Tensor]] = {}
        with torch.no_grad(), torch.autocast(device.type, enabled=False):
            for start in range(0, num, self.batch_size):
                batch = clips(range(start, min(start + self.batch_size, num))).to(device).float()
                for name in self.measure_names:
                    for key, value in CLIP_MEASURES[name](batch, self.instruments).items():
                        parts.setdefault(key, []).append(value.cpu())
        return {key: torch.cat(values) for key, values in parts.items()}

    def real_measures(self, device: torch.device) -> Measures:
        """The real clips' measures, computed on the first call (building the instruments they need)."""
        if self._real_measures is None:
            real = self.real
            self._real_measures = self.measure(lambda i: real[i.start : i.stop].float() / 255, len(real), device)
        return self._real_measures

    def check(self, num_generated: int, device: torch.device) -> None:
        """Check the counts and measure the real clips now, so a missing classifier or an untrainable evaluator
        surfaces (and the evaluator is trained) before a run starts."""
        if min(self.num_real, num_generated) < 2:
            raise SampleQualityError(
                f"video metrics need at least 2 real and 2 generated clips; got {self.num_real} and {num_generated}"
            )
        self.real_measures(device)

    def evaluate(
        self, generate: Callable[[range], Tensor], num_generated: int, device: torch.device
    ) -> dict[str, float]:
        """The values of :attr:`names` of ``num_generated`` clips from ``generate(indices)`` (in [0, 1]).

        Runs with the global RNG forked, so neither a measure nor a metric can move the training run's random state.
        """
        with torch.random.fork_rng(devices=[]):
            real = self.real_measures(device)
            generated = self.measure(generate, num_generated, device)
            values: dict[str, float] = {}
            for name in self.names:
                metric = VIDEO_METRICS[name]
                values.update(named_values(metric.values, metric.compute(real, generated)))
        return values

    def details(self) -> dict[str, object]:
        """What the values were computed on: the real clips' count and the clip evaluator's accuracies, if built."""
        return {"num_real": self.num_real, **self.instruments.details()}
