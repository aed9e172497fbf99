"""Kinds of data: what a sample is, decided once (``points``, ``images``, ``sequences``, ...).

A :class:`DataKind` is the one place that knows a kind of data. Everything else (the training module, the callbacks,
``scripts/sample.py``, ``scripts/evaluate.py``, the config validator, the inspection helpers) looks the kind up
once and calls it, instead of guessing the kind from a tensor's rank or a dataset's name. A kind declares:

* what it needs from a checkpoint to rebuild itself without the dataset (:meth:`DataKind.state`: the sample
  shape, the value range, per-feature bounds, a mixture's name, ...), saved in the hyperparameters;
* :meth:`DataKind.to_data_space`, from the generator's output to data units;
* its pictures at every ``train.sample_every`` and at the end (:meth:`DataKind.draw`, :meth:`DataKind.save_picture`,
  :attr:`DataKind.end_pictures`), and the callbacks only it has (:meth:`DataKind.callbacks`);
* what ``evaluate.py`` scores by default (:meth:`DataKind.default_metric_names`; which metrics fit a kind is each
  metric's own declaration, :mod:`gan_lightning.metrics.suite`) and the evaluator it learns from real data, which
  ``scripts/build_evaluator.py`` builds ahead of a run (:meth:`DataKind.build_evaluator`);
* which networks fit it: a network lists the kinds it takes in its ``data_kinds`` attribute, so a new network
  names its kinds in its own file (:meth:`DataKind.fitting_arches`);
* its config cross-checks (:meth:`DataKind.check_config`);
* where it has one, its benchmark (:attr:`DataKind.benchmark`): what ``scripts/benchmark.py <command>`` trains and
  scores for it, a :class:`BenchmarkSpec` of plain values, so the kind's file declares it without importing the
  layers that run it.

What the samples are conditioned on (nothing, class labels, an input image) is the other, orthogonal half: see
:mod:`gan_lightning.conditioning`. A DataModule names its kind in ``kind_name``.

To add a kind: a new file in this folder with a :class:`DataKind` subclass decorated with
``@register_kind("<name>")``, and a DataModule whose ``kind_name`` is that name (docs/FORKING.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import lightning as L
from lightning.pytorch.loggers import Logger
from torch import Tensor

from gan_lightning.data import VALUE_RANGES
from gan_lightning.generating import Generating
from gan_lightning.image_logging import log_image_file
from gan_lightning.metrics.suite import EvaluationOptions, fitting_metrics, score
from gan_lightning.registry import ANY, import_package_modules, registrar

if TYPE_CHECKING:
    from gan_lightning.config.schema import ExperimentConfig
    from gan_lightning.data.base import GANDataModule


class DataKindError(ValueError):
    """A request a kind of data cannot serve; ``str(error)`` is one line naming the fix."""


class Evaluator(Protocol):
    """An evaluator learnt from real data (:meth:`DataKind.build_evaluator`): it says what it is in one line."""

    def summary(self) -> str:
        """Where it came from (trained now or loaded from its cache file) and its accuracy on held-out data."""
        ...


@dataclass(frozen=True)
class ModeCounter:
    """How a kind of data counts the modes of its samples (:meth:`DataKind.mode_counter`, read by
    ``notebooks/inspect_run.ipynb``)."""

    labels: list[str]
    count: Callable[[Tensor], Tensor]
    """Samples in data space -> how many fall in each mode."""
    counted_by: str


@dataclass(frozen=True)
class BenchmarkSpec:
    """What ``scripts/benchmark.py <command>`` trains and scores for a kind of data (:attr:`DataKind.benchmark`),
    run by the one benchmark protocol (:mod:`gan_lightning.benchmarks.protocol`): per config one run per seed, each
    final EMA generator scored by :attr:`metrics`, beside an untrained generator of each config scored against the
    same reference set; a column per logged value, mean ± s.e. over seeds, then each run's wall time."""

    command: str
    """The ``scripts/benchmark.py`` subcommand; one another command already has is a one-line error."""
    help: str
    """The command's line in ``scripts/benchmark.py --help``."""
    configs: tuple[str, ...]
    """The configs trained when ``--configs`` names none: paths relative to the repository's ``configs/`` folder, or
    absolute. Each is a row of the table, labelled by its file name."""
    metrics: tuple[str, ...] = ()
    """What the runs are scored with, in the table's order; empty: every metric fitting the kind's unconditional
    runs."""
    seeds: int = 3
    """``--seeds``' default."""
    overrides: tuple[str, ...] = ()
    """Overrides of every run, before the user's (which win): what makes a shared config one of this kind, e.g. its
    dataset and networks."""
    scoring: tuple[str, ...] = ()
    """Overrides the runs are scored with but not trained with, e.g. ``metrics.real_split=test``."""


