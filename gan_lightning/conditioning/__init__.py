"""What generated samples are conditioned on, decided once and orthogonal to the kind of data.

A run is *unconditional* (``none``), *class-conditional* (``classes``: one class label per sample) or an *image
translation* (``image``: one input image per sample, pix2pix). A :class:`Conditioning` answers every question
that used to be a branch on ``num_classes`` or ``condition_shape``:

* how a training batch splits into samples and their conditions (:meth:`~Conditioning.split_batch`);
* what a training step's generated samples are conditioned on (:meth:`~Conditioning.training_conditions`);
* what a sampler asks for when the caller gives nothing (:meth:`~Conditioning.complete`), and what evaluation
  asks for (:meth:`~Conditioning.evaluation_conditions`);
* the fixed picture grid, its rows and the latent walks (:meth:`~Conditioning.grid`,
  :meth:`~Conditioning.picture_batch`, :meth:`~Conditioning.walk_conditions`);
* the extra network constructor arguments (:meth:`~Conditioning.network_args`);
* the samples an evaluation scores (:meth:`~Conditioning.evaluation_source`) and ``evaluate.py``'s report (which
  metrics fit it is each metric's own declaration, :mod:`gan_lightning.metrics.suite`);
* what ``sample.py`` draws (:meth:`~Conditioning.cli_samples`).

A class-conditional video or audio run therefore needs no kind of its own: the kind says what a sample is, the
conditioning what it is asked for. The state a conditioning needs to rebuild itself without the dataset (the
class counts, the input shape) is saved in the checkpoint's hyperparameters (:meth:`~Conditioning.state`).

To add one: a new file in this folder with a :class:`Conditioning` subclass decorated with
``@register_conditioning("<name>")``, and a DataModule whose ``conditioning_name`` returns that name
(docs/FORKING.md).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import Tensor

from gan_lightning.generating import Generating
from gan_lightning.metrics.suite import EvaluationOptions, SampleSource, latent_samples
from gan_lightning.registry import import_package_modules, registrar

if TYPE_CHECKING:
    from gan_lightning.config.schema import ExperimentConfig
    from gan_lightning.data.base import GANDataModule
    from gan_lightning.kinds import DataKind


class ConditioningError(ValueError):
    """A request the run's conditioning cannot serve; ``str(error)`` is one line naming the fix."""


