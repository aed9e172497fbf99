"""Feature extractors for the sample-quality metrics, chosen by ``metrics.extractor``.

An extractor is any ``nn.Module`` whose ``forward`` maps images with pixel values in [0, 1],
``(N, C, H, W)``, to features ``(N, D)``, or to ``(features, class logits)`` when it also
classifies (the Inception Score and class coverage use the logits). Optional attributes: ``name``
(used in the real-feature cache key and the logged names) and ``preprocessing`` (a description that
is part of the cache key, so changing it invalidates cached features).

To add one: in a new file in ``gan_lightning/metrics/``, decorate a builder ``MetricsConfig -> nn.Module``
with ``@register_extractor("<name>")`` (that package imports all its modules, docs/FORKING.md).
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from gan_lightning.config.schema import MetricsConfig
from gan_lightning.metrics.classifier import load_classifier
from gan_lightning.metrics.inception import InceptionExtractor, resolve_inception_weights
from gan_lightning.metrics.suite import MetricError
from gan_lightning.registry import registrar


def _inception(cfg: MetricsConfig) -> nn.Module:
    return InceptionExtractor(resolve_inception_weights(cfg.inception_weights, cfg.cache_dir))


def _classifier(dataset: str) -> Callable[[MetricsConfig], nn.Module]:
    def build(cfg: MetricsConfig) -> nn.Module:

        try:
            return load_classifier(cfg.classifier_weights, dataset=dataset)
        except (FileNotFoundError, ValueError) as error:  # missing or unreadable weights: one line, no traceback
            raise MetricError(str(error)) from error

    return build


EXTRACTORS: dict[str, Callable[[MetricsConfig], nn.Module]] = {
    "inception": _inception,
    "mnist_classifier": _classifier("mnist"),
    "fashion_mnist_classifier": _classifier("fashion_mnist"),
}
register_extractor = registrar(EXTRACTORS, "feature extractor")


def build_extractor(cfg: MetricsConfig) -> nn.Module:
    """The extractor named by ``cfg.extractor``, in evaluation mode."""
    return EXTRACTORS[cfg.extractor](cfg).eval()


def metric_prefix(extractor: str) -> str:
    """Logged names: ``val/fid`` for the standard Inception features, ``val/<extractor>_fid`` otherwise."""
    return "val/" if extractor == "inception" else f"val/{extractor}_"
