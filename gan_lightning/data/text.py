"""Token sequences, served as token ids ``(T,)``: what every token dataset shares, and the vocabulary's decoding.

The networks see every sequence as one-hot rows ``(T, V)`` (:meth:`TokenDataModule.to_model_space`): the generator
emits soft one-hots (Gumbel-softmax), so real and generated samples live in the same space, and D's gradient reaches
G through the relaxed sample. The vocabulary travels in the run's kind (:class:`gan_lightning.kinds.tokens.TokensKind`)
so a checkpoint decodes its samples without the dataset. The datasets: ``oracle``
(:mod:`gan_lightning.data.oracle`, SeqGAN's benchmark) and ``text_lines`` (:mod:`gan_lightning.data.text_lines`, any
UTF-8 text).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import torch
import torch.nn.functional as F
from torch import Tensor

from gan_lightning.data.base import DataUnavailableError, InMemoryDataModule

PAD, EOS, UNK = "<pad>", "<eos>", "<unk>"
SPECIAL_TOKENS = (PAD, EOS, UNK)
"""The first ids of every text vocabulary: ``<pad>`` fills a sequence after its ``<eos>``; ``<unk>`` stands for a
token outside the ``data.vocab_size`` most frequent training tokens."""
T = TypeVar("T")


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

    def reference(self, split: str) -> Tensor:
        return self.evaluation_ids(split)

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
