"""The one benchmark protocol (``gan_lightning/benchmarks/protocol.py``) that ``benchmark.py toy | quality | timegan
| video | audio`` run: mean ± s.e. as defined, finished runs scored again without training, controls scored against
the runs' own reference set, configs checked before anything trains, and specs that travel to spawned workers."""

from __future__ import annotations

import argparse
import math
import os
import pickle
import re
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from helpers import REPO, script

from gan_lightning.benchmarks.parallel import map_runs, seed_run_config, untrained_module
from gan_lightning.benchmarks.protocol import (
    BenchmarkCommandError,
    Column,
    Control,
    ControlContext,
    Options,
    Protocol,
    add_protocol_command,
    evaluation_samples,
    kind_protocols,
    reference_hash,
    run_protocol,
    spec_protocol,
)
from gan_lightning.benchmarks.summary import mean_se, summary
from gan_lightning.checkpointing import load_module
from gan_lightning.config.loading import ConfigError
from gan_lightning.kinds import KINDS, BenchmarkSpec, DataKind
from gan_lightning.metrics.suite import GeneratedSet, fitting_metrics
from gan_lightning.training import LAST_CHECKPOINT, prepare_data

QUICKSTART = REPO / "configs" / "quickstart.yaml"
TINY = ("train.max_steps=4", "train.batch_size=16", "generator.width=8", "discriminator.width=8",
        "train.sample_every=0", "train.checkpoint_every=0", "train.num_samples_grid=16",
        "metrics.extractor=mnist_classifier", "metrics.num_generated=64", "metrics.num_real=64",
        "metrics.kid_subset_size=32", "metrics.kid_subsets=10")  # fmt: skip
"""A few seconds of training and scoring: FID and KID on the shipped MNIST classifier's features."""


def seed0_again(context: ControlContext) -> GeneratedSet:
    """Seed 0's trained generator once more, as a control: scored against the same reference set, it must give
    exactly seed 0's values."""
    module = load_module(Path(context.config.run.root) / context.config.name / "seed0" / LAST_CHECKPOINT)
    return evaluation_samples(context.scored, context.datamodule, module)


def _no_options(parser: argparse.ArgumentParser, configs: Path) -> None:
    """The test protocol has no command line."""


def _unused(args: argparse.Namespace) -> Options:
    raise AssertionError("the test protocol is given its options")


FEATURES = Protocol(
    command="features",
    help="FID and KID of quickstart runs, framed by seed 0's generator again",
    configure=_no_options,
    options=_unused,
    columns=(Column("fid", decimals=2), Column("kid", decimals=4), Column("seconds", "wall time / run (s)", 2)),
    metrics=("fid", "kid"),
    controls=(Control("seed 0 again", seed0_again),),
)


def test_mean_and_standard_error_are_those_of_the_definition() -> None:
    """Mean and s.e. (sample standard deviation over sqrt(n)) of 1, 2, 4, worked by hand: mean 7/3, squared
    deviations 16/9 + 1/9 + 25/9 = 42/9, variance 42/9 / 2 = 7/3, s.e. sqrt(7/3) / sqrt(3) = sqrt(7) / 3."""
    values = summary([{"fid": 1.0}, {"fid": 2.0}, {"fid": 4.0}])["fid"]
    assert values["mean"] == pytest.approx(7 / 3, rel=1e-12)
    assert values["se"] == pytest.approx(math.sqrt(7) / 3, rel=1e-12)
    assert mean_se([1.0, 2.0, 4.0], 3) == "2.333 ± 0.882"
    assert mean_se([5.0], 1) == "5.0 ± 0.0"  # one seed: no spread to estimate


def test_a_value_a_config_does_not_score_is_a_dash_not_a_number() -> None:
    """A metric the generator fixes is not scored (its runs lack the value): its cell says so, the others are the
    runs' mean ± s.e., worked by hand."""
    runs = [{"fid": 1.0, "content_consistency": 1.0}, {"fid": 2.0}]
    assert Column("content_consistency").run_cell(runs) == "–"
    assert Column("fid", decimals=1).run_cell(runs) == "1.5 ± 0.5"


