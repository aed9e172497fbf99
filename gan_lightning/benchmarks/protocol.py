"""One benchmark protocol for every kind of data: configs trained over seeds, framed by controls.

For each config and seed ``0 … seeds-1``: train the run under ``root`` (or finish the one an interrupted benchmark
left there, resumed exactly; a finished run is scored as it is), ``jobs`` at a time, then score its final EMA
generator with the protocol's metrics, through the registry's suites (:mod:`gan_lightning.metrics.suite`) as
``scripts/evaluate.py`` scores a checkpoint. Controls frame the runs, scored by the same suites against the same
reference set: an untrained generator of each config, and the real sets a protocol names (real training samples, the
reference samples themselves, time-shuffled clips ...). Per config, every value's mean ± standard error over seeds;
one markdown table (runs, controls, the published rows a protocol prints beside) and a JSON of every run's values,
wall times and the controls' values.

A kind's benchmark is a :class:`Protocol`, a small spec beside the others in this folder (``toy_modes.py``,
``quality.py``, ``timegan_protocol.py``, ``video_protocol.py``, ``audio_protocol.py``, ``stacked_mnist_protocol.py``):
its configs and command-line options, the metrics and settings its runs are scored with, its controls, values derived
from the scores, the table's columns and the published rows. Whether a config's data can be scored by those metrics is
the config validator's call (a metric declares the kinds it scores): a config that cannot fails there, before anything
trains.

A new kind of data needs none of that: the :class:`~gan_lightning.kinds.BenchmarkSpec` its own file declares
(:attr:`~gan_lightning.kinds.DataKind.benchmark`: configs, metrics, seeds, overrides) becomes a protocol here
(:func:`spec_protocol`), and ``scripts/benchmark.py`` adds every such kind's command (:func:`kind_protocols`).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from gan_lightning.benchmarks.parallel import map_runs, run_seconds, seed_run_config, train_or_finish, untrained_module
from gan_lightning.benchmarks.summary import mean_se, seed_line, summary, table_head, table_row
from gan_lightning.checkpointing import load_module
from gan_lightning.config.loading import load_config
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data.base import GANDataModule
from gan_lightning.kinds import KINDS, BenchmarkSpec
from gan_lightning.metrics.suite import METRICS, GeneratedSet, build_suites, fitting_metrics
from gan_lightning.module import GANModule
from gan_lightning.training import LAST_CHECKPOINT, new_run_dir, prepare_data

TIMES = ("seconds", "seconds_this_call", "scoring_seconds")
"""What every run adds to its scores: its training wall time summed over every session that trained it
(:func:`~gan_lightning.benchmarks.parallel.run_seconds`), this call's share of it, and the scoring's."""

Values = dict[str, float]
Scorer = Callable[[GANModule, GeneratedSet, int], Values]
"""``(module, samples, generator step) -> values``: one protocol's scores of a set of samples."""


@dataclass(frozen=True)
class Column:
    """A column of the table: ``key`` of the runs' values as mean ± s.e. to ``decimals`` places (a control's own
    value to as many), titled ``title`` (the key by default). ``spread`` names the value a control prints after its
    own with ±, where a score carries its spread (TimeGAN's, over post-hoc models)."""

    key: str
    title: str = ""
    decimals: int = 3
    spread: str = ""

    def run_cell(self, runs: Sequence[Mapping[str, float]]) -> str:
        """The cell of a config's runs: mean ± s.e. over seeds, ``–`` where they lack the value (a metric their
        generator makes constant is not scored, :func:`~gan_lightning.metrics.suite.fixed_metrics`)."""
        if any(self.key not in run for run in runs):
            return "–"
        return mean_se([run[self.key] for run in runs], self.decimals)

    def control_cell(self, values: Mapping[str, float]) -> str:
        """The cell of a control: empty for a wall time (controls do not train), ``–`` for a value it lacks."""
        if self.key in TIMES:
            return ""
        if self.key not in values:
            return "–"
        cell = f"{values[self.key]:.{self.decimals}f}"
        if self.spread in values:
            cell += f" ± {values[self.spread]:.{self.decimals}f}"
        return cell


@dataclass(frozen=True)
class ControlContext:
    """What a control is made from: seed 0's run config of one config, the config it is scored with, their data,
    the untrained generator (on the scoring device) and the config's label."""

    config: ExperimentConfig
    scored: ExperimentConfig
    datamodule: GANDataModule
    untrained: GANModule
    label: str


