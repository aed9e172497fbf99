"""The PacGAN Table 1 protocol (Lin et al. 2018) on the 2-D ring and grid.

One training run per seed from a shipped toy config, then 2,500 samples from the EMA generator scored by the
registered VEEGAN/PacGAN mode metrics (:mod:`gan_lightning.metrics.toy_modes`, what a toy run logs): modes captured,
% high-quality samples (within 3 std of the nearest centre) and the reverse KL of the mode histogram to uniform. Runs
are independent, so ``jobs > 1`` trains that many at once in spawned processes, each with its share of the CPU
threads (small MLPs gain little from more than one thread, so this is the fast way to run 5 seeds). The protocol
itself is :mod:`gan_lightning.benchmarks.protocol`; the config validator rejects data the mode metrics cannot score
before anything trains, and :func:`mode_scorer` scores the protocol's own draw, not the one a run logs.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import torch

from gan_lightning.benchmarks.protocol import Column, Options, Protocol, Scorer, Values
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data.base import GANDataModule
from gan_lightning.metrics.suite import GeneratedSet
from gan_lightning.metrics.toy_modes import MODE_METRICS, SAMPLES, ToyModeSuite
from gan_lightning.module import GANModule

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
    """The registry's mode metrics (``metrics.names``, high-quality samples in %) of the samples
    :func:`toy_samples` draws: the suite's :meth:`~gan_lightning.metrics.toy_modes.ToyModeSuite.score`, since its
    ``evaluate`` scores the draw a run logs."""
    suite = ToyModeSuite.build(scored.metrics.names, scored, datamodule, out_dir)

    def score(module: GANModule, samples: GeneratedSet, step: int) -> Values:
        return suite.score(samples.all())

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
    metrics=MODE_METRICS,
    samples=toy_samples,
    scorer=mode_scorer,
    untrained="{config} | untrained generator",
    seeds=5,
    label_header="data | method",
    run_label="{config} | gan-lightning ({seeds} seeds)",
    caption=_caption,
    references=_references,
)
