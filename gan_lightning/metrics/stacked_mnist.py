"""Stacked MNIST's mode count (VEEGAN's protocol, Srivastava et al. 2017; PacGAN's Table 2; R3GAN's Table 2): each
channel of a generated image read by the shipped MNIST classifier, the image's mode the triple of digits named
(1,000 modes), then the modes covered (at least one sample, of ``metrics.num_generated``: 26,000 in the protocol)
and KL(generated modes ‖ uniform) in nats.

``metrics.extractor: stacked_mnist_classifier`` is the reader: its class logits are the 1,000 triples' joint
log-probabilities (channels read independently, so the arg-max is the triple of per-channel arg-maxes), its
features the three channels' 128-d features side by side (a classifier FID of the stacks). ``metrics.names:
[stacked_modes]`` is the count, on those logits, for unconditional and class-conditional runs
(:mod:`gan_lightning.data.stacked_mnist`).
"""

from __future__ import annotations

from torch import Tensor, nn

from gan_lightning.config.schema import MetricsConfig
from gan_lightning.metrics.class_coverage import ClassCoverage
from gan_lightning.metrics.classifier import DigitClassifier
from gan_lightning.metrics.extractors import EXTRACTORS, register_extractor
from gan_lightning.metrics.features import feature_metric
from gan_lightning.metrics.suite import register_metric


class StackedDigitReader(nn.Module):
    """``(features (N, 3 · 128), logits (N, 1000))`` of float images ``(N, 3, H, W)`` in [0, 1]: ``classifier`` on
    each channel as a grey digit; logit ``100 r + 10 g + b`` is ``log p(r) + log p(g) + log p(b)``."""

    def __init__(self, classifier: DigitClassifier) -> None:
        super().__init__()
        self.classifier = classifier
        self.name = "stacked_mnist_classifier"
        self.preprocessing = f"each channel as a grey digit; {classifier.preprocessing}"

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"stacked MNIST images are (N, 3, H, W); got {tuple(images.shape)}")
        batch = images.shape[0]
        features, logits = self.classifier(images.reshape(batch * 3, 1, *images.shape[2:]))
        red, green, blue = logits.log_softmax(dim=1).view(batch, 3, -1).unbind(dim=1)
        joint = red[:, :, None, None] + green[:, None, :, None] + blue[:, None, None, :]
        return features.reshape(batch, -1), joint.flatten(1)


@register_extractor("stacked_mnist_classifier")
def _stacked_reader(cfg: MetricsConfig) -> nn.Module:
    return StackedDigitReader(EXTRACTORS["mnist_classifier"](cfg))  # type: ignore[arg-type]


register_metric("stacked_modes")(
    feature_metric(
        # covered at one sample: the bar is covered_share / classes of the samples
        lambda s: ClassCoverage(s.width, covered_share=s.width / s.num_generated),
        ("modes_covered", "mode_kl"),
        ("mode_kl", "min"),
        on="logits",
    )
)
