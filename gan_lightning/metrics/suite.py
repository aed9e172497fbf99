"""The one registry of metrics, and the suites that compute them.

Every name ``metrics.names`` may list is one :class:`Metric` in :data:`METRICS`, registered by the file that computes
it (``fid`` in ``sample_quality.py``, ``audio_is`` in ``audio_quality.py``, ``bleu`` in ``text_quality.py``, ...). A
metric says which kinds of data and conditionings it scores, which :class:`Suite` computes it, how (``compute``, in
its suite's terms), what it reads (``needs``: measures, reference sets or a classifier, in its suite's terms), what
its values are called and which way is better. Everything else reads this registry: the config validator (which names
fit a run), the one evaluation callback (:mod:`gan_lightning.callbacks.evaluation`), ``best.ckpt``'s monitor
(:func:`best_monitor`), ``scripts/evaluate.py`` and the benchmarks.

A :class:`Suite` computes the metrics of one family together, so what several of them read (an extractor's features,
a classifier's logits, the real set's statistics, post-hoc models) is measured once per evaluation. Suites are built
once per run from the config and the DataModule, and score a :class:`GeneratedSet`: the samples the run's
conditioning asks evaluation for (fixed latents, their classes, or the evaluation inputs of a translation run).

A new metric is one ``register_metric`` call in its family's file (or a new file of this folder); a new family is a
new :class:`Suite` subclass beside its metrics.
"""

from __future__ import annotations

import argparse
import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from lightning.pytorch.utilities import rank_zero_info
from torch import Tensor
from torch.utils.data import Dataset, Subset

from gan_lightning.networks import GENERATORS
from gan_lightning.registry import ANY, registrar

if TYPE_CHECKING:
    import lightning as L

    from gan_lightning.config.schema import ExperimentConfig
    from gan_lightning.data.base import GANDataModule


class MetricError(RuntimeError):
    """A metric cannot be computed with the chosen data, extractor or settings; ``str(error)`` is one line."""


@dataclass(frozen=True)
class GeneratedSet:
    """The samples one evaluation scores: ``generate(indices)`` gives samples ``indices`` in data space (images in
    [0, 1], waveforms, token ids, ...), the same ones on every call and rank; ``conditions`` are what they were asked
    for (a class-conditional run's classes), None otherwise."""

    generate: Callable[[range], Tensor]
    num: int
    conditions: Tensor | None = None
    use_ema: bool = True
    """Whether they come from the EMA generator (what a suite that samples for itself, the text metrics, follows)."""

    def all(self) -> Tensor:
        """Every sample at once."""
        return self.generate(range(self.num))


class EvaluationOptions(argparse.Namespace):
    """What ``scripts/evaluate.py`` passes on: ``ckpt``, ``metrics``, ``no_ema``, ``copy_input``, ``out`` (the JSON
    file; pictures go beside it) and ``step`` (the checkpoint's generator step)."""

    ckpt: str
    metrics: str | None
    no_ema: bool
    copy_input: bool
    out: Path
    step: int


SampleSource = Callable[[Any, bool], GeneratedSet]
"""``(module, use_ema) -> GeneratedSet``: the samples every evaluation of a run scores, from its conditioning
(``Conditioning.evaluation_source``)."""


@dataclass(frozen=True)
class Scores:
    """What a suite logs for one evaluation: ``values`` by name (logged with the suite's :attr:`Suite.prefix`) and
    ``pictures`` by logger key (files it wrote, sent to every logger)."""

    values: dict[str, float]
    pictures: dict[str, Path] = field(default_factory=dict)


class Suite(ABC):
    """Computes a family of metrics together: built once per run (:meth:`build`), checked before training
    (:meth:`check`), then called at every evaluation (:meth:`evaluate`).

    ``distributed`` suites run on every rank (each handles its share and their states are synced, or every rank
    computes the same values); the others run on rank 0 alone, and the evaluation callback broadcasts their values, so
    scores that cannot be split (post-hoc models, classifiers trained from scratch) cost one rank's time.

    Args:
        names: the suite's metrics, in the order ``metrics.names`` lists them.
    """

    distributed: ClassVar[bool] = False

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(dict.fromkeys(names))

    @classmethod
    @abstractmethod
    def build(cls, names: Sequence[str], config: ExperimentConfig, datamodule: GANDataModule, out_dir: Path) -> Suite:
        """The suite of ``names`` for a run of ``config`` on ``datamodule`` (``setup`` has run); pictures go to
        ``out_dir``. What is missing (weights, a split, labels) is a one-line :class:`MetricError` here."""

    @classmethod
    def log_prefix(cls, config: ExperimentConfig) -> str:
        """What the logged names of the suite's values start with (the feature metrics add their extractor's)."""
        return "val/"

    def check(self, num_generated: int, device: torch.device) -> None:  # noqa: B027 - most suites check in build
        """Measure what can be measured ahead (real statistics, a trained evaluator), on the ranks that evaluate."""

    def setup(self, device: torch.device) -> None:  # noqa: B027 - only suites with an extractor move it
        """Move the suite's networks to the run's device."""

    @abstractmethod
    def evaluate(self, module: Any, samples: GeneratedSet, step: int) -> Scores:
        """The values of :attr:`names` of ``samples`` of ``module`` at generator ``step``."""

    def at_end(self, trainer: L.Trainer, module: Any, step: int) -> dict[str, Path]:
        """Pictures made once, at the end of training (rank 0 of a non-distributed suite): ``{logger key: path}``."""
        return {}

    def details(self) -> dict[str, object]:
        """What the values were computed on (counts, the evaluator's accuracy, caches), for ``evaluate.py``'s report."""
        return {}

    def report(
        self, module: Any, samples: GeneratedSet, step: int, out: Path
    ) -> tuple[dict[str, float], dict[str, object]]:
        """``scripts/evaluate.py``'s values and details; ``out`` is its JSON file (pictures go beside it)."""
        scores = self.evaluate(module, samples, step)
        details = self.details()
        if scores.pictures:
            details["pictures"] = {name: str(path) for name, path in scores.pictures.items()}
        return scores.values, details


