"""Feature matching (Salimans et al. 2016, "Improved Techniques for Training GANs", section 3.1).

G is also asked to match the statistics of real data as D sees them: the mean, over a batch, of D's features (the
input of the layer that makes D's logit) on the real samples and on the generated ones. Unlike the adversarial term,
this signal does not vanish when D wins outright, and it pulls G towards the whole batch's statistics rather than
towards whatever single sample D currently rates highest, which is why it is a remedy for collapse and for a
discriminator that learns much faster than its generator (MelGAN and HiFi-GAN train waveform generators with a feature
matching term beside the adversarial one).

Which layer's input counts as the features is the discriminator's to say: every discriminator names it in a class
attribute ``feature_layer``, a dotted path to a submodule (``"logit"``, or ``"net.-1"`` for the last layer of a
``Sequential``); :func:`captured_features` hooks it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn


def feature_layer(network: nn.Module) -> nn.Module:
    """The submodule ``network.feature_layer`` names; integer parts index a ``Sequential`` (negative ones from the
    end)."""
    module = network
    for part in network.feature_layer.split("."):
        module = module[int(part)] if part.lstrip("-").isdigit() else getattr(module, part)  # type: ignore[index]
    return module


@contextmanager
def captured_features(network: nn.Module) -> Iterator[list[Tensor]]:
    """The features (the input of :func:`feature_layer`) of every forward pass of ``network`` inside the block, in
    call order."""
    seen: list[Tensor] = []
    handle = feature_layer(network).register_forward_pre_hook(lambda _layer, inputs: seen.append(inputs[0]))
    try:
        yield seen
    finally:
        handle.remove()


def feature_matching(
    real_features: Tensor, fake_features: Tensor, batch_mean: Callable[[Tensor], Tensor] | None = None
) -> Tensor:
    """The squared distance between the batch means of ``real_features`` and ``fake_features`` (each ``(N, ...)``),
    averaged over the feature elements: Salimans et al.'s squared L2 norm divided by the number of features, so one
    weight carries across widths. Only the generated side carries a gradient.

    ``batch_mean`` turns a rank's batch mean into the global batch's (an average across ranks that keeps the
    gradient), so 2 ranks x batch B give the loss of 1 process x batch 2B; None on one process.
    """
    at_least_float32 = torch.promote_types(fake_features.dtype, torch.float32)  # bf16/fp16 up, float64 kept
    means = [features.to(at_least_float32).flatten(1).mean(0) for features in (real_features.detach(), fake_features)]
    real, fake = means if batch_mean is None else [batch_mean(mean) for mean in means]
    return (real - fake).pow(2).mean()
