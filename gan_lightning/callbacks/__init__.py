"""Callbacks that watch a run: sample pictures, training curves, the wandb run id (metrics: ``evaluation.py``)."""

from gan_lightning.callbacks.sample_images import SampleImages
from gan_lightning.callbacks.training_curves import TrainingCurves
from gan_lightning.callbacks.wandb_run import WandbRunId

__all__ = ["SampleImages", "TrainingCurves", "WandbRunId"]
