#!/usr/bin/env python
"""Train a GAN from YAML configs.

    python scripts/fit.py --config configs/quickstart.yaml [--config more.yaml] [key=value ...]
    python scripts/fit.py --config configs/toy_ring.yaml --train.max_steps=2000   # wandb-agent style
    python scripts/fit.py --resume runs/quickstart/20261127-101500       # or a .ckpt, or `last`

Exit codes: 0 done, 2 bad config, data or checkpoint (nothing written), 1 training failed (NaN loss),
143 stopped by SIGTERM (a scheduler's preemption or ``kill``; the last checkpoint is kept, resume it).
"""

from __future__ import annotations

import argparse
import sys

from lightning.pytorch.utilities.exceptions import SIGTERMException

from gan_lightning.checkpointing import CheckpointLoadError
from gan_lightning.config.loading import ConfigError
from gan_lightning.data import DataUnavailableError
from gan_lightning.steps.finite import NonFiniteLossError
from gan_lightning.training import fit, load_run_config


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", action="append", default=[], help="YAML file; repeat to layer several")
    parser.add_argument("--resume", help="checkpoint file, run directory, or 'last' (newest run of --config)")
    parser.add_argument("overrides", nargs="*", help="key=value overrides, e.g. train.batch_size=128")
    args, unknown = parser.parse_known_args(argv)
    bad = [item for item in unknown if not (item.startswith("--") and "=" in item)]
    if bad:
        parser.error(f"unrecognized arguments: {' '.join(bad)} (overrides look like key=value or --key=value)")
    return args, [*args.overrides, *unknown]


def main(argv: list[str] | None = None) -> int:
    args, overrides = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        config, resume = load_run_config(args.config, overrides, args.resume)
        run_dir = fit(config, resume)
    except (ConfigError, DataUnavailableError, CheckpointLoadError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except NonFiniteLossError as error:
        print(f"error: {error}; the last good checkpoint is kept", file=sys.stderr)
        return 1
    except SIGTERMException:  # Lightning stops after the current step; without this it would exit 0
        print("error: stopped by SIGTERM; the last checkpoint is kept (continue with --resume <run directory>)",
              file=sys.stderr)  # fmt: skip
        return 128 + 15
    print(f"run finished: {run_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
