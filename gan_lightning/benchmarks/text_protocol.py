"""The text benchmark: the GAN against maximum likelihood, from one MLE checkpoint per seed.

Per seed: train the MLE-only config (``text_oracle_mle.yaml``: every step a pretraining step); the GAN config
(``text_oracle_gan.yaml``: the same seed, data and pretraining steps, then adversarial steps) starts from a copy of
that run's last checkpoint, resumed exactly (the pretraining it shares with the MLE run is not trained twice, and the
GAN provably starts from the state the MLE baseline is scored at). Both final generators (G itself with
``ema_decay: 0``) are scored alike by the MLE config's ``metrics.names`` on ``metrics.num_generated`` samples at
temperature 1 (on the oracle NLL_oracle, NLL_test and the unique-sample ratio, beside the oracle's entropy and
``ln V``; on a text file e.g. BLEU, Self-BLEU and the word list's shares), and each one's temperature sweep
(``metrics.temperatures``: Caccia et al.'s quality-diversity curve on the dataset's axes). Runs left under ``root``
by an interrupted benchmark resume exactly; finished ones are scored as they are.

The controls are token n-grams of the same training split (:mod:`gan_lightning.benchmarks.ngram`: a bigram, a trigram
and a 5-gram by default), sampled at temperature 1 and scored by the same metrics against the same held-out split: a
language GAN that does not beat a bigram has learned less than counting pairs of characters does.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gan_lightning.benchmarks.ngram import NGramModel
from gan_lightning.benchmarks.parallel import map_seeds, run_seconds, seed_run_config, train_or_finish
from gan_lightning.benchmarks.summary import mean_se, seed_line, table_head, table_row
from gan_lightning.checkpointing import load_module
from gan_lightning.config.loading import ConfigError, load_config
from gan_lightning.metrics.quality_diversity import (
    QUALITY_DIVERSITY_AXES,
    plot_quality_diversity,
    quality_diversity_axes,
)
from gan_lightning.metrics.text_quality import TextSamples, check_text_metrics, score_ids, score_text, temperature_sweep
from gan_lightning.training import LAST_CHECKPOINT, new_run_dir, prepare_data

TEXT_CONTEXT = ("oracle_entropy", "ln_vocab", "seconds", "seconds_this_call")
"""Values of a text run printed beside the table, not as its columns."""
NGRAM_ORDERS = (2, 3, 5)
"""The n-gram controls' orders: a bigram, a trigram and a 5-gram (which mostly copies the training split)."""
NGRAM_SEED = 0
"""Seeds the n-gram controls' draws: one draw each, scored against the one held-out split every seed's runs are."""
GAN_ONLY_GENERATOR_KEYS = ("temperature_max", "temperature_schedule", "temperature_steps", "straight_through")
"""The generator keys the GAN config may set apart from the MLE one: how G samples in adversarial steps, not what
its checkpoint holds."""


def text_run(mle_path: Path, gan_path: Path, root: Path, overrides: Sequence[str], seed: int) -> dict[str, Any]:
    """The MLE run and the GAN run continuing its checkpoint for ``seed``, each scored: ``{"mle": ..., "gan": ...,
    "sweep": {"mle": rows, "gan": rows}, "quality_diversity": {"axes": name, "reference": values}}`` (the sweep of
    ``metrics.temperatures``, when it lists any, and the data's own point on its axes)."""
    scored = load_config([mle_path], overrides).metrics.names  # the runs themselves compute none
    if not scored:
        raise ConfigError(f"{mle_path.name}: metrics.names is empty; the text benchmark scores the runs by them")
    mle, gan = (seed_run_config(path, root, overrides, seed) for path in (mle_path, gan_path))
    if mle.train.pretrain_steps != mle.train.max_steps:
        raise ConfigError(f"{mle_path.name}: the MLE baseline needs train.pretrain_steps = train.max_steps")
    if gan.train.pretrain_steps != mle.train.max_steps or gan.seed != mle.seed:
        raise ConfigError(
            f"{gan_path.name} must pretrain exactly as {mle_path.name} ({mle.train.max_steps} steps) to start from "
            "its checkpoint"
        )
    for key in ("g_optim", "d_optim"):  # their state, learning rates included, comes from the MLE checkpoint
        if getattr(mle, key) != getattr(gan, key):
            raise ConfigError(
                f"{key} differs between {mle_path.name} and {gan_path.name}; the GAN resumes the MLE run's optimizers "
                f"(learning rates included), so set {key} alike in both (or pass it as an override)"
            )
    # the options of both generators' sections (one arch or two: then ``arch`` differs)
    keys = [k for k in dict.fromkeys([*mle.generator, *gan.generator]) if k not in GAN_ONLY_GENERATOR_KEYS]
    differing = [k for k in keys if mle.generator.get(k) != gan.generator.get(k)]  # type: ignore[attr-defined]
    if differing:
        key = differing[0]
        values = f"{mle.generator.get(key)} and {gan.generator.get(key)}"  # type: ignore[attr-defined]
        raise ConfigError(
            f"generator.{key} differs between {mle_path.name} and {gan_path.name} ({values}); "
            f"the GAN continues the MLE run's generator, so only {', '.join(GAN_ONLY_GENERATOR_KEYS)} may differ"
        )
    if mle.name == gan.name:
        raise ConfigError(f"{mle_path.name} and {gan_path.name} share name={mle.name}; their runs would collide")
    # the MLE baseline's pretraining already confines it to generators with a likelihood, of token data
    datamodule = prepare_data(mle)
    problem = check_text_metrics(scored, datamodule, mle.data.name, mle.metrics)  # type: ignore[arg-type]
    if problem:
        raise ConfigError(problem)
    runs = (("mle", mle), ("gan", gan))
    run_dirs = {label: new_run_dir(config) for label, config in runs}  # where train_or_finish trains each
    start = time.perf_counter()
    train_or_finish(mle)
    gan_checkpoint = run_dirs["gan"] / LAST_CHECKPOINT
    if not gan_checkpoint.is_file():  # the GAN run starts from the MLE run's final state
        gan_checkpoint.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(run_dirs["mle"] / LAST_CHECKPOINT, gan_checkpoint)
    train_or_finish(gan)
    trained = time.perf_counter()
    planes = quality_diversity_axes(datamodule)
    results: dict[str, dict[str, Any]] = {"sweep": {}}
    for label, config in runs:
        module = load_module(run_dirs[label] / LAST_CHECKPOINT)
        cfg = config.metrics
        values = score_text(module, datamodule, scored, cfg, seed)
        results[label] = {**values, "seconds": run_seconds(run_dirs[label])}
        if cfg.temperatures:  # the quality-diversity curve of each: is the GAN below MLE's curve, not just its point?
            results["sweep"][label] = temperature_sweep(module, datamodule, cfg.temperatures, cfg, seed)
    reference = {k: v for axes in planes for k, v in axes.reference(datamodule, mle.metrics).items()}
    results["quality_diversity"] = {"planes": [axes.name for axes in planes], "reference": reference}
    results["gan"]["seconds_this_call"] = trained - start
    return results