class DataKind:
    """One kind of data. Subclasses set :attr:`name` and :attr:`description` and implement :meth:`to_data_space`
    and :meth:`draw`; the rest has defaults a new kind may keep.

    Args:
        data_shape: one sample as the networks see it, without the batch dimension.
        value_range: the generator's output range, which real data is scaled to.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    """How error messages name this kind, e.g. ``image data (C, H, W)``."""
    channels_last: ClassVar[bool] = False
    """Whether ``train.channels_last`` applies (4-D image batches)."""
    augmentable: ClassVar[bool] = False
    """Whether ``augment.policy`` (DiffAugment / ADA, image operations) applies."""
    picture_suffixes: ClassVar[tuple[str, ...]] = (".png",)
    """The files :meth:`draw` writes, by the suffix of its path (``scripts/sample.py --out``)."""
    end_pictures: ClassVar[bool] = False
    """Whether the end of training adds latent walks (``interpolation.png``) and a montage of the grids
    (``progress.png``) to the periodic pictures."""
    benchmark: ClassVar[BenchmarkSpec | None] = None
    """What ``scripts/benchmark.py <command>`` trains and scores for this kind; None: no command of its own. Read
    from the kind's own class only, so a subclass registered as another kind does not repeat its parent's command."""

    def __init__(self, data_shape: Sequence[int], value_range: Sequence[float]) -> None:
        self.data_shape = tuple(int(d) for d in data_shape)
        low, high = value_range
        self.value_range = (float(low), float(high))

    # ------------------------------------------------------------------ rebuilding
    def state(self) -> dict[str, Any]:
        """What rebuilds this kind without the dataset: ``name`` and the constructor's arguments."""
        return {"name": self.name, "data_shape": list(self.data_shape), "value_range": list(self.value_range)}

    @classmethod
    def from_datamodule(cls, datamodule: GANDataModule, config: ExperimentConfig) -> DataKind:
        """The kind of a loaded DataModule (``setup`` has run)."""
        return cls(datamodule.data_shape, value_range(config))

    # ------------------------------------------------------------------ samples
    def to_data_space(self, samples: Tensor) -> Tensor:
        """Generated samples (the networks' space) in data units; a float32 tensor."""
        raise NotImplementedError

    def likelihood_mask(self, samples: Tensor) -> Tensor | None:
        """``(B, T)`` bool: which positions of real ``samples`` (the networks' space) a generator's
        ``likelihood_loss`` averages over, for data whose samples end early and are padded (text); None: all of them,
        the default, since a sample of fixed size is all data."""
        return None

    def draw(self, samples: Tensor, path: str | Path, title: str = "", columns: int | None = None) -> None:
        """A picture of ``samples`` (data space) in ``path``; ``columns`` samples per row where rows apply."""
        raise NotImplementedError

    def save_picture(
        self, module: Generating, path: Path, title: str, pairs: tuple[Tensor, Tensor] | None = None
    ) -> None:
        """The periodic picture: the conditioning's grid batch (fixed noise, a row per class, translation strips)."""
        samples, columns = module.conditioning.picture_batch(module, pairs)
        self.draw(samples, path, title, columns)

    def log_picture(self, loggers: Iterable[Logger], key: str, path: Path, step: int) -> None:
        """Send the picture :meth:`draw` wrote at ``path`` to every logger (a kind with more than a PNG, such as a
        video's GIF, sends that too)."""

        log_image_file(loggers, key, path, step)

    # ------------------------------------------------------------------ per-kind callbacks and metrics
    @classmethod
    def callbacks(cls, config: ExperimentConfig, datamodule: GANDataModule) -> list[L.Callback]:
        """Callbacks only this kind has (beyond pictures and ``metrics.*``), e.g. the toy mode metrics."""
        return []

    @classmethod
    def default_metric_names(cls) -> tuple[str, ...]:
        """What ``evaluate.py`` scores when neither ``--metrics`` nor the run's config names any: every metric of
        this kind's unconditional runs."""
        return fitting_metrics(cls.name, "none")

    @classmethod
    def evaluate(
        cls, module: Generating, config: ExperimentConfig, datamodule: GANDataModule, options: EvaluationOptions
    ) -> tuple[dict[str, float], dict[str, object]]:
        """``scripts/evaluate.py``: the values of ``config.metrics.names`` of the samples the run's conditioning
        evaluates (:meth:`~gan_lightning.conditioning.Conditioning.evaluation_source`) and what they were computed
        on; pictures go beside ``options.out``."""
        if not config.metrics.names:
            raise DataKindError(f"evaluate.py has nothing to score for {cls.description}")
        samples = type(module.conditioning).evaluation_source(config, datamodule)(module, not options.no_ema)
        return score(config.metrics.names, config, datamodule, module, samples, options.step, options.out)

    @classmethod
    def build_evaluator(cls, config: ExperimentConfig, datamodule: GANDataModule, rebuild: bool = False) -> Evaluator:
        """``scripts/build_evaluator.py``: the network this kind's metrics score with that is learnt from the run's
        real data (from ``metrics.cache_dir``, or trained now; again with ``rebuild``)."""
        raise DataKindError(f"{cls.description} is scored with no evaluator learnt from its own data; nothing to build")

    # ------------------------------------------------------------------ config
    @classmethod
    def taken_by(cls, network: type) -> bool:
        """Whether ``network`` takes this kind of data: its ``data_kinds`` list it, or ``any``."""
        kinds = network.data_kinds  # type: ignore[attr-defined]
        return cls.name in kinds or ANY in kinds

    @classmethod
    def fitting_arches(cls, registry: Mapping[str, type]) -> list[str]:
        """The networks of ``registry`` that take this kind of data."""
        return [arch for arch, network in registry.items() if cls.taken_by(network)]

    @classmethod
    def check_config(cls, config: ExperimentConfig, datamodule: GANDataModule) -> str | None:
        """A one-line problem with ``config`` for this kind of data, else None."""
        return None

    def mode_counter(self, config: ExperimentConfig) -> ModeCounter | None:
        """How ``notebooks/inspect_run.ipynb`` counts the modes of generated samples; None where it cannot."""
        return None


