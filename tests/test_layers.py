"""The package's layers: registries and plain types at the bottom; networks, data, losses and metrics above them;
kinds and conditionings above those; then the module, training, benchmarks and scripts. Read from the source's own
import statements (``if TYPE_CHECKING:`` blocks included: an annotation that needs a higher layer is a dependency
too), so the check needs nothing imported and sees what a reader sees."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import REPO

PACKAGE = REPO / "gan_lightning"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported_module(name: str) -> str | None:
    """The package's module that ``name`` (``a.b.c`` or ``a.b`` + an imported name) lives in, if any."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def internal_imports(path: Path) -> tuple[set[str], list[tuple[str, int]]]:
    """The package modules ``path`` imports at module level, and those it imports inside a function (with lines)."""
    top: set[str] = set()
    inner: list[tuple[str, int]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            targets: list[str | None] = []
            if isinstance(child, ast.ImportFrom) and child.module and child.module.startswith("gan_lightning"):
                targets = [imported_module(f"{child.module}.{alias.name}") for alias in child.names]
            elif isinstance(child, ast.Import):
                targets = [
                    imported_module(alias.name) for alias in child.names if alias.name.startswith("gan_lightning")
                ]
            for target in filter(None, targets):
                if target != module_name(path):
                    (inner.append((target, child.lineno)) if nested else top.add(target))
            visit(child, nested)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return top, inner


GRAPH = {name: internal_imports(path) for name, path in MODULES.items()}


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components of more than one module: each is a circle of imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[list[str]] = []

    def strong(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                strong(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in graph:
        if node not in index:
            strong(node)
    return components


def test_no_module_imports_itself_back_through_others() -> None:
    assert strongly_connected({name: top for name, (top, _) in GRAPH.items()}) == []


def test_the_circle_finder_finds_a_circle() -> None:
    """The control: a graph with a loop of three and a tail is reported as exactly that loop."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert strongly_connected(graph) == [["a", "b", "c"]]


def test_no_function_imports_the_package_to_dodge_an_import_order() -> None:
    """Every import of the package's own modules stands at the top of its file, where the layers show."""
    inner = [f"{MODULES[name].relative_to(REPO)}:{line} -> {target}" for name, (_, imports) in GRAPH.items()
             for target, line in imports]  # fmt: skip
    assert inner == []


LAYERS = [
    ("registry", "files", "rng", "scheduling", "generating", "visualization", "sequence_pictures", "image_logging",
     "wandb_logging", "ema", "sweep", "config.schema", "config.options", "config.outputs"),
    ("data", "networks", "losses", "loggers", "augment"),
    ("metrics", "steps", "callbacks"),
    ("kinds",),
    ("conditioning",),
    ("config.sections", "config.loading", "module"),
    ("checkpointing", "training", "inspection", "benchmarks"),
]  # fmt: skip
"""The layers from the bottom up, by module prefix (within ``gan_lightning``); a module imports its own layer and
those below."""


def layer_of(name: str) -> int:
    relative = name.removeprefix("gan_lightning").removeprefix(".")
    matches = [
        (len(prefix), level)
        for level, prefixes in enumerate(LAYERS)
        for prefix in prefixes
        if relative == prefix or relative.startswith(f"{prefix}.")
    ]
    assert matches, f"{name} is in no layer"
    return max(matches)[1]


def test_no_import_runs_from_a_lower_layer_to_a_higher_one() -> None:
    upward = [
        f"{name} -> {target}"
        for name, (top, _) in GRAPH.items()
        if name not in ("gan_lightning", "gan_lightning.config")
        for target in top
        if layer_of(target) > layer_of(name)
    ]
    assert upward == []
