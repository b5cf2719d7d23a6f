"""Off-site copies: the backup directory mirrored to S3-compatible object storage.

`backup upload` copies what the bucket lacks (dumps with their checksum and manifest, base
backups, archived WAL, restore points); the manifest of a dump goes up last, so a listing
of the bucket never shows a half-uploaded backup as complete. Retention in the bucket
follows the same rules as on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpolicy.config import Settings
from openpolicy.errors import ConfigurationError, NotFoundError
from openpolicy.ops.backups import (
    _NAME,
    BASE_DIR,
    DUMP_SUFFIX,
    WAL_DIR,
    BackupError,
    owner_only,
    parse_stamp,
    utc_now,
)
from openpolicy.ops.pg import OpsError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class StorageError(OpsError):
    title = "Object storage error"
    type_slug = "object-storage-error"


class StorageNotConfiguredError(ConfigurationError, StorageError):
    """No bucket is configured (exit 2: a setting is missing)."""


class RemoteNotFoundError(NotFoundError, StorageError):
    """The object named is not in the bucket (exit 3)."""


@dataclass
class RemoteObject:
    key: str
    size: int
    modified: datetime

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


def _prefix(settings: Settings) -> str:
    prefix = (settings.s3_prefix or "").strip("/")
    return f"{prefix}/" if prefix else ""


def s3_client(settings: Settings) -> S3Client:
    """A boto3 client for the configured bucket (credentials: settings, else AWS_* / role)."""
    if not settings.s3_bucket:
        raise StorageNotConfiguredError(
            "no bucket configured: set OPENPOLICY_S3_BUCKET (and the endpoint)"
        )
    import boto3
    from botocore.config import Config

    kwargs: dict[str, Any] = {
        "config": Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=10),
    }
    if settings.s3_endpoint_url:
        kwargs["endpoint_url"] = settings.s3_endpoint_url
    if settings.s3_region:
        kwargs["region_name"] = settings.s3_region
    if settings.s3_access_key_id is not None:
        kwargs["aws_access_key_id"] = settings.s3_access_key_id.get_secret_value()
    if settings.s3_secret_access_key is not None:
        kwargs["aws_secret_access_key"] = settings.s3_secret_access_key.get_secret_value()
    return boto3.client("s3", **kwargs)


def _describe_error(exc: Exception, settings: Settings) -> str:
    where = f"s3://{settings.s3_bucket}/{_prefix(settings)}"
    if settings.s3_endpoint_url:
        where += f" at {settings.s3_endpoint_url}"
    return f"object storage {where}: {exc}"


def list_remote(settings: Settings, client: S3Client | None = None) -> list[RemoteObject]:
    """Every object under the prefix."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = client or s3_client(settings)
    assert settings.s3_bucket is not None
    found: list[RemoteObject] = []
    try:
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=settings.s3_bucket, Prefix=_prefix(settings)):
            for item in page.get("Contents", []):
                found.append(RemoteObject(item["Key"], int(item["Size"]), item["LastModified"]))
    except (BotoCoreError, ClientError) as exc:
        raise StorageError(_describe_error(exc, settings)) from exc
    return found


def _local_files(backup_dir: Path) -> list[Path]:
    """What to upload, in an order that keeps the bucket consistent (manifests last)."""
    files: list[Path] = []
    wal = backup_dir / WAL_DIR
    if wal.is_dir():
        files.extend(sorted(p for p in wal.iterdir() if p.is_file() and not p.name.startswith(".")))
    base = backup_dir / BASE_DIR
    if base.is_dir():
        for archive in sorted(base.glob("base-*.tar.zst")):
            files.extend([archive, archive.with_name(archive.name + ".sha256")])
        files.extend(sorted(base.glob("base-*.tar.zst.json")))
    dumps = sorted(p for p in backup_dir.glob(f"*{DUMP_SUFFIX}") if _NAME.match(p.name))
    for dump in dumps:
        files.extend([dump, dump.with_name(dump.name + ".sha256")])
    files.extend(dump.with_name(dump.name + ".json") for dump in dumps)
    points = backup_dir / "restore-points.jsonl"
    if points.exists():
        files.append(points)
    return [p for p in files if p.exists()]


@dataclass
class UploadResult:
    uploaded: list[str] = field(default_factory=list)
    skipped: int = 0
    bytes_uploaded: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "uploaded": self.uploaded,
            "skipped": self.skipped,
            "bytes_uploaded": self.bytes_uploaded,
        }


def upload(settings: Settings, backup_dir: Path) -> UploadResult:
    """Copy every local file the bucket does not have yet (same key and size)."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = s3_client(settings)
    assert settings.s3_bucket is not None
    remote = {obj.key: obj.size for obj in list_remote(settings, client)}
    result = UploadResult()
    prefix = _prefix(settings)
    for path in _local_files(backup_dir):
        key = prefix + path.relative_to(backup_dir).as_posix()
        size = path.stat().st_size
        always = path.name == "restore-points.jsonl" or path.name.endswith(".json")
        if remote.get(key) == size and not always:
            result.skipped += 1
            continue
        try:
            client.upload_file(str(path), settings.s3_bucket, key)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(_describe_error(exc, settings)) from exc
        result.uploaded.append(key)
        result.bytes_uploaded += size
    return result


def download(settings: Settings, name: str, destination: Path) -> Path:
    """Fetch one dump (with its checksum and manifest) from the bucket into `destination`."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = s3_client(settings)
    assert settings.s3_bucket is not None
    prefix = _prefix(settings)
    local = destination / name
    try:
        with owner_only(destination):  # a dump holds client addresses and key hashes
            for suffix in ("", ".sha256", ".json"):
                client.download_file(
                    settings.s3_bucket, prefix + name + suffix, str(destination / (name + suffix))
                )
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in {"404", "NoSuchKey", "NotFound"}:
            raise RemoteNotFoundError(
                f"no backup {name} in s3://{settings.s3_bucket}/{prefix}"
            ) from exc
        raise StorageError(f"cannot download {name}: {_describe_error(exc, settings)}") from exc
    except BotoCoreError as exc:
        raise StorageError(_describe_error(exc, settings)) from exc
    return local


