"""DESIGN §2: sources import nothing from the database; api and web never import ingest."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "openpolicy"

FORBIDDEN = {
    "sources": ("sqlalchemy", "psycopg", "openpolicy.db", "openpolicy.models", "openpolicy.ingest"),
    "api": ("openpolicy.sources", "openpolicy.ingest"),
    "web": ("openpolicy.sources", "openpolicy.ingest"),
    "queries": ("openpolicy.sources", "openpolicy.ingest"),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def violations() -> list[str]:
    found = []
    for layer, banned in FORBIDDEN.items():
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            for module in imported_modules(path):
                if module.startswith(banned):
                    found.append(f"{path.relative_to(PACKAGE.parent)} imports {module}")
    return found


def test_layers_respect_the_import_rule() -> None:
    assert violations() == []


def test_the_rule_detects_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from openpolicy.db import create_db_engine\nimport sqlalchemy\n")
    assert {"openpolicy.db", "sqlalchemy"} <= imported_modules(bad)
