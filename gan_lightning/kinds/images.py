"""Images ``(C, H, W)``: grids of samples, latent walks, FID and friends on extractor features.

Stored as ``uint8`` and served in the generator's output range; :meth:`ImagesKind.to_data_space` maps generated
images back to pixel intensities in [0, 1]. Class-conditional image runs add intra-class FID, class accuracy and
CAS (``metrics.names``); image translation replaces the sample metrics with its own (see
:mod:`gan_lightning.conditioning.image`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from gan_lightning.data.base import images_to_unit_range
from gan_lightning.kinds import DataKind, ModeCounter, register_kind
from gan_lightning.metrics.classifier import CLASSIFIER_OF, load_classifier
from gan_lightning.visualization import save_image_grid

if TYPE_CHECKING:
    from gan_lightning.config.schema import ExperimentConfig


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

        save_image_grid(samples, path, nrow=columns)

    @classmethod
    def default_metric_names(cls) -> tuple[str, ...]:
        return ("fid",)

    def mode_counter(self, config: ExperimentConfig) -> ModeCounter | None:
        """The shipped classifier's predicted class, for data one of them was trained on."""

        dataset = CLASSIFIER_OF.get(config.data.name)
        if dataset is None:
            return None
        classifier = load_classifier(dataset=dataset)
        return ModeCounter(
            [str(label) for label in range(classifier.num_classes)],
            lambda images: torch.bincount(classifier(images)[1].argmax(dim=1), minlength=classifier.num_classes),
            f"the shipped {dataset} classifier's predicted class",
        )
