"""Scores of generated token sequences by registered name (``metrics.names`` of a tokens run).

A text metric is one :func:`register_text_metric` entry (a metric of :class:`TextSuite`): a function of the generated
sequences and what they are judged against (:class:`TextSamples`: the token ids and their tokens' text, the dataset,
G's likelihood, the metric settings) returning named floats, logged as ``val/<name>``. Shipped here:

* ``nll_oracle`` (the oracle benchmark's, SeqGAN and Texygen): the oracle's mean NLL per token of the generated
  sequences (quality: lower means samples the oracle finds likely), logged beside the oracle's entropy
  (``oracle_entropy``, its NLL of its own held-out samples: the value a perfect model's samples reach on average) and
  ``ln_vocab`` (``ln V``, a uniform model's NLL).
* ``nll_test``: G's own teacher-forced NLL per token of the held-out sequences (coverage: a generator that drops
  modes gives held-out sequences low likelihood); for text files the test split, per real token (each example's
  tokens and its ``<eos>``, not the ``<pad>`` after it).
* ``unique``: the share of generated sequences that are distinct (``unique_ratio``, cut at ``<eos>``).
* ``bleu`` and ``self_bleu`` (real text, Texygen): BLEU-2..5 of the samples against the held-out split
  (``bleu_n``: quality) and of each sample against the others (``self_bleu_n``: high means repetitive), of the first
  ``metrics.bleu_samples`` samples (:mod:`gan_lightning.metrics.bleu`).
* ``valid_words`` and ``novel_words`` (a word list, ``data.dictionary``): the share of generated words in the
  dictionary, and of those valid but absent from the training split (:mod:`gan_lightning.metrics.text_scores`).
* ``word_length`` (real text): the generated words' mean length in characters (``word_length``) beside the held-out
  words' (``word_length_real``), and the Wasserstein-1 distance between the two length distributions
  (``word_length_w1``): a generator can spell real fragments and still string them into words far too long.

Samples are compared as the dataset tokenized its text: the ids decoded to their tokens' text and cut at the first
stop token; the references are the held-out examples as read, so a generated ``<unk>`` matches no real word.

Lowering the sampling temperature buys quality with diversity (Caccia et al. 2020, "Language GANs falling short"),
so one temperature says little: :func:`temperature_sweep` scores a generator at several and
:func:`~gan_lightning.metrics.quality_diversity.plot_quality_diversity` draws the curves on the dataset's planes
(:mod:`gan_lightning.metrics.quality_diversity`: NLL_oracle against NLL_test on the oracle; BLEU-5 against Self-BLEU-5
on real text, and valid against novel words with a word list), which is how MLE and GAN are compared honestly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lightning.data.text import max_entropy, real_token_mask
from gan_lightning.metrics.bleu import BLEU_ORDERS, self_bleu
from gan_lightning.metrics.quality_diversity import plot_quality_diversity, quality_diversity_axes
from gan_lightning.metrics.suite import METRICS, GeneratedSet, Metric, Scores, Suite, latent_samples, register_metric
from gan_lightning.metrics.text_data import bleu_references, held_out_word_lengths, training_words, words_of
from gan_lightning.metrics.text_scores import (
    length_distance,
    novel_word_share,
    unique_ratio,
    valid_word_share,
    word_lengths,
)

if TYPE_CHECKING:
    import lightning as L

    from gan_lightning.config.schema import ExperimentConfig, MetricsConfig
    from gan_lightning.data.base import GANDataModule
    from gan_lightning.data.text import TokenDataModule


@dataclass
class TextSamples:
    """What a text metric judges: generated ``ids`` ``(N, T)`` and what they are compared with."""

    ids: Tensor
    datamodule: TokenDataModule
    likelihood: Callable[[Tensor], float]
    """G's mean NLL per token of sequences of ids ``(N, T)`` (teacher forcing, at the sweep's temperature)."""
    settings: MetricsConfig
    """``metrics.*`` (``bleu_samples``)."""

    @cached_property
    def tokens(self) -> list[list[str]]:
        """Each sample's tokens' text, cut at its first stop token, as the dataset tokenized its examples."""
        return self.datamodule.tokens_of(self.ids)

    @cached_property
    def words(self) -> list[str]:
        """Every word of the decoded samples (:func:`words_of`)."""
        return words_of(self.tokens, self.datamodule.separator)


NEEDS = {
    "oracle": (lambda datamodule: datamodule.has_oracle, "score against the oracle; data.name={dataset} has none"),
    "dictionary": (
        lambda datamodule: datamodule.dictionary is not None,
        "look generated words up in a word list; set data.dictionary (a file, a word a line)",
    ),
    "words": (
        lambda datamodule: not datamodule.has_oracle,
        "measure the words of real text; data.name={dataset} holds the oracle's token ids",
    ),
}
"""What a text metric may need of the dataset: whether it has it, and the one-line problem when not."""


# ---------------------------------------------------------------------- the suite
QUALITY_DIVERSITY_KEY = "quality_diversity"


class TextSuite(Suite):
    """The text metrics of ``metrics.num_generated`` samples at temperature 1 (the same seeded latents, hence the
    same Gumbel noise, every evaluation) and, at the end of training, the quality-diversity picture of
    ``metrics.temperatures`` (``quality_diversity.png`` in the suite's folder). Rank 0 computes them.

    A metric's ``compute(samples)`` gets the :class:`TextSamples` and returns its values by name; its ``needs`` may
    hold a key of :data:`NEEDS`.
    """

    def __init__(
        self, names: Sequence[str], config: ExperimentConfig, datamodule: TokenDataModule, out_dir: Path
    ) -> None:
        super().__init__(names)
        self.settings = config.metrics
        self.seed = config.seed
        self.datamodule = datamodule
        self.out_dir = out_dir

    @classmethod
    def build(cls, names: Sequence[str], config: ExperimentConfig, datamodule: GANDataModule, out_dir: Path) -> Suite:
        return cls(names, config, datamodule, out_dir)  # type: ignore[arg-type]

    def evaluate(self, module: Any, samples: GeneratedSet, step: int) -> Scores:
        return Scores(score_text(module, self.datamodule, self.names, self.settings, self.seed, samples.use_ema))

    def sweep(self, module: Any, use_ema: bool, path: Path, title: str) -> tuple[dict[str, float], dict[str, object]]:
        """The quality-diversity values of ``metrics.temperatures`` (``<value>@<T>``) and their picture ``path``, a
        panel per plane of the data; nothing without temperatures."""
        if not self.settings.temperatures:
            return {}, {}
        planes = quality_diversity_axes(self.datamodule)
        rows = temperature_sweep(module, self.datamodule, self.settings.temperatures, self.settings, self.seed, use_ema)
        reference = {k: v for axes in planes for k, v in axes.reference(self.datamodule, self.settings).items()}
        plot_quality_diversity({"generator": rows}, path, planes, reference, title)
        values = {f"{k}@{row['temperature']:g}": v for row in rows for k, v in row.items() if k != "temperature"}
        return values, {"quality_diversity": str(path), "quality_diversity_reference": reference}

    def at_end(self, trainer: L.Trainer, module: Any, step: int) -> dict[str, Path]:
        path = self.out_dir / f"{QUALITY_DIVERSITY_KEY}.png"
        _, details = self.sweep(module, True, path, f"generator step {step}")
        return {QUALITY_DIVERSITY_KEY: path} if details else {}

    def report(
        self, module: Any, samples: GeneratedSet, step: int, out: Path
    ) -> tuple[dict[str, float], dict[str, object]]:
        values = self.evaluate(module, samples, step).values
        swept, details = self.sweep(module, samples.use_ema, out.with_suffix(".png"), f"generator step {step}")
        return {**values, **swept}, {**self.details(), **details}

    def details(self) -> dict[str, object]:
        return {
            "num_generated": self.settings.num_generated,
            "num_real": len(self.datamodule.evaluation_ids("test")),
            "scored_by": f"{'the oracle and ' if self.datamodule.has_oracle else ''}the held-out split",
            "temperature": 1.0,
        }


def register_text_metric(
    name: str, best: tuple[str, str], needs: str | None = None
) -> Callable[[Callable[[TextSamples], dict[str, float]]], Callable[[TextSamples], dict[str, float]]]:
    """Register ``function(samples) -> {value name: float}`` as the text metric ``name`` (:class:`TextSuite`),
    ``best`` the value ``metrics.keep_best`` follows and which way; ``needs`` a key of :data:`NEEDS`, or None."""
    if needs is not None and needs not in NEEDS:
        raise ValueError(f"text metric {name}: needs={needs!r} is none of {', '.join(NEEDS)}")

    def decorate(function: Callable[[TextSamples], dict[str, float]]) -> Callable[[TextSamples], dict[str, float]]:
        register_metric(name)(
            Metric(TextSuite, function, best, (), ("tokens",), needs=() if needs is None else (needs,))
        )
        return function

    return decorate


@register_text_metric("nll_oracle", ("nll_oracle", "min"), needs="oracle")
def nll_oracle(samples: TextSamples) -> dict[str, float]:

    datamodule = samples.datamodule
    return {
        "nll_oracle": datamodule.oracle.nll(samples.ids),  # type: ignore[attr-defined]
        "oracle_entropy": datamodule.entropy,  # type: ignore[attr-defined]
        "ln_vocab": max_entropy(len(datamodule.vocabulary)),
    }


@register_text_metric("nll_test", ("nll_test", "min"))
def nll_test(samples: TextSamples) -> dict[str, float]:
    return {"nll_test": samples.likelihood(samples.datamodule.evaluation_ids("test"))}


@register_text_metric("unique", ("unique_ratio", "max"))
def unique(samples: TextSamples) -> dict[str, float]:
    return {"unique_ratio": unique_ratio(samples.tokens)}


@register_text_metric("bleu", ("bleu_5", "max"))
def bleu(samples: TextSamples) -> dict[str, float]:
    scores = bleu_references(samples.datamodule).score(samples.tokens[: samples.settings.bleu_samples], BLEU_ORDERS)
    return {f"bleu_{n}": value for n, value in scores.items()}


@register_text_metric("self_bleu", ("self_bleu_5", "min"))
def self_bleu_metric(samples: TextSamples) -> dict[str, float]:
    scores = self_bleu(samples.tokens[: samples.settings.bleu_samples], BLEU_ORDERS)
    return {f"self_bleu_{n}": value for n, value in scores.items()}


@register_text_metric("valid_words", ("valid_words", "max"), needs="dictionary")
def valid_words(samples: TextSamples) -> dict[str, float]:
    return {"valid_words": valid_word_share(samples.words, samples.datamodule.dictionary)}  # type: ignore[arg-type]


@register_text_metric("word_length", ("word_length_w1", "min"), needs="words")
def word_length(samples: TextSamples) -> dict[str, float]:
    generated, real = word_lengths(samples.words, "word length"), held_out_word_lengths(samples.datamodule)
    return {
        "word_length": sum(generated) / len(generated),
        "word_length_real": sum(real) / len(real),
        "word_length_w1": length_distance(generated, real),
    }


@register_text_metric("novel_words", ("novel_words", "max"), needs="dictionary")
def novel_words(samples: TextSamples) -> dict[str, float]:
    datamodule = samples.datamodule
    share = novel_word_share(samples.words, datamodule.dictionary, training_words(datamodule))  # type: ignore[arg-type]
    return {"novel_words": share}


def check_text_metrics(
    names: Sequence[str], datamodule: TokenDataModule, dataset: str, settings: MetricsConfig
) -> str | None:
    """A one-line problem with ``metrics.names`` (and the settings they use) for a tokens dataset, else None: found
    before training rather than at the first evaluation."""
    for need, (has, problem) in NEEDS.items():
        needing = [name for name in names if name in METRICS and need in METRICS[name].needs]
        if needing and not has(datamodule):
            return f"metrics.names: {', '.join(needing)} {problem.format(dataset=dataset)}"
    # Self-BLEU scores each sample against the others (bleu_samples >= 2 is a schema rule); so does the sweep on text,
    # run after training wherever text metrics are (the callback and evaluate.py).
    swept = {name for axes in quality_diversity_axes(datamodule) for name in axes.names}
    sweeps_self_bleu = bool(names) and bool(settings.temperatures) and "self_bleu" in swept
    if ("self_bleu" in names or sweeps_self_bleu) and settings.num_generated < 2:
        needing = "metrics.names: self_bleu" if "self_bleu" in names else "metrics.temperatures (a sweep on text)"
        return (
            f"{needing} compares each sample with the others, but metrics.num_generated={settings.num_generated} "
            f"leaves fewer than 2 samples; set metrics.num_generated >= 2"
        )
    return None


# ---------------------------------------------------------------------- generating and scoring
@contextmanager
def sampling_temperature(network: nn.Module, temperature: float) -> Iterator[None]:
    """``network`` (a generator with a ``sampling_temperature``) at ``temperature`` inside the block."""
    previous = network.sampling_temperature
    network.sampling_temperature = float(temperature)
    try:
        yield
    finally:
        network.sampling_temperature = previous


def generated_ids(module: Any, num: int, seed: int, batch_size: int, use_ema: bool = True) -> Tensor:
    """``num`` generated sequences of token ids ``(num, T)`` from the seeded evaluation latents, ``batch_size`` at a
    time (each batch's soft one-hots are ``batch_size * T * V`` floats)."""
    generate = latent_samples(module, num, seed, use_ema).generate
    return torch.cat([generate(range(s, min(s + batch_size, num))).cpu() for s in range(0, num, batch_size)])


def likelihood_of(
    network: nn.Module, vocab_size: int, batch_size: int, stop_tokens: Sequence[int] = ()
) -> Callable[[Tensor], float]:
    """``ids -> network's mean NLL per token`` through its ``likelihood_loss`` on one-hot batches, over the real
    tokens only (up to each sequence's first of ``stop_tokens``, :func:`real_token_mask`) where there are any."""

    @torch.no_grad()
    def nll(ids: Tensor) -> float:
        device = next(network.parameters()).device
        total, count = 0.0, 0
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size].to(device)
            mask = real_token_mask(chunk, stop_tokens)
            loss = network.likelihood_loss(F.one_hot(chunk.long(), vocab_size).float(), mask)
            tokens = chunk.numel() if mask is None else int(mask.sum())
            total += float(loss) * tokens
            count += tokens
        return total / count

    return nll


def score_text(
    module: Any,
    datamodule: TokenDataModule,
    names: Sequence[str],
    settings: MetricsConfig,
    seed: int,
    use_ema: bool = True,
    temperature: float = 1.0,
) -> dict[str, float]:
    """The values of the text metrics ``names`` of ``settings.num_generated`` samples at sampling ``temperature``."""
    network = module.ema_generator if use_ema else module.generator
    batch_size = settings.batch_size
    with sampling_temperature(network, temperature):
        ids = generated_ids(module, settings.num_generated, seed, batch_size, use_ema)
        likelihood = likelihood_of(network, len(datamodule.vocabulary), batch_size, datamodule.stop_tokens)
        return score_ids(TextSamples(ids, datamodule, likelihood, settings), names)


def score_ids(samples: TextSamples, names: Sequence[str]) -> dict[str, float]:
    """The values of the text metrics ``names`` of ``samples``, whatever drew them (a generator, an n-gram)."""
    values: dict[str, float] = {}
    for name in names:
        values.update(METRICS[name].compute(samples))
    return values


def temperature_sweep(
    module: Any,
    datamodule: TokenDataModule,
    temperatures: Sequence[float],
    settings: MetricsConfig,
    seed: int,
    use_ema: bool = True,
) -> list[dict[str, float]]:
    """The values of the dataset's quality-diversity planes (:func:`quality_diversity_axes`) at each sampling
    temperature (the same latents, so the same Gumbel noise, at each): one row ``{temperature, x, y, ...}`` each."""
    planes = quality_diversity_axes(datamodule)
    names = tuple(dict.fromkeys(name for axes in planes for name in axes.names))
    rows = []
    for t in temperatures:
        values = score_text(module, datamodule, names, settings, seed, use_ema, t)
        rows.append({"temperature": float(t), **{key: values[key] for axes in planes for key in (axes.x, axes.y)}})
    return rows
