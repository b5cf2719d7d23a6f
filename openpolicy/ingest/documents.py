"""Provenance: every body ingested is archived in `source_documents` with its sha256.

A document counts as imported once the transaction that wrote its records commits
(`imported_at`, `record_count` are set in that same transaction). The next run asks
`previous_imports` for the last imported body of each URL: its ETag/Last-Modified make the
request conditional, and an identical sha256 skips the document before it is parsed,
reporting its `record_count` records as unchanged, unless a newer version of the source's
parser has come since (`parser_version`): then the body is read again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import Connection, Cursor


@dataclass(frozen=True)
class Document:
    """One fetched body, ready to archive."""

    url: str
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    status_code: int | None = 200

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass(frozen=True)
class PreviousImport:
    """The last successfully imported body of one URL."""

    url: str
    sha256: str
    etag: str | None
    last_modified: str | None
    record_count: int
    parser_version: int | None = None  # the parser version that read it for the tables


def previous_imports(conn: Connection[Any], urls: Iterable[str]) -> dict[str, PreviousImport]:
    """The last imported body of each URL (one query for a whole run)."""
    wanted = sorted(set(urls))
    if not wanted:
        return {}
    rows = conn.execute(
        "SELECT DISTINCT ON (url) url, sha256, etag, last_modified, coalesce(record_count, 0),"
        " parser_version"
        " FROM source_documents WHERE url = ANY(%s) AND imported_at IS NOT NULL"
        " ORDER BY url, imported_at DESC",
        (wanted,),
    ).fetchall()
    return {row[0]: PreviousImport(*row) for row in rows}


def archive(cursor: Cursor[Any], source: str, document: Document) -> int:
    """Store the body (once per URL and hash) and return its `source_documents.id`."""
    cursor.execute(
        "INSERT INTO source_documents"
        " (source, url, sha256, etag, last_modified, content_type, status_code, size_bytes, body)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (url, sha256) DO UPDATE SET fetched_at = now(),"
        " etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified,"
        " content_type = EXCLUDED.content_type, status_code = EXCLUDED.status_code"
        " RETURNING id",
        (
            source,
            document.url,
            document.sha256,
            document.etag,
            document.last_modified,
            document.content_type,
            document.status_code,
            len(document.body),
            document.body,
        ),
    )
    row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def mark_imported(
    cursor: Cursor[Any], document_ids: Sequence[int], record_count: int, parser_version: int
) -> None:
    """Record, in the importing transaction, that these bodies are now in the tables (as
    read by this version of their source's parser)."""
    cursor.execute(
        "UPDATE source_documents SET imported_at = now(), record_count = %s,"
        " parser_version = %s WHERE id = ANY(%s)",
        (record_count, parser_version, list(document_ids)),
    )


def touch(conn: Connection[Any], urls: Sequence[str]) -> None:
    """Note that unchanged documents were seen again (a 304 or the same hash)."""
    if urls:
        conn.execute(
            "UPDATE source_documents d SET fetched_at = now() FROM ("
            "  SELECT DISTINCT ON (url) id FROM source_documents"
            "  WHERE url = ANY(%s) AND imported_at IS NOT NULL ORDER BY url, imported_at DESC"
            ") last WHERE d.id = last.id",
            (list(urls),),
        )
