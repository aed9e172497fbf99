"""Resumable batch loaders: in-memory tensors and files decoded by DataLoader workers.

Datasets that fit in memory (toy 2D points, MNIST, Fashion-MNIST, CIFAR-10) are held as one tensor
and batched by random index: no per-sample Python work, no worker processes. Datasets read from
files (CelebA, image folders) are decoded by a torch ``DataLoader``'s workers, but in the same
order. Both loaders are *stateful* in Lightning's sense (``state_dict`` / ``load_state_dict``), so
a run resumed from a mid-epoch checkpoint continues with exactly the batches the uninterrupted run
would have seen.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sized
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset


class EpochShuffleSampler:
    """Per-epoch permutation derived from ``(seed, epoch)`` only.

    Lightning calls ``set_epoch`` on ``loader.sampler`` at the start of every epoch, which is
    how this sampler learns the epoch without owning any global random state.
    """

    def __init__(self, num_items: int, seed: int, rank: int = 0, world_size: int = 1, chunks: int = 1) -> None:
        self.num_items = num_items
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.chunks = chunks
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def permutation(self) -> Tensor:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        return torch.randperm(self.num_items, generator=generator)

    def num_batches(self, batch_size: int) -> int:
        return self.num_items // (batch_size * self.world_size)

    def batches(self, batch_size: int, start: int = 0, device: torch.device | str = "cpu") -> Iterator[Tensor]:
        """This rank's index batches of the epoch, from batch ``start`` on (last partial batch dropped), on
        ``device``.

        Each rank takes its slice of every global batch of the same permutation, so ranks never
        share samples and the global order matches one process with ``world_size`` times the batch.
        A batch the module splits into ``chunks`` parts (one per discriminator update) is sliced per
        part: part k of every rank together is part k of the one-process batch.

        The permutation moves to ``device`` once per epoch and the batches are slices of it there: a copy from
        the CPU to a GPU waits for the GPU to finish its queued work, so copying each batch's indices would stall
        the host once per step and leave the GPU idle while Python prepares the next one.
        """
        order = self.permutation().to(device)
        global_batch = batch_size * self.world_size
        chunk = batch_size // self.chunks
        for index in range(start, self.num_batches(batch_size)):
            first = index * global_batch
            parts = [order[first + (k * self.world_size + self.rank) * chunk :][:chunk] for k in range(self.chunks)]
            yield parts[0] if self.chunks == 1 else torch.cat(parts)


class ResumableLoader(ABC):
    """Batches in :class:`EpochShuffleSampler` order that remember how far into the epoch they got."""

    def __init__(
        self, num_items: int, batch_size: int, seed: int, rank: int = 0, world_size: int = 1, chunks: int = 1
    ) -> None:
        if num_items < batch_size * world_size:
            raise ValueError(
                f"dataset has {num_items} items, fewer than one batch of {batch_size} x {world_size} rank(s)"
            )
        if batch_size % chunks:
            raise ValueError(f"a batch of {batch_size} does not split into {chunks} equal parts")
        self.batch_size = batch_size
        self.sampler = EpochShuffleSampler(num_items, seed, rank, world_size, chunks)
        self._batches_served = 0
        self._restored_epoch: int | None = None

    @abstractmethod
    def _batches(self, start: int) -> Iterator[Any]:
        """The epoch's batches (a tensor, or ``(images, labels)``) from batch ``start`` on."""

    def __len__(self) -> int:
        return self.sampler.num_batches(self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        start = 0
        if self._restored_epoch is not None and self._restored_epoch == self.sampler.epoch:
            start = self._batches_served
        self._restored_epoch = None
        return self._counted(start)

    def _counted(self, start: int) -> Iterator[Any]:
        for index, batch in enumerate(self._batches(start), start):
            self._batches_served = index + 1
            yield batch

    def state_dict(self) -> dict[str, Any]:
        """Where the next batch comes from. A checkpoint written after an epoch's last batch points at the start of
        the next epoch, as Lightning's loop does when it restores one (it counts that epoch as done): pointing past
        the end of the finished epoch would make the resumed run's next epoch empty and skip its batches."""
        if self._batches_served >= len(self):
            return {"epoch": self.sampler.epoch + 1, "batches_served": 0}
        return {"epoch": self.sampler.epoch, "batches_served": self._batches_served}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.sampler.set_epoch(state["epoch"])
        self._batches_served = state["batches_served"]
        self._restored_epoch = state["epoch"]


class InMemoryLoader(ResumableLoader):
    """Yields ``data[indices]`` batches of ``batch_size``, or ``(data[indices], labels[indices])`` when given
    labels (class-conditional runs); both may live on the GPU."""

    def __init__(
        self,
        data: Tensor,
        batch_size: int,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
        chunks: int = 1,
        labels: Tensor | None = None,
    ) -> None:
        super().__init__(len(data), batch_size, seed, rank, world_size, chunks)
        if labels is not None and len(labels) != len(data):
            raise ValueError(f"{len(labels)} labels for {len(data)} samples")
        self.data = data
        self.labels = labels

    def _batches(self, start: int) -> Iterator[Tensor | tuple[Tensor, Tensor]]:
        for indices in self.sampler.batches(self.batch_size, start, self.data.device):
            yield self.data[indices] if self.labels is None else (self.data[indices], self.labels[indices])


class _IndexBatches:
    """The ``batch_sampler`` of :class:`StreamingLoader`'s DataLoader: read when an epoch's iterator starts.

    Holds the sampler, not the loader: a reference cycle through the DataLoader would leave its
    worker processes to be shut down by the garbage collector, which waits seconds for each.
    """

    def __init__(self, sampler: EpochShuffleSampler, batch_size: int) -> None:
        self.sampler = sampler
        self.batch_size = batch_size
        self.start = 0

    def __len__(self) -> int:
        return self.sampler.num_batches(self.batch_size) - self.start

    def __iter__(self) -> Iterator[list[int]]:
        for indices in self.sampler.batches(self.batch_size, self.start):
            yield indices.tolist()


class StreamingLoader(ResumableLoader):
    """A torch ``DataLoader`` whose workers decode ``dataset[i]`` in :class:`EpochShuffleSampler` order.

    Deliberately not a ``DataLoader`` subclass: Lightning would then swap in its own distributed
    sampler, whose order neither matches :class:`InMemoryLoader`'s nor survives a mid-epoch resume.
    Resuming skips the served batches by index, without decoding them.
    """

    def __init__(
        self,
        dataset: Dataset[Tensor],
        batch_size: int,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
        chunks: int = 1,
        *,
        num_workers: int = 0,
        pin_memory: bool = False,
        persistent_workers: bool = False,
    ) -> None:
        assert isinstance(dataset, Sized)
        super().__init__(len(dataset), batch_size, seed, rank, world_size, chunks)
        self._index_batches = _IndexBatches(self.sampler, batch_size)
        self.loader = DataLoader(
            dataset,
            batch_sampler=self._index_batches,
            num_workers=num_workers,
            pin_memory=pin_memory,
            persistent_workers=persistent_workers and num_workers > 0,
        )

    def _batches(self, start: int) -> Iterator[Any]:
        self._index_batches.start = start
        return iter(self.loader)
