"""FID/KID/IS/PR/class coverage under 2 gloo processes equal the single-process values on the same images."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

JOB = Path(__file__).with_name("metrics_job.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # a 2-process metric run
def test_two_processes_compute_the_single_process_values(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(JOB), str(tmp_path), str(free_port())], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    single = json.loads((tmp_path / "single.json").read_text())
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert ranks[0] == ranks[1]  # every rank gets the global value
    for evaluation in range(2):
        for name, value in single[evaluation].items():
            if name == "real_from_cache":
                continue
            assert ranks[0][evaluation][name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
    # First evaluation extracts and caches the real features (rank 0 writes), the second reads them.
    assert [e["real_from_cache"] for e in ranks[0]] == [0.0, 1.0]
    assert len(list((tmp_path / "cache_ddp").glob("*.pt"))) == 1
