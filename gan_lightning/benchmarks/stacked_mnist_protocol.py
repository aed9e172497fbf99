"""Stacked MNIST's 1,000 modes over seeds (VEEGAN's protocol; PacGAN's and R3GAN's Table 2), framed by controls.

Each run's final EMA generator draws :data:`SAMPLES` stacks, each channel read by the shipped MNIST classifier
(:mod:`gan_lightning.metrics.stacked_mnist`): the modes covered (a triple with at least one sample) and KL(generated
modes ‖ uniform). The controls are scored alike: as many real training stacks (the floor: a perfect generator's KL is
not 0 but what 26,000 draws from a uniform 1,000 and the reader's errors leave) and an untrained generator of each
config. The published rows are printed beside. The protocol itself is :mod:`gan_lightning.benchmarks.protocol`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from gan_lightning.benchmarks.protocol import (
    Column,
    Control,
    ControlContext,
    Options,
    Protocol,
    as_unit_range,
    command_options,
    real_samples,
)
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.metrics.suite import GeneratedSet

SAMPLES = 26_000
"""Generated stacks per run (VEEGAN's and PacGAN's count)."""
PUBLISHED = (
    ("DCGAN (PacGAN, Table 2)", "99", "3.40"),
    ("VEEGAN (PacGAN, Table 2)", "150", "2.95"),
    ("PacDCGAN2 / PacDCGAN4 (PacGAN, Table 2)", "1000 / 1000", "0.06 / 0.07"),
    ("GAN + R1 + R2 (R3GAN, Table 2)", "693", "0.927"),
    ("RpGAN + R1 + R2, stripped StyleGAN2 (R3GAN, Table 2)", "1000", "0.078"),
)
"""Published modes covered and KL of 26,000 samples, after GPU-scale training."""


COLUMNS = (
    Column("modes_covered", "modes (of 1,000)", 1),
    Column("mode_kl", "KL to uniform", 3),
    Column("seconds", "wall time / run (s)", 0),
)


def real_stacks(context: ControlContext) -> GeneratedSet:
    """As many real training stacks as the runs generate: the floor."""
    images = context.datamodule.evaluation_images("train")[: context.scored.metrics.num_generated]  # type: ignore[index]
    return real_samples(images, as_unit_range)


def _configure(parser: argparse.ArgumentParser, configs: Path) -> None:
    parser.add_argument("--configs", nargs="+", required=True, help="Stacked MNIST configs (data.name: stacked_mnist)")
    parser.add_argument("--num", type=int, default=SAMPLES, help="generated and real stacks scored")


def _options(args: argparse.Namespace) -> Options:
    return command_options(args, args.configs, [f"metrics.num_generated={args.num}"])


def _caption(options: Options, scored: ExperimentConfig) -> str:
    return f"{scored.metrics.num_generated} stacks a run, each channel read by the shipped MNIST classifier"


def _footer(scored: ExperimentConfig) -> Sequence[str]:
    return ["", "Published, 26,000 samples:", *(f"- {name}: {modes} modes, KL {kl}" for name, modes, kl in PUBLISHED)]


STACKED_MNIST = Protocol(
    command="stacked_mnist",
    help="Stacked MNIST's modes covered and KL to uniform of configs over seeds, with controls",
    configure=_configure,
    options=_options,
    columns=(
        Column("modes_covered", "modes (of 1,000)", 1),
        Column("mode_kl", "KL to uniform", 3),
        Column("seconds", "wall time / run (s)", 0),
    ),
    metrics=("stacked_modes",),
    scoring=("metrics.extractor=stacked_mnist_classifier",),
    controls=(Control("real stacks", real_stacks),),
    label_header="run",
    caption=_caption,
    footer=_footer,
)