class Conditioning:
    """No conditioning: every sample comes from its latent alone. The base of the other conditionings."""

    name: ClassVar[str] = "none"
    description: ClassVar[str] = "unconditional"
    """How error messages name runs of this conditioning."""
    how_to_use: ClassVar[str] = "set data.conditional=false and use unpaired data"
    """What a config changes to have this conditioning (said when a metric needs it)."""
    samples_from_latents: ClassVar[bool] = True
    """Whether samples can be drawn from latents alone, without input data (not so for image translation)."""

    def __init__(self, config: ExperimentConfig | None = None) -> None:
        self.config = config

    # ------------------------------------------------------------------ rebuilding
    def state(self) -> dict[str, Any]:
        """What rebuilds this conditioning without the dataset (saved in the checkpoint's hyperparameters)."""
        return {"name": self.name}

    @classmethod
    def from_state(cls, values: Mapping[str, Any], config: ExperimentConfig) -> Conditioning:
        """The conditioning :meth:`state` describes (``values`` without its ``name``)."""
        return cls(config, **values)

    @classmethod
    def from_datamodule(cls, datamodule: GANDataModule, config: ExperimentConfig) -> Conditioning:
        """The conditioning of a loaded DataModule (``setup`` has run)."""
        return cls(config)

    def network_args(self) -> dict[str, Any]:
        """Extra keywords for the generator and discriminator constructors (``num_classes``, ``condition_shape``)."""
        return {}

    # ------------------------------------------------------------------ training
    def split_batch(self, batch: Any, dtype: torch.dtype) -> tuple[Tensor, Tensor | None]:
        """``(samples, conditions)`` of a transferred training batch; conditions are None when there are none."""
        return batch, None

    def training_conditions(self, module: Generating, real_conditions: Tensor | None, num: int) -> Tensor | None:
        """What the ``num`` generated samples of one D update are conditioned on."""
        return None

    # ------------------------------------------------------------------ sampling
    def complete(
        self, module: Generating, num: int | None, noise: Tensor | None, condition: Tensor | None, generator: Any
    ) -> tuple[Tensor, Tensor | None]:
        """``(noise, condition)`` for :meth:`GANModule.sample`: what the caller left out, drawn with ``generator``."""
        if condition is not None:
            raise ConditioningError("a condition was given, but this generator is unconditional")
        return latents(module, num, noise, generator), None

    def evaluation_conditions(self, num: int, seed: int) -> Tensor | None:
        """What ``num`` evaluation samples are asked for (the same on every rank and call)."""
        return None

    def grid(self, latent_size: int, size: int, generator: torch.Generator) -> tuple[Tensor, Tensor | None, int | None]:
        """``(noise, conditions, columns)`` of the fixed picture grid (``columns`` None: about square)."""
        return torch.randn(size, latent_size, generator=generator), None, None

    def picture_batch(self, module: Generating, pairs: tuple[Tensor, Tensor] | None) -> tuple[Tensor, int | None]:
        """The samples of the periodic picture, in data space, and how many go in a row."""
        samples = module.sample(noise=module.fixed_noise, condition=module.fixed_conditions)
        return module.to_data_space(samples), module.grid_columns

    @classmethod
    def picture_pairs(cls, datamodule: GANDataModule, count: int) -> tuple[Tensor, Tensor] | None:
        """Real ``(conditions, samples)`` the periodic picture shows beside the outputs (translation); else None."""
        return None

    def walk_conditions(self, rows: int, steps: int) -> Tensor | None:
        """What each latent walk of ``interpolation.png`` is conditioned on (one row per walk)."""
        return None

    # ------------------------------------------------------------------ metrics
    @classmethod
    def check_config(cls, config: ExperimentConfig, kind: type[DataKind]) -> str | None:
        """A one-line problem with ``config`` under this conditioning, else None."""
        return None

    @classmethod
    def evaluation_source(cls, config: ExperimentConfig, datamodule: GANDataModule) -> SampleSource:
        """``(module, use_ema) -> GeneratedSet``: what every evaluation of the run scores, ``metrics.num_generated``
        samples from latents seeded by the run's seed (and the classes :meth:`evaluation_conditions` asks for)."""
        num, seed = config.metrics.num_generated, config.seed
        return lambda module, use_ema: latent_samples(module, num, seed, use_ema)

    def evaluate(
        self, module: Generating, config: ExperimentConfig, datamodule: GANDataModule, options: EvaluationOptions
    ) -> tuple[dict[str, float], dict[str, object]]:
        """``scripts/evaluate.py``'s values and details (what they were computed on)."""
        if options.copy_input:
            raise ConditioningError("--copy-input scores image translation; this checkpoint does not translate images")
        return type(module.kind).evaluate(module, config, datamodule, options)

    # ------------------------------------------------------------------ sample.py
    def cli_samples(self, module: Generating, args: argparse.Namespace) -> CLISamples:
        """``scripts/sample.py``'s samples. ``args`` holds ``num``, ``seed``, ``device``, ``no_ema`` and the
        conditioning options ``classes`` and ``inputs``."""
        self.reject_cli_options(args)
        generator = torch.Generator(device=args.device).manual_seed(args.seed)
        samples = module.sample(noise=module.latent(args.num, generator), use_ema=not args.no_ema)
        return CLISamples(module.to_data_space(samples).cpu())

    def reject_cli_options(self, args: argparse.Namespace) -> None:
        """One line for a ``sample.py`` option this conditioning cannot take."""
        if args.classes is not None:
            raise ConditioningError("--class needs a class-conditional checkpoint; this one is not")
        if args.inputs is not None:
            raise ConditioningError("--inputs needs an image-translation checkpoint; this one is not")


@dataclass
class CLISamples:
    """What ``scripts/sample.py`` writes: ``samples`` (data space) and ``arrays`` in its ``.npz``; ``picture`` (the
    samples unless given) with ``columns`` per row in its ``.png``."""

    samples: Tensor
    arrays: dict[str, Tensor] = field(default_factory=dict)
    picture: Tensor | None = None
    columns: int | None = None


def latents(module: Generating, num: int | None, noise: Tensor | None, generator: Any) -> Tensor:
    """``noise`` when given, else ``num`` latents drawn with ``generator``; one line when neither is given."""
    if noise is not None:
        return noise
    if num is None:
        raise ConditioningError("sample() needs num or noise")
    return module.latent(num, generator)


CONDITIONINGS: dict[str, type[Conditioning]] = {Conditioning.name: Conditioning}
register_conditioning: Callable[[str], Callable[[type[Conditioning]], type[Conditioning]]] = registrar(
    CONDITIONINGS, "conditioning"
)


def build_conditioning(state: Mapping[str, Any], config: ExperimentConfig) -> Conditioning:
    """The conditioning a checkpoint's ``state`` describes (see :meth:`Conditioning.state`)."""
    values = dict(state)
    name = values.pop("name")
    if name not in CONDITIONINGS:
        raise ConditioningError(f"unknown conditioning {name!r}; known: {', '.join(CONDITIONINGS)}")
    return CONDITIONINGS[name].from_state(values, config)


__all__ = [
    "CONDITIONINGS",
    "CLISamples",
    "Conditioning",
    "ConditioningError",
    "build_conditioning",
    "latents",
    "register_conditioning",
]

import_package_modules(__name__)
