"""Class accuracy and the Classification Accuracy Score of a class-conditional run (``metrics.names``)."""

from __future__ import annotations

import lightning as L
import torch
from torch import Tensor
from torch.utils.data import Dataset

from gan_lightning.callbacks.metric_logging import RankZeroEvaluation
from gan_lightning.callbacks.sample_quality import generated_images
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import GANDataModule
from gan_lightning.metrics.class_scores import CLASS_SCORES, CASSettings, ClassScores
from gan_lightning.metrics.classifier import dataset_classifier
from gan_lightning.metrics.sample_quality import SampleQualityError


def _as_tensor(images: Tensor | Dataset[Tensor]) -> Tensor:
    """Real images as one ``uint8`` tensor (a dataset of image files is decoded once)."""
    if isinstance(images, Tensor):
        return images
    return torch.stack([images[i] for i in range(len(images))])  # type: ignore[arg-type]


def build_class_scores(config: ExperimentConfig, datamodule: GANDataModule) -> ClassScores:
    """The evaluator of the class scores in ``metrics.names``; its real images and classifier load now, and
    what is missing is a one-line :class:`SampleQualityError`."""
    cfg = config.metrics
    names = [name for name in cfg.names if name in CLASS_SCORES]
    if not datamodule.conditional:
        raise SampleQualityError(f"metrics {names} score class-conditional generators; set data.conditional=true")
    needing = [name for name in names if CLASS_SCORES[name].needs_classifier]
    classifier = dataset_classifier(config.data.name, cfg.classifier_weights, needing[0]) if needing else None
    held_out = [name for name in names if CLASS_SCORES[name].held_out]
    if held_out and cfg.real_split != "test":
        raise SampleQualityError(
            f"{held_out[0]} tests its classifiers on real held-out images: set metrics.real_split=test"
        )
    counts = datamodule.class_counts()
    return ClassScores(
        names,
        classifier,
        _as_tensor(datamodule.evaluation_images(cfg.real_split)),
        datamodule.evaluation_labels(cfg.real_split),
        _as_tensor(datamodule.evaluation_images("train")),
        datamodule.evaluation_labels("train"),
        len(counts),
        CASSettings(seed=config.seed),
    )


class ClassScoreMetrics(RankZeroEvaluation):
    """Logs ``val/<value>`` of each class score in ``metrics.names`` (``val/class_accuracy`` and ``_real``,
    ``val/cas``, ``val/cas_real``, ``val/cas_ratio``) of ``num_generated`` EMA samples, the same seeded latents and
    classes as the feature metrics.

    Rank 0 computes them (CAS trains classifiers) and broadcasts the values, as the sequence scores do.
    """

    def __init__(self, evaluator: ClassScores, every: int, num_generated: int, seed: int) -> None:
        super().__init__(every)
        self.evaluator = evaluator
        self.num_generated = num_generated
        self.seed = seed

    def evaluate_on_rank_zero(self, trainer: L.Trainer, pl_module: L.LightningModule, step: int) -> dict[str, float]:
        scores = evaluate_class_scores(self.evaluator, pl_module, self.num_generated, self.seed)
        return {f"val/{name}": value for name, value in scores.items()}


def evaluate_class_scores(
    evaluator: ClassScores, module: L.LightningModule, num: int, seed: int, use_ema: bool = True
) -> dict[str, float]:
    """The scores of ``num`` samples of ``module`` from the evaluation latents and classes of ``seed``."""
    labels = module.conditioning.evaluation_conditions(num, seed)
    images = generated_images(module, num, seed, use_ema)(range(num))
    return evaluator.evaluate(images, labels)


def class_score_callbacks(config: ExperimentConfig, datamodule: GANDataModule) -> list[L.Callback]:
    """The class-score callback when ``metrics.names`` lists any class score."""
    cfg = config.metrics
    if not any(name in CLASS_SCORES for name in cfg.names):
        return []
    return [ClassScoreMetrics(build_class_scores(config, datamodule), cfg.every, cfg.num_generated, config.seed)]
