"""The text metric registry on real data modules: BLEU and Self-BLEU of decoded samples against nltk, the word
list's valid and novel shares on a known case, the unique ratio cut at ``<eos>``, and the one-line problems."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

from gan_lightning.config.schema import MetricsConfig
from gan_lightning.data import DataUnavailableError
from gan_lightning.data.text import EOS, PAD, UNK
from gan_lightning.data.text_lines import TextLinesDataModule
from gan_lightning.metrics.quality_diversity import BLEU_AXES
from gan_lightning.metrics.suite import METRICS
from gan_lightning.metrics.text_data import bleu_references
from gan_lightning.metrics.text_quality import TextSamples, check_text_metrics, likelihood_of
from gan_lightning.networks.text import TextLSTMGenerator

SENTENCES = [
    "the cat sat on the mat",
    "a dog sat on a log",
    "the dog ate the cat food",
    "my cat likes the warm mat",
    "a bird sang on the roof",
    "the old dog slept all day",
    "she read a book on the train",
    "the cat and the dog played",
    "rain fell on the quiet town",
    "he sat by the fire all night",
]


def no_likelihood(ids: torch.Tensor) -> float:
    pytest.fail("these metrics do not use G's likelihood")


def data_module(path: Path, level: str, vocab_size: int, dictionary: Path | None = None) -> TextLinesDataModule:
    datamodule = TextLinesDataModule(
        4, 0, str(path), level, 12, vocab_size, 0.3, "lines", "drop", str(dictionary) if dictionary else None
    )
    datamodule.setup()
    return datamodule


def encode(datamodule: TextLinesDataModule, rows: list[list[str]]) -> torch.Tensor:
    """Token ids of ``rows`` (unknown tokens as ``<unk>``), each ended by ``<eos>`` then tokens that must be ignored."""
    vocabulary = datamodule.vocabulary
    filler = len(vocabulary) - 1  # a real token after <eos>: decoding must stop before it
    ids = torch.full((len(rows), datamodule.length), filler, dtype=torch.long)
    for i, row in enumerate(rows):
        encoded = [vocabulary.index(t) if t in vocabulary else vocabulary.index(UNK) for t in row]
        ids[i, : len(encoded) + 1] = torch.tensor([*encoded, vocabulary.index(EOS)])
    return ids


def scores(name: str, datamodule: TextLinesDataModule, ids: torch.Tensor, **settings: int) -> dict[str, float]:
    samples = TextSamples(ids, datamodule, no_likelihood, MetricsConfig(**settings))  # type: ignore[arg-type]
    return METRICS[name].compute(samples)


def nltk_bleu(references: list[list[str]], hypothesis: list[str], n: int) -> float:
    weights = tuple(1.0 / n for _ in range(n))
    return sentence_bleu(references, hypothesis, weights, smoothing_function=SmoothingFunction().method1)


def test_bleu_and_self_bleu_through_the_registry_match_nltk(tmp_path: Path) -> None:
    path = tmp_path / "sentences.txt"
    path.write_text("".join(f"{line}\n" for line in SENTENCES))
    datamodule = data_module(path, "word", vocab_size=200)  # room for every training word: no <unk> in training
    vocabulary = datamodule.vocabulary
    training = {" ".join(vocabulary[t] for t in row if t > 2) for row in datamodule.evaluation_ids("train").tolist()}
    # the references are the held-out lines as written, words outside the vocabulary included
    references = [line.split() for line in SENTENCES if line not in training]
    assert len(references) == 3 and any(w not in vocabulary for ref in references for w in ref)
    hypotheses = [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "sat", "on", "the", "mat"],
                  ["a", "cat", "sat", "by", "zebra"], ["the", "cat"]]  # fmt: skip
    ids = encode(datamodule, hypotheses)
    # a word no training line has is <unk>: decoded as "<unk>", it matches no real word
    expected_hypotheses = [[w if w in vocabulary else UNK for w in h] for h in hypotheses]
    assert "zebra" not in vocabulary and expected_hypotheses[2][-1] == UNK

    values = scores("bleu", datamodule, ids, bleu_samples=3)  # the first 3 samples only
    for n in (2, 3, 4, 5):
        direct = [nltk_bleu(references, h, n) for h in expected_hypotheses[:3]]
        assert values[f"bleu_{n}"] == pytest.approx(sum(direct) / 3, abs=1e-9)
    values = scores("self_bleu", datamodule, ids, bleu_samples=10)  # capped at the 4 samples
    for n in (2, 3, 4, 5):
        h = expected_hypotheses
        direct = [nltk_bleu(h[:i] + h[i + 1 :], h[i], n) for i in range(len(h))]
        assert values[f"self_bleu_{n}"] == pytest.approx(sum(direct) / len(h), abs=1e-9)
    assert bleu_references(datamodule) is bleu_references(datamodule)  # built once per data module
    assert METRICS["bleu"].best == ("bleu_5", "max") and METRICS["self_bleu"].best == ("self_bleu_5", "min")

    # the real text's own point of the quality-diversity picture: training lines scored as if generated
    reference = BLEU_AXES.reference(datamodule, MetricsConfig(bleu_samples=1000))
    real = [line.split() for line in SENTENCES if line in training]
    assert reference["bleu_5"] == pytest.approx(sum(nltk_bleu(references, h, 5) for h in real) / len(real))
    assert reference["self_bleu_5"] == pytest.approx(
        sum(nltk_bleu(real[:i] + real[i + 1 :], real[i], 5) for i in range(len(real))) / len(real)
    )


def test_valid_and_novel_words_known_case(tmp_path: Path) -> None:
    words = ["cat", "car", "cart", "tar", "rat", "art", "arc", "act", "tact", "cact"]
    data = tmp_path / "words.txt"
    data.write_text("".join(f"{w}\n" for w in words[:8]))
    dictionary = tmp_path / "dictionary.txt"
    dictionary.write_text("".join(f"{w}\n" for w in [*words[:8], "tact", "a"]))  # not "cact"
    datamodule = data_module(data, "char", vocab_size=20, dictionary=dictionary)
    vocabulary = datamodule.vocabulary
    seen = {"".join(vocabulary[t] for t in row if t > 2) for row in datamodule.evaluation_ids("train").tolist()}
    held_out = sorted(set(words[:8]) - seen)
    assert held_out and seen
    samples = [sorted(seen)[0], held_out[0], "tact", "cact", "", "a"]
    ids = encode(datamodule, [list(w) for w in samples])
    assert datamodule.tokens_of(ids)[3] == list("cact")  # decoded as the characters, cut at <eos>
    # valid: the training word, the held-out one, tact, a (4 of 6; cact is no word, an empty sample neither);
    # novel: valid but not a training word: the held-out word, tact, a
    assert scores("valid_words", datamodule, ids) == {"valid_words": pytest.approx(4 / 6)}
    assert scores("novel_words", datamodule, ids) == {"novel_words": pytest.approx(3 / 6)}
    # the unique ratio is of the texts cut at <eos>: what follows it does not make equal samples differ
    twice = torch.cat([ids[:3], ids[:1]])
    twice[3, -1] = vocabulary.index(PAD)
    assert scores("unique", datamodule, twice) == {"unique_ratio": 3 / 4}


def test_word_length_known_case(tmp_path: Path) -> None:
    """Mean lengths and the length distributions' W1 by hand: the held-out split's words against the samples'."""
    words = ["cat", "car", "cart", "tar", "rat", "art", "arcs", "act", "tact", "carts"]
    data = tmp_path / "words.txt"
    data.write_text("".join(f"{w}\n" for w in words))
    datamodule = data_module(data, "char", vocab_size=20)
    held_out = ["".join(tokens) for tokens in datamodule.evaluation_tokens("test")]
    assert held_out and set(held_out) <= set(words)
    real = [len(w) for w in held_out]
    samples = ["ca", "cartt", "", "tarts"]  # lengths 2, 5, 0 (an empty sample's word), 5
    values = scores("word_length", datamodule, encode(datamodule, [list(w) for w in samples]))
    assert values["word_length"] == pytest.approx(12 / 4)
    assert values["word_length_real"] == pytest.approx(sum(real) / len(real))
    # W1 of two samples on the integers: the area between their distribution functions, by counting
    cdf = lambda lengths, k: sum(n <= k for n in lengths) / len(lengths)  # noqa: E731
    w1 = sum(abs(cdf([2, 5, 0, 5], k) - cdf(real, k)) for k in range(6))
    assert values["word_length_w1"] == pytest.approx(w1)
    assert METRICS["word_length"].best == ("word_length_w1", "min")


