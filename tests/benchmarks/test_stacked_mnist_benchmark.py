"""``benchmark.py stacked_mnist``: runs over seeds beside real stacks and an untrained generator, the real stacks'
modes and KL checked against a count made channel by channel."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from helpers import REPO, script

from gan_lightning.config.loading import load_config
from gan_lightning.data import build_datamodule
from gan_lightning.metrics.classifier import load_classifier

NUM = 300
TINY = ["data.name=stacked_mnist", "data.num_samples=400", "train.max_steps=2", "train.batch_size=16",
        "train.sample_every=0", "train.checkpoint_every=0", "generator.width=8", "discriminator.width=8",
        "metrics.num_real=64"]  # fmt: skip


def modes_by_channel(images: torch.Tensor) -> tuple[int, float]:
    """Modes covered and KL to uniform of ``images`` (uint8 stacks), each channel's digit the classifier's arg-max."""
    classifier = load_classifier()
    digits = [classifier(images[:, c : c + 1].float() / 255)[1].argmax(dim=1) for c in range(3)]
    counts = torch.bincount(digits[0] * 100 + digits[1] * 10 + digits[2], minlength=1000).double()
    share = counts[counts > 0] / len(images)
    return int((counts > 0).sum()), float((share * (share * 1000).log()).sum())


@pytest.mark.slow  # two short trainings and four scorings of 300 stacks
def test_cli_scores_the_runs_beside_real_stacks_and_an_untrained_generator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, root = tmp_path / "stacked.json", tmp_path / "runs"
    arguments = ["stacked_mnist", "--configs", str(REPO / "configs" / "quickstart.yaml"), "--seeds", "2", "--num",
                 str(NUM), "--root", str(root), "--json", str(out)]  # fmt: skip
    assert script("benchmark").main([*arguments, *TINY, f"metrics.cache_dir={tmp_path / 'cache'}"]) == 0
    printed = capsys.readouterr().out
    for row in ("| quickstart (2 seeds) |", "| real stacks |", "| untrained quickstart |", "PacDCGAN2"):
        assert row in printed, row
    result = json.loads(out.read_text())
    runs, controls = result["quickstart"], result["controls"]
    assert len(runs) == 2 and runs[0] != runs[1]  # the seed reaches the run
    real, untrained = controls["real stacks"], controls["untrained quickstart"]
    # the real stacks, counted again channel by channel: the same modes and KL
    config = load_config([REPO / "configs" / "quickstart.yaml"], TINY)
    stacks = build_datamodule(config).evaluation_images("train")[:NUM]
    modes, kl = modes_by_channel(stacks)
    assert real["modes_covered"] == modes and real["mode_kl"] == pytest.approx(kl, rel=1e-4)
    # 300 draws from 1,000 equal modes cover 1000 (1 - e^-0.3) = 259 on average; an untrained generator few
    assert modes > 0.9 * 1000 * (1 - math.exp(-NUM / 1000)) and untrained["modes_covered"] < modes / 2
    assert untrained["mode_kl"] > real["mode_kl"] + 1
