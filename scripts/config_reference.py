#!/usr/bin/env python
"""Write docs/CONFIG.md, the reference of every config key, from the typed schema.

    python scripts/config_reference.py           # regenerate docs/CONFIG.md after changing schema.py
    python scripts/config_reference.py --check   # exit 1 when docs/CONFIG.md is out of date (a test runs this)

Types and defaults come from the dataclasses in ``gan_lightning/config/schema.py`` and from the option classes
each dataset, network and loss registers in its own file (``gan_lightning/config/sections.py``), meanings from the
docstring under each attribute, allowed values from the rule each field declares and from the registries
(``gan_lightning/config/loading.py``), so a registered component and its options show up here too. A key without a
docstring is an error: the reference must say what every key means.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import sys
import textwrap
import types
import typing
from pathlib import Path
from typing import Any

from gan_lightning.config.loading import registry_rules
from gan_lightning.config.options import rule_of
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.config.sections import SECTIONS
from gan_lightning.files import write_text_atomically

OUT = Path(__file__).resolve().parents[1] / "docs" / "CONFIG.md"
HEADER = """# Config reference

Every key a run accepts, with its type, default, allowed values and meaning. `data`, `generator`, `discriminator`
(and each of `extra_discriminators`) and `loss` hold their common keys plus the options of the dataset, network or
loss they choose, listed under each section by component. Generated from
[`gan_lightning/config/schema.py`](../gan_lightning/config/schema.py) and the option classes the components
register in their own files (types, defaults, meanings, rules) and from the registries (allowed names) by
`python scripts/config_reference.py`; do not edit it by hand. Set keys in an experiment YAML or on the command
line (`train.max_steps=2000` or `--train.max_steps=2000`); see the [README](../README.md#configuration).
"""


@dataclasses.dataclass(frozen=True)
class Key:
    name: str
    type: str
    default: str
    allowed: str
    meaning: str


def attribute_docstrings(cls: type) -> dict[str, str]:
    """The string literal written under each annotated attribute of a class or of a dataclass it inherits from
    (what Sphinx documents); the nearest class's wins."""
    docs: dict[str, str] = {}
    for base in reversed(cls.__mro__):
        if dataclasses.is_dataclass(base):
            docs.update(own_docstrings(base))
    return docs


def own_docstrings(cls: type) -> dict[str, str]:
    (node,) = ast.parse(textwrap.dedent(inspect.getsource(cls))).body
    assert isinstance(node, ast.ClassDef)
    docs: dict[str, str] = {}
    for statement, following in zip(node.body, node.body[1:], strict=False):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[statement.target.id] = following.value.value
    return docs


def type_name(hint: Any) -> str:
    """``Optional[float]`` -> ``float or null``, ``list[str]`` -> ``list of str``."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) is list:
        return f"list of {type_name(args[0])}"
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join("null" if a is type(None) else type_name(a) for a in args)
    return hint.__name__


def yaml_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(yaml_value(v) for v in value) + "]"
    return str(value) if value != "" else '""'


def prose(docstring: str) -> str:
    """One table cell: whitespace collapsed, reST ``code`` as Markdown `code`, pipes escaped."""
    return " ".join(docstring.split()).replace("``", "`").replace("|", "\\|")


def allowed_values() -> dict[str, str]:
    """Dotted key -> what its values may be, for the registry-checked keys."""
    return {key_rule.key: key_rule.rule.allowed for key_rule in registry_rules()}


def keys_of(cls: type, prefix: str, skip: set[str], missing: list[str], allowed: dict[str, str]) -> list[Key]:
    """One row per field of ``cls`` not in ``skip`` (nested dataclass sections excluded)."""
    hints = typing.get_type_hints(cls)
    docs = attribute_docstrings(cls)
    keys: list[Key] = []
    for field in dataclasses.fields(cls):
        name, hint = f"{prefix}{field.name}", hints[field.name]
        if field.name in skip or dataclasses.is_dataclass(hint):
            continue
        if field.name not in docs:
            missing.append(f"{name} ({cls.__name__})")
        default = field.default if field.default is not dataclasses.MISSING else field.default_factory()  # type: ignore[misc]
        rule = rule_of(field)
        choices = rule.allowed if rule else allowed.get(name, "true or false" if hint is bool else "any")
        keys.append(Key(name, type_name(hint), yaml_value(default), choices, prose(docs.get(field.name, ""))))
    return keys


def table(keys: list[Key]) -> list[str]:
    lines = ["| key | type | default | allowed | meaning |", "|---|---|---|---|---|"]
    lines += [f"| `{k.name}` | {k.type} | `{k.default}` | {prose(k.allowed)} | {k.meaning} |" for k in keys]
    return [*lines, ""]


def section_lines(cls: type, prefix: str, missing: list[str], allowed: dict[str, str]) -> list[str]:
    """A section's table, then, for a section that grows by its component, one table per option class."""
    title = prefix.rstrip(".")
    lines = [f"## {f'`{title}`' if title else 'Top level'}", "", prose(inspect.getdoc(cls) or ""), ""]
    lines += table(keys_of(cls, prefix, set(), missing, allowed))
    section = SECTIONS.get(title)
    if section is None:
        return lines
    common = {field.name for field in dataclasses.fields(section.common)}
    by_class: dict[type, list[str]] = {}
    for name in section.registry:
        by_class.setdefault(section.options.get(name, section.common), []).append(name)
    for options, names in by_class.items():
        if options is section.common:
            continue
        choice = ", ".join(f"`{name}`" for name in names)
        lines += [f"### {title}.{section.chooser}: {choice}", "", prose(inspect.getdoc(options) or ""), ""]
        lines += table(keys_of(options, prefix, common, missing, allowed))
    bare = ", ".join(f"`{name}`" for name in by_class.get(section.common, []))
    if bare:
        lines += [f"The other {section.component}s ({bare}) take the common keys only.", ""]
    return lines


def render() -> str:
    """docs/CONFIG.md; raises SystemExit naming the keys that lack a docstring."""
    missing: list[str] = []
    allowed = allowed_values()
    lines = [HEADER]
    lines += section_lines(ExperimentConfig, "", missing, allowed)
    hints = typing.get_type_hints(ExperimentConfig)
    for field in dataclasses.fields(ExperimentConfig):
        if dataclasses.is_dataclass(hints[field.name]):
            lines += nested(hints[field.name], f"{field.name}.", missing, allowed)
    if missing:
        raise SystemExit(f"error: config keys without a docstring: {', '.join(missing)}")
    return "\n".join(lines)


def nested(cls: type, prefix: str, missing: list[str], allowed: dict[str, str]) -> list[str]:
    lines = section_lines(cls, prefix, missing, allowed)
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[field.name]):
            lines += nested(hints[field.name], f"{prefix}{field.name}.", missing, allowed)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only compare with docs/CONFIG.md; exit 1 if it differs")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    text = render()
    if args.check:
        if not OUT.is_file() or OUT.read_text(encoding="utf-8") != text:
            print(f"error: {OUT} is out of date; run python scripts/config_reference.py", file=sys.stderr)
            return 1
        print(f"{OUT} is up to date")
        return 0
    write_text_atomically(OUT, text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
