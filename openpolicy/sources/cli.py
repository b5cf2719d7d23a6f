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
    from openpolicy.sources.registry import Address, AddressError, source_format
    from openpolicy.vocab import Language

    try:
        found = source_format(name)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    settings = get_settings()
    if url is None:
        address = Address(
            base=found.base(settings.parl_base_url, settings.ourcommons_base_url),
            session=session or settings.ingest_sessions[0],
            number=number,
            parliament=parliament,
            language=Language.FR if french else Language.EN,
        )
        try:
            url = found.url(address)
        except AddressError as exc:
            raise _fail(f"{name}: {exc}") from None
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


@app.command("coverage")
def coverage(
    name: Annotated[str, typer.Argument(help="Source name: hansard (the one measured).")],
    files: Annotated[list[Path], typer.Argument(help="Captured documents of that source.")],
    gaps: Annotated[int, typer.Option(help="How many of the longest uncovered runs to show.")] = 5,
    output: ListFormat = ReportFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """The share of a sitting's words that reach the records, and the longest runs that do not.

    Exit status 0 when every file is at 99.9 % or more and no paragraph opens with a
    speaker's label, 1 otherwise, 2 for a file that cannot be read or parsed.
    """
    from openpolicy.sources.coverage import hansard_coverage
    from openpolicy.sources.errors import SourceFormatError
    from openpolicy.sources.hansard import parse_hansard

    if name != "hansard":
        raise _fail(f"coverage is measured for hansard documents, not {name!r}")
    reports = []
    for file in files:
        try:
            body = file.read_bytes()
        except OSError as exc:
            raise _fail(f"{file}: cannot read: {exc.strerror or exc}") from None
        url = file.resolve().as_uri()
        try:
            records = list(parse_hansard(body, url))
            reports.append(hansard_coverage(body, url, records, gaps=gaps))
        except SourceFormatError as exc:
            where = f" at {exc.path}" if exc.path else f":{exc.line}" if exc.line else ""
            raise _fail(f"{file}{where}: {exc.problem}") from None
    if wants_json(output, as_json):
        echo_json([r.as_dict() for r in reports])
    else:
        for file, report in zip(files, reports, strict=True):
            typer.echo(
                f"{file}: {100 * report.share:.2f} % of {report.body_words} words reach the"
                f" records ({report.body_words - report.covered_words} do not)"
            )
            typer.echo(
                f"  time stamps kept {report.time_marks_kept}/{report.time_marks}, language"
                f" markers kept {report.floor_marks_kept}/{report.floor_marks}, running heads"
                f" repeating a title {report.repeated_titles}"
            )
            typer.echo(
                f"  paragraphs opening with a speaker's label: {len(report.labelled_paragraphs)}"
            )
            for line in report.labelled_paragraphs[:gaps]:
                typer.echo(f"    {line}")
            for gap in report.gaps:
                typer.echo(f"  {gap.words:>5} words at {gap.where}: {gap.text}")
    failing = [r for r in reports if r.share < 0.999 or r.labelled_paragraphs]
    raise typer.Exit(1 if failing else 0)


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
        "turn",
        "speaker_label",
        "rubric",
        "bill_numbers",
        "text_en",
        "text_fr",
    ),
    "note": ("sequence", "spoken_at", "note_type", "rubric", "text_en", "text_fr"),
    "written_question": (
        "sequence",
        "number",
        "asker_label",
        "answerer_label",
        "question_en",
        "answer_en",
    ),
    "division_table": ("sequence", "division_number", "result", "yeas", "nays", "paired"),
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
