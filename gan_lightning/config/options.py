"""Typed options with the check each value must pass, declared where the option is.

A config section is a dataclass; a field made by :func:`option` (or one of its shorthands) carries a :class:`Rule`
in its metadata, which :func:`gan_lightning.config.loading.validate` applies and ``docs/CONFIG.md`` prints in its
"allowed" column. A dataset, network or loss with options of its own declares them the same way, in a subclass of
its section (``DataConfig``, ``GeneratorConfig``, ...) in its own file, so the check lives beside the option it
guards.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rule:
    """What a value must satisfy, and how an error message says so."""

    check: Callable[[Any], bool]
    allowed: str


def option(default: Any, rule: Rule | None = None) -> Any:
    """A dataclass field holding ``default`` (a fresh copy per instance for a list) and checked by ``rule``."""
    metadata = {"rule": rule} if rule else {}
    if isinstance(default, list):
        return dataclasses.field(default_factory=lambda: list(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def rule_of(field: dataclasses.Field[Any]) -> Rule | None:
    return field.metadata.get("rule")


def one_of(default: Any, choices: Iterable[Any]) -> Any:
    choices = tuple(choices)
    return option(default, Rule(lambda v: v in choices, "one of " + ", ".join(map(str, choices))))


def positive(default: Any) -> Any:
    return option(default, Rule(lambda v: v > 0, "a number > 0"))


def non_negative(default: Any) -> Any:
    return option(default, Rule(lambda v: v >= 0, "a number >= 0"))


def at_least(default: Any, low: int) -> Any:
    return option(default, Rule(lambda v: v >= low, f"an integer >= {low}"))


def optional_positive(default: Any = None) -> Any:
    return option(default, Rule(lambda v: v is None or v > 0, "null or a number > 0"))


def unit_interval(default: float, *, closed_high: bool = True, open_low: bool = False) -> Any:
    """A number in [0, 1] (``closed_high=False``: [0, 1); ``open_low``: (0, ...)."""
    low, high = ("(" if open_low else "["), ("]" if closed_high else ")")

    def check(value: float) -> bool:
        return (value > 0 if open_low else value >= 0) and (value <= 1 if closed_high else value < 1)

    return option(default, Rule(check, f"a number in {low}0, 1{high}"))


def interval(default: list[float], low: float | None = None) -> Any:
    """A ``[low, high]`` pair with ``low <= high`` (and both at least ``low`` when given)."""

    def check(value: list[float]) -> bool:
        return len(value) == 2 and value[0] <= value[1] and (low is None or value[0] >= low)

    bound = "" if low is None else f", low >= {low:g}"
    return option(default, Rule(check, f"a pair [low, high] with low <= high{bound}"))
