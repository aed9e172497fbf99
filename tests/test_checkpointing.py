"""Checkpoint writes are atomic: an interrupted write never corrupts the previous file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from gan_lightning.checkpointing import AtomicCheckpointIO, CheckpointLoadError, load_module, read_checkpoint


def test_failed_write_leaves_previous_checkpoint_and_no_temporary(tmp_path: Path, monkeypatch) -> None:
    io = AtomicCheckpointIO()
    target = tmp_path / "last.ckpt"
    io.save_checkpoint({"step": 1, "weights": torch.ones(4)}, target)

    def dies_halfway(obj: object, stream, *args, **kwargs) -> None:
        stream.write(b"PK\x03\x04 partial bytes")  # what a killed torch.save leaves behind
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", dies_halfway)
    with pytest.raises(KeyboardInterrupt):
        io.save_checkpoint({"step": 2, "weights": torch.zeros(4)}, target)
    monkeypatch.undo()
    assert torch.load(target, weights_only=True)["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["last.ckpt"]


WRITER = textwrap.dedent(
    """
    import sys, torch
    from gan_lightning.checkpointing import AtomicCheckpointIO
    io, target = AtomicCheckpointIO(), sys.argv[1]
    big = torch.arange(4_000_000, dtype=torch.float32)  # 16 MB: each write takes long enough to be killed midway
    io.save_checkpoint({"step": 0, "weights": big}, target)
    print("ready", flush=True)
    step = 0
    while True:
        step += 1
        io.save_checkpoint({"step": step, "weights": big + step}, target)
    """
)


@pytest.mark.parametrize("delay", [0.05, 0.2, 0.5])
def test_sigkill_during_writes_never_corrupts_the_checkpoint(tmp_path: Path, delay: float) -> None:
    target = tmp_path / "last.ckpt"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    time.sleep(delay)
    writer.kill()
    writer.wait()
    state = torch.load(target, weights_only=True)
    assert torch.equal(state["weights"], torch.arange(4_000_000, dtype=torch.float32) + state["step"])


def test_unreadable_checkpoints_raise_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointLoadError, match="checkpoint not found"):
        read_checkpoint(tmp_path / "missing.ckpt")
    corrupt = tmp_path / "corrupt.ckpt"
    corrupt.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointLoadError, match=r"cannot read checkpoint .*corrupt.ckpt"):
        read_checkpoint(corrupt)
    with pytest.raises(CheckpointLoadError, match=r"cannot read checkpoint .*corrupt.ckpt"):
        load_module(corrupt)
