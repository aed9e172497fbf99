"""BLEU and Self-BLEU against nltk's sentence_bleu with smoothing method 1 (what Texygen calls), and known cases."""

from __future__ import annotations

import math
import random

import pytest
import torch
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

from gan_lightning.metrics.bleu import BLEU_ORDERS, BleuReferences, bleu, self_bleu, subsample
from gan_lightning.metrics.text_scores import TextMetricError

SMOOTHING = SmoothingFunction().method1


def nltk_bleu(references: list[list], hypothesis: list, n: int) -> float:
    """Texygen's call: uniform weights over 1..n grams, smoothing method 1."""
    return sentence_bleu(references, hypothesis, tuple(1.0 / n for _ in range(n)), smoothing_function=SMOOTHING)


def random_sentences(
    rng: random.Random, count: int, vocab: list, max_length: int = 12, min_length: int = 0
) -> list[list]:
    """Short sentences over a tiny vocabulary, so n-grams, clipping and length ties recur."""
    return [[rng.choice(vocab) for _ in range(rng.randint(min_length, max_length))] for _ in range(count)]


@pytest.mark.parametrize("vocab", [list(range(5)), ["the", "cat", "sat", "on", "a", "mat"]])
def test_sentence_bleu_matches_nltk(vocab: list) -> None:
    rng = random.Random(0)
    references = random_sentences(rng, 30, vocab)
    hypotheses = [*random_sentences(rng, 40, vocab), references[3], []]
    table = BleuReferences(references)
    for hypothesis in hypotheses:
        ours = table.sentence_bleu(hypothesis, BLEU_ORDERS)
        theirs = [nltk_bleu(references, hypothesis, n) for n in BLEU_ORDERS]
        assert ours == pytest.approx(theirs, abs=1e-9, rel=0), hypothesis
    # the mean over hypotheses, as Texygen reports it
    means = bleu(hypotheses, references)
    for n in BLEU_ORDERS:
        direct = [nltk_bleu(references, hypothesis, n) for hypothesis in hypotheses]
        assert means[n] == pytest.approx(sum(direct) / len(direct), abs=1e-9)


def test_self_bleu_matches_nltk_loop() -> None:
    rng = random.Random(1)
    samples = random_sentences(rng, 25, list(range(4)), max_length=9, min_length=5)
    # copies, and lone lengths whose closest other sample is longer (brevity penalty) or shorter, and empty
    samples += [samples[0], samples[0], [1, 2, 3], [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3], []]
    for n in BLEU_ORDERS:
        direct = [nltk_bleu(samples[:i] + samples[i + 1 :], samples[i], n) for i in range(len(samples))]
        assert self_bleu(samples, [n])[n] == pytest.approx(sum(direct) / len(direct), abs=1e-9)


def test_subsampled_hypotheses_are_a_seeded_subset() -> None:
    rng = random.Random(2)
    references = random_sentences(rng, 20, list(range(5)))
    samples = random_sentences(rng, 50, list(range(5)))
    chosen = subsample(len(samples), 10, seed=3)
    assert len(set(chosen)) == 10 and all(0 <= i < 50 for i in chosen)
    assert subsample(len(samples), 10, seed=3) == chosen and subsample(len(samples), 10, seed=4) != chosen
    assert subsample(len(samples), None, seed=3) == list(range(50)) == subsample(len(samples), 80, seed=3)
    # the scores are those of the chosen hypotheses, against all references (BLEU) or all other samples (Self-BLEU)
    assert bleu(samples, references, num_hypotheses=10, seed=3) == pytest.approx(
        {n: sum(nltk_bleu(references, samples[i], n) for i in chosen) / 10 for n in BLEU_ORDERS}, abs=1e-9
    )
    assert self_bleu(samples, [3], num_hypotheses=10, seed=3)[3] == pytest.approx(
        sum(nltk_bleu(samples[:i] + samples[i + 1 :], samples[i], 3) for i in chosen) / 10, abs=1e-9
    )


def test_known_cases() -> None:
    sentence = [4, 8, 15, 16, 23, 42]
    assert bleu([sentence], [sentence, [1, 2]]) == {n: 1.0 for n in BLEU_ORDERS}
    assert bleu([[1, 2, 3]], [[4, 5, 6]]) == {n: 0.0 for n in BLEU_ORDERS}  # no unigram in common: 0, smoothed or not
    # one unigram in common, no bigram: p1 = 1/4, p2 = 0.1/3 (method 1), same length so no brevity penalty
    assert bleu([[1, 2, 3, 4]], [[1, 5, 6, 7]], [2])[2] == pytest.approx(math.sqrt(0.25 * 0.1 / 3), rel=1e-12)
    # a short exact match is penalised by the closest reference length: BP = exp(1 - 6/3)
    assert bleu([[1, 2, 3]], [[1, 2, 3, 4, 5, 6]], [2])[2] == pytest.approx(math.exp(1 - 6 / 3), rel=1e-12)
    # identical samples are each other's references: Self-BLEU 1; distinct symbols: 0
    assert self_bleu([sentence] * 3) == {n: 1.0 for n in BLEU_ORDERS}
    assert self_bleu([[1, 2], [3, 4], [5, 6]]) == {n: 0.0 for n in BLEU_ORDERS}


def test_bad_inputs_are_one_line_errors() -> None:
    with pytest.raises(TextMetricError, match=r"tokens must be int or str, got Tensor .*tolist"):
        bleu(list(torch.tensor([[1, 2, 3]])), [[1, 2, 3]])
    with pytest.raises(TextMetricError, match="no references"):
        bleu([[1, 2]], [])
    with pytest.raises(TextMetricError, match="no hypotheses"):
        bleu([], [[1, 2]])
    with pytest.raises(TextMetricError, match="at least 2 samples"):
        self_bleu([[1, 2]])
    with pytest.raises(TextMetricError, match="orders must be positive integers"):
        bleu([[1]], [[1]], orders=[0, 2])
    with pytest.raises(TextMetricError, match="BLEU-5 asked of references prepared up to order 4"):
        BleuReferences([[1, 2]], max_order=4).score([[1, 2]], [5])
    with pytest.raises(TextMetricError, match="at least 1"):
        bleu([[1]], [[1]], num_hypotheses=0)
