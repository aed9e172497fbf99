"""The video benchmark: MoCoGAN against the 3D-conv baseline on Moving MNIST, over seeds, framed by controls.

Each run's final EMA generator's ``--num`` clips are scored with every video metric against ``--num`` held-out-digit
clips (``metrics.real_split=test``). The controls are scored against the same real clips: real training clips (other
digits, other paths: the floor), the same clips with their frames shuffled in time (real frames, wrong motion), and
an untrained generator of each config (the ceiling). The protocol itself is :mod:`gan_lightning.benchmarks.protocol`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch import Tensor

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
from gan_lightning.metrics.clip_evaluator import shuffle_frames
from gan_lightning.metrics.suite import GeneratedSet, fitting_metrics

SHUFFLE_SEED = 7
"""Seeds the time-shuffled control."""
COLUMNS = (
    "frame_fd",
    "clip_fd",
    "content_consistency",
    "content_consistency_real",
    "motion_ratio",
    "motion_w1",
    "frozen",
)


def _training_clips(context: ControlContext) -> Tensor:
    return context.datamodule.evaluation_images("train")[: context.scored.metrics.num_generated]  # type: ignore[attr-defined]


def real_train(context: ControlContext) -> GeneratedSet:
    """As many real training clips as the runs generate: the floor."""
    return real_samples(_training_clips(context), as_unit_range)


def real_shuffled(context: ControlContext) -> GeneratedSet:
    """The same clips with their frames shuffled in time: real frames, wrong motion."""
    shuffled = shuffle_frames(_training_clips(context), torch.Generator().manual_seed(SHUFFLE_SEED))
    return real_samples(shuffled, as_unit_range)


def _configure(parser: argparse.ArgumentParser, configs: Path) -> None:
    names = ("video", "video3d")
    parser.add_argument("--configs", nargs="+", default=[str(configs / f"{n}_moving_mnist_quick.yaml") for n in names])
    parser.add_argument("--num", type=int, default=4000, help="generated and real clips scored")


def _options(args: argparse.Namespace) -> Options:
    return command_options(args, args.configs, [f"metrics.num_generated={args.num}", f"metrics.num_real={args.num}"])


def _caption(options: Options, scored: ExperimentConfig) -> str:
    cfg = scored.metrics
    return f"{cfg.num_generated} generated clips against {cfg.num_real} clips of held-out digits"


VIDEO = Protocol(
    command="video",
    help="MoCoGAN against the 3D-conv baseline, with controls, over seeds",
    configure=_configure,
    options=_options,
    columns=(*(Column(key) for key in COLUMNS), Column("seconds", "wall time / run (s)")),
    metrics=fitting_metrics("video", "none"),
    scoring=("metrics.real_split=test",),
    controls=(Control("real_train", real_train), Control("real_shuffled", real_shuffled)),
    label_header="clips",
    caption=_caption,
)
