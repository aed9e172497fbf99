#!/usr/bin/env python
"""Train (or load) the spoken-word classifier behind the audio metrics and print its held-out accuracy.

    python scripts/build_audio_classifier.py --config configs/wavegan_spoken_digits_quick.yaml [k=v ...] [--rebuild]

A run scoring audio metrics builds the classifier itself when ``metrics.cache_dir`` has none for its clips; this
script does it ahead of time (or again, with ``--rebuild``) and reports what it is: its accuracy on the test split
(for ``spoken_digits``, voices never heard in training), the training time and the cache file. The clips come from
the config's ``data.*`` (the dataset and its folder, ``sample_rate``, ``audio_length``; a ``spoken_digits`` set is
synthesised first if missing); the recipe is :class:`~gan_lightning.metrics.audio_classifier.AudioClassifierRecipe`'s.

Exit codes: 0 done, 2 bad config or data (one line on stderr, nothing written).
"""

from __future__ import annotations

import argparse
import sys

from gan_lightning.callbacks.audio_metrics import build_audio_classifier
from gan_lightning.config import ConfigError, load_config
from gan_lightning.data import DataUnavailableError
from gan_lightning.metrics.sample_quality import SampleQualityError
from gan_lightning.training import prepare_data


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", action="append", default=[], help="config file(s); later ones win key by key")
    parser.add_argument("--rebuild", action="store_true", help="train again even when the cache has the classifier")
    parser.add_argument("overrides", nargs="*", help="config overrides, e.g. data.voices=40 metrics.cache_dir=cache")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        config = load_config(args.config, args.overrides)
        built = build_audio_classifier(config, prepare_data(config), rebuild=args.rebuild)
    except (ConfigError, DataUnavailableError, SampleQualityError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(built.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
