"""Scores of generated token sequences by registered name (``metrics.names`` of a tokens run).

A text metric is one :func:`register_text_metric` entry: a function of the generated sequences and what they are
judged against (:class:`TextSamples`: the token ids, the dataset, G's likelihood) returning named floats, logged as
``val/<name>``. Shipped here, the oracle benchmark's (SeqGAN, Texygen):

* ``nll_oracle``: the oracle's mean NLL per token of the generated sequences (quality: lower means samples the
  oracle finds likely), logged beside the oracle's entropy (``oracle_entropy``, its NLL of its own held-out
  samples: the value a perfect model's samples reach on average) and ``ln_vocab`` (``ln V``, a uniform model's NLL).
* ``nll_test``: G's own teacher-forced NLL per token of the held-out sequences (coverage: a generator that drops
  modes gives held-out sequences low likelihood); for text files the test split.
* ``unique``: the share of generated sequences that are distinct (``unique_ratio``).

Lowering the sampling temperature buys NLL_oracle with NLL_test (Caccia et al. 2020, "Language GANs falling short"),
so one temperature says little: :func:`temperature_sweep` scores a generator at several and
:func:`plot_quality_diversity` draws the curves, which is how MLE and GAN are compared honestly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lightning.registry import registrar

if TYPE_CHECKING:
    from gan_lightning.data.text import TokenDataModule


@dataclass
class TextSamples:
    """What a text metric judges: generated ``ids`` ``(N, T)`` and what they are compared with."""

    ids: Tensor
    datamodule: TokenDataModule
    likelihood: Callable[[Tensor], float]
    """G's mean NLL per token of sequences of ids ``(N, T)`` (teacher forcing, at the sweep's temperature)."""


@dataclass(frozen=True)
class TextMetric:
    """A registered text metric: its function, the value ``keep_best`` follows (and which way is better) and
    whether it needs the oracle (``data.name=oracle``)."""

    function: Callable[[TextSamples], dict[str, float]]
    best: tuple[str, str]
    needs_oracle: bool = False


TEXT_METRICS: dict[str, TextMetric] = {}
_register = registrar(TEXT_METRICS, "text metric")


def register_text_metric(
    name: str, best: tuple[str, str], needs_oracle: bool = False
) -> Callable[[Callable[[TextSamples], dict[str, float]]], Callable[[TextSamples], dict[str, float]]]:
    """Register ``function(samples) -> {value name: float}`` as the text metric ``name``."""

    def decorate(function: Callable[[TextSamples], dict[str, float]]) -> Callable[[TextSamples], dict[str, float]]:
        _register(name)(TextMetric(function, best, needs_oracle))
        return function

    return decorate


@register_text_metric("nll_oracle", ("nll_oracle", "min"), needs_oracle=True)
def nll_oracle(samples: TextSamples) -> dict[str, float]:
    from gan_lightning.data.text import max_entropy

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
    return {"unique_ratio": len(torch.unique(samples.ids, dim=0)) / len(samples.ids)}


def check_text_metrics(names: Sequence[str], has_oracle: bool, dataset: str) -> str | None:
    """A one-line problem with ``metrics.names`` for a tokens dataset, else None."""
    needing = [name for name in names if name in TEXT_METRICS and TEXT_METRICS[name].needs_oracle]
    if needing and not has_oracle:
        return f"metrics.names: {', '.join(needing)} score against the oracle; data.name={dataset} has none"
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
    from gan_lightning.callbacks.sample_quality import generated_images

    generate = generated_images(module, num, seed, use_ema=use_ema)
    return torch.cat([generate(range(s, min(s + batch_size, num))).cpu() for s in range(0, num, batch_size)])


def likelihood_of(network: nn.Module, vocab_size: int, batch_size: int) -> Callable[[Tensor], float]:
    """``ids -> network's mean NLL per token`` through its ``likelihood_loss`` on one-hot batches."""

    @torch.no_grad()
    def nll(ids: Tensor) -> float:
        device = next(network.parameters()).device
        total = 0.0
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size].to(device)
            loss = network.likelihood_loss(F.one_hot(chunk.long(), vocab_size).float())
            total += float(loss) * chunk.numel()
        return total / ids.numel()

    return nll


def score_text(
    module: Any,
    datamodule: TokenDataModule,
    names: Sequence[str],
    num: int,
    seed: int,
    batch_size: int,
    use_ema: bool = True,
    temperature: float = 1.0,
) -> dict[str, float]:
    """The values of the text metrics ``names`` of ``num`` samples at sampling ``temperature``."""
    network = module.ema_generator if use_ema else module.generator
    with sampling_temperature(network, temperature):
        ids = generated_ids(module, num, seed, batch_size, use_ema)
        samples = TextSamples(ids, datamodule, likelihood_of(network, len(datamodule.vocabulary), batch_size))
        values: dict[str, float] = {}
        for name in names:
            values.update(TEXT_METRICS[name].function(samples))
    return values


def temperature_sweep(
    module: Any,
    datamodule: TokenDataModule,
    temperatures: Sequence[float],
    num: int,
    seed: int,
    batch_size: int,
    use_ema: bool = True,
) -> list[dict[str, float]]:
    """NLL_oracle and NLL_test at each sampling temperature (the same latents, so the same Gumbel noise, at each):
    one row ``{temperature, nll_oracle, nll_test}`` per temperature."""
    return [
        {"temperature": float(t)}
        | {
            k: v
            for k, v in score_text(
                module, datamodule, ("nll_oracle", "nll_test"), num, seed, batch_size, use_ema, t
            ).items()
            if k in ("nll_oracle", "nll_test")
        }
        for t in temperatures
    ]


def plot_quality_diversity(
    curves: dict[str, list[dict[str, float]]], path: str | Path, floor: float | None = None, title: str = ""
) -> None:
    """NLL_oracle (quality, lower is better) against NLL_test (diversity, lower is better) of each labelled sweep,
    each point marked with its temperature; ``floor``: the oracle's entropy, drawn on both axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gan_lightning.files import atomic_path

    figure, axes = plt.subplots(figsize=(5.5, 4.5))
    for label, rows in curves.items():
        x, y = [r["nll_test"] for r in rows], [r["nll_oracle"] for r in rows]
        axes.plot(x, y, marker="o", label=label)
        for row, xi, yi in zip(rows, x, y, strict=True):
            axes.annotate(f"{row['temperature']:g}", (xi, yi), textcoords="offset points", xytext=(4, 4), fontsize=7)
    if floor is not None:
        axes.axhline(floor, color="grey", linestyle=":", label=f"oracle entropy {floor:.2f}")
        axes.axvline(floor, color="grey", linestyle=":")
    axes.set_xlabel("NLL_test (G's NLL of held-out data; lower: more diverse)")
    axes.set_ylabel("NLL_oracle (oracle's NLL of samples; lower: better)")
    axes.set_title(title or "quality-diversity: sampling temperature sweep")
    axes.legend(fontsize=8)
    figure.tight_layout()
    with atomic_path(path) as partial:
        figure.savefig(partial, format="png", dpi=100)
    plt.close(figure)
