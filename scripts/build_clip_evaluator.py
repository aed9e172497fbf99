#!/usr/bin/env python
"""Train (or load) the clip evaluator behind the ``clip_fd`` video metric and print its accuracies.

    python scripts/build_clip_evaluator.py --config configs/<a moving_mnist config>.yaml [key=value ...] [--rebuild]

A run scoring ``clip_fd`` builds the evaluator itself when ``metrics.cache_dir`` has none for its clips; this script
does it ahead of time (or again, with ``--rebuild``) and reports what it is: the ordered vs time-shuffled accuracy and
the digit accuracy on clips of held-out digits, the training time and the cache file. The clip options come from the
config's ``data.*`` (frames, resolution, digit_size, digits_per_clip, speed, digit_source); the recipe is
:class:`~gan_lightning.metrics.clip_evaluator.ClipEvaluatorRecipe`'s.

Exit codes: 0 done, 2 bad config or data (one line on stderr, nothing written).
"""

from __future__ import annotations

import argparse
import sys

from gan_lightning.callbacks.video_metrics import build_clip_evaluator
from gan_lightning.config import ConfigError, load_config
from gan_lightning.data import DataUnavailableError, build_datamodule
from gan_lightning.metrics.sample_quality import SampleQualityError


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", action="append", default=[], help="config file(s); later ones win key by key")
    parser.add_argument("--rebuild", action="store_true", help="train again even when the cache has the evaluator")
    parser.add_argument("overrides", nargs="*", help="config overrides, e.g. data.frames=8 metrics.cache_dir=cache")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        config = load_config(args.config, args.overrides)
        built = build_clip_evaluator(config, build_datamodule(config), rebuild=args.rebuild)
    except (ConfigError, DataUnavailableError, SampleQualityError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(built.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
