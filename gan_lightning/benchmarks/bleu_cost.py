"""What BLEU costs at thousands of references: :class:`BleuReferences`' precomputed maxima against nltk and
torchmetrics (``scripts/benchmark.py bleu``).

Texts: lines of the Debian ``fortunes`` files, lower-cased, split on white space, 5 to 30 tokens; the first
``num_references`` lines are the references and the next ``num_hypotheses`` the hypotheses (real text against real
text: the scores are a real-data control).

Timed: our BLEU-2..5 (table build + scoring, sentence level, smoothing method 1) and Self-BLEU-2..5 of the
hypotheses and of the references; nltk's ``sentence_bleu`` per hypothesis (what Texygen runs) on the first
``nltk_hypotheses``, extrapolated linearly (its cost is the same for every hypothesis: it rescans all references),
and checked to agree with ours on those; torchmetrics' ``BLEUScore(n_gram=4, smooth=True)`` (corpus level: one score
over all hypotheses, each with all references as its targets) on ``torchmetrics_hypotheses``, extrapolated likewise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from gan_lightning.metrics.bleu import BLEU_ORDERS, BleuReferences, self_bleu
from gan_lightning.metrics.text_scores import TextMetricError

P = ParamSpec("P")
R = TypeVar("R")


def fortune_lines(corpus: Path, count: int) -> list[list[str]]:
    """``count`` tokenized lines of 5 to 30 tokens from the fortune files of ``corpus``, in file-name order (the
    ``.dat`` indexes and ``.u8`` links, which have a suffix, are skipped)."""
    if not corpus.is_dir():
        raise TextMetricError(f"--corpus {corpus}: no such folder of fortune files")
    lines = []
    for path in sorted(corpus.iterdir()):
        if path.suffix or not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            tokens = line.lower().split()
            if 5 <= len(tokens) <= 30:
                lines.append(tokens)
    if len(lines) < count:
        raise TextMetricError(f"{corpus} has {len(lines)} lines of 5 to 30 tokens, {count} needed")
    return lines[:count]


def timed(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> tuple[R, float]:
    """``function(*args, **kwargs)`` and its wall time in seconds."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def benchmark_bleu_cost(
    references: list[list[str]], hypotheses: list[list[str]], nltk_hypotheses: int, torchmetrics_hypotheses: int
) -> dict[str, Any]:
    """Seconds and values of each implementation (``nltk_hypotheses`` / ``torchmetrics_hypotheses``: how many
    hypotheses the slow ones score, 0 to skip them)."""
    table, build = timed(BleuReferences, references)
    ours, score = timed(table.score, hypotheses)
    result: dict[str, Any] = {
        "num_hypotheses": len(hypotheses),
        "num_references": len(references),
        "ours": {"bleu": ours, "table_seconds": build, "scoring_seconds": score},
    }
    for name, samples in [("hypotheses", hypotheses), ("references", references)]:
        diversity, seconds = timed(self_bleu, samples)
        result["ours"][f"self_bleu_{name}"] = {"self_bleu": diversity, "seconds": seconds, "count": len(samples)}

    if nltk_hypotheses:
        from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

        smoothing = SmoothingFunction().method1
        subset = hypotheses[:nltk_hypotheses]
        start = time.perf_counter()
        theirs = [
            [sentence_bleu(references, h, (1.0 / n,) * n, smoothing_function=smoothing) for n in BLEU_ORDERS]
            for h in subset
        ]
        seconds = time.perf_counter() - start
        ours_subset = [table.sentence_bleu(hypothesis) for hypothesis in subset]
        gap = max(abs(a - b) for x, y in zip(ours_subset, theirs, strict=True) for a, b in zip(x, y, strict=True))
        result["nltk"] = {
            "hypotheses": len(subset),
            "seconds": seconds,
            "extrapolated_seconds": seconds / len(subset) * len(hypotheses),
            "largest_difference": gap,
        }

    if torchmetrics_hypotheses:
        from torchmetrics.text import BLEUScore

        subset = hypotheses[:torchmetrics_hypotheses]
        joined = [" ".join(tokens) for tokens in references]
        metric = BLEUScore(n_gram=4, smooth=True)
        start = time.perf_counter()
        metric.update([" ".join(tokens) for tokens in subset], [joined] * len(subset))
        value = float(metric.compute())
        seconds = time.perf_counter() - start
        result["torchmetrics"] = {
            "hypotheses": len(subset),
            "seconds": seconds,
            "extrapolated_seconds": seconds / len(subset) * len(hypotheses),
            "corpus_bleu_4": value,
            "ours_mean_sentence_bleu_4": table.score(subset, [4])[4],
        }
    return result
