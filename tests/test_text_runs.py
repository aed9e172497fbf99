"""Text end to end, as a user runs it: fit the oracle configs (pretraining, then adversarial steps), their text
samples and quality-diversity picture, sample.py's text and ids, evaluate.py's metrics and sweep; a text file at
character level; the one-line errors of pretraining."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import REPO, TINY, TINY_ORACLE, only_run, script, tiny_config

from gan_lightning.checkpointing import load_module
from gan_lightning.config.loading import ConfigError
from gan_lightning.data import build_datamodule

ORACLE = [*TINY, *(f"{k}={v}" for k, v in TINY_ORACLE.items()), "train.pretrain_steps=2"]


def fit_text(root: Path, config: str, *extra: str) -> Path:
    arguments = ["--config", str(REPO / "configs" / f"{config}.yaml"), f"run.root={root}"]
    assert script("fit").main([*arguments, *extra]) == 0
    return only_run(root)


def test_oracle_fit_sample_evaluate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    run_dir = fit_text(tmp_path, "text_oracle_gan", *ORACLE)
    samples = run_dir / "samples"
    names = {p.name for p in samples.iterdir()}
    assert {"step_0000002.txt", "step_0000002.png", "final.txt", "final.png", "quality_diversity.png"} <= names
    lines = (samples / "final.txt").read_text().splitlines()
    assert len(lines) == 16 and all(len(line.split()) == 6 for line in lines)  # the oracle's fixed length
    assert all(0 <= int(token) < 40 for line in lines for token in line.split())
    with open(run_dir / "metrics.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert {"train/g_nll", "train/d_loss", "val/nll_oracle", "val/nll_test", "val/unique_ratio"} <= set(rows[0])
    final = [row for row in rows if row["val/nll_oracle"]][-1]
    assert final["step"] == "4"
    assert 0 < float(final["val/oracle_entropy"]) < float(final["val/ln_vocab"]) == pytest.approx(np.log(40))

    checkpoint = str(run_dir / "checkpoints" / "last.ckpt")
    sample = script("sample").main
    assert sample(["--ckpt", checkpoint, "--num", "5", "--out", str(tmp_path / "s.npz"), "--seed", "3"]) == 0
    ids = np.load(tmp_path / "s.npz")["samples"]
    module = load_module(checkpoint)  # the same seed, by hand: the token ids G sampled
    expected = module.to_data_space(module.sample(5, generator=torch.Generator().manual_seed(3)))
    assert ids.shape == (5, 6) and np.array_equal(ids, expected.numpy())
    assert sample(["--ckpt", checkpoint, "--num", "5", "--out", str(tmp_path / "s.txt"), "--seed", "3"]) == 0
    text = (tmp_path / "s.txt").read_text().splitlines()
    assert text == [" ".join(str(t) for t in row) for row in ids.tolist()]
    assert not (tmp_path / "s.png").exists()
    assert sample(["--ckpt", checkpoint, "--num", "4", "--out", str(tmp_path / "s.gif")]) == 2
    assert "--out must end in .npz, .txt, .png for token data (T, V), got s.gif" in capsys.readouterr().err

    out = tmp_path / "evaluation.json"
    assert script("evaluate").main(["--ckpt", checkpoint, "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    values = report["metrics"]
    assert {"nll_oracle", "nll_test", "unique_ratio", "nll_oracle@0.5", "nll_test@1"} <= set(values)
    assert values["nll_oracle@1"] == pytest.approx(values["nll_oracle"])  # the same latents at temperature 1
    assert values["nll_oracle@0.5"] != values["nll_oracle"]  # other samples from the same latents
    assert values["nll_test@0.5"] > values["nll_test"]  # a sharpened, barely trained G covers held-out data worse
    assert Path(report["quality_diversity"]).is_file() and report["num_real"] == 32
    assert values["nll_oracle"] == pytest.approx(float(final["val/nll_oracle"]), rel=1e-6)  # training's value


def test_relational_memory_fit_and_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """RelGAN's cell end to end: pretraining then adversarial steps, its checkpoint, seeded sampling."""
    monkeypatch.chdir(tmp_path)
    run_dir = fit_text(tmp_path, "text_oracle_gan_rmc", *ORACLE, "generator.head_size=4", "metrics.temperatures=[]")
    checkpoint = str(run_dir / "checkpoints" / "last.ckpt")
    module = load_module(checkpoint)
    assert module.generator.cell == "relational_memory" and module.generator.core.memory_size == 8
    assert int(module.generator.adversarial_steps) == 2  # 4 steps, 2 of them pretraining
    header = (run_dir / "metrics.csv").read_text().splitlines()[0]
    assert {"train/g_nll", "train/d_loss", "val/nll_test"} <= set(header.split(","))
    out = tmp_path / "s.npz"
    assert script("sample").main(["--ckpt", checkpoint, "--num", "5", "--out", str(out), "--seed", "3"]) == 0
    expected = module.to_data_space(module.sample(5, generator=torch.Generator().manual_seed(3)))
    assert np.array_equal(np.load(out)["samples"], expected.numpy())


