"""What the text metrics derive from a token dataset's fixed splits, each built once per data module: the words of
decoded samples, BLEU's reference tables of the held-out split, the training split's words and the held-out words'
lengths. Below both the metrics (:mod:`gan_lightning.metrics.text_quality`) and the quality-diversity planes
(:mod:`gan_lightning.metrics.quality_diversity`), which read the same tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gan_lightning.metrics.bleu import BleuReferences
from gan_lightning.metrics.text_scores import word_lengths

if TYPE_CHECKING:
    from gan_lightning.data.text import TokenDataModule


def words_of(token_rows: Sequence[Sequence[str]], separator: str) -> list[str]:
    """Every whitespace-separated word of the texts ``token_rows`` decode to (characters joined, words spaced);
    an empty text counts as one empty word, which is never valid (a generator emitting ``<eos>`` at once fails)."""
    return [word for tokens in token_rows for word in (separator.join(tokens).split() or [""])]


def bleu_references(datamodule: TokenDataModule) -> BleuReferences:
    """The held-out split's BLEU tables, built once per data module (a pass over every reference)."""
    return datamodule.derived("bleu_references", lambda: BleuReferences(datamodule.evaluation_tokens("test")))


def training_words(datamodule: TokenDataModule) -> frozenset[str]:
    """The words of the training split, collected once per data module."""
    return datamodule.derived(
        "training_words", lambda: frozenset(words_of(datamodule.evaluation_tokens("train"), datamodule.separator))
    )


def held_out_word_lengths(datamodule: TokenDataModule) -> list[int]:
    """The lengths of the held-out split's words, collected once per data module."""
    return datamodule.derived(
        "held_out_word_lengths",
        lambda: word_lengths(words_of(datamodule.evaluation_tokens("test"), datamodule.separator), "held-out words"),
    )
