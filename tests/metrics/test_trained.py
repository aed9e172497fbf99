"""Where an evaluator learnt from real data comes from (gan_lightning/metrics/trained.py), on a two-weight network
whose training is a counter: shipped first, then the cache, then training; the key of its identity; what a hit, a
miss and a rebuild write; and what it says it is.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import ClassVar

import pytest
import torch
from torch import nn

from gan_lightning.metrics.audio_classifier import SHIPPED, BuiltAudioClassifier
from gan_lightning.metrics.clip_evaluator import BuiltClipEvaluator
from gan_lightning.metrics.real_cache import RealFeatureCache
from gan_lightning.metrics.trained import (
    BuiltEvaluator,
    UnreadableWeightsError,
    built_evaluator,
    identity_key,
    one_thread,
    read_weights,
)

IDENTITY = {"data": {"name": "toy", "clips": 3}, "recipe": {"epochs": 2, "lr": 0.5}, "version": "1"}


class BuiltToy(BuiltEvaluator[nn.Linear]):
    folder: ClassVar[str] = "toy_evaluator"
    accuracy_labels: ClassVar[dict[str, str]] = {"hit_rate": "hit rate", "miss_rate": "miss rate"}


class Trainer:
    """Training by numbers: the n-th network trained has every weight n, and scores n / 10 and 1 - n / 10."""

    def __init__(self) -> None:
        self.trained = 0
        self.measured = 0

    def train(self) -> nn.Linear:
        self.trained += 1
        model = nn.Linear(2, 1)
        with torch.no_grad():
            for tensor in model.parameters():
                tensor.fill_(self.trained)
        return model.requires_grad_(False)

    def measure(self, model: nn.Linear) -> dict[str, float]:
        self.measured += 1
        value = float(model.bias) / 10
        return {"hit_rate": value, "miss_rate": 1 - value}

    def build(self, cache: Path, identity: dict = IDENTITY, **options: object) -> BuiltToy:
        return built_evaluator(
            BuiltToy,
            identity,
            network=lambda: nn.Linear(2, 1),
            train=self.train,
            measure=self.measure,
            cache_dir=cache,
            **options,  # type: ignore[arg-type]
        )


def files(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under ``folder`` (hidden and temporary ones included): its modification time and bytes."""
    if not folder.exists():
        return {}
    return {
        str(path.relative_to(folder)): (path.stat().st_mtime_ns, path.read_bytes())
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def weight(built: BuiltEvaluator) -> float:
    return float(built.model.bias)


# ---------------------------------------------------------------------- the key
def test_the_key_is_a_hash_of_the_identity_as_canonical_json() -> None:
    # computed here by hand: keys sorted, json's default separators
    canonical = '{"data": {"clips": 3, "name": "toy"}, "recipe": {"epochs": 2, "lr": 0.5}, "version": "1"}'
    assert identity_key(IDENTITY) == hashlib.sha256(canonical.encode()).hexdigest()[:32]
    reordered = {"version": "1", "recipe": {"lr": 0.5, "epochs": 2}, "data": {"clips": 3, "name": "toy"}}
    assert identity_key(reordered) == identity_key(IDENTITY)
    assert RealFeatureCache.key(IDENTITY) == identity_key(IDENTITY)  # the real features' cache: one key function


@pytest.mark.parametrize(
    "changed",
    [
        {**IDENTITY, "data": {"name": "toy", "clips": 4}},
        {**IDENTITY, "data": {"name": "other toy", "clips": 3}},
        {**IDENTITY, "recipe": {"epochs": 3, "lr": 0.5}},
        {**IDENTITY, "version": "2"},
        {**IDENTITY, "extra": None},
    ],
)
def test_the_key_changes_with_the_data_the_recipe_and_the_version(changed: dict) -> None:
    assert identity_key(changed) != identity_key(IDENTITY)


def test_the_shipped_audio_classifiers_are_named_by_the_key_of_what_made_them() -> None:
    """Each shipped file's ``.json`` holds its identity and accuracy: the identity's key is the file's name."""
    described = sorted(SHIPPED.glob("*.json"))
    assert len(described) == 2
    for path in described:
        identity = json.loads(path.read_text())
        identity.pop("test_accuracy"), identity.pop("train_seconds")
        assert identity_key(identity) == path.stem
        assert path.with_suffix(".pt").is_file()


# ---------------------------------------------------------------------- shipped, cache, training
def test_a_miss_trains_measures_and_writes_the_weights_and_what_made_them(tmp_path: Path) -> None:
    trainer = Trainer()
    built = trainer.build(tmp_path / "cache")
    assert (trainer.trained, trainer.measured) == (1, 1)
    assert built.origin == "trained" and not built.from_cache
    assert built.path == tmp_path / "cache" / "toy_evaluator" / f"{identity_key(IDENTITY)}.pt"
    assert built.accuracies == {"hit_rate": 0.1, "miss_rate": 0.9} and weight(built) == 1
    written = [f"toy_evaluator/{built.path.stem}.json", f"toy_evaluator/{built.path.name}"]
    assert sorted(files(tmp_path / "cache")) == written  # and no temporary file
    payload = torch.load(built.path, weights_only=True)
    assert list(payload) == ["state_dict", "train_seconds", "hit_rate", "miss_rate"]
    assert (payload["hit_rate"], payload["miss_rate"], payload["train_seconds"]) == (0.1, 0.9, built.train_seconds)
    assert torch.equal(payload["state_dict"]["bias"], torch.ones(1))
    described = json.loads(built.path.with_suffix(".json").read_text())
    assert described == {**IDENTITY, "hit_rate": 0.1, "miss_rate": 0.9, "train_seconds": built.train_seconds}


def test_a_cache_hit_loads_without_training_and_writes_nothing(tmp_path: Path) -> None:
    trainer = Trainer()
    first = trainer.build(tmp_path)
    before = files(tmp_path)
    again = trainer.build(tmp_path)
    assert (trainer.trained, trainer.measured) == (1, 1)
    assert again.origin == "cache" and again.from_cache and again.path == first.path
    assert (again.accuracies, again.train_seconds, weight(again)) == (first.accuracies, first.train_seconds, 1)
    assert not again.model.weight.requires_grad
    assert files(tmp_path) == before


def test_a_shipped_network_comes_before_the_cache_and_writes_nothing(tmp_path: Path) -> None:
    trainer = Trainer()
    cached = trainer.build(tmp_path / "cache")  # weights 1
    shipped = tmp_path / "shipped"
    other = Trainer()
    other.trained = 6  # weights 7, in the shipped folder under the same key
    other.build(tmp_path / "made")
    shipped.mkdir()
    (shipped / cached.path.name).write_bytes((tmp_path / "made" / "toy_evaluator" / cached.path.name).read_bytes())
    before = files(tmp_path)
    found = trainer.build(tmp_path / "cache", shipped=shipped)
    assert found.origin == "shipped" and found.path == shipped / cached.path.name
    assert weight(found) == 7 and found.accuracies == {"hit_rate": 0.7, "miss_rate": pytest.approx(0.3)}
    assert trainer.trained == 1 and files(tmp_path) == before
    # a shipped folder without the key: the cache, then training, as without one
    assert trainer.build(tmp_path / "cache", shipped=tmp_path / "empty").origin == "cache"
    fresh = trainer.build(tmp_path / "fresh", shipped=tmp_path / "empty")
    assert fresh.origin == "trained" and trainer.trained == 2 and not (tmp_path / "empty").exists()


def test_rebuild_trains_again_over_the_cache_and_past_the_shipped_one(tmp_path: Path) -> None:
    trainer = Trainer()
    cached = trainer.build(tmp_path / "cache")
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / cached.path.name).write_bytes(cached.path.read_bytes())
    shipped_before = files(shipped)
    rebuilt = trainer.build(tmp_path / "cache", shipped=shipped, rebuild=True)
    assert rebuilt.origin == "trained" and trainer.trained == 2 and weight(rebuilt) == 2
    assert rebuilt.path == cached.path
    assert torch.equal(torch.load(cached.path, weights_only=True)["state_dict"]["bias"], torch.full((1,), 2.0))
    assert json.loads(cached.path.with_suffix(".json").read_text())["hit_rate"] == 0.2
    assert files(shipped) == shipped_before
    assert sorted(path.name for path in cached.path.parent.iterdir()) == [cached.path.stem + ".json", cached.path.name]


