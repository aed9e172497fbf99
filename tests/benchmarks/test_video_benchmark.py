"""``benchmark.py video``: MoCoGAN and the 3D-conv baseline over seeds, framed by real, shuffled and untrained
controls scored on the same held-out-digit clips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from helpers import REPO, script, tiny_config

from gan_lightning.benchmarks.parallel import untrained_module
from gan_lightning.benchmarks.protocol import run_seeds
from gan_lightning.benchmarks.video_protocol import VIDEO
from gan_lightning.config.loading import ConfigError
from gan_lightning.training import build_module, prepare_data

TINY = ["train.max_steps=2", "train.batch_size=8", "train.sample_every=0", "train.checkpoint_every=0",
        "generator.width=8", "discriminator.width=8", "data.num_samples=96"]  # fmt: skip


@pytest.mark.slow  # four short trainings, the clip evaluator trained once, six scorings
def test_cli_scores_both_generators_beside_the_controls_and_keeps_its_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, root = tmp_path / "video.json", tmp_path / "runs"
    arguments = ["video", "--seeds", "2", "--num", "96", "--root", str(root), "--json", str(out)]
    assert script("benchmark").main([*arguments, *TINY, f"metrics.cache_dir={tmp_path / 'cache'}"]) == 0
    printed = capsys.readouterr().out
    for row in ("| video_moving_mnist_quick (2 seeds) |", "| video3d_moving_mnist_quick (2 seeds) |", "| real_train |",
                "| real_shuffled |", "| untrained video_moving_mnist_quick |"):  # fmt: skip
        assert row in printed, row
    # the real clips' consistency stands beside the generators' (the 3D-conv baseline's is scored)
    assert " content_consistency | content_consistency_real | " in printed
    result = json.loads(out.read_text())
    runs = result["video_moving_mnist_quick"]
    assert len(runs) == 2 and runs[0]["frame_fd"] != runs[1]["frame_fd"]  # the seed reaches the run
    assert sorted(p.name for p in (root / "video_moving_mnist_quick").iterdir()) == ["seed0", "seed1"]
    controls = result["controls"]
    floor, shuffled = controls["real_train"], controls["real_shuffled"]
    # real frames in the wrong order: the per-frame distance cannot tell, the clip distance must
    assert shuffled["frame_fd"] == pytest.approx(floor["frame_fd"], rel=1e-6)
    assert shuffled["clip_fd"] > 5 * floor["clip_fd"]
    for untrained in (controls["untrained video_moving_mnist_quick"], controls["untrained video3d_moving_mnist_quick"]):
        assert untrained["frame_fd"] > 5 * floor["frame_fd"] and untrained["clip_fd"] > 5 * floor["clip_fd"]
    assert floor["frozen"] == 0 and floor["motion_ratio"] == pytest.approx(1, abs=0.15)


def test_a_config_that_is_not_video_fails_before_training(tmp_path: Path) -> None:
    """The video metrics declare the kinds they score: the config validator refuses them for image data."""
    with pytest.raises(ConfigError, match=r"frame_fd, clip_fd, content_consistency, motion cannot score unconditional"):
        run_seeds(VIDEO, REPO / "configs" / "quickstart.yaml", 1, tmp_path)
    assert not (tmp_path / "quickstart").exists()


def test_the_untrained_control_is_the_seed_initial_weights_whatever_ran_before(tmp_path: Path) -> None:
    """Two builds of the untrained control give the same weights though the global RNG moved between them, and they
    are the weights a fresh ``torch.manual_seed(seed)`` gives: the control every benchmark prints is reproducible."""
    config = tiny_config(tmp_path, "video3d_moving_mnist_quick", **{"data.num_samples": 16})
    datamodule = prepare_data(config)
    first = untrained_module(config, datamodule).state_dict()
    torch.rand(1000)  # what a scoring or another control would draw
    second = untrained_module(config, datamodule).state_dict()
    torch.manual_seed(config.seed)
    fresh = build_module(config, datamodule).state_dict()
    torch.rand(1000)
    moved = build_module(config, datamodule).state_dict()  # the control: unseeded, the weights differ
    for name, value in first.items():
        torch.testing.assert_close(second[name], value, rtol=0, atol=0)
        torch.testing.assert_close(fresh[name], value, rtol=0, atol=0)
    assert any(not torch.equal(moved[name], value) for name, value in first.items())
