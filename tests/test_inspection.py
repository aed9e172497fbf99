"""Reading a run directory after the fact (gan_lightning/inspection.py, used by notebooks/inspect_run.ipynb).

The digits branch runs in tests/notebooks/test_notebooks.py; this file covers the 2D toy branch and the tables.
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import torch
from helpers import tiny_config, train

from gan_lightning.callbacks.training_curves import read_series
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.inspection import (
    changed_keys,
    checkpoints_by_step,
    metrics_table,
    mode_counts,
    newest_run,
    phase_table,
    saved_config,
)
from gan_lightning.kinds.images import ImagesKind
from gan_lightning.kinds.points import PointsKind


def test_a_toy_run_read_back(tmp_path: Path) -> None:
    run_dir = train(tiny_config(tmp_path, "toy_ring", **{"run.version": "b", "train.max_steps": 7}))
    older = tmp_path / "toy_ring" / "a"
    older.mkdir()
    shutil.copy(run_dir / "config.yaml", older)
    os.utime(older / "config.yaml", (0, 0))
    assert newest_run(tmp_path) == run_dir
    config = saved_config(run_dir)
    assert config.train.max_steps == 7 and config.data.scale == 1
    assert changed_keys(config)["train.max_steps"] == 7
    # periodic checkpoints at 3 and 6, and last.ckpt for step 7
    assert [(step, path.name) for step, path in checkpoints_by_step(run_dir)] == [
        (3, "gen_step=0000003.ckpt"),
        (6, "gen_step=0000006.ckpt"),
        (7, "last.ckpt"),
    ]
    # Known cases: the periodic checkpoints' generators made to output one point whatever the latent. The modes
    # are std 0.01 around (cos 45k deg, sin 45k deg); a sample counts when within 3 std of a centre.
    angle = 3 * math.pi / 4
    points = {3: (1.025, 0.0), 6: (1.035 * math.cos(angle), 1.035 * math.sin(angle))}  # 2.5 and 3.5 std out
    for step, path in checkpoints_by_step(run_dir)[:2]:
        _make_constant(path, points[step])
    counts = mode_counts(run_dir, num_samples=300)
    assert counts is not None and counts.steps == [3, 6, 7] and counts.counts.shape == (3, 8)
    assert counts.labels[:4] == ["(1, 0)", "(0.71, 0.71)", "(0, 1)", "(-0.71, 0.71)"]
    expected = torch.zeros(2, 8, dtype=torch.float64)
    expected[0, 0] = 300  # step 6's point is 3.5 std from (-0.71, 0.71): not counted
    torch.testing.assert_close(counts.counts[:2], expected)
    # last.ckpt is left as trained: an untrained ring generator puts (almost) nothing within 3 std of the narrow
    # modes, so all are missing
    assert len(counts.missing()) >= 7

    series = read_series(run_dir / "metrics.csv")
    table = metrics_table(series, ["toy/modes", "toy/high_quality", "not/logged"]).splitlines()
    assert table[0] == "| step | toy/modes | toy/high_quality |" and [row.split(" |")[0] for row in table[2:]] == [
        "| 3",
        "| 6",
    ]
    phases = phase_table(series, ["train/d_real", "train/d_fake"]).splitlines()
    assert phases[0] == "| steps | train/d_real | train/d_fake |" and phases[2].startswith("| 2–2 |")


def _make_constant(checkpoint: Path, point: tuple[float, float]) -> None:
    """Rewrite ``checkpoint`` so that its generator (raw and EMA) outputs ``point`` for every latent: the last
    Linear's weights zeroed and its bias set to the point (the ring config has no output activation and data.scale
    1). The last Linear is each generator's last 2-D weight in the state dict, which follows the layer order."""
    saved = torch.load(checkpoint, map_location="cpu", weights_only=False)
    state = saved["state_dict"]
    for network in ("generator.", "ema_generator."):
        weight = [key for key, value in state.items() if key.startswith(network) and value.ndim == 2][-1]
        state[weight].zero_()
        state[weight.removesuffix("weight") + "bias"].copy_(torch.tensor(point))
    torch.save(saved, checkpoint)


def test_modes_are_counted_for_toy_and_mnist_like_data_only(tmp_path: Path) -> None:
    """The kind of data says how its modes are counted: a mixture's components, a shipped classifier's classes."""
    ring = PointsKind((2,), (-1.0, 1.0), mixture="ring").mode_counter(tiny_config(tmp_path, "toy_ring"))
    assert ring is not None
    centres_and_far = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [5.0, 5.0]])
    assert ring.count(centres_and_far).tolist() == [2, 0, 1, 0, 0, 0, 0, 0]
    assert PointsKind((2,), (-1.0, 1.0), mixture=None).mode_counter(tiny_config(tmp_path, "toy_ring")) is None
    images = ImagesKind((1, 28, 28), (-1.0, 1.0))
    digits = images.mode_counter(tiny_config(tmp_path, "quickstart"))
    assert digits is not None and digits.labels == [str(d) for d in range(10)]
    assert int(digits.count(torch.rand(5, 1, 28, 28)).sum()) == 5
    cifar = ExperimentConfig()  # not validated: the data need not be here, as in the notebook
    cifar.data.name = "cifar10"
    assert images.mode_counter(cifar) is None
