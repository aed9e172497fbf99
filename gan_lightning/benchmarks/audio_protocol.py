"""The audio benchmark: WaveGAN and SpecGAN on the spoken digits over seeds, framed by controls (the WaveGAN paper's
Table 1 protocol, offline).

Per config and seed: train (or finish: a run left under ``root`` by an interrupted benchmark resumes exactly, and a
finished one is scored as it is), then score the final EMA generator's ``metrics.num_generated`` clips against the
clips of held-out voices (``metrics.real_split=test``) with every unconditional audio metric. The Inception score is
also given as a ratio to the real test clips' own (``is_ratio``): absolute SC09 scores do not transfer across
classifiers, ratios do (the paper: WaveGAN 4.67 / 8.01 = 0.58, SpecGAN 6.03 / 9.18 = 0.66). The controls are scored
against the same real clips: real training clips (other voices: the floor of the distances, and |D|train 0, since
each is in the training set), the real test clips themselves (the ceiling of the score, ratio 1) and an untrained
generator of each config.
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
from gan_lightning.data.audio import AudioDataModule
from gan_lightning.kinds.audio import AudioKind
from gan_lightning.metrics.audio_quality import AudioSuite
from gan_lightning.metrics.suite import latent_samples, real_subset
from gan_lightning.training import LAST_CHECKPOINT, prepare_data

STFT_BATCH = 100
"""Clips taken through a representation at once (Griffin-Lim's memory)."""
SCORED = list(AudioKind.default_metric_names())
"""Every audio metric of an unconditional generator."""
SCORING = ["metrics.real_split=test", "metrics.names=[" + ",".join(SCORED) + "]"]
"""Every unconditional audio metric, against the clips of held-out voices."""


def protocol_config(
    config_path: Path, root: Path, overrides: Sequence[str], seed: int, scoring: bool = False
) -> ExperimentConfig:
    """The config as benchmarked: the run itself computes no metrics (the protocol scores it after training); with
    ``scoring``, the config it is scored with: every audio metric against the held-out voices, ``overrides`` still
    last."""
    return seed_run_config(config_path, root, overrides, seed, SCORING if scoring else ())


def _audio_data(config: ExperimentConfig) -> AudioDataModule:
    datamodule = prepare_data(config)
    if not isinstance(datamodule, AudioDataModule):
        raise ConfigError(f"data.name={config.data.name} is not audio; the audio benchmark needs clips of sound")
    return datamodule


def with_ratio(values: dict[str, float]) -> dict[str, float]:
    """``values`` and ``is_ratio``: the Inception score over the real test clips' own."""
    return {**values, "is_ratio": values["audio_is"] / values["audio_is_real"]}


def audio_run(config_path: Path, root: Path, overrides: Sequence[str], seed: int) -> dict[str, float]:
    """Train (or finish) ``config_path`` with ``seed`` under ``root`` and score its final EMA generator."""
    config = protocol_config(config_path, root, overrides, seed)
    datamodule = _audio_data(config)  # not audio: one line, before training
    start = time.perf_counter()
    run_dir = train_or_finish(config)  # a finished run is scored as it is
    trained = time.perf_counter()
    module = load_module(run_dir / LAST_CHECKPOINT)
    scored = protocol_config(config_path, root, overrides, seed, scoring=True)
    values, _ = module.kind.evaluate(module, scored, datamodule, EvaluationOptions(no_ema=False))
    return {
        **with_ratio(values),
        "seconds": run_seconds(run_dir),
        "seconds_this_call": trained - start,
        "scoring_seconds": time.perf_counter() - trained,
    }


def served(clips: Tensor) -> Callable[[range], Tensor]:
    """Real clips served by index, as the evaluator takes generated ones."""
    return lambda index: clips[index.start : index.stop]


def controls(config_path: Path, root: Path, overrides: Sequence[str], real: bool = True) -> dict[str, dict[str, float]]:
    """The metrics of the config's untrained generator (seed 0) and, with ``real``, of as many real training clips (a
    seeded subset: the floor) and of the real test clips themselves (the ceiling), each against the held-out-voice
    clips the runs are scored on; where the config's representation changes the real clips (SpecGAN's spectrogram,
    heard through Griffin-Lim), the real test clips heard through it too: the ceiling of that generator."""
    config = protocol_config(config_path, root, overrides, seed=0)
    datamodule = _audio_data(config)
    scored = protocol_config(config_path, root, overrides, seed=0, scoring=True)
    suite: AudioSuite = AudioSuite.build(scored.metrics.names, scored, datamodule, root)  # type: ignore[assignment]
    evaluator = suite.quality
    num = scored.metrics.num_generated
    untrained = untrained_module(config, datamodule)
    values = {"untrained": with_ratio(suite.evaluate(untrained, latent_samples(untrained, num, config.seed), 0).values)}
    test: Tensor = real_subset(datamodule.evaluation_images("test"), num)  # type: ignore[assignment]
    heard = torch.cat([untrained.kind.heard_through(part) for part in test.split(STFT_BATCH)])
    if not torch.equal(heard, test):
        values[f"real_test through {config_path.stem}"] = with_ratio(
            evaluator.evaluate(served(heard), len(heard), torch.device("cpu"))
        )
    if real:
        train: Tensor = real_subset(datamodule.evaluation_images("train"), num)  # type: ignore[assignment]
        for name, clips in (("real_train", train), ("real_test", test)):
            values[name] = with_ratio(evaluator.evaluate(served(clips), len(clips), torch.device("cpu")))
    return values


def benchmark_audio(
    config_path: Path, seeds: int, root: Path, overrides: Sequence[str] = (), jobs: int = 1
) -> list[dict[str, float]]:
    """One :func:`audio_run` per seed ``0 … seeds-1``, ``jobs`` at a time; results in seed order."""
    return map_seeds(audio_run, seeds, jobs, config_path, root, overrides)
