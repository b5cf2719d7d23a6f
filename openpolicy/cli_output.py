"""How commands print: for people (tables that fit 80 columns) and for scripts (`--format json`).

- Results go to stdout; progress (`say`), warnings and errors go to stderr.
- Colours only on a terminal: rich decides per stream (a pipe or a file gets plain text,
  and `NO_COLOR` is honoured).
- Tables never cut what people copy: columns marked `keep` (names, ids, paths) are shown
  whole; the others are shortened with `…` when 80 columns (or the terminal) are too few.
- Every command that prints records takes `--format text|json`; `--json` is short for
  `--format json`. JSON is indented, with times in ISO 8601 and sizes in bytes.

rich is imported on first use, so commands that print one line never load it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", help="text (for people) or json (for scripts)."),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Same as --format json.", hidden=True)]


def wants_json(output: OutputFormat, as_json: bool = False) -> bool:
    """True when `--format json` or `--json` was given."""
    return as_json or output is OutputFormat.json


def reader_gone(stream: Any = None) -> bool:
    """True when nobody reads our output any more: the pipe's reader exited
    (`openpolicy logs --follow | head -n 5`) or the terminal hung up. A following command
    checks it while idle, as `tail -f` does, so it ends by itself instead of waiting for a
    next line to fail on."""
    import select
    import sys

    try:
        fd = (stream or sys.stdout).fileno()
    except (AttributeError, OSError, ValueError):
        return False
    poller = select.poll()
    poller.register(fd, 0)  # POLLERR and POLLHUP are always reported
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def stdout() -> Console:
    """The console for results."""
    return _consoles()[0]


def stderr() -> Console:
    """The console for progress, warnings and errors."""
    return _consoles()[1]


@lru_cache(maxsize=1)
def _consoles() -> tuple[Console, Console]:
    from rich.console import Console

    return Console(highlight=False), Console(stderr=True, highlight=False)


def echo_json(value: Any) -> None:
    """Indented JSON on stdout (dates, paths and decimals as strings)."""
    import orjson

    typer.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2, default=str).decode())


def say(message: str) -> None:
    """A progress line on stderr (dim on a terminal)."""
    from rich.text import Text

    stderr().print(Text.assemble(("… ", "dim"), message), soft_wrap=True)


def warn(message: str) -> None:
    """A warning on stderr (yellow on a terminal); the command goes on."""
    from rich.text import Text

    stderr().print(Text.assemble(("warning:", "yellow"), " ", message), soft_wrap=True)


def error(line: str) -> None:
    """One `error: …` line on stderr (red on a terminal), never wrapped, never read as markup."""
    from rich.text import Text

    stderr().print(Text.assemble(("error:", "red"), " ", line), soft_wrap=True)


def styled(text: str, style: str) -> Any:
    """`text` in `style` on a terminal, plain elsewhere (for table cells and lines)."""
    from rich.text import Text

    return Text(text, style=style)


@dataclass(frozen=True)
class Column:
    """One table column. `keep`: shown whole, never cut (what people copy)."""

    header: str
    keep: bool = False
    right: bool = False


def print_table(
    columns: Sequence[Column], rows: Sequence[Sequence[Any]], title: str | None = None
) -> None:
    """Rows under a header line, two spaces between columns, fitted to the terminal width
    (80 columns off a terminal): the widest shortenable columns give way first; `keep`
    columns never do, and when they alone are too wide the lines are longer, not cut."""
    from rich import box
    from rich.table import Table

    cells = [["" if value is None else value for value in row] for row in rows]
    natural = [
        max([len(column.header), *(_width(row[index]) for row in cells)])
        for index, column in enumerate(columns)
    ]
    floors = [
        natural[i] if column.keep else min(natural[i], max(len(column.header), 6))
        for i, column in enumerate(columns)
    ]
    widths = fit_widths(natural, floors, stdout().width)
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
        header_style="bold",
    )
    for column, width in zip(columns, widths, strict=True):
        table.add_column(
            column.header,
            justify="right" if column.right else "left",
            no_wrap=True,
            overflow="ellipsis",
            width=width,
        )
    for row in cells:
        table.add_row(*(value if hasattr(value, "plain") else str(value) for value in row))
    total = sum(widths) + GAP * (len(widths) - 1)
    console = stdout()
    if total > console.width:  # the kept columns alone are wider: longer lines, nothing cut
        from rich.console import Console

        console = Console(
            width=total, no_color=console.no_color or not console.is_terminal, highlight=False
        )
    console.print(table, width=total)


GAP = 2  # characters between two columns


def fit_widths(natural: Sequence[int], floors: Sequence[int], available: int) -> list[int]:
    """Column widths within `available` (or as close as the floors allow): the widest column
    above its floor gives one character at a time."""
    widths = list(natural)
    excess = sum(widths) + GAP * (len(widths) - 1) - available
    while excess > 0:
        candidates = [i for i, width in enumerate(widths) if width > floors[i]]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i])
        widths[widest] -= 1
        excess -= 1
    return widths


def _width(value: Any) -> int:
    text = value.plain if hasattr(value, "plain") else str(value)
    return len(text)


def print_mapping(values: Mapping[str, Any], title: str | None = None) -> None:
    """`name  value` lines, names aligned; values whole (paths and URLs are copied)."""
    if title:
        stdout().print(styled(title, "bold"))
    width = max((len(name) for name in values), default=0)
    for name, value in values.items():
        shown = "" if value is None else value
        if isinstance(shown, list | tuple):
            shown = ", ".join(str(item) for item in shown) or "-"
        typer.echo(f"{name.ljust(width)}  {shown}")


def human_size(size: int | float) -> str:
    """1.2 GB, 340.0 KB, 12 B."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"  # pragma: no cover


def human_age(seconds: float | None) -> str:
    """How long ago, in the largest unit that keeps it short: 45s, 12m, 3.5h, 2d."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.0f}d"
