"""Writing files so that a reader never sees half of one: write beside the target, then rename over it.

A rename within one folder is atomic, so a crash, a kill or a full disk mid-write leaves either the old file or
the new one, never a truncated file that a resumed run, a cache lookup or a user would then trust.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed over ``path`` when the block ends without an error,
    removed otherwise. The temporary name keeps ``path``'s suffix (``numpy.savez`` appends ``.npz`` to others) and
    holds the process id, so two processes writing one target do not write into each other's file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.stem}.{os.getpid()}.tmp{target.suffix}")
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomically(path: str | os.PathLike[str], text: str) -> None:
    """``path.write_text(text)`` through :func:`atomic_path`."""
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
