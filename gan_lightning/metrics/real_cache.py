"""Real-image features computed once and reused across evaluations and runs.

An entry's key is a hash of everything that produced the features: the dataset and its options,
the split, the number of images, the extractor (its class, preprocessing and a hash of its weights).
Changing any of them gives a new entry, so a stale cache can never be read. Entries are written
atomically (temporary file, then rename), so an interrupted write leaves no half-written entry.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from gan_lightning.files import atomic_path, write_text_atomically
from gan_lightning.metrics.trained import identity_key


def weights_digest(module: nn.Module) -> str:
    """SHA-256 of a module's class and state (parameters and buffers), independent of its device."""
    digest = hashlib.sha256(type(module).__qualname__.encode())
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().reshape(-1).contiguous().view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


class RealFeatureCache:
    """Feature tensors of real images under ``<root>/<key>.pt``, with the identity that made them in ``.json``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser()

    @staticmethod
    def key(identity: dict[str, Any]) -> str:
        """The entry's name: :func:`~gan_lightning.metrics.trained.identity_key`, the learnt evaluators' key too."""
        return identity_key(identity)

    def path(self, identity: dict[str, Any]) -> Path:
        return self.root / f"{self.key(identity)}.pt"

    def load(self, identity: dict[str, Any]) -> Tensor | None:
        """The cached features, or None on a miss (an unreadable entry counts as a miss and is rewritten)."""
        path = self.path(identity)
        if not path.is_file():
            return None
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception:
            return None

    def save(self, identity: dict[str, Any], features: Tensor) -> Path:
        path = self.path(identity)
        write_text_atomically(path.with_suffix(".json"), json.dumps(identity, sort_keys=True, indent=1, default=str))
        with atomic_path(path) as partial:
            torch.save(features.detach().cpu().contiguous(), partial)
        return path
