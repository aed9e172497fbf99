"""Sample-quality metrics.

New metrics (``register_metric`` in ``sample_quality.py``) and feature extractors
(``register_extractor`` in ``extractors.py``) go in new files in this folder: every module here is
imported below, so they register themselves before a config is validated (docs/FORKING.md).
"""

from gan_lightning.metrics.toy_modes import toy_mode_metrics
from gan_lightning.registry import import_package_modules

__all__ = ["toy_mode_metrics"]

import_package_modules(__name__)
