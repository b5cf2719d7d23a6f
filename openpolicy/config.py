"""One typed settings object, read once from the environment and an optional env file.

Operators keep one env file per environment (`.env.staging`, `.env.production`) and pick it
with `OPENPOLICY_ENV_FILE`; real environment variables always win over the file.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_FILE_VARIABLE = "OPENPOLICY_ENV_FILE"
DEFAULT_ENV_FILE = ".env"


class Settings(BaseSettings):
    """Every setting of the platform. `.env.example` and docs/settings.md document each one."""

    model_config = SettingsConfigDict(
        env_prefix="OPENPOLICY_",
        extra="ignore",
        populate_by_name=True,
        validate_default=True,
    )

    # --- Where the data lives -------------------------------------------------------------
    database_url: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "OPENPOLICY_DATABASE_URL"),
        description="PostgreSQL (>= 15) URL. Unset: a private embedded PostgreSQL 18 is used.",
    )
    data_dir: Path = Field(
        default=Path(".openpolicy/pgdata"),
        description="Data directory of the embedded PostgreSQL (used when DATABASE_URL is unset).",
    )
    embedded_database: str = Field(
        default="openpolicy", description="Database name inside the embedded cluster."
    )
    redis_url: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("REDIS_URL", "OPENPOLICY_REDIS_URL"),
        description="Redis URL for the shared cache and rate limits. Unset: in-process cache.",
    )

    # --- Connection pool ------------------------------------------------------------------
    db_pool_size: int = Field(default=20, ge=1, description="Connections kept open per process.")
    db_max_overflow: int = Field(
        default=40, ge=0, description="Extra connections allowed above the pool size under load."
    )
    db_pool_pre_ping: bool = Field(
        default=True, description="Test each connection before use (survives database restarts)."
    )
    db_pool_recycle_seconds: int = Field(
        default=3600, ge=-1, description="Replace connections older than this many seconds."
    )
    db_pool_timeout_seconds: float = Field(
        default=30.0, gt=0, description="How long a request waits for a free connection."
    )
    db_connect_timeout_seconds: int = Field(
        default=5, ge=1, description="TCP/socket connect timeout for new database connections."
    )

    # --- Serving --------------------------------------------------------------------------
    host: str = Field(default="127.0.0.1", description="Address `openpolicy up/serve` binds.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `openpolicy up/serve` binds.")
    maintenance_mode: bool = Field(
        default=False,
        validation_alias=AliasChoices("MAINTENANCE_MODE", "OPENPOLICY_MAINTENANCE_MODE"),
        description="Force maintenance mode on every replica (API and web answer 503).",
    )
    environment: str = Field(
        default="development", description="Name of this deployment (development, staging, …)."
    )
    log_level: str = Field(default="info", description="Log level: debug, info, warning, error.")
    log_json: bool = Field(default=False, description="Write logs as JSON lines (production).")
    secret_key: SecretStr | None = Field(
        default=None, description="Secret used to sign tokens. Required in production."
    )

    # --- Sources and ingest (openpolicy/sources, openpolicy/ingest) ------------------------
    # (settings of the fetcher, importers and scheduler go here)

    # --- Operations (openpolicy/ops: backups, PITR, DR, maintenance, notifications) ---------
    # (settings of backups, object storage, notifications go here)

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        level = value.lower()
        if level not in {"debug", "info", "warning", "error", "critical"}:
            raise ValueError("must be one of debug, info, warning, error, critical")
        return level

    @property
    def uses_embedded_database(self) -> bool:
        """True when no DATABASE_URL is configured and the private cluster is used."""
        return self.database_url is None

    def masked(self) -> dict[str, Any]:
        """The effective settings as plain values, with every secret masked."""
        shown: dict[str, Any] = {}
        for name, value in self:
            if isinstance(value, SecretStr):
                shown[name] = _mask(value.get_secret_value())
            elif isinstance(value, Path):
                shown[name] = str(value)
            else:
                shown[name] = value
        return shown


def _mask(secret: str) -> str:
    """Hide a secret but keep a URL's scheme and host readable for operators."""
    if "://" in secret:
        from sqlalchemy.engine import make_url

        try:
            return make_url(secret).render_as_string(hide_password=True)
        except Exception:  # not a URL after all: mask it whole
            return "********"
    return "********"


def env_file_path() -> Path | None:
    """The env file in effect: `OPENPOLICY_ENV_FILE` if set, else `.env` when it exists."""
    chosen = os.environ.get(ENV_FILE_VARIABLE)
    if chosen:
        path = Path(chosen)
        if not path.is_file():
            from openpolicy.errors import ConfigurationError

            raise ConfigurationError(f"{ENV_FILE_VARIABLE}={chosen}: no such file")
        return path
    default = Path(DEFAULT_ENV_FILE)
    return default if default.is_file() else None


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment and the chosen env file (environment wins)."""
    env_file = env_file_path()
    settings_kwargs: dict[str, Any] = dict(overrides)
    if env_file is not None:
        settings_kwargs["_env_file"] = env_file
    return Settings(**settings_kwargs)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