def test_mle_only_baseline_never_trains_d(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run_dir = fit_text(tmp_path, "text_oracle_mle", *ORACLE, "train.pretrain_steps=4", "metrics.names=[]")
    initial = load_module(run_dir / "checkpoints" / "gen_step=0000002.ckpt").discriminator.state_dict()
    final = load_module(run_dir / "checkpoints" / "last.ckpt")
    assert all(torch.equal(initial[k], v) for k, v in final.discriminator.state_dict().items())
    assert int(final.generator.adversarial_steps) == 0
    header = (run_dir / "metrics.csv").read_text().splitlines()[0]
    assert "train/g_nll" in header and "train/d_loss" not in header


def test_a_text_file_at_character_level(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The 64 three-letter strings of c, a, t, r are the training file, every string of one to four of them the word
    list: a barely trained G's words are often in the list and often not in training, so both word shares are
    checked against the samples by hand, not only their range."""
    monkeypatch.chdir(tmp_path)
    words, dictionary = tmp_path / "words.txt", tmp_path / "dictionary.txt"
    words.write_text("".join(f"{''.join(w)}\n" for w in itertools.product("catr", repeat=3)))
    listed = {"".join(w) for n in range(1, 5) for w in itertools.product("catr", repeat=n)}
    dictionary.write_text("".join(f"{w}\n" for w in sorted(listed)))
    run_dir = fit_text(tmp_path, "text_words", *TINY, f"data.data_dir={words}", "data.sequence_length=6",
                       f"data.dictionary={dictionary}", "train.pretrain_steps=2",
                       "metrics.temperatures=[]")  # fmt: skip
    lines = (run_dir / "samples" / "final.txt").read_text().splitlines()
    # characters joined without a separator, cut at <eos> or <pad> (a barely trained G samples <unk> too)
    assert len(lines) == 16 and all(set(line.replace("<unk>", "")) <= set("catr") for line in lines)
    assert max(len(line.replace("<unk>", "?")) for line in lines) <= 6
    module = load_module(run_dir / "checkpoints" / "last.ckpt")  # the vocabulary travels in the checkpoint
    assert module.kind.vocabulary[:3] == ["<pad>", "<eos>", "<unk>"] and set(module.kind.vocabulary[3:]) == set("catr")
    header = (run_dir / "metrics.csv").read_text().splitlines()[0]
    assert "val/nll_test" in header and "val/nll_oracle" not in header
    assert {"val/bleu_5", "val/self_bleu_2", "val/valid_words", "val/novel_words"} <= set(header.split(","))

    # evaluate.py sweeps real text on BLEU-5 against Self-BLEU-5, beside the real training text's own point,
    out = tmp_path / "evaluation.json"
    assert script("evaluate").main(["--ckpt", str(run_dir / "checkpoints" / "last.ckpt"), "--json", str(out),
                                    "metrics.temperatures=[0.5,1.0]"]) == 0  # fmt: skip
    report = json.loads(out.read_text())
    values = report["metrics"]
    assert {"bleu_5@0.5", "self_bleu_5@0.5", "valid_words", "novel_words", "unique_ratio"} <= set(values)
    assert values["bleu_5@1"] == pytest.approx(values["bleu_5"]) and values["self_bleu_5@1"] == values["self_bleu_5"]
    assert "nll_oracle@1" not in values and Path(report["quality_diversity"]).is_file()
    # with a word list the sweep draws valid against novel words too, beside the held-out words' own point
    assert set(report["quality_diversity_reference"]) == {"bleu_5", "self_bleu_5", "valid_words", "novel_words"}
    assert {"valid_words@0.5", "novel_words@0.5"} <= set(values)
    assert 0 <= values["novel_words"] <= values["valid_words"] <= 1

    # the word shares again, by hand: the 64 samples of the evaluation's latents (seed 0), as sample.py writes them,
    # split into words (an empty sample is one empty word), looked up in the list and in the training split's words
    checkpoint = str(run_dir / "checkpoints" / "last.ckpt")
    out = tmp_path / "evaluated.txt"
    assert script("sample").main(["--ckpt", checkpoint, "--num", "64", "--seed", "0", "--out", str(out)]) == 0
    samples = out.read_text().split("\n")[:64]
    generated = [word for sample in samples for word in (sample.split() or [""])]
    seen = {"".join(tokens) for tokens in build_datamodule(load_module(checkpoint).cfg).evaluation_tokens("train")}
    assert len(seen) == len(listed & seen) == 58  # 64 distinct strings, 6 held out
    valid = [word for word in generated if word in listed]
    assert values["valid_words"] == len(valid) / len(generated)
    assert values["novel_words"] == len([word for word in valid if word not in seen]) / len(generated)
    assert 0 < values["novel_words"] < values["valid_words"] < 1  # both shares say something here


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["data.dictionary=null"],
            "metrics.names: valid_words, novel_words look generated words up in a word list; set data.dictionary "
            "(a file, a word a line)",
        ),
        (
            ["data.dictionary={words}", "metrics.names=[self_bleu]", "metrics.num_generated=1"],
            "metrics.names: self_bleu compares each sample with the others, but metrics.num_generated=1 leaves fewer "
            "than 2 samples; set metrics.num_generated >= 2",
        ),
    ],
    ids=["word_metrics_need_a_dictionary", "self_bleu_of_one_sample"],
)
def test_word_list_metric_config_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    words = tmp_path / "words.txt"
    words.write_text("cat\ncar\ncart\ntar\n")
    arguments = ["--config", str(REPO / "configs" / "text_words.yaml"), f"run.root={tmp_path}", *TINY,
                 f"data.data_dir={words}", "data.sequence_length=6", "train.pretrain_steps=2",
                 *(item.format(words=words) for item in extra)]  # fmt: skip
    assert script("fit").main(arguments) == 2
    error = capsys.readouterr().err.strip()
    assert error.endswith(message)
    assert not (tmp_path / "text_words").exists()


def test_pretraining_needs_a_likelihood(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"generator.arch=mlp has no likelihood to pretrain by .*: text_lstm$"):
        tiny_config(tmp_path, "toy_ring", **{"train.pretrain_steps": 2})
    with pytest.raises(ConfigError, match=r"train.pretrain_steps=9 is over train.max_steps=6"):
        tiny_config(tmp_path, "text_oracle_mle", **TINY_ORACLE, **{"train.pretrain_steps": 9})
