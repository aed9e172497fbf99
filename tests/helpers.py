"""Build and train tiny runs in-process, exactly as scripts/fit.py does."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import torch
from omegaconf import OmegaConf
from PIL import Image

from gan_lightning.config.loading import load_config
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.config.sections import schema_for
from gan_lightning.training import ResumePoint, fit, quiet_lightning

REPO = Path(__file__).resolve().parents[1]
ONE_THREAD = {"OMP_NUM_THREADS": "1"}
"""Environment for test subprocesses training tiny networks: intra-op threads gain them nothing, and on a 2-core
machine running other work their spin-waiting made a 30-step digits run take 50 s instead of 10 s."""


DIGITS = {"name": "images", "data_shape": [1, 28, 28], "value_range": [-1.0, 1.0]}
"""The kind state of a 28-px grey image run (``GANModule(config, DIGITS)`` builds one without data)."""


def tiny_overrides(root: Path) -> dict[str, object]:
    """Dotted keys that shrink a shipped config to a few seconds of CPU work, writing under ``root``."""
    return {
        "run.root": str(root),
        "run.progress_bar": "false",
        "train.max_steps": 6,
        "train.batch_size": 16,
        "train.log_every": 2,
        "train.sample_every": 3,
        "train.checkpoint_every": 3,
        "train.num_samples_grid": 16,
        "generator.width": 8,
        "discriminator.width": 8,
        "data.num_samples": 512,
        "metrics.num_generated": 64,
        "metrics.num_real": 64,
        "metrics.cache_dir": str(root / "metric_cache"),
        "metrics.timegan.runs": 2,
        "metrics.timegan.discriminative_iterations": 5,
        "metrics.timegan.predictive_iterations": 5,
    }


TINY_ORACLE = {
    "data.vocab_size": 40,
    "data.sequence_length": 6,
    "data.oracle_embedding": 8,
    "data.oracle_hidden": 8,
    "data.num_samples": 64,
    "data.num_test_samples": 32,
    "generator.latent_dim": 2,
    "generator.embedding_dim": 8,
    "discriminator.embedding_dim": 8,
    "metrics.batch_size": 32,
    "metrics.temperatures": "[0.5,1.0]",
}
"""Overrides of the oracle configs: a 40-token oracle of 6-token sequences and networks to match (seconds)."""


def tiny_config(root: Path, base: str = "toy_ring", **extra: object) -> ExperimentConfig:
    """A shipped config shrunk by :func:`tiny_overrides` (those its dataset and networks take); ``extra`` maps dotted
    keys to values."""
    path = REPO / "configs" / f"{base}.yaml"
    return load_config([path], taken_overrides(path, tiny_overrides(root), extra))


def taken_overrides(path: Path, defaults: dict[str, object], extra: dict[str, object]) -> list[str]:
    """``defaults`` the config at ``path`` (with ``extra``) has a key for, then every one of ``extra``."""
    chosen = OmegaConf.merge(OmegaConf.load(path), OmegaConf.from_dotlist([f"{k}={v}" for k, v in extra.items()]))
    schema = schema_for(chosen)
    taken = {k: v for k, v in defaults.items() if OmegaConf.select(schema, k, default=MISSING_KEY) is not MISSING_KEY}
    return [f"{k}={v}" for k, v in {**taken, **extra}.items()]


MISSING_KEY = object()


def train(
    config: ExperimentConfig,
    resume: ResumePoint | None = None,
    callbacks: list | tuple = (),
    **overrides: object,
) -> Path:
    quiet_lightning()  # session fixtures train before the per-test filters of tests/conftest.py apply
    return fit(config, resume, callbacks, **overrides)


def state_of(run_dir: Path, name: str = "last.ckpt") -> dict[str, torch.Tensor]:
    return torch.load(run_dir / "checkpoints" / name, map_location="cpu", weights_only=False)["state_dict"]


# ---------------------------------------------------------------- the scripts, as a user runs them
STFT_CRITIC = {"extra_discriminators.stft.arch": "dcgan", "extra_discriminators.stft.view": "stft",
               "extra_discriminators.stft.view_size": 64, "extra_discriminators.stft.width": 8,
               "extra_discriminators.stft.norm": "none"}  # fmt: skip
"""A second WaveGAN critic on 64 x 64 decibel spectrograms of 2,048-sample clips (no batch norm: DDP-exact)."""

R3GAN_NETWORKS = {"generator.arch": "r3gan", "discriminator.arch": "r3gan", "generator.width": 16,
                  "discriminator.width": 16, "generator.cardinality": 4, "discriminator.cardinality": 4,
                  "generator.blocks": 1, "discriminator.blocks": 1, "generator.latent_dim": 16}  # fmt: skip
"""R3GAN's networks, small: one block a resolution, 16 channels in 4 groups."""

