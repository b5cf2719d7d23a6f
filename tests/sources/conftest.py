"""Shared helpers for the parser tests: the real captures under tests/fixtures/."""

from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="session")
def capture() -> Callable[[str], bytes]:
    """Read a captured file by its path under tests/fixtures/ (bytes, as fetched)."""

    def read(relative: str) -> bytes:
        return (FIXTURES / relative).read_bytes()

    return read
