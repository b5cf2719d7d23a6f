"""Settings come from the environment and an env file chosen by OPENPOLICY_ENV_FILE."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openpolicy.cli import app
from openpolicy.config import get_settings, load_settings
from openpolicy.errors import ConfigurationError


def test_defaults_without_any_configuration(clean_env: Path) -> None:
    settings = load_settings()
    assert settings.database_url is None
    assert settings.uses_embedded_database
    assert settings.data_dir == Path(".openpolicy/pgdata")
    assert (settings.db_pool_size, settings.db_max_overflow) == (20, 40)
    assert settings.db_pool_pre_ping is True
    assert settings.db_pool_recycle_seconds == 3600
    assert settings.maintenance_mode is False
    assert settings.secret_key is None  # no secret has a default


def test_env_file_chosen_by_variable(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    staging = clean_env / ".env.staging"
    staging.write_text(
        "DATABASE_URL=postgresql://app:s3cret@db.staging:5432/openpolicy\n"
        "OPENPOLICY_DB_POOL_SIZE=7\nMAINTENANCE_MODE=true\nOPENPOLICY_ENVIRONMENT=staging\n"
    )
    monkeypatch.setenv("OPENPOLICY_ENV_FILE", str(staging))
    settings = load_settings()
    assert settings.database_url is not None
    assert settings.database_url.get_secret_value().endswith("@db.staging:5432/openpolicy")
    assert settings.db_pool_size == 7
    assert settings.maintenance_mode is True
    assert settings.environment == "staging"


def test_environment_beats_env_file(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / ".env").write_text("OPENPOLICY_DB_POOL_SIZE=7\nOPENPOLICY_PORT=9001\n")
    monkeypatch.setenv("OPENPOLICY_DB_POOL_SIZE", "11")
    settings = load_settings()
    assert settings.db_pool_size == 11  # from the environment
    assert settings.port == 9001  # from the default .env file


def test_missing_env_file_is_a_clear_error(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENPOLICY_ENV_FILE", str(clean_env / ".env.production"))
    with pytest.raises(ConfigurationError, match=r"OPENPOLICY_ENV_FILE=.*\.env\.production"):
        load_settings()


def test_settings_command_masks_secrets(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:hunter2@db.example:5432/civicdb")
    monkeypatch.setenv("REDIS_URL", "redis://:redispass@cache:6379/0")
    monkeypatch.setenv("OPENPOLICY_SECRET_KEY", "very-secret-value")
    monkeypatch.setenv("OPENPOLICY_WEBHOOK_URL", "https://hooks.example/services/T0/B0/tok3n?x=1")
    monkeypatch.setenv("OPENPOLICY_S3_ENDPOINT_URL", "https://ak:sk-s3cret@s3.example/bucket")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["settings", "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output
    assert "redispass" not in result.output
    assert "very-secret-value" not in result.output
    for secret in ("app:", "tok3n", "T0/B0", "sk-s3cret", "x=1", "civicdb"):
        assert secret not in result.output, secret  # user info, path tokens, query: masked
    shown = json.loads(result.output)
    assert shown["database_url"] == "postgresql://***@db.example:5432/***"
    assert shown["redis_url"] == "redis://***@cache:6379/***"
    assert shown["webhook_url"] == "https://hooks.example/***?***"
    assert shown["s3_endpoint_url"] == "https://***@s3.example/***"
    assert shown["secret_key"] == "********"


def test_invalid_value_names_the_setting(clean_env: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "openpolicy.cli", "settings"],
        env={"PATH": "/usr/bin:/bin", "OPENPOLICY_DB_POOL_SIZE": "lots"},
        capture_output=True,
        text=True,
        cwd=clean_env,
    )
    assert result.returncode == 2
    assert "db_pool_size" in result.stderr
    assert "Traceback" not in result.stderr


def test_replica_urls_are_a_list_of_secrets(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DATABASE_REPLICA_URLS: a comma starts a new URL only before a scheme (libpq's
    multi-host URLs keep their commas), and `settings` masks each password."""
    assert load_settings().database_replica_urls is None
    monkeypatch.setenv(
        "DATABASE_REPLICA_URLS",
        "postgresql://app:pw1@replica-1:5432/openpolicy, "
        "postgres://app:pw2@replica-2:5432,replica-3:5432/openpolicy",
    )
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:pw0@primary:5432/openpolicy")
    urls = load_settings().database_replica_urls
    assert urls is not None
    assert [url.get_secret_value() for url in urls] == [
        "postgresql://app:pw1@replica-1:5432/openpolicy",
        "postgres://app:pw2@replica-2:5432,replica-3:5432/openpolicy",
    ]
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["settings", "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "pw1" not in result.output and "pw2" not in result.output
    assert "postgresql://***@replica-1:5432/***" in result.output  # masked whole, host kept