def test_one_line_problems(tmp_path: Path) -> None:
    data = tmp_path / "words.txt"
    data.write_text("cat\ncar\ncart\ntar\n")
    plain = data_module(data, "char", vocab_size=20)
    settings = MetricsConfig()
    assert check_text_metrics(["nll_test", "bleu", "valid_words", "novel_words"], plain, "text_lines", settings) == (
        "metrics.names: valid_words, novel_words look generated words up in a word list; set data.dictionary "
        "(a file, a word a line)"
    )
    assert check_text_metrics(["nll_oracle"], plain, "text_lines", settings) == (
        "metrics.names: nll_oracle score against the oracle; data.name=text_lines has none"
    )
    assert check_text_metrics(["word_length"], plain, "text_lines", settings) is None
    # Self-BLEU of one sample has no others to compare with: said before training, not at the first evaluation
    one = MetricsConfig(num_generated=1)
    assert check_text_metrics(["self_bleu"], plain, "text_lines", one) == (
        "metrics.names: self_bleu compares each sample with the others, but metrics.num_generated=1 leaves fewer "
        "than 2 samples; set metrics.num_generated >= 2"
    )
    assert check_text_metrics(["bleu"], plain, "text_lines", MetricsConfig(num_generated=1, temperatures=[1.0])) == (
        "metrics.temperatures (a sweep on text) compares each sample with the others, but metrics.num_generated=1 "
        "leaves fewer than 2 samples; set metrics.num_generated >= 2"
    )
    assert (
        check_text_metrics(["bleu", "unique"], plain, "text_lines", MetricsConfig(num_generated=1, temperatures=[]))
        is None
    )
    assert check_text_metrics(["bleu", "unique"], plain, "text_lines", one) is not None  # the sweep's Self-BLEU
    assert check_text_metrics([], plain, "text_lines", one) is None  # no text metrics, no sweep
    assert check_text_metrics(["self_bleu"], plain, "text_lines", MetricsConfig(num_generated=2)) is None
    with pytest.raises(DataUnavailableError, match=r"^data.dictionary=\S+missing.txt: no such word list"):
        data_module(data, "char", vocab_size=20, dictionary=tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("\n \n")
    with pytest.raises(DataUnavailableError, match=r"^data.dictionary=\S+empty.txt holds no words$"):
        assert data_module(data, "char", vocab_size=20, dictionary=tmp_path / "empty.txt").dictionary


def test_nll_test_counts_real_tokens_only(tmp_path: Path) -> None:
    """NLL_test of a text file: per real token (each example's tokens and its <eos>), computed here from G's
    per-position NLLs; without stop tokens (the oracle) it is the mean over every position, as before, in any
    batch size."""
    data = tmp_path / "lines.txt"
    data.write_text("\n".join(SENTENCES) + "\n")
    datamodule = data_module(data, "word", vocab_size=40)
    ids = datamodule.evaluation_ids("test")
    assert (ids == datamodule.vocabulary.index(PAD)).any()  # padded: the case the mask is for
    torch.manual_seed(0)
    generator = TextLSTMGenerator(datamodule.data_shape, latent_dim=2, width=8, embedding_dim=4)
    vocab = len(datamodule.vocabulary)
    with torch.no_grad():
        one_hot = torch.nn.functional.one_hot(ids, vocab).float()
        inputs = torch.cat([torch.full((len(ids), 1), vocab), ids[:, :-1]], dim=1)
        hidden, _ = generator.lstm(generator.embedding(inputs))
        per_position = -torch.log_softmax(generator.output(hidden).double(), -1).gather(2, ids[..., None])[..., 0]
    eos = datamodule.vocabulary.index(EOS)
    lengths = [row.index(eos) + 1 for row in ids.tolist()]  # up to and including <eos>
    expected = sum(per_position[i, :n].sum().item() for i, n in enumerate(lengths)) / sum(lengths)
    for batch_size in (1, 2, len(ids)):
        nll = likelihood_of(generator, vocab, batch_size, datamodule.stop_tokens)(ids)
        assert nll == pytest.approx(expected, rel=1e-5)
        everywhere = likelihood_of(generator, vocab, batch_size)(ids)
        assert everywhere == pytest.approx(per_position.mean().item(), rel=1e-5)
    assert expected != pytest.approx(per_position.mean().item(), rel=1e-3)  # the pads counted before
    # no stop tokens, one batch: exactly the plain mean of likelihood_loss, the value NLL_test had before
    assert likelihood_of(generator, vocab, len(ids))(ids) == generator.likelihood_loss(one_hot).item()
