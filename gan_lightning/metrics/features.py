"""The feature metrics' suite: FID, KID, Inception Score, precision/recall, class coverage and intra-class FID of
generated images, registered here and computed by :class:`~gan_lightning.metrics.sample_quality.SampleQuality` from
one pass of ``metrics.extractor`` per image (:func:`feature_metric` registers a new one)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from omegaconf import OmegaConf
from torchmetrics import Metric as TorchMetric
from torchmetrics.image.fid import FrechetInceptionDistance  # not torchmetrics.image: needs torch-fidelity there
from torchmetrics.image.inception import InceptionScore
from torchmetrics.image.kid import KernelInceptionDistance

from gan_lightning.metrics.class_coverage import ClassCoverage
from gan_lightning.metrics.distances import Precomputed
from gan_lightning.metrics.extractors import build_extractor, metric_prefix
from gan_lightning.metrics.precision_recall import ImprovedPrecisionRecall
from gan_lightning.metrics.real_cache import RealFeatureCache
from gan_lightning.metrics.sample_quality import INTRA_CLASS_FID, MetricSetup, SampleQuality, intra_class_fid
from gan_lightning.metrics.suite import (
    REAL_SUBSET_SEED,
    GeneratedSet,
    Metric,
    Scores,
    Suite,
    real_subset,
    register_metric,
)
from gan_lightning.registry import ANY

if TYPE_CHECKING:
    from gan_lightning.config.schema import ExperimentConfig
    from gan_lightning.data.base import GANDataModule


def _fid(setup: MetricSetup) -> TorchMetric:
    return FrechetInceptionDistance(feature=Precomputed(setup.width))


def _kid(setup: MetricSetup) -> TorchMetric:
    subset = min(setup.kid_subset_size, setup.num_real, setup.num_generated)
    return KernelInceptionDistance(feature=Precomputed(setup.width), subsets=setup.kid_subsets, subset_size=subset)


def _inception_score(setup: MetricSetup) -> TorchMetric:
    return InceptionScore(feature=Precomputed(setup.width), splits=setup.is_splits)


LOADER_ONLY_KEYS = ("device", "num_workers", "pin_memory", "persistent_workers")
"""Data options that change how images are served, not which pixels they have (left out of the cache key)."""


class FeatureSuite(Suite):
    """The feature metrics (``fid``, ``kid``, ``is``, ``pr``, ``classes``, ``intra_fid``) of generated images against
    ``metrics.num_real`` images of ``metrics.real_split``, on ``metrics.extractor``'s features (one pass per image).

    Distributed: each rank extracts its block of the images and torchmetrics syncs the states, so every rank gets
    the single-process value. A metric's ``compute`` builds its torchmetrics ``Metric`` from a :class:`MetricSetup`;
    ``needs`` holds ``features`` or ``logits`` (what it is updated with), and ``labels`` for ``intra_fid``.
    """

    distributed = True

    def __init__(self, names: list[str], evaluator: SampleQuality, config: ExperimentConfig) -> None:
        super().__init__(names)
        self.evaluator = evaluator
        self.extractor_name = config.metrics.extractor
        self.real_split = config.metrics.real_split

    @classmethod
    def log_prefix(cls, config: ExperimentConfig) -> str:
        return metric_prefix(config.metrics.extractor)

    @classmethod
    def build(cls, names: Sequence[str], config: ExperimentConfig, datamodule: GANDataModule, out_dir: Path) -> Suite:
        """Loads the extractor and the real images now, and checks them on two images (errors surface early)."""
        cfg = config.metrics
        real = real_subset(datamodule.evaluation_images(cfg.real_split), cfg.num_real)
        real_labels = None
        if INTRA_CLASS_FID in names:
            real_labels = real_subset(datamodule.evaluation_labels(cfg.real_split), cfg.num_real)
        data_identity = {
            k: v
            for k, v in OmegaConf.to_container(OmegaConf.structured(config.data)).items()  # type: ignore[union-attr]
            if k not in LOADER_ONLY_KEYS
        }
        data_identity["data_dir"] = os.path.abspath(os.path.expanduser(config.data.data_dir))
        identity = {
            "data": data_identity,
            "value_range": getattr(datamodule, "value_range", None),
            "split": cfg.real_split,
            "subset_seed": REAL_SUBSET_SEED,
        }
        evaluator = SampleQuality(
            list(names),
            build_extractor(cfg),
            real,  # type: ignore[arg-type]
            identity,
            cache=RealFeatureCache(Path(cfg.cache_dir).expanduser() / "real_features"),
            batch_size=cfg.batch_size,
            kid_subsets=cfg.kid_subsets,
            kid_subset_size=cfg.kid_subset_size,
            pr_k=cfg.pr_k,
            seed=config.seed,
            real_labels=real_labels,  # type: ignore[arg-type]
        )
        evaluator.check(cfg.num_generated)
        return cls(list(names), evaluator, config)

    def setup(self, device: torch.device) -> None:
        self.evaluator.extractor.to(device)

    def evaluate(self, module: Any, samples: GeneratedSet, step: int) -> Scores:
        device = module.device
        self.evaluator.extractor.to(device)
        generate = samples.generate
        return Scores(
            self.evaluator.evaluate(lambda i: generate(i).to(device), samples.num, device, samples.conditions)
        )

    def details(self) -> dict[str, object]:
        return {
            "scored_by": f"{self.extractor_name} features",
            "extractor": self.extractor_name,
            "real_split": self.real_split,
            "num_real": self.evaluator.num_real,
            "real_features_from_cache": self.evaluator.real_from_cache,
        }


IMAGES = ("images",)
SAMPLES = ("none", "classes")
"""The conditionings whose generated images are samples of the data (not translations of given inputs): the metrics
of the outputs' class logits alone (``is``, ``classes``) describe those, not a translation."""


