#!/usr/bin/env python
"""Sample-quality metrics of a trained checkpoint: prints a table and writes JSON.

    python scripts/evaluate.py --ckpt runs/dcgan_fashion_mnist/<version>/checkpoints/last.ckpt \\
        --metrics fid,kid,pr --num 10000 [--extractor inception] [key=value ...]
    python scripts/evaluate.py --ckpt runs/rnn_sines/<version>/checkpoints/last.ckpt   # TimeGAN's scores

    python scripts/evaluate.py --ckpt runs/pix2pix_fashion_edges/<version>/checkpoints/last.ckpt [--copy-input]
    python scripts/evaluate.py --ckpt runs/cgan_fashion_mnist/<version>/checkpoints/last.ckpt \
        --metrics fid,intra_fid,class_accuracy,cas --extractor fashion_mnist_classifier   # class-conditional

Class-conditional checkpoints are evaluated on the classes ``train.fake_labels`` asks for: each class
equally often (``uniform``) or a seeded draw from the training set's class frequencies (``data``);
``class_accuracy`` uses the shipped MNIST / Fashion-MNIST classifier and ``cas`` trains two fresh classifiers
(generated vs real training images) and tests them on the test split.
Image-translation checkpoints (paired data) get L1, PSNR, SSIM, class preservation and FID of their outputs for
the evaluation inputs against the targets (``metrics.num_real`` pairs), and a strip ``<json>.png`` of input |
output | target; ``--copy-input`` scores the identity mapping instead, the baseline of pix2pix's tables.
Sequence checkpoints get TimeGAN's discriminative and predictive scores (``metrics.timegan.*``) and
their pictures (real vs generated curves, PCA, t-SNE) in a folder beside the JSON file. 2D toy checkpoints get
the mode metrics training logs (``modes``, ``high_quality``, ``reverse_kl``) of the same seeded samples. Video
checkpoints get frame_fd, clip_fd, content_consistency and motion (docs/EVALUATION.md, Video); a metric the run's
generator makes constant is not scored and the JSON's ``not_scored`` says why (content_consistency under MoCoGAN's
``generator.sprite`` with ``whole_pixels``); audio checkpoints (WaveGAN, SpecGAN) audio_is, audio_fd, audio_kid,
audio_classes and nn_distance, and audio_class_accuracy with audio_intra_fd when class-conditional
(docs/EVALUATION.md, Audio). Token checkpoints get the text metrics at temperature 1 and the quality-diversity sweep
of ``metrics.temperatures`` (on the oracle ``nll_oracle@T``, ``nll_test@T``; on text ``bleu_5@T``, ``self_bleu_5@T``;
the picture ``<json>.png``; docs/TEXT.md). What is scored is the checkpoint's kind of data and conditioning's choice
(``gan_lightning/kinds``, ``gan_lightning/conditioning``).

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

from gan_lightning.checkpointing import CheckpointLoadError, load_module, read_checkpoint
from gan_lightning.conditioning import ConditioningError
from gan_lightning.config.loading import ConfigError, load_config, to_yaml
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import DataUnavailableError
from gan_lightning.files import write_text_atomically
from gan_lightning.kinds import DataKind, DataKindError
from gan_lightning.metrics.inception import InceptionWeightsError
from gan_lightning.metrics.suite import EvaluationOptions, MetricError
from gan_lightning.training import prepare_data


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ckpt", required=True, help="checkpoint written by scripts/fit.py")
    parser.add_argument(
        "--metrics",
        help="comma-separated: fid,kid,is,pr,classes; class-conditional runs also intra_fid,class_accuracy,cas; "
        "for sequences discriminative,predictive; for video frame_fd,clip_fd,content_consistency,motion; for tokens "
        "nll_oracle,nll_test,unique,bleu,self_bleu,valid_words,novel_words (default: the run's metrics.names, else "
        "fid / both sequence scores / the four video metrics / nll_test,unique)",
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


def evaluation_config(saved: ExperimentConfig, args: argparse.Namespace, kind: type[DataKind]) -> ExperimentConfig:
    """The run's config with the command line's choices on top, validated like a training config."""
    overrides = list(args.overrides)
    if args.metrics:
        overrides.append(f"metrics.names=[{args.metrics}]")
    elif not saved.metrics.names and kind.default_metric_names():
        overrides.append(f"metrics.names=[{','.join(kind.default_metric_names())}]")
    if args.num is not None:
        overrides.append(f"metrics.num_generated={args.num}")
    if args.extractor:
        overrides.append(f"metrics.extractor={args.extractor}")
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "run.yaml"
        base.write_text(to_yaml(saved))
        return load_config([base], overrides)


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
        out = Path(args.json) if args.json else Path(args.ckpt).resolve().parent.parent / f"evaluation_step{step}.json"
        options = EvaluationOptions(**vars(args), out=out, step=step)
        config = evaluation_config(module.cfg, args, type(module.kind))
        # how the EMA generator samples is the command line's to choose too: train.ema_standing_batches=N scores a run
        # trained without standing statistics with them
        module.cfg.train.ema_standing_batches = config.train.ema_standing_batches
        datamodule = prepare_data(config)
        start = time.perf_counter()
        values, details = module.conditioning.evaluate(module, config, datamodule, options)
    except (
        CheckpointLoadError,
        ConditioningError,
        ConfigError,
        DataKindError,
        DataUnavailableError,
        InceptionWeightsError,
        MetricError,
    ) as error:
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
    against = f" vs {details['num_real']} real" if "num_real" in details else ""  # a suite may not say
    scored_by = details.get("scored_by", "the run's metrics")
    print(f"({num} generated{against} samples, {scored_by}, {seconds:.1f} s on {device})")
    write_text_atomically(out, json.dumps(report, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
