"""Token data: the oracle (deterministic, its NLL a proper likelihood, its entropy estimate) and text files (tokens,
vocabulary, split, and one-line errors for bad input)."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import tiny_config

from gan_lightning.config.loading import ConfigError
from gan_lightning.data import DataUnavailableError
from gan_lightning.data.oracle import OracleLSTM, OracleSpec, oracle_and_data
from gan_lightning.data.text import EOS, PAD, SPECIAL_TOKENS, UNK, decode, real_token_mask
from gan_lightning.data.text_lines import TextError, TextLinesDataModule, build_corpus, read_examples
from gan_lightning.kinds.tokens import TokensKind

SMALL = OracleSpec(vocab_size=5, embedding=4, hidden=4, length=3, seed=11, num_train=4000, num_test=4000)


def test_the_oracle_is_deterministic_from_its_seed() -> None:
    first, second, other = SMALL.build(), SMALL.build(), OracleLSTM(5, 4, 4, 3, seed=12)
    assert torch.equal(first.out_weight, second.out_weight) and torch.equal(first.weight_hh, second.weight_hh)
    assert not torch.equal(first.out_weight, other.out_weight)
    draws = [first.sample(50, torch.Generator().manual_seed(3)), second.sample(50, torch.Generator().manual_seed(3))]
    assert torch.equal(*draws)
    spec = OracleSpec(vocab_size=50, embedding=8, hidden=8, length=6, seed=5, num_train=64, num_test=32)
    # a fresh process would rebuild it: the cache is bypassed by a new spec object of equal value
    a = oracle_and_data(spec)
    oracle_and_data.cache_clear()
    b = oracle_and_data(OracleSpec(**vars(spec)))
    assert torch.equal(a[1], b[1]) and torch.equal(a[2], b[2]) and a[3] == b[3]
    assert a[1].shape == (64, 6) and a[2].shape == (32, 6) and a[1].max() < 50


def test_the_oracle_parameters_are_standard_normal() -> None:
    oracle = OracleLSTM(5000, 32, 32, 20, seed=0)
    values = torch.cat([oracle.embedding.flatten(), oracle.out_weight.flatten(), oracle.weight_ih.flatten()])
    assert abs(values.mean().item()) < 0.01 and abs(values.std().item() - 1) < 0.01


def all_sequences(spec: OracleSpec) -> torch.Tensor:
    return torch.tensor(list(itertools.product(range(spec.vocab_size), repeat=spec.length)))


def test_oracle_nll_is_a_likelihood_and_its_samples_reach_its_entropy() -> None:
    """Enumerate all 5^3 sequences: their probabilities sum to 1; the exact entropy per token matches the NLL of
    sampled sequences within sampling noise."""
    oracle = SMALL.build()
    sequences = all_sequences(SMALL)
    log_probs = torch.tensor([-oracle.nll(row[None]) * SMALL.length for row in sequences], dtype=torch.float64)
    assert log_probs.exp().sum().item() == pytest.approx(1.0, abs=1e-5)
    entropy = -(log_probs.exp() * log_probs).sum().item() / SMALL.length
    samples = oracle.sample(20_000, torch.Generator().manual_seed(0))
    per_sequence = torch.tensor([-lp for lp in log_probs.tolist()])
    index = (samples * torch.tensor([25, 5, 1])).sum(1)
    noise = per_sequence[index].std().item() / SMALL.length / math.sqrt(len(samples))
    assert oracle.nll(samples) == pytest.approx(entropy, abs=4 * noise)
    # and the sampled frequencies follow the probabilities
    counts = torch.bincount(index, minlength=len(sequences)).double() / len(samples)
    assert (counts - log_probs.exp()).abs().max().item() < 0.02


def test_the_entropy_estimate_is_the_nll_of_held_out_samples() -> None:
    _, train, test, entropy = oracle_and_data(SMALL)
    oracle = SMALL.build()
    assert entropy == pytest.approx(oracle.nll(test))
    assert oracle.nll(train) == pytest.approx(entropy, abs=0.05)  # two independent sample sets agree
    assert entropy < math.log(SMALL.vocab_size)


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def test_words_become_ids_with_eos_pad_and_unk(tmp_path: Path) -> None:
    """20 distinct lines: "the" in 19, "cat" in 13, "sat" in 7, every other word in one, so whichever 5 lines are
    held out, the training counts rank the, cat, sat first."""
    lines = ["the cat sat", "the dog sat", "the cat ran", "a cat", "the end",
             *(f"the cat sat {w}" for w in ("down", "up", "on", "in", "by")),
             *(f"the cat {w}" for w in ("", "is", "was", "ate", "hid")),
             *(f"the {w}" for w in ("one", "two", "sun", "sea", "sky"))]  # fmt: skip
    corpus = build_corpus(write(tmp_path / "t.txt", "\n".join(lines) + "\n\n"), "word", 5, 6, 0.25)
    assert corpus.vocabulary[:3] == list(SPECIAL_TOKENS)
    assert corpus.vocabulary[3:] == ["the", "cat", "sat"]  # the most frequent training words
    assert corpus.train.shape[1] == 5 and len(corpus.train) + len(corpus.test) == 20 and corpus.duplicates == 0
    assert len(corpus.test) == 5
    ids = {token: i for i, token in enumerate(corpus.vocabulary)}
    rows = {tuple(row) for row in torch.cat([corpus.train, corpus.test]).tolist()}
    the, unk, eos, pad = ids["the"], ids[UNK], ids[EOS], ids[PAD]
    assert (the, unk, ids["sat"], eos, pad) in rows  # the dog sat
    assert (the, unk, eos, pad, pad) in rows  # the end
    assert (unk, ids["cat"], eos, pad, pad) in rows  # a cat
    assert decode(torch.tensor([ids["the"], ids["cat"], ids[EOS], ids["sat"]]).tolist(), corpus.vocabulary, " ",
                  (ids[PAD], ids[EOS])) == "the cat"  # fmt: skip


def test_repeated_examples_are_removed_before_the_split(tmp_path: Path) -> None:
    """A file with known repeats (white space normalised first): each distinct example is kept once, the count of
    removed ones is the DataModule's ``duplicates_removed`` and one warning, and no held-out example is a training
    one, which 40 lines repeated at random would otherwise give (a third of the test split, by the control)."""
    lines = ["one two", "three", "one  two", "four five", "three", " one two ", "six", "seven eight", "six"]
    corpus = build_corpus(write(tmp_path / "few.txt", "\n".join(lines)), "word", 4, 50, 0.5)
    assert corpus.examples == 9 and corpus.duplicates == 4  # one two x3, three x2, six x2
    assert sorted(map(tuple, corpus.train_tokens + corpus.test_tokens)) == sorted(
        [("one", "two"), ("three",), ("four", "five"), ("six",), ("seven", "eight")]
    )
    rng = np.random.default_rng(0)
    distinct = [f"line {i} of {w}" for i, w in enumerate(rng.choice(["cats", "dogs", "owls"], 40))]
    repeated = [distinct[i] for i in rng.integers(0, 40, 400)]
    path = write(tmp_path / "many.txt", "\n".join(repeated))
    unique = len(set(repeated))
    datamodule = TextLinesDataModule(4, 0, str(path), "word", 6, 50, 0.25, "lines", "drop")
    with pytest.warns(UserWarning, match=rf"removed {400 - unique} duplicate examples of 400 before the train/test"):
        assert datamodule.duplicates_removed == 400 - unique
    corpus = datamodule.corpus
    assert len(corpus.train) + len(corpus.test) == unique
    train = set(map(tuple, corpus.train_tokens))
    assert len(train) == len(corpus.train_tokens) and not train & set(map(tuple, corpus.test_tokens))
    control = torch.randperm(400, generator=torch.Generator().manual_seed(0)).tolist()  # the same split, no dedup
    held_out = {repeated[i] for i in control[:100]}
    assert len(held_out & {repeated[i] for i in control[100:]}) > len(held_out) / 3
    fortunes = tmp_path / "fortunes"  # an entry repeated in another file of the folder counts too
    fortunes.mkdir()
    write(fortunes / "a", "Same entry.\n%\nOnly in a.\n%\n")
    write(fortunes / "b", "Same\nentry.\n%\nOnly in b.\n")
    assert build_corpus(fortunes, "word", 8, 50, 0.4, text_format="strfile").duplicates == 1


def test_characters_and_strfile_entries(tmp_path: Path) -> None:
    fortunes = "First line\nof one.\n%\nSecond.\n%\n%\nThird one\n"
    entries, dropped = read_examples(write(tmp_path / "f", fortunes), "strfile", "drop")
    assert entries == ["First line of one.", "Second.", "Third one"] and not dropped
    corpus = build_corpus(tmp_path / "f", "word", 8, 100, 0.4, text_format="strfile")
    assert len(corpus.train) == 2 and len(corpus.test) == 1
    folder = tmp_path / "fortunes"  # fortune's layout: sources without a suffix beside their .dat indexes
    folder.mkdir()
    write(folder / "one", fortunes)
    write(folder / "two", "Fourth.\n%\n")
    write(folder / "two.dat", b"\x00\x02binary index")
    corpus = build_corpus(folder, "word", 8, 100, 0.25, text_format="strfile")
    assert len(corpus.train) + len(corpus.test) == 4
    chars = build_corpus(write(tmp_path / "w", "cab\nab\nb\n"), "char", 4, 100, 0.4)
    assert chars.vocabulary[3:] == sorted(chars.vocabulary[3:], key=lambda c: (-"cabab".count(c), c))


def test_bad_text_is_dropped_and_counted_or_one_line(tmp_path: Path) -> None:
    path = write(tmp_path / "t.txt", b"good one\nbad \xff\xfe line\nfar too many words in this one line\nok two\n")
    corpus = build_corpus(path, "word", 4, 50, 0.5)
    assert corpus.dropped == {"bad UTF-8": 1, "too long": 1} and len(corpus.train) + len(corpus.test) == 2
    with pytest.raises(TextError, match=r"t.txt:2: not UTF-8 .*data.on_bad_line=drop") as error:
        build_corpus(path, "word", 4, 50, 0.5, on_bad_line="error")
    assert "\n" not in str(error.value)
    clean = write(tmp_path / "c.txt", "good one\nfar too many words in this one line\nok two\n")
    with pytest.raises(TextError, match=r"an example of 8 words is over data.sequence_length - 1 = 3"):
        build_corpus(clean, "word", 4, 50, 0.5, on_bad_line="error")
    with pytest.raises(TextError, match=r"holds no text examples"):
        build_corpus(write(tmp_path / "empty.txt", "\n  \n"), "word", 4, 50, 0.5)
    with pytest.raises(TextError, match=r"1 of 2 examples fit data.sequence_length=4"):
        build_corpus(write(tmp_path / "one.txt", "a b\nfar too many words here\n"), "word", 4, 50, 0.5)


def test_text_lines_config_errors_are_one_line(tmp_path: Path) -> None:
    base = {"data.name": "text_lines", "generator.arch": "text_lstm", "discriminator.arch": "text_cnn",
            "train.pretrain_steps": 0, "metrics.names": "[]"}  # fmt: skip
    with pytest.raises(DataUnavailableError, match=r"data.data_dir=.*missing.txt: no such text file or folder"):
        tiny_config(tmp_path, "text_oracle_mle", **base, **{"data.data_dir": str(tmp_path / "missing.txt")})
    with pytest.raises(ConfigError, match=r"invalid value 'syllable' for config key 'data.text_level'"):
        tiny_config(tmp_path, "text_oracle_mle", **base, **{"data.text_level": "syllable"})
    empty = write(tmp_path / "empty.txt", "")
    with pytest.raises(DataUnavailableError, match=r"empty.txt holds no text examples"):  # read at the config check
        tiny_config(tmp_path, "text_oracle_mle", **base, **{"data.data_dir": str(empty)})
    with pytest.raises(ConfigError, match=r"nll_oracle score against the oracle; data.name=text_lines has none"):
        ok = write(tmp_path / "ok.txt", "a b\nc d\n")
        tiny_config(tmp_path, "text_oracle_mle", **{**base, "data.data_dir": str(ok), "metrics.names": "[nll_oracle]"})


def test_real_token_mask_counts_up_to_the_first_eos() -> None:
    """The positions a likelihood counts: every token up to and including the first <eos> (or a <pad>, which real
    data never has before one); none of the padding after it. Without stop tokens (the oracle), no mask."""
    pad, eos = SPECIAL_TOKENS.index(PAD), SPECIAL_TOKENS.index(EOS)
    ids = torch.tensor([[3, 4, eos, pad, pad], [5, eos, pad, eos, pad], [3, 3, 3, 3, eos], [3, 4, 5, 6, 7]])
    expected = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1]], dtype=torch.bool)
    assert torch.equal(real_token_mask(ids, (pad, eos)), expected)
    assert real_token_mask(ids, ()) is None
    one_hots = torch.nn.functional.one_hot(ids, 8).float()
    text = TokensKind((5, 8), (0.0, 1.0), [str(i) for i in range(8)], stop_tokens=(pad, eos))
    assert torch.equal(text.likelihood_mask(one_hots), expected)
    oracle = TokensKind((5, 8), (0.0, 1.0), [str(i) for i in range(8)])  # the oracle's kind: no stop tokens
    assert oracle.likelihood_mask(one_hots) is None
