"""Logical backups: `pg_dump -Fc` files with a checksum and a manifest, verified on creation.

A backup is three files in the backup directory, named after the database and the UTC time:

    openpolicy-20260301T030000Z.dump          the custom-format dump (pg_restore -j can use it)
    openpolicy-20260301T030000Z.dump.sha256   `sha256sum -c` compatible
    openpolicy-20260301T030000Z.dump.json     manifest: times, sizes, versions, verification

The manifest is written last, so a dump without one is incomplete and never restored. Each
successful `backup create` also records an audit event in the database, which is what the
`backup_last_success_timestamp` gauge reads (every replica reports the same truth).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openpolicy.errors import NotFoundError
from openpolicy.ops.pg import (
    OpsError,
    PgTarget,
    connect,
    run_tool,
    server_version,
)

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
DUMP_SUFFIX = ".dump"
# gzip level 1 in pg_dump: a third of the size of an uncompressed dump for a fraction of
# the time of the default level (bench/restore measures it).
DUMP_COMPRESSION = "gzip:1"
BASE_DIR = "base"
WAL_DIR = "wal"
_NAME = re.compile(r"^(?P<db>.+?)-(?P<stamp>\d{8}T\d{6}Z)(?:-(?P<n>\d+))?\.dump$")
CORE_TABLES = ("ballots", "votes", "bills", "speeches", "elected_members")
BACKUP_EVENT = "backup.verified"


class BackupError(OpsError):
    title = "Backup error"
    type_slug = "backup-error"


class BackupNotFoundError(NotFoundError, BackupError):
    """The backup the operator named is not there (exit 3)."""


@dataclass
class BackupInfo:
    """One dump and what its manifest says about it."""

    path: Path
    database: str
    created_at: datetime
    size_bytes: int
    sha256: str | None = None
    finished_at: datetime | None = None
    dump_seconds: float | None = None
    verified_at: datetime | None = None
    server_version: str | None = None
    alembic_revision: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    def age_seconds(self, now: datetime | None = None) -> float:
        return ((now or utc_now()) - self.created_at).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        data["name"] = self.path.name
        for key in ("created_at", "finished_at", "verified_at"):
            value = getattr(self, key)
            data[key] = value.isoformat() if value else None
        data["verified"] = self.verified
        return data


def utc_now() -> datetime:
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(STAMP_FORMAT)


def parse_stamp(text: str) -> datetime:
    return datetime.strptime(text, STAMP_FORMAT).replace(tzinfo=UTC)


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name + ".json")


def checksum_path(dump: Path) -> Path:
    return dump.with_name(dump.name + ".sha256")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_path(path: Path) -> None:
    """Flush a file (or a directory entry) to disk: a backup that is not durable is not one."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


PRIVATE_UMASK = 0o077


@contextmanager
def owner_only(directory: Path) -> Iterator[Path]:
    """Create `directory` (and parents) readable by its owner only, and make everything
    created meanwhile, by us or by the client tools we run, 0600/0700: dumps hold client
    addresses and key hashes. An existing directory loses every read and write bit but its
    owner's; execute bits stay, because the embedded server (its own system user when we are
    root) must traverse it to reach the WAL archive inside (`pg.grant_server_access`)."""
    previous = os.umask(PRIVATE_UMASK)
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        mode = directory.stat().st_mode & 0o777
        if mode & 0o066:
            directory.chmod(mode & ~0o066)
        yield directory
    finally:
        os.umask(previous)


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    fsync_path(tmp)
    tmp.replace(path)
    fsync_path(path.parent)


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_backup(dump: Path) -> BackupInfo:
    """What we know of one dump: its manifest, or only its name when the manifest is missing."""
    match = _NAME.match(dump.name)
    if match is None:
        raise BackupError(
            f"{dump.name} is not a backup name (expected DATABASE-YYYYMMDDTHHMMSSZ.dump)"
        )
    created = parse_stamp(match["stamp"])
    size = dump.stat().st_size if dump.exists() else 0
    info = BackupInfo(path=dump, database=match["db"], created_at=created, size_bytes=size)
    manifest = manifest_path(dump)
    if manifest.exists():
        try:
            data = json.loads(manifest.read_text())
        except ValueError as exc:
            raise BackupError(f"{manifest} is not valid JSON: {exc}") from exc
        info.created_at = _parse_time(data.get("created_at")) or created
        info.finished_at = _parse_time(data.get("finished_at"))
        info.verified_at = _parse_time(data.get("verified_at"))
        info.sha256 = data.get("sha256")
        info.dump_seconds = data.get("dump_seconds")
        info.server_version = data.get("server_version")
        info.alembic_revision = data.get("alembic_revision")
        info.extra = {k: v for k, v in data.items() if k not in _MANIFEST_KEYS}
    return info


_MANIFEST_KEYS = {
    "file",
    "database",
    "created_at",
    "finished_at",
    "verified_at",
    "sha256",
    "size_bytes",
    "dump_seconds",
    "server_version",
    "alembic_revision",
}


def _write_manifest(info: BackupInfo) -> None:
    write_json_atomic(
        manifest_path(info.path),
        {
            "file": info.path.name,
            "database": info.database,
            "created_at": info.created_at.isoformat(),
            "finished_at": info.finished_at.isoformat() if info.finished_at else None,
            "verified_at": info.verified_at.isoformat() if info.verified_at else None,
            "sha256": info.sha256,
            "size_bytes": info.size_bytes,
            "dump_seconds": info.dump_seconds,
            "server_version": info.server_version,
            "alembic_revision": info.alembic_revision,
            **info.extra,
        },
    )


