"""Pictures of samples: image grids, 2D scatter plots over the mixture's mode centres, line plots of
sequences, latent interpolations and a montage of a run's grids. Which one a run's samples get is its kind of
data's choice (:meth:`gan_lightning.kinds.DataKind.draw`)."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: training machines have no display

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from PIL import Image, ImageDraw
from torch import Tensor
from torchvision.utils import save_image


def save_image_grid(images: Tensor, path: str | os.PathLike[str], nrow: int | None = None) -> None:
    """Images with values in [0, 1], shape ``(N, C, H, W)``, as one PNG grid (square by default)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_image(images.detach().float().cpu(), str(path), nrow=nrow or math.ceil(math.sqrt(len(images))), padding=2)


def save_scatter(points: Tensor, path: str | os.PathLike[str], centres: Tensor | None = None, title: str = "") -> None:
    """2D samples as a scatter plot, with the true mode centres marked when given."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    points = points.detach().float().cpu()
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.5, label="samples")
    if centres is not None:
        ax.scatter(centres[:, 0], centres[:, 1], s=40, marker="x", c="red", label="mode centres")
        span = float(centres.abs().max()) * 1.5 + 0.5
        ax.set_xlim(-span, span)
        ax.set_ylim(-span, span)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def save_sequences(
    sequences: Tensor, path: str | os.PathLike[str], title: str = "", columns: int = 4, rows: int = 4
) -> None:
    """Sequences ``(N, T, C)`` as small multiples: one panel per sequence, one line per feature."""
    sequences = sequences.detach().float().cpu()[: columns * rows]
    rows = math.ceil(len(sequences) / columns)
    figure = Figure(figsize=(2.4 * columns, 1.6 * rows + 0.4), dpi=100)
    axes = figure.subplots(rows, columns, squeeze=False, sharex=True, sharey=True)
    for index, panel in enumerate(axes.flat):
        if index < len(sequences):
            panel.plot(sequences[index].numpy(), linewidth=1)
        else:
            panel.set_axis_off()
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)


def slerp(start: Tensor, end: Tensor, steps: int) -> Tensor:
    """``steps`` points on the great circle from each row of ``start`` to the same row of ``end``.

    Spherical, not linear: Gaussian latents concentrate near a sphere, and a straight line between
    two of them passes through low-norm codes the generator never saw in training (White, 2016).
    Returns ``(rows, steps, latent_dim)``; nearly parallel pairs fall back to linear interpolation.
    """
    weights = torch.linspace(0, 1, steps, dtype=start.dtype, device=start.device).view(1, steps, 1)
    cosine = torch.nn.functional.cosine_similarity(start, end, dim=1).clamp(-1, 1).view(-1, 1, 1)
    angle = torch.arccos(cosine)
    sine = torch.sin(angle)
    parallel = sine.abs() < 1e-6
    safe_sine = torch.where(parallel, torch.ones_like(sine), sine)
    from_start = torch.where(parallel, 1 - weights, torch.sin((1 - weights) * angle) / safe_sine)
    to_end = torch.where(parallel, weights, torch.sin(weights * angle) / safe_sine)
    return from_start * start.unsqueeze(1) + to_end * end.unsqueeze(1)


def save_montage(
    pictures: Sequence[tuple[str, str | os.PathLike[str]]],
    path: str | os.PathLike[str],
    tile: int = 192,
    padding: int = 8,
    label_height: int = 16,
) -> None:
    """Labelled pictures side by side in one PNG, each shrunk to fit ``tile`` px (never enlarged).

    Every cell is as large as the largest shrunk picture, so a run's grids (all one size) line up.
    """
    thumbnails = []
    for _, picture in pictures:
        with Image.open(picture) as image:
            thumbnail = image.convert("RGB")
        thumbnail.thumbnail((tile, tile))
        thumbnails.append(thumbnail)
    cell_width = max(t.width for t in thumbnails)
    cell_height = max(t.height for t in thumbnails)
    canvas = Image.new(
        "RGB",
        (len(thumbnails) * (cell_width + padding) + padding, cell_height + label_height + 2 * padding),
        "white",
    )
    draw = ImageDraw.Draw(canvas)
    for index, ((label, _), thumbnail) in enumerate(zip(pictures, thumbnails, strict=True)):
        left = padding + index * (cell_width + padding)
        canvas.paste(thumbnail, (left + (cell_width - thumbnail.width) // 2, padding))
        draw.text((left, padding + cell_height + 2), label, fill="black")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path)
