"""Checkpoint writes are atomic: an interrupted write never corrupts the previous file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

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


OLD_FORMS = {
    # hyperparameters as checkpoints written before kinds of data existed saved them, and the config they ran
    "points": ("toy_ring", {"data_shape": [2], "data_bounds": None, "class_counts": None, "condition_shape": None}),
    "images": (
        "quickstart",
        {"data_shape": [1, 28, 28], "data_bounds": None, "class_counts": None, "condition_shape": None},
    ),
    "sequences": (
        "rnn_sines",
        {"data_shape": [24, 5], "data_bounds": [[0.0] * 5, [2.0] * 5], "class_counts": None, "condition_shape": None},
    ),
    "classes": (
        "quickstart",
        {"data_shape": [1, 28, 28], "data_bounds": None, "class_counts": [3, 5, 2], "condition_shape": None},
    ),
}


@pytest.mark.parametrize("form", sorted(OLD_FORMS))
def test_checkpoints_from_before_kinds_load_and_sample_alike(tmp_path: Path, form: str) -> None:
    """A checkpoint with the old hyperparameters (data_shape, data_bounds, class_counts, condition_shape) loads as
    the kind and conditioning they meant, and its generator draws what the module that wrote it draws."""
    from helpers import tiny_config

    from gan_lightning.kinds import upgrade_hparams
    from gan_lightning.module import GANModule

    base, old = OLD_FORMS[form]
    config = tiny_config(tmp_path, base, **({"data.conditional": "true"} if form == "classes" else {}))
    hparams = {"config": OmegaConf.to_container(config, resolve=True), **old}
    module = GANModule(**upgrade_hparams(hparams))
    path = tmp_path / "old.ckpt"
    torch.save({"hyper_parameters": hparams, "state_dict": module.state_dict(), "generator_step": 0}, path)
    loaded = load_module(path)
    assert loaded.kind.name == ("images" if form == "classes" else form)
    assert loaded.conditioning.name == ("classes" if form == "classes" else "none")
    seeded = torch.Generator().manual_seed(1)
    expected = module.eval().to_data_space(module.sample(5, generator=seeded))
    torch.testing.assert_close(
        loaded.to_data_space(loaded.sample(5, generator=torch.Generator().manual_seed(1))), expected
    )
    if form == "sequences":  # data units come from the saved bounds: a sigmoid output in [0, 1] maps into [0, 2]
        assert float(expected.min()) >= 0.0 and float(expected.max()) <= 2.0 and float(expected.max()) > 1.0


def test_a_checkpoint_of_an_unknown_kind_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "odd.ckpt"
    torch.save({"hyper_parameters": {"config": {}, "kind": {"name": "holo"}}, "state_dict": {}}, path)
    with pytest.raises(CheckpointLoadError, match=r"cannot read checkpoint .*odd.ckpt: .*unknown kind of data 'holo'"):
        load_module(path)
