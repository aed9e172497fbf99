#!/usr/bin/env python
"""Sample-quality metrics of a trained checkpoint: prints a table and writes JSON.

    python scripts/evaluate.py --ckpt runs/dcgan_fashion_mnist/<version>/checkpoints/last.ckpt \\
        --metrics fid,kid,pr --num 10000 [--extractor inception] [key=value ...]
    python scripts/evaluate.py --ckpt runs/rnn_sines/<version>/checkpoints/last.ckpt   # TimeGAN's scores

    python scripts/evaluate.py --ckpt runs/pix2pix_fashion_edges/<version>/checkpoints/last.ckpt [--copy-input]
    python scripts/evaluate.py --ckpt runs/cgan_fashion_mnist/<version>/checkpoints/last.ckpt \
        --metrics fid,intra_fid,class_accuracy,cas --extractor fashion_mnist_classifier   # class-conditional

Class-conditional checkpoints are evaluated on each class equally often (``train.fake_labels: data``: the
training set's class frequencies); ``class_accuracy`` uses the shipped MNIST / Fashion-MNIST classifier and
``cas`` trains two fresh classifiers (generated vs real training images) and tests them on the test split.
Image-translation checkpoints (paired data) get L1, PSNR, SSIM, class preservation and FID of their outputs for
the evaluation inputs against the targets (``metrics.num_real`` pairs), and a strip ``<json>.png`` of input |
output | target; ``--copy-input`` scores the identity mapping instead, the baseline of pix2pix's tables.
Sequence checkpoints get TimeGAN's discriminative and predictive scores (``metrics.timegan.*``) and
their pictures (real vs generated curves, PCA, t-SNE) in a folder beside the JSON file.

Defaults come from the run's saved config (``metrics.*``, ``data.*``); ``key=value`` overrides it,
e.g. ``data.data_dir=/usr/share/datasets/fashion-mnist metrics.real_split=test``. The generated
images come from the EMA generator (``--no-ema`` for the raw one) and a fixed seed, so the same
checkpoint and options give the same numbers; real-image features are cached (``metrics.cache_dir``).
Exit codes: 0 done, 2 bad checkpoint, option, data or weights (one line on stderr, nothing written).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

from gan_lightning.callbacks.class_scores import build_class_scores, evaluate_class_scores
from gan_lightning.callbacks.sample_images import translation_strip
from gan_lightning.callbacks.sample_quality import (
    build_sample_quality,
    feature_metrics,
    generated_images,
    generated_labels,
)
from gan_lightning.callbacks.sequence_metrics import build_sequence_quality
from gan_lightning.callbacks.translation_metrics import build_translation_evaluation, copy_input_outputs
from gan_lightning.checkpointing import CheckpointLoadError, load_module, read_checkpoint
from gan_lightning.config import ConfigError, ExperimentConfig, load_config, to_yaml
from gan_lightning.data import DataUnavailableError, GANDataModule, SequenceDataModule
from gan_lightning.data.base import images_to_unit_range
from gan_lightning.metrics.class_scores import CLASS_SCORES
from gan_lightning.metrics.inception import InceptionWeightsError
from gan_lightning.metrics.sample_quality import SampleQualityError
from gan_lightning.metrics.timegan_scores import SEQUENCE_METRICS
from gan_lightning.module import GANModule
from gan_lightning.training import prepare_data
from gan_lightning.visualization import save_samples


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ckpt", required=True, help="checkpoint written by scripts/fit.py")
    parser.add_argument(
        "--metrics",
        help="comma-separated: fid,kid,is,pr,classes; class-conditional runs also intra_fid,class_accuracy,cas; "
        "for sequences discriminative,predictive "
        "(default: the run's metrics.names, else fid / both sequence scores)",
    )
    parser.add_argument("--num", type=int, help="generated images (default: metrics.num_generated)")
    parser.add_argument("--extractor", help="inception | mnist_classifier | fashion_mnist_classifier")
    parser.add_argument("--json", help="output file (default: <run dir>/evaluation_step<N>.json)")
    parser.add_argument("--device", default="auto", help="auto (GPU when there is one) | cpu | cuda")
    parser.add_argument("--no-ema", action="store_true", help="evaluate the raw generator instead of its EMA")
    parser.add_argument(
        "--copy-input", action="store_true", help="image translation: score the inputs as outputs (a baseline)"
    )
    parser.add_argument("overrides", nargs="*", help="config overrides, e.g. metrics.real_split=test")
    return parser.parse_args(argv)


def evaluation_config(saved: ExperimentConfig, args: argparse.Namespace, sequences: bool) -> ExperimentConfig:
    """The run's config with the command line's choices on top, validated like a training config."""
    overrides = list(args.overrides)
    if args.metrics:
        overrides.append(f"metrics.names=[{args.metrics}]")
    elif not saved.metrics.names:
        overrides.append(f"metrics.names=[{','.join(SEQUENCE_METRICS) if sequences else 'fid'}]")
    if args.num is not None:
        overrides.append(f"metrics.num_generated={args.num}")
    if args.extractor:
        overrides.append(f"metrics.extractor={args.extractor}")
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "run.yaml"
        base.write_text(to_yaml(saved))
        return load_config([base], overrides)


def evaluate_images(
    module: GANModule, config: ExperimentConfig, datamodule: GANDataModule, args: argparse.Namespace
) -> tuple[dict[str, float], dict[str, object]]:
    """Image metrics and what they were computed on (raises the image evaluator's one-line errors)."""
    num, use_ema = config.metrics.num_generated, not args.no_ema
    values: dict[str, float] = {}
    details: dict[str, object] = {"extractor": config.metrics.extractor, "real_split": config.metrics.real_split}
    if feature_metrics(list(config.metrics.names)):
        evaluator = build_sample_quality(config, datamodule)
        evaluator.extractor.to(module.device)
        generate = generated_images(module, num, config.seed, use_ema)
        values.update(evaluator.evaluate(generate, num, module.device, generated_labels(module, num, config.seed)))
        details.update(num_real=evaluator.num_real, real_features_from_cache=evaluator.real_from_cache)
    if any(name in CLASS_SCORES for name in config.metrics.names):
        scores = build_class_scores(config, datamodule)
        values.update(evaluate_class_scores(scores, module, num, config.seed, use_ema))
        details.setdefault("num_real", len(scores.test_labels))
    return values, details


def evaluate_translation(
    module: GANModule, config: ExperimentConfig, datamodule: GANDataModule, args: argparse.Namespace, out: Path
) -> tuple[dict[str, float], dict[str, object]]:
    """Translation metrics of the generator's outputs (or, with ``--copy-input``, of the inputs themselves) on the
    evaluation pairs, and a strip of the first pairs (input | output | target) beside the JSON file."""
    if args.metrics is None and not module.cfg.metrics.names:  # the pixel scores beside the default fid
        config.metrics.names = ["l1", "psnr", "ssim", *config.metrics.names]
    evaluation = build_translation_evaluation(config, datamodule)
    if args.copy_input:
        outputs = copy_input_outputs(evaluation, module.value_range)
    else:
        outputs = evaluation.translate(module, use_ema=not args.no_ema)
    values = {name.removeprefix("val/"): value for name, value in evaluation.score(outputs, module.device).items()}
    strip = out.with_suffix(".png")
    count = min(len(outputs), 8)
    inputs = images_to_unit_range(evaluation.inputs[:count], module.value_range)
    save_samples(translation_strip(inputs, outputs[:count], evaluation.targets[:count]), strip, nrow=3)
    details = {
        "extractor": config.metrics.extractor,
        "num_real": len(outputs),
        "real_split": config.metrics.real_split,
        "outputs": "copied inputs" if args.copy_input else "generator",
        "num_generated": len(outputs),
        "strip": str(strip),
    }
    return values, details


def evaluate_sequences(
    module: GANModule, config: ExperimentConfig, datamodule: SequenceDataModule, args: argparse.Namespace, out: Path
) -> tuple[dict[str, float], dict[str, object]]:
    """TimeGAN's scores, and their pictures written to the folder ``out`` without its suffix."""
    evaluator = build_sequence_quality(config, datamodule)
    num = config.metrics.num_generated
    generated = generated_images(module, num, config.seed, use_ema=not args.no_ema)(range(num))
    values = evaluator.evaluate(generated)
    pictures = evaluator.save_pictures(generated, out.with_suffix(""), f"generator step {module_step(args.ckpt)}")
    details = {
        "num_real": evaluator.num_real,
        "posthoc_runs": config.metrics.timegan.runs,
        "pictures": {name: str(path) for name, path in pictures.items()},
    }
    return values, details


def module_step(checkpoint: str) -> int:
    """The checkpoint's generator step (a loaded module has no trainer, so its own counter reads 0)."""
    return int(read_checkpoint(checkpoint)["generator_step"])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(args.device)
    try:
        module = load_module(args.ckpt, map_location=str(device))
        step = module_step(args.ckpt)
        config = evaluation_config(module.cfg, args, sequences=module.data_bounds is not None)
        datamodule = prepare_data(config)
        out = Path(args.json) if args.json else Path(args.ckpt).resolve().parent.parent / f"evaluation_step{step}.json"
        start = time.perf_counter()
        if isinstance(datamodule, SequenceDataModule):
            values, details = evaluate_sequences(module, config, datamodule, args, out)
        elif datamodule.condition_shape is not None:
            values, details = evaluate_translation(module, config, datamodule, args, out)
        else:
            values, details = evaluate_images(module, config, datamodule, args)
    except (CheckpointLoadError, ConfigError, DataUnavailableError, InceptionWeightsError, SampleQualityError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    num = int(details.pop("num_generated", config.metrics.num_generated))  # type: ignore[call-overload]
    report = {
        "checkpoint": os.path.abspath(args.ckpt),
        "generator_step": step,
        "generator": "raw" if args.no_ema else "ema",
        "num_generated": num,
        **details,
        "device": str(device),
        "seconds": round(seconds, 2),
        "metrics": values,
    }
    width = max(24, *(len(name) + 2 for name in values))
    print(f"{'metric':<{width}}value")
    for name, value in values.items():
        print(f"{name:<{width}}{value:.6g}")
    what = f"{details.get('extractor', 'TimeGAN post-hoc')} {'features' if 'extractor' in details else 'models'}"
    print(f"({num} generated vs {details['num_real']} real samples, {what}, {seconds:.1f} s on {device})")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.tmp")
    partial.write_text(json.dumps(report, indent=2))
    partial.replace(out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
