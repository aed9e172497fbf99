"""docs/FORKING.md cannot rot: its worked examples are written where it says and trained with, as it says.

The package is copied to a temporary folder (the repository's is never touched). Every ```` ```python <path> ````
block of the guide is written to ``<path>`` in the copy, and the ```` ```bash example ```` commands run there, in
order, in one Python process: ``python scripts/fit.py ...`` through that script's ``main`` with tiny settings
appended, other commands as subprocesses (``scripts/benchmark.py`` with the same tiny settings as overrides, less
where the runs go, which the benchmark decides). One interpreter start serves all the fit.py trainings.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import ONE_THREAD, REPO, tiny_overrides
from omegaconf import OmegaConf
from test_conditional_runs import logged_values

from gan_lightning.checkpointing import load_module
from gan_lightning.config.loading import load_config
from gan_lightning.metrics.suite import latent_samples, real_subset
from gan_lightning.training import prepare_data

GUIDE = REPO / "docs" / "FORKING.md"
FENCE = re.compile(r"^```(\w+)(?: (\S+))?\n(.*?)^```$", re.MULTILINE | re.DOTALL)
EXAMPLES = {
    "gan_lightning/networks/upsample.py",
    "gan_lightning/losses/label_smoothing.py",
    "gan_lightning/data/numpy_images.py",
    "gan_lightning/metrics/density_coverage.py",
    "gan_lightning/kinds/signals.py",
    "gan_lightning/data/tones.py",
    "gan_lightning/metrics/marginal_distance.py",
}
TRAININGS = len(EXAMPLES) - 1
"""One training per example; the kind of data and the dataset of that kind train together."""

DRIVER = """
import json, shlex, subprocess, sys
import gan_lightning
assert gan_lightning.__file__.startswith(sys.argv[1]), gan_lightning.__file__  # the copy, not the repository
sys.path.insert(0, "scripts")
from fit import main
commands, tiny = json.loads(sys.argv[2]), json.loads(sys.argv[3])
for index, command in enumerate(commands):
    words = shlex.split(command)
    assert words[0] == "python", command
    if words[1] == "scripts/fit.py":
        code = main([*words[2:], *tiny, f"run.version=example{index}"])
    elif words[1] == "scripts/benchmark.py":
        runs = [override for override in tiny if not override.startswith("run.")]
        code = subprocess.run([sys.executable, *words[1:], *runs]).returncode
    else:
        code = subprocess.run([sys.executable, *words[1:]]).returncode
    if code:
        sys.exit(f"{command} exited with {code}")
"""


def guide_blocks() -> tuple[dict[str, str], list[str]]:
    """(path -> code) of the files the guide adds, and its example commands in order."""
    files: dict[str, str] = {}
    commands: list[str] = []
    for language, tag, body in FENCE.findall(GUIDE.read_text(encoding="utf-8")):
        if language == "python" and tag:
            files[tag] = body
        elif language == "bash" and tag == "example":
            commands += [line for line in body.splitlines() if line.strip()]
    return files, commands


def copy_repository(target: Path) -> None:
    """The package, configs, fit.py and the lint settings: what the guide's commands need."""
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "gan_lightning", target / "gan_lightning", ignore=ignore)
    shutil.copytree(REPO / "configs", target / "configs", ignore=ignore)
    (target / "scripts").mkdir()
    for script in ("fit.py", "evaluate.py", "benchmark.py"):
        shutil.copy(REPO / "scripts" / script, target / "scripts")
    shutil.copy(REPO / "pyproject.toml", target)


def marginal_by_hand(run_dir: Path) -> float:
    """The sequence example's value, with NumPy, on the sequences the run's final evaluation scored: the seeded
    evaluation samples of its last checkpoint and the seeded real subset, both on the scores' [0, 1] scale."""
    config = load_config([run_dir / "config.yaml"], ["metrics.names=[]"])  # the repository does not know marginal
    datamodule = prepare_data(config)
    num = config.metrics.num_generated
    generated = latent_samples(load_module(run_dir / "checkpoints" / "last.ckpt"), num, config.seed).all()
    real = real_subset(datamodule.evaluation_sequences(), config.metrics.num_real)
    levels = np.linspace(0, 1, 101)
    quantiles = [
        np.quantile(datamodule.to_score_space(x).double().numpy().reshape(-1, x.shape[-1]), levels, axis=0)
        for x in (real, generated.detach())
    ]
    return float(np.abs(quantiles[0] - quantiles[1]).mean())


SIGNALS_DUMP = """
import sys
import numpy as np
from gan_lightning.checkpointing import load_module
from gan_lightning.config.loading import load_config
from gan_lightning.data import prepare_data
from gan_lightning.metrics.suite import latent_samples, real_subset
run = sys.argv[1]
config = load_config([run + "/config.yaml"])
module = load_module(run + "/checkpoints/last.ckpt")
generated = latent_samples(module, config.metrics.num_generated, config.seed).all()
real = real_subset(prepare_data(config).evaluation_images("train"), config.metrics.num_real)
np.savez(sys.argv[2], generated=generated.detach().numpy(), real=real.numpy())
"""
"""Writes the samples the signals run's last evaluation scored, with the fork's package (it knows the kind)."""


def spectrum_gap_by_hand(samples: Path) -> float:
    """The kind example's metric with NumPy: half the L1 distance of the mean power spectra, each summing to 1."""
    arrays = np.load(samples)
    spectra = [np.abs(np.fft.rfft(arrays[name].astype(np.float64), axis=-1)) ** 2 for name in ("real", "generated")]
    real, generated = (s.mean(axis=(0, 1)) / s.mean(axis=(0, 1)).sum() for s in spectra)
    return float(np.abs(real - generated).sum() / 2)


