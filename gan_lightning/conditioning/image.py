"""Image translation (paired data, pix2pix): every sample is the translation of one input image.

Batches arrive in pix2pix's A -> B order, ``(inputs, targets)``; G maps each input to an image (its noise is
dropout, ``latent_size`` 0) and D judges (input, image) pairs. Evaluation scores the outputs for the evaluation
inputs (:meth:`ImageConditioning.evaluation_source`): the translation scores compare each with its target
(:mod:`gan_lightning.metrics.translation`), and the feature metrics that compare features (``fid``, ``kid``, ``pr``)
score the outputs against the targets.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from gan_lightning.conditioning import (
    CLISamples,
    Conditioning,
    ConditioningError,
    register_conditioning,
)
from gan_lightning.data import build_datamodule
from gan_lightning.data.image_folder import IMAGE_EXTENSIONS, iter_image_files
from gan_lightning.generating import Generating
from gan_lightning.metrics.suite import EvaluationOptions, GeneratedSet, real_subset, score
from gan_lightning.visualization import save_image_grid

if TYPE_CHECKING:
    from gan_lightning.config.schema import ExperimentConfig
    from gan_lightning.data.base import GANDataModule
    from gan_lightning.kinds import DataKind


@register_conditioning("image")
class ImageConditioning(Conditioning):
    """One input image of shape ``input_shape`` per sample."""

    name = "image"
    description = "image-translation"
    how_to_use = "they need paired data (data.name=paired_folder or fashion_edges)"
    samples_from_latents = False

    def __init__(self, config: ExperimentConfig | None, input_shape: Sequence[int]) -> None:
        super().__init__(config)
        self.input_shape = tuple(int(d) for d in input_shape)

    def state(self) -> dict[str, Any]:
        return {"name": self.name, "input_shape": list(self.input_shape)}

    @classmethod
    def from_datamodule(cls, datamodule: GANDataModule, config: ExperimentConfig) -> ImageConditioning:
        return cls(config, datamodule.input_shape)  # type: ignore[attr-defined]

    def network_args(self) -> dict[str, Any]:
        return {"condition_shape": self.input_shape}

    # ------------------------------------------------------------------ training
    def split_batch(self, batch: Any, dtype: torch.dtype) -> tuple[Tensor, Tensor | None]:
        inputs, targets = batch
        return targets, inputs.to(dtype)

    def training_conditions(self, module: Generating, real_conditions: Tensor | None, num: int) -> Tensor | None:
        return real_conditions  # each generated image translates the input of the real pair beside it

    # ------------------------------------------------------------------ sampling
    def complete(
        self, module: Generating, num: int | None, noise: Tensor | None, condition: Tensor | None, generator: Any
    ) -> tuple[Tensor, Tensor | None]:
        if condition is None:
            raise ConditioningError("an image-translation generator needs input images")
        noise = torch.empty(len(condition), 0) if noise is None else noise
        return noise, condition.to(module.device, module.dtype)

    def evaluation_conditions(self, num: int, seed: int) -> Tensor | None:
        raise ConditioningError("image translation is evaluated on the data's input images, not drawn conditions")

    @classmethod
    def picture_pairs(cls, datamodule: GANDataModule, count: int) -> tuple[Tensor, Tensor]:
        """The first ``count`` training pairs: inputs in the networks' range, ``uint8`` targets."""
        inputs = datamodule.evaluation_inputs("train")[:count]  # type: ignore[attr-defined]
        return datamodule.to_model_space(inputs.clone()), datamodule.evaluation_images("train")[:count]

    def picture_batch(self, module: Generating, pairs: tuple[Tensor, Tensor] | None) -> tuple[Tensor, int | None]:
        """Rows of input | output | target."""
        assert pairs is not None, "a translation run's picture needs its pairs (picture_pairs)"
        inputs, targets = pairs
        outputs = module.to_data_space(module.sample(condition=inputs)).cpu()
        return translation_strip(module.kind.to_data_space(inputs), outputs, targets.float() / 255), 3

    # ------------------------------------------------------------------ metrics
    @classmethod
    def check_config(cls, config: ExperimentConfig, kind: type[DataKind]) -> str | None:
        if config.augment.policy:
            return f"augment.policy is not supported for paired data ({config.data.name}): set augment.policy=[]"
        return None

    @classmethod
    def evaluation_source(cls, config: ExperimentConfig, datamodule: GANDataModule) -> Translations:
        return Translations(config, datamodule)

    def evaluate(
        self, module: Generating, config: ExperimentConfig, datamodule: GANDataModule, options: EvaluationOptions
    ) -> tuple[dict[str, float], dict[str, object]]:
        """The translation scores and feature metrics of the outputs for the evaluation inputs (or, with
        ``--copy-input``, of the inputs themselves), and a strip of the first pairs beside the JSON file."""
        cfg = config.metrics
        if options.metrics is None and not module.cfg.metrics.names:  # the pixel scores beside the default fid
            cfg.names = ["l1", "psnr", "ssim", *cfg.names]
        source = self.evaluation_source(config, datamodule)
        targets: Tensor = real_subset(datamodule.evaluation_images(cfg.real_split), cfg.num_real)  # type: ignore[assignment]
        targets = targets.float() / 255
        if options.copy_input:
            outputs = copy_input_outputs(module.kind.to_data_space(source.inputs), targets.shape[1])
            samples = GeneratedSet(lambda i: outputs[i.start : i.stop], len(outputs), source.inputs)
        else:
            samples = source(module, not options.no_ema)
            outputs = samples.all()
        values, details = score(cfg.names, config, datamodule, module, samples, options.step, options.out)
        strip = options.out.with_suffix(".png")
        count = min(len(outputs), 8)
        inputs = module.kind.to_data_space(source.inputs[:count])
        save_image_grid(translation_strip(inputs, outputs[:count], targets[:count]), strip, nrow=3)
        details.update(
            extractor=cfg.extractor,
            num_real=len(outputs),
            real_split=cfg.real_split,
            outputs="copied inputs" if options.copy_input else "generator",
            translation_mode=cfg.translation_mode,
            num_generated=len(outputs),
            strip=str(strip),
        )
        return values, details

    # ------------------------------------------------------------------ sample.py
    def cli_samples(self, module: Generating, args: argparse.Namespace) -> CLISamples:
        """The translations of the first ``--num`` images of ``--inputs`` (a file or a folder), decoded the way the
        run's DataModule decodes its inputs; the picture has rows of input | output."""

        if args.classes is not None:
            raise ConditioningError("--class needs a class-conditional checkpoint; this one translates images")
        if args.inputs is None:
            raise ConditioningError("this checkpoint translates images: give --inputs FILE_OR_FOLDER")
        source = Path(args.inputs)
        files = [str(source)] if source.is_file() else list(iter_image_files(str(source), IMAGE_EXTENSIONS))
        if not files:
            raise ConditioningError(f"--inputs {source}: no image files there")
        datamodule = build_datamodule(module.cfg)
        pixels = datamodule.decode_inputs(files[: args.num])  # type: ignore[attr-defined]
        inputs = datamodule.to_model_space(pixels.clone())
        outputs = module.to_data_space(module.sample(condition=inputs, use_ema=not args.no_ema)).cpu()
        pair = (pixels.float() / 255, outputs)
        channels = max(t.shape[1] for t in pair)
        picture = torch.stack([t.expand(-1, channels, -1, -1) for t in pair], dim=1).flatten(0, 1)
        return CLISamples(outputs, {"inputs": pixels.float() / 255}, picture, columns=2)


