"""Reader for the idx format of MNIST and Fashion-MNIST (LeCun et al.), plain or gzip-compressed.

Our own reader rather than torchvision's so one code path serves torchvision's download layout
(``<root>/MNIST/raw/*-ubyte``) and distribution packages that ship only the ``.gz`` files, such as
Debian's ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist/*-ubyte.gz``), without
unpacking anything into a possibly read-only directory.
"""

from __future__ import annotations

import gzip
import os

import numpy as np
import torch
from torch import Tensor

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4")}
"""idx type code -> element type; multi-byte values are big-endian."""


class IdxFormatError(ValueError):
    """The file is not a well-formed idx file."""


def read_idx(path: str | os.PathLike[str]) -> Tensor:
    """The array stored in an idx file (``.gz`` decompressed on the fly), as a tensor of its dims.

    The header is two zero bytes, a type code, the number of dimensions, then each dimension
    as a big-endian uint32; the values follow.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as stream:
        content = stream.read()
    if len(content) < 4 or content[:2] != b"\0\0" or content[2] not in _DTYPES:
        raise IdxFormatError(f"{path} is not an idx file (bad magic number {content[:4].hex()})")
    ndim = content[3]
    header = 4 + 4 * ndim
    dims = tuple(int(d) for d in np.frombuffer(content[4:header], dtype=">u4"))
    dtype = np.dtype(_DTYPES[content[2]])
    expected = header + int(np.prod(dims)) * dtype.itemsize
    if len(content) != expected:
        raise IdxFormatError(f"{path} holds {len(content)} bytes; its header {dims} announces {expected}")
    values = np.frombuffer(content, dtype=dtype, offset=header).reshape(dims)
    return torch.from_numpy(values.astype(dtype.newbyteorder("="), copy=True))