def test_another_identity_is_another_file(tmp_path: Path) -> None:
    trainer = Trainer()
    first = trainer.build(tmp_path)
    second = trainer.build(tmp_path, {**IDENTITY, "data": {"name": "toy", "clips": 4}})
    assert second.origin == "trained" and second.path != first.path and weight(second) == 2
    assert trainer.build(tmp_path).path == first.path and trainer.trained == 2


@pytest.mark.parametrize(
    "stored",
    [
        b"not a torch file",
        {"state_dict": {"weight": torch.zeros(1, 2), "bias": torch.zeros(1)}, "train_seconds": 1.0, "hit_rate": 0.5},
        {"state_dict": {"weight": torch.zeros(3)}, "train_seconds": 1.0, "hit_rate": 0.5, "miss_rate": 0.5},
    ],
    ids=["not a torch file", "an accuracy missing", "another network"],
)
def test_an_unreadable_file_is_a_miss_and_is_written_again(tmp_path: Path, stored: bytes | dict) -> None:
    path = tmp_path / "toy_evaluator" / f"{identity_key(IDENTITY)}.pt"
    path.parent.mkdir()
    if isinstance(stored, bytes):
        path.write_bytes(stored)
    else:
        torch.save(stored, path)
    trainer = Trainer()
    built = trainer.build(tmp_path)
    assert built.origin == "trained" and trainer.trained == 1
    assert trainer.build(tmp_path).origin == "cache"


