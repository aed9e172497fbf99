"""The video benchmark: MoCoGAN against the 3D-conv baseline on Moving MNIST, over seeds, framed by controls.

Per config and seed: train (or finish: a run left under ``root`` by an interrupted benchmark resumes exactly, and a
finished one is scored as it is), then score the final EMA generator's ``metrics.num_generated`` clips against the
held-out-digit clips (``metrics.real_split=test``) with every video metric. The controls are scored against the same
real clips: real training clips (other digits, other paths: the floor), the same clips with their frames shuffled in
time (real frames, wrong motion), and an untrained generator of each config (the ceiling).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import Tensor

from gan_lightning.benchmarks.parallel import map_seeds, run_seconds, seed_run_config, train_or_finish, untrained_module
from gan_lightning.checkpointing import load_module
from gan_lightning.conditioning import EvaluationOptions
from gan_lightning.config import ConfigError, ExperimentConfig
from gan_lightning.kinds.video import VideoKind
from gan_lightning.metrics.clip_evaluator import shuffle_frames
from gan_lightning.metrics.suite import latent_samples
from gan_lightning.metrics.video_quality import VideoSuite
from gan_lightning.training import LAST_CHECKPOINT, prepare_data

SCORING = ["metrics.real_split=test", "metrics.names=[" + ",".join(VideoKind.default_metric_names()) + "]"]
"""Every video metric, against the clips of held-out digits."""
SHUFFLE_SEED = 7
"""Seeds the time-shuffled control."""


def protocol_config(
    config_path: Path, root: Path, overrides: Sequence[str], seed: int, scoring: bool = False
) -> ExperimentConfig:
    """The config as benchmarked: the run itself computes no metrics (the protocol scores it after training); with
    ``scoring``, the config it is scored with: every video metric against the held-out-digit clips, ``overrides``
    still last."""
    return seed_run_config(config_path, root, overrides, seed, SCORING if scoring else ())


def _video_data(config: ExperimentConfig) -> object:
    datamodule = prepare_data(config)
    if datamodule.kind_name != "video":
        raise ConfigError(f"data.name={config.data.name} is not video data; the video benchmark needs clips")
    return datamodule


def video_run(config_path: Path, root: Path, overrides: Sequence[str], seed: int) -> dict[str, float]:
    """Train (or finish) ``config_path`` with ``seed`` under ``root`` and score its final EMA generator."""
    config = protocol_config(config_path, root, overrides, seed)
    datamodule = _video_data(config)  # not video data: one line, before training
    start = time.perf_counter()
    run_dir = train_or_finish(config)  # a finished run is scored as it is
    trained = time.perf_counter()
    module = load_module(run_dir / LAST_CHECKPOINT)
    scored = protocol_config(config_path, root, overrides, seed, scoring=True)
    options = EvaluationOptions(no_ema=False)
    values, _ = module.kind.evaluate(module, scored, datamodule, options)  # type: ignore[arg-type]
    return {
        **values,
        "seconds": run_seconds(run_dir),
        "seconds_this_call": trained - start,
        "scoring_seconds": time.perf_counter() - trained,
    }


def controls(config_path: Path, root: Path, overrides: Sequence[str], real: bool = True) -> dict[str, dict[str, float]]:
    """The metrics of the config's untrained generator (seed 0: the ceiling) and, with ``real``, of real training
    clips (the floor) and of the same clips shuffled in time, each against the held-out-digit clips the runs are
    scored on."""
    config = protocol_config(config_path, root, overrides, seed=0)
    datamodule = _video_data(config)
    scored = protocol_config(config_path, root, overrides, seed=0, scoring=True)
    suite: VideoSuite = VideoSuite.build(scored.metrics.names, scored, datamodule, root)  # type: ignore[assignment]
    evaluator = suite.quality
    num, device = scored.metrics.num_generated, torch.device("cpu")
    untrained = untrained_module(config, datamodule)
    values = {"untrained": suite.evaluate(untrained, latent_samples(untrained, num, config.seed), 0).values}
    if real:
        clips = datamodule.evaluation_images("train")[:num]  # type: ignore[attr-defined]
        shuffled = shuffle_frames(clips, torch.Generator().manual_seed(SHUFFLE_SEED))
        for name, stored in (("real_train", clips), ("real_shuffled", shuffled)):
            values[name] = evaluator.evaluate(as_unit_range(stored), len(stored), device)
    return values


def as_unit_range(stored: Tensor) -> Callable[[range], Tensor]:
    """``uint8`` clips served by index as floats in [0, 1], as the evaluator takes generated clips."""
    return lambda index: stored[index.start : index.stop].float() / 255


def benchmark_video(
    config_path: Path, seeds: int, root: Path, overrides: Sequence[str] = (), jobs: int = 1
) -> list[dict[str, float]]:
    """One :func:`video_run` per seed ``0 … seeds-1``, ``jobs`` at a time; results in seed order."""
    return map_seeds(video_run, seeds, jobs, config_path, root, overrides)
