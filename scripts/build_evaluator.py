"""Train (or load) the evaluator a kind of data's metrics score with, and print what it is.

    python scripts/build_evaluator.py --config configs/<experiment>.yaml [key=value ...] [--rebuild]

Some metrics score generated samples with a network learnt from the run's real data: video's ``clip_fd`` with a 3D
CNN trained on rendered clips (ordered vs time-shuffled, and their digit), the audio metrics with a spoken-word
classifier trained on the real training clips. A run scoring them builds the evaluator itself when
``metrics.cache_dir`` has none for its data; this script does it ahead of time (or again, with ``--rebuild``) and
reports what it is: its accuracy on held-out data (clips of held-out digits; voices never heard in training), the
training time and the cache file. The data come from the config's ``data.*`` (a ``spoken_digits`` set is synthesised
first if missing); which evaluator, and its recipe, is the kind of data's (``DataKind.build_evaluator``).
"""

from __future__ import annotations

import argparse
import sys

from gan_lightning.config import ConfigError, load_config
from gan_lightning.data import DataUnavailableError
from gan_lightning.kinds import DataKindError, kind_class
from gan_lightning.metrics.sample_quality import SampleQualityError
from gan_lightning.training import prepare_data


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", action="append", default=[], help="config file(s); later ones win key by key")
    parser.add_argument("--rebuild", action="store_true", help="train again even when the cache has the evaluator")
    parser.add_argument("overrides", nargs="*", help="config overrides, e.g. data.voices=40 metrics.cache_dir=cache")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        config = load_config(args.config, args.overrides)
        datamodule = prepare_data(config)
        built = kind_class(datamodule.kind_name).build_evaluator(config, datamodule, rebuild=args.rebuild)
    except (ConfigError, DataUnavailableError, DataKindError, SampleQualityError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(built.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
