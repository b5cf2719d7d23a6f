"""`backup prune`: what the backup directory keeps — dumps and base backups younger than the
retention (and always the newest verified dump and the newest base backup), and the
archived WAL those base backups need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from openpolicy.ops import pitr
from openpolicy.ops.backups import WAL_DIR, checksum_path, list_backups, manifest_path, utc_now
from openpolicy.ops.pg import OpsInputError


@dataclass
class PruneResult:
    deleted: list[Path]
    kept: list[Path]

    def as_dict(self) -> dict[str, Any]:
        return {"deleted": [str(p) for p in self.deleted], "kept": [str(p) for p in self.kept]}


def prune_backups(
    backup_dir: Path, keep_days: int, *, now: datetime | None = None, dry_run: bool = False
) -> PruneResult:
    """Delete dumps and base backups older than `keep_days` (never the newest verified one),
    and archived WAL older than the oldest base backup kept."""
    if keep_days < 1:
        raise OpsInputError(f"--keep-days must be at least 1 (got {keep_days})")
    now = now or utc_now()
    cutoff = now - timedelta(days=keep_days)
    deleted: list[Path] = []
    kept: list[Path] = []
    dumps = list_backups(backup_dir)
    newest_verified = next((info for info in dumps if info.verified), None)
    for info in dumps:
        if info.created_at < cutoff and info is not newest_verified:
            for path in (info.path, checksum_path(info.path), manifest_path(info.path)):
                if path.exists():
                    deleted.append(path)
        else:
            kept.append(info.path)

    bases = pitr.list_base_backups(backup_dir)
    newest_base = bases[0] if bases else None
    kept_bases = []
    for base in bases:
        if base.created_at < cutoff and base is not newest_base:
            deleted.extend(p for p in pitr.base_backup_files(base.path) if p.exists())
        else:
            kept.append(base.path)
            kept_bases.append(base)
    if kept_bases:
        oldest_needed = min(b.start_wal for b in kept_bases)
        wal_dir = backup_dir / WAL_DIR
        deleted.extend(pitr.obsolete_wal(wal_dir, oldest_needed))
    if not dry_run:
        for path in deleted:
            path.unlink(missing_ok=True)
    return PruneResult(deleted, kept)
