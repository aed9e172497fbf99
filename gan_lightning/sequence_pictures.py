"""Pictures that compare generated sequences with real ones: overlaid curves, PCA and t-SNE maps.

The maps follow TimeGAN's visualisation (Yoon et al. 2019): up to 1,000 sequences of each kind, each
reduced to its mean over features (a ``T``-long vector), then a 2D PCA fitted on the real ones, and a
t-SNE (perplexity 40, 300 iterations) of both together. Generated points that cover the real cloud
mean the generator reproduces the data's variety; a generated clump inside it means mode collapse.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor

MAP_SAMPLES = 1000
CURVES_PER_KIND = 20
REAL_COLOUR, GENERATED_COLOUR = "tab:red", "tab:blue"


def _save(figure: Figure, path: str | os.PathLike[str]) -> None:
    figure.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)


def save_real_vs_generated(real: Tensor, generated: Tensor, path: str | os.PathLike[str], title: str = "") -> None:
    """One panel per feature (up to 6) with ``CURVES_PER_KIND`` real and generated sequences overlaid.

    The real curves are spread evenly over the set: consecutive windows of one series (``co2``) are
    near copies of each other, so the first few would show one stretch of it.
    """
    spread = torch.linspace(0, len(real) - 1, min(CURVES_PER_KIND, len(real))).round().long()
    real, generated = real[spread.to(real.device)].float().cpu(), generated[:CURVES_PER_KIND].float().cpu()
    features = min(real.shape[-1], 6)
    figure = Figure(figsize=(3.2 * features, 2.8), dpi=100)
    axes = figure.subplots(1, features, squeeze=False)[0]
    for feature, panel in enumerate(axes):
        for kind, sequences, colour in (("real", real, REAL_COLOUR), ("generated", generated, GENERATED_COLOUR)):
            lines = panel.plot(sequences[:, :, feature].T.numpy(), color=colour, alpha=0.35, linewidth=0.8)
            lines[0].set_label(kind)
        panel.set_title(f"feature {feature}", fontsize=9)
        panel.set_xlabel("time step")
    axes[0].legend(fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    _save(figure, path)


def save_levels(real: Tensor, generated: Tensor, path: str | os.PathLike[str], title: str = "") -> None:
    """One panel per feature (up to 6): histograms of each sequence's mean (its level, in data units), real and
    generated over the same bins, so a generator stuck at one level (the CO2 record's trend) shows at a glance."""
    real_levels, generated_levels = real.float().mean(dim=1).cpu(), generated.float().mean(dim=1).cpu()
    kinds = (("real", real_levels, REAL_COLOUR), ("generated", generated_levels, GENERATED_COLOUR))
    features = min(real.shape[-1], 6)
    figure = Figure(figsize=(3.2 * features, 2.8), dpi=100)
    axes = figure.subplots(1, features, squeeze=False)[0]
    for feature, panel in enumerate(axes):
        both = torch.cat([real_levels[:, feature], generated_levels[:, feature]]).numpy()
        bins = np.linspace(both.min(), both.max() + 1e-9, 31)
        for kind, levels, colour in kinds:
            panel.hist(levels[:, feature].numpy(), bins=bins, color=colour, alpha=0.5, label=kind)
        panel.set_title(f"feature {feature}", fontsize=9)
        panel.set_xlabel("sequence mean")
    axes[0].legend(fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    _save(figure, path)


def _mean_over_features(sequences: Tensor, generator: torch.Generator) -> np.ndarray:
    rows = torch.randperm(len(sequences), generator=generator)[:MAP_SAMPLES]
    return sequences[rows.to(sequences.device)].float().mean(dim=2).cpu().numpy()


def embedding_maps(real: Tensor, generated: Tensor, seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{"pca": (real 2D, generated 2D), "tsne": (…)}`` of up to ``MAP_SAMPLES`` sequences of each."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    generator = torch.Generator().manual_seed(seed)
    real_flat, generated_flat = _mean_over_features(real, generator), _mean_over_features(generated, generator)
    pca = PCA(n_components=2).fit(real_flat)
    both = np.concatenate([real_flat, generated_flat])
    perplexity = min(40.0, (len(both) - 1) / 3)  # t-SNE needs more points than 3 x perplexity
    tsne = TSNE(n_components=2, perplexity=perplexity, max_iter=300, random_state=seed).fit_transform(both)
    return {
        "pca": (pca.transform(real_flat), pca.transform(generated_flat)),
        "tsne": (tsne[: len(real_flat)], tsne[len(real_flat) :]),
    }


def save_embedding_map(maps: tuple[np.ndarray, np.ndarray], method: str, path: str | os.PathLike[str]) -> None:
    """Scatter plot of one 2D map: real points red, generated blue, as in TimeGAN's figures."""
    real, generated = maps
    figure = Figure(figsize=(5, 5), dpi=100)
    axes = figure.subplots()
    axes.scatter(real[:, 0], real[:, 1], s=4, alpha=0.3, c=REAL_COLOUR, label="real")
    axes.scatter(generated[:, 0], generated[:, 1], s=4, alpha=0.3, c=GENERATED_COLOUR, label="generated")
    axes.set_title(f"{'PCA' if method == 'pca' else 't-SNE'}: real vs generated", fontsize=10)
    axes.legend(fontsize=8)
    _save(figure, path)
