"""Image-translation metrics of a paired run (``metrics.names``) every N generator steps and at the end.

Every evaluation translates the same real inputs of ``metrics.real_split`` (``metrics.num_real`` pairs, a seeded
subset when there are more) with the EMA generator and compares each output with its target: L1, PSNR, SSIM and
class preservation (:mod:`gan_lightning.metrics.translation`), and the feature metrics (``fid``, ``kid``, ``pr``) of
the outputs against the targets. Every rank translates all pairs (the outputs are the same on every rank) and
computes the same values; the feature metrics are synced as in :mod:`.sample_quality`.
"""

from __future__ import annotations

from dataclasses import dataclass

import lightning as L
import torch
from torch import Tensor

from gan_lightning.callbacks.metric_logging import PeriodicEvaluation, log_evaluation
from gan_lightning.callbacks.sample_quality import build_sample_quality, feature_metrics, real_subset
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import GANDataModule
from gan_lightning.kinds import DataKind
from gan_lightning.metrics.classifier import DigitClassifier, dataset_classifier
from gan_lightning.metrics.extractors import metric_prefix
from gan_lightning.metrics.sample_quality import SampleQuality
from gan_lightning.metrics.translation import TRANSLATION_SCORES, translation_scores


@dataclass
class TranslationEvaluation:
    """The evaluation pairs and what scores them; :meth:`evaluate` works on any module of the run."""

    names: list[str]
    inputs: Tensor
    """Inputs in the networks' value range, ``(N, C, H, W)``."""
    targets: Tensor
    """Targets in [0, 1]."""
    features: SampleQuality | None
    classifier: DigitClassifier | None
    prefix: str
    """Logged-name prefix of the feature metrics (``val/`` or ``val/<extractor>_``)."""
    mode: str = "eval"
    """``metrics.translation_mode``: how the generator runs (eval, or pix2pix's test-time train mode)."""
    batch_size: int = 200
    """Pairs per generator pass (in train mode, the batch whose statistics BatchNorm uses)."""

    def translate(self, module: L.LightningModule, use_ema: bool = True) -> Tensor:
        """The outputs for :attr:`inputs`, in [0, 1]."""
        outputs = module.sample(condition=self.inputs, use_ema=use_ema, batch_size=self.batch_size, mode=self.mode)
        return module.to_data_space(outputs).cpu()

    def score(self, outputs: Tensor, device: torch.device) -> dict[str, float]:
        """Every requested metric of ``outputs`` (in [0, 1], one per input) against the targets."""
        values = translation_scores(
            [n for n in self.names if n in TRANSLATION_SCORES], outputs, self.targets, self.classifier
        )
        values = {f"val/{name}": value for name, value in values.items()}
        if self.features is not None:
            self.features.extractor.to(device)
            computed = self.features.evaluate(lambda i: outputs[i.start : i.stop].to(device), len(outputs), device)
            values.update({f"{self.prefix}{name}": value for name, value in computed.items()})
        return values


def build_translation_evaluation(config: ExperimentConfig, datamodule: GANDataModule) -> TranslationEvaluation:
    """Loads the pairs, the extractor and the classifier now, so what is missing fails before training."""
    cfg = config.metrics
    split = cfg.real_split
    inputs = real_subset(datamodule.evaluation_inputs(split), cfg.num_real)  # the same seeded subset as the targets
    targets = real_subset(datamodule.evaluation_images(split), cfg.num_real)
    assert isinstance(inputs, Tensor) and isinstance(targets, Tensor)
    needing = [name for name in cfg.names if name in TRANSLATION_SCORES and TRANSLATION_SCORES[name].needs_classifier]
    classifier = dataset_classifier(config.data.name, cfg.classifier_weights, needing[0]) if needing else None
    features = build_sample_quality(config, datamodule) if feature_metrics(list(cfg.names)) else None
    return TranslationEvaluation(
        list(cfg.names),
        datamodule.to_model_space(inputs.clone()),
        targets.float() / 255,
        features,
        classifier,
        metric_prefix(cfg.extractor),
        cfg.translation_mode,
        cfg.batch_size,
    )


def copy_input_outputs(evaluation: TranslationEvaluation, kind: DataKind) -> Tensor:
    """The baseline that outputs its input unchanged, in [0, 1] with the targets' channels."""
    outputs = kind.to_data_space(evaluation.inputs)
    channels = evaluation.targets.shape[1]
    if outputs.shape[1] != channels:
        outputs = outputs.mean(dim=1, keepdim=True).expand(-1, channels, -1, -1)
    return outputs


class TranslationMetrics(PeriodicEvaluation):
    """Logs ``val/l1``, ``val/psnr``, ``val/ssim``, ``val/class_preservation`` and the feature metrics."""

    def __init__(self, evaluation: TranslationEvaluation, every: int) -> None:
        super().__init__(every)
        self.evaluation = evaluation

    def evaluate_and_log(self, trainer: L.Trainer, pl_module: L.LightningModule, step: int) -> None:
        outputs = self.evaluation.translate(pl_module)
        log_evaluation(trainer, self.evaluation.score(outputs, pl_module.device), step)


def translation_callbacks(config: ExperimentConfig, datamodule: GANDataModule) -> list[L.Callback]:
    """The translation-metrics callback when ``metrics.names`` lists any metric."""
    cfg = config.metrics
    if not cfg.names:
        return []
    return [TranslationMetrics(build_translation_evaluation(config, datamodule), cfg.every)]
