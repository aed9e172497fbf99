"""scripts/build_evaluator.py, the one command that builds every network the metrics learn from real data: with
``--config``, a kind's evaluator (here audio's classifier, on a few tones: trained, then loaded from the cache without
a write, then trained again with ``--rebuild``); with ``--classifier``, the shipped MNIST / Fashion-MNIST classifier
(trained as a user runs it, in a subprocess, to the weights ``train_classifier`` gives in this process); the options
of one refused with the other; one-line errors and exit code 2.
"""

from __future__ import annotations

import io
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
from helpers import ONE_THREAD, REPO, script

from gan_lightning.data.mnist import MNISTDataModule
from gan_lightning.metrics.classifier import evaluation_held_out, load_classifier, train_classifier
from gan_lightning.metrics.trained import one_thread

AUDIO = REPO / "configs" / "wavegan_spoken_digits_quick.yaml"


def files(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under ``folder`` (temporary ones included): its modification time and bytes."""
    return {
        str(path.relative_to(folder)): (path.stat().st_mtime_ns, path.read_bytes())
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def tone_folder(tmp_path: Path) -> Path:
    """``train/`` and ``test/`` splits of two classes, ``low`` (300 Hz) and ``high`` (1,200 Hz), 6 and 3 clips each
    of 2,048 samples at 8 kHz: labelled clips with a held-out split, all the audio classifier needs."""
    rng = np.random.default_rng(0)
    time = np.arange(2048) / 8000
    for split, count in (("train", 6), ("test", 3)):
        for name, pitch in (("low", 300), ("high", 1200)):
            folder = tmp_path / "clips" / split / name
            folder.mkdir(parents=True)
            for index in range(count):
                wave = 0.5 * np.sin(2 * math.pi * (pitch * time + rng.random())) + 0.01 * rng.standard_normal(2048)
                soundfile.write(folder / f"{index}.wav", wave.astype(np.float32), 8000)
    return tmp_path / "clips"


def test_a_config_evaluator_is_trained_then_loaded_then_rebuilt(
    tone_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    arguments = ["--config", str(AUDIO), "data.name=audio_folder", f"data.data_dir={tone_folder}",
                 "data.audio_length=2048", f"metrics.cache_dir={cache}"]  # fmt: skip
    assert script("build_evaluator").main(arguments) == 0
    printed = capsys.readouterr().out
    (weights,) = (cache / "audio_classifier").glob("*.pt")
    assert printed.startswith("audio classifier trained in ") and f"written to {weights}: held-out accuracy" in printed
    written = files(cache)
    assert sorted(written) == [f"audio_classifier/{weights.stem}.json", f"audio_classifier/{weights.name}"]

    assert script("build_evaluator").main(arguments) == 0
    assert capsys.readouterr().out.startswith(f"audio classifier loaded from {weights}: held-out accuracy")
    assert files(cache) == written  # a cache hit writes nothing

    assert script("build_evaluator").main([*arguments, "--rebuild"]) == 0
    assert capsys.readouterr().out.startswith("audio classifier trained in ")
    rebuilt = files(cache)
    assert sorted(rebuilt) == sorted(written)
    first = torch.load(io.BytesIO(written[f"audio_classifier/{weights.name}"][1]), weights_only=True)
    again = torch.load(weights, weights_only=True)
    assert again["train_seconds"] != first["train_seconds"]  # written again by a new training
    assert again["test_accuracy"] == first["test_accuracy"]
    for name, tensor in first["state_dict"].items():  # seeded and on one thread: the same weights again
        assert torch.equal(again["state_dict"][name], tensor), name


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        ([], "one of the arguments --config --classifier is required"),
        (["--config", str(AUDIO), "--classifier", "mnist"], "not allowed with argument"),
        (["--config", str(AUDIO), "--out", "x.pt"], "--out goes with --classifier, not --config"),
        (["--config", str(AUDIO), "--download"], "--download goes with --classifier, not --config"),
        (["--classifier", "mnist_embedded", "data.name=mnist"], "overrides go with --config, not --classifier"),
        (["--classifier", "cifar10"], "invalid choice: 'cifar10'"),
    ],
)
def test_the_options_of_one_build_are_refused_with_the_other(
    arguments: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        script("build_evaluator").main(arguments)
    assert info.value.code == 2 and complaint in capsys.readouterr().err


@pytest.mark.slow  # a whole run (or several) end to end: the slow tier
def test_a_classifier_is_trained_and_written_as_train_classifier_trains_it(tmp_path: Path) -> None:
    out = tmp_path / "mnist.pt"
    # PYTHONPATH: the working tree's package, also where it is not installed (editable or not).
    env = {**os.environ, **ONE_THREAD, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_evaluator.py"), "--classifier", "mnist_embedded",
         "--epochs", "1", "--seed", "3", "--out", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    held_out = "1000 held out: the images datasets evaluate on"
    assert done.stdout.startswith(f"training on 4000 of 5000 mnist_embedded images (1 epochs; {held_out})\n")
    assert "classifier trained in " in done.stdout and f"written to {out}: held-out accuracy" in done.stdout
    payload = torch.load(out, weights_only=True)
    data = MNISTDataModule("embedded", batch_size=64, seed=3, value_range=(0.0, 1.0))
    images = data.load()
    assert data.labels is not None
    with one_thread():  # as the subprocess (OMP_NUM_THREADS=1): the same sums in the same order
        model, accuracy = train_classifier(images, data.labels, epochs=1, batch_size=64, lr=1e-3, seed=3,
                                           held_out=evaluation_held_out("mnist_embedded", len(images)))  # fmt: skip
    assert payload["dataset"] == "mnist" and payload["num_classes"] == 10 and payload["val_accuracy"] == accuracy
    assert not set(payload["train_indices"].tolist()) & set(range(4, 5000, 5))  # Moving MNIST's evaluation digits
    for name, tensor in model.state_dict().items():
        assert torch.equal(payload["state_dict"][name], tensor), name
    assert f"held-out accuracy {accuracy:.3f}" in done.stdout
    load_classifier(out)


def test_a_classifier_without_its_data_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "fashion.pt"
    arguments = ["--classifier", "fashion_mnist", "--data-dir", str(tmp_path), "--out", str(out)]
    assert script("build_evaluator").main(arguments) == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith("error: ") and stderr.count("\n") == 1 and "Fashion-MNIST" in stderr
    assert not out.exists()
