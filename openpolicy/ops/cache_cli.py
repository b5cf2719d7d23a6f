"""`openpolicy cache …`: the shared Redis cache, seen and cleared from the shell."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from openpolicy.cli_kit import command_group, current_settings
from openpolicy.cli_output import (
    FormatOption,
    JsonFlag,
    OutputFormat,
    echo_json,
    human_age,
    human_size,
    print_mapping,
    wants_json,
)

cache_app = command_group(help="The shared Redis cache.")

NO_REDIS = "no REDIS_URL: each process caches in memory (restarting a process clears its cache)"


def _where(settings: Any) -> str:
    """host:port/db of REDIS_URL, never its password."""
    from urllib.parse import urlsplit

    url = urlsplit(settings.redis_url.get_secret_value())
    database = url.path.strip("/") or "0"
    return f"{url.hostname or 'localhost'}:{url.port or 6379}/{database}"


@cache_app.command("status")
def cache_status(output: FormatOption = OutputFormat.text, as_json: JsonFlag = False) -> None:
    """Ping Redis; our keys by kind, memory and eviction, the hit ratio since it started."""
    from openpolicy.cache import redis_client
    from openpolicy.ops.cachectl import CacheError, cache_status

    settings = current_settings()
    client = redis_client(settings)
    if client is None:
        if wants_json(output, as_json):
            echo_json({"configured": False, "mode": "in-process"})
        else:
            typer.echo(NO_REDIS)
        return
    where = _where(settings)
    try:
        values = cache_status(client)
    except CacheError as exc:
        raise CacheError(f"redis at {where}: {exc.detail.removeprefix('redis: ')}") from None
    finally:
        client.close()
    if wants_json(output, as_json):
        echo_json({"configured": True, "server": where, **values})
        return
    ratio = values["hit_ratio"]
    kinds = ", ".join(f"{kind} {count}" for kind, count in values["keys_by_kind"].items())
    print_mapping(
        {
            "server": f"{where} (Redis {values['redis_version']}, up "
            f"{human_age(values['uptime_seconds'])}, {values['connected_clients']} clients)",
            "ping": f"{values['ping_ms']:.2f} ms",
            "our keys": f"{values['keys']}" + (f" ({kinds})" if kinds else ""),
            "keys in the database": values["keys_in_database"],
            "memory": human_size(values["used_memory_bytes"] or 0)
            + (
                f" of {human_size(values['maxmemory_bytes'])}"
                if values["maxmemory_bytes"]
                else " (no maxmemory)"
            )
            + f", policy {values['maxmemory_policy']}, {values['evicted_keys']} evicted",
            "hit ratio": "no lookups yet"
            if ratio is None
            else f"{ratio:.1%} ({values['hits']} hits, {values['misses']} misses, whole server)",
        },
        "Cache",
    )


@cache_app.command("clear")
def cache_clear(
    prefix: Annotated[
        str | None, typer.Option("--prefix", help="Only keys under this prefix.")
    ] = None,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Delete OpenPolicy's cache keys from Redis (never FLUSHDB: other keys survive)."""
    from openpolicy.cache import redis_client
    from openpolicy.ops.cachectl import CACHE_KEY_PREFIX, CacheError, clear_cache
    from openpolicy.ops.pg import OpsInputError

    settings = current_settings()
    client = redis_client(settings)
    if client is None:
        if wants_json(output, as_json):
            echo_json({"configured": False, "deleted": 0})
        else:
            typer.echo(NO_REDIS)
        return
    chosen = prefix or CACHE_KEY_PREFIX
    if not chosen.startswith(CACHE_KEY_PREFIX):
        raise OpsInputError(f"--prefix {chosen!r} must start with {CACHE_KEY_PREFIX!r}")
    try:
        deleted = clear_cache(client, chosen)
    except CacheError as exc:
        where = _where(settings)
        raise CacheError(f"redis at {where}: {exc.detail.removeprefix('redis: ')}") from None
    finally:
        client.close()
    if wants_json(output, as_json):
        echo_json({"configured": True, "prefix": chosen, "deleted": deleted})
    else:
        typer.echo(f"deleted {deleted} cache key(s) under {chosen!r}")
