"""What every `openpolicy` command group shares, kept light so every command starts at once.

- `command_group()` makes a group with plain help (Typer's rich help alone costs a third of a
  second to import) that shows its help when called without a command.
- `LazyGroups` is the top-level group: it imports a command group's module only when that
  group runs (`openpolicy.cli.COMMAND_GROUPS` maps names to modules).
- `lazy_group()` turns a Typer app into its click group as Typer does, but builds each
  command (signature, annotations, parameters) only when it is looked up: `db status` builds
  one command, not the group's twenty (~20 ms). Help and `openpolicy commands` build them all.
- `exit_status()` turns an exception into the documented exit code and one line of text.
- `current_settings()`, `live_target()`, `engine()`, `confirmer()`: what operations commands
  need, imported on use. Printing is `openpolicy.cli_output`.

Nothing heavy (SQLAlchemy, FastAPI, boto3, procrastinate, uvicorn, rich) is imported here
at module level; tests/foundation/test_cli_startup.py holds that line.
"""

from __future__ import annotations

import copy
import importlib
import sys
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.main
from typer.core import TyperGroup

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from typer.models import CommandInfo

    from openpolicy.config import Settings
    from openpolicy.ops.pg import PgTarget

# The exit codes of docs/cli.md.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_NOT_FOUND = 3
EXIT_DATABASE_UNREACHABLE = 4
EXIT_UNEXPECTED = 70
EXIT_BUSY = 75  # sysexits' EX_TEMPFAIL: someone else is doing it now; try again later


class CommandGroup(TyperGroup):
    """A Typer group that lists its commands without building them (see `LazyCommands`)."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # in the order they were declared, as Typer lists them


def command_group(**options: Any) -> typer.Typer:
    """A Typer group with the project's defaults: plain help, help when no command is given."""
    options.setdefault("no_args_is_help", True)
    options.setdefault("cls", CommandGroup)
    return typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False, **options)


class LazyCommands(MutableMapping[str, Any]):
    """A group's commands by name, in declaration order, each built from its Typer
    declaration the first time it is looked up (as `typer.main.get_group` builds them all)."""

    def __init__(
        self, declared: Sequence[CommandInfo], built: Mapping[str, Any], **options: Any
    ) -> None:
        self._declared: dict[str, CommandInfo] = {}
        for info in declared:
            name = info.name or typer.main.get_command_name(info.callback.__name__)  # type: ignore[union-attr]
            self._declared[name] = info
        self._order = [*self._declared, *(name for name in built if name not in self._declared)]
        self._built: dict[str, Any] = dict(built)
        self._options = options

    def built(self) -> list[str]:
        """The names built so far."""
        return [name for name in self._order if name in self._built]

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            info = self._declared[name]  # KeyError: no such command
            self._built[name] = typer.main.get_command_from_info(info, **self._options)
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        if name not in self._order:
            self._order.append(name)
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self._order:
            raise KeyError(name)
        self._order.remove(name)
        self._declared.pop(name, None)
        self._built.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._order

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._order))

    def __len__(self) -> int:
        return len(self._order)


def lazy_group(group_app: typer.Typer) -> Any:
    """`typer.main.get_group(group_app)`, with its commands built on first use."""
    shell = copy.copy(group_app)  # the group itself (callback, options, sub-groups), as Typer
    shell.registered_commands = []  # builds it, without building every command
    group = typer.main.get_group(shell)
    group.commands = LazyCommands(
        group_app.registered_commands,
        group.commands,
        pretty_exceptions_short=group_app.pretty_exceptions_short,
        rich_markup_mode=group_app.rich_markup_mode,
    )
    return group


class LazyGroups(CommandGroup):
    """A group whose command groups are imported on first use.

    `groups` maps a name to `(module:attribute, one-line help)`; the help is shown by
    `openpolicy --help` without importing anything.
    """

    groups: Mapping[str, tuple[str, str]] = {}
    _loaded: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loaded = {}

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted({*self.commands, *self.groups})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.groups:
            return self.load_group(cmd_name)
        return super().get_command(ctx, cmd_name)

    def load_group(self, name: str) -> Any:
        """Import the group's module and build its click group (once)."""
        if name not in self._loaded:
            target, summary = self.groups[name]
            module_name, _, attribute = target.partition(":")
            group_app = getattr(importlib.import_module(module_name), attribute)
            group = lazy_group(group_app)
            group.name = name
            group.help = group.help or summary
            self._loaded[name] = group
        return self._loaded[name]

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """Commands and groups with their one-line help, importing no group to say it."""
        rows: list[tuple[str, str]] = []
        limit = formatter.width - 6 - max(len(name) for name in self.list_commands(ctx))
        for name in self.list_commands(ctx):
            if name in self.groups:
                rows.append((name, self.groups[name][1]))
                continue
            command = super().get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """Suggest close names (lazy groups included) for a mistyped command."""
        if args and args[0] not in self.list_commands(ctx) and not args[0].startswith("-"):
            from difflib import get_close_matches

            matches = get_close_matches(args[0], self.list_commands(ctx))
            hint = f" Did you mean {', '.join(repr(m) for m in matches)}?" if matches else ""
            ctx.fail(f"No such command {args[0]!r}.{hint}")
        return super().resolve_command(ctx, args)


