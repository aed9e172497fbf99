"""Two nodes x one process on loopback, started by scripts/launch_torchrun.sh as on a real cluster."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest
import torch
from test_ddp import COMMON, JOB, assert_equal_states, load_state

LAUNCHER = Path(__file__).resolve().parents[2] / "scripts" / "launch_torchrun.sh"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow  # two launchers of two processes
def test_two_nodes_on_loopback_train_one_run(tmp_path: Path) -> None:
    port = free_port()
    nodes = []
    for node_rank in (0, 1):
        env = {
            **os.environ, "NNODES": "2", "NODE_RANK": str(node_rank), "GPUS_PER_NODE": "1",
            "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "JOB_ID": "job42", "PROGRAM": str(JOB),
        }  # fmt: skip
        command = ["bash", str(LAUNCHER), str(tmp_path), *COMMON, f"run.root={tmp_path / 'runs'}"]
        nodes.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [node.communicate(timeout=600)[0] for node in nodes]
    for node, output in zip(nodes, outputs, strict=True):
        assert node.returncode == 0, output[-3000:]
    saved = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert saved["world_size"] == 2
    assert_equal_states(load_state(tmp_path, 0), load_state(tmp_path, 1))
    # both nodes agreed on one run directory, named after the launcher's job id
    assert [p.name for p in (tmp_path / "runs" / "toy_ring").iterdir()] == ["job42"]
