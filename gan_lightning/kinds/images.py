"""Images ``(C, H, W)``: grids of samples, latent walks, FID and friends on extractor features.

Stored as ``uint8`` and served in the generator's output range; :meth:`ImagesKind.to_data_space` maps generated
images back to pixel intensities in [0, 1]. Class-conditional image runs add intra-class FID, class accuracy and
CAS (``metrics.names``); image translation replaces the sample metrics with its own (see
:mod:`gan_lightning.conditioning.image`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import lightning as L
import torch
from torch import Tensor

from gan_lightning.data.base import images_to_unit_range
from gan_lightning.kinds import DataKind, register_kind

if TYPE_CHECKING:
    from gan_lightning.conditioning import EvaluationOptions
    from gan_lightning.config.schema import ExperimentConfig
    from gan_lightning.data.base import GANDataModule
    from gan_lightning.inspection import ModeCounter
    from gan_lightning.module import GANModule


@register_kind("images")
class ImagesKind(DataKind):
    """Images of ``data_shape`` ``(C, H, W)`` in the generator's ``value_range``."""

    name = "images"
    description = "image data (C, H, W)"
    channels_last = True
    augmentable = True
    end_pictures = True

    def to_data_space(self, samples: Tensor) -> Tensor:
        return images_to_unit_range(samples, self.value_range)

    def draw(self, samples: Tensor, path: str | Path, title: str = "", columns: int | None = None) -> None:
        from gan_lightning.visualization import save_image_grid

        save_image_grid(samples, path, nrow=columns)

    @classmethod
    def metric_names(cls) -> tuple[str, ...]:
        from gan_lightning.metrics.sample_quality import METRICS

        return tuple(METRICS)

    @classmethod
    def class_metric_names(cls) -> tuple[str, ...]:
        from gan_lightning.metrics.class_scores import CLASS_SCORES
        from gan_lightning.metrics.sample_quality import INTRA_CLASS_FID

        return (INTRA_CLASS_FID, *CLASS_SCORES)

    @classmethod
    def default_metric_names(cls) -> tuple[str, ...]:
        return ("fid",)

    @classmethod
    def metric_callbacks(cls, config: ExperimentConfig, datamodule: GANDataModule, run_dir: Path) -> list[L.Callback]:
        from gan_lightning.callbacks.sample_quality import sample_quality_callbacks

        return sample_quality_callbacks(config, datamodule)

    @classmethod
    def evaluate(
        cls, module: GANModule, config: ExperimentConfig, datamodule: GANDataModule, options: EvaluationOptions
    ) -> tuple[dict[str, float], dict[str, object]]:
        """The feature metrics (``fid``, ``kid``, ``is``, ``pr``, ``classes``, ``intra_fid``) of the seeded
        evaluation samples, the same the training callback scores."""
        from gan_lightning.callbacks.sample_quality import build_sample_quality, feature_metrics, generated_images

        cfg = config.metrics
        values: dict[str, float] = {}
        details: dict[str, object] = {"extractor": cfg.extractor, "real_split": cfg.real_split}
        if feature_metrics(list(cfg.names)):
            num, use_ema = cfg.num_generated, not options.no_ema
            evaluator = build_sample_quality(config, datamodule)
            evaluator.extractor.to(module.device)
            labels = module.conditioning.evaluation_conditions(num, config.seed)
            values.update(
                evaluator.evaluate(generated_images(module, num, config.seed, use_ema), num, module.device, labels)
            )
            details.update(num_real=evaluator.num_real, real_features_from_cache=evaluator.real_from_cache)
        return values, details

    def mode_counter(self, config: ExperimentConfig) -> ModeCounter | None:
        """The shipped classifier's predicted class, for data one of them was trained on."""
        from gan_lightning.inspection import ModeCounter
        from gan_lightning.metrics.classifier import CLASSIFIER_OF, load_classifier

        dataset = CLASSIFIER_OF.get(config.data.name)
        if dataset is None:
            return None
        classifier = load_classifier(dataset=dataset)
        return ModeCounter(
            [str(label) for label in range(classifier.num_classes)],
            lambda images: torch.bincount(classifier(images)[1].argmax(dim=1), minlength=classifier.num_classes),
            f"the shipped {dataset} classifier's predicted class",
        )
