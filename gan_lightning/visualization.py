"""Pictures of samples: image grids and 2D scatter plots over the mixture's mode centres."""

from __future__ import annotations

import math
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: training machines have no display

import matplotlib.pyplot as plt
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


def save_samples(samples: Tensor, path: str | os.PathLike[str], centres: Tensor | None = None, title: str = "") -> None:
    """Grid for images ``(N, C, H, W)`` in [0, 1], scatter plot for 2D points ``(N, 2)``."""
    if samples.dim() == 4:
        save_image_grid(samples, path)
    elif samples.dim() == 2 and samples.shape[1] == 2:
        save_scatter(samples, path, centres, title)
    else:
        raise ValueError(f"cannot draw samples of shape {tuple(samples.shape)}; expected (N, C, H, W) or (N, 2)")
