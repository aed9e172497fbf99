"""Build the networks the metrics score with that are learnt from real data, and print what each is.

    python scripts/build_evaluator.py --config configs/<experiment>.yaml [key=value ...] [--rebuild]
    python scripts/build_evaluator.py --classifier mnist_embedded      # the shipped mnist_classifier.pt
    python scripts/build_evaluator.py --classifier fashion_mnist --data-dir /usr/share/datasets/fashion-mnist
    python scripts/build_evaluator.py --classifier mnist --data-dir data --download --out mnist_full.pt

``--config``: the evaluator of a kind of data's metrics, learnt from the run's real data: video's ``clip_fd`` scores
with a 3D CNN trained on rendered clips (ordered vs time-shuffled, and their digit), the audio metrics with a
spoken-word classifier trained on the real training clips. A run scoring them finds it shipped with the package or in
``metrics.cache_dir``, or builds it itself; this does it ahead of time (or again, with ``--rebuild``) and reports what
it is: where it came from, its accuracy on held-out data (clips of held-out digits; voices never heard in training),
the training time and its file. The data come from the config's ``data.*`` (a ``spoken_digits`` set is synthesised
first if missing); which evaluator, and its recipe, is the kind of data's (``DataKind.build_evaluator``).

``--classifier``: the MNIST / Fashion-MNIST classifier behind the classifier-based FID, the mode counts, the class
scores and the video metrics' digit measure, always trained (it is shipped, not cached). Its images come from the
project's DataModules (the same files a GAN trains on). It never trains on the images a dataset evaluates on
(``mnist_embedded``: the 1,000 digits Moving MNIST's evaluation clips are cut from), and its accuracy on them is
printed; where no dataset evaluates on its images, a seeded 10 % is held out instead. Weights, and the indices of
the images they learnt from, go to the packaged file of the dataset (``mnist_embedded`` and ``mnist`` both make
``mnist``) unless ``--out`` names another.

Exit codes: 0 done, 2 a config, data or evaluator problem (one line on stderr; nothing written).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from gan_lightning.config.loading import ConfigError, load_config
from gan_lightning.data import DataUnavailableError
from gan_lightning.data.idx import IdxFormatError
from gan_lightning.data.mnist import FashionMNISTDataModule, MNISTDataModule
from gan_lightning.kinds import DataKindError, kind_class
from gan_lightning.metrics.classifier import (
    CLASSIFIER_OF,
    SHIPPED_WEIGHTS,
    BuiltClassifier,
    evaluation_held_out,
    save_classifier,
    split_indices,
    train_classifier,
)
from gan_lightning.metrics.suite import MetricError
from gan_lightning.training import prepare_data

DEFAULT_EPOCHS = {"mnist_embedded": 15, "mnist": 5, "fashion_mnist": 5}
"""``--classifier`` epochs by dataset: the 4,000 embedded training digits need more passes than 54,000 images, and
five passes over Fashion-MNIST take about 2.5 minutes on 2 CPU cores."""
VAL_FRACTION = 0.1
"""The seeded share held out where no dataset evaluates on the classifier's images."""

