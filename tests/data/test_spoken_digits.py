"""The spoken-digits set: synthesised by espeak-ng and flite, deterministic from its seed, split by voice."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from gan_lightning.data.spoken_digits import SpokenDigitsDataModule, Voice, split_voices

TINY = {"voices": 3, "test_voices": 2, "utterances": 1, "sample_rate": 8000, "audio_length": 4096}


def make(data_dir: Path, **options: object) -> SpokenDigitsDataModule:
    datamodule = SpokenDigitsDataModule(str(data_dir), 8, 0, (-1.0, 1.0), **{**TINY, **options})  # type: ignore[arg-type]
    datamodule.prepare_data()
    return datamodule


def test_same_seed_same_files_other_seed_other_voices(tmp_path: Path) -> None:
    first, second = make(tmp_path / "a"), make(tmp_path / "b")
    names = sorted(p.name for p in Path(first.data_dir, "train").iterdir())
    assert names == sorted(p.name for p in Path(second.data_dir, "train").iterdir())
    assert len(names) == 3 * 10
    for name in names:  # byte-identical WAVs, whatever the threads' order
        assert Path(first.data_dir, "train", name).read_bytes() == Path(second.data_dir, "train", name).read_bytes()
    other = make(tmp_path / "c", synthesis_seed=1)
    assert (
        json.loads(Path(other.data_dir, "manifest.json").read_text())["voices"]
        != json.loads(Path(first.data_dir, "manifest.json").read_text())["voices"]
    )


def test_test_voices_share_no_timbre_with_training() -> None:
    voices = split_voices(seed=0, train_count=200, test_count=40)
    train_timbres = {(v.engine, v.timbre) for v in voices["train"]}
    test_timbres = {(v.engine, v.timbre) for v in voices["test"]}
    assert len(voices["train"]) == 200 and len(voices["test"]) == 40
    assert not train_timbres & test_timbres
    assert len({v.name for v in voices["train"]}) == 200  # distinct voices


ONE_SPEAKER = {("flite", "kal"): "flite kal", ("flite", "kal16"): "flite kal"}
"""Timbres that are one person, written out here rather than read from the module: Flite's ``kal16`` is its ``kal``
diphone voice at 16 kHz. Every other timbre is its own speaker."""


def speakers(voices: list[Voice]) -> set[object]:
    return {ONE_SPEAKER.get((v.engine, v.timbre), (v.engine, v.timbre)) for v in voices}


def test_no_speaker_is_on_both_sides_of_the_split() -> None:
    """Over 40 seeds, the speakers of the voices drawn for training and for the test never meet, kal and kal16
    counted as one; the seeds draw the kal speaker on both sides of the split in turn, so the case is exercised."""
    sides_of_kal = set()
    for seed in range(40):
        voices = split_voices(seed=seed, train_count=400, test_count=100)
        train, test = speakers(voices["train"]), speakers(voices["test"])
        assert not train & test, f"seed {seed}: {sorted(map(str, train & test))} speak in both splits"
        sides_of_kal |= {split for split, heard in (("train", train), ("test", test)) if "flite kal" in heard}
    assert sides_of_kal == {"train", "test"}


def test_clips_hold_every_digit_at_its_label_with_jitter(tmp_path: Path) -> None:
    datamodule = make(tmp_path)
    datamodule.setup()
    assert datamodule.class_names[3] == "three"
    assert datamodule.data.shape == (30, 1, 4096)
    assert datamodule.class_counts() == [3] * 10
    for path in Path(datamodule.data_dir, "train").glob("Three_*.wav"):
        clip, rate = soundfile.read(path)
        assert rate == 8000 and len(clip) == 4096
    test = datamodule.evaluation_images("test")
    assert test.shape == (20, 4096) and float(test.abs().max()) <= 1.0
    assert sorted(datamodule.evaluation_labels("test").tolist()) == sorted(list(range(10)) * 2)
    peaks = datamodule.evaluation_images("train").abs().amax(dim=1).numpy()
    assert peaks.min() > 0.25 and peaks.max() < 0.95 and np.std(peaks) > 0.05  # the gain is drawn per clip
    onsets = [int(np.flatnonzero(np.abs(c) > 0.1 * np.abs(c).max())[0]) for c in test.numpy()]
    assert len(set(onsets)) > 5  # and the offset


def test_a_change_of_option_makes_a_new_set_beside_the_old(tmp_path: Path) -> None:
    first = make(tmp_path)
    second = make(tmp_path, utterances=2)
    assert first.data_dir != second.data_dir
    assert len(list(Path(second.data_dir, "train").iterdir())) == 60
    assert len(list(Path(first.data_dir, "train").iterdir())) == 30


def test_too_many_voices_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"data\.test_voices"):
        make(tmp_path, test_voices=100_000)
