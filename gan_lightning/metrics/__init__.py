"""Sample-quality metrics."""

from gan_lightning.metrics.toy_modes import toy_mode_metrics

__all__ = ["toy_mode_metrics"]