def feature_metric(
    build: Callable[[MetricSetup], TorchMetric], values: tuple[str, ...], best: tuple[str, str], on: str = "features"
) -> Metric:
    """A feature metric of images, for :func:`~gan_lightning.metrics.suite.register_metric`.

    ``build(setup)`` makes the torchmetrics ``Metric`` (``setup``: the feature width, the numbers of real and generated
    images and the evaluation's options); ``on="features"`` updates it like torchmetrics' FID,
    ``update(real_features, real=True)`` then ``update(generated_features, real=False)``, and it scores every
    conditioning (a translation's outputs against their targets too); ``on="logits"`` gives it
    ``update(generated_class_logits)`` only, for unconditional and class-conditional runs. ``compute()`` returns one
    value per entry of ``values`` (a tensor for one, a tuple for several), logged as ``<prefix><value>``; ``best`` is
    the value ``metrics.keep_best`` follows when the metric is listed first, and ``min`` or ``max``.
    """
    conditionings = SAMPLES if on == "logits" else (ANY,)
    return Metric(FeatureSuite, build, best, values, IMAGES, conditionings, needs=(on,))


register_metric("fid")(feature_metric(_fid, ("fid",), ("fid", "min")))
register_metric("kid")(feature_metric(_kid, ("kid", "kid_std"), ("kid", "min")))
register_metric("is")(feature_metric(_inception_score, ("is", "is_std"), ("is", "max"), on="logits"))
register_metric("pr")(
    feature_metric(lambda s: ImprovedPrecisionRecall(k=s.pr_k), ("precision", "recall"), ("recall", "max"))
)
register_metric("classes")(
    feature_metric(lambda s: ClassCoverage(s.width), ("classes_covered", "class_kl"), ("class_kl", "min"), on="logits")
)
register_metric(INTRA_CLASS_FID)(
    Metric(
        FeatureSuite,
        intra_class_fid,
        (INTRA_CLASS_FID, "min"),
        (INTRA_CLASS_FID,),
        IMAGES,
        ("classes",),
        needs=("features", "labels"),
    )
)