ControlSamples = Callable[[ControlContext], GeneratedSet | Values | None]
"""A control's samples, scored like a run's; or values it computes itself, where no set of samples gives them
(TimeGAN's predictor trained and tested on real data); or None where it does not apply to this config."""


@dataclass(frozen=True)
class Control:
    """A control named ``label`` (``{config}`` in it is the config's label). One that does not depend on the config
    (the real sets) is scored beside the first config only; ``every_config`` ones beside each."""

    label: str
    samples: ControlSamples
    every_config: bool = False


@dataclass(frozen=True)
class Options:
    """One benchmark call: ``configs`` by label (the JSON's keys, the table's rows), ``seeds`` runs of each,
    ``jobs`` trained at once, their folder (None: a temporary one), overrides of every run (the user's, then the
    command's own options) and the device the runs and controls are scored on."""

    configs: Mapping[str, Path]
    seeds: int
    jobs: int = 1
    root: Path | None = None
    overrides: tuple[str, ...] = ()
    device: str = "cpu"


def evaluation_samples(scored: ExperimentConfig, datamodule: GANDataModule, module: GANModule) -> GeneratedSet:
    """What the run's conditioning evaluates (``metrics.num_generated`` samples from latents seeded by the config's
    seed, and their classes; a translation's outputs), from the EMA generator: what ``scripts/evaluate.py`` scores."""
    return type(module.conditioning).evaluation_source(scored, datamodule)(module, True)


def registry_scorer(scored: ExperimentConfig, datamodule: GANDataModule, out_dir: Path) -> Scorer:
    """Scores ``scored``'s ``metrics.names`` with the registry's suites, built now (before a run trains, so missing
    weights or a missing split fail first) and kept for every later set of samples: the reference set is measured
    once and is the same for every set scored (pictures a suite draws go to ``out_dir``)."""
    suites = build_suites(scored.metrics.names, scored, datamodule, out_dir)

    def score(module: GANModule, samples: GeneratedSet, step: int) -> Values:
        values: Values = {}
        for suite in suites:
            suite.setup(module.device)
            values.update(suite.evaluate(module, samples, step).values)
        return values

    return score


def real_samples(stored: Tensor, as_float: Callable[[Tensor], Tensor] | None = None) -> GeneratedSet:
    """Real samples served by index as a generator's are (``as_float``: from how they are stored to the data space
    generated samples are scored in)."""
    convert = as_float or (lambda batch: batch)
    return GeneratedSet(lambda indices: convert(stored[indices.start : indices.stop]), len(stored))


def as_unit_range(stored: Tensor) -> Tensor:
    """``uint8`` images or clips as floats in [0, 1], the space generated ones are scored in."""
    return stored.float() / 255


def _same(values: Values) -> Values:
    return values


@dataclass(frozen=True)
class Protocol:
    """One kind's benchmark, run by :func:`run_protocol`. Every callable is a module-level function, so the spec
    travels to the processes that train seeds in parallel.

    The runs and controls are scored by ``metrics`` (empty: the config's own ``metrics.names``, else
    ``default_metrics``) under the ``scoring`` overrides (e.g. ``metrics.real_split=test``), on the samples
    ``samples`` draws, by the ``scorer`` it builds (the registry's suites; a protocol whose values no registered
    metric computes builds its own). ``derive`` adds values computed from the scores (the audio IS ratio).
    """

    command: str
    """The ``scripts/benchmark.py`` subcommand."""
    help: str
    configure: Callable[[argparse.ArgumentParser, Path], None]
    """Adds the command's own options (its configs, defaults from the shipped configs folder given)."""
    options: Callable[[argparse.Namespace], Options]
    columns: Sequence[Column] | Callable[[Mapping[str, float]], Sequence[Column]]
    """The table's columns, or a function of the first run's values giving them."""
    metrics: tuple[str, ...] = ()
    default_metrics: tuple[str, ...] = ()
    scoring: tuple[str, ...] = ()
    controls: tuple[Control, ...] = ()
    untrained: str = "untrained {config}"
    """The label of the untrained-generator control every config gets."""
    derive: Callable[[Values], Values] = _same
    samples: Callable[[ExperimentConfig, GANDataModule, GANModule], GeneratedSet] = evaluation_samples
    scorer: Callable[[ExperimentConfig, GANDataModule, Path], Scorer] = registry_scorer
    seeds: int = 3
    label_header: str = "run"
    run_label: str = "{config} ({seeds} seeds)"
    caption: Callable[[Options, ExperimentConfig], str] | None = None
    """What the line above the table adds about the scoring (counts, reference set)."""
    references: Callable[[str], Sequence[Sequence[str]]] | None = None
    """Published rows printed after a config's rows (label cells, then values), by the config's label."""
    footer: Callable[[ExperimentConfig], Sequence[str]] | None = None
    """Lines printed after the table (a published table of other columns)."""


