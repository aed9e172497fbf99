"""The PacGAN Table 1 protocol (Lin et al. 2018) on the 2-D ring and grid.

One training run per seed from a shipped toy config, then 2,500 samples from the EMA generator scored by the
VEEGAN/PacGAN mode metrics (:func:`~gan_lightning.metrics.toy_modes.toy_mode_metrics`, what the points kind logs):
modes captured, % high-quality samples (within 3 std of the nearest centre) and the reverse KL of the mode histogram
to uniform. Runs are independent, so ``jobs > 1`` trains that many at once in spawned processes, each with its share
of the CPU threads (small MLPs gain little from more than one thread, so this is the fast way to run 5 seeds). The
protocol itself is :mod:`gan_lightning.benchmarks.protocol`; the mode metrics are no registered metric (a toy run
logs them itself), so this protocol scores with its own :func:`mode_scorer`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import torch

from gan_lightning.benchmarks.protocol import Column, Options, Protocol, Scorer, Values
from gan_lightning.config.loading import ConfigError
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data.base import GANDataModule
from gan_lightning.data.toy2d import TOY_STD, mode_centres
from gan_lightning.metrics.suite import GeneratedSet
from gan_lightning.metrics.toy_modes import toy_mode_metrics
from gan_lightning.module import GANModule

SAMPLES = 2500
SAMPLE_SEED = 10_000  # + the run's seed: the evaluation draw never reuses a training seed

PACGAN_TABLE1 = {  # method, modes, high-quality %, reverse KL (mean ± s.e. over 10 trials)
    "ring": [
        ("GAN", "6.3 ± 0.5", "98.2 ± 0.2", "0.45 ± 0.09"),
        ("PacGAN2", "7.9 ± 0.1", "95.6 ± 2.0", "0.07 ± 0.03"),
        ("PacGAN3", "7.8 ± 0.1", "97.7 ± 0.3", "0.10 ± 0.02"),
        ("PacGAN4", "7.8 ± 0.1", "95.9 ± 1.4", "0.07 ± 0.02"),
    ],
    "grid": [
        ("GAN", "17.3 ± 0.8", "94.8 ± 0.7", "0.70 ± 0.07"),
        ("PacGAN2", "23.8 ± 0.7", "91.3 ± 0.8", "0.13 ± 0.04"),
        ("PacGAN3", "24.6 ± 0.4", "94.2 ± 0.4", "0.06 ± 0.02"),
        ("PacGAN4", "24.8 ± 0.2", "93.6 ± 0.6", "0.04 ± 0.01"),
    ],
}


def toy_samples(scored: ExperimentConfig, datamodule: GANDataModule, module: GANModule) -> GeneratedSet:
    """:data:`SAMPLES` EMA samples drawn with ``SAMPLE_SEED + seed``, in data space."""
    generator = torch.Generator().manual_seed(SAMPLE_SEED + scored.seed)
    samples = module.to_data_space(module.sample(SAMPLES, generator=generator))
    return GeneratedSet(lambda indices: samples[indices.start : indices.stop], SAMPLES)


def mode_scorer(scored: ExperimentConfig, datamodule: GANDataModule, out_dir: Path) -> Scorer:
    """The mode metrics against the centres of the data's mixture (high-quality samples in %); data drawn from no
    known mixture fails here, before training."""
    mixture = getattr(datamodule, "mixture", None)
    if mixture is None:
        raise ConfigError(
            f"data.name={scored.data.name} is drawn from no known mixture; the toy protocol needs toy_ring or toy_grid"
        )
    centres, std = mode_centres(mixture), TOY_STD[mixture]

    def score(module: GANModule, samples: GeneratedSet, step: int) -> Values:
        metrics = toy_mode_metrics(samples.all(), centres, std)
        return {**metrics, "high_quality": 100 * metrics["high_quality"]}

    return score


def _references(label: str) -> Sequence[Sequence[str]]:
    return [(f"{label} | {name} (PacGAN Table 1)", *published) for name, *published in PACGAN_TABLE1.get(label, [])]


def _configure(parser: argparse.ArgumentParser, configs: Path) -> None:
    parser.add_argument("--datasets", nargs="+", choices=["ring", "grid"], default=["ring", "grid"])
    parser.add_argument("--max-steps", type=int, default=None, help="override train.max_steps")
    parser.set_defaults(configs_dir=configs)


def _options(args: argparse.Namespace) -> Options:
    configs = {dataset: args.configs_dir / f"toy_{dataset}.yaml" for dataset in args.datasets}
    steps = (f"train.max_steps={args.max_steps}",) if args.max_steps else ()
    return Options(configs, args.seeds, args.jobs, args.root, (*args.overrides, *steps))


def _caption(options: Options, scored: ExperimentConfig) -> str:
    return f"{SAMPLES} EMA samples per run"


TOY = Protocol(
    command="toy",
    help="PacGAN Table 1 protocol on the 2D ring and grid",
    configure=_configure,
    options=_options,
    columns=(
        Column("modes", decimals=2),
        Column("high_quality", "high-quality %", 2),
        Column("reverse_kl", "reverse KL", 4),
        Column("seconds", "wall time / run (s)", 2),
    ),
    samples=toy_samples,
    scorer=mode_scorer,
    untrained="{config} | untrained generator",
    seeds=5,
    label_header="data | method",
    run_label="{config} | gan-lightning ({seeds} seeds)",
    caption=_caption,
    references=_references,
)