def test_one_pool_runs_every_call_and_yields_results_in_call_order() -> None:
    """Calls of several configs go through one pool of spawned workers, each with ``cores / jobs`` threads; results
    come back in the order of the calls (2^3, 3^2, 10^0 by hand), whichever worker finished first."""
    assert list(map_runs(pow, [(2, 3), (3, 2), (10, 0)], jobs=2)) == [8, 9, 1]  # type: ignore[arg-type]
    assert list(map_runs(pow, [(2, 3), (3, 2)], jobs=1)) == [8, 9]  # type: ignore[arg-type]
    threads = max(1, (os.cpu_count() or 1) // 2)
    assert list(map_runs(torch.get_num_threads, [(), ()], jobs=2)) == [threads, threads]  # type: ignore[arg-type]


@pytest.mark.slow  # a whole run (or several) end to end: the slow tier
def test_runs_and_controls_share_one_reference_and_finished_runs_are_scored_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "runs"
    options = Options({"quickstart": QUICKSTART}, 2, 1, root, (*TINY, f"metrics.cache_dir={tmp_path / 'cache'}"))
    result = run_protocol(FEATURES, options)
    printed = capsys.readouterr().out
    runs, controls = result["quickstart"], result["controls"]
    assert isinstance(runs, list) and isinstance(controls, dict)
    assert len(runs) == 2 and runs[0]["fid"] != runs[1]["fid"]  # the seed reaches the run

    # a control is scored by the suites and reference set of the runs: seed 0's generator as a control is seed 0
    assert {k: controls["seed 0 again"][k] for k in ("fid", "kid")} == {k: runs[0][k] for k in ("fid", "kid")}
    assert controls["untrained quickstart"]["fid"] > 0 and "seconds" not in controls["untrained quickstart"]

    # mean ± s.e. of two seeds by hand: (a + b) / 2 and |a - b| / 2 (the sample s.d. |a - b| / sqrt(2), over sqrt(2))
    (a, b) = (run["fid"] for run in runs)
    assert result["summary"]["quickstart"]["fid"] == pytest.approx({"mean": (a + b) / 2, "se": abs(a - b) / 2})
    row = re.search(r"^\| quickstart \(2 seeds\) \| (\S+) ± (\S+) \|", printed, re.MULTILINE)
    assert row is not None and row.groups() == (f"{(a + b) / 2:.2f}", f"{abs(a - b) / 2:.2f}")
    assert "| untrained quickstart |" in printed and "| seed 0 again |" in printed
    assert re.fullmatch(r"[0-9a-f]{16}", result["references"]["quickstart"])
    assert f"quickstart {result['references']['quickstart']}" in printed

    # a second call under the same root trains nothing and scores the finished runs to the same values
    checkpoints = [root / "quickstart" / f"seed{seed}" / "checkpoints" / "last.ckpt" for seed in (0, 1)]
    written = [path.stat().st_mtime_ns for path in checkpoints]
    again = run_protocol(FEATURES, options)
    assert [path.stat().st_mtime_ns for path in checkpoints] == written
    for first, second in zip(runs, again["quickstart"], strict=True):  # type: ignore[arg-type]
        assert (second["fid"], second["kid"], second["seconds"]) == (first["fid"], first["kid"], first["seconds"])


def test_every_config_is_checked_before_any_trains(tmp_path: Path) -> None:
    """The second config's sequences cannot be scored by FID: the benchmark stops before training the first."""
    configs = {"quickstart": QUICKSTART, "rnn_sines": REPO / "configs" / "rnn_sines.yaml"}
    with pytest.raises(ConfigError, match=r"fid, kid cannot score unconditional sequence data"):
        run_protocol(FEATURES, Options(configs, 1, 1, tmp_path, TINY))
    assert not (tmp_path / "quickstart").exists()


def test_every_command_is_one_protocol_whose_spec_reaches_spawned_workers() -> None:
    """``--jobs`` sends the spec to spawned processes: it must pickle, every callable in it by reference."""
    protocols = script("benchmark").PROTOCOLS
    assert sorted(protocols) == ["audio", "quality", "stacked_mnist", "timegan", "toy", "video"]
    for protocol in protocols.values():
        assert pickle.loads(pickle.dumps(protocol)) == protocol


def test_the_command_line_keeps_every_protocol_option() -> None:
    """The options each command had before it was one protocol still parse into the same overrides."""
    benchmark = script("benchmark")
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command")
    for protocol in benchmark.PROTOCOLS.values():
        add_protocol_command(commands, protocol, REPO / "configs")
    args = parser.parse_args(["video", "--seeds", "2", "--num", "96", "--jobs", "2", "--root", "r", "a=1"])
    options = benchmark.PROTOCOLS["video"].options(args)
    assert options.overrides == ("a=1", "metrics.num_generated=96", "metrics.num_real=96")
    assert list(options.configs) == ["video_moving_mnist_quick", "video3d_moving_mnist_quick"]
    assert (options.seeds, options.jobs, options.root) == (2, 2, Path("r"))
    args = parser.parse_args(["toy", "--datasets", "grid", "--max-steps", "4"])
    options = benchmark.PROTOCOLS["toy"].options(args)
    assert (options.configs, options.overrides, options.seeds) == (
        {"grid": REPO / "configs" / "toy_grid.yaml"},
        ("train.max_steps=4",),
        5,
    )
    args = parser.parse_args(["quality", "--config", str(QUICKSTART), "--extractor", "e", "--device", "cpu"])
    options = benchmark.PROTOCOLS["quality"].options(args)
    assert (options.overrides, options.device, list(options.configs)) == (
        ("metrics.extractor=e",),
        "cpu",
        ["quickstart"],
    )


GENERATED = {
    "toy_ring": ("data.num_samples=256",),
    "rnn_sines": ("data.num_samples=64",),
    "video_moving_mnist_quick": ("data.num_samples=16", "data.device=cpu"),
    "text_oracle_mle": ("data.vocab_size=40", "data.sequence_length=6", "data.oracle_embedding=8",
                        "data.oracle_hidden=8", "data.num_samples=64", "data.num_test_samples=32",
                        "generator.embedding_dim=8", "discriminator.embedding_dim=8"),
}  # fmt: skip
"""Generated datasets, shrunk: each draws its data from ``data.seed``."""


@pytest.mark.parametrize("config", GENERATED)
def test_seeds_train_different_generators_on_one_dataset(config: str, tmp_path: Path) -> None:
    """The seeds of a benchmark share one reference set (the same hash) and differ in G's weights; ``data.seed``
    moves the data. A dataset drawn from the run's seed, or a seed that never reached G, fails here."""
    path = REPO / "configs" / f"{config}.yaml"
    overrides = (*GENERATED[config], f"metrics.cache_dir={tmp_path / 'cache'}")
    hashes, weights = [], []
    for seed in (0, 1):
        run = seed_run_config(path, tmp_path, overrides, seed)
        datamodule = prepare_data(run)
        hashes.append(reference_hash(run, datamodule))
        weights.append(untrained_module(run, datamodule).generator.state_dict())
    assert hashes[0] == hashes[1]
    assert any(not torch.equal(weights[0][name], weights[1][name]) for name in weights[0])
    moved = seed_run_config(path, tmp_path, (*overrides, "data.seed=1"), 0)
    assert reference_hash(moved, prepare_data(moved)) != hashes[0]


SPECTRA = BenchmarkSpec(
    command="spectra",
    help="a kind's own benchmark",
    configs=("quickstart.yaml", "/elsewhere/tones.yaml"),
    metrics=("fid", "kid"),
    seeds=4,
    overrides=("data.name=tones", "generator.arch=mlp"),
    scoring=("metrics.real_split=test",),
)


def kind_declaring(spec: BenchmarkSpec) -> type[DataKind]:
    """A kind of data whose file declares ``spec``, as a fork's would."""
    return type("SpectraKind", (DataKind,), {"name": "spectra", "description": "test data", "benchmark": spec})


def test_a_kind_that_declares_a_benchmark_is_a_command_that_follows_its_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    """The spec's command, seeds and configs (relative to the shipped configs folder, or absolute) by default; its
    overrides before the user's, so the user's win; its metrics and scoring overrides; a column per value each metric
    logs, then the wall time; and the protocol travels to spawned workers like the shipped ones."""
    monkeypatch.setitem(KINDS, "spectra", kind_declaring(SPECTRA))
    protocols = script("benchmark").PROTOCOLS
    assert sorted(protocols) == ["audio", "quality", "spectra", "stacked_mnist", "timegan", "toy", "video"]
    protocol = protocols["spectra"]
    assert (protocol.command, protocol.help, protocol.seeds) == ("spectra", SPECTRA.help, 4)
    assert (protocol.metrics, protocol.scoring) == (("fid", "kid"), ("metrics.real_split=test",))
    assert pickle.loads(pickle.dumps(protocol)) == protocol

    parser = argparse.ArgumentParser()
    add_protocol_command(parser.add_subparsers(dest="command"), protocol, REPO / "configs")
    options = protocol.options(parser.parse_args(["spectra", "generator.arch=dcgan"]))
    assert options.configs == {"quickstart": QUICKSTART, "tones": Path("/elsewhere/tones.yaml")}
    assert (options.seeds, options.overrides) == (4, ("data.name=tones", "generator.arch=mlp", "generator.arch=dcgan"))

    assert callable(protocol.columns)
    columns = protocol.columns({"fid": 1.0, "kid": 0.1, "kid_std": 0.01, "seconds": 2.0})
    assert [(column.key, column.title or column.key) for column in columns] == [
        ("fid", "fid"),
        ("kid", "kid"),
        ("kid_std", "kid_std"),  # kid logs its spread too (Metric.values)
        ("seconds", "wall time / run (s)"),
    ]


def test_a_spec_without_metrics_scores_every_metric_fitting_its_kind() -> None:
    """Every value each video metric declares, in registration order (content_consistency logs the real clips' own
    beside the generated ones'); a metric that names its values only when computed (text) stands for the first run's
    values no other metric declares."""
    video = spec_protocol(BenchmarkSpec("clips", "clips", ("video_moving_mnist_quick.yaml",)), "video")
    assert video.metrics == fitting_metrics("video", "none")
    assert callable(video.columns)
    assert [column.key for column in video.columns({})] == [
        "frame_fd",
        "clip_fd",
        "content_consistency",
        "content_consistency_real",
        "motion_ratio",
        "motion_w1",
        "frozen",
        "seconds",
    ]
    text = spec_protocol(BenchmarkSpec("oracle", "oracle", ("text_oracle_mle.yaml",), ("nll_test", "unique")), "tokens")
    assert callable(text.columns)
    first = {"nll_test": 2.0, "unique_ratio": 0.5, "seconds": 1.0, "seconds_this_call": 1.0, "scoring_seconds": 0.1}
    assert [column.key for column in text.columns(first)] == ["nll_test", "unique_ratio", "seconds"]


@pytest.mark.parametrize("command", ["toy", "text"])
def test_a_kind_command_another_command_has_is_a_one_line_error(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two benchmarks under one name would leave one unreachable: a shipped protocol's name or another command's
    stops the script with one line naming the kind and the fix, and so does a second kind's."""
    monkeypatch.setitem(KINDS, "spectra", kind_declaring(replace(SPECTRA, command=command)))
    with pytest.raises(SystemExit) as stopped:
        script("benchmark")
    message = str(stopped.value)
    assert "\n" not in message
    assert message.startswith(f"error: the 'spectra' kind's benchmark command '{command}' is taken")
    assert "BenchmarkSpec" in message

    monkeypatch.setitem(KINDS, "spectra", kind_declaring(SPECTRA))
    monkeypatch.setitem(KINDS, "spectra2", kind_declaring(SPECTRA))
    with pytest.raises(BenchmarkCommandError, match=r"^the 'spectra2' kind's .* taken by the 'spectra' kind: "):
        kind_protocols()