TINY = [
    "run.progress_bar=false",
    "train.max_steps=4",
    "train.batch_size=16",
    "train.log_every=2",
    "train.sample_every=2",
    "train.checkpoint_every=2",
    "train.num_samples_grid=16",
    "generator.width=8",
    "discriminator.width=8",
    "metrics.every=2",
    "metrics.num_generated=64",
    "metrics.num_real=64",
    "metrics.cache_dir=metric_cache",  # relative to the test's working directory
]


def run_script(script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / script), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def only_run(root: Path) -> Path:
    (run_dir,) = [p for p in root.glob("*/*") if p.is_dir() and p.parent.name != "metric_cache"]
    return run_dir


def script(name: str) -> ModuleType:
    """``scripts/<name>.py`` imported as a module (scripts/ is not a package), to call its ``main`` in-process."""
    spec = importlib.util.spec_from_file_location(f"{name}_script", REPO / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- paired data (image translation)
def write_pairs(root: Path, count: int = 12, side: int = 40, layout: str = "folders") -> np.ndarray:
    """Grey pairs whose target is the input inverted; returns the targets' mean brightness per file."""
    shades = np.random.default_rng(2).integers(0, 256, size=count)
    save_pairs(
        root,
        [(np.full((side, side), s, dtype=np.uint8), np.full((side, side), 255 - s, np.uint8)) for s in shades],
        layout,
    )
    return 255 - shades


def save_pairs(root: Path, pairs: list[tuple[np.ndarray, np.ndarray]], layout: str = "folders") -> None:
    """``(input, target)`` grey images as ``A/`` + ``B/`` files of the same name, or side by side (of equal sizes)."""
    for index, (a, b) in enumerate(pairs):
        if layout == "folders":
            for folder, pixels in (("A", a), ("B", b)):
                (root / folder).mkdir(parents=True, exist_ok=True)
                Image.fromarray(pixels).save(root / folder / f"{index:03d}.png")
        else:
            root.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.concatenate([a, b], axis=1)).save(root / f"{index:03d}.png")


PAIRED = ("data.name=paired_folder", "data.resolution=32", "data.channels=1", "train.batch_size=8",
          "generator.arch=unet", "discriminator.arch=patchgan", "metrics.names=[]")  # fmt: skip


# ---------------------------------------------------------------- sequences (TimeGAN's scores)
POSTHOC = ["metrics.timegan.runs=3", "metrics.timegan.hidden=8", "metrics.timegan.lr=0.01",
           "metrics.timegan.batch_size=64", "metrics.timegan.discriminative_iterations=100",
           "metrics.timegan.predictive_iterations=50"]  # fmt: skip
"""TimeGAN's post-hoc GRUs shrunk for a test, yet trained enough that a score says something about the sequences.
With 8 hidden units, lr 0.01 and 100 Adam steps on batches of 64 a classifier tells an untrained generator's curves
from the sines (about 0.5) but not a second draw of sines (about 0.06); now and then one stays at chance (0)
instead, so three are averaged. With the defaults' 2 hidden units and lr 0.001, 100 steps leave every classifier at
chance, where any set of sequences scores about 0."""


def sines_by_hand(num: int, seed: int) -> torch.Tensor:
    """TimeGAN's sines written out from their definition (rnn_sines.yaml): (sin(f t + phase) + 1) / 2, 24 steps,
    5 features, f and phase ~ U(0, 0.1) per sequence and feature. A fresh draw: real data no run has seen."""
    rng = np.random.default_rng(seed)
    f, phase = rng.uniform(0, 0.1, size=(2, num, 1, 5))
    return torch.from_numpy((np.sin(f * np.arange(24)[:, None] + phase) + 1) / 2).float()
