"""Unique-sample ratio, valid-word and novel-word shares on known cases."""

from __future__ import annotations

import pytest

from gan_lightning.metrics.text_scores import TextMetricError, novel_word_share, unique_ratio, valid_word_share


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