def scoring_config(
    protocol: Protocol, config_path: Path, root: Path, overrides: Sequence[str], seed: int
) -> ExperimentConfig:
    """The config seed ``seed``'s run is scored with; loading it validates that its metrics score the config's data
    (the one check of the kind a protocol needs)."""
    names = protocol.metrics or tuple(load_config([config_path], overrides).metrics.names) or protocol.default_metrics
    scoring = [*protocol.scoring, *([f"metrics.names=[{','.join(names)}]"] if names else [])]
    return seed_run_config(config_path, root, overrides, seed, scoring)


def protocol_run(
    protocol: Protocol, config_path: Path, root: Path, overrides: Sequence[str], device: str, seed: int
) -> dict[str, float]:
    """Train (or finish) ``config_path`` with ``seed`` under ``root`` and score its final EMA generator: its values,
    the derived ones and :data:`TIMES`. Everything that can fail on the config or its metrics fails before training."""
    config = seed_run_config(config_path, root, overrides, seed)
    scored = scoring_config(protocol, config_path, root, overrides, seed)
    datamodule = prepare_data(config)
    score = protocol.scorer(scored, datamodule, new_run_dir(config) / "scores")
    start = time.perf_counter()
    run_dir = train_or_finish(config)  # a finished run is scored as it is
    trained = time.perf_counter()
    module = load_module(run_dir / LAST_CHECKPOINT, map_location=device)
    values = score(module, protocol.samples(scored, datamodule, module), scored.train.max_steps)
    return {
        **protocol.derive(values),
        "seconds": run_seconds(run_dir),
        "seconds_this_call": trained - start,
        "scoring_seconds": time.perf_counter() - trained,
    }


def run_seeds(
    protocol: Protocol,
    config_path: Path,
    seeds: int,
    root: Path,
    overrides: Sequence[str] = (),
    jobs: int = 1,
    device: str = "cpu",
) -> list[dict[str, float]]:
    """One :func:`protocol_run` per seed ``0 … seeds-1``, ``jobs`` at a time; results in seed order."""
    return list(
        map_runs(protocol_run, [(protocol, config_path, root, tuple(overrides), device, s) for s in range(seeds)], jobs)
    )


