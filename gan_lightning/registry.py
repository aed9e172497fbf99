"""Registering implementations under the names config strings choose them by, from their own files.

Every extension point is a plain ``dict`` of name -> implementation: ``GENERATORS`` and
``DISCRIMINATORS`` (``gan_lightning/networks``), ``LOSSES`` (``losses``), ``DATASETS`` (``data``),
``EXTRACTORS`` and ``METRICS`` (``metrics``: every kind's metrics,
:mod:`gan_lightning.metrics.suite`). Each has a decorator made by :func:`registrar` (``register_generator``,
``register_loss``, ...) that an implementation applies to itself in its own file, and each of
those packages imports every module in its folder (:func:`import_package_modules`). So a new file
dropped into ``gan_lightning/losses/`` is all it takes for ``loss.name`` to accept its name; the
config validator reads the allowed names from the dicts when it runs, so its error messages list
the new names too.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

ANY = "any"
"""What a component lists where it takes every kind of data (a network's ``data_kinds``, a metric's kinds) or every
conditioning (a metric's conditionings)."""


def registrar(
    registry: dict[str, T], kind: str, sections: dict[str, type] | None = None
) -> Callable[..., Callable[[T], T]]:
    """``register(name, section=None)``: a decorator adding the decorated class or function to ``registry`` as
    ``name``, and ``section`` (the subclass of its config section that declares the component's own options, e.g.
    a dataset's ``DataConfig`` subclass) to ``sections``, where config loading finds it.

    Two different implementations under one name raise a ValueError naming both (two forks' files
    colliding must not silently pick one); ``kind`` names the registry in that message.
    """

    def register(name: str, section: type | None = None) -> Callable[[T], T]:
        if section is not None and sections is None:
            raise ValueError(f"{kind}s have no options of their own; register {name!r} without a section")

        def add(entry: T) -> T:
            if name in registry and not _same_definition(registry[name], entry):
                raise ValueError(f"two {kind}s are registered as {name!r}: {registry[name]!r} and {entry!r}")
            registry[name] = entry
            if section is not None:
                sections[name] = section  # type: ignore[index]
            return entry

        return add

    return register


def _same_definition(old: object, new: object) -> bool:
    """The same object, or the same class or function defined again (a module reloaded in a notebook)."""
    if old is new:
        return True
    names = ("__module__", "__qualname__")
    if not all(hasattr(entry, name) for entry in (old, new) for name in names):
        return False
    return all(getattr(old, name) == getattr(new, name) for name in names)


def import_package_modules(package: str) -> None:
    """Import every module in ``package``'s folder, so the ones that register implementations do so.

    Called at the end of each extension package's ``__init__``: its registries exist by then, so a
    module imported here can ``from <package> import register_...`` while the package is still loading.
    """
    for module in pkgutil.iter_modules(importlib.import_module(package).__path__):
        importlib.import_module(f"{package}.{module.name}")
