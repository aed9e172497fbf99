"""The progress bar counts generator steps: total = train.max_steps, resumed runs start where they left off."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import lightning as L
import pytest
from helpers import tiny_config, train

from gan_lightning.callbacks.progress import GeneratorStepProgressBar
from gan_lightning.training import find_resume_point, quiet_lightning

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


def test_bar_starts_at_the_resumed_step(tmp_path: Path) -> None:
    run_dir = train(tiny_config(tmp_path, "toy_ring", **{"train.max_steps": 4}))
    spy = BarSpy()
    train(tiny_config(tmp_path, "toy_ring", **BAR_ON), find_resume_point(str(run_dir)), callbacks=[spy])
    assert spy.counts_before_step == [4, 5]
    assert spy.final["initial"] == 4 and spy.final["n"] == spy.final["total"] == 6


def test_lightning_messages_a_newcomer_cannot_act_on_are_hidden(
    tmp_path: Path, recwarn: pytest.WarningsRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    quiet_lightning()  # done when training.py is imported; pytest restores the warning filters for every test
    lightning_log = logging.getLogger("lightning.pytorch")  # it does not propagate to the root logger
    lightning_log.addHandler(caplog.handler)
    try:
        # 64 points in batches of 16 make 4 batches per epoch, fewer than log_every: Lightning warns about that;
        # and about its model summary's size estimate under mixed precision (the summary is asked for here).
        extra = {"data.num_samples": 64, "train.log_every": 5, "trainer.precision": "bf16-mixed"}
        extra["run.model_summary"] = "true"
        train(tiny_config(tmp_path, "toy_ring", **extra))
    finally:
        lightning_log.removeHandler(caplog.handler)
    assert any("Trainable params" in message for message in caplog.messages)  # what was asked for still comes
    shown = [str(w.message) for w in recwarn] + caplog.messages
    hidden_messages = ["smaller than the logging interval", "Tip:", "`Trainer.fit` stopped", "in eval mode at the"]
    hidden_messages += ["GPU available", "TPU available"]
    for hidden in [*hidden_messages, "not supported by the model summary"]:
        assert not [message for message in shown if hidden in message], hidden
