"""The progress bar counts generator steps: total = train.max_steps, resumed runs start where they left off."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import lightning as L
from helpers import REPO, tiny_config, train

from gan_lightning.callbacks.progress import GeneratorStepProgressBar
from gan_lightning.training import find_resume_point

BAR_ON = {"run.progress_bar": "true"}


class BarSpy(L.Callback):
    """Reads the bar before every step and at the end of training (after the bar's last update)."""

    def __init__(self) -> None:
        self.counts_before_step: list[int] = []
        self.final: dict[str, Any] = {}

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: Any, batch: Any, batch_idx: int) -> None:
        self.counts_before_step.append(self._bar(trainer).n)

    def on_train_end(self, trainer: L.Trainer, pl_module: Any) -> None:
        bar = self._bar(trainer)
        self.final = {"total": bar.total, "n": bar.n, "initial": bar.initial, "desc": bar.desc, "postfix": bar.postfix}

    @staticmethod
    def _bar(trainer: L.Trainer) -> Any:
        callback = trainer.progress_bar_callback
        assert isinstance(callback, GeneratorStepProgressBar)
        return callback.train_progress_bar


def test_one_bar_over_generator_steps_across_epochs(tmp_path: Path) -> None:
    # 64 points in batches of 16: an epoch is 4 steps, so 6 steps cross an epoch boundary.
    spy = BarSpy()
    config = tiny_config(tmp_path, "toy_ring", **BAR_ON, **{"data.num_samples": 64, "train.n_critic": 2})
    train(config, callbacks=[spy])
    assert spy.counts_before_step == [0, 1, 2, 3, 4, 5]  # no restart at the epoch boundary
    assert spy.final["total"] == spy.final["n"] == 6 and spy.final["initial"] == 0
    assert spy.final["desc"] == "generator steps"
    # losses and images/s after the log steps 2, 4, 6; modes from the toy metrics at steps 3 and 6
    for shown in ("d_loss=", "g_loss=", "img/s=", "modes="):
        assert shown in spy.final["postfix"]


def test_bar_starts_at_the_resumed_step_and_shows_fid(tmp_path: Path) -> None:
    run_dir = train(tiny_config(tmp_path, "quickstart", **{"train.max_steps": 4}))
    spy = BarSpy()
    longer = tiny_config(tmp_path, "quickstart", **BAR_ON, **{"train.max_steps": 6, "metrics.every": 2})
    train(longer, find_resume_point(str(run_dir)), callbacks=[spy])
    assert spy.counts_before_step == [4, 5]
    assert spy.final["initial"] == 4 and spy.final["n"] == spy.final["total"] == 6
    assert re.search(r"fid=\d", spy.final["postfix"])  # val/mnist_classifier_fid of step 6


def test_fit_prints_the_bar_and_no_unactionable_lightning_messages(tmp_path: Path) -> None:
    # log_every (5) exceeds the 4 batches of an epoch: Lightning would warn about it.
    command = [sys.executable, str(REPO / "scripts" / "fit.py"), "--config", str(REPO / "configs" / "toy_ring.yaml")]
    command += [f"run.root={tmp_path}", "data.num_samples=64", "train.batch_size=16", "train.max_steps=10"]
    command += ["train.log_every=5", "train.sample_every=5", "generator.width=8", "discriminator.width=8"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    # the total and an ETA ("elapsed<remaining"), then the losses, images/s and modes covered
    assert re.search(r"generator steps: 100%.*\| 10/10 \[\d\d:\d\d<00:00, .*d_loss=.*modes=", done.stdout)
    for message in (
        "smaller than the logging interval",
        "💡",
        "`Trainer.fit` stopped",
        "module(s) in eval mode",
        "Warning",
    ):
        assert message not in done.stderr, message