def lazy_groups(groups: Mapping[str, tuple[str, str]]) -> type[LazyGroups]:
    """The top-level group class for these command groups."""
    return type("OpenPolicyGroups", (LazyGroups,), {"groups": groups})


def _database_unreachable(exc: BaseException) -> str | None:
    """The first line of the reason when `exc` says the database cannot be reached."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is not None and isinstance(exc, sa_exc.DBAPIError | sa_exc.TimeoutError):
        if isinstance(exc, sa_exc.TimeoutError):
            return f"no connection from the pool in time ({exc})"
        if exc.connection_invalidated or exc.orig is None:
            return str(exc).strip().splitlines()[0]
        return _database_unreachable(exc.orig)
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None and isinstance(exc, psycopg.OperationalError):
        state = getattr(exc, "sqlstate", None)
        # No SQLSTATE: libpq never got an answer. 08: connection exception; 57P0x: the server
        # is shutting down, crashed or still starting.
        if state is None or state.startswith("08") or state.startswith("57P0"):
            first = (str(exc).strip().splitlines() or ["connection failed"])[0]
            return first.removeprefix("connection is bad: ")
        return None
    pool = sys.modules.get("psycopg_pool")
    if pool is not None and isinstance(exc, pool.PoolTimeout):
        return f"no connection in time ({exc})"
    return None


def exit_status(exc: BaseException) -> tuple[int, list[str]]:
    """The exit code and the lines to print for an exception a command let through."""
    from openpolicy.errors import OpenPolicyError

    if isinstance(exc, OpenPolicyError):
        return exc.exit_code, [exc.detail]
    reason = _database_unreachable(exc)
    if reason is not None:
        return EXIT_DATABASE_UNREACHABLE, [f"database unreachable: {reason}"]
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(exc, pydantic.ValidationError):
        lines = []
        for problem in exc.errors():
            where = ".".join(str(part) for part in problem["loc"]) or "settings"
            lines.append(f"setting {where}: {problem['msg']}")
        return EXIT_BAD_INPUT, lines
    return EXIT_UNEXPECTED, [
        f"unexpected {type(exc).__name__}: {exc} (set OPENPOLICY_DEBUG=1 to see the traceback)"
    ]


def current_settings() -> Settings:
    """The process-wide settings (imported on first use: pydantic-settings is not free).

    pydantic looks for plugins (a scan of every installed distribution's entry points,
    ~15 ms) when it builds its first validator; the settings are built without that scan, as
    Typer builds its parameters' validators. Models built later (the app's) still get any
    plugin installed. What reading them loaded (pydantic, pydantic-settings) lives as long as
    the process: it is frozen out of the collector's full passes, as `main()` does for Typer."""
    import gc
    import os

    previous = os.environ.get(_NO_PYDANTIC_PLUGINS)
    os.environ[_NO_PYDANTIC_PLUGINS] = "1"
    try:
        from openpolicy.config import get_settings

        first = get_settings.cache_info().currsize == 0
        settings = get_settings()
        if first:
            gc.freeze()
        return settings
    finally:
        if previous is None:
            del os.environ[_NO_PYDANTIC_PLUGINS]
        else:
            os.environ[_NO_PYDANTIC_PLUGINS] = previous


_NO_PYDANTIC_PLUGINS = "PYDANTIC_DISABLE_PLUGINS"


YesFlag = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def confirmer(yes: bool) -> Callable[[str], bool]:
    """Ask a yes/no question on the terminal, unless `--yes` answered it already."""

    def ask(question: str) -> bool:
        return yes or typer.confirm(question, default=False)

    return ask


def live_target(settings: Settings, target_url: str | None = None) -> PgTarget:
    """The database an operations command works on: `--target-url`, else the live one."""
    from openpolicy.ops.pg import PgTarget, target_from_settings

    if target_url:
        return PgTarget.from_url(target_url)
    return target_from_settings(settings)


def engine(settings: Settings) -> Engine:
    """A SQLAlchemy engine without a pool (a command makes a few statements, then exits)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from openpolicy.db import database_url

    return create_engine(database_url(settings), poolclass=NullPool)
