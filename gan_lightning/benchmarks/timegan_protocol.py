"""TimeGAN's evaluation protocol (Yoon et al. 2019, Table 2) for a sequence config.

Per seed: train the config, then score its EMA generator's ``metrics.num_generated`` sequences
against ``metrics.num_real`` real ones with TimeGAN's discriminative and predictive scores, each
averaged over ``metrics.timegan.runs`` post-hoc models (10 in TimeGAN's code). Two references frame
the numbers: an untrained generator of the same size (the floor a trained one must clear) and the
predictive score of the real data itself (train and test on real: the best a generator can match).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from torch import Tensor

from gan_lightning.benchmarks.parallel import map_seeds, run_seconds, seed_run_config, train_or_finish, untrained_module
from gan_lightning.checkpointing import load_module
from gan_lightning.config import ConfigError, ExperimentConfig
from gan_lightning.data import SequenceDataModule
from gan_lightning.metrics.sequence_quality import SequenceQuality
from gan_lightning.metrics.suite import latent_samples, real_subset
from gan_lightning.metrics.timegan_scores import TIMEGAN_SCORES, real_data_predictive
from gan_lightning.module import GANModule
from gan_lightning.training import LAST_CHECKPOINT, prepare_data


def _sequence_data(config: ExperimentConfig) -> SequenceDataModule:
    datamodule = prepare_data(config)
    if not isinstance(datamodule, SequenceDataModule):
        raise ConfigError(f"data.name={config.data.name} is not sequence data; the TimeGAN protocol needs sines or co2")
    return datamodule


def timegan_quality(config: ExperimentConfig, datamodule: SequenceDataModule) -> SequenceQuality:
    """TimeGAN's two scores against ``metrics.num_real`` real sequences (a seeded subset when the set is larger)."""
    real: Tensor = real_subset(datamodule.evaluation_sequences(), config.metrics.num_real)  # type: ignore[assignment]
    return SequenceQuality(TIMEGAN_SCORES, real, datamodule.to_score_space, config.metrics.timegan, config.seed)


def score(module: GANModule, config: ExperimentConfig, datamodule: SequenceDataModule) -> dict[str, float]:
    """Both scores (mean and std over the post-hoc runs) of ``module``'s EMA generator."""
    num = config.metrics.num_generated
    return timegan_quality(config, datamodule).evaluate(latent_samples(module, num, config.seed).all())


def timegan_run(config_path: Path, root: Path, overrides: Sequence[str], seed: int) -> dict[str, float]:
    """Train (or finish) with ``seed`` and score the final EMA generator; adds the training wall time, summed over
    every session that trained it, and the scoring's."""
    config = seed_run_config(config_path, root, overrides, seed)
    datamodule = _sequence_data(config)  # a config that is not sequence data fails here, before training
    run_dir = train_or_finish(config)
    trained = time.perf_counter()
    scores = score(load_module(run_dir / LAST_CHECKPOINT), config, datamodule)
    return {**scores, "seconds": run_seconds(run_dir), "scoring_seconds": time.perf_counter() - trained}


def untrained_floor(config_path: Path, root: Path, overrides: Sequence[str]) -> dict[str, float]:
    """The scores of the config's generator at initialisation (seed 0): what training must improve on."""
    config = seed_run_config(config_path, root, overrides, seed=0)
    datamodule = _sequence_data(config)
    return score(untrained_module(config, datamodule), config, datamodule)


def real_baseline(config_path: Path, root: Path, overrides: Sequence[str]) -> dict[str, float]:
    """The predictive score of the real sequences themselves (TimeGAN's "original data" row)."""
    config = seed_run_config(config_path, root, overrides, seed=0)
    datamodule = _sequence_data(config)
    real = timegan_quality(config, datamodule).real
    return real_data_predictive(datamodule.to_score_space(real), config.metrics.timegan, config.seed)


def benchmark_timegan(
    config_path: Path, seeds: int, root: Path, overrides: Sequence[str] = (), jobs: int = 1
) -> list[dict[str, float]]:
    """One :func:`timegan_run` per seed ``0 … seeds-1``, ``jobs`` at a time; results in seed order."""
    return map_seeds(timegan_run, seeds, jobs, config_path, root, overrides)