class Translations:
    """The outputs for the evaluation inputs, a run's :meth:`ImageConditioning.evaluation_source`:
    ``metrics.num_real`` inputs of ``metrics.real_split`` (the seeded subset the targets are,
    :func:`~gan_lightning.metrics.suite.real_subset`), loaded once and translated ``metrics.batch_size`` at a time with
    the generator in ``metrics.translation_mode`` (eval, or pix2pix's test-time train mode). Every rank translates all
    of them: the outputs are the same on every rank."""

    def __init__(self, config: ExperimentConfig, datamodule: GANDataModule) -> None:
        cfg = config.metrics
        inputs: Tensor = real_subset(datamodule.evaluation_inputs(cfg.real_split), cfg.num_real)  # type: ignore[attr-defined,assignment]
        self.inputs = datamodule.to_model_space(inputs.clone())
        """Inputs in the networks' value range, ``(N, C, H, W)``."""
        self.batch_size = cfg.batch_size
        self.mode = cfg.translation_mode

    def __call__(self, module: Any, use_ema: bool) -> GeneratedSet:
        outputs = module.sample(condition=self.inputs, use_ema=use_ema, batch_size=self.batch_size, mode=self.mode)
        outputs = module.to_data_space(outputs).cpu()
        return GeneratedSet(lambda i: outputs[i.start : i.stop], len(outputs), self.inputs, use_ema)


def copy_input_outputs(inputs: Tensor, channels: int) -> Tensor:
    """The baseline that outputs its input (in [0, 1]) unchanged, with the targets' ``channels``."""
    if inputs.shape[1] != channels:
        inputs = inputs.mean(dim=1, keepdim=True).expand(-1, channels, -1, -1)
    return inputs


def translation_strip(inputs: Tensor, outputs: Tensor, targets: Tensor) -> Tensor:
    """Rows of input | output | target (images in [0, 1]); grey images join RGB ones as three equal channels."""
    channels = max(t.shape[1] for t in (inputs, outputs, targets))
    inputs, outputs, targets = (t.cpu().float().expand(-1, channels, -1, -1) for t in (inputs, outputs, targets))
    return torch.stack([inputs, outputs, targets], dim=1).flatten(0, 1)
