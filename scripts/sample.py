#!/usr/bin/env python
"""Draw samples from a trained checkpoint (the EMA generator unless --no-ema).

    python scripts/sample.py --ckpt runs/quickstart/<version>/checkpoints/last.ckpt --num 64 --out grid.png
    python scripts/sample.py --ckpt .../last.ckpt --num 2500 --out samples.npz --seed 1
    python scripts/sample.py --ckpt runs/cgan_fashion_mnist/<version>/checkpoints/last.ckpt \
        --class 0 7 9 --num 8 --out sneakers.png          # class-conditional: 8 of each class, a row per class

``.npz`` files hold ``samples``: float32, shape ``(N, *data_shape)``, in data space (images as
pixel intensities in [0, 1], 2D points as coordinates), and for a class-conditional generator ``labels``
(int64, the class each sample was asked for). ``.png`` gives an image grid, or a scatter plot over the
mode centres for 2D toy data. The same seed gives the same samples. A class-conditional checkpoint
without ``--class`` draws the classes uniformly. An image-translation checkpoint translates the images
``--inputs`` names (a file or a folder, decoded like the training inputs): ``.png`` rows of input | output,
``.npz`` with ``inputs`` and ``samples``.

    python scripts/sample.py --ckpt runs/pix2pix_fashion_edges/<version>/checkpoints/last.ckpt \
        --inputs my_edges/ --num 8 --out translated.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from gan_lightning.checkpointing import CheckpointLoadError, load_module
from gan_lightning.data import mode_centres
from gan_lightning.data.image_files import UNREADABLE, SquareImage
from gan_lightning.data.image_folder import IMAGE_EXTENSIONS, iter_image_files
from gan_lightning.module import GANModule
from gan_lightning.visualization import save_samples


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
    if out.suffix not in (".npz", ".png"):
        parser.error(f"--out must end in .npz or .png, got {out.name}")
    try:
        module = load_module(args.ckpt, map_location=args.device)
    except CheckpointLoadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    if module.condition_shape is not None:
        return translate(module, args, out)
    if args.inputs is not None:
        print(f"error: --inputs needs an image-translation checkpoint; {args.ckpt} is not one", file=sys.stderr)
        return 2
    labels = None
    if args.classes is not None:
        if not module.num_classes:
            print(f"error: --class needs a class-conditional checkpoint; {args.ckpt} is unconditional", file=sys.stderr)
            return 2
        wrong = [k for k in args.classes if not 0 <= k < module.num_classes]
        if wrong:
            print(f"error: --class {wrong}: the checkpoint has classes 0 to {module.num_classes - 1}", file=sys.stderr)
            return 2
        labels = torch.tensor(args.classes).repeat_interleave(args.num)
    generator = torch.Generator(device=args.device).manual_seed(args.seed)
    count = args.num if labels is None else len(labels)
    noise = module.latent(count, generator)
    if module.num_classes and labels is None:  # drawn after the noise, as GANModule.sample(num) does
        labels = module.random_labels(count, generator)
    samples = module.sample(noise=noise, labels=labels, use_ema=not args.no_ema)
    samples = module.to_data_space(samples).cpu()
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".npz":
        temporary = out.with_name(f".{out.stem}.tmp.npz")
        arrays = {"samples": samples.numpy().astype(np.float32)}
        if labels is not None:
            arrays["labels"] = labels.cpu().numpy().astype(np.int64)
        np.savez(temporary, **arrays)
        temporary.replace(out)
    else:
        data_name = module.cfg.data.name
        centres = mode_centres(data_name.removeprefix("toy_")) if data_name.startswith("toy_") else None
        save_samples(samples, out, centres, nrow=args.num if args.classes else None)
    print(f"wrote {count} samples to {out}")
    return 0


def translate(module: GANModule, args: argparse.Namespace, out: Path) -> int:
    """The outputs for the first ``--num`` images of ``--inputs``, as rows of input | output or an ``.npz``."""
    if args.inputs is None:
        print("error: this checkpoint translates images: give --inputs FILE_OR_FOLDER", file=sys.stderr)
        return 2
    source = Path(args.inputs)
    files = [str(source)] if source.is_file() else list(iter_image_files(str(source), IMAGE_EXTENSIONS))
    if not files:
        print(f"error: --inputs {source}: no image files there", file=sys.stderr)
        return 2
    channels, side = module.condition_shape[0], module.condition_shape[-1]
    try:
        pixels = torch.stack([SquareImage(side, channels)(path) for path in files[: args.num]])
    except UNREADABLE as error:
        print(f"error: cannot read an input image under {source}: {error}", file=sys.stderr)
        return 2
    low, high = module.value_range
    inputs = pixels.float() * ((high - low) / 255) + low
    outputs = module.to_data_space(module.sample(inputs=inputs, use_ema=not args.no_ema)).cpu()
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".npz":
        temporary = out.with_name(f".{out.stem}.tmp.npz")
        np.savez(temporary, inputs=(pixels.float() / 255).numpy(), samples=outputs.numpy().astype(np.float32))
        temporary.replace(out)
    else:
        grey = pixels.float() / 255
        grey = grey.expand(-1, outputs.shape[1], -1, -1) if grey.shape[1] < outputs.shape[1] else grey
        save_samples(torch.stack([grey, outputs.expand_as(grey)], dim=1).flatten(0, 1), out, nrow=2)
    print(f"wrote {len(outputs)} translations to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
