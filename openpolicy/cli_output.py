"""How commands print: for people (tables that fit 80 columns) and for scripts (`--format json`).

- Results go to stdout; progress (`say`), warnings and errors go to stderr.
- Colours only on a terminal: rich decides per stream (a pipe or a file gets plain text,
  and `NO_COLOR` is honoured).
- Tables never cut what people copy: columns marked `keep` (names, ids, paths) are shown
  whole; the others are shortened with `…` when 80 columns (or the terminal) are too few.
- Every command that prints records takes `--format text|json`; `--json` is short for
  `--format json`. JSON is indented, with times in ISO 8601 and sizes in bytes.

Off a terminal (a pipe, a file, a script capturing output) the lines rich would write are
written without importing rich: the same bytes, a tenth of a second sooner (rich costs ~40 ms
to import and lay out, a command's whole budget is 500 ms). Anything the plain writer cannot
reproduce exactly (control characters, wide characters, a title that would wrap, a non-UTF-8
stream) goes through rich as before. tests/foundation/test_cli_output.py holds the two writers
to the same output.
"""

from __future__ import annotations

import os
import sys
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


def is_plain(stream: Any) -> bool:
    """True when rich would write `stream` without colours or styles: not a terminal, as rich
    decides it (`TTY_COMPATIBLE`, then `FORCE_COLOR`, then `isatty()`)."""
    tty_compatible = os.environ.get("TTY_COMPATIBLE", "")
    if tty_compatible in ("0", "1"):
        return tty_compatible == "0"
    force_color = os.environ.get("FORCE_COLOR")
    if force_color is not None:
        return force_color == ""
    isatty = getattr(stream, "isatty", None)
    try:
        return isatty is None or not isatty()
    except ValueError:  # a closed stream
        return True


def console_width() -> int:
    """The width rich gives a console: `COLUMNS`, else the first standard stream that is a
    terminal, else 80."""
    columns = os.environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        return int(columns)
    width = 0
    for descriptor in (0, 1, 2):
        try:
            width = os.get_terminal_size(descriptor).columns
        except (AttributeError, ValueError, OSError):
            continue
        break
    return width or 80


def _verbatim(text: str) -> bool:
    """True when rich prints `text` as it is, one cell per character: printable, no
    whitespace at either end, no wide or zero-width characters."""
    if not text.isprintable() or text != text.strip():
        return False
    if text.isascii():
        return True
    from rich.cells import cell_len

    return cell_len(text) == len(text)


def _plain_line(stream: Any, text: str) -> bool:
    """Write `text` and a newline as rich would on a plain stream; False (nothing written)
    when only rich can say how it looks."""
    if not (is_plain(stream) and _verbatim(text)):
        return False
    typer.echo(text, err=stream is sys.stderr)
    return True


def _bold_line(text: str) -> bool:
    """Write `text` on stdout in bold as rich would (bold on a terminal, `NO_COLOR` or not;
    plain on a pipe or a dumb terminal); False (nothing written) when it needs rich."""
    if is_plain(sys.stdout):
        return _plain_line(sys.stdout, text)
    if os.environ.get("TERM", "").strip().lower() in ("dumb", "unknown") or not _verbatim(text):
        return False
    typer.echo(f"\x1b[1m{text}\x1b[0m", color=True)
    return True


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
    _stderr_line("… ", "dim", message)


def warn(message: str) -> None:
    """A warning on stderr (yellow on a terminal); the command goes on."""
    _stderr_line("warning:", "yellow", " " + message)


def error(line: str) -> None:
    """One `error: …` line on stderr (red on a terminal), never wrapped, never read as markup."""
    _stderr_line("error:", "red", " " + line)


def _stderr_line(mark: str, style: str, rest: str) -> None:
    """`mark` in `style`, then `rest`, as one unwrapped line on stderr."""
    if _plain_line(sys.stderr, mark + rest):
        return
    from rich.text import Text

    stderr().print(Text.assemble((mark, style), rest), soft_wrap=True)


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
    columns never do, and when they alone are too wide the lines are longer, not cut.
    Values and the title are shown as they are (a `[` in a file name is not rich markup)."""
    cells = [["" if value is None else value for value in row] for row in rows]
    plain = is_plain(sys.stdout) and _utf8(sys.stdout)
    widths = table_widths(columns, cells, console_width() if plain else stdout().width)
    lines = plain_table(columns, cells, widths, title) if plain else None
    if lines is not None:
        typer.echo("\n".join(lines))
        return
    _rich_table(columns, cells, widths, title, stdout())


def table_widths(
    columns: Sequence[Column], cells: Sequence[Sequence[Any]], available: int
) -> list[int]:
    """Each column's width: its widest value, shortened (never `keep` ones) to fit `available`."""
    natural = [
        max([len(column.header), *(_width(row[index]) for row in cells)])
        for index, column in enumerate(columns)
    ]
    floors = [
        natural[i] if column.keep else min(natural[i], max(len(column.header), 6))
        for i, column in enumerate(columns)
    ]
    return fit_widths(natural, floors, available)


def _utf8(stream: Any) -> bool:
    """rich draws tables in ASCII on a stream that is not UTF-8."""
    return (getattr(stream, "encoding", "utf-8") or "utf-8").lower().startswith("utf")


def plain_table(
    columns: Sequence[Column],
    cells: Sequence[Sequence[Any]],
    widths: Sequence[int],
    title: str | None,
) -> list[str] | None:
    """The lines rich draws for this table off a terminal, or None when a value needs rich
    (one it would not show as it is, or a title it would wrap)."""
    total = sum(widths) + GAP * (len(widths) - 1)
    if min(widths, default=0) < 1:
        return None
    lines = []
    if title:
        if not _verbatim(title) or len(title) > total:
            return None
        lines.append(title.ljust(total))
    header, *body = [[column.header for column in columns], *cells]
    for number, row in enumerate([header, *body]):
        texts = [value.plain if hasattr(value, "plain") else str(value) for value in row]
        if not all(text == "" or _verbatim(text) for text in texts):
            return None
        shown = []
        for text, column, width in zip(texts, columns, widths, strict=True):
            cut = text if len(text) <= width else text[: width - 1] + "…"
            shown.append(cut.rjust(width) if column.right else cut.ljust(width))
        lines.append((" " * GAP).join(shown))
        if number == 0:  # the rule under the header
            lines.append("─" * total)
    return lines


def _rich_table(
    columns: Sequence[Column],
    cells: Sequence[Sequence[Any]],
    widths: Sequence[int],
    title: str | None,
    console: Console,
) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=Text(title, style="bold") if title else None,
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
        table.add_row(*(value if hasattr(value, "plain") else Text(str(value)) for value in row))
    total = sum(widths) + GAP * (len(widths) - 1)
    if total > console.width:  # the kept columns alone are wider: longer lines, nothing cut
        from rich.console import Console

        console = Console(
            file=console.file,
            width=total,
            no_color=console.no_color or not console.is_terminal,
            highlight=False,
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
    if title and not (len(title) <= console_width() and _bold_line(title)):
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
