"""Token sequences: the SeqGAN/Texygen oracle benchmark and any UTF-8 text file, served as token ids ``(T,)``.

The networks see every sequence as one-hot rows ``(T, V)`` (:meth:`TokenDataModule.to_model_space`): the generator
emits soft one-hots (Gumbel-softmax), so real and generated samples live in the same space, and D's gradient reaches
G through the relaxed sample. The vocabulary travels in the run's kind (:class:`gan_lightning.kinds.tokens.TokensKind`)
so a checkpoint decodes its samples without the dataset.

* ``oracle`` (:class:`OracleDataModule`): an LSTM with every parameter drawn from N(0, 1) (SeqGAN, Yu et al. 2017;
  Texygen, Zhu et al. 2018): vocabulary 5,000, embedding 32, hidden 32, sequences of 20 tokens started from token 0.
  Its training and held-out sets are sampled from it; its per-token NLL of any sequences (NLL_oracle) is the
  benchmark's quality measure, and its NLL of its own held-out samples estimates its entropy, the floor no model
  can beat on average. Everything is drawn from ``data.oracle_seed``, not the run's seed, so every run and seed of
  the benchmark scores against the same oracle and data.
* ``text_lines`` (:class:`TextLinesDataModule`): a UTF-8 file or a folder of them, one example per line (or per
  ``%``-separated entry of a ``fortune`` strfile source), at character or word level, ``<eos>``-terminated and
  ``<pad>``-filled to ``data.sequence_length``, the ``data.vocab_size`` most frequent training tokens kept and the
  rest ``<unk>``; a fixed, seeded train/test split.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import torch
import torch.nn.functional as F
from torch import Tensor

from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import image_args, register_dataset
from gan_lightning.data.base import DataUnavailableError, InMemoryDataModule
from gan_lightning.files import atomic_path

PAD, EOS, UNK = "<pad>", "<eos>", "<unk>"
SPECIAL_TOKENS = (PAD, EOS, UNK)
"""The first ids of every text vocabulary: ``<pad>`` fills a sequence after its ``<eos>``; ``<unk>`` stands for a
token outside the ``data.vocab_size`` most frequent training tokens."""
TEXT_LEVELS = ("char", "word")
TEXT_FORMATS = ("lines", "strfile")
ON_BAD_LINE = ("drop", "error")
SPLIT_SEED = 0
"""Seeds the train/test split of a text file: fixed, so every run and seed of a corpus sees the same split."""
START_TOKEN = 0
"""The oracle's first input token (SeqGAN's start token)."""
T = TypeVar("T")


# ---------------------------------------------------------------------- the oracle
class OracleLSTM:
    """SeqGAN's oracle: an LSTM language model whose every parameter is drawn from N(0, 1) from ``seed``.

    Large random weights make a peaked, structured distribution over sequences (its entropy is far below
    ``T ln V``), which a model must learn from samples alone. Plain tensors, never trained.
    """

    def __init__(self, vocab_size: int, embedding: int, hidden: int, length: int, seed: int) -> None:
        generator = torch.Generator().manual_seed(seed)

        def draw(*shape: int) -> Tensor:
            return torch.randn(shape, generator=generator)

        self.vocab_size, self.hidden, self.length = vocab_size, hidden, length
        self.embedding = draw(vocab_size, embedding)
        self.weight_ih, self.weight_hh = draw(4 * hidden, embedding), draw(4 * hidden, hidden)
        self.bias = draw(4 * hidden)
        self.out_weight, self.out_bias = draw(vocab_size, hidden), draw(vocab_size)

    def _step(self, tokens: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """Log-probabilities of the next token after ``tokens`` ``(B,)`` and the new (h, c)."""
        h, c = state
        gates = self.embedding[tokens] @ self.weight_ih.T + h @ self.weight_hh.T + self.bias
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return torch.log_softmax(h @ self.out_weight.T + self.out_bias, dim=1), (h, c)

    def _initial(self, batch: int) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        zeros = torch.zeros(batch, self.hidden)
        return torch.full((batch,), START_TOKEN, dtype=torch.long), (zeros, zeros.clone())

    @torch.no_grad()
    def sample(self, num: int, generator: torch.Generator, batch_size: int = 2000) -> Tensor:
        """``num`` sequences ``(num, length)`` of token ids, by inverse-CDF sampling from ``generator``."""
        chunks = []
        for start in range(0, num, batch_size):
            batch = min(batch_size, num - start)
            tokens, state = self._initial(batch)
            sequence = []
            for _ in range(self.length):
                log_probs, state = self._step(tokens, state)
                cdf = log_probs.exp().cumsum(dim=1)
                u = torch.rand(batch, 1, generator=generator) * cdf[:, -1:]
                tokens = torch.searchsorted(cdf, u).squeeze(1).clamp_(max=self.vocab_size - 1)
                sequence.append(tokens)
            chunks.append(torch.stack(sequence, dim=1))
        return torch.cat(chunks)

    @torch.no_grad()
    def nll(self, sequences: Tensor, batch_size: int = 2000) -> float:
        """The oracle's mean negative log-likelihood per token (nats) of ``sequences`` ``(N, length)``: NLL_oracle."""
        sequences = sequences.long().cpu()
        total = 0.0
        for start in range(0, len(sequences), batch_size):
            chunk = sequences[start : start + batch_size]
            tokens, state = self._initial(len(chunk))
            for t in range(chunk.shape[1]):
                log_probs, state = self._step(tokens, state)
                tokens = chunk[:, t]
                total -= log_probs.gather(1, tokens[:, None]).double().sum().item()
        return total / sequences.numel()


