"""``openpolicy sources …``: list the official sources, parse a captured file.

``parse`` is the operator's way to see exactly what a document turns into before it
reaches the database: one JSON object per line (with its ``kind``), or a table.
Bad input exits with status 2 and a one-line message, never a traceback.
"""

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from openpolicy.cli_kit import command_group
from openpolicy.cli_output import FormatOption, JsonFlag, echo_json, wants_json
from openpolicy.cli_output import OutputFormat as ReportFormat

if TYPE_CHECKING:
    from pydantic import BaseModel

app = command_group(help="Official sources: list them, parse captured documents into records.")
SOURCE_HELP = "Source name (`openpolicy sources list` names them)."
ListFormat = FormatOption


class OutputFormat(StrEnum):
    JSON = "json"
    TABLE = "table"


def _fail(message: str, code: int = 2) -> typer.Exit:
    from openpolicy.cli_output import error

    error(message)
    return typer.Exit(code=code)


@app.command("list")
def list_sources(output: ListFormat = ReportFormat.text, as_json: JsonFlag = False) -> None:
    """Print every source name with a one-line description."""
    from openpolicy.sources.registry import SOURCE_NAMES, describe

    if wants_json(output, as_json):
        echo_json([{"name": name, "description": describe(name)} for name in SOURCE_NAMES])
        return
    width = max(len(name) for name in SOURCE_NAMES)
    for name in SOURCE_NAMES:
        typer.echo(f"{name.ljust(width)}  {describe(name)}")


@app.command("fetch")
def fetch(
    name: Annotated[str, typer.Argument(help=SOURCE_HELP)],
    session: Annotated[
        str | None, typer.Option(help="Session, e.g. 45-1 (default: the first ingest session).")
    ] = None,
    number: Annotated[
        str | None, typer.Option(help="Bill number (bill), division (ballots), sitting (hansard).")
    ] = None,
    parliament: Annotated[
        int | None, typer.Option(help="members: a past Parliament's list.")
    ] = None,
    french: Annotated[
        bool, typer.Option("--fr", help="The French edition (votes, hansard).")
    ] = False,
    url: Annotated[str | None, typer.Option(help="Fetch this URL instead of building one.")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the body to this file.")
    ] = None,
    report: ListFormat = ReportFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Fetch one document through the polite client; print status, size and sha256."""
    from openpolicy.config import get_settings
    from openpolicy.sources.http import FetchError, PoliteClient
    from openpolicy.sources.registry import SOURCE_NAMES, UnknownSourceError
    from openpolicy.vocab import Language

    if name not in SOURCE_NAMES:
        raise _fail(str(UnknownSourceError(name)))
    settings = get_settings()
    if url is None:
        from openpolicy.sources import registry

        code = session or settings.ingest_sessions[0]
        language = Language.FR if french else Language.EN
        parl, commons = settings.parl_base_url, settings.ourcommons_base_url
        needs_number = name in ("bill", "ballots", "hansard")
        if needs_number and not number:
            raise _fail(f"{name} needs --number (bill number, division or sitting)")
        try:
            if name == "bills":
                url = registry.bills_url(code, parl)
            elif name == "bill":
                url = registry.bill_url(code, str(number), "json", parl)
            elif name == "members":
                url = registry.members_url(parliament, commons)
            elif name == "votes":
                url = registry.votes_url(code, language, commons)
            elif name == "ballots":
                url = registry.ballots_url(code, int(str(number)), commons)
            else:
                url = registry.hansard_url(code, int(str(number)), language, commons)
        except ValueError as exc:
            raise _fail(str(exc)) from None
    try:
        with PoliteClient.from_settings(settings) as client:
            result = client.fetch(url)
    except FetchError as exc:  # the network or the server, not the command line: exit 1
        raise _fail(str(exc), code=1) from None
    if output is not None:
        output.write_bytes(result.body)
    values = {
        "url": result.url,
        "status": result.status,
        "size": len(result.body),
        "sha256": result.sha256,
        "content_type": result.content_type,
        "etag": result.etag,
        "last_modified": result.last_modified,
        "written_to": str(output) if output is not None else None,
    }
    if wants_json(report, as_json):
        echo_json(values)
        return
    typer.echo(f"url           {result.url}")
    typer.echo(f"status        {result.status}")
    typer.echo(f"size          {len(result.body)} bytes")
    typer.echo(f"sha256        {result.sha256}")
    typer.echo(f"content-type  {result.content_type or '-'}")
    typer.echo(f"etag          {result.etag or '-'}")
    typer.echo(f"last-modified {result.last_modified or '-'}")
    if output is not None:
        typer.echo(f"written to    {output}")


@app.command("parse")
def parse_file(
    name: Annotated[str, typer.Argument(help=SOURCE_HELP)],
    file: Annotated[Path, typer.Argument(help="A captured document (bytes as fetched).")],
    output: Annotated[
        OutputFormat, typer.Option("--format", help="json: one object per line; table.")
    ] = OutputFormat.JSON,
    url: Annotated[
        str | None,
        typer.Option(help="The document's official URL, recorded as source_url."),
    ] = None,
) -> None:
    """Parse FILE as source NAME and print its records."""
    import orjson

    from openpolicy.sources.errors import SourceFormatError
    from openpolicy.sources.registry import SOURCE_NAMES, UnknownSourceError, parse

    if name not in SOURCE_NAMES:
        raise _fail(str(UnknownSourceError(name)))
    try:
        body = file.read_bytes()
    except OSError as exc:
        raise _fail(f"{file}: cannot read: {exc.strerror or exc}") from None
    source_url = url or file.resolve().as_uri()
    try:
        records = list(parse(name, body, source_url))
    except SourceFormatError as exc:
        where = f" at {exc.path}" if exc.path else f":{exc.line}" if exc.line else ""
        raise _fail(f"{file}{where}: {exc.problem}") from None
    if output is OutputFormat.TABLE:
        _print_tables(records)
        return
    data = b"".join(orjson.dumps(record.model_dump()) + b"\n" for record in records)
    stream = getattr(sys.stdout, "buffer", None)
    if stream is None:
        sys.stdout.write(data.decode())
        return
    sys.stdout.flush()
    stream.write(data)
    stream.flush()


# A readable subset per kind; the JSON output has every field.
_TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "bill": (
        "session",
        "number",
        "bill_type",
        "status_en",
        "sponsor_name",
        "introduced_on",
        "royal_assent_on",
        "events",
        "division_numbers",
    ),
    "member": ("person_id", "first_name", "last_name", "constituency", "province", "caucus"),
    "vote": ("session", "number", "date", "result", "yeas", "nays", "paired", "bill_number"),
    "ballot": ("session", "division_number", "person_id", "first_name", "last_name", "value"),
    "debate": ("session", "number", "date", "doc_id", "language", "url_en", "url_fr"),
    "speech": (
        "sequence",
        "spoken_at",
        "intervention_type",
        "speaker_label",
        "rubric",
        "bill_numbers",
        "text_en",
        "text_fr",
    ),
}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return f"({len(value)})"
    text = str(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _print_tables(records: list[Any]) -> None:
    """One table per kind with its summary columns; tuples shown as their length."""
    from rich.console import Console
    from rich.table import Table

    by_kind: dict[str, list[BaseModel]] = {}
    for record in records:
        by_kind.setdefault(record.kind, []).append(record)
    console = Console(width=200)
    for kind, rows in by_kind.items():
        columns = _TABLE_COLUMNS.get(kind) or tuple(type(rows[0]).model_fields)
        table = Table(title=f"{kind} ({len(rows)})")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*(_cell(getattr(row, column)) for column in columns))
        console.print(table)
