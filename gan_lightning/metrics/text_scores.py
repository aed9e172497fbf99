"""Diversity and validity scores of generated text that need no model: the unique-sample ratio and, for the
word list, the share of generated words that are real words and the share that are real but unseen in training.

They complement BLEU / Self-BLEU (:mod:`gan_lightning.metrics.bleu`): a generator that memorised one training
word has a perfect valid-word share, and only the unique ratio and the novel share expose it.

Everything here takes token sequences (a list of ints or strings per sample, cut at ``<eos>``, without
``<pad>``), not tensors, so it does not depend on how the text kind encodes them.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence

import numpy as np

Token = int | str
"""A token: a vocabulary id or the token's text."""


class TextMetricError(ValueError):
    """Bad input to a text metric: the scripts print its message as one line."""


def as_token_tuples(samples: Sequence[Sequence[Token]], what: str) -> list[tuple[Token, ...]]:
    """``samples`` as hashable tuples, after checking that every token is an int or a str.

    Why check: a tensor row's elements are 0-d tensors, hashed by identity, so two equal n-grams of a tensor
    never match and BLEU would silently be near zero; a one-line error asking for ``.tolist()`` is kinder.
    """
    rows = [tuple(sample) for sample in samples]
    bad = {type(token).__name__ for row in rows for token in row if not isinstance(token, int | str)}
    if bad:
        raise TextMetricError(
            f"{what}: tokens must be int or str, got {', '.join(sorted(bad))} "
            "(pass lists of ids, e.g. tensor.tolist(), cut at <eos>)"
        )
    return rows


def unique_ratio(samples: Sequence[Sequence[Token]]) -> float:
    """The share of distinct sequences among ``samples``: ``#distinct / #samples``, in (0, 1].

    Two samples are the same when their token sequences are equal (so pass them cut at ``<eos>``: the padding
    after it must not make equal texts differ). An empty sample is one sequence like any other: 100 empty
    samples have a ratio of 1/100. 1.0 means no sample repeats; a mode-collapsed generator tends to 1/N.
    """
    rows = as_token_tuples(samples, "unique ratio")
    if not rows:
        raise TextMetricError("unique ratio: no samples")
    return len(set(rows)) / len(rows)


def _as_word(word: str | Sequence[str]) -> str:
    """A generated word as a string: character-level samples come as a sequence of one-character tokens."""
    return word if isinstance(word, str) else "".join(word)


def _check_words(words: Sequence[str | Sequence[str]], what: str) -> list[str]:
    """The words as strings; an error if there are none or a token is not a str (ids must be decoded first)."""
    if not words:
        raise TextMetricError(f"{what}: no generated words")
    bad = {
        type(token).__name__
        for word in words
        if not isinstance(word, str)
        for token in word
        if not isinstance(token, str)
    }
    if bad:
        raise TextMetricError(f"{what}: words must be str or sequences of str, got {', '.join(sorted(bad))} tokens")
    return [_as_word(word) for word in words]


def valid_word_share(words: Sequence[str | Sequence[str]], dictionary: Collection[Hashable]) -> float:
    """The share of generated words found in ``dictionary`` (the whole word list, training and held-out).

    Every generated sample counts, repeats included, so the share is of samples, not of distinct words (the
    unique ratio measures repetition). Membership is exact: case and punctuation as the dictionary has them
    (decode the samples the way the dictionary's words were tokenized). An empty sample is never a word and
    counts as invalid.
    """
    rows = _check_words(words, "valid word share")
    return sum(word != "" and word in dictionary for word in rows) / len(rows)


def novel_word_share(
    words: Sequence[str | Sequence[str]], dictionary: Collection[Hashable], training_words: Collection[Hashable]
) -> float:
    """The share of generated words that are valid (in ``dictionary``) but NOT in ``training_words``.

    Same denominator as :func:`valid_word_share` (every generated sample, repeats and empty samples included),
    so ``valid = valid-and-seen + novel``: a generator that copies training words scores 0 here however valid
    its words are, while one that learned how words are spelled produces real words it never saw. Pass the
    training split's words as ``training_words`` (a ``set`` for speed) and the whole list as ``dictionary``.
    """
    rows = _check_words(words, "novel word share")
    return sum(word != "" and word in dictionary and word not in training_words for word in rows) / len(rows)


def word_lengths(words: Sequence[str | Sequence[str]], what: str) -> list[int]:
    """Each word's length in characters (an empty sample's word: 0)."""
    return [len(word) for word in _check_words(words, what)]


def length_distance(generated: Sequence[int], real: Sequence[int]) -> float:
    """The Wasserstein-1 distance between two samples of lengths, in characters: ``sum_k |F_g(k) - F_r(k)|`` over
    their empirical distribution functions. 0 when the two spread over lengths alike; a generator whose words are
    one character too long throughout scores 1."""
    if not generated or not real:
        raise TextMetricError("length distance: no lengths to compare")
    bins = max(*generated, *real) + 1
    cdfs = [np.cumsum(np.bincount(lengths, minlength=bins)) / len(lengths) for lengths in (generated, real)]
    return float(np.abs(cdfs[0] - cdfs[1]).sum())
