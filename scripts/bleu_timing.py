#!/usr/bin/env python
"""Wall time of BLEU at thousands of references: gan_lightning's precomputed maxima against torchmetrics and nltk.

    python scripts/bleu_timing.py [--corpus DIR] [--hypotheses 1000] [--references 10000] [--nltk 20]
        [--torchmetrics 1000]

Texts: lines of the Debian ``fortunes`` files (``--corpus``, default /usr/share/games/fortunes), lower-cased,
split on white space, 5 to 30 tokens; the first ``--references`` lines are the references and the next
``--hypotheses`` the hypotheses (real text against real text: the scores are a real-data control).

Timed: our BLEU-2..5 (table build + scoring, sentence level, smoothing method 1) and Self-BLEU-2..5 of the
hypotheses and of the references; nltk's ``sentence_bleu`` per hypothesis (what Texygen runs) on the first
``--nltk`` hypotheses, extrapolated linearly (its cost is the same for every hypothesis: it rescans all
references), and checked to agree with ours on those; torchmetrics' ``BLEUScore(n_gram=4, smooth=True)``
(corpus level: one score over all hypotheses, each hypothesis with all references as its targets) on
``--torchmetrics`` hypotheses, extrapolated linearly likewise.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from gan_lightning.metrics.bleu import BLEU_ORDERS, BleuReferences, self_bleu

P = ParamSpec("P")
R = TypeVar("R")


def fortune_lines(corpus: Path, count: int) -> list[list[str]]:
    """``count`` tokenized lines of 5 to 30 tokens from the fortune files, in file-name order."""
    lines = []
    for path in sorted(corpus.iterdir()):
        if path.suffix or not path.is_file():  # the .dat indexes and .u8 links
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            tokens = line.lower().split()
            if 5 <= len(tokens) <= 30:
                lines.append(tokens)
    if len(lines) < count:
        raise SystemExit(f"error: {corpus} has {len(lines)} lines of 5 to 30 tokens, {count} needed")
    return lines[:count]


def timed(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> tuple[R, float]:
    """``function(*args, **kwargs)`` and its wall time in seconds."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def main() -> None:
    """Time each implementation and print the numbers quoted in docs/EVALUATION.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("/usr/share/games/fortunes"))
    parser.add_argument("--hypotheses", type=int, default=1000)
    parser.add_argument("--references", type=int, default=10000)
    parser.add_argument("--nltk", type=int, default=20, help="hypotheses nltk scores (0: skip)")
    parser.add_argument("--torchmetrics", type=int, default=1000, help="hypotheses torchmetrics scores (0: skip)")
    args = parser.parse_args()
    lines = fortune_lines(args.corpus, args.references + args.hypotheses)
    references, hypotheses = lines[: args.references], lines[args.references :]
    print(f"{len(hypotheses)} hypotheses x {len(references)} references (fortunes lines, word level)")

    table, build = timed(BleuReferences, references)
    ours, score = timed(table.score, hypotheses)
    print(f"ours: BLEU-2..5 {build + score:.2f} s (tables {build:.2f} s, scoring {score:.2f} s): ", end="")
    print(", ".join(f"BLEU-{n} {ours[n]:.4f}" for n in BLEU_ORDERS))
    for name, samples in [("hypotheses", hypotheses), ("references", references)]:
        diversity, seconds = timed(self_bleu, samples)
        print(f"ours: Self-BLEU-2..5 of the {len(samples)} {name} {seconds:.2f} s: ", end="")
        print(", ".join(f"Self-BLEU-{n} {diversity[n]:.4f}" for n in BLEU_ORDERS))

    if args.nltk:
        from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

        smoothing = SmoothingFunction().method1
        subset = hypotheses[: args.nltk]
        start = time.perf_counter()
        theirs = [
            [sentence_bleu(references, h, (1.0 / n,) * n, smoothing_function=smoothing) for n in BLEU_ORDERS]
            for h in subset
        ]
        seconds = time.perf_counter() - start
        ours_subset = [table.sentence_bleu(hypothesis) for hypothesis in subset]
        gap = max(abs(a - b) for x, y in zip(ours_subset, theirs, strict=True) for a, b in zip(x, y, strict=True))
        print(
            f"nltk sentence_bleu: {seconds:.2f} s for {len(subset)} hypotheses x 4 orders, "
            f"{seconds / len(subset) * len(hypotheses):.0f} s extrapolated to {len(hypotheses)}; "
            f"largest difference from ours {gap:.1e}"
        )

    if args.torchmetrics:
        from torchmetrics.text import BLEUScore

        subset = hypotheses[: args.torchmetrics]
        joined = [" ".join(tokens) for tokens in references]
        metric = BLEUScore(n_gram=4, smooth=True)
        start = time.perf_counter()
        metric.update([" ".join(tokens) for tokens in subset], [joined] * len(subset))
        value = float(metric.compute())
        seconds = time.perf_counter() - start
        extrapolated = seconds / len(subset) * len(hypotheses)
        print(f"torchmetrics BLEUScore(n_gram=4, smooth=True), corpus level: {seconds:.2f} s for {len(subset)} ")
        print(f"    hypotheses ({extrapolated:.0f} s for {len(hypotheses)}): {value:.4f}; ", end="")
        print(f"our mean sentence BLEU-4 of the same hypotheses {table.score(subset, [4])[4]:.4f}")


if __name__ == "__main__":
    main()
