"""Where logs go, and how they look.

- **The terminal** (standard error): human-readable lines (`12:03:04 WARNING  openpolicy…
  message`, colours on a terminal only), or JSON lines when `OPENPOLICY_LOG_JSON=true`
  (production, where a collector reads them). Every command gets this.
- **The log file** (`OPENPOLICY_LOG_FILE`, rotated by size): `openpolicy up` and `openpolicy
  serve` also write every line there, always as JSON, beside their terminal output: what
  `openpolicy logs` reads, filters by level and time, and follows.

The API's access log (one JSON object per request, built by structlog in
`openpolicy.api.gate`) goes through `write_access_line`, so it obeys the same choice instead
of printing JSON on a developer's terminal.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging.handlers

    from openpolicy.config import Settings

LEVELS = ("debug", "info", "warning", "error", "critical")
_LEVEL_NUMBERS = {name: getattr(logging, name.upper()) for name in LEVELS}
_COLOURS = {"DEBUG": "2", "INFO": "36", "WARNING": "33", "ERROR": "31", "CRITICAL": "1;31"}
# Attributes every LogRecord has: anything else was passed in `extra=` and is kept.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _iso(moment: float) -> str:
    return (
        datetime.fromtimestamp(moment, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, event, and any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        import orjson

        entry: dict[str, Any] = {
            "timestamp": _iso(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class HumanFormatter(logging.Formatter):
    """`12:03:04 WARNING  openpolicy.sources.http  retry 1 of 4 …` (level coloured on a
    terminal)."""

    def __init__(self, colour: bool) -> None:
        super().__init__()
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(record.created))
        level = f"{record.levelname:<8}"
        if self.colour:
            level = f"\x1b[{_COLOURS.get(record.levelname, '0')}m{level}\x1b[0m"
        line = f"{clock} {level} {record.name}  {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a record comes (tests swap it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def _colour(stream: Any) -> bool:
    """Colours on a terminal only, and never with NO_COLOR set."""
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


# --------------------------------------------------------------------------- configuration


@dataclass
class _AccessSinks:
    """Where access-log lines (JSON bytes) go once `configure` ran."""

    terminal_json: bool = True
    colour: bool = False
    file: logging.handlers.RotatingFileHandler | None = None


_sinks: _AccessSinks | None = None
_lock = threading.Lock()


def configure_console(level: str = "warning") -> None:
    """Human lines on stderr for a short command (retries, warnings); no settings needed."""
    root = logging.getLogger()
    if any(getattr(h, "_openpolicy", False) for h in root.handlers):
        return
    handler = _CurrentStderr()
    handler.setFormatter(HumanFormatter(_colour(sys.stderr)))
    handler._openpolicy = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(_LEVEL_NUMBERS[level])


def configure(settings: Settings, *, log_file: bool = False) -> Path | None:
    """Logging of a long-running process: the terminal as the settings say, plus the log file
    when `log_file` (`up`, `serve`). Returns the file in use, or None."""
    global _sinks
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_openpolicy", False)]:
        root.removeHandler(handler)
        handler.close()
    level = _LEVEL_NUMBERS[settings.log_level]
    root.setLevel(level)
    terminal = _CurrentStderr()
    colour = _colour(sys.stderr)
    terminal.setFormatter(JsonFormatter() if settings.log_json else HumanFormatter(colour))
    terminal._openpolicy = True  # type: ignore[attr-defined]
    root.addHandler(terminal)
    # uvicorn's loggers go to ours (`serve` passes log_config=None to uvicorn).
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    from logging.handlers import RotatingFileHandler

    file_handler = None
    path = settings.log_file if log_file else None
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            file_handler = RotatingFileHandler(
                path,
                maxBytes=settings.log_file_max_bytes,
                backupCount=settings.log_file_backups,
                encoding="utf-8",
            )
        except OSError as exc:
            logging.getLogger("openpolicy").warning(
                "cannot write the log file %s (%s): logging to the terminal only", path, exc
            )
            path = None
        else:
            file_handler.setFormatter(JsonFormatter())
            file_handler._openpolicy = True  # type: ignore[attr-defined]
            root.addHandler(file_handler)
    with _lock:
        _sinks = _AccessSinks(terminal_json=settings.log_json, colour=colour, file=file_handler)
    return path


def write_access_line(data: bytes) -> None:
    """One access-log line (JSON bytes from structlog): to the terminal as configured, and to
    the log file. Before `configure` (tests, embedding), the JSON line goes to stderr."""
    sinks = _sinks
    if sinks is None or sinks.terminal_json:
        _write_stderr(data)
    else:
        _write_stderr(_human_access(data, sinks.colour).encode())
    if sinks is not None and sinks.file is not None:
        _append(sinks.file, data.decode() + "\n")


def _append(handler: logging.handlers.RotatingFileHandler, line: str) -> None:
    """A preformatted line into the rotating file (the handler's lock and rotation)."""
    handler.acquire()
    try:
        if handler.stream is None:
            handler.stream = handler._open()
        if handler.maxBytes and handler.stream.tell() + len(line) >= handler.maxBytes:
            handler.doRollover()
        handler.stream.write(line)
        handler.stream.flush()
    finally:
        handler.release()


def _write_stderr(data: bytes) -> None:
    """One write per line on the current stderr (resolved per call: tests capture it)."""
    try:
        descriptor = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        sys.stderr.write(data.decode() + "\n")
        return
    os.write(descriptor, data + b"\n")


def _human_access(data: bytes, colour: bool) -> str:
    import orjson

    entry = orjson.loads(data)
    return render_human(entry, colour)


# --------------------------------------------------------------------------- reading


def render_human(entry: dict[str, Any], colour: bool = False) -> str:
    """A log entry (as the file holds it) as one human line."""
    moment = entry.get("timestamp") or ""
    clock = moment[11:19] if len(moment) >= 19 else moment
    level = str(entry.get("level", "info")).upper()
    shown = f"{level:<8}"
    if colour:
        shown = f"\x1b[{_COLOURS.get(level, '0')}m{shown}\x1b[0m"
    if entry.get("event") == "request" and "status" in entry:
        text = (
            f"{entry.get('method')} {entry.get('path')} {entry.get('status')} "
            f"{entry.get('duration_ms')} ms"
        )
        if entry.get("cache"):
            text += f" cache {entry['cache']}"
        return f"{clock} {shown} access  {text}"
    line = f"{clock} {shown} {entry.get('logger', '')}  {entry.get('event', '')}"
    if entry.get("exception"):
        line += "\n" + str(entry["exception"])
    return line


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`10m`, `2h`, `3d`, `90s`, or an ISO time (UTC when no zone is given)."""
    from datetime import timedelta

    now = now or datetime.now(UTC)
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value = text.strip()
    if value[:-1].replace(".", "", 1).isdigit() and value[-1:] in units:
        return now - timedelta(seconds=float(value[:-1]) * units[value[-1]])
    try:
        moment = datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        raise ValueError(
            f"--since {text!r}: use a duration (90s, 10m, 2h, 3d) or a time (2026-03-01T04:05Z)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def log_files(path: Path) -> list[Path]:
    """The log file and its rotated copies, oldest first (`openpolicy.log.3` … `.log`)."""
    rotated = []
    for candidate in path.parent.glob(path.name + ".*"):
        suffix = candidate.name[len(path.name) + 1 :]
        if suffix.isdigit():
            rotated.append((int(suffix), candidate))
    return [c for _, c in sorted(rotated, reverse=True)] + ([path] if path.exists() else [])


def parse_line(line: str) -> dict[str, Any] | None:
    """One line of the log file, or None when it is not a JSON object (a torn write)."""
    import orjson

    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        entry = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return entry if isinstance(entry, dict) else None


def selected(
    entries: Iterable[dict[str, Any]], *, level: str, since: datetime | None
) -> Iterator[dict[str, Any]]:
    """The entries at `level` or above, at or after `since`."""
    threshold = _LEVEL_NUMBERS[level]
    floor = since.isoformat().replace("+00:00", "Z") if since else None
    for entry in entries:
        if _LEVEL_NUMBERS.get(str(entry.get("level", "info")).lower(), 20) < threshold:
            continue
        if floor is not None and _normal_time(entry.get("timestamp")) < floor:
            continue
        yield entry


def _normal_time(value: Any) -> str:
    """Timestamps as comparable text (structlog writes `…Z`, ours `…000Z`)."""
    text = str(value or "")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Mark:
    """A place in the log file: its inode, and the offset just after its last whole line.

    `openpolicy logs --follow` takes one before reading what is there, reads up to it, and
    follows from it: an entry written meanwhile is printed once, never lost between the two.
    """

    inode: int
    offset: int

    @classmethod
    def beginning(cls) -> Mark:
        """For a file that does not exist yet: every line it will hold is new."""
        return cls(-1, 0)


def mark(path: Path) -> Mark | None:
    """Where the log file ends now (None while it does not exist)."""
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            start = max(0, info.st_size - 65536)
            handle.seek(start)
            tail = handle.read(info.st_size - start)
    except FileNotFoundError:
        return None
    newline = tail.rfind(b"\n")
    return Mark(info.st_ino, start + newline + 1 if newline >= 0 else start)


def read_entries(path: Path, *, upto: Mark | None = None) -> Iterator[dict[str, Any]]:
    """Every entry of the log file and its rotated copies, oldest first (the current file
    only up to `upto` when it is still the file marked)."""
    for file in log_files(path):
        with file.open("rb") as handle:
            limit = -1
            if upto is not None and os.fstat(handle.fileno()).st_ino == upto.inode:
                limit = upto.offset
            data = handle.read(limit)
        for line in data.decode("utf-8", errors="replace").splitlines():
            entry = parse_line(line)
            if entry is not None:
                yield entry


def follow(
    path: Path, *, stop: Callable[[], bool], start: Mark | None = None, poll: float = 0.25
) -> Iterator[dict[str, Any]]:
    """New entries as they are written, across rotations, until `stop()` says so: from
    `start` when given (else from the end of the file now), a rotated-in file whole."""
    handle = None
    inode = None
    from_start = False
    pending = b""
    pause = threading.Event()
    try:
        while not stop():
            if handle is None:
                if not path.exists():
                    from_start = True  # it will be created: every line of it is new
                    pause.wait(poll)
                    continue
                handle = path.open("rb")
                inode = os.fstat(handle.fileno()).st_ino
                if start is not None and not from_start:
                    handle.seek(start.offset if start.inode == inode else 0)
                elif not from_start:
                    handle.seek(0, os.SEEK_END)
            chunk = handle.read()
            if chunk:
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    entry = parse_line(line.decode("utf-8", errors="replace"))
                    if entry is not None:
                        yield entry
                continue
            try:
                rotated = path.stat().st_ino != inode
            except FileNotFoundError:
                rotated = True
            if rotated:  # the writer moved this file aside: go on with the new one
                handle.close()
                handle, pending, from_start = None, b"", True
                continue
            pause.wait(poll)
    finally:
        if handle is not None:
            handle.close()