@dataclass(frozen=True)
class OracleSpec:
    """What fixes an oracle and its data sets (``data.*``)."""

    vocab_size: int = 5000
    embedding: int = 32
    hidden: int = 32
    length: int = 20
    seed: int = 0
    num_train: int = 10_000
    num_test: int = 10_000

    def build(self) -> OracleLSTM:
        return OracleLSTM(self.vocab_size, self.embedding, self.hidden, self.length, self.seed)


@functools.cache
def oracle_and_data(spec: OracleSpec, cache_dir: str | None = None) -> tuple[OracleLSTM, Tensor, Tensor, float]:
    """The oracle, its training and held-out samples and its entropy estimate (its NLL of the held-out samples),
    made once per process and kept under ``cache_dir`` (``metrics.cache_dir``) by a hash of ``spec``: at the
    benchmark's size they take a minute on one core, every run of the benchmark needs them."""
    oracle = spec.build()
    cached = None
    if cache_dir is not None:
        key = hashlib.sha256(repr(spec).encode()).hexdigest()[:16]
        cached = Path(cache_dir).expanduser() / "oracle" / f"{key}.pt"
        if cached.is_file():
            saved = torch.load(cached, weights_only=True)
            return oracle, saved["train"].long(), saved["test"].long(), float(saved["entropy"])
    generator = torch.Generator().manual_seed(spec.seed + 1)
    train, test = oracle.sample(spec.num_train, generator), oracle.sample(spec.num_test, generator)
    entropy = oracle.nll(test)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(cached) as partial:
            torch.save({"train": train.short(), "test": test.short(), "entropy": entropy}, partial)
    return oracle, train, test, entropy


# ---------------------------------------------------------------------- token data modules
class TokenDataModule(InMemoryDataModule):
    """Sequences of token ids ``(N, T)`` (int64) served as one-hot ``(T, V)`` rows.

    Subclasses implement :meth:`load` (the training ids), :meth:`test_ids`, :attr:`vocabulary` and
    :attr:`separator`.
    """

    kind_name = "tokens"
    splits = ("train", "test")

    def __init__(self, batch_size: int, seed: int, length: int) -> None:
        super().__init__(batch_size, seed)
        self.length = length

    @property
    def vocabulary(self) -> list[str]:
        """Every token's text, by id."""
        raise NotImplementedError

    separator: str = " "
    """What joins decoded tokens: a space for words, nothing for characters."""
    stop_tokens: tuple[int, ...] = ()
    """The ids that end a sequence when decoded (``<pad>``, ``<eos>``); none where every sequence runs its full
    length (the oracle)."""

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (self.length, len(self.vocabulary))

    def test_ids(self) -> Tensor:
        """The held-out sequences ``(N, T)``."""
        raise NotImplementedError

    has_oracle: bool = False
    """Whether :attr:`oracle` and :attr:`entropy` exist (the oracle benchmark's metrics)."""

    @property
    def dictionary(self) -> frozenset[str] | None:
        """The words a word list holds (``data.dictionary``), which generated words are checked against; None where
        the dataset has none."""
        return None

    def evaluation_ids(self, split: str) -> Tensor:
        """The sequences of ``split`` (train or test)."""
        if split not in self.splits:
            raise DataUnavailableError(f"split {split!r} is not available here; allowed: {', '.join(self.splits)}")
        return self.data if split == "train" else self.test_ids()

    def tokens_of(self, ids: Tensor) -> list[list[str]]:
        """Each sequence of ``ids`` ``(N, T)`` as its tokens' text, cut at its first stop token: how generated
        samples are compared with real text (:func:`decode` joins the same tokens)."""
        return [decode_tokens(row, self.vocabulary, self.stop_tokens) for row in ids.tolist()]

    def evaluation_tokens(self, split: str) -> list[list[str]]:
        """The examples of ``split`` as tokens' text (here the ids decoded; a text file's examples as read)."""
        return self.tokens_of(self.evaluation_ids(split))

    def derived(self, key: str, make: Callable[[], T]) -> T:
        """``make()``, computed once per data module under ``key``: what the text metrics derive from the fixed data
        (BLEU's reference tables, the training words) is built once per run, not at every periodic evaluation."""
        cache: dict[str, Any] = self.__dict__.setdefault("_derived", {})
        if key not in cache:
            cache[key] = make()
        return cache[key]

    def to_model_space(self, batch: Tensor) -> Tensor:
        return F.one_hot(batch.long(), len(self.vocabulary)).float()


