#!/usr/bin/env python
"""Train the MNIST / Fashion-MNIST classifier behind the classifier-based FID and mode counts.

    python scripts/train_classifier.py --dataset mnist_embedded        # the shipped mnist_classifier.pt
    python scripts/train_classifier.py --dataset fashion_mnist --data-dir /usr/share/datasets/fashion-mnist
    python scripts/train_classifier.py --dataset mnist --data-dir data --download --out mnist_full.pt

Training images come from the project's DataModules (the same files a GAN trains on); a seeded 10 % of
them is held out and the accuracy on it is printed. Weights go to the packaged file of the dataset
(``mnist_embedded`` and ``mnist`` both make ``mnist``) unless ``--out`` names another.

Exit codes: 0 done, 2 data missing or unreadable (nothing written).
"""

from __future__ import annotations

import argparse
import sys
import time

from gan_lightning.data import DataUnavailableError, FashionMNISTDataModule, MNISTDataModule
from gan_lightning.data.idx import IdxFormatError
from gan_lightning.metrics.classifier import CLASSIFIER_OF, SHIPPED_WEIGHTS, save_classifier, train_classifier

DEFAULT_EPOCHS = {"mnist_embedded": 15, "mnist": 5, "fashion_mnist": 5}
"""Epochs by dataset: the 4,500 embedded training digits need more passes than 54,000 images, and five
passes over Fashion-MNIST take about 2.5 minutes on 2 CPU cores."""

BATCH_SIZE = 64
LEARNING_RATE = 1e-3


def datamodule(args: argparse.Namespace) -> MNISTDataModule:
    """The DataModule serving the training images at 28 px (the classifier's own resolution)."""
    common = {"batch_size": BATCH_SIZE, "seed": args.seed, "value_range": (0.0, 1.0)}
    files = {"data_dir": args.data_dir, "download": args.download}
    if args.dataset == "mnist_embedded":
        return MNISTDataModule("embedded", **common)
    if args.dataset == "mnist":
        return MNISTDataModule("torchvision", **common, **files)
    return FashionMNISTDataModule(**common, **files)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True, choices=list(DEFAULT_EPOCHS))
    parser.add_argument("--data-dir", default="data", help="folder with the idx files (mnist, fashion_mnist)")
    parser.add_argument("--download", action="store_true", help="let torchvision fetch missing files into --data-dir")
    parser.add_argument("--epochs", type=int, help=f"passes over the training images (default: {DEFAULT_EPOCHS})")
    parser.add_argument("--seed", type=int, default=0, help="fixes the split, initial weights and batch order")
    parser.add_argument("--out", help="weights file (default: the packaged file of the dataset)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    name = CLASSIFIER_OF[args.dataset]  # the 5,000 embedded digits and the full set both train MNIST's
    out = args.out or SHIPPED_WEIGHTS[name]
    epochs = args.epochs if args.epochs is not None else DEFAULT_EPOCHS[args.dataset]
    data = datamodule(args)
    try:
        data.prepare_data()
        images = data.load()
    except DataUnavailableError as error:
        print(f"error: {error} (here: --data-dir DIR, --download)", file=sys.stderr)
        return 2
    except (IdxFormatError, OSError) as error:
        print(f"error: cannot read the {args.dataset} training files: {error}", file=sys.stderr)
        return 2
    print(f"training on {len(images)} {args.dataset} images ({epochs} epochs, 10 % held out)")
    start = time.perf_counter()
    model, accuracy = train_classifier(
        images, data.labels, epochs=epochs, batch_size=BATCH_SIZE, lr=LEARNING_RATE, seed=args.seed
    )
    save_classifier(model, out, dataset=name, val_accuracy=accuracy)
    print(f"held-out accuracy {accuracy:.4f} after {time.perf_counter() - start:.0f} s; weights written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
