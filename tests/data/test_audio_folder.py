"""A folder of WAVs: classes from sub-folders or SC09 names, resampling, padding and cutting, one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from gan_lightning.data import DataUnavailableError
from gan_lightning.data.audio_folder import AudioFolderDataModule


def tone(path: Path, frequency: float, rate: int, seconds: float, channels: int = 1, amplitude: float = 0.5) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(rate * seconds)) / rate
    wave = amplitude * np.sin(2 * np.pi * frequency * t)
    soundfile.write(path, np.stack([wave] * channels, axis=1) if channels > 1 else wave, rate, subtype="PCM_16")


def folder(data_dir: Path, **options: object) -> AudioFolderDataModule:
    return AudioFolderDataModule(
        str(data_dir), 4, 0, (-1.0, 1.0), **{"sample_rate": 8000, "audio_length": 4096, **options}
    )


def test_sc09_layout_resampled_padded_and_labelled(tmp_path: Path) -> None:
    tone(tmp_path / "train" / "Three_abc_nohash_0.wav", 500, 16000, 0.25, channels=2)  # stereo, 16 kHz, short
    tone(tmp_path / "train" / "Zero_abc_nohash_0.wav", 1000, 16000, 1.0)  # longer than the clip
    tone(tmp_path / "test" / "Three_def_nohash_0.wav", 500, 16000, 0.25)
    datamodule = folder(tmp_path)
    datamodule.setup()
    assert datamodule.splits == ("train", "test")
    assert datamodule.class_names == ["zero", "three"]  # digit words by value
    clips = datamodule.evaluation_images("train")
    assert clips.shape == (2, 4096)
    three = clips[0].numpy()
    assert np.abs(three[2100:]).max() == 0  # 0.25 s at 8 kHz = 2000 samples, then silence
    spectrum = np.abs(np.fft.rfft(three[:2000]))
    assert spectrum.argmax() * 8000 / 2000 == pytest.approx(500, abs=4)  # the pitch survived the resampling
    assert datamodule.labels.tolist() == [1, 0]
    assert datamodule.evaluation_labels("test").tolist() == [1]


def test_class_sub_folders(tmp_path: Path) -> None:
    for name in ("cat", "dog"):
        tone(tmp_path / name / "a.wav", 300, 8000, 0.1)
    datamodule = folder(tmp_path)
    assert datamodule.has_classes and datamodule.splits == ("train",)
    datamodule.setup()
    assert datamodule.class_names == ["cat", "dog"]


def test_names_without_a_class_leave_the_folder_unlabelled(tmp_path: Path) -> None:
    tone(tmp_path / "noclass.wav", 300, 8000, 0.1)
    assert not folder(tmp_path).has_classes


@pytest.mark.parametrize("problem", ["silent", "late", "empty", "garbage", "loud"])
def test_a_bad_file_stops_with_its_name(tmp_path: Path, problem: str) -> None:
    tone(tmp_path / "Zero_ok_0.wav", 300, 8000, 0.1)
    bad = tmp_path / "Zero_bad_0.wav"
    if problem == "silent":
        soundfile.write(bad, np.zeros(4000), 8000)
    elif problem == "late":  # sound only after the kept 4,096 samples
        soundfile.write(bad, np.concatenate([np.zeros(5000), 0.5 * np.ones(1000)]), 8000)
    elif problem == "empty":
        soundfile.write(bad, np.zeros(0), 8000)
    elif problem == "garbage":
        bad.write_bytes(b"not a wave file at all")
    else:
        soundfile.write(bad, 1.5 * np.ones(1000), 8000, subtype="FLOAT")
    with pytest.raises(DataUnavailableError) as error:
        folder(tmp_path).setup()
    message = str(error.value)
    assert str(bad) in message and "\n" not in message


def test_an_empty_folder_says_so(tmp_path: Path) -> None:
    assert "holds no audio files" in (folder(tmp_path).unavailable() or "")
    assert "is not a folder" in (folder(tmp_path / "missing").unavailable() or "")
