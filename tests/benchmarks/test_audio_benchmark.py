"""``benchmark.py audio``: WaveGAN and SpecGAN over seeds, framed by real-train, real-test and untrained controls
scored on the same held-out-voice clips, the untrained generators checked to score worse than the real clips;
finished runs are scored again as they are."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from helpers import REPO, script

from gan_lightning.benchmarks.audio_protocol import AUDIO
from gan_lightning.benchmarks.protocol import run_seeds
from gan_lightning.config.loading import ConfigError

TINY = ["train.max_steps=2", "train.batch_size=4", "train.n_critic=1", "train.sample_every=0",
        "train.checkpoint_every=0", "train.log_every=1", "generator.width=4", "discriminator.width=4",
        "data.voices=4", "data.test_voices=2", "data.utterances=1", "data.audio_length=2048", "data.stft_window=128",
        "data.stft_hop=32"]  # fmt: skip
"""Tiny runs; SpecGAN's images are 64 x 64 (window 128, hop 32 on 2,048 samples)."""


@pytest.mark.slow  # four short trainings, the classifier trained once, eight scorings, then all scored again
def test_cli_scores_both_generators_beside_the_controls_and_rescores_finished_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, root = tmp_path / "audio.json", tmp_path / "runs"
    places = [f"data.data_dir={tmp_path / 'data'}", f"metrics.cache_dir={tmp_path / 'cache'}"]
    arguments = ["audio", "--seeds", "2", "--num", "20", "--root", str(root), "--json", str(out), *TINY, *places]
    assert script("benchmark").main(arguments) == 0
    printed = capsys.readouterr().out
    for row in ("| wavegan_spoken_digits_quick (2 seeds) |", "| specgan_spoken_digits_quick (2 seeds) |",
                "| real_train |", "| real_test |", "| untrained wavegan_spoken_digits_quick |",
                "| untrained specgan_spoken_digits_quick |"):  # fmt: skip
        assert row in printed, row
    result = json.loads(out.read_text())
    runs = result["wavegan_spoken_digits_quick"]
    assert len(runs) == 2 and runs[0]["audio_fd"] != runs[1]["audio_fd"]  # the seed reaches the run
    for run in runs:
        assert run["is_ratio"] == pytest.approx(run["audio_is"] / run["audio_is_real"])
        assert run["seconds"] > 0
    assert sorted(p.name for p in (root / "wavegan_spoken_digits_quick").iterdir()) == ["seed0", "seed1"]
    controls = result["controls"]
    train, test = controls["real_train"], controls["real_test"]
    assert test["is_ratio"] == 1.0  # the test clips are their own ceiling ...
    assert test["audio_fd"] == pytest.approx(0.0, abs=1e-3)  # ... and no distance from themselves
    assert train["d_train"] < 1e-4  # the training clips are in the training set (0 but for float32 rounding)
    assert test["d_train"] > 1.0
    assert test["d_self"] == pytest.approx(test["d_self_real"])
    heard = controls["real_test through specgan_spoken_digits_quick"]  # SpecGAN's ceiling: Griffin-Lim's loss
    assert heard["audio_fd"] > 0 and "real_test through wavegan_spoken_digits_quick" not in controls
    # an untrained generator of each config is the control that must score worse than real clips: its 20 clips are
    # alike (low |D|self), fall in one class (the class KL from uniform is then ln 10, by hand) and lie far in FD
    for name in ("wavegan_spoken_digits_quick", "specgan_spoken_digits_quick"):
        untrained = controls[f"untrained {name}"]
        assert untrained["audio_fd"] > 5 * train["audio_fd"] > 0 and untrained["audio_kid"] > train["audio_kid"]
        assert untrained["d_self"] < test["d_self"] / 3 and untrained["d_train"] > train["d_train"]
        assert untrained["audio_classes_covered"] == 1 < test["audio_classes_covered"]
        assert untrained["audio_class_kl"] == pytest.approx(math.log(10))
        assert test["audio_class_kl"] < math.log(10)
    assert heard["audio_fd"] < controls["untrained specgan_spoken_digits_quick"]["audio_fd"]
    assert "| real_test through specgan_spoken_digits_quick |" in printed

    # a second call finds every run finished: nothing is trained again, and the scores are the same
    checkpoint = root / "wavegan_spoken_digits_quick" / "seed0" / "checkpoints" / "last.ckpt"
    written = os.path.getmtime(checkpoint)
    assert script("benchmark").main(arguments) == 0
    again = json.loads(out.read_text())
    assert os.path.getmtime(checkpoint) == written
    for name in ("wavegan_spoken_digits_quick", "specgan_spoken_digits_quick"):
        for first, second in zip(result[name], again[name], strict=True):
            assert second["audio_fd"] == pytest.approx(first["audio_fd"], rel=1e-6)
            assert second["seconds"] == first["seconds"]


def test_a_config_that_is_not_audio_fails_before_training(tmp_path: Path) -> None:
    """The audio metrics declare the kinds they score: the config validator refuses them for image data."""
    with pytest.raises(ConfigError, match=r"audio_is, audio_fd, .* cannot score unconditional image data"):
        run_seeds(AUDIO, REPO / "configs" / "quickstart.yaml", 1, tmp_path)
    assert not (tmp_path / "quickstart").exists()
