"""Sample quality of a config over seeds: train one run per seed, evaluate each final EMA generator once.

The protocol of Lucic et al. 2018 ("Are GANs Created Equal?"), whose best FID per model after a
large search is printed beside the results (:data:`LUCIC_2018`): FID of 10,000 generated vs the
10,000 test images with Inception features (grey tiled to 3 channels), i.e. the shipped
Fashion-MNIST config's ``metrics`` section. Training runs without in-training metrics (so the
wall time is training alone and the end is not evaluated twice); the evaluation uses the config's
``metrics`` settings (names, extractor, counts, split) with the same code as ``scripts/evaluate.py``.
The protocol itself is :mod:`gan_lightning.benchmarks.protocol`.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path

from gan_lightning.benchmarks.protocol import TIMES, Column, Options, Protocol, command_options, scoring_device
from gan_lightning.benchmarks.summary import table_head, table_row
from gan_lightning.config.schema import ExperimentConfig

DEFAULT_METRICS = ("fid", "kid", "pr")
"""Evaluated when the config's ``metrics.names`` is empty."""

LUCIC_2018: dict[str, tuple[str, str, str]] = {
    # model: best FID on MNIST, Fashion-MNIST, CIFAR-10 (Lucic et al. 2018)
    "MM GAN": ("9.8 ± 0.9", "29.6 ± 1.6", "72.7 ± 3.6"),
    "NS GAN": ("6.8 ± 0.5", "26.5 ± 1.6", "58.5 ± 1.9"),
    "LSGAN": ("7.8 ± 0.6", "30.7 ± 2.2", "87.1"),
    "WGAN": ("6.7 ± 0.4", "21.5 ± 1.6", "55.2 ± 2.3"),
    "WGAN GP": ("20.3 ± 5.0", "24.5 ± 2.1", "55.8 ± 0.9"),
    "DRAGAN": ("7.6 ± 0.4", "27.7 ± 1.2", "69.8 ± 2.0"),
    "BEGAN": ("13.1 ± 1.0", "22.9 ± 0.9", "71.4 ± 1.6"),
}
LUCIC_DATASETS = ("MNIST", "Fashion-MNIST", "CIFAR-10")
FINE = ("kid", "precision", "recall")
"""Values printed to 4 places (the rest to 2)."""


def _columns(first: Mapping[str, float]) -> Sequence[Column]:
    """Every value the config's metrics gave (their spreads aside), then the training and scoring wall times."""
    names = [key for key in first if not key.endswith("_std") and key not in TIMES]
    timing = (Column("seconds", "wall time / run (s)", 2), Column("scoring_seconds", "scoring (s)", 2))
    return [*(Column(key, decimals=4 if key in FINE else 2) for key in names), *timing]


def _footer(scored: ExperimentConfig) -> list[str]:
    """Lucic et al.'s table, and a warning where the runs' features are not theirs."""
    extractor = scored.metrics.extractor
    note = [] if extractor == "inception" else [f"({extractor} FID: not comparable with the Inception FID below)"]
    rows = [table_row([model, *fids]) for model, fids in LUCIC_2018.items()]
    budget = "Inception; batch 64; 20 epochs, CIFAR-10 100"
    title = f"\nLucic et al. 2018, best FID per model after a large search ({budget})"
    return [*note, title, *table_head(["model", *LUCIC_DATASETS]), *rows]


def _configure(parser: argparse.ArgumentParser, configs: Path) -> None:
    parser.add_argument("--config", required=True)
    parser.add_argument("--extractor", help="overrides metrics.extractor (inception, mnist_classifier, ...)")
    parser.add_argument("--device", default="auto", help="evaluation device: auto | cpu | cuda")


def _options(args: argparse.Namespace) -> Options:
    extractor = [f"metrics.extractor={args.extractor}"] if args.extractor else []
    return command_options(args, [args.config], extractor, scoring_device(args.device))


def _caption(options: Options, scored: ExperimentConfig) -> str:
    cfg, train = scored.metrics, scored.train
    return (f"{train.max_steps} generator steps at batch {train.batch_size}, {cfg.extractor} features, "
            f"{cfg.num_generated} generated vs {cfg.num_real} real {cfg.real_split} images")  # fmt: skip


QUALITY = Protocol(
    command="quality",
    help="FID/KID/precision/recall of a config over seeds",
    configure=_configure,
    options=_options,
    columns=_columns,
    default_metrics=DEFAULT_METRICS,
    run_label="{config}",
    caption=_caption,
    footer=_footer,
)
