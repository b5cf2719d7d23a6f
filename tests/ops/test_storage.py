"""Object storage: upload to a real S3 API (moto's server on loopback), prune, download."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta

from typer.testing import Result

from openpolicy.ops import backups, storage
from tests.ops.conftest import OpsEnv, S3Server, run_openpolicy


def test_upload_is_incremental_and_prunes_the_bucket(
    ops_env: OpsEnv, s3_server: S3Server, cli: Callable[..., Result]
) -> None:
    bucket = f"ops-{uuid.uuid4().hex[:8]}"
    s3_server.configure(ops_env, bucket, prefix="production")
    first = backups.create_backup(ops_env.target, ops_env.backup_dir)
    result = cli("backup", "upload", "--json")
    assert result.exit_code == 0, result.output
    uploaded = json.loads(result.stdout)["upload"]["uploaded"]
    assert uploaded == [
        f"production/{first.path.name}",
        f"production/{first.path.name}.sha256",
        f"production/{first.path.name}.json",
    ]
    again = json.loads(cli("backup", "upload", "--json").stdout)["upload"]
    assert again["skipped"] == 2 and again["uploaded"] == [f"production/{first.path.name}.json"]
    # An old dump in the bucket is pruned; the newest is always kept.
    settings = ops_env.settings()
    client = storage.s3_client(settings)
    old = f"{ops_env.database}-{backups.stamp(backups.utc_now() - timedelta(days=45))}.dump"
    for suffix in ("", ".sha256", ".json"):
        client.put_object(Bucket=bucket, Key=f"production/{old}{suffix}", Body=b"x")
    pruned = json.loads(cli("backup", "upload", "--keep-days", "30", "--json").stdout)["prune"]
    assert sorted(pruned["deleted"]) == sorted(
        f"production/{old}{s}" for s in ("", ".sha256", ".json")
    )
    keys = {o.key for o in storage.list_remote(settings)}
    assert f"production/{first.path.name}" in keys and f"production/{old}" not in keys
    listed = cli("backup", "list", "--remote", "--json")
    assert listed.exit_code == 0, listed.output
    assert {o["key"] for o in json.loads(listed.stdout)} == keys
    shown = cli("backup", "list", "--remote")
    assert f"production/{first.path.name}" in shown.stdout  # the key whole, never cut
    # Download into an empty directory gives a dump that verifies.
    newest = storage.latest_remote_dump(settings)
    assert newest is not None and newest.name == first.path.name
    fetched = storage.download(settings, newest.name, ops_env.backup_dir / "restored")
    backups.verify_backup(fetched)


def test_unreachable_storage_is_a_clear_error(ops_env: OpsEnv) -> None:
    backups.create_backup(ops_env.target, ops_env.backup_dir)
    ops_env.setenv("OPENPOLICY_S3_BUCKET", "nowhere")
    ops_env.setenv("OPENPOLICY_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    ops_env.setenv("OPENPOLICY_S3_ACCESS_KEY_ID", "x")
    ops_env.setenv("OPENPOLICY_S3_SECRET_ACCESS_KEY", "y")
    ops_env.setenv("OPENPOLICY_S3_REGION", "ca-central-1")
    result = run_openpolicy("backup", "upload")
    assert result.returncode == 1
    assert "object storage s3://nowhere/ at http://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr
    ops_env.monkeypatch.delenv("OPENPOLICY_S3_BUCKET")
    unset = run_openpolicy("backup", "upload")
    assert unset.returncode == 2 and "set OPENPOLICY_S3_BUCKET" in unset.stderr
