"""Video clips stored as ``uint8`` frames ``(N, T, C, H, W)``: what every video dataset shares.

A clip is served to the networks as ``(T, C, H, W)`` in the generator's output range, frame by frame like an image
(:class:`~gan_lightning.data.base.ImageSpace` maps the pixels), and declares the ``video`` kind of data
(:mod:`gan_lightning.kinds.video`), which owns its pictures, metrics and networks.
"""

from __future__ import annotations

from gan_lightning.data.base import ImageSpace


class VideoSpace(ImageSpace):
    """Clips of ``uint8`` frames in the generator's output range; generated clips map back to [0, 1]."""

    kind_name = "video"

    def clip_options(self) -> dict[str, object] | None:
        """What makes this dataset's clips what they are, when it can render labelled clips of its own (``render``)
        to train the ``clip_fd`` evaluator on: the evaluator's cache key. None: it cannot (users' clip folders)."""
        return None

    @property
    def digit_window(self) -> int | None:
        """The side in pixels of the window around a frame's centre of mass through which the video metrics' digit
        classifier reads the frame (a dataset of digits of known size sets it); None: the whole frame."""
        return None

    @property
    def digits_per_frame(self) -> int:
        """How many digits each frame shows, each read through its own ``digit_window`` by the video metrics."""
        return 1
