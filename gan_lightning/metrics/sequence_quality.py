"""Scores and comparison pictures of generated sequences against a fixed real set, by registered name.

:class:`SequenceQuality` is what the training callback and ``scripts/evaluate.py`` share, as
:class:`~gan_lightning.metrics.sample_quality.SampleQuality` is for images: it holds the real
sequences (in data units) and the dataset's map to the [0, 1] scale the scores use.

What ``metrics.names`` may list for sequence data are the metrics of :class:`SequenceSuite`: TimeGAN's
discriminative and predictive scores register themselves from :mod:`gan_lightning.metrics.timegan_scores`, and a new
score is a new file in this folder that calls ``register_metric(name)(sequence_metric(...))`` (docs/FORKING.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from gan_lightning.config.schema import TimeGANScoreConfig
from gan_lightning.metrics.suite import METRICS, GeneratedSet, Metric, Scores, Suite, named_values, real_subset

if TYPE_CHECKING:
    from gan_lightning.config.schema import ExperimentConfig
    from gan_lightning.data.base import GANDataModule
from gan_lightning.sequence_pictures import embedding_maps, save_embedding_map, save_levels, save_real_vs_generated

PICTURES = ("real_vs_generated", "levels", "pca", "tsne")
"""The pictures :meth:`SequenceQuality.save_pictures` writes, as ``<name>.png``."""


def sequence_metric(
    compute: Callable[[Tensor, Tensor, TimeGANScoreConfig, int], float | tuple[float, ...]],
    values: tuple[str, ...],
    best: tuple[str, str],
) -> Metric:
    """A metric of sequence data, for :func:`~gan_lightning.metrics.suite.register_metric`.

    ``compute(real, generated, cfg, seed)`` gets ``(N, T, C)`` float sequences in [0, 1] (the real set and the
    generated one, of any sizes), ``metrics.timegan`` (the settings of post-hoc models) and the evaluation seed, and
    returns one float per entry of ``values`` (a float for one, a tuple for several), logged as ``val/<value>``. It
    runs with the global RNG forked, so drawing from it cannot move the training run's random state; a score that
    draws should still seed its own ``torch.Generator`` from ``seed``, so evaluations are repeatable. ``best``: the
    value ``metrics.keep_best`` follows when this metric is listed first, and ``min`` or ``max``.
    """
    return Metric(SequenceSuite, compute, best, values, ("sequences",))


def sequence_scores(
    real: Tensor, generated: Tensor, names: Sequence[str], cfg: TimeGANScoreConfig, seed: int = 0
) -> dict[str, float]:
    """The values of each of ``names`` (metrics of :class:`SequenceSuite`), in that order, of ``generated``
    against ``real``.

    ``real`` and ``generated`` are ``(N, T, C)`` sequences in [0, 1].
    """
    if real.shape[1:] != generated.shape[1:]:
        raise ValueError(f"real sequences {tuple(real.shape[1:])} and generated {tuple(generated.shape[1:])} differ")
    real, generated = real.float(), generated.float()
    results: dict[str, float] = {}
    for name in names:
        if name not in METRICS or METRICS[name].suite is not SequenceSuite:
            raise ValueError(f"unknown sequence metric {name!r}; registered: {', '.join(_registered())}")
        metric = METRICS[name]
        with torch.random.fork_rng(devices=[]):  # nothing here may move the training run's RNG
            results.update(named_values(metric.values, metric.compute(real, generated, cfg, seed)))
    return results


class SequenceQuality:
    """Scores ``names`` (metrics of :class:`SequenceSuite`) of generated sequences against ``real``.

    Args:
        real: the real sequences, ``(N, T, C)`` in data units.
        to_score_space: the dataset's map from data units to the [0, 1] scale of the scores.
        seed: seeds the post-hoc models and the pictures' subsets, so evaluations are repeatable.
    """

    def __init__(
        self,
        names: Sequence[str],
        real: Tensor,
        to_score_space: Callable[[Tensor], Tensor],
        cfg: TimeGANScoreConfig,
        seed: int = 0,
    ) -> None:
        unknown = sorted(set(names) - set(_registered()))
        if unknown:
            raise ValueError(f"unknown sequence metrics {unknown}; registered: {', '.join(_registered())}")
        self.names = list(dict.fromkeys(names))
        self.real = real
        self.to_score_space = to_score_space
        self.cfg = cfg
        self.seed = seed

    @property
    def num_real(self) -> int:
        return len(self.real)

    def evaluate(self, generated: Tensor) -> dict[str, float]:
        """The values of :attr:`names` of ``generated`` (data units), e.g. ``{discriminative, discriminative_std}``."""
        real = self.to_score_space(self.real.to(generated.device))
        return sequence_scores(real, self.to_score_space(generated), self.names, self.cfg, self.seed)

    def save_pictures(self, generated: Tensor, out_dir: str | os.PathLike[str], title: str = "") -> dict[str, Path]:
        """Real vs generated curves and levels (data units) and PCA / t-SNE maps (score scale): ``{name: path}``."""
        out = Path(out_dir)
        paths = {name: out / f"{name}.png" for name in PICTURES}
        real, generated = self.real.cpu(), generated.cpu()
        save_real_vs_generated(real, generated, paths["real_vs_generated"], title)
        save_levels(real, generated, paths["levels"], title)
        maps = embedding_maps(self.to_score_space(real), self.to_score_space(generated), self.seed)
        for method in ("pca", "tsne"):
            save_embedding_map(maps[method], method, paths[method])
        return paths


def _registered() -> list[str]:
    return [name for name, metric in METRICS.items() if metric.suite is SequenceSuite]


class SequenceSuite(Suite):
    """The sequence scores of generated sequences against ``metrics.num_real`` real ones (a seeded subset when the
    set is larger), and their pictures (``real_vs_generated``, ``levels``, ``pca``, ``tsne``) rewritten in the
    suite's folder at each evaluation. Rank 0 computes them (post-hoc models train) and the values are broadcast."""

    def __init__(self, names: Sequence[str], quality: SequenceQuality, out_dir: Path, runs: int) -> None:
        super().__init__(names)
        self.quality = quality
        self.out_dir = out_dir
        self.runs = runs

    @classmethod
    def build(cls, names: Sequence[str], config: ExperimentConfig, datamodule: GANDataModule, out_dir: Path) -> Suite:
        cfg = config.metrics
        real: Tensor = real_subset(datamodule.evaluation_sequences(), cfg.num_real)  # type: ignore[attr-defined,assignment]
        quality = SequenceQuality(names, real, datamodule.to_score_space, cfg.timegan, config.seed)  # type: ignore[attr-defined]
        return cls(names, quality, out_dir, cfg.timegan.runs)

    def evaluate(self, module: Any, samples: GeneratedSet, step: int) -> Scores:
        generated = samples.all()
        values = self.quality.evaluate(generated)
        return Scores(values, self.quality.save_pictures(generated, self.out_dir, f"generator step {step}"))

    def details(self) -> dict[str, object]:
        return {"scored_by": "TimeGAN post-hoc models", "num_real": self.quality.num_real, "posthoc_runs": self.runs}
