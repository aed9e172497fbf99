"""``scripts/gpu_check.sh`` on the CPU: every step's command runs, and a step killed by its limit still reports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from data.test_idx import write_idx
from helpers import REPO

from gan_lightning.metrics.inception import resolve_inception_weights


def _fashion_like(folder: Path) -> None:
    """Random 28-px images in the Fashion-MNIST idx layout (train and test), as the staging script lays them out."""
    rng = np.random.default_rng(0)
    folder.mkdir()
    for split, count in (("train", 512), ("t10k", 128)):
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (count, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", rng.integers(0, 10, count, dtype=np.uint8))


@pytest.mark.slow  # `python -m pytest -m slow`; minutes of subprocesses, a script rather than a guarantee
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
        "GPU_CHECK_BUDGET": "100000",  # the CPU's video step stops at step 20 on its own
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
    assert "| host_syncs | nothing to check off a GPU (set_sync_debug_mode error from step 10; " in rows[5]
    for size in ("dcgan28_b64", "dcgan64_b256"):
        for variant in ("fp32", "bf16", "bf16_cl"):
            assert any(row.startswith(f"| {size}_{variant} | template | ") for row in rows), (size, variant)
            assert any(row.startswith(f"| {size}_{variant} | hand_loop | ") for row in rows), (size, variant)
        assert f"| {size}_bf16_cl_compile | skipped: GPU_CHECK_DEVICE=cpu |" in rows
    assert rows[-2].startswith("| fid | skipped: no Inception weights staged")
    # 20 steps of the 64-px video config, scored (its clip evaluator trained into the empty stage), and its GIF
    assert rows[-1].startswith("| video64 | step 20 in ") and rows[-1].endswith("| 64 vs 64 |"), rows[-1]
    assert (out / "video64.gif").stat().st_size > 0
    assert not any("FAILED" in row for row in rows)


@pytest.mark.slow  # nine tiny runs and nine Inception FIDs on the CPU
def test_fashion_quality_alone_trains_three_seeds_per_recipe_and_averages_the_finished_ones(tmp_path: Path) -> None:
    _fashion_like(tmp_path / "fashion")
    weights = resolve_inception_weights(None, Path.home() / ".cache" / "gan_lightning")
    (tmp_path / "stage" / "inception").mkdir(parents=True)
    (tmp_path / "stage" / "inception" / "weights-inception-fid.pt").symlink_to(weights)
    out = tmp_path / "out"
    env = {
        **os.environ,
        "GPU_CHECK_DEVICE": "cpu",
        "GPU_CHECK_ONLY": "fashion_quality",
        "OUT": str(out),
        "STAGE": str(tmp_path / "stage"),
        "FASHION_DIR": str(tmp_path / "fashion"),
        "GPU_CHECK_BUDGET": "100000",  # the CPU's runs stop at step 20 on their own
    }
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "gpu_check.sh")], env=env, capture_output=True, text=True, timeout=1200
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in (out / "summary.md").read_text().splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| setup | no GPU, python ")  # and nothing else but the quality step
    assert all(row.startswith("| fashion_quality | ") for row in rows[1:]), rows
    for recipe in ("r1_decay", "r1_decay_conv", "r3gan"):
        runs = [row.split(" | ") for row in rows if row.startswith(f"| fashion_quality | {recipe} | seed ")]
        assert [run[2] for run in runs] == ["seed 0", "seed 1", "seed 2"]
        assert all(run[3].startswith("step 20 of 20 in ") and run[5] == "64 vs 64 |" for run in runs), runs
        fids = [float(run[4].removeprefix("Inception FID ")) for run in runs]
        assert len(set(fids)) == 3  # three seeds, three generators
        mean = f"| fashion_quality | {recipe} | mean of 3 seeds | Inception FID {sum(fids) / 3:.2f} +- "
        assert any(row.startswith(mean) for row in rows), (mean, rows)
    conv = out / "runs" / "dcgan_fashion_mnist" / "r1_decay_conv_s0" / "config.yaml"
    assert "output_layer: conv" in conv.read_text()
    r3gan = (out / "runs" / "dcgan_fashion_mnist" / "r3gan_s0" / "config.yaml").read_text()
    assert "arch: r3gan" in r3gan and "name: rpgan" in r3gan and "ema_half_life: 100000" in r3gan


WITHOUT_PACKAGES = """
import importlib.abc, importlib.metadata as metadata, importlib.util, runpy, sys
HIDDEN = {"wandb", "torch_fidelity", "mlxtend"}
hidden = lambda name: name.split(".")[0].replace("-", "_") in HIDDEN
class Hide(importlib.abc.MetaPathFinder):  # import fails ...
    def find_spec(self, name, path, target=None):
        if hidden(name):
            raise ModuleNotFoundError(f"No module named {name!r}")
sys.meta_path.insert(0, Hide())
find_spec, distribution = importlib.util.find_spec, metadata.distribution
importlib.util.find_spec = lambda name, package=None: None if hidden(name) else find_spec(name, package)
def no_distribution(name):  # ... and so do the availability checks of lightning and torchmetrics
    if hidden(name):
        raise metadata.PackageNotFoundError(name)
    return distribution(name)
metadata.distribution = no_distribution
metadata.version = lambda name: no_distribution(name).version
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_fit_needs_neither_wandb_nor_torch_fidelity_nor_mlxtend(tmp_path: Path) -> None:
    """What a bare GPU machine lacks: training (with the classifier FID) must not import them."""
    _fashion_like(tmp_path / "fashion")
    launcher = tmp_path / "without_packages.py"
    launcher.write_text(WITHOUT_PACKAGES)
    done = subprocess.run(
        [sys.executable, str(launcher), str(REPO / "scripts" / "fit.py"), "--config",
         str(REPO / "configs" / "dcgan_fashion_mnist.yaml"), f"data.data_dir={tmp_path / 'fashion'}",
         "data.download=false", "train.max_steps=2", "generator.width=8", "discriminator.width=8",
         "metrics.extractor=fashion_mnist_classifier", "metrics.num_generated=64", "metrics.num_real=64",
         f"metrics.cache_dir={tmp_path / 'cache'}", f"run.root={tmp_path / 'runs'}", "run.progress_bar=false"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "run finished" in done.stdout
