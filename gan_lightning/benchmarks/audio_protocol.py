"""The audio benchmark: WaveGAN and SpecGAN on the spoken digits over seeds, framed by controls (the WaveGAN paper's
Table 1 protocol, offline).

Each run's final EMA generator's ``--num`` clips are scored with every unconditional audio metric against ``--num``
clips of held-out voices (``metrics.real_split=test``). The Inception score is also given as a ratio to the real test
clips' own (``is_ratio``): absolute SC09 scores do not transfer across classifiers, ratios do (the paper: WaveGAN
4.67 / 8.01 = 0.58, SpecGAN 6.03 / 9.18 = 0.66). The controls are scored against the same real clips: real training
clips (other voices: the floor of the distances, and |D|train 0, since each is in the training set), the real test
clips themselves (the ceiling of the score, ratio 1), an untrained generator of each config and, where a config's
representation changes the real clips (SpecGAN's spectrogram, heard through Griffin-Lim), the real test clips heard
through it: the ceiling of that generator. The protocol itself is :mod:`gan_lightning.benchmarks.protocol`.
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
    Values,
    command_options,
    real_samples,
)
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.metrics.suite import GeneratedSet, fitting_metrics, real_subset

STFT_BATCH = 100
"""Clips taken through a representation at once (Griffin-Lim's memory)."""
COLUMNS = ("audio_is", "is_ratio", "audio_fd", "audio_kid", "audio_classes_covered", "d_self", "d_train")


def with_ratio(values: Values) -> Values:
    """``values`` and ``is_ratio``: the Inception score over the real test clips' own."""
    return {**values, "is_ratio": values["audio_is"] / values["audio_is_real"]}


def _real(context: ControlContext, split: str) -> Tensor:
    """As many clips of ``split`` as the runs generate (a seeded subset: the scored reference set, for ``test``)."""
    clips = context.datamodule.evaluation_images(split)  # type: ignore[attr-defined]
    return real_subset(clips, context.scored.metrics.num_generated)  # type: ignore[return-value]


def real_train(context: ControlContext) -> GeneratedSet:
    """Real training clips: the floor of the distances."""
    return real_samples(_real(context, "train"))


def real_test(context: ControlContext) -> GeneratedSet:
    """The reference clips themselves: the ceiling of the score."""
    return real_samples(_real(context, "test"))


def heard_test(context: ControlContext) -> GeneratedSet | None:
    """The reference clips through the config's representation, where it changes them: that generator's ceiling."""
    test = _real(context, "test")
    heard = torch.cat([context.untrained.kind.heard_through(part) for part in test.split(STFT_BATCH)])  # type: ignore[attr-defined]
    return None if torch.equal(heard, test) else real_samples(heard)


def _configure(parser: argparse.ArgumentParser, configs: Path) -> None:
    names = ("wavegan", "specgan")
    parser.add_argument("--configs", nargs="+", default=[str(configs / f"{n}_spoken_digits_quick.yaml") for n in names])
    parser.add_argument("--num", type=int, default=800, help="generated and real clips scored")


def _options(args: argparse.Namespace) -> Options:
    return command_options(args, args.configs, [f"metrics.num_generated={args.num}", f"metrics.num_real={args.num}"])


def _caption(options: Options, scored: ExperimentConfig) -> str:
    cfg = scored.metrics
    return f"{cfg.num_generated} generated clips against {cfg.num_real} clips of held-out voices"


AUDIO = Protocol(
    command="audio",
    help="WaveGAN and SpecGAN on spoken digits, with controls",
    configure=_configure,
    options=_options,
    columns=(*(Column(key) for key in COLUMNS), Column("seconds", "wall time / run (s)")),
    metrics=fitting_metrics("audio", "none"),
    scoring=("metrics.real_split=test",),
    controls=(
        Control("real_test through {config}", heard_test, every_config=True),
        Control("real_train", real_train),
        Control("real_test", real_test),
    ),
    derive=with_ratio,
    label_header="clips",
    caption=_caption,
)