KINDS: dict[str, type[DataKind]] = {}
register_kind: Callable[[str], Callable[[type[DataKind]], type[DataKind]]] = registrar(KINDS, "kind of data")


def value_range(config: ExperimentConfig) -> tuple[float, float]:
    """The generator's output range (``generator.output_activation``), which real data is scaled to."""

    return VALUE_RANGES[config.generator.output_activation]


def kind_class(name: str) -> type[DataKind]:
    """The registered kind ``name``; a one-line :class:`DataKindError` listing the kinds otherwise."""
    if name not in KINDS:
        raise DataKindError(f"unknown kind of data {name!r}; registered: {', '.join(KINDS)}")
    return KINDS[name]


def build_kind(state: Mapping[str, Any]) -> DataKind:
    """The kind a checkpoint's ``state`` describes (see :meth:`DataKind.state`)."""
    values = dict(state)
    return kind_class(values.pop("name"))(**values)


def upgrade_hparams(hparams: Mapping[str, Any]) -> dict[str, Any]:
    """Hyperparameters of a checkpoint written before kinds existed, in today's form (``config``, ``kind``,
    ``conditioning``); today's hyperparameters are returned as they are.

    Old checkpoints saved ``data_shape``, ``data_bounds``, ``class_counts`` and ``condition_shape``; the kind is
    read from them here, once, the only place that still has to guess it.
    """
    if "kind" in hparams:
        return dict(hparams)

    config = hparams["config"]
    shape = list(hparams["data_shape"])
    value_range = list(VALUE_RANGES[config.get("generator", {}).get("output_activation", "tanh")])
    if hparams.get("data_bounds") is not None:
        kind: dict[str, Any] = {"name": "sequences", "bounds": hparams["data_bounds"]}
    elif len(shape) == 3:
        kind = {"name": "images"}
    else:
        data = config.get("data", {})
        kind = {"name": "points", "mixture": str(data.get("name", "")).removeprefix("toy_"), "scale": data["scale"]}
    kind.update(data_shape=shape, value_range=value_range)
    if hparams.get("condition_shape") is not None:
        conditioning: dict[str, Any] = {"name": "image", "input_shape": list(hparams["condition_shape"])}
    elif hparams.get("class_counts"):
        conditioning = {"name": "classes", "class_counts": list(hparams["class_counts"])}
    else:
        conditioning = {"name": "none"}
    return {"config": config, "kind": kind, "conditioning": conditioning}


__all__ = [
    "KINDS",
    "BenchmarkSpec",
    "DataKind",
    "DataKindError",
    "ModeCounter",
    "build_kind",
    "kind_class",
    "register_kind",
    "upgrade_hparams",
]

import_package_modules(__name__)
