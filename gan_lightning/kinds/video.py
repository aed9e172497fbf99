"""Video clips ``(T, C, H, W)``: frame strips and animated GIFs, and the video metrics.

Stored as ``uint8`` frames and served in the generator's output range, like images frame by frame;
:meth:`VideoKind.to_data_space` maps generated clips back to pixel intensities in [0, 1]. Every picture is a strip PNG
(one row per clip, its frames left to right) with an animated GIF beside it (every clip of the batch playing in a
grid); loggers get the strip as an image and, where they play video (wandb), the clips.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from lightning.pytorch.loggers import Logger, WandbLogger
from torch import Tensor

from gan_lightning.data.base import images_to_unit_range
from gan_lightning.files import atomic_path
from gan_lightning.kinds import DataKind, Evaluator, register_kind
from gan_lightning.metrics.video_quality import build_clip_evaluator
from gan_lightning.visualization import save_image_grid

if TYPE_CHECKING:
    from gan_lightning.config.schema import ExperimentConfig
    from gan_lightning.data.base import GANDataModule

GIF_FRAME_MS = 125
"""Milliseconds per frame of the animated GIFs (8 frames per second)."""


def clip_grid_frames(clips: Tensor, columns: int | None = None) -> Tensor:
    """``uint8`` ``(T, H', W', C)`` frames: frame ``t`` of every clip of ``clips`` ``(N, T, C, H, W)`` in [0, 1],
    tiled ``columns`` clips per row (about square by default) with a 2-px gap."""
    from torchvision.utils import make_grid

    count = clips.shape[0]
    columns = columns or math.ceil(math.sqrt(count))
    frames = [make_grid(clips[:, t].float(), nrow=columns, padding=2, pad_value=0.5) for t in range(clips.shape[1])]
    return torch.stack(frames).mul(255).round().byte().permute(0, 2, 3, 1)


def save_gif(clips: Tensor, path: str | os.PathLike[str], columns: int | None = None) -> None:
    """An animated, looping GIF of ``clips`` ``(N, T, C, H, W)`` in [0, 1], playing side by side."""
    from PIL import Image

    frames = clip_grid_frames(clips, columns).numpy()
    pictures = [Image.fromarray(frame[..., 0] if frame.shape[-1] == 1 else frame) for frame in frames]
    with atomic_path(path) as partial:
        pictures[0].save(
            partial, format="GIF", save_all=True, append_images=pictures[1:], duration=GIF_FRAME_MS, loop=0
        )


def save_strip(clips: Tensor, path: str | os.PathLike[str]) -> None:
    """A PNG with one row per clip of ``clips`` ``(N, T, C, H, W)`` in [0, 1], its frames left to right."""

    save_image_grid(clips.flatten(0, 1), path, nrow=clips.shape[1])


@register_kind("video")
class VideoKind(DataKind):
    """Clips of ``data_shape`` ``(T, C, H, W)`` in the generator's ``value_range``."""

    name = "video"
    description = "video data (T, C, H, W)"
    picture_suffixes = (".png", ".gif")

    @property
    def frames(self) -> int:
        return self.data_shape[0]

    def to_data_space(self, samples: Tensor) -> Tensor:
        return images_to_unit_range(samples, self.value_range)

    def draw(self, samples: Tensor, path: str | Path, title: str = "", columns: int | None = None) -> None:
        """The strip ``path`` (a PNG, one row per clip) and the same clips as ``path`` with ``.gif``, playing in a grid
        ``columns`` clips wide (the conditioning's grid: a row per class); a ``.gif`` path gets the animation alone."""
        path = Path(path)
        if path.suffix != ".gif":
            save_strip(samples, path)
        save_gif(samples, path.with_suffix(".gif"), columns)

    def log_picture(self, loggers: Iterable[Logger], key: str, path: Path, step: int) -> None:
        """The strip as an image on every logger, and the GIF beside it as a video where a logger plays one (wandb)."""
        super().log_picture(loggers, key, path, step)
        animation = path.with_suffix(".gif")
        for logger in loggers:
            if isinstance(logger, WandbLogger) and animation.is_file():
                import wandb

                logger.experiment.log({f"{key}_video": wandb.Video(os.fspath(animation), format="gif")}, step=step)

    @classmethod
    def build_evaluator(cls, config: ExperimentConfig, datamodule: GANDataModule, rebuild: bool = False) -> Evaluator:
        """The 3D CNN behind ``clip_fd``, trained on rendered clips (ordered vs time-shuffled, and their digit)."""

        return build_clip_evaluator(config, datamodule, rebuild=rebuild)
