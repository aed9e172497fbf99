"""DDP proofs on CPU with gloo and 2 processes: identical ranks, world-size independence, exact resume.

Each run is a subprocess (Lightning's DDP launcher re-runs the script per rank), see ddp_job.py.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from helpers import PAIRED, R3GAN_NETWORKS, STFT_CRITIC, TINY_ORACLE, write_pairs

JOB = Path(__file__).with_name("ddp_job.py")
COMMON = [
    "trainer.accelerator=cpu",
    "train.max_steps=8",
    "train.log_every=2",
    "train.sample_every=4",
    "train.checkpoint_every=3",
    "generator.width=32",
    "discriminator.width=32",
    "metrics.timegan.runs=2",
    "metrics.timegan.discriminative_iterations=5",
    "metrics.timegan.predictive_iterations=5",
]


def run_job(
    out: Path, *args: str, devices: int = 2, batch: int = 16, progress_bar: bool = False
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(JOB), str(out), *args, *COMMON, f"run.progress_bar={str(progress_bar).lower()}"]
    command += [f"trainer.devices={devices}", f"train.batch_size={batch}", f"run.root={out / 'runs'}"]
    command += ["metrics.num_generated=64", "metrics.num_real=64", f"metrics.cache_dir={out / 'metric_cache'}"]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def load_state(out: Path, rank: int) -> dict[str, torch.Tensor]:
    saved = torch.load(out / f"rank{rank}.pt", weights_only=True)
    return saved["state"]


def assert_equal_states(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], atol: float = 0.0) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if atol == 0.0:
            assert torch.equal(a[key], b[key]), key
        else:
            assert torch.allclose(a[key], b[key], atol=atol, rtol=0), (key, (a[key] - b[key]).abs().max())


@pytest.mark.slow  # a 2-process run; the fast tier checks 2 ranks against 1 process
def test_ranks_hold_identical_weights(tmp_path: Path) -> None:
    done = run_job(tmp_path, *GENERATED["toy_ring"], progress_bar=True)
    assert done.returncode == 0, done.stderr[-3000:]
    # one generator-step bar, drawn by rank 0 only (each bar prints its 0/8 state when created)
    assert done.stdout.count("generator steps:   0%") == 1, done.stdout[-3000:]
    rank0, rank1 = load_state(tmp_path, 0), load_state(tmp_path, 1)
    assert any(k.startswith("ema_generator.") for k in rank0)
    assert_equal_states(rank0, rank1)
    # one writer: a single run directory with one config and one metrics file
    (run_dir,) = (tmp_path / "runs" / "toy_ring").iterdir()
    assert (run_dir / "config.yaml").is_file() and (run_dir / "checkpoints" / "last.ckpt").is_file()


CONDITIONAL = ["data.conditional=true", "generator.conditioning=embedding", "train.n_critic=2", "loss.name=wasserstein",
               "loss.gradient_penalty=10", "metrics.names=[fid,intra_fid,class_accuracy]"]  # fmt: skip
"""A class-conditional run (projection D) with two critics and a gradient penalty: labels are sliced like the data."""


VIDEO = ["extra_discriminators.frames.norm=none", "extra_discriminators.frames.width=16", "data.num_samples=64",
         "loss.r1=1.0"]  # fmt: skip
"""MoCoGAN with its image discriminator on random frames (drawn from the shared RNG), R1 through both views."""


TEXT = [*(f"{k}={v}" for k, v in TINY_ORACLE.items()), "train.pretrain_steps=3", "train.n_critic=2",
        "generator.temperature_schedule=exp", "generator.temperature_max=8", "generator.temperature_steps=2",
        "metrics.names=[nll_oracle,nll_test,unique]"]  # fmt: skip
"""Tokens on a small oracle: MLE pretraining, then Gumbel-softmax G (its noise seeded by the shared latents, its
temperature annealed) against a CNN D under RSGAN, whose G step judges the real batch too; the text metrics at the
end, on rank 0."""


AUDIO = ["data.voices=4", "data.test_voices=1", "data.utterances=1", "data.audio_length=2048", "train.n_critic=2",
         *(f"{k}={v}" for k, v in STFT_CRITIC.items())]  # fmt: skip
"""WaveGAN with phase shuffle (its shifts from the shared RNG, one per sample) and a second critic on the clips' STFT,
WGAN-GP through both, on tiny spoken digits."""


FEATURE_MATCHING = [
    "loss.feature_matching=10",
    "extra_discriminators.wide.arch=mlp",
    "extra_discriminators.wide.width=16",
]
"""Feature matching through two critics: each rank's batch means are averaged across ranks with their gradient."""


R3GAN = [*(f"{k}={v}" for k, v in R3GAN_NETWORKS.items()), "loss.name=rpgan", "loss.r1=0.5", "loss.r2=0.5",
         "loss.penalty_end=0.1", "g_optim.scheduler=cosine", "g_optim.lr_end=5e-5", "d_optim.beta2_end=0.99",
         "train.ema_half_life=64"]  # fmt: skip
"""R3GAN's networks, loss and schedules: R1 and R2 (D's input gradients on each rank's half), the EMA's half-life
counted in images over both ranks."""