def _complete_dumps(settings: Settings) -> list[RemoteObject]:
    """Dumps in the bucket whose manifest is there too (upload completed), newest first."""
    objects = list_remote(settings)
    keys = {obj.key for obj in objects}
    dumps = [
        obj
        for obj in objects
        if "/" not in obj.key[len(_prefix(settings)) :]
        and _NAME.match(obj.name)
        and obj.key + ".json" in keys
    ]
    return sorted(dumps, key=lambda obj: _dump_order(obj.name), reverse=True)


def latest_remote_dump(settings: Settings) -> RemoteObject | None:
    """The newest dump in the bucket whose manifest is there too (upload completed)."""
    dumps = _complete_dumps(settings)
    return dumps[0] if dumps else None


def remote_dumps(settings: Settings) -> list[tuple[str, datetime]]:
    """(name, time taken) of every complete dump in the bucket, newest first."""
    return [(obj.name, _dump_time(obj.name)) for obj in _complete_dumps(settings)]


def _dump_order(name: str) -> tuple[datetime, int]:
    """Dumps taken within one second are named `…Z-2.dump`, `…Z-3.dump`: newest last."""
    match = _NAME.match(name)
    return _dump_time(name), int(match["n"]) if match and match["n"] else 1


def _dump_time(name: str) -> datetime:
    match = _NAME.match(name)
    if match is None:
        raise BackupError(f"{name} is not a backup name")
    return parse_stamp(match["stamp"])


@dataclass
class RemotePruneResult:
    deleted: list[str]
    kept: int

    def as_dict(self) -> dict[str, Any]:
        return {"deleted": self.deleted, "kept": self.kept}


def prune_remote(
    settings: Settings, keep_days: int, *, now: datetime | None = None, dry_run: bool = False
) -> RemotePruneResult:
    """Delete dumps and base backups older than `keep_days` from the bucket (never the newest
    of each), and WAL older than the oldest base backup kept."""
    from botocore.exceptions import BotoCoreError, ClientError

    from openpolicy.ops.pitr import _wal_position, parse_base_stamp

    now = now or utc_now()
    cutoff = now - timedelta(days=keep_days)
    client = s3_client(settings)
    assert settings.s3_bucket is not None
    objects = list_remote(settings, client)
    prefix = _prefix(settings)
    delete: list[str] = []

    def relative(obj: RemoteObject) -> str:
        return obj.key[len(prefix) :]

    dumps = sorted(
        (o for o in objects if "/" not in relative(o) and _NAME.match(o.name)),
        key=lambda o: _dump_time(o.name),
        reverse=True,
    )
    for obj in dumps[1:]:
        if _dump_time(obj.name) < cutoff:
            delete.extend([obj.key, obj.key + ".sha256", obj.key + ".json"])
    bases = sorted(
        (
            (stamp_time, o)
            for o in objects
            if relative(o).startswith(f"{BASE_DIR}/")
            and (stamp_time := parse_base_stamp(o.name)) is not None
        ),
        key=lambda pair: pair[0],
        reverse=True,
    )
    kept_bases = []
    for index, (stamp_time, obj) in enumerate(bases):
        if index > 0 and stamp_time < cutoff:
            delete.extend([obj.key, obj.key + ".sha256", obj.key + ".json"])
        else:
            kept_bases.append(obj)
    if kept_bases:
        starts = []
        manifests = {o.key for o in objects}
        for obj in kept_bases:
            if obj.key + ".json" in manifests:
                body = client.get_object(Bucket=settings.s3_bucket, Key=obj.key + ".json")["Body"]
                import json

                starts.append(str(json.loads(body.read())["start_wal"]))
        if starts:
            oldest = _wal_position(min(starts, key=_wal_position))
            import re

            wal_name = re.compile(r"^[0-9A-F]{24}(\.partial|\.[0-9A-F]{8}\.backup)?$")
            for obj in objects:
                if (
                    relative(obj).startswith(f"{WAL_DIR}/")
                    and wal_name.match(obj.name)
                    and _wal_position(obj.name) < oldest
                ):
                    delete.append(obj.key)
    existing = {o.key for o in objects}
    delete = [key for key in dict.fromkeys(delete) if key in existing]
    if not dry_run:
        try:
            for start in range(0, len(delete), 1000):
                batch = delete[start : start + 1000]
                client.delete_objects(
                    Bucket=settings.s3_bucket,
                    Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
                )
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(_describe_error(exc, settings)) from exc
    return RemotePruneResult(delete, len(objects) - len(delete))


def ensure_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def mirror(settings: Settings, destination: Path) -> int:
    """Copy every object under the prefix into `destination`, keeping the layout (dumps at the
    top, `base/`, `wal/`, restore points): the bucket as a backup directory. Returns how many
    files were copied."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = s3_client(settings)
    assert settings.s3_bucket is not None
    prefix = _prefix(settings)
    count = 0
    for obj in list_remote(settings, client):
        relative = obj.key[len(prefix) :]
        if not relative or relative.endswith("/") or ".." in relative.split("/"):
            continue
        local = destination / relative
        local.parent.mkdir(parents=True, exist_ok=True)
        try:
            client.download_file(settings.s3_bucket, obj.key, str(local))
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(
                f"cannot download {obj.key}: {_describe_error(exc, settings)}"
            ) from exc
        count += 1
    return count
