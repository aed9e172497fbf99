"""The quality-diversity planes of token data (Caccia et al. 2020, "Language GANs falling short"): lowering the
sampling temperature buys quality with diversity, so a generator is judged by its curve over temperatures on a plane,
not by one point. Each :class:`QualityDiversityAxes` names the metrics of its two axes and the data's own point on
them; :func:`quality_diversity_axes` picks a dataset's planes and :func:`plot_quality_diversity` draws curves on them
(the sweep itself, which samples a generator, is :func:`gan_lightning.metrics.text_quality.temperature_sweep`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gan_lightning.files import atomic_path
from gan_lightning.metrics.bleu import self_bleu
from gan_lightning.metrics.text_data import bleu_references, training_words, words_of
from gan_lightning.metrics.text_scores import novel_word_share, valid_word_share

if TYPE_CHECKING:
    from gan_lightning.config.schema import MetricsConfig
    from gan_lightning.data.text import TokenDataModule


@dataclass(frozen=True)
class QualityDiversityAxes:
    """What a temperature sweep plots: the value ``y`` (quality) against ``x`` (diversity), both computed by the text
    metrics ``names``, with ``reference`` the data's own point (the floor a perfect generator reaches)."""

    name: str
    names: tuple[str, ...]
    x: str
    y: str
    x_label: str
    y_label: str
    reference_label: str
    reference: Callable[[TokenDataModule, MetricsConfig], dict[str, float]]


def _oracle_reference(datamodule: TokenDataModule, settings: MetricsConfig) -> dict[str, float]:
    """The oracle as its own generator: its entropy on both axes (its samples' NLL, its NLL of held-out data)."""
    entropy = datamodule.entropy  # type: ignore[attr-defined]
    return {"nll_oracle": entropy, "nll_test": entropy}


def _real_text_reference(datamodule: TokenDataModule, settings: MetricsConfig) -> dict[str, float]:
    """Real text as if generated: the first ``bleu_samples`` training examples' BLEU-5 against the held-out split
    and their Self-BLEU-5, at the generated samples' count (the split is a seeded shuffle: they are a random set)."""
    real = datamodule.evaluation_tokens("train")[: settings.bleu_samples]
    return {
        "bleu_5": bleu_references(datamodule).score(real, [5])[5],
        "self_bleu_5": self_bleu(real, [5])[5],
    }


ORACLE_AXES = QualityDiversityAxes(
    "oracle",
    ("nll_oracle", "nll_test"),
    "nll_test",
    "nll_oracle",
    "NLL_test (G's NLL of held-out data; lower: more diverse)",
    "NLL_oracle (oracle's NLL of samples; lower: better)",
    "oracle entropy",
    _oracle_reference,
)
BLEU_AXES = QualityDiversityAxes(
    "bleu",
    ("bleu", "self_bleu"),
    "self_bleu_5",
    "bleu_5",
    "Self-BLEU-5 (samples against each other; lower: more diverse)",
    "BLEU-5 (samples against held-out text; higher: better)",
    "real training text",
    _real_text_reference,
)


def _held_out_words_reference(datamodule: TokenDataModule, settings: MetricsConfig) -> dict[str, float]:
    """The held-out split's words as if generated: their shares in the list and unseen in training."""
    words = words_of(datamodule.evaluation_tokens("test"), datamodule.separator)
    dictionary = datamodule.dictionary
    return {
        "valid_words": valid_word_share(words, dictionary),  # type: ignore[arg-type]
        "novel_words": novel_word_share(words, dictionary, training_words(datamodule)),  # type: ignore[arg-type]
    }


WORD_AXES = QualityDiversityAxes(
    "words",
    ("valid_words", "novel_words"),
    "novel_words",
    "valid_words",
    "novel words (in the list, not in training; higher: inventing real words)",
    "valid words (in the list; higher: better spelled)",
    "real held-out words",
    _held_out_words_reference,
)
QUALITY_DIVERSITY_AXES = {axes.name: axes for axes in (ORACLE_AXES, BLEU_AXES, WORD_AXES)}


def quality_diversity_axes(datamodule: TokenDataModule) -> tuple[QualityDiversityAxes, ...]:
    """The planes a temperature sweep is drawn on: NLL_oracle against NLL_test where an oracle scores samples
    (SeqGAN's benchmark); else BLEU-5 against Self-BLEU-5 (Caccia et al.'s axes for real text) and, with a word list,
    valid against novel words (a model that copies its training words is valid but not novel)."""
    if datamodule.has_oracle:
        return (ORACLE_AXES,)
    return (BLEU_AXES, WORD_AXES) if datamodule.dictionary is not None else (BLEU_AXES,)


def plot_quality_diversity(
    curves: dict[str, list[dict[str, float]]],
    path: str | Path,
    planes: Sequence[QualityDiversityAxes],
    reference: dict[str, float] | None = None,
    title: str = "",
) -> None:
    """A panel per plane: ``axes.y`` (quality) against ``axes.x`` (diversity) of each labelled sweep, each point marked
    with its temperature (a curve of one point: a control at temperature 1); ``reference``: the data's own values
    (:attr:`QualityDiversityAxes.reference`), dotted lines on both axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, panels = plt.subplots(1, len(planes), figsize=(5.5 * len(planes), 4.5), squeeze=False)
    for axes, plot in zip(planes, panels[0], strict=True):
        for label, rows in curves.items():
            x, y = [r[axes.x] for r in rows], [r[axes.y] for r in rows]
            plot.plot(x, y, marker="o", label=label)
            for row, xi, yi in zip(rows, x, y, strict=True):
                plot.annotate(f"{row['temperature']:g}", (xi, yi), textcoords="offset points", xytext=(4, 4),
                              fontsize=7)  # fmt: skip
        if reference is not None:
            label = f"{axes.reference_label} ({reference[axes.x]:.2f}, {reference[axes.y]:.2f})"
            plot.axhline(reference[axes.y], color="grey", linestyle=":", label=label)
            plot.axvline(reference[axes.x], color="grey", linestyle=":")
        plot.set_xlabel(axes.x_label)
        plot.set_ylabel(axes.y_label)
        plot.set_title(title or "quality-diversity: sampling temperature sweep")
        plot.legend(fontsize=8)
    figure.tight_layout()
    with atomic_path(path) as partial:
        figure.savefig(partial, format="png", dpi=100)
    plt.close(figure)