BASES = {
    "toy_ring_feature_matching": "toy_ring",
    "r3gan": "quickstart",
    "cgan": "quickstart",
    "video": "video_moving_mnist_quick",
    "text": "text_oracle_gan",
    "audio": "wavegan_spoken_digits_quick",
}
"""The config each case starts from, where it is not the case's name."""
GENERATED = {"toy_ring": ["data.num_samples=1024"], "rnn_sines": ["data.num_samples=1024"]}
"""The size of the datasets drawn from a seed (an option of theirs alone), by base config."""


@pytest.mark.parametrize(  # the fast tier keeps the 2-D runs; the others are slow
    "base",
    [
        "toy_ring",
        "toy_ring_feature_matching",
        *(
            pytest.param(base, marks=pytest.mark.slow)
            for base in ("quickstart", "rnn_sines", "cgan", "video", "text", "audio", "r3gan")
        ),
    ],
)
def test_two_ranks_match_one_process_with_twice_the_batch(tmp_path: Path, base: str) -> None:
    # No batch norm anywhere (its statistics are per rank); everything else is world-size independent.
    # float64, because Adam turns float32 summation-order noise in near-zero gradients into lr-sized
    # steps (its first update is lr * sign(g)); in float64 that noise is far below the tolerance.
    extra = [
        "--base",
        BASES.get(base, base),
        *GENERATED.get(BASES.get(base, base), []),
        *(CONDITIONAL if base == "cgan" else []),
        *(FEATURE_MATCHING if base == "toy_ring_feature_matching" else []),
        *(R3GAN if base == "r3gan" else []),
        *(VIDEO if base == "video" else []),
        *(TEXT if base == "text" else []),
        *([*AUDIO, f"data.data_dir={tmp_path / 'data'}"] if base == "audio" else []),
        "generator.norm=none",
        "discriminator.norm=none",
        "train.max_steps=6",
        "trainer.precision=64-true",
    ]
    two = run_job(tmp_path / "two", *extra, devices=2, batch=8)
    one = run_job(tmp_path / "one", *extra, devices=1, batch=16)
    assert two.returncode == 0, two.stderr[-3000:]
    assert one.returncode == 0, one.stderr[-3000:]
    assert_equal_states(load_state(tmp_path / "two", 0), load_state(tmp_path / "one", 0), atol=1e-10)
    if base in ("quickstart", "cgan"):  # its end-of-run FID: each rank generates half, the synced value is the same
        names = ["val/mnist_classifier_fid"]
        if base == "cgan":  # intra-class FID gathers both halves; rank 0 computes class accuracy and broadcasts it
            names += ["val/mnist_classifier_intra_fid", "val/class_accuracy"]
        for name in names:
            two, one = (final_metric(tmp_path / run, name) for run in ("two", "one"))
            assert two == pytest.approx(one, rel=1e-6), name
    if base == "text":  # rank 0 samples and scores; the values are broadcast
        for name in ("val/nll_oracle", "val/nll_test", "val/unique_ratio"):
            two, one = (final_metric(tmp_path / run, name) for run in ("two", "one"))
            assert two == pytest.approx(one, rel=1e-6), name
    if base == "rnn_sines":  # rank 0 trains the post-hoc models on the same samples and broadcasts the scores
        for name in ("val/discriminative", "val/predictive"):
            two, one = (final_metric(tmp_path / run, name) for run in ("two", "one"))
            assert two == pytest.approx(one, rel=1e-4, abs=1e-6), name


@pytest.mark.slow
def test_pix2pix_ranks_stay_identical(tmp_path: Path) -> None:
    """Image translation under DDP: dropout masks differ per rank, the averaged gradients keep the weights equal."""
    write_pairs(tmp_path / "pairs", count=48)
    pairs = [
        *PAIRED,
        f"data.data_dir={tmp_path / 'pairs'}",
        "loss.l1=100",
        "generator.width=8",
        "discriminator.width=8",
    ]
    done = run_job(tmp_path, "--base", "quickstart", *pairs)
    assert done.returncode == 0, done.stderr[-3000:]
    # BatchNorm's running statistics are each rank's own (no SyncBatchNorm); every weight is shared
    rank0, rank1 = ({k: v for k, v in load_state(tmp_path, r).items() if "running_" not in k} for r in (0, 1))
    assert_equal_states(rank0, rank1)


def final_metric(out: Path, name: str) -> float:
    (metrics_csv,) = (out / "runs").glob("*/*/metrics.csv")
    values = [float(row[name]) for row in csv.DictReader(metrics_csv.open()) if row.get(name)]
    assert values, f"{name} not logged"
    return values[-1]


@pytest.mark.slow  # two 2-process runs
def test_resume_under_ddp_is_exact(tmp_path: Path) -> None:
    straight = run_job(tmp_path / "straight", *GENERATED["toy_ring"])
    assert straight.returncode == 0, straight.stderr[-3000:]
    broken = run_job(tmp_path / "broken", *GENERATED["toy_ring"], "--interrupt-at", "5")
    assert broken.returncode != 0
    assert not (tmp_path / "broken" / "rank0.pt").exists()
    resumed = run_job(tmp_path / "broken", *GENERATED["toy_ring"], "--resume", "last")  # continues from gen_step=3
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    for rank in (0, 1):
        assert_equal_states(load_state(tmp_path / "straight", rank), load_state(tmp_path / "broken", rank))
