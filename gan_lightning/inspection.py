"""Reading a run directory after the fact: what ``notebooks/inspect_run.ipynb`` shows when a run looks wrong.

Everything comes from the files a run leaves (``config.yaml``, ``metrics.csv``, ``samples/``,
``checkpoints/``), so a crashed or unfinished run can be inspected as well as a finished one, and on a
machine without its dataset: the config is read without validating it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from omegaconf import OmegaConf
from torch import Tensor

from gan_lightning.callbacks.training_curves import Series
from gan_lightning.checkpointing import load_module, read_checkpoint
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.config.sections import schema_for, typed, upgrade_saved
from gan_lightning.metrics.class_coverage import COVERED_SHARE
from gan_lightning.training import CONFIG_FILE

PERIODIC_CHECKPOINT = re.compile(r"gen_step=(\d+)\.ckpt")


def newest_run(root: str | Path) -> Path:
    """The run directory (``<root>/<name>/<version>``, holding a ``config.yaml``) written to last."""
    configs = sorted(Path(root).glob(f"*/*/{CONFIG_FILE}"), key=lambda path: path.stat().st_mtime)
    if not configs:
        raise FileNotFoundError(f"no run directory (<name>/<version>/{CONFIG_FILE}) under {Path(root).resolve()}")
    return configs[-1].parent


def saved_config(run_dir: str | Path) -> ExperimentConfig:
    """The run's ``config.yaml`` on the schema's defaults, not validated (its data need not be here)."""
    return typed(upgrade_saved(OmegaConf.load(Path(run_dir) / CONFIG_FILE)))


def changed_keys(config: ExperimentConfig) -> dict[str, object]:
    """``dotted key -> value`` of every key whose value differs from the schema's default: what the run chose."""
    defaults = _flatten(OmegaConf.to_container(schema_for(config)))  # type: ignore[arg-type]
    values = _flatten(OmegaConf.to_container(config))  # type: ignore[arg-type]
    return {key: value for key, value in values.items() if defaults.get(key) != value}


def _flatten(tree: dict[str, object], prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def metrics_table(series: Series, names: Sequence[str]) -> str:
    """A Markdown table with one row per generator step at which any of ``names`` was logged."""
    by_step = {name: dict(zip(*series[name], strict=True)) for name in names if name in series}
    steps = sorted({step for values in by_step.values() for step in values})
    lines = ["| step | " + " | ".join(by_step) + " |", "|---" * (len(by_step) + 1) + "|"]
    for step in steps:
        cells = [f"{values[step]:.4g}" if step in values else "" for values in by_step.values()]
        lines.append(f"| {step:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def phase_table(series: Series, names: Sequence[str], phases: int = 3) -> str:
    """Markdown: the mean of each of ``names`` over the first, middle, ... last part of the logged steps.

    Averages, not single values, because per-step losses and D outputs are noisy.
    """
    present = [name for name in names if series.get(name, ([], []))[0]]
    lines = ["| steps | " + " | ".join(present) + " |", "|---" * (len(present) + 1) + "|"]
    steps = sorted({step for name in present for step in series[name][0]})
    for part in range(phases):
        window = steps[len(steps) * part // phases : len(steps) * (part + 1) // phases]
        if not window:
            continue
        means = []
        for name in present:
            values = [v for s, v in zip(*series[name], strict=True) if window[0] <= s <= window[-1]]
            means.append(f"{sum(values) / len(values):.3g}" if values else "")
        lines.append(f"| {window[0]:g}–{window[-1]:g} | " + " | ".join(means) + " |")
    return "\n".join(lines)


def checkpoints_by_step(run_dir: str | Path) -> list[tuple[int, Path]]:
    """``(generator step, file)`` of the periodic checkpoints and of ``last.ckpt`` when it holds a later step."""
    folder = Path(run_dir) / "checkpoints"
    found = {
        int(match.group(1)): path
        for path in folder.glob("gen_step=*.ckpt")
        if (match := PERIODIC_CHECKPOINT.fullmatch(path.name))
    }
    last = folder / "last.ckpt"
    if last.is_file():
        step = int(read_checkpoint(last)["generator_step"])
        found.setdefault(step, last)
    return sorted(found.items())


@dataclass
class ModeCounts:
    """How many of a fixed set of generated samples fall in each mode, at each checkpoint."""

    labels: list[str]
    """One per mode: a digit or garment class, or a toy mixture component."""
    steps: list[int]
    counts: Tensor
    """``(checkpoints, modes)``."""
    num_samples: int
    counted_by: str

    def missing(self) -> list[str]:
        """Modes that get less than a tenth of their uniform share at the last checkpoint (as ``classes``)."""
        share = COVERED_SHARE * self.num_samples / len(self.labels)
        return [label for label, count in zip(self.labels, self.counts[-1].tolist(), strict=True) if count < share]


def mode_counts(run_dir: str | Path, num_samples: int = 1000, seed: int = 0) -> ModeCounts | None:
    """Generated samples per mode for every checkpoint, from the same seeded latents each time; ``None`` for data
    whose modes cannot be counted here (the run's kind says how: :meth:`DataKind.mode_counter`) or samples that
    need input data (image translation)."""
    checkpoints = checkpoints_by_step(run_dir)
    if not checkpoints:
        return None
    first = load_module(checkpoints[0][1])
    counter = first.kind.mode_counter(first.cfg) if first.conditioning.samples_from_latents else None
    if counter is None:
        return None
    steps, rows = [], []
    with torch.no_grad():
        for step, path in checkpoints:
            module = load_module(path)
            samples = module.sample(num_samples, generator=torch.Generator().manual_seed(seed))
            rows.append(counter.count(module.to_data_space(samples).cpu()).double())
            steps.append(step)
    counts = torch.stack(rows) if rows else torch.zeros(0, len(counter.labels))
    return ModeCounts(counter.labels, steps, counts, num_samples, counter.counted_by)
