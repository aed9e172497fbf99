"""Image translation (paired data, pix2pix): every sample is the translation of one input image.

Batches arrive in pix2pix's A -> B order, ``(inputs, targets)``; G maps each input to an image (its noise is
dropout, ``latent_size`` 0) and D judges (input, image) pairs. The metrics compare each output with its target
(:mod:`gan_lightning.callbacks.translation_metrics`), and replace the kind's own sample metrics: the feature
metrics computed on features (``fid``, ``kid``, ``pr``, any registered so) score the outputs against the targets.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightning as L
import torch
from torch import Tensor

from gan_lightning.conditioning import (
    CLISamples,
    Conditioning,
    ConditioningError,
    EvaluationOptions,
    register_conditioning,
)

if TYPE_CHECKING:
    from gan_lightning.config.schema import ExperimentConfig
    from gan_lightning.data.base import GANDataModule
    from gan_lightning.kinds import DataKind
    from gan_lightning.module import GANModule


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

    def training_conditions(self, module: GANModule, real_conditions: Tensor | None, num: int) -> Tensor | None:
        return real_conditions  # each generated image translates the input of the real pair beside it

    # ------------------------------------------------------------------ sampling
    def complete(
        self, module: GANModule, num: int | None, noise: Tensor | None, condition: Tensor | None, generator: Any
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

    def picture_batch(self, module: GANModule, pairs: tuple[Tensor, Tensor] | None) -> tuple[Tensor, int | None]:
        """Rows of input | output | target."""
        assert pairs is not None, "a translation run's picture needs its pairs (picture_pairs)"
        inputs, targets = pairs
        outputs = module.to_data_space(module.sample(condition=inputs)).cpu()
        return translation_strip(module.kind.to_data_space(inputs), outputs, targets.float() / 255), 3

    # ------------------------------------------------------------------ metrics
    @classmethod
    def metric_names(cls, kind: type[DataKind]) -> tuple[str, ...]:
        from gan_lightning.metrics.sample_quality import METRICS
        from gan_lightning.metrics.translation import TRANSLATION_SCORES

        # The feature metrics that compare the outputs' features with the targets' (not those of the outputs' class
        # logits alone, such as the Inception Score).
        features = [name for name, metric in METRICS.items() if metric.on == "features"]
        return (*TRANSLATION_SCORES, *features)

    @classmethod
    def check_config(cls, config: ExperimentConfig, kind: type[DataKind]) -> str | None:
        if config.augment.policy:
            return f"augment.policy is not supported for paired data ({config.data.name}): set augment.policy=[]"
        return None

    @classmethod
    def metric_callbacks(
        cls, kind: type[DataKind], config: ExperimentConfig, datamodule: GANDataModule, run_dir: Path
    ) -> list[L.Callback]:
        from gan_lightning.callbacks.translation_metrics import translation_callbacks

        return translation_callbacks(config, datamodule)

    def evaluate(
        self, module: GANModule, config: ExperimentConfig, datamodule: GANDataModule, options: EvaluationOptions
    ) -> tuple[dict[str, float], dict[str, object]]:
        """L1, PSNR, SSIM, class preservation and the feature metrics of the outputs for the evaluation inputs (or,
        with ``--copy-input``, of the inputs themselves), and a strip of the first pairs beside the JSON file."""
        from gan_lightning.callbacks.translation_metrics import build_translation_evaluation, copy_input_outputs
        from gan_lightning.visualization import save_image_grid

        if options.metrics is None and not module.cfg.metrics.names:  # the pixel scores beside the default fid
            config.metrics.names = ["l1", "psnr", "ssim", *config.metrics.names]
        evaluation = build_translation_evaluation(config, datamodule)
        if options.copy_input:
            outputs = copy_input_outputs(evaluation, module.kind)
        else:
            outputs = evaluation.translate(module, use_ema=not options.no_ema)
        scores = evaluation.score(outputs, module.device)
        values = {name.removeprefix("val/"): value for name, value in scores.items()}
        strip = options.out.with_suffix(".png")
        count = min(len(outputs), 8)
        inputs = module.kind.to_data_space(evaluation.inputs[:count])
        save_image_grid(translation_strip(inputs, outputs[:count], evaluation.targets[:count]), strip, nrow=3)
        details = {
            "extractor": config.metrics.extractor,
            "num_real": len(outputs),
            "real_split": config.metrics.real_split,
            "outputs": "copied inputs" if options.copy_input else "generator",
            "translation_mode": config.metrics.translation_mode,
            "num_generated": len(outputs),
            "strip": str(strip),
        }
        return values, details

    # ------------------------------------------------------------------ sample.py
    def cli_samples(self, module: GANModule, args: argparse.Namespace) -> CLISamples:
        """The translations of the first ``--num`` images of ``--inputs`` (a file or a folder), decoded the way the
        run's DataModule decodes its inputs; the picture has rows of input | output."""
        from gan_lightning.data import build_datamodule
        from gan_lightning.data.image_folder import IMAGE_EXTENSIONS, iter_image_files

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


def translation_strip(inputs: Tensor, outputs: Tensor, targets: Tensor) -> Tensor:
    """Rows of input | output | target (images in [0, 1]); grey images join RGB ones as three equal channels."""
    channels = max(t.shape[1] for t in (inputs, outputs, targets))
    inputs, outputs, targets = (t.cpu().float().expand(-1, channels, -1, -1) for t in (inputs, outputs, targets))
    return torch.stack([inputs, outputs, targets], dim=1).flatten(0, 1)
