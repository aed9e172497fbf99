"""``benchmark.py bleu``: BLEU's cost against nltk and torchmetrics, on fortune files written here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import script
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

WORDS = ["the", "a", "cat", "dog", "sat", "ran", "on", "under", "mat", "log", "big", "small", "red"]


def write_fortunes(folder: Path) -> list[list[str]]:
    """Two strfile sources (and an index that must be skipped); the lines of 5 to 30 words, lower-cased, in order."""
    folder.mkdir()
    kept = []
    for name, offset in (("animals", 0), ("things", 5)):
        lines = []
        for i in range(15):
            words = [WORDS[(offset + i * k) % len(WORDS)] for k in range(1, 4 + i % 6)]
            lines.append(" ".join(w.upper() if j == 0 else w for j, w in enumerate(words)))
            if len(words) >= 5:
                kept.append([w.lower() for w in words])
            lines.append("%")
        (folder / name).write_text("\n".join(lines) + "\n")
    (folder / "animals.dat").write_bytes(b"\x00\x01 not text, skipped")
    return kept


def test_bleu_benchmark_agrees_with_nltk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = write_fortunes(tmp_path / "fortunes")
    references, hypotheses = lines[:12], lines[12:16]
    out = tmp_path / "bleu.json"
    arguments = ["bleu", "--corpus", str(tmp_path / "fortunes"), "--references", "12", "--hypotheses", "4"]
    assert script("benchmark").main([*arguments, "--nltk", "3", "--torchmetrics", "2", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "4 hypotheses x 12 references" in printed and "nltk sentence_bleu" in printed and "torchmetrics" in printed
    result = json.loads(out.read_text())
    smoothing = SmoothingFunction().method1
    for n in (2, 3, 4, 5):
        direct = [sentence_bleu(references, h, (1.0 / n,) * n, smoothing_function=smoothing) for h in hypotheses]
        assert result["ours"]["bleu"][str(n)] == pytest.approx(sum(direct) / len(direct), abs=1e-9)
        others = [sentence_bleu(hypotheses[:i] + hypotheses[i + 1 :], h, (1.0 / n,) * n, smoothing_function=smoothing)
                  for i, h in enumerate(hypotheses)]  # fmt: skip
        assert result["ours"]["self_bleu_hypotheses"]["self_bleu"][str(n)] == pytest.approx(sum(others) / 4, abs=1e-9)
    assert result["nltk"]["hypotheses"] == 3 and result["nltk"]["largest_difference"] < 1e-9
    assert result["torchmetrics"]["hypotheses"] == 2 and 0 <= result["torchmetrics"]["corpus_bleu_4"] <= 1


def test_too_few_lines_is_one_line(tmp_path: Path) -> None:
    write_fortunes(tmp_path / "fortunes")
    with pytest.raises(SystemExit, match=r"^error: \S+fortunes has \d+ lines of 5 to 30 tokens, 1001 needed$"):
        script("benchmark").main(["bleu", "--corpus", str(tmp_path / "fortunes"), "--references", "1000",
                                  "--hypotheses", "1"])  # fmt: skip
    with pytest.raises(SystemExit, match=r"^error: --corpus \S+nowhere: no such folder of fortune files$"):
        script("benchmark").main(["bleu", "--corpus", str(tmp_path / "nowhere")])
