#!/usr/bin/env python
"""Draw samples from a trained checkpoint (the EMA generator unless --no-ema).

    python scripts/sample.py --ckpt runs/quickstart/<version>/checkpoints/last.ckpt --num 64 --out grid.png
    python scripts/sample.py --ckpt .../last.ckpt --num 2500 --out samples.npz --seed 1

``.npz`` files hold ``samples``: float32, shape ``(N, *data_shape)``, in data space (images as
pixel intensities in [0, 1], 2D points as coordinates). ``.png`` gives an image grid, or a scatter
plot over the mode centres for 2D toy data. The same seed gives the same samples.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from gan_lightning.checkpointing import CheckpointLoadError, load_module
from gan_lightning.data import mode_centres
from gan_lightning.visualization import save_samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ckpt", required=True, help="checkpoint file written by scripts/fit.py")
    parser.add_argument("--num", type=int, required=True, help="number of samples")
    parser.add_argument("--out", required=True, help="output file: .npz or .png")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-ema", action="store_true", help="sample the raw generator instead of its EMA")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    out = Path(args.out)
    if args.num <= 0:
        parser.error(f"--num must be > 0, got {args.num}")
    if out.suffix not in (".npz", ".png"):
        parser.error(f"--out must end in .npz or .png, got {out.name}")
    try:
        module = load_module(args.ckpt, map_location=args.device)
    except CheckpointLoadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    generator = torch.Generator(device=args.device).manual_seed(args.seed)
    samples = module.to_data_space(module.sample(args.num, generator=generator, use_ema=not args.no_ema)).cpu()
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".npz":
        temporary = out.with_name(f".{out.stem}.tmp.npz")
        np.savez(temporary, samples=samples.numpy().astype(np.float32))
        temporary.replace(out)
    else:
        data_name = module.cfg.data.name
        centres = mode_centres(data_name.removeprefix("toy_")) if data_name.startswith("toy_") else None
        save_samples(samples, out, centres)
    print(f"wrote {args.num} samples to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
