"""Class-conditional runs (``data.conditional=true``): every sample is asked for one class label.

The classes of generated samples are decided here and nowhere else, by ``train.fake_labels``:

* ``uniform``: every class equally likely;
* ``data``: the training set's class frequencies (:attr:`ClassConditioning.class_counts`).

Training and sampling draw them from a random generator (:meth:`ClassConditioning.draw`: the shared noise RNG in
training, so W ranks draw what one process would; the caller's generator when sampling). Evaluation asks for a
fixed set (:meth:`ClassConditioning.evaluation_conditions`): the same distribution, stratified under ``uniform``
(class ``i % K`` for sample ``i``, each class equally often) and a seeded draw under ``data``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from gan_lightning.conditioning import (
    CLISamples,
    Conditioning,
    ConditioningError,
    latents,
    register_conditioning,
)
from gan_lightning.generating import Generating

if TYPE_CHECKING:
    from gan_lightning.config.schema import ExperimentConfig
    from gan_lightning.data.base import GANDataModule
    from gan_lightning.kinds import DataKind


@register_conditioning("classes")
class ClassConditioning(Conditioning):
    """One class label per sample; ``class_counts`` are the training images per class (their number is the number
    of classes)."""

    name = "classes"
    description = "class-conditional"
    how_to_use = "set data.conditional=true (datasets with classes: mnist, fashion_mnist, cifar10, imagefolder)"

    def __init__(self, config: ExperimentConfig | None, class_counts: Sequence[int]) -> None:
        super().__init__(config)
        self.class_counts = [int(n) for n in class_counts]
        self.num_classes = len(self.class_counts)
        self.policy = "uniform" if config is None else config.train.fake_labels
        counts = torch.tensor(self.class_counts, dtype=torch.float64)
        self.label_probs = counts / counts.sum()

    def state(self) -> dict[str, Any]:
        return {"name": self.name, "class_counts": list(self.class_counts)}

    @classmethod
    def from_datamodule(cls, datamodule: GANDataModule, config: ExperimentConfig) -> ClassConditioning:
        return cls(config, datamodule.class_counts())

    def network_args(self) -> dict[str, Any]:
        return {"num_classes": self.num_classes}

    # ------------------------------------------------------------------ the one way labels are drawn
    def draw(self, size: tuple[int, ...], generator: torch.Generator | None, device: torch.device) -> Tensor:
        """Labels of generated samples, drawn by ``train.fake_labels`` with ``generator`` (on ``device``)."""
        if self.policy == "data":
            return torch.multinomial(self.label_probs.to(device), size[0], replacement=True, generator=generator)
        return torch.randint(self.num_classes, size, generator=generator, device=device)

    def evaluation_conditions(self, num: int, seed: int) -> Tensor:
        if self.policy == "data":
            generator = torch.Generator().manual_seed(seed)
            return torch.multinomial(self.label_probs, num, replacement=True, generator=generator)
        return torch.arange(num) % self.num_classes

    # ------------------------------------------------------------------ training
    def split_batch(self, batch: Any, dtype: torch.dtype) -> tuple[Tensor, Tensor | None]:
        images, labels = batch
        return images, labels

    def training_conditions(self, module: Generating, real_conditions: Tensor | None, num: int) -> Tensor:
        return module.shared_draw(self.draw, num)

    # ------------------------------------------------------------------ sampling
    def complete(
        self, module: Generating, num: int | None, noise: Tensor | None, condition: Tensor | None, generator: Any
    ) -> tuple[Tensor, Tensor | None]:
        drawn = noise is None
        noise = latents(module, num, noise, generator)
        if drawn and condition is None:  # labels drawn after the noise, with the same generator
            device = generator.device if generator is not None else module.device
            condition = self.draw((len(noise),), generator, device)
        if condition is None:
            raise ConditioningError("a class-conditional generator needs a label per latent")
        labels = condition.to(module.device)
        if len(labels) != len(noise) or labels.min() < 0 or labels.max() >= self.num_classes:
            raise ConditioningError(f"need one label in [0, {self.num_classes}) per latent; got {labels.tolist()[:8]}")
        return noise, labels

    def grid(self, latent_size: int, size: int, generator: torch.Generator) -> tuple[Tensor, Tensor | None, int | None]:
        """One row per class, the same noise down every column: only the label changes along a column."""
        columns = max(1, size // self.num_classes)
        noise = torch.randn(columns, latent_size, generator=generator)
        return noise.repeat(self.num_classes, 1), torch.arange(self.num_classes).repeat_interleave(columns), columns

    def walk_conditions(self, rows: int, steps: int) -> Tensor:
        """Walk ``r`` stays in class ``r`` (modulo the number of classes)."""
        return (torch.arange(rows) % self.num_classes).repeat_interleave(steps)

    # ------------------------------------------------------------------ metrics
    @classmethod
    def check_config(cls, config: ExperimentConfig, kind: type[DataKind]) -> str | None:
        pack = config.discriminator.pack
        if pack != 1:
            return f"discriminator.pack={pack} mixes samples of several classes; use pack 1 with data.conditional"
        return None

    # ------------------------------------------------------------------ sample.py
    def cli_samples(self, module: Generating, args: argparse.Namespace) -> CLISamples:
        """``--class K ...``: ``--num`` samples of each class, a row per class; else ``--num`` of drawn classes."""
        if args.inputs is not None:
            raise ConditioningError("--inputs needs an image-translation checkpoint; this one is class-conditional")
        generator = torch.Generator(device=args.device).manual_seed(args.seed)
        labels = None
        if args.classes is not None:
            wrong = [k for k in args.classes if not 0 <= k < self.num_classes]
            if wrong:
                raise ConditioningError(f"--class {wrong}: the checkpoint has classes 0 to {self.num_classes - 1}")
            labels = torch.tensor(args.classes).repeat_interleave(args.num)
        count = args.num if labels is None else len(labels)
        noise, labels = self.complete(module, count, None, labels, generator)
        samples = module.to_data_space(module.sample(noise=noise, condition=labels, use_ema=not args.no_ema)).cpu()
        return CLISamples(samples, {"labels": labels.cpu().to(torch.int64)}, columns=args.num if args.classes else None)
