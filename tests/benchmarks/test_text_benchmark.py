"""``benchmark.py text``: the GAN continues the MLE run's checkpoint per seed; both are scored alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml
from helpers import REPO, TINY_ORACLE, script

from gan_lightning.benchmarks.text_protocol import benchmark_text
from gan_lightning.config.loading import ConfigError

SHARED = [*(f"{k}={v}" for k, v in TINY_ORACLE.items()), "train.batch_size=8", "train.sample_every=0",
          "train.checkpoint_every=0", "generator.width=8", "discriminator.width=8", "metrics.num_generated=64",
          "metrics.batch_size=32"]  # fmt: skip


def tiny_pair(folder: Path, mle_steps: int = 2, gan_steps: int = 4, gan_pretrain: int = 2) -> tuple[Path, Path]:
    """The shipped MLE and GAN configs with their step counts shrunk (the shared overrides cannot differ)."""
    paths = []
    for name, steps, pretrain in (("text_oracle_mle", mle_steps, mle_steps), ("text_oracle_gan", gan_steps,
                                                                                gan_pretrain)):  # fmt: skip
        config = yaml.safe_load((REPO / "configs" / f"{name}.yaml").read_text())
        config["train"].update(max_steps=steps, pretrain_steps=pretrain)
        path = folder / f"{name}.yaml"
        path.write_text(yaml.safe_dump(config))
        paths.append(path)
    return paths[0], paths[1]


def test_cli_continues_the_mle_checkpoint_and_reports_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mle, gan = tiny_pair(tmp_path)
    out, root = tmp_path / "text.json", tmp_path / "runs"
    arguments = ["text", "--mle", str(mle), "--gan", str(gan), "--seeds", "2", "--root", str(root), "--json", str(out)]
    assert script("benchmark").main([*arguments, *SHARED, f"metrics.cache_dir={tmp_path / 'cache'}"]) == 0
    printed = capsys.readouterr().out
    assert "| mle |" in printed and "| gan |" in printed and "GAN's NLL_oracle gain over MLE" in printed
    assert out.with_suffix(".png").is_file()  # seed 0's quality-diversity curves
    result = json.loads(out.read_text())
    runs = result["runs"]
    # the n-gram controls: scored by the same metrics as the runs, one row each
    assert list(result["controls"]) == ["bigram", "trigram", "5-gram"]
    scored = {k for k in runs[0]["mle"] if k not in ("seconds", "seconds_this_call")}
    assert all(set(values) == scored for values in result["controls"].values())
    assert all(f"| {label} |" in printed for label in result["controls"])
    assert len(runs) == 2 and runs[0]["mle"]["nll_oracle"] != runs[1]["mle"]["nll_oracle"]  # the seed reaches them
    sweep = runs[0]["sweep"]
    assert [row["temperature"] for row in sweep["gan"]] == [0.5, 1.0]
    assert sweep["mle"][1]["nll_oracle"] == pytest.approx(runs[0]["mle"]["nll_oracle"])  # T = 1: the scored point
    assert result["nll_oracle_gain"][0] == pytest.approx(runs[0]["mle"]["nll_oracle"] - runs[0]["gan"]["nll_oracle"])
    for seed in (0, 1):
        states = [torch.load(root / name / f"seed{seed}" / "checkpoints" / "last.ckpt", weights_only=False)
                  for name in ("text_oracle_mle", "text_oracle_gan")]  # fmt: skip
        assert states[0]["generator_step"] == 2 and states[1]["generator_step"] == 4
        # the pretraining optimizer's state is the MLE run's, untouched by the adversarial steps: the GAN run
        # continued that very checkpoint
        pretraining = [state["optimizer_states"][2]["state"] for state in states]
        assert all(torch.equal(pretraining[0][k]["exp_avg"], pretraining[1][k]["exp_avg"]) for k in pretraining[0])
        assert int(states[1]["state_dict"]["generator.adversarial_steps"]) == 2
    # finished runs are scored as they are: a second call trains nothing and gives the same numbers
    (again,) = benchmark_text(mle, gan, 1, root, [*SHARED, f"metrics.cache_dir={tmp_path / 'cache'}"])
    assert again["mle"] == runs[0]["mle"] and again["sweep"] == runs[0]["sweep"]
    assert {k: again["gan"][k] for k in ("nll_oracle", "nll_test", "unique_ratio", "seconds")} == {
        k: runs[0]["gan"][k] for k in ("nll_oracle", "nll_test", "unique_ratio", "seconds")
    }


def test_an_ngram_order_below_one_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        script("benchmark").main(["text", "--ngrams", "2", "0", "--root", str(tmp_path / "runs")])
    assert stop.value.code == 2
    assert (
        capsys.readouterr()
        .err.splitlines()[-1]
        .endswith("argument --ngrams: an n-gram's order is a whole number from 1, got '0'")
    )
    assert not (tmp_path / "runs").exists()


def test_mismatched_pretraining_or_data_fails_before_training(tmp_path: Path) -> None:
    mle, gan = tiny_pair(tmp_path, gan_pretrain=3, gan_steps=5)
    with pytest.raises(ConfigError, match=r"must pretrain exactly as text_oracle_mle.yaml \(2 steps\)"):
        benchmark_text(mle, gan, 1, tmp_path / "runs", SHARED)
    mle, gan = tiny_pair(tmp_path)
    config = yaml.safe_load(gan.read_text())
    config["g_optim"]["lr"] = 0.001
    gan.write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError, match=r"g_optim differs between text_oracle_mle.yaml and text_oracle_gan.yaml"):
        benchmark_text(mle, gan, 1, tmp_path / "runs", SHARED)
    config["g_optim"]["lr"] = 0.0001
    config["generator"]["cell"] = "relational_memory"  # a checkpoint of another network
    gan.write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError, match=r"generator.cell differs between .* \(lstm and relational_memory\); the GAN"):
        benchmark_text(mle, gan, 1, tmp_path / "runs", SHARED)
    with pytest.raises(ConfigError, match=r"the MLE baseline needs train.pretrain_steps = train.max_steps"):
        benchmark_text(gan, gan, 1, tmp_path / "runs", SHARED)
    assert not (tmp_path / "runs").exists()
