"""TimeGAN's scores and comparison pictures of generated sequences against a fixed real set.

:class:`SequenceQuality` is what the training callback and ``scripts/evaluate.py`` share, as
:class:`~gan_lightning.metrics.sample_quality.SampleQuality` is for images: it holds the real
sequences (in data units) and the dataset's map to the [0, 1] scale the scores use.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from torch import Tensor

from gan_lightning.config.schema import TimeGANScoreConfig
from gan_lightning.metrics.timegan_scores import SEQUENCE_METRICS, timegan_scores
from gan_lightning.sequence_pictures import embedding_maps, save_embedding_map, save_real_vs_generated

PICTURES = ("real_vs_generated", "pca", "tsne")
"""The pictures :meth:`SequenceQuality.save_pictures` writes, as ``<name>.png``."""


class SequenceQuality:
    """Scores ``names`` (discriminative, predictive) of generated sequences against ``real``.

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
        unknown = sorted(set(names) - set(SEQUENCE_METRICS))
        if unknown:
            raise ValueError(f"unknown sequence metrics {unknown}; allowed: {', '.join(SEQUENCE_METRICS)}")
        self.names = list(dict.fromkeys(names))
        self.real = real
        self.to_score_space = to_score_space
        self.cfg = cfg
        self.seed = seed

    @property
    def num_real(self) -> int:
        return len(self.real)

    def evaluate(self, generated: Tensor) -> dict[str, float]:
        """``{discriminative, discriminative_std, predictive, predictive_std}`` of ``generated`` (data units)."""
        real = self.to_score_space(self.real.to(generated.device))
        return timegan_scores(real, self.to_score_space(generated), self.names, self.cfg, self.seed)

    def save_pictures(self, generated: Tensor, out_dir: str | os.PathLike[str], title: str = "") -> dict[str, Path]:
        """Real vs generated curves (data units) and PCA / t-SNE maps (score scale): ``{name: path}``."""
        out = Path(out_dir)
        paths = {name: out / f"{name}.png" for name in PICTURES}
        real, generated = self.real.cpu(), generated.cpu()
        save_real_vs_generated(real, generated, paths["real_vs_generated"], title)
        maps = embedding_maps(self.to_score_space(real), self.to_score_space(generated), self.seed)
        for method in ("pca", "tsne"):
            save_embedding_map(maps[method], method, paths[method])
        return paths
