"""The streaming loader decodes in worker processes but serves the in-memory loader's exact order,
resumes mid-epoch without decoding the skipped batches, and shards ranks the same way."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import Dataset

from gan_lightning.data import ImageDataModule
from gan_lightning.data.loader import InMemoryLoader, StreamingLoader


class Numbers(Dataset[torch.Tensor]):
    """Item i is tensor([i]); records which items were decoded (in this process)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.decoded: list[int] = []

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> torch.Tensor:
        self.decoded.append(index)
        return torch.tensor([index])


def _epoch(loader: StreamingLoader | InMemoryLoader, epoch: int) -> list[list[int]]:
    loader.sampler.set_epoch(epoch)
    return [batch.flatten().tolist() for batch in loader]


@pytest.mark.parametrize("num_workers", [0, 2])
def test_same_order_as_the_in_memory_loader(num_workers: int) -> None:
    streaming = StreamingLoader(Numbers(30), 4, seed=7, num_workers=num_workers, persistent_workers=True)
    in_memory = InMemoryLoader(torch.arange(30).unsqueeze(1), 4, seed=7)
    assert len(streaming) == len(in_memory) == 7
    for epoch in (0, 1):
        assert _epoch(streaming, epoch) == _epoch(in_memory, epoch)


def test_resume_mid_epoch_skips_without_decoding() -> None:
    reference = _epoch(StreamingLoader(Numbers(40), 4, seed=3), 2)
    loader = StreamingLoader(Numbers(40), 4, seed=3)
    loader.sampler.set_epoch(2)
    iterator = iter(loader)
    consumed = [next(iterator).flatten().tolist() for _ in range(3)]
    state = loader.state_dict()
    assert state == {"epoch": 2, "batches_served": 3}

    dataset = Numbers(40)
    restored = StreamingLoader(dataset, 4, seed=3)
    restored.load_state_dict(state)
    restored.sampler.set_epoch(2)  # what Lightning does before iterating
    rest = [batch.flatten().tolist() for batch in restored]
    assert consumed + rest == reference
    assert sorted(dataset.decoded) == sorted(i for batch in rest for i in batch)
    assert len(_epoch(restored, 3)) == len(reference)  # the next epoch starts from its beginning


def test_ranks_split_the_global_batch() -> None:
    whole = _epoch(StreamingLoader(Numbers(64), 8, seed=5), 0)
    rank0 = _epoch(StreamingLoader(Numbers(64), 4, seed=5, rank=0, world_size=2), 0)
    rank1 = _epoch(StreamingLoader(Numbers(64), 4, seed=5, rank=1, world_size=2), 0)
    assert whole == [a + b for a, b in zip(rank0, rank1, strict=True)]


class Blank(ImageDataModule):
    data_shape = (1, 2, 2)

    def load(self) -> torch.Tensor:
        return torch.zeros(8, 1, 2, 2, dtype=torch.uint8)


def test_in_memory_device_option_stays_on_cpu_without_an_accelerator() -> None:
    dm = Blank(4, 0, (-1.0, 1.0), device="auto")
    assert next(iter(dm.train_dataloader())).device.type == "cpu"
    with pytest.raises(ValueError, match=r"'data\.device'"):
        Blank(4, 0, (-1.0, 1.0), device="tpu")
