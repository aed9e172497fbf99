"""``scripts/gpu_check.sh`` on the CPU: every step's command runs, and a step killed by its limit still reports."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
from data.test_idx import write_idx
from helpers import REPO


def _fashion_like(folder: Path) -> None:
    """Random 28-px images in the Fashion-MNIST idx layout (train and test), as the staging script lays them out."""
    rng = np.random.default_rng(0)
    folder.mkdir()
    for split, count in (("train", 512), ("t10k", 128)):
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (count, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", rng.integers(0, 10, count, dtype=np.uint8))


def test_every_step_reports_and_a_killed_step_leaves_a_timeout_line(tmp_path: Path) -> None:
    _fashion_like(tmp_path / "fashion")
    out = tmp_path / "out"
    env = {
        **os.environ,
        "GPU_CHECK_DEVICE": "cpu",
        "OUT": str(out),
        "STAGE": str(tmp_path / "stage"),  # nothing staged: no Inception weights, so no FID step
        "FASHION_DIR": str(tmp_path / "fashion"),
        "GPU_CHECK_LIMITS": "precision_bf16-mixed=1",
    }
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "gpu_check.sh")], env=env, capture_output=True, text=True, timeout=1200
    )
    assert done.returncode == 0, done.stderr
    lines = (out / "summary.md").read_text().splitlines()
    rows = [line for line in lines if line.startswith("| ")]
    assert rows[0].startswith("| setup | no GPU, python ")
    assert rows[1].startswith("| precision 32-true | step 2 |") and rows[1].endswith("| finite True |")
    assert rows[2] == "| precision_bf16-mixed | TIMEOUT: killed after 1 s, see precision_bf16-mixed.log |"
    assert rows[3].startswith("| precision 16-mixed | step 2 |") and rows[3].endswith("| finite True |")
    for size in ("dcgan28_b64", "dcgan64_b256"):
        for variant in ("fp32", "bf16", "bf16_cl"):
            assert any(row.startswith(f"| {size}_{variant} | template | ") for row in rows), (size, variant)
            assert any(row.startswith(f"| {size}_{variant} | hand_loop | ") for row in rows), (size, variant)
        assert f"| {size}_bf16_cl_compile | skipped: GPU_CHECK_DEVICE=cpu |" in rows
    assert rows[-1].startswith("| fid | skipped: no Inception weights staged")
    assert not any("FAILED" in row for row in rows)