BATCH_SIZE = 64
LEARNING_RATE = 1e-3
CLASSIFIER_OPTIONS = ("data_dir", "download", "epochs", "seed", "out")
"""The options of ``--classifier`` only: with ``--config`` they would be silently ignored, so they are refused."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--config", action="append", help="config file(s); later ones win key by key")
    which.add_argument("--classifier", choices=list(DEFAULT_EPOCHS), help="train the classifier of this dataset")
    parser.add_argument("--rebuild", action="store_true", help="train again even when shipped or cached (--config)")
    parser.add_argument("overrides", nargs="*", help="config overrides, e.g. data.voices=40 metrics.cache_dir=cache")
    trained = parser.add_argument_group("--classifier options")
    trained.add_argument("--data-dir", help="folder with the idx files (mnist, fashion_mnist; default: data)")
    trained.add_argument("--download", action="store_true", help="let torchvision fetch missing files into --data-dir")
    trained.add_argument("--epochs", type=int, help=f"passes over the training images (default: {DEFAULT_EPOCHS})")
    trained.add_argument("--seed", type=int, help="fixes the split, initial weights and batch order (default: 0)")
    trained.add_argument("--out", help="weights file (default: the packaged file of the dataset)")
    args = parser.parse_args(argv)
    if args.classifier and args.overrides:
        parser.error(f"key=value overrides go with --config, not --classifier: {' '.join(args.overrides)}")
    given = [name for name in CLASSIFIER_OPTIONS if getattr(args, name) not in (None, False)]
    if args.config and given:
        parser.error(f"--{given[0].replace('_', '-')} goes with --classifier, not --config")
    return args


def classifier_data(args: argparse.Namespace, seed: int) -> MNISTDataModule:
    """The DataModule serving ``--classifier``'s training images at 28 px (the classifier's own resolution)."""
    common = {"batch_size": BATCH_SIZE, "seed": seed, "value_range": (0.0, 1.0)}
    files = {"data_dir": args.data_dir or "data", "download": args.download}
    if args.classifier == "mnist_embedded":
        return MNISTDataModule("embedded", **common)
    if args.classifier == "mnist":
        return MNISTDataModule("torchvision", **common, **files)
    return FashionMNISTDataModule(**common, **files)


def build_classifier(args: argparse.Namespace) -> int:
    """``--classifier``: train the classifier on its dataset's images and write its weights."""
    name = CLASSIFIER_OF[args.classifier]  # the 5,000 embedded digits and the full set both train MNIST's
    out = args.out or SHIPPED_WEIGHTS[name]
    epochs = args.epochs if args.epochs is not None else DEFAULT_EPOCHS[args.classifier]
    seed = args.seed if args.seed is not None else 0
    data = classifier_data(args, seed)
    try:
        data.prepare_data()
        images = data.load()
    except DataUnavailableError as error:
        print(f"error: {error} (here: --data-dir DIR, --download)", file=sys.stderr)
        return 2
    except (IdxFormatError, OSError) as error:
        print(f"error: cannot read the {args.classifier} training files: {error}", file=sys.stderr)
        return 2
    evaluated = evaluation_held_out(args.classifier, len(images))
    train_indices, held_out = split_indices(len(images), VAL_FRACTION, seed, evaluated)
    which = "the images datasets evaluate on" if evaluated is not None else f"a seeded {VAL_FRACTION:.0%}"
    print(
        f"training on {len(train_indices)} of {len(images)} {args.classifier} images ({epochs} epochs; "
        f"{len(held_out)} held out: {which})"
    )
    start = time.perf_counter()
    model, accuracy = train_classifier(
        images,
        data.labels,
        epochs=epochs,
        batch_size=BATCH_SIZE,
        lr=LEARNING_RATE,
        seed=seed,
        val_fraction=VAL_FRACTION,
        held_out=evaluated,
    )
    seconds = time.perf_counter() - start
    save_classifier(model, out, dataset=name, val_accuracy=accuracy, train_indices=train_indices)
    print(BuiltClassifier(model, {"val_accuracy": accuracy}, seconds, Path(out), "trained").summary())
    return 0


def build_for_config(args: argparse.Namespace) -> int:
    """``--config``: the evaluator of the config's kind of data, shipped, cached or trained now."""
    try:
        config = load_config(args.config, args.overrides)
        datamodule = prepare_data(config)
        built = kind_class(datamodule.kind_name).build_evaluator(config, datamodule, rebuild=args.rebuild)
    except (ConfigError, DataUnavailableError, DataKindError, MetricError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(built.summary())
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return build_classifier(args) if args.classifier else build_for_config(args)


if __name__ == "__main__":
    sys.exit(main())