@dataclass(frozen=True)
class Metric:
    """One name ``metrics.names`` may list.

    ``compute`` and ``needs`` are read by ``suite`` (each suite's docstring says their form); ``values`` are the
    logged values in order (empty where ``compute`` names its own, as the text metrics do).
    """

    suite: type[Suite]
    compute: Callable[..., Any]
    best: tuple[str, str] | None
    """The value ``metrics.keep_best`` follows when this metric is listed first, and ``min`` or ``max``; None for a
    metric that is better neither way."""
    values: tuple[str, ...] = ()
    kinds: tuple[str, ...] = (ANY,)
    """The kinds of data (``gan_lightning/kinds``) it scores."""
    conditionings: tuple[str, ...] = (ANY,)
    """The conditionings (``gan_lightning/conditioning``) it scores under."""
    needs: tuple[str, ...] = ()
    fixed_by: str = ""
    """The property of the samples whose change it measures (``content``: what a clip shows, frame to frame). A
    generator that keeps that property whatever its weights (its class's ``invariants``) makes the metric constant, so
    its runs neither compute it (:func:`build_suites`) nor keep ``best.ckpt`` by it (:func:`best_monitor`). Empty: no
    generator fixes it."""
    companions: tuple[str, ...] = ()
    """Metrics a run must list beside it, because alone it rewards a failure it cannot see (class accuracy scores a
    generator that draws one image per class at 1: intra-FID shows the lost diversity within each class)."""

    def fits(self, kind: str, conditioning: str) -> bool:
        """Whether it scores runs of ``kind`` under ``conditioning``."""
        return (ANY in self.kinds or kind in self.kinds) and (
            ANY in self.conditionings or conditioning in self.conditionings
        )


METRICS: dict[str, Metric] = {}
"""What ``metrics.names`` may list, name -> :class:`Metric`, from every kind of data and conditioning."""
register_metric = registrar(METRICS, "metric")


def fitting_metrics(kind: str, conditioning: str) -> tuple[str, ...]:
    """The names ``metrics.names`` may list for a run of ``kind`` under ``conditioning``, in registration order."""
    return tuple(name for name, metric in METRICS.items() if metric.fits(kind, conditioning))


def suites_of(names: Sequence[str]) -> list[tuple[type[Suite], list[str]]]:
    """``names`` grouped by the suite that computes them, suites in the order of their first metric."""
    groups: dict[type[Suite], list[str]] = {}
    for name in dict.fromkeys(names):
        if name not in METRICS:
            raise MetricError(f"unknown metric {name!r}; registered: {', '.join(METRICS)}")
        groups.setdefault(METRICS[name].suite, []).append(name)
    return list(groups.items())


def generator_invariants(config: ExperimentConfig) -> dict[str, str]:
    """What every sample of the run's generator keeps whatever its weights, each with why (in config keys): its
    class's ``invariants(options)`` of the constructor keywords the config sets, where the class declares any
    (MoCoGAN's sprite moved by whole pixels keeps a clip's ``content``). The generator is asked, not a score of its
    samples: an untrained one and a trained one answer alike."""
    cfg = config.generator
    network = GENERATORS.get(cfg.arch)
    declared = getattr(network, "invariants", None)
    if declared is None:
        return {}
    options = {name: getattr(cfg, name) for name in inspect.signature(network).parameters if hasattr(cfg, name)}
    return dict(declared(options))


def fixed_metrics(names: Sequence[str], config: ExperimentConfig) -> dict[str, str]:
    """The metrics of ``names`` that the run's generator makes constant by construction (:attr:`Metric.fixed_by` is
    one of its :func:`generator_invariants`), each with why: a value no training can move is no score of the run."""
    invariants = generator_invariants(config)
    return {
        name: invariants[METRICS[name].fixed_by]
        for name in dict.fromkeys(names)
        if name in METRICS and METRICS[name].fixed_by in invariants
    }


