"""The in-memory loader: deterministic per-epoch order, exact mid-epoch resume, rank sharding."""

from __future__ import annotations

import pytest
import torch

from gan_lightning.data.loader import InMemoryLoader


def _epoch(loader: InMemoryLoader, epoch: int) -> list[torch.Tensor]:
    loader.sampler.set_epoch(epoch)
    return list(loader)


def test_every_epoch_is_a_permutation_and_epochs_differ() -> None:
    data = torch.arange(20)
    loader = InMemoryLoader(data, batch_size=4, seed=1)
    assert len(loader) == 5
    first, second = torch.cat(_epoch(loader, 0)), torch.cat(_epoch(loader, 1))
    assert sorted(first.tolist()) == list(range(20))
    assert not torch.equal(first, second)
    assert torch.equal(first, torch.cat(_epoch(InMemoryLoader(data, batch_size=4, seed=1), 0)))


def test_drop_last_partial_batch() -> None:
    loader = InMemoryLoader(torch.arange(10), batch_size=4, seed=0)
    assert [len(b) for b in _epoch(loader, 0)] == [4, 4]


def test_resume_mid_epoch_continues_with_the_same_batches() -> None:
    data = torch.arange(40)
    reference = _epoch(InMemoryLoader(data, batch_size=4, seed=3), 2)
    loader = InMemoryLoader(data, batch_size=4, seed=3)
    loader.sampler.set_epoch(2)
    iterator = iter(loader)
    consumed = [next(iterator) for _ in range(3)]
    state = loader.state_dict()
    assert state == {"epoch": 2, "batches_served": 3}

    restored = InMemoryLoader(data, batch_size=4, seed=3)
    restored.load_state_dict(state)
    restored.sampler.set_epoch(2)  # what Lightning does before iterating
    rest = list(restored)
    assert [b.tolist() for b in consumed + rest] == [b.tolist() for b in reference]
    # the following epoch starts from its beginning again
    assert len(_epoch(restored, 3)) == len(reference)


def test_a_state_taken_after_the_last_batch_points_at_the_next_epochs_start() -> None:
    """Lightning counts an epoch whose last batch was served as done and resumes at the next epoch's start; the
    loader's state must say the same, or the resumed epoch would start past its end, empty, and its batches be
    skipped."""
    data = torch.arange(20)
    reference = _epoch(InMemoryLoader(data, batch_size=4, seed=3), 3)
    loader = InMemoryLoader(data, batch_size=4, seed=3)
    _epoch(loader, 2)
    state = loader.state_dict()
    assert state == {"epoch": 3, "batches_served": 0}

    restored = InMemoryLoader(data, batch_size=4, seed=3)
    restored.load_state_dict(state)
    restored.sampler.set_epoch(3)  # the epoch Lightning resumes in
    assert [b.tolist() for b in restored] == [b.tolist() for b in reference]


def test_ranks_split_the_global_batch() -> None:
    data = torch.arange(64)
    single = _epoch(InMemoryLoader(data, batch_size=8, seed=5), 0)
    rank0 = _epoch(InMemoryLoader(data, batch_size=4, seed=5, rank=0, world_size=2), 0)
    rank1 = _epoch(InMemoryLoader(data, batch_size=4, seed=5, rank=1, world_size=2), 0)
    for whole, a, b in zip(single, rank0, rank1, strict=True):
        assert torch.equal(whole, torch.cat([a, b]))


def test_each_discriminator_update_sees_the_one_process_part_across_ranks() -> None:
    """n_critic = 3: part k of rank 0's and rank 1's batch together are part k of the one-process batch."""
    data = torch.arange(96)
    single = _epoch(InMemoryLoader(data, batch_size=12, seed=5, chunks=3), 0)
    assert torch.equal(torch.cat(single), torch.cat(_epoch(InMemoryLoader(data, batch_size=12, seed=5), 0)))
    rank0 = _epoch(InMemoryLoader(data, batch_size=6, seed=5, rank=0, world_size=2, chunks=3), 0)
    rank1 = _epoch(InMemoryLoader(data, batch_size=6, seed=5, rank=1, world_size=2, chunks=3), 0)
    for whole, a, b in zip(single, rank0, rank1, strict=True):
        for part, part0, part1 in zip(whole.split(4), a.split(2), b.split(2), strict=True):
            assert torch.equal(part, torch.cat([part0, part1]))
    with pytest.raises(ValueError, match="a batch of 6 does not split into 4 equal parts"):
        InMemoryLoader(data, batch_size=6, seed=5, chunks=4)


def test_data_on_another_device_gets_its_indices_there_once_per_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy from the CPU to a GPU waits for the GPU's queued work, so the indices must cross once per epoch, not once
    per batch. ``meta`` stands in for the GPU (a device that is not the CPU); the batches are the CPU loader's."""
    moves: list[str] = []
    to = torch.Tensor.to

    def counted(tensor: torch.Tensor, *args: object, **kwargs: object) -> torch.Tensor:
        moved = to(tensor, *args, **kwargs)
        if tensor.device.type == "cpu" and moved.device.type != "cpu":
            moves.append(str(moved.device))
        return moved

    data = torch.arange(40)
    reference = [_epoch(InMemoryLoader(data, batch_size=4, seed=5, chunks=2), epoch) for epoch in (0, 1)]
    loader = InMemoryLoader(data.to("meta"), batch_size=4, seed=5, chunks=2)
    monkeypatch.setattr(torch.Tensor, "to", counted)
    for epoch, cpu_batches in enumerate(reference):
        batches = _epoch(loader, epoch)
        assert [b.shape for b in batches] == [b.shape for b in cpu_batches] and batches[0].device.type == "meta"
    assert moves == ["meta", "meta"]  # one permutation per epoch, not one index batch per step (10 a epoch)