def benchmark_text(
    mle_path: Path, gan_path: Path, seeds: int, root: Path, overrides: Sequence[str] = (), jobs: int = 1
) -> list[dict[str, Any]]:
    """One :func:`text_run` per seed ``0 … seeds-1``, ``jobs`` at a time; results in seed order."""
    return map_seeds(text_run, seeds, jobs, mle_path, gan_path, root, overrides)  # type: ignore[arg-type]


def ngram_label(order: int) -> str:
    return {2: "bigram", 3: "trigram"}.get(order, f"{order}-gram")


def ngram_controls(
    mle_path: Path, overrides: Sequence[str] = (), orders: Sequence[int] = NGRAM_ORDERS
) -> dict[str, dict[str, float]]:
    """Each order's n-gram of the MLE config's training split, ``metrics.num_generated`` samples drawn with
    :data:`NGRAM_SEED` and scored by its ``metrics.names`` (``nll_test`` by the n-gram's own likelihood), by label."""
    config = load_config([mle_path], overrides)
    datamodule = prepare_data(config)
    vocab_size, length = len(datamodule.vocabulary), datamodule.length  # type: ignore[attr-defined]
    controls = {}
    for order in orders:
        model = NGramModel(datamodule.evaluation_ids("train"), order, vocab_size, datamodule.stop_tokens)  # type: ignore[attr-defined]
        ids = model.sample(config.metrics.num_generated, length, NGRAM_SEED)
        samples = TextSamples(ids, datamodule, model.nll, config.metrics)  # type: ignore[arg-type]
        controls[ngram_label(order)] = score_ids(samples, config.metrics.names)
    return controls


def report_text(
    runs: list[dict[str, Any]], controls: dict[str, dict[str, float]], jobs: int, picture: Path | None = None
) -> dict[str, object]:
    """Prints each seed's values and the table (mean ± s.e. over seeds of MLE and of the GAN, then the n-gram
    ``controls``' values, the GAN's NLL_oracle gain where the data is the oracle); with ``picture``, seed 0's
    quality-diversity curves there, the controls as points at temperature 1. Returns the JSON."""
    for seed, run in enumerate(runs):
        for label in ("mle", "gan"):
            print(seed_line(f"seed {seed} {label}", run[label]), flush=True)
    first = runs[0]["mle"]
    columns = [*(k for k in first if k not in TEXT_CONTEXT), "seconds"]
    floor = ""
    if "ln_vocab" in first:  # the oracle's floor and a uniform model, beside its NLL values
        floor = f"oracle entropy {first['oracle_entropy']:.3f}, ln V {first['ln_vocab']:.3f}; "
    print(f"\n{len(runs)} seeds, {jobs} run(s) at a time on {os.cpu_count()} cores; {floor}mean ± s.e. over "
          "seeds, at temperature 1")  # fmt: skip
    print("\n".join(table_head(["run", *columns])))
    for label in ("mle", "gan"):
        cells = [mean_se([run[label][k] for run in runs], 0 if k == "seconds" else 3) for k in columns]
        print(table_row([label, *cells]))
    for label, values in controls.items():
        print(table_row([label, *(f"{values[k]:.3f}" if k in values else "" for k in columns)]))
    results: dict[str, object] = {"runs": runs, "controls": controls}
    if "nll_oracle" in first:
        gains = [run["mle"]["nll_oracle"] - run["gan"]["nll_oracle"] for run in runs]
        print(f"GAN's NLL_oracle gain over MLE from the same checkpoint: {mean_se(gains, 3)} nats (SeqGAN: 0.30)")
        results["nll_oracle_gain"] = gains
    if picture is not None and runs[0]["sweep"]:  # seed 0's quality-diversity curves
        drawn = runs[0]["quality_diversity"]
        planes = [QUALITY_DIVERSITY_AXES[name] for name in drawn["planes"]]
        keys = [key for axes in planes for key in (axes.x, axes.y)]
        points = {label: [{"temperature": 1.0, **{k: values[k] for k in keys}}]
                  for label, values in controls.items() if all(k in values for k in keys)}  # fmt: skip
        plot_quality_diversity({**runs[0]["sweep"], **points}, picture, planes, drawn["reference"],
                               "MLE and GAN, seed 0; n-grams at temperature 1")  # fmt: skip
        print(f"wrote {picture}")
    return results
