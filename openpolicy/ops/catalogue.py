"""How operators name a backup: one vocabulary for every command that takes one.

A dump is named by

- `latest`: the newest verified dump (in the backup directory, else in the bucket);
- its file name (`openpolicy-20260301T030000Z.dump`), looked up in the backup directory and,
  when it is not there and a bucket is configured, fetched from the bucket;
- a path to the file;
- a time (`2026-03-01T04:05Z`, `2026-03-01 04:05:00+00:00`, or a date, meaning the end of
  that day): the newest verified dump taken at or before it (no zone means UTC).

`backup verify`, `backup restore`, `backup download`, `dr drill --target` and
`scripts/restore-from-backup.sh` all read names this way. Point-in-time recovery takes a
restore point name, a time, or `latest` (see `openpolicy.ops.cli`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from openpolicy.ops.backups import (
    BackupInfo,
    BackupNotFoundError,
    list_backups,
    resolve_backup_file,
)

if TYPE_CHECKING:
    from openpolicy.config import Settings

LATEST = "latest"


def parse_moment(text: str) -> datetime | None:
    """`text` as a time (UTC when no zone is given), or None when it is not one."""
    candidate = text.strip().replace(" ", "T", 1)
    if not candidate[:4].isdigit() or "-" not in candidate:
        return None
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if len(candidate) == len("2026-03-01"):  # a date alone: by the end of that day
        moment += timedelta(days=1, microseconds=-1)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def newest_local(
    backup_dir: Path, *, by: datetime | None = None, verified: bool = True
) -> BackupInfo | None:
    """The newest dump on disk (verified ones only, by default), taken at or before `by`."""
    for info in list_backups(backup_dir):
        if verified and not info.verified:
            continue
        if by is not None and info.created_at > by:
            continue
        return info
    return None


def resolve_dump(
    settings: Settings,
    spec: str,
    *,
    verified: bool = True,
    announce: Callable[[str], None] = lambda message: None,
) -> Path:
    """The dump file `spec` names, fetched from the bucket when only the bucket has it.

    `verified=False` lets `latest` and times pick dumps not verified yet (`backup verify`).
    """
    moment = None if spec == LATEST else parse_moment(spec)
    if spec == LATEST or moment is not None:
        local = newest_local(settings.backup_dir, by=moment, verified=verified)
        if local is not None:
            return local.path
        if settings.s3_bucket:
            name = remote_dump_name(settings, spec)
            announce(f"no such dump on disk: downloading {name} from s3://{settings.s3_bucket}")
            return _download(settings, name)
        kind = "verified dump" if verified else "dump"
        when = "" if moment is None else f" taken by {moment.isoformat()}"
        raise BackupNotFoundError(f"no {kind}{when} in {settings.backup_dir}")
    try:
        return resolve_backup_file(spec, settings.backup_dir)
    except BackupNotFoundError:
        if not settings.s3_bucket or "/" in spec:
            raise
    announce(f"{spec} is not on disk: downloading it from s3://{settings.s3_bucket}")
    return _download(settings, spec)


def remote_dump_name(settings: Settings, spec: str) -> str:
    """The name of the dump in the bucket that `spec` names (`latest`, a name or a time)."""
    from openpolicy.ops.storage import RemoteNotFoundError, remote_dumps

    moment = None if spec == LATEST else parse_moment(spec)
    if spec != LATEST and moment is None:
        return Path(spec).name
    for name, taken in remote_dumps(settings):
        if moment is None or taken <= moment:
            return name
    when = "" if moment is None else f" taken by {moment.isoformat()}"
    raise RemoteNotFoundError(f"no complete dump{when} in s3://{settings.s3_bucket}")


def _download(settings: Settings, name: str) -> Path:
    from openpolicy.ops.storage import download

    return download(settings, name, settings.backup_dir)
