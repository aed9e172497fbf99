"""Unique-sample ratio, valid-word and novel-word shares and the word-length distance on known cases."""

from __future__ import annotations

import pytest

from gan_lightning.metrics.text_scores import (
    TextMetricError,
    length_distance,
    novel_word_share,
    unique_ratio,
    valid_word_share,
    word_lengths,
)


def test_unique_ratio() -> None:
    assert unique_ratio([[1, 2], [2, 1], [1, 2, 0]]) == 1.0
    assert unique_ratio([[1, 2], [1, 2], [3], [1, 2]]) == 0.5
    assert unique_ratio([[]] * 4) == 0.25  # empty samples are one sequence
    assert unique_ratio([["a", "b"], ("a", "b")]) == 0.5  # lists and tuples of the same tokens are the same sample
    with pytest.raises(TextMetricError, match="no samples"):
        unique_ratio([])


def test_word_shares() -> None:
    dictionary = {"cat", "dog", "cow", "emu"}
    training = {"cat", "dog"}
    # strings and character tokens alike; repeats count; "" and non-words are invalid
    words = ["cat", "cat", list("cow"), "emu", "cqw", ""]
    assert valid_word_share(words, dictionary) == pytest.approx(4 / 6)
    assert novel_word_share(words, dictionary, training) == pytest.approx(2 / 6)  # cow, emu: valid, unseen
    assert novel_word_share(["cat", "dog"], dictionary, training) == 0.0  # copying training words is not novel
    with pytest.raises(TextMetricError, match="no generated words"):
        valid_word_share([], dictionary)
    with pytest.raises(TextMetricError, match="sequences of str, got int tokens"):
        novel_word_share([[3, 1, 20]], dictionary, training)


def test_length_distance() -> None:
    """W1 between samples of lengths: 0 for the same spread, a shift of one character costs 1, and a known case."""
    assert length_distance([3, 5, 8], [8, 3, 5]) == 0
    assert length_distance([4, 6, 9], [3, 5, 8]) == pytest.approx(1.0)
    # half the mass moved from 2 to 6: 0.5 * 4
    assert length_distance([2, 2, 6, 6], [2, 2, 2, 2]) == pytest.approx(2.0)
    assert word_lengths(["cat", "", ["a", "b"]], "test") == [3, 0, 2]
    with pytest.raises(TextMetricError, match=r"^length distance: no lengths to compare$"):
        length_distance([], [3])
