"""TimeGAN's evaluation protocol (Yoon et al. 2019, Table 2) for a sequence config.

Each run's final EMA generator's ``metrics.num_generated`` sequences are scored against ``metrics.num_real`` real
ones with TimeGAN's discriminative and predictive scores, each averaged over ``metrics.timegan.runs`` post-hoc models
(10 in TimeGAN's code). Two controls frame the numbers: an untrained generator of the same size (the floor a trained
one must clear) and the predictive score of the real data itself (train and test on real: the best a generator can
match). The protocol itself is :mod:`gan_lightning.benchmarks.protocol`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from torch import Tensor

from gan_lightning.benchmarks.protocol import (
    Column,
    Control,
    ControlContext,
    Options,
    Protocol,
    Values,
    command_options,
)
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.metrics.suite import real_subset
from gan_lightning.metrics.timegan_scores import TIMEGAN_SCORES, real_data_predictive

TIMEGAN_TABLE2_SINES = [  # method, discriminative, predictive (mean ± std over 10 post-hoc runs)
    ("TimeGAN", ".011 ± .008", ".093 ± .019"),
    ("RCGAN", ".022 ± .008", ".097 ± .001"),
    ("C-RNN-GAN", ".229 ± .040", ".127 ± .004"),
    ("original data", "–", ".094 ± .001"),
]


def real_data(context: ControlContext) -> Values:
    """The predictive score of the real sequences themselves (TimeGAN's "original data" row), on the reference set
    the runs are scored against: no generated set gives it, since its predictors are trained on the real set too."""
    datamodule, cfg = context.datamodule, context.scored.metrics
    real: Tensor = real_subset(datamodule.evaluation_sequences(), cfg.num_real)  # type: ignore[attr-defined,assignment]
    return real_data_predictive(datamodule.to_score_space(real), cfg.timegan, context.scored.seed)  # type: ignore[attr-defined]


def _references(label: str) -> Sequence[Sequence[str]]:
    if "sines" not in label:
        return []
    return [(f"{name} (TimeGAN Table 2, sines)", *scores) for name, *scores in TIMEGAN_TABLE2_SINES]


def _configure(parser: argparse.ArgumentParser, configs: Path) -> None:
    parser.add_argument("--config", default=str(configs / "rnn_sines.yaml"))


def _options(args: argparse.Namespace) -> Options:
    return command_options(args, [args.config])


def _caption(options: Options, scored: ExperimentConfig) -> str:
    return "controls and references: mean ± std over post-hoc runs"


TIMEGAN = Protocol(
    command="timegan",
    help="TimeGAN's discriminative/predictive scores over seeds",
    configure=_configure,
    options=_options,
    columns=(
        Column("discriminative", decimals=4, spread="discriminative_std"),
        Column("predictive", decimals=4, spread="predictive_std"),
        Column("seconds", "train wall time / run (s)", 0),
        Column("scoring_seconds", "scoring (s)", 0),
    ),
    metrics=TIMEGAN_SCORES,
    controls=(Control("real data (train and test on real)", real_data),),
    untrained="untrained generator, same size",
    label_header="method",
    run_label="gan-lightning {config} ({seeds} seeds)",
    caption=_caption,
    references=_references,
)
