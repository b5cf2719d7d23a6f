"""The import graph (DESIGN §1-2, docs/architecture.md): no circles, and the layers keep to
their side.

* `sources` imports nothing from the database; `api`, `web` and `queries` never import
  `sources` or `ingest`; the write side (`ingest`) never imports the read side (`queries`).
* Only `openpolicy.db` opens connections or pools; the API's routes and the web pages hold
  no SQL (they call `openpolicy.queries`), and the private `queries._sql` is not imported
  from outside `queries/`.
* No module reaches itself through imports, counting the imports inside functions (a
  function-level import is still a circle, only a later one); imports under
  `if TYPE_CHECKING:` never run and are left out. `from package import module` is an
  edge to that module, not to the package's `__init__`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "openpolicy"

FORBIDDEN = {
    "sources": ("sqlalchemy", "psycopg", "openpolicy.db", "openpolicy.ingest"),
    "api": ("openpolicy.sources", "openpolicy.ingest"),
    "web": ("openpolicy.sources", "openpolicy.ingest", "psycopg", "sqlalchemy.orm"),
    "queries": ("openpolicy.sources", "openpolicy.ingest", "openpolicy.api", "openpolicy.web"),
    "ingest": ("openpolicy.queries", "openpolicy.api", "openpolicy.web"),
    "api/routes": ("psycopg", "sqlalchemy"),
}
PRIVATE = {"openpolicy.queries._sql": "queries"}
# Calls that open a connection or a pool: only openpolicy.db makes them on the read side.
OPENERS = {
    "psycopg.connect",
    "psycopg.Connection.connect",
    "psycopg.AsyncConnection.connect",
    "Connection.connect",
    "AsyncConnection.connect",
    "AsyncConnectionPool",
    "ConnectionPool",
    "psycopg_pool.AsyncConnectionPool",
    "psycopg_pool.ConnectionPool",
    "create_engine",
    "sqlalchemy.create_engine",
}
READ_SIDE = ("api", "web", "queries")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def _type_checking_blocks(tree: ast.AST) -> set[int]:
    """Ids of the nodes under `if TYPE_CHECKING:`."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and (
            (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
            or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")
        ):
            for child in node.body:
                skipped.update(id(inner) for inner in ast.walk(child))
    return skipped


def imports(path: Path, module: str) -> Iterator[str]:
    """Every module name `path` imports, wherever the import statement is."""
    tree = ast.parse(path.read_text(), filename=str(path))
    skipped = _type_checking_blocks(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module if path.name == "__init__.py" else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            for alias in node.names:
                # `from package import module` depends on that module; `from module import
                # name` on the module (a package's __init__ included) defining the name.
                submodule = f"{source}.{alias.name}"
                yield submodule if submodule in MODULES else source


def _resolve(name: str) -> str | None:
    """The project module `name` is, or is in (None outside the project)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        edges = set()
        for name in imports(path, module):
            if name in MODULES or not name.startswith("openpolicy."):
                target = name if name in MODULES else None
            else:
                target = _resolve(name)
            if target is not None and target != module:
                edges.add(target)
        graph[module] = edges
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def layer_violations() -> list[str]:
    found = []
    for layer, banned in FORBIDDEN.items():
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            module = module_name(path)
            for name in set(imports(path, module)):
                if name.startswith(banned):
                    found.append(f"{path.relative_to(ROOT)} imports {name}")
    for private, home in PRIVATE.items():
        for module, path in MODULES.items():
            if module.startswith(f"openpolicy.{home}."):
                continue
            if any(name == private for name in imports(path, module)):
                found.append(f"{path.relative_to(ROOT)} imports {private}")
    return sorted(set(found))


def opener_violations() -> list[str]:
    """Read-side modules that open connections or pools themselves."""
    found = []
    for layer in READ_SIDE:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = _dotted(node.func)
                if name in OPENERS:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} calls {name}")
    return found


def _dotted(node: ast.expr) -> str:
    """`a.b.c` for a call like `a.b.c(...)` (empty for anything else)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else ""
    return ""


def sql_in_handlers() -> list[str]:
    """Route handlers and pages that run statements themselves (`.execute(`)."""
    found = []
    for folder in (PACKAGE / "api" / "routes", PACKAGE / "web"):
        for path in sorted(folder.rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"execute", "executemany", "cursor", "pipeline"}
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_the_import_graph_has_no_circles() -> None:
    assert circles(import_graph()) == []


def test_layers_respect_the_import_rules() -> None:
    assert layer_violations() == []


def test_only_the_db_module_opens_read_connections() -> None:
    assert opener_violations() == []


def test_handlers_and_pages_hold_no_sql() -> None:
    assert sql_in_handlers() == []


def test_the_graph_sees_a_circle_through_a_function_level_import(tmp_path: Path) -> None:
    """The checks can fail: a circle closed by an import inside a function is found, an
    import under TYPE_CHECKING is not an edge, and a relative import resolves."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]
    source = tmp_path / "mod.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from openpolicy.app import create_app\n"
        "def later():\n    from openpolicy import db\n"
        "from . import sibling\n"
    )
    names = set(imports(source, "openpolicy.pkg.mod"))
    assert "openpolicy.db" in names and "openpolicy.pkg" in names
    assert not any(name.startswith("openpolicy.app") for name in names)
