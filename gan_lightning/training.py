"""From a validated config to a finished run: run directory, data, module, Trainer, fit.

Used by ``scripts/fit.py``; importable so notebooks and tests run exactly what the CLI runs.
Everything that can fail on bad input (config, data) is done before the run directory is
created, so a rejected run leaves nothing behind.
"""

from __future__ import annotations

import logging
import os
import re
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_only

from gan_lightning.callbacks import SampleImages, TrainingCurves, WandbRunId
from gan_lightning.callbacks.evaluation import evaluation_callbacks
from gan_lightning.callbacks.progress import GeneratorStepProgressBar
from gan_lightning.callbacks.wandb_run import WANDB_RUN_ID_KEY
from gan_lightning.checkpointing import (
    AtomicCheckpointIO,
    CheckpointLoadError,
    GeneratorStepCheckpoint,
    read_checkpoint,
)
from gan_lightning.conditioning import CONDITIONINGS, Conditioning
from gan_lightning.config.loading import ConfigError, load_config, load_saved_config, to_yaml
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import GANDataModule, prepare_data
from gan_lightning.files import write_text_atomically
from gan_lightning.kinds import DataKind, kind_class
from gan_lightning.loggers import build_loggers, drop_rows_after
from gan_lightning.metrics.inception import InceptionWeightsError
from gan_lightning.metrics.suite import MetricError, build_suites
from gan_lightning.module import GANModule

UNACTIONABLE_INFO = re.compile(
    r"💡 Tip: |`Trainer.fit` stopped: `max_steps=|GPU available: |TPU available: "
    r"|LOCAL_RANK: \d+ - CUDA_VISIBLE_DEVICES"
)
"""Lightning's info lines that ask nothing of a newcomer: an advertisement; a stop message counting optimizer steps
(n_critic + 1 per generator step, not the config's unit: the progress bar and "run finished" say when the run
ended); which accelerators exist and which devices a rank sees (``trainer.accelerator`` and ``trainer.devices``
choose them, and a wrong choice fails with its own error)."""


def _actionable(record: logging.LogRecord) -> bool:
    return not UNACTIONABLE_INFO.match(record.getMessage())


