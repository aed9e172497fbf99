"""Token n-gram models: the controls a text generator must beat before its adversarial training means anything.

A character bigram sampled at temperature 1 already spells a fair share of real words; a 5-gram copies the training
list. So the text benchmark scores n-grams of its training split by the same metrics as MLE and the GAN
(:mod:`gan_lightning.benchmarks.text_protocol`). Each model is Witten-Bell interpolated (Witten & Bell 1991; Chen &
Goodman 1998, eq. 16), down to a uniform distribution over the vocabulary, so that it gives every held-out token a
probability and its ``nll_test`` stands beside the networks' on the same tokens::

    P_k(w | h) = (c(h, w) + T(h) P_{k-1}(w | h')) / (c(h) + T(h))

where ``h`` is the last ``k - 1`` tokens, ``h'`` the last ``k - 2``, ``c`` a training count and ``T(h)`` the number
of distinct tokens seen after ``h`` (a history never seen leaves the lower order's distribution as it is). Sequences
are read as the text datasets store them: up to and including their first stop token (``<eos>``), with a start
marker before the first token, so where words start and end is part of the model.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from gan_lightning.data.text import real_token_mask

START = -1
"""The history before a sequence's first token (no vocabulary id)."""


@dataclass
class _Followers:
    """What followed one history in training: the tokens and their counts (as arrays for whole distributions, as a
    dict for one token's count), their total ``c(h)`` and number ``T(h)``."""

    tokens: np.ndarray
    counts: np.ndarray
    by_token: dict[int, int] = field(repr=False)

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    @property
    def distinct(self) -> int:
        return len(self.tokens)


def real_rows(ids: Tensor, stop_tokens: Sequence[int]) -> list[list[int]]:
    """Each row of ``ids`` ``(N, T)`` up to and including its first stop token (all of it where it has none): the
    tokens :func:`~gan_lightning.data.text.real_token_mask` counts."""
    mask = real_token_mask(ids, stop_tokens)
    lengths = [ids.shape[1]] * len(ids) if mask is None else mask.sum(dim=1).tolist()
    return [row[:length] for row, length in zip(ids.tolist(), lengths, strict=True)]


class NGramModel:
    """A Witten-Bell interpolated token n-gram of order ``order`` (2: bigram) fitted on ``ids`` ``(N, T)``."""

    def __init__(self, ids: Tensor, order: int, vocab_size: int, stop_tokens: Sequence[int] = ()) -> None:
        if order < 1:
            raise ValueError(f"an n-gram's order is at least 1, got {order}")
        self.order, self.vocab_size, self.stop_tokens = order, vocab_size, tuple(stop_tokens)
        counts: list[defaultdict[tuple[int, ...], Counter[int]]] = [defaultdict(Counter) for _ in range(order)]
        for row in real_rows(ids, self.stop_tokens):
            padded = [START] * (order - 1) + row
            for position in range(order - 1, len(padded)):
                token = padded[position]
                for k in range(order):  # k tokens of history
                    counts[k][tuple(padded[position - k : position])][token] += 1
        self._followers = [
            {history: self._arrays(followers) for history, followers in by_history.items()} for by_history in counts
        ]

    @staticmethod
    def _arrays(followers: Counter[int]) -> _Followers:
        tokens = np.fromiter(followers.keys(), dtype=np.int64, count=len(followers))
        counts = np.fromiter(followers.values(), dtype=np.float64, count=len(followers))
        return _Followers(tokens, counts, dict(followers))

    def _histories(self, context: Sequence[int]) -> list[_Followers | None]:
        """The followers of ``context``'s last 0, 1, ... ``order - 1`` tokens (None where that history is unseen)."""
        padded = [START] * (self.order - 1) + list(context)
        end = len(padded)
        return [self._followers[k].get(tuple(padded[end - k : end])) for k in range(self.order)]

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        """``P(next token | context)`` over the vocabulary, ``(V,)``."""
        probabilities = np.full(self.vocab_size, 1.0 / self.vocab_size)
        for followers in self._histories(context):
            if followers is not None:
                counts = np.zeros(self.vocab_size)
                counts[followers.tokens] = followers.counts
                probabilities = (counts + followers.distinct * probabilities) / (followers.total + followers.distinct)
        return probabilities

    def probability(self, context: Sequence[int], token: int) -> float:
        """``P(token | context)``: :meth:`distribution`'s entry, without building the whole distribution."""
        probability = 1.0 / self.vocab_size
        for followers in self._histories(context):
            if followers is not None:
                seen = followers.by_token.get(token, 0)
                probability = (seen + followers.distinct * probability) / (followers.total + followers.distinct)
        return probability

    def sample(self, num: int, length: int, seed: int) -> Tensor:
        """``num`` sequences ``(num, length)`` drawn token by token at temperature 1; after a stop token the row
        repeats it (decoding cuts there, as it does the generators')."""
        rng = np.random.default_rng(seed)
        rows = torch.empty(num, length, dtype=torch.long)
        for index in range(num):
            row: list[int] = []
            while len(row) < length:
                if row and row[-1] in self.stop_tokens:
                    row.append(row[-1])
                    continue
                row.append(int(rng.choice(self.vocab_size, p=self.distribution(row))))
            rows[index] = torch.tensor(row)
        return rows

    def nll(self, ids: Tensor) -> float:
        """Mean negative log-likelihood per token of ``ids`` ``(N, T)``, over each row's tokens up to and including
        its first stop token: the tokens the networks' ``nll_test`` counts."""
        total, count = 0.0, 0
        for tokens in real_rows(ids, self.stop_tokens):
            for position, token in enumerate(tokens):
                total -= float(np.log(self.probability(tokens[:position], token)))
            count += len(tokens)
        return total / count
