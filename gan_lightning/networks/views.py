"""Views: what of each sample a discriminator judges, so a run can have several discriminators with their own inputs.

``discriminator`` and every entry of ``extra_discriminators`` name a view (``view``, ``view_size``). The module
passes each discriminator its view of the real and generated samples and adds up the adversarial terms, weighted by
``weight``; nothing else knows which view a discriminator has. ``whole`` is the sample as it is; ``frames`` draws
``view_size`` frames at random from each clip and judges them as images (MoCoGAN's image discriminator beside its
video discriminator); ``stft`` (``stft_view.py``) shows a waveform's decibel spectrogram to an image discriminator. A
multi-scale waveform discriminator (a downsampling view) or a patch + global pair for images is one more view.

A view turns ``B`` samples into ``B * expansion`` elements of :attr:`View.shape` for its discriminator, and folds the
logits back to one row per sample (:meth:`View.fold`), so the losses and the penalties see each sample's logits
together: a penalty takes the gradient of each sample's mean logit, whatever the view.

To add one: a :class:`View` subclass decorated with ``@register_view("<name>")`` in this file or a new one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

import torch
from torch import Tensor

from gan_lightning.registry import ANY, registrar

Draw = Callable[..., Tensor]
"""``draw(sampler, num, *shape)``: this rank's ``num`` rows of one draw shared by every rank (the module's
``shared_draw``), so a view's random choices keep W ranks equivalent to one process."""


class View:
    """The whole sample. Subclasses set :attr:`name`, :attr:`data_kinds` and :attr:`element_kind` and override
    :attr:`shape`, :attr:`expansion` and :meth:`__call__`.

    Args:
        data_shape: one sample as the generator makes it.
        size: the view's one option (``view_size``): frames per clip for ``frames``.
    """

    name: ClassVar[str] = "whole"
    data_kinds: ClassVar[tuple[str, ...]] = (ANY,)
    """The kinds of data whose samples this view can cut (``any``: every kind)."""
    element_kind: ClassVar[str | None] = None
    """The kind of data the discriminator sees (its arch must take it); None: the run's own kind."""

    def __init__(self, data_shape: Sequence[int], size: int = 1) -> None:
        self.data_shape = tuple(int(d) for d in data_shape)
        self.size = size

    @classmethod
    def cuts(cls, kind: str) -> bool:
        """Whether this view applies to samples of the kind of data named ``kind``."""
        return kind in cls.data_kinds or ANY in cls.data_kinds

    @property
    def shape(self) -> tuple[int, ...]:
        """One element as the discriminator sees it."""
        return self.data_shape

    @property
    def expansion(self) -> int:
        """Elements per sample."""
        return 1

    def __call__(self, samples: Tensor, draw: Draw) -> Tensor:
        """``(B, *data_shape)`` samples as ``(B * expansion, *shape)`` elements, each sample's consecutive."""
        return samples

    def fold(self, logits: Tensor, batch: int) -> Tensor:
        """D's logits on the elements of ``batch`` samples, one row per sample (or per PacGAN pack of samples)."""
        return logits if self.expansion == 1 else logits.reshape(batch, -1)

    def fold_classes(self, class_logits: Tensor, batch: int) -> Tensor:
        """An auxiliary classifier's logits on the elements, averaged to one row per sample."""
        if self.expansion == 1:
            return class_logits
        return class_logits.reshape(batch, self.expansion, -1).mean(dim=1)

    def repeat(self, condition: Tensor | None) -> Tensor | None:
        """What each element is conditioned on: its sample's condition."""
        if condition is None or self.expansion == 1:
            return condition
        return condition.repeat_interleave(self.expansion, dim=0)


VIEWS: dict[str, type[View]] = {"whole": View}
register_view = registrar(VIEWS, "view")


@register_view("frames")
class FramesView(View):
    """``size`` distinct frames drawn uniformly from each clip ``(T, C, H, W)``, each judged as an image ``(C, H, W)``.

    MoCoGAN's image discriminator judges single frames (``size`` 1), which asks every frame to look real while the
    video discriminator judges the motion. Frames are drawn afresh for every batch, real and generated alike.
    """

    name = "frames"
    data_kinds = ("video",)
    element_kind = "images"

    def __init__(self, data_shape: Sequence[int], size: int = 1) -> None:
        super().__init__(data_shape, size)
        frames = self.data_shape[0]
        if not 1 <= size <= frames:
            raise ValueError(f"view_size={size} frames of a clip of {frames}; use 1 to {frames}")

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data_shape[1:]

    @property
    def expansion(self) -> int:
        return self.size

    def __call__(self, samples: Tensor, draw: Draw) -> Tensor:
        batch, frames = samples.shape[:2]
        chosen = draw(torch.rand, batch, frames).argsort(dim=1)[:, : self.size]
        picked = samples[torch.arange(batch, device=samples.device)[:, None], chosen.to(samples.device)]
        return picked.flatten(0, 1)


def build_view(name: str, data_shape: Sequence[int], size: int) -> View:
    """The view ``name`` of samples of ``data_shape``; a one-line ValueError for what it cannot serve."""
    if name not in VIEWS:
        raise ValueError(f"unknown discriminator view {name!r}; registered: {', '.join(VIEWS)}")
    return VIEWS[name](data_shape, size)
