"""What one run of a source fetches: its units of work (each source's own `plan`).

Kept as the import path the CLI, the scheduler and tests know; the plans themselves live
with each source (`openpolicy.ingest.source.Source.plan`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from psycopg import Connection

from openpolicy.config import Settings
from openpolicy.ingest.registry import SOURCE_ORDER, source
from openpolicy.ingest.source import Unit

__all__ = ["SOURCE_ORDER", "Unit", "group_units", "plan"]


def group_units(name: str, urls: Iterable[str]) -> list[Unit]:
    """Group URLs into units of source `name`, primary edition first."""
    return source(name).units(urls)


def plan(name: str, conn: Connection[Any], settings: Settings) -> list[Unit]:
    """The units a live run of source `name` fetches."""
    return source(name).plan(conn, settings)
