#!/usr/bin/env python
"""Draw samples from a trained checkpoint (the EMA generator unless --no-ema).

    python scripts/sample.py --ckpt runs/quickstart/<version>/checkpoints/last.ckpt --num 64 --out grid.png
    python scripts/sample.py --ckpt .../last.ckpt --num 2500 --out samples.npz --seed 1
    python scripts/sample.py --ckpt runs/cgan_fashion_mnist/<version>/checkpoints/last.ckpt \
        --class 0 7 9 --num 8 --out sneakers.png          # class-conditional: 8 of each class, a row per class

``.npz`` files hold ``samples``: float32, shape ``(N, *data_shape)``, in data space (images as
pixel intensities in [0, 1], video clips ``(N, T, C, H, W)`` in [0, 1], sequences in the dataset's units, 2D points
as coordinates), and for a
class-conditional generator ``labels`` (int64, the class each sample was asked for). ``.png`` gives the run's
kind of picture: an image grid, line plots of sequences, a scatter plot over the mode centres for 2D toy data, or for
video a strip (a row per clip) with its animated GIF beside it; ``.gif`` (video) writes the animation alone.
The same seed gives the same samples. A class-conditional checkpoint without ``--class`` draws the classes as
training did (``train.fake_labels``). An image-translation checkpoint translates the images ``--inputs`` names (a
file or a folder, decoded as the run's dataset decodes its inputs: fashion_edges pads 28-px edge maps to 32 px,
paired_folder takes the left half of a side-by-side file): ``.png`` rows of input | output, ``.npz`` with
``inputs`` and ``samples``.

    python scripts/sample.py --ckpt runs/pix2pix_fashion_edges/<version>/checkpoints/last.ckpt \
        --inputs my_edges/ --num 8 --out translated.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from gan_lightning.checkpointing import CheckpointLoadError, load_module
from gan_lightning.conditioning import ConditioningError
from gan_lightning.data import DataUnavailableError
from gan_lightning.files import atomic_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ckpt", required=True, help="checkpoint file written by scripts/fit.py")
    parser.add_argument("--num", type=int, required=True, help="number of samples (with --class: of each class)")
    parser.add_argument(
        "--class",
        dest="classes",
        type=int,
        nargs="+",
        metavar="K",
        help="class-conditional checkpoints: the class(es) to draw, one grid row each",
    )
    parser.add_argument("--inputs", help="image-translation checkpoints: an input image or a folder of them")
    parser.add_argument("--out", required=True, help="output file: .npz or .png")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-ema", action="store_true", help="sample the raw generator instead of its EMA")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    out = Path(args.out)
    if args.num <= 0:
        parser.error(f"--num must be > 0, got {args.num}")
    try:
        module = load_module(args.ckpt, map_location=args.device)
        suffixes = (".npz", *module.kind.picture_suffixes)
        if out.suffix not in suffixes:
            raise ValueError(f"--out must end in {', '.join(suffixes)} for {module.kind.description}, got {out.name}")
        drawn = module.conditioning.cli_samples(module, args)
    except (CheckpointLoadError, ConditioningError, DataUnavailableError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if out.suffix == ".npz":
        arrays = {"samples": drawn.samples, **drawn.arrays}
        with atomic_path(out) as temporary:
            np.savez(temporary, **{name: array.cpu().numpy() for name, array in arrays.items()})
    else:
        picture = drawn.samples if drawn.picture is None else drawn.picture
        module.kind.draw(picture, out, columns=drawn.columns)
    print(f"wrote {len(drawn.samples)} samples to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
