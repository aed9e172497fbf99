"""Text files, ``data.name=text_lines``: a UTF-8 file or a folder of them, one example per line (or per ``%``-separated
entry of a ``fortune`` strfile source), at character or word level, ``<eos>``-terminated and ``<pad>``-filled to
``data.sequence_length``, the ``data.vocab_size`` most frequent training tokens kept and the rest ``<unk>``; a fixed,
seeded train/test split of the distinct examples: a repeated example (fortune files repeat entries across files) is
kept once, at its first occurrence, so no held-out example is also a training one and BLEU against the held-out
examples is not flattered by copies of the training set. How many were removed is warned once and kept as
:attr:`TextLinesDataModule.duplicates_removed`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor

from gan_lightning.config.options import Rule, at_least, one_of, option, positive
from gan_lightning.config.schema import DataConfig, ExperimentConfig
from gan_lightning.data import image_args, register_dataset
from gan_lightning.data.base import DataUnavailableError
from gan_lightning.data.text import EOS, PAD, SPECIAL_TOKENS, UNK, TokenDataModule

TEXT_LEVELS = ("char", "word")
TEXT_FORMATS = ("lines", "strfile")
ON_BAD_LINE = ("drop", "error")
SPLIT_SEED = 0
"""Seeds the train/test split of a text file: fixed, so every run and seed of a corpus sees the same split."""


@dataclass
class TextCorpus:
    """A tokenized text: training and held-out ids, the vocabulary and what was dropped on the way."""

    train: Tensor
    test: Tensor
    vocabulary: list[str]
    examples: int
    """Examples read, duplicates and dropped ones included."""
    dropped: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    """Examples removed as repeats of an earlier one (before the split; :func:`build_corpus`)."""
    train_tokens: list[list[str]] = field(default_factory=list)
    """The training examples' tokens as read, before ``<unk>`` replaced the rare ones."""
    test_tokens: list[list[str]] = field(default_factory=list)
    """The held-out examples' tokens as read: BLEU's references (a real word outside the vocabulary is still that
    word, so a generated ``<unk>`` never matches it)."""


class TextError(ValueError):
    """A text file that cannot be used as it is; ``str(error)`` is one line naming the file and the fix."""


def read_examples(path: Path, text_format: str, on_bad_line: str) -> tuple[list[str], dict[str, int]]:
    """The examples of ``path`` (a line each, or a ``%``-separated strfile entry each, whitespace-joined) and the
    count of lines dropped for bad UTF-8 (an error naming the line with ``on_bad_line=error``)."""
    dropped: dict[str, int] = {}
    lines: list[str | None] = []
    for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as error:
            if on_bad_line == "error":
                raise TextError(
                    f"{path}:{number}: not UTF-8 ({error.reason} at byte {error.start}); fix the file or set "
                    "data.on_bad_line=drop"
                ) from error
            dropped["bad UTF-8"] = dropped.get("bad UTF-8", 0) + 1
            lines.append(None)  # an undecodable line breaks a strfile entry like any other
    if text_format == "lines":
        return [" ".join(line.split()) for line in lines if line is not None and line.strip()], dropped
    entries, current, broken = [], [], False
    for line in [*lines, "%"]:
        if line is not None and line.strip() == "%":
            if current and not broken:
                entries.append(" ".join(" ".join(current).split()))
            current, broken = [], False
        elif line is None:
            broken = True
        else:
            current.append(line)
    return entries, dropped


def text_sources(path: Path) -> list[Path]:
    """The files ``data.data_dir`` names: itself, or a folder's files named ``*.txt`` or without a suffix (the
    layout of ``/usr/share/games/fortunes``: strfile sources beside their ``.dat`` indexes), in name order."""
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in ("", ".txt"))
        if files:
            return files
        raise TextError(f"data.data_dir={path} holds no text files (*.txt, or strfile sources without a suffix)")
    raise TextError(f"data.data_dir={path}: no such text file or folder")


def tokenize(example: str, level: str) -> list[str]:
    return list(example) if level == "char" else example.split()


