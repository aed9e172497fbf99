"""Texygen-style BLEU and Self-BLEU of generated text (Zhu et al. 2018), fast at thousands of references.

**BLEU-n** of a hypothesis is nltk's ``sentence_bleu(references, hypothesis, weights=(1/n,) * n,
smoothing_function=SmoothingFunction().method1)``, exactly (tested against nltk to 1e-9):

* modified precision ``p_k`` (k = 1..n): each hypothesis k-gram's count clipped to its largest count in any one
  reference, summed, over the hypothesis' k-gram count (at least 1);
* smoothing method 1 of Chen & Cherry (2014): a zero ``p_k`` becomes ``0.1 / denominator``; but a hypothesis
  with no matching unigram (or an empty one) scores 0;
* brevity penalty ``exp(1 - r / c)`` when the hypothesis length ``c`` is not above ``r``, the length of the
  reference closest to ``c`` (the shorter on a tie), 0 for an empty hypothesis;
* ``BLEU-n = BP * exp(sum_k log(p_k) / n)``.

The reported score is its mean over the hypotheses (generated samples) against one large reference set (held-out
text), as Texygen does; BLEU-n measures quality (do the samples' n-grams occur in real text?).

**Self-BLEU-n** (Zhu et al.) is the mean BLEU-n of each generated sample against all the *other* samples as
references: high means the samples repeat each other (low diversity). (Texygen's non-parallel ``get_bleu`` left
each sample among its own references, which scores every sample 1; its parallel path, followed here, does not.)

**Why fast.** nltk (and Texygen, which calls it) rescans every reference's n-grams for every hypothesis: O(H x R)
Counter builds, hours at 10,000 x 10,000. The clipping count only needs, per n-gram, its maximum count over the
references, which does not depend on the hypothesis, so :class:`BleuReferences` computes it once per order
(one pass over the references) and the reference lengths sorted (closest length by bisection); a hypothesis then
costs a few dictionary lookups per n-gram. For Self-BLEU the maximum over "all samples but me" is the top count
unless I hold it, then the second: :func:`self_bleu` keeps the top two counts per n-gram and who holds the top.

Tokens are ints (vocabulary ids) or strings; pass each sample cut at ``<eos>`` and without ``<pad>``, since
padding tokens would count as matching n-grams.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from gan_lightning.metrics.text_scores import TextMetricError, Token, as_token_tuples

BLEU_ORDERS = (2, 3, 4, 5)
"""The BLEU / Self-BLEU orders Texygen and the text GAN papers report."""

EPSILON = 0.1
"""Smoothing method 1's count for an order with no match (nltk's ``SmoothingFunction().epsilon``)."""

Ngram = tuple[Token, ...]


def ngram_counts(tokens: tuple[Token, ...], order: int) -> Counter[Ngram]:
    """How often each ``order``-gram occurs in ``tokens`` (empty when the sequence is shorter than ``order``)."""
    shifted = (tokens[start:] for start in range(order))
    return Counter(zip(*shifted, strict=False))  # the shortest shifted copy ends it


def _closest_length(sorted_lengths: Sequence[int], length: int, leave_out_own: bool = False) -> int:
    """The reference length closest to ``length``, the shorter on a tie (nltk's ``closest_ref_length``).

    ``leave_out_own``: ``length`` is one of ``sorted_lengths`` (the hypothesis is among them, Self-BLEU) and that
    one occurrence does not count as a reference.
    """
    low = bisect.bisect_left(sorted_lengths, length)
    high = bisect.bisect_right(sorted_lengths, length) if leave_out_own else low
    if high - low > int(leave_out_own):
        return length  # another reference has exactly the hypothesis' length
    below = [sorted_lengths[low - 1]] if low > 0 else []
    above = [sorted_lengths[high]] if high < len(sorted_lengths) else []
    return min(below + above, key=lambda ref_length: (abs(ref_length - length), ref_length))


def _sentence_bleu(
    tokens: tuple[Token, ...], orders: Sequence[int], reference_length: int, max_count: Callable[[int, Ngram], int]
) -> list[float]:
    """BLEU-n of one hypothesis for each n in ``orders``, given ``max_count(order, ngram)`` over its references.

    The clipped counts are computed once up to the largest order and shared by every BLEU-n; the arithmetic is
    nltk's, operation for operation, so the results agree to rounding.
    """
    numerators, denominators = [], []
    for order in range(1, max(orders) + 1):
        counts = ngram_counts(tokens, order)
        numerators.append(sum(min(count, max_count(order, ngram)) for ngram, count in counts.items()))
        denominators.append(max(1, sum(counts.values())))
    if numerators[0] == 0:
        return [0.0] * len(orders)  # nltk: no matching unigram scores 0, smoothing or not
    length = len(tokens)
    penalty = 1.0 if length > reference_length else math.exp(1 - reference_length / length)
    log_precisions = [
        math.log(numerator / denominator if numerator else EPSILON / denominator)
        for numerator, denominator in zip(numerators, denominators, strict=True)
    ]
    scores = []
    for n in orders:
        weight = 1.0 / n
        scores.append(penalty * math.exp(math.fsum(weight * log_p for log_p in log_precisions[:n])))
    return scores


def _check_orders(orders: Sequence[int]) -> tuple[int, ...]:
    """The BLEU orders as a tuple of positive ints, or a one-line error."""
    orders = tuple(orders)
    if not orders or any(not isinstance(n, int) or n < 1 for n in orders):
        raise TextMetricError(f"BLEU orders must be positive integers, got {orders}")
    return orders


def subsample(count: int, num: int | None, seed: int) -> list[int]:
    """Indices of the hypotheses to score: all of them, or ``num`` drawn without replacement, in order.

    Texygen scores a subset of the samples to bound the cost; the subset comes from its own seeded generator so
    that evaluations are repeatable and the training run's random state is untouched.
    """
    if num is None or num >= count:
        return list(range(count))
    if num < 1:
        raise TextMetricError(f"BLEU: the number of hypotheses to score must be at least 1, got {num}")
    return sorted(np.random.default_rng(seed).choice(count, size=num, replace=False).tolist())


def _mean_scores(per_hypothesis: list[list[float]], orders: tuple[int, ...]) -> dict[int, float]:
    """The mean score of each order over the hypotheses: ``{n: mean BLEU-n}``."""
    return {n: math.fsum(scores[i] for scores in per_hypothesis) / len(per_hypothesis) for i, n in enumerate(orders)}


class BleuReferences:
    """A reference set prepared once for BLEU: per order, each n-gram's maximum count over the references, and the
    sorted reference lengths.

    Build it once per evaluation set (held-out text is fixed during a run) and score any number of sample batches
    with :meth:`score`; building costs one pass over the references, scoring a few lookups per hypothesis n-gram.
    """

    def __init__(self, references: Sequence[Sequence[Token]], max_order: int = max(BLEU_ORDERS)) -> None:
        rows = as_token_tuples(references, "BLEU references")
        if not rows:
            raise TextMetricError("BLEU: no references")
        _check_orders([max_order])
        self.max_order = max_order
        self.lengths = sorted(len(row) for row in rows)
        self.max_counts: list[dict[Ngram, int]] = []
        for order in range(1, max_order + 1):
            table: dict[Ngram, int] = {}
            for row in rows:
                for ngram, count in ngram_counts(row, order).items():
                    if count > table.get(ngram, 0):
                        table[ngram] = count
            self.max_counts.append(table)

    def sentence_bleu(self, hypothesis: Sequence[Token], orders: Sequence[int] = BLEU_ORDERS) -> list[float]:
        """BLEU-n of one hypothesis against every reference, for each n in ``orders``."""
        orders = self._orders(orders)
        (tokens,) = as_token_tuples([hypothesis], "BLEU hypothesis")
        return self._bleu(tokens, orders)

    def score(
        self,
        hypotheses: Sequence[Sequence[Token]],
        orders: Sequence[int] = BLEU_ORDERS,
        num_hypotheses: int | None = None,
        seed: int = 0,
    ) -> dict[int, float]:
        """Mean BLEU-n over ``hypotheses`` (or ``num_hypotheses`` of them drawn with ``seed``): ``{n: BLEU-n}``."""
        orders = self._orders(orders)
        rows = as_token_tuples(hypotheses, "BLEU hypotheses")
        if not rows:
            raise TextMetricError("BLEU: no hypotheses")
        return _mean_scores([self._bleu(rows[i], orders) for i in subsample(len(rows), num_hypotheses, seed)], orders)

    def _orders(self, orders: Sequence[int]) -> tuple[int, ...]:
        """``orders`` checked, and within the orders the tables were built for."""
        orders = _check_orders(orders)
        if max(orders) > self.max_order:
            raise TextMetricError(f"BLEU-{max(orders)} asked of references prepared up to order {self.max_order}")
        return orders

    def _bleu(self, tokens: tuple[Token, ...], orders: tuple[int, ...]) -> list[float]:
        """BLEU-n of prepared tokens, clipped by the precomputed maxima."""
        tables = self.max_counts
        return _sentence_bleu(
            tokens,
            orders,
            _closest_length(self.lengths, len(tokens)),
            lambda order, ngram: tables[order - 1].get(ngram, 0),
        )


def bleu(
    hypotheses: Sequence[Sequence[Token]],
    references: Sequence[Sequence[Token]],
    orders: Sequence[int] = BLEU_ORDERS,
    num_hypotheses: int | None = None,
    seed: int = 0,
) -> dict[int, float]:
    """Texygen's BLEU: mean sentence BLEU-n of the hypotheses against all ``references``, ``{n: BLEU-n}``.

    One-off convenience over :class:`BleuReferences`; build that once instead when the references are reused.
    """
    orders = _check_orders(orders)
    return BleuReferences(references, max(orders)).score(hypotheses, orders, num_hypotheses, seed)


def self_bleu(
    samples: Sequence[Sequence[Token]],
    orders: Sequence[int] = BLEU_ORDERS,
    num_hypotheses: int | None = None,
    seed: int = 0,
) -> dict[int, float]:
    """Self-BLEU: mean BLEU-n of each sample (or of ``num_hypotheses`` drawn with ``seed``) against all the
    other samples, ``{n: Self-BLEU-n}``; lower is more diverse.

    The references always are all the other samples, also when only some hypotheses are scored. Per order, every
    n-gram keeps its largest count over the samples, which sample holds it, and the second largest (equal to the
    largest when two samples share it): the maximum over the others is the largest unless the hypothesis is its
    holder. Duplicated samples are separate references, so a sample repeated twice scores 1 against its copy.
    """
    orders = _check_orders(orders)
    rows = as_token_tuples(samples, "Self-BLEU samples")
    if len(rows) < 2:
        raise TextMetricError(f"Self-BLEU needs at least 2 samples, got {len(rows)}")
    top: list[dict[Ngram, tuple[int, int, int]]] = []  # per order: ngram -> (largest, its holder, second largest)
    for order in range(1, max(orders) + 1):
        table: dict[Ngram, tuple[int, int, int]] = {}
        for index, row in enumerate(rows):
            for ngram, count in ngram_counts(row, order).items():
                first, holder, second = table.get(ngram, (0, -1, 0))
                if count > first:
                    table[ngram] = (count, index, first)
                elif count > second:
                    table[ngram] = (first, holder, count)
        top.append(table)
    lengths = sorted(len(row) for row in rows)

    def others_bleu(index: int) -> list[float]:
        def max_count(order: int, ngram: Ngram) -> int:
            first, holder, second = top[order - 1][ngram]  # the hypothesis' own n-gram: always present
            return second if holder == index else first

        tokens = rows[index]
        return _sentence_bleu(tokens, orders, _closest_length(lengths, len(tokens), leave_out_own=True), max_count)

    return _mean_scores([others_bleu(i) for i in subsample(len(rows), num_hypotheses, seed)], orders)