def reference_hash(scored: ExperimentConfig, datamodule: GANDataModule) -> str:
    """The first 16 hex digits of the SHA-256 of what ``scored``'s metrics compare generated samples with (its
    ``metrics.real_split`` of the DataModule's :meth:`~GANDataModule.reference`): one value per config of a benchmark,
    whatever its seed, since a dataset draws from ``data.seed``, not the run's seed."""
    reference = datamodule.reference(scored.metrics.real_split)
    items = [reference] if isinstance(reference, Tensor) else (reference[i] for i in range(len(reference)))  # type: ignore[arg-type]
    digest = hashlib.sha256()
    for item in items:
        digest.update(item.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def score_controls(
    protocol: Protocol, label: str, config_path: Path, root: Path, options: Options, first: bool
) -> dict[str, Values]:
    """The controls of one config by label, each scored by the suites of seed 0's scoring config (the reference set
    of every run); the controls that do not depend on the config only beside the ``first``."""
    config = seed_run_config(config_path, root, options.overrides, seed=0)
    scored = scoring_config(protocol, config_path, root, options.overrides, seed=0)
    datamodule = prepare_data(config)
    score = protocol.scorer(scored, datamodule, root / "controls" / label)
    untrained = untrained_module(config, datamodule).to(options.device)
    context = ControlContext(config, scored, datamodule, untrained, label)
    values = {
        protocol.untrained.format(config=label): score(untrained, protocol.samples(scored, datamodule, untrained), 0)
    }
    for control in protocol.controls:
        if not (control.every_config or first):
            continue
        made = control.samples(context)
        if made is not None:
            values[control.label.format(config=label)] = made if isinstance(made, dict) else score(untrained, made, 0)
    return {name: protocol.derive(scores) for name, scores in values.items()}


def protocol_table(
    protocol: Protocol, seeds: int, runs: Mapping[str, Sequence[Values]], controls: Mapping[str, Mapping[str, Values]]
) -> list[str]:
    """The markdown table: per config its runs (mean ± s.e. over seeds), its controls and the published rows."""
    first = next(iter(runs.values()))[0]
    columns = protocol.columns(first) if callable(protocol.columns) else protocol.columns
    titles = [protocol.label_header, *(column.title or column.key for column in columns)]
    width = sum(title.count(" | ") + 1 for title in titles)
    lines = table_head(titles)
    for label, config_runs in runs.items():
        cells = [column.run_cell(config_runs) for column in columns]
        lines.append(table_row([protocol.run_label.format(config=label, seeds=seeds), *cells], width))
        for name, values in controls[label].items():
            lines.append(table_row([name, *(column.control_cell(values) for column in columns)], width))
        for reference in protocol.references(label) if protocol.references else ():
            lines.append(table_row(reference, width))
    return lines


def run_protocol(protocol: Protocol, options: Options) -> dict[str, object]:
    """Every config of ``options`` over its seeds and its controls; prints each run as it is scored, then the table.
    Returns the JSON: each config's runs by label, ``controls`` by label, ``summary`` (mean and s.e. of every value
    per config) and ``references``: per config, the hash of the set its runs and controls are scored against
    (:func:`reference_hash`)."""
    with tempfile.TemporaryDirectory() as scratch:
        root = options.root or Path(scratch)
        scored = {  # every config and its scoring validated before any run trains
            label: scoring_config(protocol, path, root, options.overrides, seed=0)
            for label, path in options.configs.items()
        }
        runs: dict[str, list[Values]] = {}
        controls: dict[str, dict[str, Values]] = {}
        references: dict[str, str] = {}
        for label in options.configs:
            references[label] = reference_hash(scored[label], prepare_data(scored[label]))
        cells = [(label, path, seed) for label, path in options.configs.items() for seed in range(options.seeds)]
        calls = [(protocol, path, root, tuple(options.overrides), options.device, seed) for _, path, seed in cells]
        for (label, _, seed), run in zip(cells, map_runs(protocol_run, calls, options.jobs), strict=True):
            runs.setdefault(label, []).append(run)
            print(seed_line(f"{label} seed {seed}", run), flush=True)
        for index, (label, path) in enumerate(options.configs.items()):
            controls[label] = score_controls(protocol, label, path, root, options, first=index == 0)
    first = next(iter(scored.values()))
    caption = f"; {protocol.caption(options, first)}" if protocol.caption else ""
    print(f"\n{options.seeds} seeds, {options.jobs} run(s) at a time on {os.cpu_count()} cores, scored on "
          f"{options.device}; runs: mean ± s.e. over seeds{caption}")  # fmt: skip
    print("\n".join(protocol_table(protocol, options.seeds, runs, controls)))
    print("reference sets (SHA-256): " + ", ".join(f"{label} {digest}" for label, digest in references.items()))
    for line in protocol.footer(first) if protocol.footer else ():
        print(line)
    every_control = {name: values for config_controls in controls.values() for name, values in config_controls.items()}
    summaries = {label: summary(values) for label, values in runs.items()}
    return {**runs, "controls": every_control, "summary": summaries, "references": references}


def add_protocol_command(commands: Any, protocol: Protocol, configs_dir: Path) -> None:
    """``scripts/benchmark.py <command>``: the options every protocol takes, then the protocol's own."""
    parser = commands.add_parser(protocol.command, help=protocol.help)
    parser.add_argument("--seeds", type=int, default=protocol.seeds)
    parser.add_argument("--jobs", type=int, default=1, help="runs trained at once (cores/jobs threads each)")
    parser.add_argument("--root", type=Path, help="keep the runs here (resumed if interrupted)")
    parser.add_argument("--json", type=Path, help="also write the per-run results here")
    protocol.configure(parser, configs_dir)
    parser.add_argument("overrides", nargs="*", help="config overrides, e.g. train.max_steps=2000")


def command_options(
    args: argparse.Namespace, configs: Sequence[str | Path], overrides: Sequence[str] = (), device: str = "cpu"
) -> Options:
    """The :class:`Options` of a parsed protocol command: ``configs`` labelled by their file names, the user's
    overrides followed by ``overrides`` (what the command's own options set, so they win)."""
    labelled = {Path(config).stem: Path(config) for config in configs}
    return Options(labelled, args.seeds, args.jobs, args.root, (*args.overrides, *overrides), device)


def scoring_device(name: str) -> str:
    """``auto``: the GPU when there is one."""
    return ("cuda" if torch.cuda.is_available() else "cpu") if name == "auto" else name


class BenchmarkCommandError(ValueError):
    """Two benchmarks under one ``scripts/benchmark.py`` command, which would leave one unreachable; ``str(error)``
    is one line naming the fix."""


@dataclass(frozen=True)
class SpecConfigs:
    """``--configs`` of a kind's command, by default its spec's (:attr:`BenchmarkSpec.configs`) in the shipped configs
    folder. A class, not a closure, so the protocol pickles for spawned workers and equals itself unpickled."""

    configs: tuple[str, ...]

    def __call__(self, parser: argparse.ArgumentParser, configs_dir: Path) -> None:
        default = [str(configs_dir / config) for config in self.configs]  # an absolute path stays itself
        parser.add_argument("--configs", nargs="+", default=default, help="configs trained, a row of the table each")


@dataclass(frozen=True)
class SpecOptions:
    """The options of a kind's command: its spec's overrides (:attr:`BenchmarkSpec.overrides`) before the user's, so
    a user's override of the dataset or a network wins."""

    overrides: tuple[str, ...]

    def __call__(self, args: argparse.Namespace) -> Options:
        options = command_options(args, args.configs)
        return replace(options, overrides=(*self.overrides, *options.overrides))


@dataclass(frozen=True)
class MetricColumns:
    """A kind's table: the values each of ``metrics`` logs (:attr:`~gan_lightning.metrics.suite.Metric.values`), in
    the metrics' order, then each run's wall time. A metric that names its values only when it computes them (the
    text metrics) stands for the first run's values that no other metric declares."""

    metrics: tuple[str, ...]

    def __call__(self, first: Mapping[str, float]) -> list[Column]:
        declared = {value for name in self.metrics for value in METRICS[name].values}
        undeclared = tuple(key for key in first if key not in declared and key not in TIMES)
        keys = dict.fromkeys(key for name in self.metrics for key in METRICS[name].values or undeclared)
        return [*(Column(key) for key in keys), Column("seconds", "wall time / run (s)", 2)]


def spec_protocol(spec: BenchmarkSpec, kind: str) -> Protocol:
    """The protocol of kind ``kind``'s :class:`BenchmarkSpec`: its configs and seeds by default, its overrides on
    every run, each final EMA generator and an untrained generator of each config (the control every protocol has)
    scored by its metrics (every one fitting the kind's unconditional runs where it names none) under its scoring
    overrides."""
    metrics = spec.metrics or fitting_metrics(kind, "none")
    return Protocol(
        command=spec.command,
        help=spec.help,
        configure=SpecConfigs(spec.configs),
        options=SpecOptions(spec.overrides),
        columns=MetricColumns(metrics),
        metrics=metrics,
        scoring=spec.scoring,
        seeds=spec.seeds,
    )


def kind_protocols(taken: Collection[str] = ()) -> dict[str, Protocol]:
    """By command, the protocol of every registered kind whose own class declares a benchmark
    (:attr:`~gan_lightning.kinds.DataKind.benchmark`). A command in ``taken`` (the script's other commands) or
    another kind's is a :class:`BenchmarkCommandError`."""
    owners = {command: "another command" for command in taken}
    protocols: dict[str, Protocol] = {}
    for name, kind in KINDS.items():
        spec = vars(kind).get("benchmark")
        if spec is None:
            continue
        if spec.command in owners:
            raise BenchmarkCommandError(
                f"the {name!r} kind's benchmark command {spec.command!r} is taken by {owners[spec.command]}: give its "
                "BenchmarkSpec another command"
            )
        owners[spec.command] = f"the {name!r} kind"
        protocols[spec.command] = spec_protocol(spec, name)
    return protocols