def test_read_weights_says_what_is_wrong_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.pt"
    torch.save({"state_dict": {"weight": torch.zeros(3)}}, path)
    with pytest.raises(UnreadableWeightsError) as info:
        read_weights(path, lambda payload: nn.Linear(2, 1))
    assert "loading state_dict" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(FileNotFoundError):
        read_weights(tmp_path / "none.pt", lambda payload: nn.Linear(2, 1))


# ---------------------------------------------------------------------- what it says it is
def test_summary_and_details_of_each_evaluator() -> None:
    path = Path("/cache/audio_classifier/k.pt")
    audio = BuiltAudioClassifier(nn.Linear(1, 1), {"test_accuracy": 0.975}, 25.2, path, "trained")  # type: ignore[arg-type]
    assert audio.test_accuracy == 0.975
    assert audio.summary() == f"audio classifier trained in 25 s, written to {path}: held-out accuracy 0.975"
    assert audio.details() == {
        "audio_classifier": str(path),
        "audio_classifier_test_accuracy": 0.975,
        "audio_classifier_train_seconds": 25.2,
        "audio_classifier_from_cache": False,
        "audio_classifier_origin": "trained",
    }
    audio.origin = "shipped"
    assert audio.summary() == f"audio classifier shipped in {path}: held-out accuracy 0.975"
    assert audio.details()["audio_classifier_from_cache"] is True
    accuracies = {"order_accuracy": 0.9974, "digit_accuracy": 0.9016}
    clip = BuiltClipEvaluator(nn.Linear(1, 1), accuracies, 61.0, path, "cache")  # type: ignore[arg-type]
    assert (clip.order_accuracy, clip.digit_accuracy) == (0.9974, 0.9016)
    assert clip.summary() == (
        f"clip evaluator loaded from {path}: on held-out-digit clips, ordered vs time-shuffled accuracy 0.997, "
        "digit accuracy 0.902"
    )
    assert clip.details() == {
        "clip_evaluator": str(path),
        "clip_evaluator_order_accuracy": 0.9974,
        "clip_evaluator_digit_accuracy": 0.9016,
        "clip_evaluator_train_seconds": 61.0,
        "clip_evaluator_from_cache": True,
        "clip_evaluator_origin": "cache",
    }


def test_one_thread_restores_the_thread_count() -> None:
    threads = torch.get_num_threads()
    with one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == threads
    with pytest.raises(RuntimeError), one_thread():
        raise RuntimeError
    assert torch.get_num_threads() == threads
