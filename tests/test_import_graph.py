"""The import graph of the project's packages (issue #23, item 10): no module reaches itself
through its imports, and the layers point one way.

Every import counts, also one inside a function (imported where used to keep a command's
start fast): it still ties the two modules together. The layers: ``queries`` and ``geo`` never
import the generator (``synthetic``), the app (``dashboard``, ``pages``, ``outreach``) or
Streamlit; ``geo`` never imports ``queries``. The demo replica is built through
``python -m synthetic`` (a process, not an import; docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("dashboard", "geo", "queries", "outreach", "synthetic", "bench")
LAYERS = ("geo", "queries", "synthetic", "outreach", "dashboard", "bench")
"""From the bottom up: a package imports from its own layer or below (docs/ARCHITECTURE.md)."""
FORBIDDEN = {
    "queries": ("synthetic", "dashboard", "pages", "outreach", "bench", "streamlit"),
    "geo": ("queries", "synthetic", "dashboard", "pages", "outreach", "bench", "streamlit"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree: ast.AST) -> set[str]:
    """Every module name an import statement anywhere in ``tree`` names (for ``from a import
    b``: ``a`` and ``a.b``, which is a module when ``b`` is one)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _sources() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }


def imports() -> dict[str, set[str]]:
    """module → every name it imports (the project's and third parties')."""
    return {name: _imported(ast.parse(path.read_text())) for name, path in _sources().items()}


def graph() -> dict[str, set[str]]:
    """module → the project's modules it imports (a package's ``__init__`` is its name)."""
    modules = set(_sources())
    return {
        name: {other for other in imported if other in modules and other != name}
        for name, imported in imports().items()
    }


def test_no_module_reaches_itself_through_its_imports() -> None:
    try:
        graphlib.TopologicalSorter(graph()).prepare()
    except graphlib.CycleError as error:
        pytest.fail(f"import cycle: {' -> '.join(error.args[1])}")


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_the_lower_layers_never_import_the_upper_ones(layer: str) -> None:
    against = sorted(
        f"{module} -> {name}"
        for module, imported in imports().items()
        if module.split(".")[0] == layer
        for name in imported
        if name.split(".")[0] in FORBIDDEN[layer]
    )
    assert against == []


def test_every_package_imports_only_from_its_layer_or_below() -> None:
    rank = {package: position for position, package in enumerate(LAYERS)}
    upward = sorted(
        f"{module} -> {other}"
        for module, imported in graph().items()
        for other in imported
        if rank[other.split(".")[0]] > rank[module.split(".")[0]]
    )
    assert upward == []


def test_the_graph_sees_lazy_imports_and_packages() -> None:
    """The checks above can fail: a lazy import is an edge, and the packages are all there."""
    edges = graph()
    assert "queries.sync" in edges["dashboard.data"] | edges["queries.bootstrap"]
    assert {name.split(".")[0] for name in edges} == set(PACKAGES)
