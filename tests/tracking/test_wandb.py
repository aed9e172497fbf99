"""An offline wandb run: images and config in its run directory, resume continues it, no secrets on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from helpers import tiny_config, train

pytest.importorskip("wandb")

from gan_lightning.training import find_resume_point
from gan_lightning.wandb_logging import resolve_mode

SECRET = "secret-test-key-123"


@pytest.fixture
def offline_wandb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Offline mode, a fake API key in the environment, every wandb folder under tmp_path."""
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_API_KEY", SECRET)
    for name in ("WANDB_DIR", "WANDB_CACHE_DIR", "WANDB_CONFIG_DIR", "WANDB_DATA_DIR", "WANDB_ARTIFACT_DIR"):
        monkeypatch.setenv(name, str(tmp_path / "wandb-home"))
    monkeypatch.delenv("WANDB_SWEEP_ID", raising=False)
    return tmp_path


def test_offline_run_logs_images_and_config_and_resume_continues_it(offline_wandb: Path) -> None:
    root = offline_wandb / "runs"
    first = tiny_config(root, **{"run.loggers": "[csv,wandb]", "train.max_steps": 3})
    run_dir = train(first)
    run_id = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)["wandb_run_id"]

    resumed = tiny_config(root, **{"run.loggers": "[csv,wandb]", "train.max_steps": 6})
    train(resumed, find_resume_point(str(run_dir)))
    assert torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)["wandb_run_id"] == run_id

    wandb_runs = sorted((run_dir / "wandb").glob("offline-run-*"))
    assert len(wandb_runs) == 2 and all(p.name.endswith(f"-{run_id}") for p in wandb_runs)
    images = sorted(p.name for p in run_dir.glob("wandb/offline-run-*/files/media/images/samples_*.png"))
    assert len(images) == 2, images  # steps 3 and 6; the final pictures show the same steps, logged once
    (log,) = wandb_runs[0].glob("run-*.wandb")
    record = log.read_bytes()
    assert b"g_optim" in record and b"toy_ring" in record  # the resolved config is the run config

    leaked = [p for p in offline_wandb.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
    assert leaked == []


def test_auto_mode_goes_online_only_with_a_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WANDB_MODE", "WANDB_API_KEY", "WANDB_SWEEP_ID", "WANDB_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    netrc = tmp_path / "netrc"
    monkeypatch.setenv("NETRC", str(netrc))
    assert resolve_mode("auto") == "offline"
    netrc.write_text("machine api.wandb.ai\n  login user\n  password 0123\n")
    assert resolve_mode("auto") == "online"
    monkeypatch.setenv("WANDB_MODE", "dryrun")
    assert resolve_mode("auto") == "offline"
    assert resolve_mode("disabled") == "disabled"


def test_offline_video_run_logs_its_clips_as_videos_and_its_strips_as_images(offline_wandb: Path) -> None:
    video = {
        "run.loggers": "[csv,wandb,tensorboard]",
        "train.max_steps": 3,
        "extra_discriminators.frames.width": 8,
        "data.num_samples": 32,
        "train.batch_size": 8,
    }
    run_dir = train(tiny_config(offline_wandb / "runs", "video_moving_mnist_quick", **video))
    media = next(run_dir.glob("wandb/offline-run-*/files/media"))
    assert [p.suffix for p in media.glob("videos/samples_video_*")] == [".gif"]  # the fixed clips at step 3
    assert len(list(media.glob("images/samples_*.png"))) == 1  # their strip
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    (events,) = run_dir.rglob("events.out.tfevents.*")
    accumulator = EventAccumulator(str(events))
    accumulator.Reload()
    (strip,) = accumulator.Images("samples")
    assert strip.step == 3 and strip.height == 16 * 34 + 2  # a row per clip: 16 clips of 32 px and 2 px gaps


def test_offline_text_run_logs_its_samples_as_a_table_and_text(offline_wandb: Path) -> None:
    from helpers import TINY_ORACLE

    text = {**TINY_ORACLE, "run.loggers": "[csv,wandb,tensorboard]", "train.max_steps": 3, "train.pretrain_steps": 1,
            "metrics.names": "[]"}  # fmt: skip
    run_dir = train(tiny_config(offline_wandb / "runs", "text_oracle_gan", **text))
    lines = (run_dir / "samples" / "step_0000003.txt").read_text().splitlines()
    media = next(run_dir.glob("wandb/offline-run-*/files/media"))
    (table,) = media.glob("table/samples_text_*.table.json")  # the fixed samples at step 3, a row each
    import json

    assert [row[0] for row in json.loads(table.read_text())["data"]] == lines
    assert len(list(media.glob("images/samples_*.png"))) == 1
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    (events,) = run_dir.rglob("events.out.tfevents.*")
    accumulator = EventAccumulator(str(events))
    accumulator.Reload()
    assert "samples_text/text_summary" in accumulator.Tags()["tensors"]


def test_offline_audio_run_logs_its_clips_as_sound_and_their_spectrograms_as_images(offline_wandb: Path) -> None:
    audio = {
        "run.loggers": "[csv,wandb]",
        "train.max_steps": 3,
        "data.data_dir": offline_wandb / "data",
        "data.voices": 4,
        "data.test_voices": 2,
        "data.utterances": 1,
        "data.audio_length": 2048,
        "train.batch_size": 4,
        "train.n_critic": 1,
        "train.num_samples_grid": 10,
    }
    run_dir = train(tiny_config(offline_wandb / "runs", "wavegan_spoken_digits_quick", **audio))
    media = next(run_dir.glob("wandb/offline-run-*/files/media"))
    logged = sorted(p.read_bytes() for p in media.glob("audio/samples_audio_*.wav"))
    written = sorted((run_dir / "samples" / "step_0000003").glob("*.wav"))
    assert len(written) == 10 and len(logged) == 8  # the first 8 of the fixed clips at step 3, as sound
    assert logged == sorted(p.read_bytes() for p in written[:8])
    assert len(list(media.glob("images/samples_*.png"))) == 1  # their spectrograms
