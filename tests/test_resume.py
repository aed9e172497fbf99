"""A run interrupted and resumed ends with exactly the weights of the same run uninterrupted."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import lightning as L
import pytest
import torch
from helpers import PAIRED, R3GAN_NETWORKS, STFT_CRITIC, TINY_ORACLE, tiny_config, train, write_pairs

from gan_lightning.benchmarks.parallel import run_seconds
from gan_lightning.steps.clock import TRAIN_SECONDS
from gan_lightning.training import find_resume_point


class Interrupted(Exception):  # noqa: N818 - a signal, not an error
    pass


class InterruptAt(L.Callback):
    """Raise (like a kill) at the start of a given generator step, after checkpoints were written."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: Any, batch: Any, batch_idx: int) -> None:
        if pl_module.generator_step == self.step:
            raise Interrupted


def _full_state(run_dir: Path) -> dict[str, Any]:
    return torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)


def _assert_identical(a: Any, b: Any, path: str = "") -> None:
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), f"{path} differs"
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), f"{path} keys differ"
        for key in a:
            _assert_identical(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_identical(x, y, f"{path}[{index}]")


CASES = {
    # BatchNorm G (its EMA's statistics measured on its own outputs), spectral-norm D, minibatch std, two critics,
    # lazy R1, decaying LRs, mid-epoch resume.
    "dcgan": ("quickstart", {"discriminator.norm": "spectral", "discriminator.minibatch_std": "true",
                             "train.n_critic": 2, "loss.r1": 1.0, "loss.r1_interval": 2,
                             "g_optim.scheduler": "linear", "d_optim.scheduler": "cosine",
                             "train.ema_standing_batches": 2}),
    # DiffAugment with ADA: p moves every 2 steps (interrupted mid-interval), R1 through the augmentation.
    "augment": ("quickstart", {"augment.policy": "[color,translation,cutout]", "augment.ada": "true",
                               "augment.p": 0.2, "augment.ada_interval": 2, "augment.ada_kimg": 0.1,
                               "loss.r1": 1.0}),
    # Packed D, gradient penalty, EMA starting mid-run, resume across several epoch boundaries.
    "toy": ("toy_ring", {"data.num_samples": 64, "discriminator.pack": 2, "loss.name": "wasserstein",
                         "loss.gradient_penalty": 10.0, "train.ema_start": 4, "train.max_steps": 12}),
    # Interrupted after the checkpoint on an epoch's last batch (3 batches an epoch): the resumed run starts the next
    # epoch from its first batch, as the uninterrupted run does.
    "epoch_end": ("toy_ring", {"data.num_samples": 48}),
    # Class-conditional: labelled batches, conditional BN in G, ACGAN D, fake labels from the class frequencies.
    "cgan": ("quickstart", {"data.conditional": "true", "discriminator.conditioning": "acgan", "train.n_critic": 2,
                            "train.fake_labels": "data", "loss.classification": 0.5}),
    # pix2pix on paired folders: U-Net with dropout (the global RNG), PatchGAN, L1 beside the adversarial loss.
    "pix2pix": ("quickstart", {**dict(item.split("=", 1) for item in PAIRED), "data.data_dir": "{pairs}",
                               "loss.l1": 100.0}),
    # Recurrent G and bidirectional per-step D on the sines, hinge loss, R1, packing; scores at the end.
    "rnn": ("rnn_sines", {"data.num_samples": 64, "loss.name": "hinge", "loss.r1": 0.5, "discriminator.pack": 2,
                          "train.max_steps": 12}),
    # MoCoGAN on Moving MNIST: a GRU motion code, a video D and an image D on random frames (drawn from the shared
    # RNG), R1 through both views.
    "video": ("video_moving_mnist_quick", {"data.num_samples": 32, "train.batch_size": 8, "loss.r1": 1.0,
                                           "extra_discriminators.frames.width": 8}),
    # Tokens on a small oracle: MLE pretraining (its own optimizer, D's empty steps) interrupted mid-pretraining and
    # resumed across the switch to adversarial steps, Gumbel-softmax G with its temperature schedule, RSGAN (D on
    # real samples in G's step too), two D updates per step.
    "text": ("text_oracle_mle", {**TINY_ORACLE, "train.pretrain_steps": 4, "train.n_critic": 2,
                                 "generator.temperature_steps": 3}),
    # The same with RelGAN's relational memory as G's cell (its memory is state carried across steps, like the LSTM's).
    "text_rmc": ("text_oracle_mle_rmc", {**TINY_ORACLE, "train.pretrain_steps": 4, "train.n_critic": 2,
                                         "generator.temperature_steps": 3, "generator.head_size": 4}),
    # WaveGAN on a tiny spoken-digits set: phase shuffle's shifts (the shared noise RNG), a second critic on the
    # clips' STFT, WGAN-GP through both, n_critic 2.
    "audio": ("wavegan_spoken_digits_quick", {"data.data_dir": "{tmp}", "data.voices": 4, "data.test_voices": 1,
                                              "data.utterances": 1, "data.audio_length": 2048, **STFT_CRITIC,
                                              "train.batch_size": 4, "train.n_critic": 2}),
    # R3GAN's recipe: its networks, the relativistic pairing loss, R1 and R2 with their weight decaying, and every
    # other schedule (learning rate to lr_end, beta2, the EMA's half-life) read from the step after the resume.
    "r3gan": ("quickstart", {**R3GAN_NETWORKS, "loss.name": "rpgan", "loss.r1": 0.5, "loss.r2": 0.5,
                             "loss.penalty_end": 0.1, "g_optim.scheduler": "cosine", "g_optim.lr_end": 5e-5,
                             "d_optim.betas": "[0.0,0.9]", "d_optim.beta2_end": 0.99, "train.ema_half_life": 64.0}),
}  # fmt: skip


SLOW_CASES = {"rnn", "cgan", "augment", "r3gan"}
"""In the slow tier (``pytest -m slow``): the fast tier keeps one image (dcgan), one 2-D (toy) and one paired
(pix2pix) run; these add a kind or conditioning whose exactness the slow tier checks."""


@pytest.mark.parametrize(
    "case", [pytest.param(c, marks=pytest.mark.slow) if c in SLOW_CASES else c for c in sorted(CASES)]
)
def test_resume_is_exact(tmp_path: Path, case: str) -> None:
    base, extra = CASES[case]
    extra = {"train.max_steps": 8, **extra}
    if extra.get("data.data_dir") == "{pairs}":
        write_pairs(tmp_path / "pairs", count=40)
        extra["data.data_dir"] = str(tmp_path / "pairs")
    if extra.get("data.data_dir") == "{tmp}":  # a dataset made in the test's folder (the spoken digits)
        extra["data.data_dir"] = str(tmp_path / "data")
    uninterrupted = train(tiny_config(tmp_path / "straight", base, **extra))

    config = tiny_config(tmp_path / "broken", base, **extra)
    with pytest.raises(Interrupted):
        train(config, callbacks=[InterruptAt(5)])  # last.ckpt is from step 3
    point = find_resume_point("last", config)
    assert point.generator_step == 3
    resumed = train(config, point)
    assert resumed == point.run_dir

    expected, actual = _full_state(uninterrupted), _full_state(resumed)
    assert actual["generator_step"] == expected["generator_step"] == extra["train.max_steps"]
    _assert_identical(expected["state_dict"], actual["state_dict"], "state_dict")
    if "augment.ada" in extra:  # ADA's p (a buffer in the state dict) really moved
        assert expected["state_dict"]["augment.p"].item() != extra["augment.p"]
    _assert_identical(expected["optimizer_states"], actual["optimizer_states"], "optimizer_states")
    _assert_identical(expected["lr_schedulers"], actual["lr_schedulers"], "lr_schedulers")
    _assert_identical(expected["rng_states"], actual["rng_states"], "rng_states")
    # metrics.csv continues the interrupted file and logs exactly the uninterrupted values
    assert _metric_rows(resumed) == _metric_rows(uninterrupted)


def _metric_rows(run_dir: Path) -> list[dict[str, str]]:
    with open(run_dir / "metrics.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    return [{k: v for k, v in row.items() if v and k != "train/images_per_sec"} for row in rows]


class SleepAt(L.Callback):
    """Stand still for ``seconds`` at the start of each of ``steps`` (generator steps): training time the run must
    count."""

    def __init__(self, steps: set[int], seconds: float) -> None:
        self.steps, self.seconds = steps, seconds

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: Any, batch: Any, batch_idx: int) -> None:
        if pl_module.generator_step in self.steps:
            time.sleep(self.seconds)


def test_training_seconds_add_up_across_sessions_and_leave_out_the_time_between(tmp_path: Path) -> None:
    """The checkpoint's ``train_seconds`` (what the video and audio benchmarks report per run) is every session's
    training time and nothing else: a 2-s pause inside each session is in it, the 3-s gap between them is not."""
    config = tiny_config(tmp_path, "quickstart", **{"train.max_steps": 8})
    pause = 2.0
    started = time.perf_counter()
    with pytest.raises(Interrupted):  # last.ckpt is from step 3: the pause at step 1 is in it
        train(config, callbacks=[SleepAt({1}, pause), InterruptAt(5)])
    first_session = time.perf_counter() - started
    run_dir = find_resume_point("last", config).run_dir
    before = _full_state(run_dir)[TRAIN_SECONDS]
    assert pause <= before <= first_session

    time.sleep(3.0)
    started = time.perf_counter()
    train(config, find_resume_point("last", config), callbacks=[SleepAt({6}, pause)])
    second_session = time.perf_counter() - started
    after = _full_state(run_dir)[TRAIN_SECONDS]
    assert before + pause <= after <= before + second_session  # the second session's pause added, the gap not
    assert run_seconds(run_dir) == after
