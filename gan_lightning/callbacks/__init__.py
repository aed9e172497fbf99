"""Callbacks that watch a run: sample pictures, mode metrics, training curves, the wandb run id."""

from gan_lightning.callbacks.sample_images import SampleImages
from gan_lightning.callbacks.toy_metrics import ToyModeMetrics
from gan_lightning.callbacks.training_curves import TrainingCurves
from gan_lightning.callbacks.wandb_run import WandbRunId

__all__ = ["SampleImages", "ToyModeMetrics", "TrainingCurves", "WandbRunId"]
