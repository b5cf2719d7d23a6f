"""One typed settings object, read once from the environment and an optional env file.

Operators keep one env file per environment (`.env.staging`, `.env.production`) and pick it
with `OPENPOLICY_ENV_FILE`; real environment variables always win over the file.
"""

# No `from __future__ import annotations` here: pydantic would compile each of the hundred-odd
# field annotations from its string at import, a few milliseconds of every command's start.
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    database_replica_urls: Annotated[list[SecretStr] | None, NoDecode] = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_REPLICA_URLS", "OPENPOLICY_DATABASE_REPLICA_URLS"),
        description="PostgreSQL streaming replicas (hot standbys of DATABASE_URL), "
        "comma-separated: the API and the site read from them in turn, and from the primary "
        "when none is up. Writes always go to DATABASE_URL. Empty: everything reads the "
        "primary.",
    )
    database_replica_max_lag_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A replica behind the primary's data version whose last replayed "
        "transaction is older than this is left out until it catches up.",
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
    db_acquire_timeout_seconds: float = Field(
        default=1.0,
        gt=0,
        le=30,
        description="How long a web or API request waits for a database connection before "
        "it answers 503 with Retry-After (ingest and operations wait db_pool_timeout_seconds).",
    )
    breaker_failures: int = Field(
        default=3,
        ge=1,
        description="Failures in a row after which the database or Redis circuit opens: "
        "requests stop waiting on it (503 for the database, in-process for Redis).",
    )
    breaker_cooldown_seconds: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="How often an open circuit probes its dependency for recovery (also the "
        "Retry-After of the 503 answers meanwhile).",
    )
    redis_timeout_seconds: float = Field(
        default=0.05,
        gt=0,
        le=5,
        description="Longest a request waits on one Redis call (cache, rate limit) before "
        "going on without it.",
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
    log_json: bool = Field(
        default=False,
        description="Write logs on the terminal as JSON lines (production); else readable lines.",
    )
    log_file: Path | None = Field(
        default=Path(".openpolicy/logs/openpolicy.log"),
        description="Log file that `openpolicy up` and `serve` also write (JSON lines, rotated "
        "by size) and `openpolicy logs` reads. Empty: no file.",
    )
    log_file_max_bytes: int = Field(
        default=10_000_000, ge=100_000, description="Rotate the log file at this size (bytes)."
    )
    log_file_backups: int = Field(
        default=5, ge=1, description="Rotated log files kept (openpolicy.log.1 … .N)."
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Secret used to sign tokens. Required in production."
    )

    # --- Web (openpolicy/web: the public bilingual site) -----------------------------------
    site_url: str | None = Field(
        default=None,
        description="Public base URL of the web site (canonical links, OpenGraph, Atom ids), "
        "e.g. https://openpolicy.ca. Required in production; its host is always allowed.",
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default=["localhost", "127.0.0.1", "::1"],
        description="Host names requests may name besides site_url's (comma list; `*`: "
        "any). Others are refused with 400; probes and /metrics are exempt.",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Networks of the proxies in front (comma list, e.g. 10.0.0.0/8). From "
        "them X-Forwarded-For is read: the client is its right-most address outside these "
        "networks. Empty: the header is ignored (also by uvicorn).",
    )
    web_rate_limit_per_minute: int = Field(
        default=300,
        ge=1,
        description="Web pages and feeds per minute per client address (static files free).",
    )
    web_search_rate_limit_per_minute: int = Field(
        default=30, ge=1, description="Searches on the web site per minute per client address."
    )
    web_cache_seconds: int = Field(
        default=60,
        ge=0,
        description="Cache-Control max-age of web pages and feeds (0: no caching).",
    )

    # --- API (openpolicy/api: /api/v1, rate limits, keys, response cache) -----------------
    api_rate_limit_anonymous_per_minute: int = Field(
        default=120,
        ge=1,
        description="Requests per minute per client address without an API key (all replicas).",
    )
    api_rate_limit_key_per_minute: int = Field(
        default=1200,
        ge=1,
        description="Requests per minute per API key, unless the key sets its own limit.",
    )
    api_trust_forwarded_for: bool = Field(
        default=False,
        description="Replaced by OPENPOLICY_TRUSTED_PROXIES (which proxies to believe); "
        "setting it true is refused with a message saying so.",
    )
    api_cache_enabled: bool = Field(
        default=True,
        description="Cache rendered API responses (Redis when REDIS_URL is set, else in-process).",
    )
    api_cache_ttl_seconds: int = Field(
        default=3600,
        ge=1,
        description="Longest a cached response is kept; ingest invalidates it earlier.",
    )
    api_cache_max_entries: int = Field(
        default=2000, ge=1, description="Responses the in-process cache keeps (without Redis)."
    )
    api_http_max_age_seconds: int = Field(
        default=0,
        ge=0,
        description="Cache-Control max-age of API responses (0: clients revalidate with ETag).",
    )
    api_key_grace_hours: float = Field(
        default=24.0,
        ge=0,
        description="How long a rotated API key keeps working beside its replacement.",
    )
    api_key_cache_seconds: float = Field(
        default=10.0,
        ge=0,
        le=60,
        description="How long a replica trusts a verified API key before reading it again "
        "(a revocation takes effect within this).",
    )
    api_access_log: bool = Field(
        default=True, description="Write one structured JSON access-log line per request."
    )
    audit_flush_seconds: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="How often refused requests (401/403), counted per address and minute, "
        "are written to audit_events.",
    )
    audit_retention_days: int = Field(
        default=90,
        ge=1,
        description="audit_events older than this are deleted by the worker's daily job.",
    )

    # --- Sources and ingest (openpolicy/sources, openpolicy/ingest) ------------------------
    parl_base_url: str = Field(
        default="https://www.parl.ca",
        description="Base URL of LEGISinfo (bills). Tests point it at a loopback server.",
    )
    ourcommons_base_url: str = Field(
        default="https://www.ourcommons.ca",
        description="Base URL of ourcommons.ca (members, divisions, ballots, Hansard).",
    )
    http_contact_url: str = Field(
        default="https://github.com/openpolicy/openpolicy",
        description="Contact URL sent in the fetcher's User-Agent, so site operators can reach us.",
    )
    http_requests_per_second: float = Field(
        default=1.0, gt=0, description="Most requests per second the fetcher sends to one host."
    )
    http_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Connect/read timeout of one HTTP request."
    )
    http_max_retries: int = Field(
        default=4, ge=0, description="Retries after a 429, a 5xx or a timeout (then the URL fails)."
    )
    http_backoff_seconds: float = Field(
        default=2.0,
        ge=0,
        description="First retry delay; doubles each retry, with jitter (Retry-After wins).",
    )
    http_max_retry_after_seconds: float = Field(
        default=300.0, ge=0, description="Longest Retry-After the fetcher honours before failing."
    )
    http_max_body_bytes: int = Field(
        default=50_000_000, ge=1, description="Largest body the fetcher accepts (bytes)."
    )
    http_respect_robots: bool = Field(
        default=True, description="Read each host's robots.txt and skip disallowed URLs."
    )
    ingest_sessions: Annotated[list[str], NoDecode] = Field(
        default=["45-1"],
        description="Sessions whose bills, divisions, ballots and Hansard are fetched (45-1,44-1).",
    )
    ingest_parliaments: Annotated[list[int], NoDecode] = Field(
        default=[45],
        description="Parliaments whose members lists are fetched (besides the current one).",
    )
    ingest_hansard_probe: int = Field(
        default=3,
        ge=1,
        description="Sittings tried past the newest stored one each Hansard run (stops at a 404).",
    )
    ingest_reparse_per_run: int = Field(
        default=50,
        ge=0,
        description="Most stored Hansard sittings read again per run after a parser upgrade.",
    )
    ingest_ballots_per_run: int = Field(
        default=200, ge=1, description="Most divisions whose ballots one ballots run fetches."
    )
    ingest_schedule_members: str = Field(
        default="0 5 * * *", description="Cron schedule of the members source (worker)."
    )
    ingest_schedule_bills: str = Field(
        default="15 */2 * * *", description="Cron schedule of the bills list source (worker)."
    )
    ingest_schedule_bill: str = Field(
        default="30 */6 * * *", description="Cron schedule of the per-bill detail source (worker)."
    )
    ingest_schedule_votes: str = Field(
        default="*/30 * * * *", description="Cron schedule of the divisions source (worker)."
    )
    ingest_schedule_ballots: str = Field(
        default="5,35 * * * *", description="Cron schedule of the ballots source (worker)."
    )
    ingest_schedule_hansard: str = Field(
        default="45 * * * *", description="Cron schedule of the Hansard source (worker)."
    )
    ingest_job_attempts: int = Field(
        default=3, ge=1, description="Attempts of a failed or crashed ingest job before giving up."
    )
    worker_concurrency: int = Field(
        default=2, ge=1, description="Ingest jobs one worker runs at the same time."
    )
    worker_heartbeat_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Worker heartbeat; a worker silent for 3 heartbeats is dead, its job retried.",
    )
    load_sample_when_empty: bool = Field(
        default=True,
        description="`openpolicy up` loads the bundled sample captures into an empty database.",
    )

    @field_validator("database_replica_urls", mode="before")
    @classmethod
    def _url_list(cls, value: Any) -> Any:
        """Accept `postgresql://a/db,postgresql://b/db` (a comma starts a new URL only
        before a scheme: libpq's multi-host URLs keep theirs) as well as a JSON list."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            import re

            parts = re.split(r",\s*(?=[A-Za-z][A-Za-z0-9+.-]*://)", text)
            return [part.strip() for part in parts if part.strip()]
        return value

    @field_validator("ingest_sessions", "ingest_parliaments", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        """Accept `45-1,44-1` as well as a JSON list in env files."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [item.strip() for item in text.split(",") if item.strip()]
        return value

    # --- Operations (openpolicy/ops: backups, PITR, DR, maintenance, notifications) ---------
    backup_dir: Path = Field(
        default=Path(".openpolicy/backups"),
        description="Where `openpolicy backup create` writes dumps (and base backups, WAL).",
    )
    backup_keep_days: int = Field(
        default=30, ge=1, description="Default retention of `openpolicy backup prune` (days)."
    )
    backup_restore_jobs: int = Field(
        default=2, ge=1, description="Parallel jobs of `pg_restore -j` during restores."
    )
    backup_max_age_hours: float = Field(
        default=26.0,
        gt=0,
        description="Newest verified backup older than this fails `openpolicy dr status`.",
    )
    s3_bucket: str | None = Field(
        default=None, description="S3-compatible bucket `openpolicy backup upload` copies to."
    )
    s3_prefix: str | None = Field(
        default=None, description="Key prefix inside the bucket (e.g. `production/`)."
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="Endpoint of S3-compatible storage (unset: AWS S3)."
    )
    s3_region: str | None = Field(default=None, description="Region of the bucket.")
    s3_access_key_id: SecretStr | None = Field(
        default=None, description="Access key for the bucket (unset: AWS_* variables / role)."
    )
    s3_secret_access_key: SecretStr | None = Field(
        default=None, description="Secret key for the bucket (unset: AWS_* variables / role)."
    )
    pitr_archive_dir: Path | None = Field(
        default=None,
        description="Directory (on the database host) archive_command copies WAL into. "
        "Unset: `<backup_dir>/wal`.",
    )
    pitr_archive_timeout_seconds: int = Field(
        default=60, ge=1, le=3600, description="archive_timeout set by `backup pitr enable`."
    )
    pitr_data_dir: Path | None = Field(
        default=None,
        description="Data directory `backup pitr restore` replaces for an external server "
        "on this host (embedded: data_dir).",
    )
    pitr_bin_dir: Path | None = Field(
        default=None,
        description="Server binaries (pg_ctl) matching that external server's major version.",
    )
    dr_report_dir: Path = Field(
        default=Path(".openpolicy/dr-reports"),
        description="Where `openpolicy dr drill` writes its JSON and Markdown reports.",
    )
    maintenance_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        le=1.0,
        description="How long a replica caches the maintenance switch (≤ 1 s).",
    )
    notification_channels: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Where maintenance and incident notices go: email, webhook (comma list).",
    )
    smtp_host: str | None = Field(default=None, description="SMTP server for e-mail notices.")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP server port.")
    smtp_starttls: bool = Field(default=True, description="Upgrade the SMTP session with STARTTLS.")
    smtp_username: str | None = Field(default=None, description="SMTP login (unset: no login).")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_from: str | None = Field(default=None, description="From address of e-mail notices.")
    smtp_to: Annotated[list[str], NoDecode] = Field(
        default=[], description="Recipients of e-mail notices (comma list)."
    )
    webhook_url: SecretStr | None = Field(
        default=None, description="URL that receives notices as a JSON POST (chat, paging)."
    )

    # --- Alerts (openpolicy/alerts: follow a member, a bill, a division or a search) ----------
    alerts_from: str | None = Field(
        default=None,
        description="From address of alert e-mails (unset: OPENPOLICY_SMTP_FROM). E-mail "
        "alerts also need OPENPOLICY_SMTP_HOST and OPENPOLICY_SECRET_KEY (it signs the links).",
    )
    alerts_match_after_ingest: bool = Field(
        default=True,
        description="Match new and changed rows against subscriptions at the end of each "
        "ingest run (else only the worker's minute tick does).",
    )
    alerts_max_item_age_days: int = Field(
        default=30,
        ge=0,
        description="Facts (speeches, ballots, stages…) dated more than this many days before "
        "they are matched are not sent: a backfill of past sessions floods nobody.",
    )
    alerts_digest_schedule: str = Field(
        default="0 11 * * *",
        description="Cron schedule (UTC) of the daily digest e-mails (worker); 11:00 UTC is "
        "7:00 in Ottawa in summer.",
    )
    alerts_confirm_hours: float = Field(
        default=48.0,
        gt=0,
        description="How long a sign-up waits for its confirmation before it and its "
        "address are deleted.",
    )
    alerts_max_attempts: int = Field(
        default=8, ge=1, description="Attempts of one e-mail or webhook delivery before it fails."
    )
    alerts_retry_seconds: float = Field(
        default=60.0,
        ge=0,
        description="Delay before the first retry of a failed delivery; doubles each attempt "
        "(at most 6 hours), with jitter.",
    )
    alerts_webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Connect and read timeout of one webhook delivery."
    )
    alerts_webhook_disable_after: int = Field(
        default=10,
        ge=1,
        description="Consecutive failed attempts after which a webhook subscription is "
        "disabled (its owner re-enables it through the API).",
    )
    alerts_webhook_allow_private: bool = Field(
        default=False,
        description="Allow webhook URLs on private, loopback and link-local networks "
        "(closed deployments and tests only: otherwise any API key could probe them).",
    )
    alerts_webhook_require_https: bool = Field(
        default=True, description="Refuse webhook URLs that are not https://."
    )
    alerts_webhooks_per_key: int = Field(
        default=100, ge=1, description="Most webhook subscriptions one API key's service may hold."
    )
    alerts_signups_per_address_per_day: int = Field(
        default=5,
        ge=1,
        description="Confirmation e-mails one address may be sent per day (beyond it sign-ups "
        "are dropped silently, so the form never tells who is subscribed).",
    )
    alerts_signups_per_ip_per_hour: int = Field(
        default=20, ge=1, description="Sign-ups one client address may submit per hour."
    )
    alerts_max_follows_per_address: int = Field(
        default=100, ge=1, description="Most alerts (confirmed or pending) one address may hold."
    )
    alerts_keep_days: int = Field(
        default=365,
        ge=1,
        description="Days matched items and deliveries are kept (they stop an item from "
        "being sent twice).",
    )

    @field_validator("notification_channels", "smtp_to", mode="before")
    @classmethod
    def _ops_comma_list(cls, value: Any) -> Any:
        """Accept `email,webhook` as well as a JSON list."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [item.strip() for item in text.split(",") if item.strip()]
        return value

    @field_validator("notification_channels")
    @classmethod
    def _known_channels(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - {"email", "webhook"})
        if unknown:
            raise ValueError(f"unknown channel(s) {', '.join(unknown)}: use email, webhook")
        return value

    @field_validator("log_file", mode="before")
    @classmethod
    def _empty_means_no_file(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("allowed_hosts", "trusted_proxies", mode="before")
    @classmethod
    def _host_lists(cls, value: Any) -> Any:
        """Accept `a,b` as well as a JSON list."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [item.strip() for item in text.split(",") if item.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        from openpolicy.proxies import parse_networks

        parse_networks(value)  # raises ValueError naming the bad entry
        return value

    @field_validator("api_trust_forwarded_for")
    @classmethod
    def _removed_forwarded_for(cls, value: bool) -> bool:
        if value:
            raise ValueError(
                "OPENPOLICY_API_TRUST_FORWARDED_FOR is replaced by OPENPOLICY_TRUSTED_PROXIES: "
                "list the networks of your proxies (e.g. 10.0.0.0/8); X-Forwarded-For is "
                "then read from them only, right to left"
            )
        return value

    @field_validator("site_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from urllib.parse import urlsplit

        parts = urlsplit(value.strip())
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"expected a URL like https://openpolicy.ca, got {value!r}")
        return value.strip().rstrip("/")

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
        """The effective settings as plain values: secrets masked, and every URL reduced to
        its scheme and host (user info, path and query can hold credentials or tokens)."""
        shown: dict[str, Any] = {}
        for name, value in self:
            if isinstance(value, SecretStr):
                shown[name] = _mask(value.get_secret_value())
            elif isinstance(value, list) and any(isinstance(v, SecretStr) for v in value):
                shown[name] = [_mask(v.get_secret_value()) for v in value]
            elif isinstance(value, Path):
                shown[name] = str(value)
            elif isinstance(value, str) and "://" in value:
                shown[name] = mask_url(value)
            else:
                shown[name] = value
        return shown


