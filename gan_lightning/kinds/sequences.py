"""Sequences ``(T, C)``: multivariate time series, scored by TimeGAN's discriminative and predictive scores.

The networks see every feature min-max scaled to the generator's output range; :meth:`SequencesKind.to_data_space`
maps generated sequences back to data units with the training set's per-feature ``bounds``, which the checkpoint
keeps, so ``sample.py`` writes data units without the dataset.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from torch import Tensor

from gan_lightning.data.sequences import sequences_to_data_units
from gan_lightning.kinds import DataKind, register_kind, value_range
from gan_lightning.visualization import save_sequences

if TYPE_CHECKING:
    from gan_lightning.config.schema import ExperimentConfig
    from gan_lightning.data.base import GANDataModule


@register_kind("sequences")
class SequencesKind(DataKind):
    """Sequences of ``data_shape`` ``(T, C)``; ``bounds`` are the training set's per-feature (minimum, maximum)."""

    name = "sequences"
    description = "sequence data (T, C)"

    def __init__(
        self, data_shape: Sequence[int], value_range: Sequence[float], bounds: Sequence[Sequence[float]]
    ) -> None:
        super().__init__(data_shape, value_range)
        # Plain lists of floats: they are saved as hyperparameters (hparams.yaml, the checkpoint).
        self.bounds = [[float(v) for v in side] for side in bounds]

    def state(self) -> dict[str, Any]:
        return {**super().state(), "bounds": self.bounds}

    @classmethod
    def from_datamodule(cls, datamodule: GANDataModule, config: ExperimentConfig) -> SequencesKind:
        return cls(datamodule.data_shape, value_range(config), datamodule.data_bounds)  # type: ignore[attr-defined]

    def to_data_space(self, samples: Tensor) -> Tensor:

        return sequences_to_data_units(samples, self.value_range, self.bounds)

    def draw(self, samples: Tensor, path: str | Path, title: str = "", columns: int | None = None) -> None:

        save_sequences(samples, path, title)
