"""FID and friends every N generator steps and at the end of training (``metrics.*`` in the config)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import lightning as L
import torch
from omegaconf import OmegaConf
from torch import Tensor
from torch.utils.data import Subset

from gan_lightning.callbacks.metric_logging import PeriodicEvaluation, log_evaluation
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import GANDataModule
from gan_lightning.metrics.extractors import build_extractor, metric_prefix
from gan_lightning.metrics.real_cache import RealFeatureCache
from gan_lightning.metrics.sample_quality import INTRA_CLASS_FID, METRICS, RealImages, SampleQuality

LOADER_ONLY_KEYS = ("device", "num_workers", "pin_memory", "persistent_workers")
"""Data options that change how images are served, not which pixels they have (left out of the cache key)."""
REAL_SUBSET_SEED = 0


def real_subset(images: RealImages, num: int) -> RealImages:
    """All images when there are at most ``num``, else a fixed seeded subset (folders are often sorted by class)."""
    if len(images) <= num:
        return images
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(REAL_SUBSET_SEED))[:num]
    if isinstance(images, Tensor):
        return images[order.to(images.device)]
    return Subset(images, order.tolist())


def feature_metrics(names: list[str]) -> list[str]:
    """The entries of ``metrics.names`` computed on extractor features (``fid``, ``kid``, ..., ``intra_fid``)."""
    return [name for name in names if name in METRICS or name == INTRA_CLASS_FID]


def build_sample_quality(config: ExperimentConfig, datamodule: GANDataModule) -> SampleQuality:
    """The evaluator for ``config.metrics``: loads the extractor and the real images now (errors surface early)."""
    cfg = config.metrics
    real = real_subset(datamodule.evaluation_images(cfg.real_split), cfg.num_real)
    names = feature_metrics(list(cfg.names))
    real_labels = None
    if INTRA_CLASS_FID in names:
        real_labels = real_subset(datamodule.evaluation_labels(cfg.real_split), cfg.num_real)
    data_identity = {
        k: v for k, v in OmegaConf.to_container(OmegaConf.structured(config.data)).items() if k not in LOADER_ONLY_KEYS
    }
    data_identity["data_dir"] = os.path.abspath(os.path.expanduser(config.data.data_dir))
    identity = {
        "data": data_identity,
        "value_range": getattr(datamodule, "value_range", None),
        "split": cfg.real_split,
        "subset_seed": REAL_SUBSET_SEED,
    }
    evaluator = SampleQuality(
        names,
        build_extractor(cfg),
        real,
        identity,
        cache=RealFeatureCache(Path(cfg.cache_dir).expanduser() / "real_features"),
        batch_size=cfg.batch_size,
        kid_subsets=cfg.kid_subsets,
        kid_subset_size=cfg.kid_subset_size,
        pr_k=cfg.pr_k,
        seed=config.seed,
        real_labels=real_labels,
    )
    evaluator.check(cfg.num_generated)
    return evaluator


def generated_images(module: L.LightningModule, num: int, seed: int, use_ema: bool = True) -> Callable[[range], Tensor]:
    """``indices -> samples in data space`` (images in [0, 1]) from one fixed draw of ``num`` latents (the same
    on every rank and call), conditioned on what the run's conditioning asks evaluation for
    (:meth:`Conditioning.evaluation_conditions`: for a class-conditional generator, its classes)."""
    noise = torch.randn((num, module.latent_size), generator=torch.Generator().manual_seed(seed))
    conditions = module.conditioning.evaluation_conditions(num, seed)

    def generate(indices: range) -> Tensor:
        chunk = noise[indices.start : indices.stop]
        condition = None if conditions is None else conditions[indices.start : indices.stop]
        samples = module.sample(noise=chunk, condition=condition, batch_size=len(chunk), use_ema=use_ema)
        return module.to_data_space(samples)

    return generate


class SampleQualityMetrics(PeriodicEvaluation):
    """Logs ``<prefix><metric>`` (e.g. ``val/fid``) on ``num_generated`` EMA samples every ``every`` steps / at the end.

    Every evaluation uses the same latents (drawn from ``seed``, not the training RNG), so successive
    values differ only because the generator changed.
    """

    def __init__(self, evaluator: SampleQuality, every: int, num_generated: int, prefix: str, seed: int) -> None:
        super().__init__(every)
        self.evaluator = evaluator
        self.num_generated = num_generated
        self.prefix = prefix
        self.seed = seed

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        self.evaluator.extractor.to(pl_module.device)

    def evaluate(self, pl_module: L.LightningModule) -> dict[str, float]:
        generate = generated_images(pl_module, self.num_generated, self.seed)
        labels = pl_module.conditioning.evaluation_conditions(self.num_generated, self.seed)
        values = self.evaluator.evaluate(generate, self.num_generated, pl_module.device, labels)
        return {f"{self.prefix}{name}": value for name, value in values.items()}

    def evaluate_and_log(self, trainer: L.Trainer, pl_module: L.LightningModule, step: int) -> None:
        log_evaluation(trainer, self.evaluate(pl_module), step)


def sample_quality_callbacks(config: ExperimentConfig, datamodule: GANDataModule) -> list[L.Callback]:
    """The feature-metrics callback for ``config.metrics`` when it lists any."""
    cfg = config.metrics
    if not feature_metrics(list(cfg.names)):
        return []
    evaluator = build_sample_quality(config, datamodule)
    return [SampleQualityMetrics(evaluator, cfg.every, cfg.num_generated, metric_prefix(cfg.extractor), config.seed)]