def build_corpus(
    path: Path,
    level: str,
    length: int,
    vocab_size: int,
    test_fraction: float,
    text_format: str = "lines",
    on_bad_line: str = "drop",
) -> TextCorpus:
    """Tokenize ``path`` (a file or a folder of them, :func:`text_sources`): a repeat of an earlier example (after
    white space is normalised) is removed and counted, the first occurrence kept, so the split puts each distinct
    example on one side only; examples longer than ``length - 1`` tokens (room for ``<eos>``) are dropped and counted
    (an error with ``on_bad_line=error``); the split is seeded by :data:`SPLIT_SEED`; the vocabulary is the special
    tokens and the most frequent training tokens, ``vocab_size`` in all."""
    examples, dropped = [], {}
    for source in text_sources(path):
        more, bad = read_examples(source, text_format, on_bad_line)
        examples += more
        dropped = {why: dropped.get(why, 0) + bad.get(why, 0) for why in {*dropped, *bad}}
    if not examples:
        raise TextError(f"{path} holds no text examples (an empty file, or every line dropped)")
    distinct = list(dict.fromkeys(examples))  # first occurrences, in reading order
    kept = []
    for example in distinct:
        tokens = tokenize(example, level)
        if len(tokens) > length - 1:
            if on_bad_line == "error":
                raise TextError(
                    f"{path}: an example of {len(tokens)} {level}s is over data.sequence_length - 1 = {length - 1} "
                    f"({example[:40]!r}...); raise data.sequence_length or set data.on_bad_line=drop"
                )
            dropped["too long"] = dropped.get("too long", 0) + 1
            continue
        kept.append(tokens)
    if len(kept) < 2:
        raise TextError(
            f"{path}: {len(kept)} of {len(examples)} examples fit data.sequence_length={length} (need 2 for a "
            "train/test split); raise data.sequence_length"
        )
    order = torch.randperm(len(kept), generator=torch.Generator().manual_seed(SPLIT_SEED)).tolist()
    num_test = min(max(1, round(test_fraction * len(kept))), len(kept) - 1)
    test_rows, train_rows = [kept[i] for i in order[:num_test]], [kept[i] for i in order[num_test:]]
    counts = Counter(token for tokens in train_rows for token in tokens)
    frequent = [token for token, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    vocabulary = [*SPECIAL_TOKENS, *frequent[: max(vocab_size - len(SPECIAL_TOKENS), 0)]]
    ids = {token: index for index, token in enumerate(vocabulary)}

    def encode(rows: list[list[str]]) -> Tensor:
        out = torch.full((len(rows), length), SPECIAL_TOKENS.index(PAD), dtype=torch.long)
        unk, eos = ids[UNK], ids[EOS]
        for row, tokens in enumerate(rows):
            encoded = [ids.get(token, unk) for token in tokens] + [eos]
            out[row, : len(encoded)] = torch.tensor(encoded)
        return out

    return TextCorpus(
        encode(train_rows),
        encode(test_rows),
        vocabulary,
        len(examples),
        dropped,
        len(examples) - len(distinct),
        train_rows,
        test_rows,
    )


class TextLinesDataModule(TokenDataModule):
    """A UTF-8 text file, tokenized by :func:`build_corpus` at ``setup``."""

    stop_tokens = (SPECIAL_TOKENS.index(PAD), SPECIAL_TOKENS.index(EOS))

    def __init__(
        self,
        batch_size: int,
        seed: int,
        path: str,
        level: str,
        length: int,
        vocab_size: int,
        test_fraction: float,
        text_format: str,
        on_bad_line: str,
        dictionary: str | None = None,
    ) -> None:
        super().__init__(batch_size, seed, length)
        for key, value, allowed in (
            ("text_level", level, TEXT_LEVELS),
            ("text_format", text_format, TEXT_FORMATS),
            ("on_bad_line", on_bad_line, ON_BAD_LINE),
        ):
            if value not in allowed:
                raise ValueError(f"invalid value {value!r} for config key 'data.{key}'; allowed: {', '.join(allowed)}")
        if not 0 < test_fraction < 1:
            raise ValueError(f"invalid value {test_fraction} for config key 'data.test_fraction'; allowed: (0, 1)")
        if vocab_size <= len(SPECIAL_TOKENS):
            raise ValueError(f"invalid value {vocab_size} for config key 'data.vocab_size'; allowed: > 3 for text")
        self.path = Path(path).expanduser()
        self.level, self.vocab_size, self.test_fraction = level, vocab_size, test_fraction
        self.text_format, self.on_bad_line = text_format, on_bad_line
        self.separator = "" if level == "char" else " "
        self.dictionary_path = Path(dictionary).expanduser() if dictionary else None
        self._corpus: TextCorpus | None = None

    def unavailable(self) -> str | None:
        try:
            text_sources(self.path)
        except TextError as error:
            return str(error)
        if self.dictionary_path is not None and not self.dictionary_path.is_file():
            return f"data.dictionary={self.dictionary_path}: no such word list (a UTF-8 file, a word a line)"
        return None

    @property
    def dictionary(self) -> frozenset[str] | None:
        """The words of ``data.dictionary`` (every whitespace-separated word of its lines), read on first use."""
        if self.dictionary_path is None:
            return None
        return self.derived("dictionary", self._read_dictionary)

    def _read_dictionary(self) -> frozenset[str]:
        problem = self.unavailable()
        if problem:
            raise DataUnavailableError(problem)
        try:
            lines, _ = read_examples(self.dictionary_path, "lines", self.on_bad_line)  # type: ignore[arg-type]
        except TextError as error:
            raise DataUnavailableError(str(error)) from error
        words = frozenset(word for line in lines for word in line.split())
        if not words:
            raise DataUnavailableError(f"data.dictionary={self.dictionary_path} holds no words")
        return words

    @property
    def corpus(self) -> TextCorpus:
        """The tokenized file, read on first use (the config check reads it for the vocabulary size)."""
        if self._corpus is None:
            problem = self.unavailable()
            if problem:
                raise DataUnavailableError(problem)
            try:
                self._corpus = build_corpus(
                    self.path,
                    self.level,
                    self.length,
                    self.vocab_size,
                    self.test_fraction,
                    self.text_format,
                    self.on_bad_line,
                )
            except TextError as error:
                raise DataUnavailableError(str(error)) from error
            from lightning.pytorch.utilities import rank_zero_warn

            if self._corpus.duplicates:
                rank_zero_warn(
                    f"{self.path}: removed {self._corpus.duplicates} duplicate examples of {self._corpus.examples} "
                    "before the train/test split (each kept once, at its first occurrence)"
                )
            if self._corpus.dropped:
                counts = ", ".join(f"{n} {why}" for why, n in self._corpus.dropped.items())
                rank_zero_warn(f"{self.path}: dropped {counts} of {self._corpus.examples} examples")
        return self._corpus

    @property
    def duplicates_removed(self) -> int:
        """Examples of the file that repeated an earlier one and were removed before the split (the docs and
        benchmarks print it beside BLEU, which duplicates across the split would flatter)."""
        return self.corpus.duplicates

    @property
    def vocabulary(self) -> list[str]:
        return self.corpus.vocabulary

    def load(self) -> Tensor:
        return self.corpus.train

    def test_ids(self) -> Tensor:
        return self.corpus.test

    def evaluation_tokens(self, split: str) -> list[list[str]]:
        """The examples of ``split`` as tokenized from the file: real words outside the vocabulary stay themselves."""
        self.evaluation_ids(split)  # checks the split's name
        return self.corpus.train_tokens if split == "train" else self.corpus.test_tokens


@dataclass
class TextLinesData(DataConfig):
    """A UTF-8 text file (``data_dir``) as token sequences: how it is read, cut and split."""

    sequence_length: int = at_least(24, 2)
    """Tokens per sequence, ``<eos>`` included (longer examples are dropped or an error, ``on_bad_line``)."""
    vocab_size: int = positive(5000)
    """The most frequent training tokens kept, the special tokens ``<pad>``, ``<eos>``, ``<unk>`` included (the rest
    become ``<unk>``)."""
    text_level: str = one_of("char", TEXT_LEVELS)
    """Char (a token per character) | word (whitespace-separated words)."""
    text_format: str = one_of("lines", TEXT_FORMATS)
    """Lines (an example per non-empty line) | strfile (``fortune`` files: entries separated by ``%``
    lines, each whitespace-joined into one example)."""
    test_fraction: float = option(0.1, Rule(lambda v: 0 < v < 1, "a number in (0, 1)"))
    """Share of the examples held out (a fixed, seeded split) for the test metrics."""
    on_bad_line: str = one_of("drop", ON_BAD_LINE)
    """What a line that is not UTF-8 or an example over ``sequence_length`` does. drop: leave it out,
    counted in one warning; error: stop with its place."""
    dictionary: str | None = None
    """A word list (UTF-8, words separated by white space, e.g. a word a line as in
    ``/usr/share/dict/american-english``) that the ``valid_words`` and ``novel_words`` metrics look generated words
    up in; its own bad lines follow ``on_bad_line``. None: those two metrics are unavailable."""


@register_dataset("text_lines", section=TextLinesData)
def _text_lines(cfg: ExperimentConfig) -> TextLinesDataModule:
    data = cfg.data
    return TextLinesDataModule(
        *image_args(cfg)[:2],
        data.data_dir,
        data.text_level,
        data.sequence_length,
        data.vocab_size,
        data.test_fraction,
        data.text_format,
        data.on_bad_line,
        data.dictionary,
    )
