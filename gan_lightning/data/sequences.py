"""Time series held in memory as one float tensor ``(N, T, C)``: the base of the sequence datasets.

The networks see every feature min-max scaled to the generator's output range (TimeGAN scales its
inputs the same way); :meth:`SequenceDataModule.to_data_space` undoes it with the training set's
per-feature minimum and maximum, which the run's kind keeps (:class:`gan_lightning.kinds.sequences.SequencesKind`)
so a checkpoint maps samples back to data units without the dataset.

The TimeGAN scores (:mod:`gan_lightning.metrics.timegan_scores`) work on sequences in [0, 1], as
TimeGAN computes them: :meth:`SequenceDataModule.to_score_space` min-max normalizes a real series;
the sines are already in [0, 1] and are scored as they are, like in TimeGAN's code.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence

import torch
from torch import Tensor

from gan_lightning.data.base import InMemoryDataModule

DataBounds = tuple[list[float], list[float]]
"""Per-feature (minimum, maximum) of the training set."""


def rescale(values: Tensor, source: tuple[Tensor, Tensor], target: tuple[Tensor, Tensor]) -> Tensor:
    """Map ``values`` linearly from ``[source low, source high]`` to ``[target low, target high]`` (per feature)."""
    (src_low, src_high), (dst_low, dst_high) = source, target
    span = (src_high - src_low).clamp_min(1e-12)  # a constant feature maps to the target's low end
    return (values - src_low) / span * (dst_high - dst_low) + dst_low


def as_tensors(bounds: Sequence[Sequence[float]] | Sequence[float], like: Tensor) -> tuple[Tensor, Tensor]:
    """A (low, high) pair of numbers or per-feature lists as tensors on ``like``'s device and dtype."""
    low, high = (torch.tensor(b, dtype=like.dtype, device=like.device) for b in bounds)
    return low, high


def sequences_to_data_units(
    samples: Tensor, value_range: tuple[float, float], bounds: Sequence[Sequence[float]]
) -> Tensor:
    """Generated sequences in the generator's ``value_range`` back to data units (per-feature ``bounds``)."""
    samples = samples.float()
    return rescale(samples, as_tensors(value_range, samples), as_tensors(bounds, samples))


class SequenceDataModule(InMemoryDataModule):
    """A set of equal-length multivariate sequences in data units, batched like any in-memory set.

    Subclasses implement :meth:`load_sequences` (``float32`` ``(N, T, C)`` in data units) and
    :attr:`data_shape`.
    """

    kind_name = "sequences"
    splits = ("train",)
    score_in_data_units = False
    """True where the data already lie in [0, 1] and TimeGAN scores them unnormalized (the sines)."""

    def __init__(self, batch_size: int, seed: int, value_range: tuple[float, float]) -> None:
        super().__init__(batch_size, seed)
        self.value_range = value_range
        self._bounds: DataBounds | None = None
        self._model_space: tuple[Tensor, Tensor, Tensor, Tensor] | None = None

    @abstractmethod
    def load_sequences(self) -> Tensor:
        """The training sequences in data units, ``float32`` ``(N, T, C)``."""

    def load(self) -> Tensor:
        sequences = self.load_sequences()
        flat = sequences.reshape(-1, sequences.shape[-1])
        self._bounds = (flat.amin(dim=0).tolist(), flat.amax(dim=0).tolist())
        return sequences

    @property
    def data_bounds(self) -> DataBounds:
        """Per-feature minimum and maximum of the training set, in data units."""
        self.data  # noqa: B018 - loads the set (and its bounds) on first use
        assert self._bounds is not None
        return self._bounds

    def to_model_space(self, batch: Tensor) -> Tensor:
        # The bound tensors are made once per device: this runs on every training batch.
        if self._model_space is None or self._model_space[0].device != batch.device:
            self._model_space = (*as_tensors(self.data_bounds, batch), *as_tensors(self.value_range, batch))
        low, high, range_low, range_high = self._model_space
        return rescale(batch, (low, high), (range_low, range_high))

    def to_data_space(self, samples: Tensor) -> Tensor:
        return sequences_to_data_units(samples, self.value_range, self.data_bounds)

    def to_score_space(self, sequences: Tensor) -> Tensor:
        """Sequences in data units to the [0, 1] scale the TimeGAN scores are computed on."""
        sequences = sequences.float()
        if self.score_in_data_units:
            return sequences
        return rescale(sequences, as_tensors(self.data_bounds, sequences), as_tensors((0.0, 1.0), sequences))

    def reference(self, split: str) -> Tensor:
        """The sequences TimeGAN's scores compare with (one set: ``split`` is train)."""
        return self.evaluation_sequences()

    def evaluation_sequences(self) -> Tensor:
        """The real sequences the scores compare against, in data units."""
        return self.data
