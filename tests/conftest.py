"""Make ``tests/helpers.py`` importable as ``helpers`` from every test folder, and run every test under the warning
filters ``scripts/fit.py`` runs under."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(autouse=True)
def _quiet_lightning() -> Iterator[None]:
    """The Lightning and PyTorch messages a run hides on purpose (``training.quiet_lightning`` says why for each),
    hidden in tests too: pytest restores the warning filters for every test, dropping the ones set at import."""
    from gan_lightning.training import quiet_lightning

    quiet_lightning()
    yield