def quiet_lightning() -> None:
    """Hide the Lightning messages that are expected here and would only confuse a newcomer.

    The EMA generator is deliberately in eval mode, checkpoints deliberately hold the state after the
    optimizer steps, logging goes on across epochs (max_steps runs), so an epoch shorter than
    ``log_every`` is fine, the model summary's size estimate in MB is all that mixed precision makes
    inexact, and Lightning's own pytree helper calls a deprecated PyTorch API (``LeafSpec``) that no user can
    change. Applied when this module is imported; calling it again changes nothing.
    """
    warnings.filterwarnings("ignore", message=r"Found \d+ module\(s\) in eval mode at the start of training")
    warnings.filterwarnings("ignore", message=r"Using ModelCheckpoint with manual optimization")
    warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated")
    warnings.filterwarnings("ignore", message=r"The number of training batches \(\d+\) is smaller than the logging")
    warnings.filterwarnings("ignore", message=r"Precision \S+ is not supported by the model summary")
    # A resumed run writes into its own checkpoint folder, on purpose.
    warnings.filterwarnings("ignore", message=r"Checkpoint directory .* exists and is not empty")
    # Under 16-mixed the GradScaler skips the optimizer step of an update whose gradients overflowed, by design (it
    # then lowers the scale); the learning-rate schedule counts generator steps all the same.
    warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`")
    rank_zero_log = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    if _actionable not in rank_zero_log.filters:
        rank_zero_log.addFilter(_actionable)


quiet_lightning()

RUN_DIR_ENV = "GAN_LIGHTNING_RUN_DIR"
"""Set by the launching process so every DDP rank writes to the same run directory."""

CONFIG_FILE = "config.yaml"
LAST_CHECKPOINT = Path("checkpoints") / "last.ckpt"


@dataclass
class ResumePoint:
    run_dir: Path
    checkpoint: Path
    generator_step: int
    wandb_run_id: str | None = None
    """The wandb run the checkpoint's run logged to, continued on resume."""


def _resume_point(run_dir: Path, checkpoint: Path) -> ResumePoint:
    """Read the checkpoint now, so a corrupt file is reported before anything is written."""
    state = read_checkpoint(checkpoint)
    if "generator_step" not in state:
        raise CheckpointLoadError(f"{checkpoint} was not written by gan-lightning (no generator_step)")
    return ResumePoint(run_dir, checkpoint, int(state["generator_step"]), state.get(WANDB_RUN_ID_KEY))


def find_resume_point(resume: str, config: ExperimentConfig | None = None) -> ResumePoint:
    """Resolve ``--resume``: a checkpoint, a run directory, or ``last`` (the newest run of ``config``)."""
    if resume == "last":
        if config is None:
            raise ConfigError("--resume last needs --config to know which experiment's runs to search")
        experiment_dir = Path(config.run.root) / config.name
        candidates = sorted(experiment_dir.glob(f"*/{LAST_CHECKPOINT}"), key=lambda p: p.stat().st_mtime)
        if not candidates:
            raise ConfigError(f"--resume last: no {LAST_CHECKPOINT} under {experiment_dir}")
        checkpoint = candidates[-1]
        return _resume_point(checkpoint.parent.parent, checkpoint)
    path = Path(resume)
    if path.is_dir():
        checkpoint = path / LAST_CHECKPOINT
        if not checkpoint.is_file():
            raise ConfigError(f"--resume {resume}: no {LAST_CHECKPOINT} in that run directory")
        return _resume_point(path, checkpoint)
    if path.is_file():
        return _resume_point(path.parent.parent, path)
    raise ConfigError(f"--resume {resume}: no such checkpoint file or run directory")


def load_run_config(
    config_files: list[str], overrides: list[str], resume: str | None
) -> tuple[ExperimentConfig, ResumePoint | None]:
    """The config of a new or resumed run. A resumed run defaults to the config saved in its directory."""
    if resume is None:
        if not config_files:
            raise ConfigError("no --config given (e.g. --config configs/quickstart.yaml)")
        return load_config(config_files, overrides), None
    base = load_config(config_files, overrides) if config_files else None
    point = find_resume_point(resume, base)
    if not config_files:
        saved = point.run_dir / CONFIG_FILE
        if not saved.is_file():
            raise ConfigError(f"--resume: {saved} not found; pass the run's --config")
        return load_saved_config(saved, overrides), point
    return base, point  # type: ignore[return-value]


def launcher_job_id() -> str | None:
    """The job id every node of a multi-node launch shares (SLURM or torchrun ``--rdzv-id``)."""
    job = os.environ.get("SLURM_JOB_ID") or os.environ.get("TORCHELASTIC_RUN_ID")
    return job if job and job != "none" else None


def new_run_dir(config: ExperimentConfig) -> Path:
    """``<root>/<name>/<version>``.

    The version is ``run.version``, else the launcher's job id (so every node of a multi-node job
    agrees without talking), else a timestamp made unique on disk.
    """
    if os.environ.get(RUN_DIR_ENV):
        return Path(os.environ[RUN_DIR_ENV])
    base = Path(config.run.root) / config.name
    fixed = config.run.version or launcher_job_id()
    version = fixed or time.strftime("%Y%m%d-%H%M%S")
    run_dir, suffix = base / version, 1
    while run_dir.exists() and not fixed:
        suffix += 1
        run_dir = base / f"{version}-{suffix}"
    return run_dir


STRIP_PAIRS = 8
"""Pairs in a translation run's sample strip."""


def build_callbacks(config: ExperimentConfig, run_dir: Path, datamodule: GANDataModule) -> list[L.Callback]:
    """Checkpoints, the kind's pictures and its own callbacks, the training curves and the wandb run id."""
    kind = kind_class(datamodule.kind_name)
    pairs = conditioning_class(datamodule).picture_pairs(datamodule, min(config.train.num_samples_grid, STRIP_PAIRS))
    callbacks: list[L.Callback] = [
        GeneratorStepCheckpoint(run_dir / "checkpoints", config.train.checkpoint_every, config.train.n_critic + 1),
        *kind.callbacks(config, datamodule),
        SampleImages(run_dir / "samples", config.train.sample_every, pairs=pairs),
        TrainingCurves(run_dir / "curves.png"),
    ]
    if "wandb" in config.run.loggers:
        callbacks.append(WandbRunId())
    return callbacks


def conditioning_class(datamodule: GANDataModule) -> type[Conditioning]:
    """The conditioning a DataModule's batches carry (its ``conditioning_name``)."""
    return CONDITIONINGS[datamodule.conditioning_name]


DDP_STRATEGY = "ddp_find_unused_parameters_true"
"""Alternating G/D updates leave one network unused in every backward pass, which plain DDP
rejects; finding unused parameters costs one autograd-graph traversal per backward."""


def processes_per_node(accelerator: str, devices: int | str) -> int:
    """How many training processes ``devices`` starts on one node (as Lightning counts them)."""
    text = str(devices).strip()
    if text in ("auto", "-1"):  # every visible GPU, or one CPU process
        return max(torch.cuda.device_count(), 1) if accelerator != "cpu" else 1
    if "," in text or text.startswith("["):
        return len([d for d in text.strip("[]").split(",") if d.strip()])
    return int(text)


def resolve_strategy(config: ExperimentConfig) -> str:
    """``auto`` becomes DDP with unused-parameter detection whenever more than one process trains."""
    trainer_cfg = config.trainer
    several = trainer_cfg.num_nodes > 1 or processes_per_node(trainer_cfg.accelerator, trainer_cfg.devices) > 1
    return DDP_STRATEGY if trainer_cfg.strategy == "auto" and several else trainer_cfg.strategy


def progress_bar(config: ExperimentConfig) -> list[L.Callback]:
    """The generator-step bar when ``run.progress_bar`` is on (Lightning then uses it instead of its own)."""
    return [GeneratorStepProgressBar(config.train.log_every)] if config.run.progress_bar else []


def build_trainer(
    config: ExperimentConfig,
    run_dir: Path,
    datamodule: GANDataModule,
    extra_callbacks: Sequence[L.Callback] = (),
    resume: ResumePoint | None = None,
    **overrides: object,
) -> L.Trainer:
    """A Trainer whose ``max_steps`` is ``train.max_steps`` generator steps; ``overrides`` win.

    ``resume`` lets the loggers continue the resumed run's history (its wandb run, for one).
    """
    trainer_cfg = config.trainer
    kwargs: dict[str, object] = {
        "default_root_dir": run_dir,
        "max_steps": config.train.max_steps * (config.train.n_critic + 1),
        "max_epochs": -1,
        "accelerator": trainer_cfg.accelerator,
        "devices": trainer_cfg.devices,
        "num_nodes": trainer_cfg.num_nodes,
        "strategy": resolve_strategy(config),
        "precision": trainer_cfg.precision,
        "logger": build_loggers(config, run_dir, resume.wandb_run_id if resume else None) or False,
        "callbacks": [*build_callbacks(config, run_dir, datamodule), *extra_callbacks, *progress_bar(config)],
        "plugins": [AtomicCheckpointIO()],
        "log_every_n_steps": config.train.log_every,
        "enable_progress_bar": config.run.progress_bar,
        "enable_model_summary": config.run.model_summary,
        "num_sanity_val_steps": 0,
        "limit_val_batches": 0,
    }
    kwargs.update(overrides)
    return L.Trainer(**kwargs)  # type: ignore[arg-type]


def module_states(config: ExperimentConfig, datamodule: GANDataModule) -> tuple[dict[str, Any], dict[str, Any]]:
    """The states of a loaded DataModule's kind and conditioning: what a module is built from, as a checkpoint
    rebuilds it (``GANModule(config, *module_states(...))``)."""
    kind: DataKind = kind_class(datamodule.kind_name).from_datamodule(datamodule, config)
    return kind.state(), conditioning_class(datamodule).from_datamodule(datamodule, config).state()


def build_module(config: ExperimentConfig, datamodule: GANDataModule) -> GANModule:
    """The module for a loaded DataModule; a network configuration it cannot build is a one-line ConfigError."""
    try:
        return GANModule(config, *module_states(config, datamodule))
    except ValueError as error:
        raise ConfigError(f"invalid network configuration: {error}") from error


def build_metric_callbacks(config: ExperimentConfig, datamodule: GANDataModule, run_dir: Path) -> list[L.Callback]:
    """The evaluation of ``metrics.names`` on the samples the run's conditioning evaluates, and the ``best.ckpt``
    that follows the first metric, built before the run directory exists: a missing extractor, weights file or test
    split is a one-line ConfigError and leaves nothing written."""
    try:
        suites = build_suites(config.metrics.names, config, datamodule, run_dir / "samples")
        source = conditioning_class(datamodule).evaluation_source(config, datamodule)
        return evaluation_callbacks(config, suites, source, run_dir / "checkpoints")
    except (InceptionWeightsError, MetricError) as error:
        raise ConfigError(str(error)) from error


def fit(
    config: ExperimentConfig,
    resume: ResumePoint | None = None,
    callbacks: Sequence[L.Callback] = (),
    **trainer_overrides: object,
) -> Path:
    """Train and return the run directory; ``callbacks`` are added to the standard ones.

    Raises ConfigError / DataUnavailableError before writing anything.
    """
    L.seed_everything(config.seed, workers=True, verbose=False)
    datamodule = prepare_data(config)
    module = build_module(config, datamodule)
    run_dir = resume.run_dir if resume else new_run_dir(config)
    metric_callbacks = build_metric_callbacks(config, datamodule, run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if rank_zero_only.rank == 0:  # DDP worker processes re-run this function; one writer is enough
        write_text_atomically(run_dir / CONFIG_FILE, to_yaml(config))
        if resume:
            drop_rows_after(run_dir / "metrics.csv", resume.generator_step)
    trainer = build_trainer(config, run_dir, datamodule, [*metric_callbacks, *callbacks], resume, **trainer_overrides)
    inherited = os.environ.get(RUN_DIR_ENV)
    os.environ[RUN_DIR_ENV] = str(run_dir)  # DDP worker processes started by the Trainer inherit it
    try:
        trainer.fit(module, datamodule=datamodule, ckpt_path=str(resume.checkpoint) if resume else None)
    finally:
        if inherited is None:
            os.environ.pop(RUN_DIR_ENV, None)
    return run_dir
