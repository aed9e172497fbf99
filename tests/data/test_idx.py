"""The idx reader: plain and gzip files, every element type, and malformed files."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from gan_lightning.data.idx import IdxFormatError, read_idx


def write_idx(path: Path, array: np.ndarray, code: int = 0x08) -> None:
    """An idx file as LeCun's format defines it (gzip-compressed when ``path`` ends in .gz)."""
    header = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_reads_plain_and_gzip_uint8(tmp_path: Path, name: str) -> None:
    images = np.random.default_rng(0).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / name, images)
    tensor = read_idx(tmp_path / name)
    assert tensor.dtype == torch.uint8 and torch.equal(tensor, torch.from_numpy(images))


@pytest.mark.parametrize(("code", "dtype"), [(0x09, np.int8), (0x0B, np.int16), (0x0C, np.int32), (0x0D, np.float32)])
def test_multi_byte_types_are_big_endian(tmp_path: Path, code: int, dtype: type) -> None:
    values = np.array([[1, -2, 300], [4, 5, -6]], dtype=dtype) if dtype != np.int8 else np.array([[1, -2]], dtype)
    write_idx(tmp_path / "x.idx", values, code)
    assert torch.equal(read_idx(tmp_path / "x.idx"), torch.from_numpy(values))


def test_malformed_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "text").write_bytes(b"hello world")
    with pytest.raises(IdxFormatError, match="text is not an idx file"):
        read_idx(tmp_path / "text")
    write_idx(tmp_path / "short", np.zeros((4, 3), dtype=np.uint8))
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-1])
    with pytest.raises(IdxFormatError, match=r"header \(4, 3\) announces"):
        read_idx(tmp_path / "short")