def _mask(secret: str) -> str:
    """A secret setting as it may be shown: a URL masked by `mask_url`, anything else whole."""
    return mask_url(secret) if "://" in secret else "********"


def mask_url(url: str) -> str:
    """`scheme://host:port` with `***` for whatever else the URL carries (user and
    password, path, query): safe to print, log or report, and still says where it points."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        return "********"
    if not parts.scheme:
        return "********"
    netloc = "***@" if "@" in parts.netloc else ""
    if host:
        netloc += f"[{host}]" if ":" in host else host
        if port:
            netloc += f":{port}"
    path = "/***" if parts.path not in ("", "/") else parts.path
    query = "?***" if parts.query else ""
    return f"{parts.scheme}://{netloc}{path}{query}"


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


def env_variable(name: str) -> str:
    """The environment variable operators set for field `name`."""
    alias = Settings.model_fields[name].validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"OPENPOLICY_{name.upper()}"


def _default_text(name: str) -> str:
    field = Settings.model_fields[name]
    if field.default is None or isinstance(field.default, SecretStr):
        return ""
    if isinstance(field.default, bool):
        return str(field.default).lower()
    if isinstance(field.default, list | tuple):
        return ",".join(str(item) for item in field.default)
    return str(field.default)


def env_template() -> str:
    """`.env.example`: every setting with its description, defaults commented out."""
    lines = [
        "# OpenPolicy settings. Copy to .env (or .env.staging / .env.production and point",
        "# OPENPOLICY_ENV_FILE at it). Real environment variables win over this file.",
        "# Generated by `openpolicy settings --template`; secrets have no default.",
        "",
    ]
    for name, field in Settings.model_fields.items():
        lines.append(f"# {field.description or name}")
        value = _default_text(name)
        lines.append(f"# {env_variable(name)}={value}")
        lines.append("")
    return "\n".join(lines)


def settings_markdown() -> str:
    """The reference table of docs/settings.md."""
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = _default_text(name) or "(none)"
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{env_variable(name)}` | `{default}` | {description} |")
    return "\n".join(rows) + "\n"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
