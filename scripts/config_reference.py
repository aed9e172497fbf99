#!/usr/bin/env python
"""Write docs/CONFIG.md, the reference of every config key, from the typed schema.

    python scripts/config_reference.py           # regenerate docs/CONFIG.md after changing schema.py
    python scripts/config_reference.py --check   # exit 1 when docs/CONFIG.md is out of date (a test runs this)

Types and defaults come from the dataclasses in ``gan_lightning/config/schema.py``, meanings from the
docstring under each attribute there, allowed values from the validation rules in
``gan_lightning/config/loading.py`` (which read the registries, so a registered network, loss or dataset
shows up here too). A key without a docstring is an error: the reference must say what every key means.
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

from gan_lightning.config.loading import validation_rules
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.files import write_text_atomically

OUT = Path(__file__).resolve().parents[1] / "docs" / "CONFIG.md"
HEADER = """# Config reference

Every key a run accepts, with its type, default, allowed values and meaning. Generated from
[`gan_lightning/config/schema.py`](../gan_lightning/config/schema.py) (types, defaults, meanings) and the
validation rules in [`gan_lightning/config/loading.py`](../gan_lightning/config/loading.py) (allowed values) by
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
    """The string literal written under each annotated attribute of a class (what Sphinx documents)."""
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


def collect(cls: type, prefix: str, sections: dict[str, tuple[str, list[Key]]], missing: list[str]) -> None:
    """Fill ``sections`` (section key -> (its docstring, its keys)) with ``cls``'s fields, recursively."""
    hints = typing.get_type_hints(cls)
    docs = attribute_docstrings(cls)
    allowed = {rule.key: rule.allowed for rule in validation_rules()}
    keys: list[Key] = []
    sections[prefix.rstrip(".")] = (prose(inspect.getdoc(cls) or ""), keys)
    for field in dataclasses.fields(cls):
        name, hint = f"{prefix}{field.name}", hints[field.name]
        if dataclasses.is_dataclass(hint):
            collect(hint, f"{name}.", sections, missing)
            continue
        if field.name not in docs:
            missing.append(name)
        default = field.default if field.default is not dataclasses.MISSING else field.default_factory()  # type: ignore[misc]
        choices = allowed.get(name, "true or false" if hint is bool else "any")
        keys.append(Key(name, type_name(hint), yaml_value(default), choices, prose(docs.get(field.name, ""))))


def render() -> str:
    """docs/CONFIG.md; raises SystemExit naming the keys that lack a docstring in schema.py."""
    sections: dict[str, tuple[str, list[Key]]] = {}
    missing: list[str] = []
    collect(ExperimentConfig, "", sections, missing)
    if missing:
        raise SystemExit(f"error: config keys without a docstring in schema.py: {', '.join(missing)}")
    lines = [HEADER]
    for section, (description, keys) in sections.items():
        if not keys:
            continue
        lines += [f"## {f'`{section}`' if section else 'Top level'}", "", description, ""]
        lines += ["| key | type | default | allowed | meaning |", "|---|---|---|---|---|"]
        lines += [f"| `{k.name}` | {k.type} | `{k.default}` | {prose(k.allowed)} | {k.meaning} |" for k in keys]
        lines.append("")
    return "\n".join(lines)


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