def list_backups(backup_dir: Path) -> list[BackupInfo]:
    """Every complete dump in the directory (a manifest exists), newest first."""
    if not backup_dir.is_dir():
        return []
    found = []
    for path in backup_dir.glob(f"*{DUMP_SUFFIX}"):
        if _NAME.match(path.name) and manifest_path(path).exists():
            found.append(read_backup(path))
    return sorted(found, key=lambda info: info.created_at, reverse=True)


def latest_verified(backup_dir: Path) -> BackupInfo | None:
    for info in list_backups(backup_dir):
        if info.verified:
            return info
    return None


def _new_dump_path(backup_dir: Path, database: str, moment: datetime) -> Path:
    base = f"{database}-{stamp(moment)}"
    path = backup_dir / f"{base}{DUMP_SUFFIX}"
    counter = 1
    while path.exists() or manifest_path(path).exists():
        counter += 1
        path = backup_dir / f"{base}-{counter}{DUMP_SUFFIX}"
    return path


def _alembic_revision(target: PgTarget) -> str | None:
    with connect(target) as conn:
        exists = conn.execute("SELECT to_regclass('public.alembic_version')").fetchone()
        if not exists or exists[0] is None:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version LIMIT 1").fetchone()
    return str(row[0]) if row else None


def create_backup(target: PgTarget, backup_dir: Path, *, verify: bool = True) -> BackupInfo:
    """Dump `target` into the backup directory, checksum it, verify it, record the success.
    Every file is 0600 in a 0700 directory (`owner_only`)."""
    with owner_only(backup_dir):
        return _create_backup(target, backup_dir, verify=verify)


def _create_backup(target: PgTarget, backup_dir: Path, *, verify: bool) -> BackupInfo:
    created = utc_now()
    path = _new_dump_path(backup_dir, target.database, created)
    partial = path.with_name(path.name + ".partial")
    version = server_version(target)
    revision = _alembic_revision(target)
    started = time.perf_counter()
    try:
        run_tool(
            "pg_dump",
            ["--format=custom", f"--compress={DUMP_COMPRESSION}", "--file", str(partial)],
            target,
        )
    except OpsError:
        partial.unlink(missing_ok=True)
        raise
    seconds = time.perf_counter() - started
    fsync_path(partial)
    partial.replace(path)
    fsync_path(backup_dir)
    digest = sha256_file(path)
    checksum_path(path).write_text(f"{digest}  {path.name}\n")
    fsync_path(checksum_path(path))
    info = BackupInfo(
        path=path,
        database=target.database,
        created_at=created,
        finished_at=utc_now(),
        size_bytes=path.stat().st_size,
        sha256=digest,
        dump_seconds=round(seconds, 3),
        server_version=version,
        alembic_revision=revision,
        extra={"host": socket.gethostname(), "pg_dump_compression": DUMP_COMPRESSION},
    )
    _write_manifest(info)
    if verify:
        verify_backup(path)
        info = read_backup(path)
        record_backup_event(target, info)
    return info


@dataclass
class VerifyResult:
    path: Path
    sha256: str
    toc_entries: int
    table_data_entries: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "sha256": self.sha256,
            "toc_entries": self.toc_entries,
            "table_data_entries": self.table_data_entries,
            "seconds": round(self.seconds, 3),
            "ok": True,
        }


def resolve_backup_file(file: Path | str, backup_dir: Path) -> Path:
    """Accept a path, or a bare name found in the backup directory."""
    path = Path(file)
    if path.exists():
        return path
    candidate = backup_dir / path.name
    if candidate.exists():
        return candidate
    raise BackupNotFoundError(f"no backup file {file} (looked in {backup_dir} too)")


def verify_backup(path: Path) -> VerifyResult:
    """Checksum and `pg_restore -l`: the file is intact and a readable OpenPolicy dump."""
    started = time.perf_counter()
    if not path.is_file():
        raise BackupNotFoundError(f"no backup file {path}")
    sidecar = checksum_path(path)
    if not sidecar.exists():
        raise BackupError(f"{path.name}: checksum file {sidecar.name} is missing")
    expected = sidecar.read_text().split()[0] if sidecar.read_text().strip() else ""
    actual = sha256_file(path)
    if actual != expected:
        raise BackupError(
            f"{path.name}: checksum mismatch (file {actual[:12]}…, recorded {expected[:12]}…): "
            "the file is damaged"
        )
    listing = run_tool("pg_restore", ["--list", str(path)], None)
    entries = [line for line in listing.splitlines() if line and not line.startswith(";")]
    table_data = [line for line in entries if " TABLE DATA " in line]
    missing = [
        table
        for table in CORE_TABLES
        if not any(re.search(rf" TABLE public {table}(?: |$)", line) for line in entries)
    ]
    if missing:
        raise BackupError(
            f"{path.name}: not an OpenPolicy dump (no table {', '.join(missing)} in its contents)"
        )
    if manifest_path(path).exists():
        info = read_backup(path)
        info.verified_at = utc_now()
        info.sha256 = actual
        _write_manifest(info)
    return VerifyResult(path, actual, len(entries), len(table_data), time.perf_counter() - started)


def record_backup_event(target: PgTarget, info: BackupInfo) -> None:
    """Record a verified backup in audit_events (what the backup-age gauge reads)."""
    details = {
        "file": info.path.name,
        "created_at": info.created_at.isoformat(),
        "size_bytes": info.size_bytes,
        "sha256": info.sha256,
    }
    with connect(target) as conn:
        exists = conn.execute("SELECT to_regclass('public.audit_events')").fetchone()
        if not exists or exists[0] is None:
            return
        conn.execute(
            "INSERT INTO audit_events (actor, action, details) VALUES (%s, %s, %s::jsonb)",
            (actor(), BACKUP_EVENT, json.dumps(details)),
        )


def actor() -> str:
    """Who ran an operations command, for the audit trail."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()} (cli)"