def in_fork(fork: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """A Python command run in the fork, with the fork's package."""
    environment = {**os.environ, "PYTHONPATH": str(fork), **ONE_THREAD}
    return subprocess.run([sys.executable, *arguments], cwd=fork, env=environment, capture_output=True, text=True)


@pytest.mark.slow  # a whole run (or several) end to end: the slow tier
def test_each_example_is_one_new_file_that_trains_with_one_config_line(tmp_path: Path) -> None:
    files, commands = guide_blocks()
    assert set(files) == EXAMPLES
    fits = [command for command in commands if command.startswith("python scripts/fit.py")]
    assert len(fits) == TRAININGS
    fork = tmp_path / "fork"
    copy_repository(fork)
    for path, code in files.items():
        assert not (fork / path).exists(), f"{path} would replace a shipped file"
        (fork / path).write_text(code, encoding="utf-8")
    # the examples follow the project's own lint and format rules (pyproject.toml)
    for ruff in (["check"], ["format", "--check"]):
        linted = subprocess.run([sys.executable, "-m", "ruff", *ruff, *files], cwd=fork, capture_output=True, text=True)
        assert linted.returncode == 0, linted.stdout + linted.stderr

    # the data options differ by dataset: each example keeps its dataset's own
    tiny = [f"{key}={value}" for key, value in tiny_overrides(fork / "runs").items() if not key.startswith("data.")]
    tiny += ["train.max_steps=2", "train.log_every=1", "train.sample_every=0", "train.checkpoint_every=0"]
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(fork), json.dumps(commands), json.dumps(tiny)],
        cwd=fork,
        env={**os.environ, "PYTHONPATH": str(fork), **ONE_THREAD},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-4000:]

    # the kind's benchmark: its spec's config over two seeds, spectrum_gap's mean ± s.e., the untrained control and
    # the hash of the real tones both are scored against
    assert "| run | spectrum_gap | wall time / run (s) |" in done.stdout
    row = re.search(r"^\| quickstart \(2 seeds\) \| (\S+) ± (\S+) \| \S+ ± \S+ \|$", done.stdout, re.MULTILINE)
    assert row is not None and 0 <= float(row[1]) <= 1 and float(row[2]) >= 0, done.stdout[-2000:]
    untrained = re.search(r"^\| untrained quickstart \| (\S+) \| \|$", done.stdout, re.MULTILINE)
    assert untrained is not None and 0 <= float(untrained[1]) <= 1, done.stdout[-2000:]
    assert re.search(r"^reference sets \(SHA-256\): quickstart [0-9a-f]{16}$", done.stdout, re.MULTILINE)

    for index, command in enumerate(commands):
        if command not in fits:
            continue
        (run_dir,) = (fork / "runs").glob(f"*/example{index}")  # runs/<config name>/example<index>
        saved = OmegaConf.load(run_dir / "config.yaml")
        for override in shlex.split(command)[4:]:  # after: python scripts/fit.py --config <file>
            key = override.partition("=")[0]
            assert OmegaConf.select(saved, key) == OmegaConf.select(OmegaConf.from_dotlist([override]), key), command
        assert (run_dir / "checkpoints" / "last.ckpt").is_file()
        if "density_coverage" in command:  # the new metric's values reach metrics.csv
            header = (run_dir / "metrics.csv").read_text().splitlines()[0]
            assert "val/mnist_classifier_density" in header and "val/mnist_classifier_coverage" in header
        if "data.name=tones" in command:  # a run of the new kind: its state in the checkpoint, its picture drawn
            state = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
            kind = state["hyper_parameters"]["kind"]
            assert kind["name"] == "signals" and kind["amplitude"] == 0.8 and kind["data_shape"] == [1, 128]
            assert (run_dir / "samples" / "final.png").is_file()
            # its metric: logged at every evaluation, followed by best.ckpt, scored again by evaluate.py, and equal to
            # NumPy's computation on the samples the last evaluation scored
            logged = [row for row in csv.DictReader((run_dir / "metrics.csv").open()) if row.get("val/spectrum_gap")]
            assert [row["step"] for row in logged] == ["1", "2"]
            assert (run_dir / "checkpoints" / "best.ckpt").is_file()
            report = tmp_path / "signals.json"
            evaluated = in_fork(fork, "scripts/evaluate.py", "--ckpt", str(run_dir / "checkpoints" / "last.ckpt"),
                                "--json", str(report), "--device", "cpu")  # fmt: skip
            assert evaluated.returncode == 0, evaluated.stderr[-2000:]
            scored = json.loads(report.read_text())["metrics"]["spectrum_gap"]
            assert scored == pytest.approx(float(logged[-1]["val/spectrum_gap"]), rel=1e-6)
            dumped = in_fork(fork, "-c", SIGNALS_DUMP, str(run_dir), str(tmp_path / "signals.npz"))
            assert dumped.returncode == 0, dumped.stderr[-2000:]
            assert scored == pytest.approx(spectrum_gap_by_hand(tmp_path / "signals.npz"), rel=1e-4)
        if "marginal" in command:
            assert logged_values(run_dir)["val/marginal"] == pytest.approx(marginal_by_hand(run_dir), abs=1e-6)
    assert not any((REPO / path).exists() for path in EXAMPLES)  # the repository's package is untouched