def build_suites(
    names: Sequence[str], config: ExperimentConfig, datamodule: GANDataModule, out_dir: Path
) -> list[Suite]:
    """One built suite per family of ``names``, less the metrics the run's generator fixes (:func:`fixed_metrics`):
    they are neither computed nor logged, so no report or table can show a constant as a result."""
    fixed = fixed_metrics(names, config)
    for name, why in fixed.items():
        rank_zero_info(f"{name} is not scored: {why}")
    scored = [name for name in names if name not in fixed]
    return [suite.build(group, config, datamodule, out_dir) for suite, group in suites_of(scored)]


REAL_SUBSET_SEED = 0
"""Seeds the subset of a reference set that is larger than ``metrics.num_real`` (folders are often sorted by class)."""


def real_subset(items: Tensor | Dataset[Any], num: int) -> Tensor | Dataset[Any]:
    """All of ``items`` (a tensor or dataset of real samples, or their labels) when there are at most ``num``, else a
    fixed seeded subset: the same indices for samples and labels of the same size."""
    if len(items) <= num:  # type: ignore[arg-type]
        return items
    order = torch.randperm(len(items), generator=torch.Generator().manual_seed(REAL_SUBSET_SEED))[:num]  # type: ignore[arg-type]
    if isinstance(items, Tensor):
        return items[order.to(items.device)]
    return Subset(items, order.tolist())


def latent_samples(module: Any, num: int, seed: int, use_ema: bool = True) -> GeneratedSet:
    """``num`` samples of ``module`` (in data space) from one fixed draw of latents seeded by ``seed`` (the same on
    every rank and call), conditioned on what the run's conditioning asks evaluation for (a class-conditional
    generator's classes)."""
    noise = torch.randn((num, module.latent_size), generator=torch.Generator().manual_seed(seed))
    conditions = module.conditioning.evaluation_conditions(num, seed)

    def generate(indices: range) -> Tensor:
        chunk = noise[indices.start : indices.stop]
        condition = None if conditions is None else conditions[indices.start : indices.stop]
        samples = module.sample(noise=chunk, condition=condition, batch_size=len(chunk), use_ema=use_ema)
        return module.to_data_space(samples)

    return GeneratedSet(generate, num, conditions, use_ema)


def score(
    names: Sequence[str],
    config: ExperimentConfig,
    datamodule: GANDataModule,
    module: Any,
    samples: GeneratedSet,
    step: int,
    out: Path,
) -> tuple[dict[str, float], dict[str, object]]:
    """``scripts/evaluate.py``: the values of ``names`` of ``samples`` and what they were computed on (a detail two
    suites both give is the first's); pictures go beside ``out``, the JSON file, in a folder of its name. A metric
    the run's generator fixes is not scored, and ``not_scored`` in the details says why (:func:`fixed_metrics`)."""
    values: dict[str, float] = {}
    fixed = fixed_metrics(names, config)
    details: dict[str, object] = {"not_scored": fixed} if fixed else {}
    for suite in build_suites(names, config, datamodule, out.with_suffix("")):
        suite.setup(module.device)
        suite_values, suite_details = suite.report(module, samples, step, out)
        values.update(suite_values)
        for key, value in suite_details.items():
            details.setdefault(key, value)
    return values, details


def named_values(names: Sequence[str], computed: float | Tensor | Sequence[float | Tensor]) -> dict[str, float]:
    """``{name: float}`` of what a metric's ``compute`` returned: one value for one name, else a tuple or list of one
    per name."""
    values = computed if isinstance(computed, tuple | list) else (computed,)
    return {name: float(value) for name, value in zip(names, values, strict=True)}


def best_monitor(names: Sequence[str], config: ExperimentConfig) -> tuple[str, str]:
    """``(logged key, min or max)`` that ``best.ckpt`` follows for ``metrics.names`` ``names``: its first entry's
    ``best``, logged with its suite's prefix."""
    first = names[0]
    if first not in METRICS:
        raise MetricError(
            f"metrics.keep_best follows the first of metrics.names, and {first!r} is no registered metric: list a "
            "registered metric first or set metrics.keep_best=false"
        )
    metric = METRICS[first]
    if metric.best is None:
        raise MetricError(
            f"metrics.keep_best follows the first of metrics.names, and {first!r} is better neither way: list "
            "another metric first or set metrics.keep_best=false"
        )
    fixed = fixed_metrics([first], config)
    if fixed:
        raise MetricError(
            f"metrics.keep_best follows the first of metrics.names, and {first!r} cannot change in this run "
            f"({fixed[first]}): list another metric first or set metrics.keep_best=false"
        )
    value, mode = metric.best
    return metric.suite.log_prefix(config) + value, mode
