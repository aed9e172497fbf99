"""docs/CONFIG.md is generated from the schema and must match it."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from types import ModuleType

from helpers import REPO


def reference_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("config_reference", REPO / "scripts" / "config_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the script runs
    spec.loader.exec_module(module)
    return module


def test_committed_reference_is_up_to_date() -> None:
    # Fails after a schema or validation change until `python scripts/config_reference.py` is rerun.
    assert reference_script().main(["--check"]) == 0


@dataclass
class Documented:
    """A section."""

    rate: float | None = None
    """How | fast, in ``units``."""
    count: int = 3


@dataclass
class Inherited(Documented):
    """A component's options: the section's keys and its own."""

    depth: int = 2
    """Layers."""


def test_every_key_needs_a_docstring_and_cells_are_markdown() -> None:
    script = reference_script()
    missing: list[str] = []
    rate, count = script.keys_of(Documented, "part.", set(), missing, {})
    assert missing == ["part.count (Documented)"]
    assert (rate.type, rate.default, rate.meaning) == ("float or null", "null", "How \\| fast, in `units`.")
    assert (count.type, count.default, count.allowed) == ("int", "3", "any")


def test_a_component_lists_its_own_options_with_the_docstrings_it_inherits() -> None:
    script = reference_script()
    missing: list[str] = []
    (depth,) = script.keys_of(Inherited, "part.", {"rate", "count"}, missing, {"part.depth": "1 or 2"})
    assert missing == [] and (depth.name, depth.allowed, depth.meaning) == ("part.depth", "1 or 2", "Layers.")
    assert script.attribute_docstrings(Inherited)["rate"] == "How | fast, in ``units``."
