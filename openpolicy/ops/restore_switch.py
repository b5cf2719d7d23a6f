"""The renames of a restore's switch, on a plain connection to the maintenance database.

Kept apart from `openpolicy.ops.restore` (which needs the settings, the tools and the
integrity check) so the embedded cluster can put back what an interrupted switch left
before it would create an empty database, without importing any of that.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from openpolicy.errors import OpenPolicyError

MAX_IDENTIFIER = 63
STAMP_LENGTH = len("20260301t030000z")  # openpolicy.ops.backups.stamp(), lowered
STAMP_SHAPE = re.compile(r"\d{8}t\d{6}z")


class SwitchRecoveryError(OpenPolicyError):
    title = "Restore error"
    type_slug = "restore-error"
    exit_code = 1


def database_name(base: str, suffix: str) -> str:
    """`base_suffix`, shortened so it stays a valid identifier."""
    return f"{base[: MAX_IDENTIFIER - len(suffix) - 1]}_{suffix}"


def end_sessions_and_rename(conn: Any, old: str, new: str) -> None:
    """End every other session of `old` and rename it, in one round trip (one simple query:
    the smallest window for a session to get in between)."""
    conn.execute(
        sql.SQL(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = {old_name} AND pid <> pg_backend_pid();"
            " ALTER DATABASE {old} RENAME TO {new}"
        ).format(old_name=sql.Literal(old), old=sql.Identifier(old), new=sql.Identifier(new))
    )


def has_database(conn: Any, name: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
    )


# --- what a two-step switch of an earlier version could leave behind ----------------------


@dataclass(frozen=True)
class InterruptedSwitch:
    """No live database, and the copy a restore's switch renamed it to before it stopped."""

    live: str
    aside: str
    restored: str | None  # that restore's checked copy, when it is still there

    def describe(self, *, recovered: bool) -> str:
        copy = (
            f"; the restored copy {self.restored!r} is kept (restore again to switch a checked"
            " copy in)"
            if self.restored
            else ""
        )
        if recovered:
            return (
                f"database {self.live!r} was missing: a restore had renamed it to {self.aside!r}"
                f" and was stopped before it switched the restored copy in. {self.aside!r} is"
                f" back as {self.live!r}{copy}"
            )
        return (
            f"database {self.live!r} is missing: a restore renamed it to {self.aside!r} and was"
            " stopped before it switched the restored copy in; `openpolicy backup"
            f" recover-switch` renames {self.aside!r} back{copy}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {"live": self.live, "aside": self.aside, "restored_copy": self.restored}


def _aside_prefix(live: str) -> tuple[str, int]:
    """What `database_name(live, "corrupt_<stamp>")` keeps before the stamp, and the
    stamp's length."""
    named = database_name(live, "corrupt_" + "0" * STAMP_LENGTH)
    return named[:-STAMP_LENGTH], STAMP_LENGTH


def find_interrupted_switch(conn: Any, live: str) -> InterruptedSwitch | None:
    """The newest aside copy that shows the two-step switch stopped halfway: the restored copy
    of the same restore is still there (a completed switch renamed it to the live name), or
    the copy still refuses connections (the switch refused them just before renaming it).
    Aside copies of completed restores alone never qualify: a live database dropped on
    purpose is not brought back from one."""
    if has_database(conn, live):
        return None
    prefix, length = _aside_prefix(live)
    rows = conn.execute(
        "SELECT datname, datallowconn FROM pg_database WHERE starts_with(datname, %s)",
        (prefix,),
    ).fetchall()
    asides = {
        str(name)[len(prefix) :]: bool(allowed)
        for name, allowed in rows
        if len(name) == len(prefix) + length and STAMP_SHAPE.fullmatch(str(name)[len(prefix) :])
    }
    for moment in sorted(asides, reverse=True):  # the stamps sort by time: newest first
        restored = database_name(live, f"restore_{moment}")
        copy_left = has_database(conn, restored)
        if copy_left or not asides[moment]:
            return InterruptedSwitch(live, prefix + moment, restored if copy_left else None)
    return None


def put_back_interrupted_switch(conn: Any, live: str) -> InterruptedSwitch | None:
    """Rename the aside copy back when `find_interrupted_switch` finds one; `conn` is an
    autocommit connection to the server's maintenance database."""
    found = find_interrupted_switch(conn, live)
    if found is None:
        return None
    deadline = time.monotonic() + 30.0
    pause = threading.Event()
    while True:
        try:
            with conn.transaction():
                end_sessions_and_rename(conn, found.aside, live)
                # The two-step switch refused connections to the database it renamed aside,
                # and a kill kept it that way.
                conn.execute(
                    sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(
                        sql.Identifier(live)
                    )
                )
            return found
        except psycopg.errors.ObjectInUse as exc:
            if time.monotonic() > deadline:
                raise SwitchRecoveryError(
                    f"cannot rename {found.aside} back to {live}: {exc}"
                ) from exc
            pause.wait(0.1)
