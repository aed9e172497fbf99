"""Callbacks that watch a run: sample pictures and mode metrics."""

from gan_lightning.callbacks.sample_images import SampleImages
from gan_lightning.callbacks.toy_metrics import ToyModeMetrics

__all__ = ["SampleImages", "ToyModeMetrics"]