class OracleDataModule(TokenDataModule):
    """The oracle's samples; :attr:`oracle` scores generated sequences."""

    has_oracle = True

    def __init__(self, batch_size: int, seed: int, spec: OracleSpec, cache_dir: str | None = None) -> None:
        super().__init__(batch_size, seed, spec.length)
        for key, value in (
            ("vocab_size", spec.vocab_size),
            ("oracle_embedding", spec.embedding),
            ("oracle_hidden", spec.hidden),
            ("num_test_samples", spec.num_test),
        ):
            if value < 1:
                raise ValueError(f"invalid value {value} for config key 'data.{key}' with oracle; allowed: >= 1")
        if spec.vocab_size > 32767:  # the cache keeps ids as int16
            raise ValueError(f"invalid value {spec.vocab_size} for config key 'data.vocab_size'; allowed: <= 32767")
        self.spec, self.cache_dir = spec, cache_dir

    def _made(self) -> tuple[OracleLSTM, Tensor, Tensor, float]:
        return oracle_and_data(self.spec, self.cache_dir)

    @property
    def vocabulary(self) -> list[str]:
        return [str(token) for token in range(self.spec.vocab_size)]

    @property
    def oracle(self) -> OracleLSTM:
        return self._made()[0]

    @property
    def entropy(self) -> float:
        """The oracle's NLL of its own held-out samples: its entropy per token, estimated."""
        return self._made()[3]

    def load(self) -> Tensor:
        return self._made()[1]

    def test_ids(self) -> Tensor:
        return self._made()[2]


@dataclass
class TextCorpus:
    """A tokenized text: training and held-out ids, the vocabulary and what was dropped on the way."""

    train: Tensor
    test: Tensor
    vocabulary: list[str]
    examples: int
    dropped: dict[str, int] = field(default_factory=dict)
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
    """Tokenize ``path`` (a file or a folder of them, :func:`text_sources`): examples longer than ``length - 1``
    tokens (room for ``<eos>``) are dropped and counted (an error with ``on_bad_line=error``); the split is seeded
    by :data:`SPLIT_SEED`; the vocabulary is the special tokens and the most frequent training tokens,
    ``vocab_size`` in all."""
    examples, dropped = [], {}
    for source in text_sources(path):
        more, bad = read_examples(source, text_format, on_bad_line)
        examples += more
        dropped = {why: dropped.get(why, 0) + bad.get(why, 0) for why in {*dropped, *bad}}
    if not examples:
        raise TextError(f"{path} holds no text examples (an empty file, or every line dropped)")
    kept = []
    for example in examples:
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

    return TextCorpus(encode(train_rows), encode(test_rows), vocabulary, len(examples), dropped, train_rows, test_rows)


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
            if self._corpus.dropped:
                from lightning.pytorch.utilities import rank_zero_warn

                counts = ", ".join(f"{n} {why}" for why, n in self._corpus.dropped.items())
                rank_zero_warn(f"{self.path}: dropped {counts} of {self._corpus.examples} examples")
        return self._corpus

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


def decode_tokens(ids: Sequence[int], vocabulary: Sequence[str], stop_tokens: Sequence[int] = ()) -> list[str]:
    """The tokens' text of one sequence of ids, cut at its first stop token (``<eos>`` or ``<pad>``)."""
    tokens = []
    for token in ids:
        if token in stop_tokens:
            break
        tokens.append(vocabulary[token])
    return tokens


def decode(ids: Sequence[int], vocabulary: Sequence[str], separator: str, stop_tokens: Sequence[int] = ()) -> str:
    """The text of one sequence of ids, cut at its first stop token (``<eos>`` or ``<pad>``)."""
    return separator.join(decode_tokens(ids, vocabulary, stop_tokens))


def real_token_mask(ids: Tensor, stop_tokens: Sequence[int]) -> Tensor | None:
    """``(N, T)`` bool: the positions of ``ids`` ``(N, T)`` up to and including each row's first stop token (its
    ``<eos>``), which a likelihood counts; the padding after it is left out. None without stop tokens (the oracle:
    every position is a token)."""
    if not stop_tokens:
        return None
    stops = torch.isin(ids, torch.tensor(list(stop_tokens), device=ids.device)).long()
    return (stops.cumsum(dim=1) - stops) == 0  # no stop token before this position


def max_entropy(vocab_size: int) -> float:
    """``ln V``: the per-token NLL of a uniform model, beside which NLL values are read."""
    return math.log(vocab_size)


# ---------------------------------------------------------------------- data.name
@register_dataset("oracle")
def _oracle(cfg: ExperimentConfig) -> OracleDataModule:
    data = cfg.data
    spec = OracleSpec(
        data.vocab_size,
        data.oracle_embedding,
        data.oracle_hidden,
        data.sequence_length,
        data.oracle_seed,
        data.num_samples,
        data.num_test_samples,
    )
    return OracleDataModule(*image_args(cfg)[:2], spec, cfg.metrics.cache_dir)


@register_dataset("text_lines")
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
