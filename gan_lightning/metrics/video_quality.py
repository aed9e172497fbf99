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
  every frame), beside the real clips' share. A generator that moves one sprite by whole pixels (MoCoGAN's
  ``generator.sprite`` with ``whole_pixels``) scores 1 whatever it learnt, so its runs do not compute it
  (:attr:`~gan_lightning.metrics.suite.Metric.fixed_by`): their digits are frame_fd's, their motion motion's.
* ``motion``: how far a clip's intensity centre of mass moves per frame: the generated clips' mean over the real
  clips' (``motion_ratio``), the 1-D Wasserstein distance between the two sets of per-frame displacements
  (``motion_w1``, pixels), and the share of clips that stand still (``frozen``, :data:`FROZEN_FRACTION`).

The MNIST classifier reads each frame through a window of ``digit_window`` px centred on the frame's intensity centre
of mass, resized to its 28 px (:func:`digit_views`): MNIST centres its digits by centre of mass in a 28-px box, which
a ``digit_size`` window around a moving-MNIST digit reproduces, while the whole 32-px frame shrunk to 28 px shows a
small, off-centre digit: on held-out-digit clips the classifier names 27 % of whole frames right and 96 % of windows.
``frame_fd`` therefore compares what the digits look like (every frame of a real clip gives the same view); where they
are and how they move is ``motion``'s and ``clip_fd``'s. With two digits per frame (Srivastava's setting) each frame
gets two windows, centred on the two clusters of its intensity (:func:`digit_centres`), and a clip is consistent when
the pair of digits named stays the same; where the digits overlap one window can hold both, which the real clips'
value beside shows.

Each metric reads *measures* of the clips (:data:`MEASURES`: the classifier's features and classes of every frame,
the clip evaluator's features, the centre-of-mass displacements), computed once per evaluation for every metric that
reads them, and the real clips' measures once per evaluator (:mod:`gan_lightning.metrics.measured`). A new metric on
the existing measures is one :func:`~gan_lightning.metrics.suite.register_metric` call naming :class:`VideoSuite`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from lightning.pytorch.utilities import rank_zero_info
from torch import Tensor

from gan_lightning.data.video import VideoSpace
from gan_lightning.metrics.classifier import RESOLUTION as DIGIT_RESOLUTION
from gan_lightning.metrics.classifier import DigitClassifier, dataset_classifier
from gan_lightning.metrics.clip_evaluator import BuiltEvaluator, clip_evaluator_for
from gan_lightning.metrics.distances import frechet_distance, wasserstein_1d
from gan_lightning.metrics.measured import Measure, MeasuredQuality, MeasuredSuite, Measures, ReferenceSet, Scoring
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


def _clip_features(clips: Tensor, instruments: VideoInstruments) -> Measures:
    """``clip_features (N, 128)``: the clip evaluator's penultimate features."""
    features, _, _ = instruments.clip_evaluator.model.to(clips.device)(clips)
    return {"clip_features": features}


def _motion(clips: Tensor, instruments: VideoInstruments) -> Measures:
    """``displacement (N, T - 1)`` (pixels per frame) and ``frame_change (N,)`` (:func:`frame_changes`)."""
    return {"displacement": displacements(clips), "frame_change": frame_changes(clips)}


MEASURES: dict[str, Measure] = {"digits": _digits, "clip_features": _clip_features, "motion": _motion}
"""What the video metrics read (their ``needs``, beside the reference set ``real``)."""


# ---------------------------------------------------------------------- metrics
def consistent_share(frame_classes: Tensor) -> float:
    """The share of clips whose frames all get the same classes (the classifier's argmax of each digit view;
    ``(N, T, digits)`` or ``(N, T)``) as their first frame."""
    return float((frame_classes == frame_classes[:, :1]).flatten(1).all(dim=1).float().mean())


def frozen_share(real_changes: Tensor, changes: Tensor) -> float:
    """The share of ``changes`` (per-clip mean frame changes) below :data:`FROZEN_FRACTION` of the real median."""
    return float((changes < FROZEN_FRACTION * real_changes.median()).float().mean())


def _motion_scores(sets: dict[str, Measures], scoring: Scoring) -> tuple[float, float, float]:
    real, generated = sets["real"], sets["generated"]
    real_mean = float(real["displacement"].mean())
    if real_mean == 0:
        raise MetricError("motion: the real clips do not move (their centres of mass stay put)")
    return (
        float(generated["displacement"].mean()) / real_mean,
        wasserstein_1d(real["displacement"], generated["displacement"]),
        frozen_share(real["frame_change"], generated["frame_change"]),
    )


# ---------------------------------------------------------------------- the suite
def build_clip_evaluator(config: ExperimentConfig, datamodule: GANDataModule, rebuild: bool = False) -> BuiltEvaluator:
    """The clip evaluator of the run's clips, from ``metrics.cache_dir`` or trained now; one line when the dataset
    renders no labelled clips to train it on."""
    options = datamodule.clip_options() if isinstance(datamodule, VideoSpace) else None
    if options is None:
        raise MetricError(
            f"clip_fd trains its evaluator on labelled clips the dataset renders; data.name={config.data.name} renders "
            "none (drop clip_fd from metrics.names)"
        )
    return clip_evaluator_for(datamodule, options, config.metrics.cache_dir, rebuild=rebuild)


class VideoSuite(MeasuredSuite):
    """The video metrics of generated clips against ``metrics.num_real`` clips of ``metrics.real_split`` (a seeded
    subset when the split has more); the networks are built when a measure first uses them.

    A metric's ``needs`` names measures of :data:`MEASURES` and the reference set ``real``; its
    ``compute(sets, scoring)`` gets their :data:`~gan_lightning.metrics.measured.Measures` and returns one float per
    value.
    """

    @classmethod
    def build(cls, names: Sequence[str], config: ExperimentConfig, datamodule: GANDataModule, out_dir: Path) -> Suite:
        cfg = config.metrics

        def clip_evaluator() -> BuiltEvaluator:
            built = build_clip_evaluator(config, datamodule)
            rank_zero_info(built.summary())
            return built

        instruments = VideoInstruments(
            lambda: dataset_classifier(
                config.data.name, cfg.classifier_weights, "the digit measure of the video metrics"
            ),
            clip_evaluator,
            datamodule.digit_window,  # type: ignore[attr-defined]
            datamodule.digits_per_frame,  # type: ignore[attr-defined]
        )
        real: Tensor = real_subset(datamodule.evaluation_images(cfg.real_split), cfg.num_real)  # type: ignore[assignment]
        references = {"real": ReferenceSet(lambda: real, lambda clips: clips.float() / 255)}
        quality = MeasuredQuality(
            names, MEASURES, references, instruments, ("video metrics", "clips"), batch_size=cfg.batch_size
        )
        return cls(names, quality, cfg.real_split)


VIDEO = ("video",)

register_metric("frame_fd")(
    Metric(
        VideoSuite,
        lambda sets, scoring: frechet_distance(
            sets["real"]["frame_features"].flatten(0, 1), sets["generated"]["frame_features"].flatten(0, 1)
        ),
        ("frame_fd", "min"),
        ("frame_fd",),
        VIDEO,
        needs=("digits", "real"),
    )
)
register_metric("clip_fd")(
    Metric(
        VideoSuite,
        lambda sets, scoring: frechet_distance(sets["real"]["clip_features"], sets["generated"]["clip_features"]),
        ("clip_fd", "min"),
        ("clip_fd",),
        VIDEO,
        needs=("clip_features", "real"),
    )
)
register_metric("content_consistency")(
    Metric(
        VideoSuite,
        lambda sets, scoring: (
            consistent_share(sets["generated"]["frame_classes"]),
            consistent_share(sets["real"]["frame_classes"]),
        ),
        ("content_consistency", "max"),
        ("content_consistency", "content_consistency_real"),
        VIDEO,
        needs=("digits", "real"),
        fixed_by="content",
    )
)
register_metric("motion")(
    Metric(
        VideoSuite,
        _motion_scores,
        ("motion_w1", "min"),
        ("motion_ratio", "motion_w1", "frozen"),
        VIDEO,
        needs=("motion", "real"),
    )
)
