"""Every metric is registered by name in one registry: a sequence, class or translation metric defined here, in the
test, is accepted by the config validator for the runs it declares, computed by its suite and followed by
``best.ckpt``, and a wrong name is one line listing the registered ones. The values are checked against computations
by hand on inputs whose answer is known."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from helpers import PAIRED, REPO, write_pairs

from gan_lightning.callbacks.evaluation import best_checkpoint
from gan_lightning.config.loading import ConfigError, load_config
from gan_lightning.config.schema import ExperimentConfig, TimeGANScoreConfig
from gan_lightning.metrics.class_scores import ClassScores, ClassScoreSuite
from gan_lightning.metrics.sequence_quality import SequenceQuality, sequence_metric
from gan_lightning.metrics.suite import METRICS, Metric, MetricError, best_monitor, register_metric
from gan_lightning.metrics.translation import TranslationSuite, translation_scores

QUICKSTART = REPO / "configs" / "quickstart.yaml"
SINES = REPO / "configs" / "rnn_sines.yaml"


def _gap(real: torch.Tensor, generated: torch.Tensor, cfg: TimeGANScoreConfig, seed: int) -> tuple[float, float]:
    """The gap between the mean values, and a draw from the global RNG (which must not leak into training's)."""
    return float((real.mean() - generated.mean()).abs()), float(torch.rand(()))


@pytest.fixture
def sequence_gap() -> Iterator[str]:
    register_metric("toy_gap")(sequence_metric(_gap, values=("toy_gap", "toy_draw"), best=("toy_gap", "min")))
    yield "toy_gap"
    del METRICS["toy_gap"]


@pytest.fixture
def label_coverage() -> Iterator[str]:
    def coverage(scores: ClassScores, pixels: torch.Tensor, labels: torch.Tensor) -> float:
        return len(set(labels.tolist())) / scores.num_classes

    metric = Metric(ClassScoreSuite, coverage, ("toy_coverage", "max"), ("toy_coverage",), ("images",), ("classes",))
    register_metric("toy_coverage")(metric)
    yield "toy_coverage"
    del METRICS["toy_coverage"]


@pytest.fixture
def squared_error() -> Iterator[str]:
    def mse(outputs: torch.Tensor, targets: torch.Tensor, classifier: object) -> float:
        return float(((outputs - targets) ** 2).mean())

    register_metric("toy_mse")(Metric(TranslationSuite, mse, ("toy_mse", "min"), ("toy_mse",), ("images",), ("image",)))
    yield "toy_mse"
    del METRICS["toy_mse"]


def _with_extractor(extractor: str) -> ExperimentConfig:
    return load_config([QUICKSTART], [f"metrics.extractor={extractor}"])


def _one_line_listing(error: pytest.ExceptionInfo[ConfigError], *names: str) -> None:
    message = str(error.value)
    assert "\n" not in message
    assert all(name in message for name in names), message


def test_a_registered_sequence_metric_is_validated_computed_and_followed(sequence_gap: str) -> None:
    config = load_config([SINES], [f"metrics.names=[{sequence_gap},predictive]", "metrics.every=10"])
    assert list(config.metrics.names) == [sequence_gap, "predictive"]
    with pytest.raises(ConfigError) as error:
        load_config([SINES], ["metrics.names=[nope]"])
    _one_line_listing(error, "'nope'", "discriminative", "predictive", sequence_gap)
    with pytest.raises(ConfigError, match=f"{sequence_gap} cannot score unconditional image data"):
        load_config([QUICKSTART], [f"metrics.names=[{sequence_gap}]"])

    # the evaluator computes it in score space: real 0.2 everywhere (data units 0.4, halved), generated 0.5
    real, generated = torch.full((6, 4, 2), 0.4), torch.full((3, 4, 2), 1.0)
    evaluator = SequenceQuality([sequence_gap], real, lambda x: x / 2, TimeGANScoreConfig(), seed=0)
    torch.manual_seed(3)
    values = evaluator.evaluate(generated)
    assert values["toy_gap"] == pytest.approx(0.3)
    assert values["toy_draw"] == float(torch.rand(()))  # the metric's draw came from a fork of the global RNG
    assert best_monitor(config.metrics.names, config) == ("val/toy_gap", "min")
    checkpoint = best_checkpoint(config, "checkpoints")
    assert checkpoint is not None and (checkpoint.monitor, checkpoint.mode) == ("val/toy_gap", "min")


def test_a_registered_class_score_is_validated_and_computed(label_coverage: str) -> None:
    names = f"metrics.names=[{label_coverage}]"
    assert list(load_config([QUICKSTART], ["data.conditional=true", names]).metrics.names) == [label_coverage]
    with pytest.raises(ConfigError, match=rf"{label_coverage} score class-conditional runs: set data.conditional=true"):
        load_config([QUICKSTART], [names])
    with pytest.raises(ConfigError) as error:
        load_config([QUICKSTART], ["data.conditional=true", "metrics.names=[nope]"])
    _one_line_listing(error, "'nope'", "class_accuracy", "cas", label_coverage)

    images = torch.zeros(4, 1, 28, 28, dtype=torch.uint8)
    scores = ClassScores([label_coverage], None, images, torch.arange(4), images, torch.arange(4), num_classes=10)
    assert scores.evaluate(torch.rand(5, 1, 28, 28), torch.tensor([0, 1, 1, 3, 0])) == {"toy_coverage": 0.3}
    assert best_monitor([label_coverage], _with_extractor("mnist_classifier")) == ("val/toy_coverage", "max")


def test_a_registered_translation_score_is_validated_and_computed(squared_error: str, tmp_path: Path) -> None:
    write_pairs(tmp_path / "pairs")
    paired = [*PAIRED, f"data.data_dir={tmp_path / 'pairs'}"]
    names = load_config([QUICKSTART], [*paired, f"metrics.names=[{squared_error},l1,fid]"]).metrics.names
    assert list(names) == [squared_error, "l1", "fid"]
    with pytest.raises(ConfigError) as error:
        load_config([QUICKSTART], [*paired, "metrics.names=[nope]"])
    _one_line_listing(error, "'nope'", "l1", "psnr", "ssim", "class_preservation", squared_error)

    targets = torch.zeros(2, 1, 4, 4)
    outputs = torch.stack([torch.full((1, 4, 4), 0.5), torch.full((1, 4, 4), 1.5)])  # the second clamps to 1
    values = translation_scores([squared_error, "l1"], outputs, targets)
    assert values == {"l1": pytest.approx(0.75), squared_error: pytest.approx((0.25 + 1) / 2)}
    assert best_monitor([squared_error], _with_extractor("inception")) == ("val/toy_mse", "min")
    with pytest.raises(ValueError, match=r"unknown translation scores \['nope'\]; registered: l1, .*, toy_mse"):
        translation_scores(["nope"], outputs, targets)


@pytest.mark.parametrize(
    ("names", "extractor", "monitor"),
    [
        (["fid", "kid"], "inception", ("val/fid", "min")),
        (["pr"], "mnist_classifier", ("val/mnist_classifier_recall", "max")),  # pr logs precision and recall
        (["is"], "inception", ("val/is", "max")),
        (["intra_fid", "fid"], "mnist_classifier", ("val/mnist_classifier_intra_fid", "min")),
        (["cas", "fid"], "inception", ("val/cas", "max")),
        (["predictive", "discriminative"], "inception", ("val/predictive", "min")),
        (["l1"], "inception", ("val/l1", "min")),
        (["ssim"], "inception", ("val/ssim", "max")),
    ],
)
def test_the_best_checkpoint_follows_the_first_metric_its_registry_way(
    names: list[str], extractor: str, monitor: tuple[str, str]
) -> None:
    assert best_monitor(names, _with_extractor(extractor)) == monitor


def test_a_metric_better_neither_way_or_unregistered_cannot_lead_best_checkpoint() -> None:
    with pytest.raises(MetricError, match="'nn_distance' is better neither way"):
        best_monitor(["nn_distance"], _with_extractor("inception"))
    with pytest.raises(MetricError, match="'nope' is no registered metric"):
        best_monitor(["nope"], _with_extractor("inception"))


def test_no_best_checkpoint_without_periodic_metrics() -> None:
    assert best_checkpoint(load_config([QUICKSTART], ["metrics.every=0"]), "checkpoints") is None
    assert best_checkpoint(load_config([QUICKSTART], ["metrics.keep_best=false"]), "checkpoints") is None
