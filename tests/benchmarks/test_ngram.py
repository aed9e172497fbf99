"""The n-gram controls: Witten-Bell probabilities by hand on a tiny corpus, a proper distribution, the likelihood of
held-out rows, and draws that follow the distribution."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import torch

from gan_lightning.benchmarks.ngram import NGramModel

PAD, EOS, A, B = 0, 1, 2, 3
STOP = (PAD, EOS)
CORPUS = torch.tensor([[A, B, EOS, PAD], [A, A, EOS, PAD]])
"""Two words, "ab" and "aa", each ended by <eos> and padded."""


def hand_bigram() -> dict[tuple[int, int], Fraction]:
    """``P(token | previous)`` of a Witten-Bell bigram of :data:`CORPUS`, from the definition, with exact fractions.

    Unigram (history ``()``): counts a 3, b 1, eos 2 (N = 6, T = 3), interpolated with the uniform 1/4. After the
    start: a twice (c = 2, T = 1). After a: b, a, eos once each (c = 3, T = 3). After b: eos once (c = 1, T = 1).
    """
    uniform = Fraction(1, 4)
    unigram = {t: (Fraction(n) + 3 * uniform) / (6 + 3) for t, n in {PAD: 0, EOS: 2, A: 3, B: 1}.items()}
    after = {
        "start": {A: 2},
        A: {B: 1, A: 1, EOS: 1},
        B: {EOS: 1},
    }
    table = {}
    for previous, followers in after.items():
        total, distinct = sum(followers.values()), len(followers)
        for token in (PAD, EOS, A, B):
            key = (-1 if previous == "start" else previous, token)
            table[key] = (followers.get(token, 0) + distinct * unigram[token]) / (total + distinct)
    return table


def test_bigram_probabilities_by_hand() -> None:
    model = NGramModel(CORPUS, 2, 4, STOP)
    table = hand_bigram()
    contexts = {-1: [], A: [A], B: [A, B]}  # a context ending in each previous token
    for (previous, token), expected in table.items():
        context = contexts[previous]
        assert model.probability(context, token) == pytest.approx(float(expected), abs=1e-12)
        assert model.distribution(context)[token] == pytest.approx(float(expected), abs=1e-12)
    assert model.probability([], A) == pytest.approx(29 / 36)  # (2 + 1 * 15/36) / 3, written out once
    # a history never seen (after eos) leaves the unigram's distribution
    assert model.probability([A, B, EOS], A) == pytest.approx(15 / 36)


def test_distributions_sum_to_one_at_every_order() -> None:
    for order in (1, 2, 3, 5):
        model = NGramModel(CORPUS, order, 4, STOP)
        for context in ([], [A], [A, B], [B, B, B], [A, A, A, A, A]):
            assert model.distribution(context).sum() == pytest.approx(1.0, abs=1e-12)


def test_likelihood_counts_tokens_up_to_the_first_stop() -> None:
    model = NGramModel(CORPUS, 2, 4, STOP)
    table = hand_bigram()
    # "ba": b after the start, a after b, eos after a; the padding after eos is not a token
    held_out = torch.tensor([[B, A, EOS, PAD, PAD]])
    expected = -(math.log(table[(-1, B)]) + math.log(table[(B, A)]) + math.log(table[(A, EOS)])) / 3
    assert model.nll(held_out) == pytest.approx(expected, abs=1e-12)


def test_draws_follow_the_distribution_and_stop() -> None:
    model = NGramModel(CORPUS, 2, 4, STOP)
    rows = model.sample(4000, 5, seed=0)
    assert rows.shape == (4000, 5)
    first = torch.bincount(rows[:, 0], minlength=4).double() / len(rows)
    expected = torch.tensor(model.distribution([]))
    assert torch.allclose(first, expected, atol=0.02)  # 4,000 draws: a standard error under 0.01
    second = rows[rows[:, 0] == A, 1]
    assert torch.allclose(torch.bincount(second, minlength=4).double() / len(second),
                          torch.tensor(model.distribution([A])), atol=0.03)  # fmt: skip
    # after a stop token a row repeats it, so decoding cuts where the draw stopped
    for row in rows.tolist():
        stops = [i for i, token in enumerate(row) if token in STOP]
        if stops:
            assert all(token == row[stops[0]] for token in row[stops[0] :])
    assert torch.equal(rows, model.sample(4000, 5, seed=0))  # seeded
    assert not torch.equal(rows, model.sample(4000, 5, seed=1))


def test_a_long_order_on_a_corpus_with_one_word_copies_it() -> None:
    """With a single training word every history has one follower: the 5-gram mostly spells the word back."""
    word = torch.tensor([[A, B, B, A, B, EOS]])
    rows = NGramModel(word, 5, 4, STOP).sample(500, 6, seed=0)
    copies = (rows == word).all(dim=1).double().mean()
    bigram_copies = (NGramModel(word, 2, 4, STOP).sample(500, 6, seed=0) == word).all(dim=1).double().mean()
    assert copies > 0.3 and copies > 2 * bigram_copies


def test_order_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="an n-gram's order is at least 1, got 0"):
        NGramModel(CORPUS, 0, 4, STOP)
