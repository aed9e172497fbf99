"""A fit run launched by the distributed tests (Lightning re-runs this file once per rank).

    python ddp_job.py OUT_DIR [--interrupt-at STEP] [--resume last] key=value ...

Each rank saves its final module state to ``OUT_DIR/rank<R>.pt`` so the tests can compare ranks.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import lightning as L
import torch

from gan_lightning.training import fit, load_run_config

REPO = Path(__file__).resolve().parents[2]


class DumpState(L.Callback):
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir

    def on_train_end(self, trainer: L.Trainer, pl_module: Any) -> None:
        state = {k: v.detach().cpu() for k, v in pl_module.state_dict().items()}
        torch.save({"state": state, "world_size": trainer.world_size}, self.out_dir / f"rank{trainer.global_rank}.pt")


class InterruptAt(L.Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: Any, batch: Any, batch_idx: int) -> None:
        if pl_module.generator_step == self.step:
            raise SystemExit(3)  # every rank stops at the same step, like a killed job


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--base", default="toy_ring")
    parser.add_argument("--interrupt-at", type=int)
    parser.add_argument("--resume")
    args, overrides = parser.parse_known_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    config, resume = load_run_config([str(REPO / "configs" / f"{args.base}.yaml")], overrides, args.resume)
    callbacks: list[L.Callback] = [DumpState(args.out_dir)]
    if args.interrupt_at is not None:
        callbacks.append(InterruptAt(args.interrupt_at))
    fit(config, resume, callbacks)


if __name__ == "__main__":
    sys.exit(main())
