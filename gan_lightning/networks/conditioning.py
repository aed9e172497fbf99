"""Class conditioning for the image networks: how a label reaches G and D.

* G, ``conditioning: batchnorm``: :class:`ConditionalBatchNorm` gives every class its own BatchNorm
  scale and shift (de Vries et al. 2017, as in SNGAN's and BigGAN's generators); ``embedding``:
  :class:`LabelEmbedding` concatenates a learned class vector to z (the simplest cGAN input).
* D, ``conditioning: projection``: :class:`ClassHead` adds ``<embed(y), phi(x)>`` to the logit (Miyato &
  Koyama 2018); ``acgan``: it returns class logits from an auxiliary classifier on ``phi(x)`` beside the
  real/fake logit (Odena et al. 2017), which the module trains with a cross-entropy.

Labels travel through the networks' ``nn.Sequential`` containers as :class:`LabelledSequential`, which
hands them to the layers that take them (:class:`TakesLabels`) and calls every other layer as usual.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

GENERATOR_CONDITIONINGS = ("batchnorm", "embedding")
DISCRIMINATOR_CONDITIONINGS = ("projection", "acgan")


BATCH_NORMS: dict[int, type[nn.Module]] = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}
"""BatchNorm by the number of spatial dimensions of what it normalises (0 and 1: vectors and sequences)."""


class TakesLabels:
    """Marks a module whose ``forward`` is ``(x, labels)``: :class:`LabelledSequential` passes the labels on."""


class LabelledSequential(TakesLabels, nn.Sequential):
    """``nn.Sequential`` whose ``forward(x, labels)`` gives ``labels`` to every :class:`TakesLabels` layer.

    Without labels (unconditional networks) it computes exactly what ``nn.Sequential`` computes, with the
    same parameter names, so checkpoints of either load into the other.
    """

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:  # type: ignore[override]
        for layer in self:
            x = layer(x, labels) if isinstance(layer, TakesLabels) else layer(x)
        return x


class ConditionalBatchNorm(TakesLabels, nn.Module):
    """BatchNorm without its own affine transform, then a per-class scale (starting at 1) and shift (at 0), over
    feature maps of ``spatial_dims`` dimensions (2 for images, 3 for clips)."""

    def __init__(self, num_features: int, num_classes: int, spatial_dims: int = 2) -> None:
        super().__init__()
        self.norm = BATCH_NORMS[spatial_dims](num_features, affine=False)
        self.scale = nn.Embedding(num_classes, num_features)
        self.shift = nn.Embedding(num_classes, num_features)
        nn.init.ones_(self.scale.weight)
        nn.init.zeros_(self.shift.weight)

    def forward(self, x: Tensor, labels: Tensor | None) -> Tensor:
        if labels is None:
            raise ValueError("a class-conditional generator needs labels: call it as generator(z, labels)")
        per_channel = (x.shape[0], x.shape[1]) + (1,) * (x.dim() - 2)
        scale = self.scale(labels).view(per_channel)
        shift = self.shift(labels).view(per_channel)
        return self.norm(x) * scale.to(x.dtype) + shift.to(x.dtype)


class LabelEmbedding(nn.Module):
    """z -> ``[z, embed(y)]``: a learned ``latent_dim``-long class vector (N(0, 1) at start, like z) beside z."""

    def __init__(self, num_classes: int, latent_dim: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(num_classes, latent_dim)

    def forward(self, z: Tensor, labels: Tensor | None) -> Tensor:
        if labels is None:
            raise ValueError("a class-conditional generator needs labels: call it as generator(z, labels)")
        return torch.cat([z.flatten(1), self.embed(labels).to(z.dtype)], dim=1)


class ClassHead(nn.Module):
    """What a class-conditional discriminator adds to its unconditional logit, from its flat features phi(x).

    ``projection``: ``logit + <embed(y), phi(x)>``, one embedding row per class (spectrally normalised
    with ``norm="spectral"``, as in Miyato & Koyama). ``acgan``: returns ``(logit, classifier(phi(x)))``.
    """

    def __init__(self, num_features: int, num_classes: int, conditioning: str, norm: str) -> None:
        super().__init__()
        if conditioning not in DISCRIMINATOR_CONDITIONINGS:
            raise ValueError(
                f"unknown discriminator conditioning {conditioning!r}; choose one of {DISCRIMINATOR_CONDITIONINGS}"
            )
        self.conditioning = conditioning
        if conditioning == "projection":
            self.embed = nn.Embedding(num_classes, num_features)
            nn.init.xavier_uniform_(self.embed.weight)
            if norm == "spectral":
                spectral_norm(self.embed)
        else:
            self.classifier = nn.Linear(num_features, num_classes)
            if norm == "spectral":
                spectral_norm(self.classifier)

    def forward(self, logits: Tensor, features: Tensor, labels: Tensor | None) -> Tensor | tuple[Tensor, Tensor]:
        if self.conditioning == "acgan":
            return logits, self.classifier(features)
        if labels is None:
            raise ValueError("a projection discriminator needs labels: call it as discriminator(x, labels)")
        return logits + (self.embed(labels).to(features.dtype) * features).sum(dim=1)


def check_conditional(num_classes: int, pack: int = 1) -> None:
    """Shared constructor checks of the conditional networks."""
    if num_classes < 2:
        raise ValueError(f"a class-conditional network needs at least 2 classes, got {num_classes}")
    if pack != 1:
        raise ValueError(
            f"discriminator.pack={pack} mixes samples of different labels; use pack 1 with data.conditional"
        )


def conditional_input(
    num_classes: int, conditioning: str, norm: str, latent_dim: int
) -> tuple[LabelEmbedding | None, int]:
    """A conditional generator's label embedding (``embedding``) or the class count its BatchNorms take
    (``batchnorm``); ``(None, 0)`` when unconditional."""
    if not num_classes:
        return None, 0
    check_conditional(num_classes)
    if conditioning not in GENERATOR_CONDITIONINGS:
        raise ValueError(f"unknown generator conditioning {conditioning!r}; choose one of {GENERATOR_CONDITIONINGS}")
    if conditioning == "embedding":
        return LabelEmbedding(num_classes, latent_dim), 0
    if norm != "batch":
        raise ValueError(
            f"generator.conditioning=batchnorm needs generator.norm=batch, not {norm!r} (or use embedding)"
        )
    return None, num_classes
