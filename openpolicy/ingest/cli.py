"""`openpolicy ingest …`: run sources now, load the bundled sample, see each source's state.

Exit status of `run` and `sample`: 0 when every run succeeded (fidelity failures are
reported, not fatal), 1 when a document failed, 75 when a source is already running elsewhere
(nothing was done; try again later).
"""

from __future__ import annotations

import threading
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from openpolicy.cli_kit import EXIT_BUSY, EXIT_FAILED, EXIT_OK, command_group, current_settings
from openpolicy.cli_output import (
    Column,
    FormatOption,
    JsonFlag,
    OutputFormat,
    echo_json,
    error,
    human_age,
    print_table,
    say,
    stderr,
    styled,
    wants_json,
    warn,
)

if TYPE_CHECKING:
    from rich.progress import Progress

    from openpolicy.ingest.runner import RunReport

app = command_group(
    help="Ingest: run sources now, load the bundled sample, show each source's state."
)

ForceFlag = Annotated[
    bool, typer.Option("--force", help="Re-import documents even if their hash is unchanged.")
]


def _database() -> Any:
    from openpolicy.db import database_url

    return database_url(current_settings())


def _progress() -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr(),
        transient=False,
    )


def _print_report(report: RunReport) -> None:
    from rich.markup import escape  # what the sources say may hold [brackets]

    console = stderr()
    counts = report.counts
    if report.status == "busy":
        console.print(f"[yellow]{report.source}: already running elsewhere; not started[/yellow]")
        return
    colour = {"succeeded": "green", "partial": "yellow", "failed": "red"}[report.status]
    console.print(
        f"[{colour}]{report.source}: {report.status}[/{colour}]  inserted {counts.inserted},"
        f" updated {counts.updated}, unchanged {counts.unchanged}, failed {counts.failed}"
        f"  ({report.units} documents, {report.skipped} unchanged, {report.seconds:.1f}s)",
        highlight=False,
    )
    for problem in report.errors[:10]:
        console.print(
            f"  [red]error:[/red] {escape(str(problem))}", highlight=False, soft_wrap=True
        )
    for check in report.checks:
        if not check.passed:
            console.print(
                f"  [yellow]fidelity {check.name}: {check.failures} failing[/yellow]"
                + (f" (e.g. {escape(str(check.examples[0]))})" if check.examples else ""),
                highlight=False,
            )
    speakers = report.speakers
    if speakers.resolved or speakers.unresolved:
        console.print(
            f"  speakers: {speakers.resolved} resolved, {speakers.unresolved} unresolved"
            f" ({len(speakers.unresolved_names)} names), {speakers.presiding_unnamed} presiding"
            f" officers printed by role only, {speakers.collective} members speaking together",
            highlight=False,
        )


def _exit_code(reports: list[RunReport]) -> int:
    if any(report.status in ("partial", "failed") for report in reports):
        return EXIT_FAILED
    if any(report.status == "busy" for report in reports):
        return EXIT_BUSY
    return EXIT_OK


def _run_many(names: list[str], *, force: bool, sample: bool) -> list[RunReport]:
    from openpolicy.ingest.runner import run_source
    from openpolicy.ingest.sample import load_sample

    settings = current_settings()
    database = _database()
    reports: list[RunReport] = []
    with _progress() as progress:
        for name in names:
            task = progress.add_task(name, total=None)

            def advance(done: int, total: int, task: Any = task) -> None:
                progress.update(task, completed=done, total=total)

            if sample:
                reports += load_sample(
                    database, settings, sources=(name,), force=force, progress=advance
                )
            else:
                reports.append(run_source(database, settings, name, force=force, progress=advance))
    return reports


@app.command("run")
def run(
    names: Annotated[
        list[str],
        typer.Argument(help="Sources to run (`openpolicy sources list` names them), or all."),
    ],
    force: ForceFlag = False,
    sample: Annotated[
        bool, typer.Option("--sample", help="Read the bundled sample captures, not the network.")
    ] = False,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Run sources now (in dependency order), with a progress bar and a summary."""
    from openpolicy.ingest.plans import SOURCE_ORDER

    wanted = list(SOURCE_ORDER) if "all" in names else names
    unknown = [name for name in wanted if name not in SOURCE_ORDER]
    if unknown:
        error(f"unknown source {', '.join(unknown)}; expected {', '.join(SOURCE_ORDER)} or all")
        raise typer.Exit(2)
    ordered = [name for name in SOURCE_ORDER if name in wanted]
    _refuse_if_paused(ordered)
    reports = _run_many(ordered, force=force, sample=sample)
    _report(reports, wants_json(output, as_json))
    raise typer.Exit(_exit_code(reports))


@app.command("file")
def ingest_file(
    name: Annotated[str, typer.Argument(help="Source of the files: bill, members, hansard…")],
    paths: Annotated[list[Path], typer.Argument(help="Files, or folders of files.")],
    url: Annotated[
        str | None,
        typer.Option(help="The official URL of the document (one file); default its file URI."),
    ] = None,
    force: ForceFlag = False,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Import local files (or a folder) through the same parse, import and checks as a fetch.

    One transaction per document (the English and French editions of a sitting together,
    whatever the files are called); a file imported before with the same bytes is skipped.
    Exit status as `ingest run` (75 while the source is paused); 2 for a path that cannot be
    read or an unknown source.
    """
    from openpolicy.ingest.files import FileInputError, import_files, read
    from openpolicy.ingest.plans import SOURCE_ORDER

    if name not in SOURCE_ORDER:
        error(f"unknown source {name}; expected {', '.join(SOURCE_ORDER)}")
        raise typer.Exit(2)
    try:
        documents = read(paths, url)
    except FileInputError as exc:
        error(str(exc))
        raise typer.Exit(2) from None
    _refuse_if_paused([name])
    settings = current_settings()
    with _progress() as progress:
        task = progress.add_task(name, total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = import_files(_database(), settings, name, documents, force=force, progress=advance)
    _report([report], wants_json(output, as_json))
    raise typer.Exit(_exit_code([report]))


@app.command("sample")
def sample(
    force: ForceFlag = False, output: FormatOption = OutputFormat.text, as_json: JsonFlag = False
) -> None:
    """Load the bundled sample (real captures) offline: members, bills, a division, Hansard."""
    from openpolicy.ingest.plans import SOURCE_ORDER

    _refuse_if_paused(list(SOURCE_ORDER))
    reports = _run_many(list(SOURCE_ORDER), force=force, sample=True)
    _report(reports, wants_json(output, as_json))
    raise typer.Exit(_exit_code(reports))


def _refuse_if_paused(sources: list[str]) -> None:
    """Exit 75 when a paused source was asked for: the maintenance window is not over."""
    from openpolicy.ingest.pause import refuse_if_paused

    database = _database()
    for source in sources:
        refuse_if_paused(database, source)


def _check_names(names: list[str]) -> list[str]:
    from openpolicy.ingest.plans import SOURCE_ORDER

    unknown = [name for name in names if name not in SOURCE_ORDER]
    if unknown:
        error(f"unknown source {', '.join(unknown)}; expected {', '.join(SOURCE_ORDER)}")
        raise typer.Exit(2)
    return names


def _running_now(database: Any, sources: list[str]) -> list[str]:
    """The sources whose run holds its lock now, anywhere (a worker, `ingest run`)."""
    from openpolicy.ingest.runner import connect, source_lock

    busy = []
    with connect(database, "openpolicy-cli") as conn:
        for source in sources:
            with source_lock(conn, source) as free:
                if not free:
                    busy.append(source)
    return busy


@app.command("pause")
def pause(
    names: Annotated[
        list[str] | None, typer.Argument(help="Sources to pause (default: every source).")
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", "-m", help="Why, for whoever reads the status.")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Resume by itself then: ISO time or duration (90m, 2h)."),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Return once no run is going any more.")
    ] = False,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Stop ingestion for a maintenance window: no worker starts a run until `resume`.

    A run already going finishes (`--wait` waits for it); scheduled runs end as "paused"
    without fetching; `ingest run` refuses (exit 75).
    """
    from openpolicy.ingest import pause as pauses
    from openpolicy.ingest.plans import SOURCE_ORDER
    from openpolicy.ingest.runner import connect
    from openpolicy.ops.backups import actor
    from openpolicy.ops.maintenance import parse_until

    sources = _check_names(names or [])
    end = parse_until(until)
    database = _database()
    with connect(database, "openpolicy-cli") as conn:
        held = pauses.pause(conn, sources, reason=reason, actor=actor(), until=end)
    watched = sources or list(SOURCE_ORDER)
    running = _running_now(database, watched)
    if wait and running:
        say(f"waiting for the run of {', '.join(running)} to finish")
        pause_for = threading.Event()
        while running:
            pause_for.wait(1.0)
            running = _running_now(database, watched)
    if wants_json(output, as_json):
        echo_json({"pauses": [p.as_dict() for p in held], "running": running})
        return
    for entry in held:
        typer.echo(entry.describe())
    if running:
        typer.echo(f"still running (it finishes): {', '.join(running)}")
    else:
        typer.echo("no run is going")


@app.command("resume")
def resume(
    names: Annotated[
        list[str] | None, typer.Argument(help="Sources to resume (default: every pause).")
    ] = None,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Lift pauses: runs start again at their next schedule (`ingest run` to run one now)."""
    from openpolicy.ingest import pause as pauses
    from openpolicy.ingest.runner import connect

    sources = _check_names(names or [])
    with connect(_database(), "openpolicy-cli") as conn:
        lifted = pauses.resume(conn, sources)
        left = pauses.pauses(conn)
    if wants_json(output, as_json):
        echo_json({"lifted": lifted, "pauses": [p.as_dict() for p in left]})
        return
    typer.echo(f"lifted {lifted} pause(s)")
    for entry in left:
        warn(f"still in effect: {entry.describe()}")


def _report(reports: list[RunReport], as_json: bool) -> None:
    """The summary on stderr for people, or one JSON document on stdout for scripts."""
    if not as_json:
        for report in reports:
            _print_report(report)
        return
    echo_json(
        [
            {
                "source": report.source,
                "status": report.status,
                "run_id": report.run_id,
                "counts": asdict(report.counts),
                "checks_failed": [check.name for check in report.checks if not check.passed],
                **report.details(),
            }
            for report in reports
        ]
    )


def source_states(database: Any) -> list[dict[str, Any]]:
    """One row per source: what `ingest status` and the /status page show."""
    from openpolicy.ingest.plans import SOURCE_ORDER
    from openpolicy.ingest.registry import SOURCES
    from openpolicy.ingest.runner import connect

    with connect(database, "openpolicy-cli") as conn:
        rows = conn.execute(
            "SELECT name, status, last_run_at, last_success_at, last_updated_at, last_error,"
            " counts, fidelity FROM data_sources ORDER BY name"
        ).fetchall()
        held = {}
        for name, source in SOURCES.items():
            if source.held:
                found = conn.execute(source.held).fetchone()
                held[name] = int(found[0]) if found else 0
    known = {row[0]: row for row in rows}
    states = []
    for name in [*SOURCE_ORDER, *(n for n in known if n not in SOURCE_ORDER)]:
        row = known.get(name)
        if row is None:
            states.append({"source": name, "status": "never_run", "held": held.get(name, 0)})
            continue
        _, status, last_run, last_success, last_updated, last_error, counts, checks = row
        states.append(
            {
                "source": name,
                "status": status,
                "last_run_at": last_run,
                "last_success_at": last_success,
                "last_updated_at": last_updated,
                "counts": counts,
                "held": held.get(name),
                "fidelity_failed": (checks or {}).get("failed", 0),
                "fidelity": checks,
                "last_error": last_error,
            }
        )
    return states


STATUS_STYLES = {"succeeded": "green", "partial": "yellow", "failed": "red", "running": "cyan"}


@app.command("status")
def status(output: FormatOption = OutputFormat.text, as_json: JsonFlag = False) -> None:
    """Each source: status, last success and run, rows held, last import, failing checks.

    The counts are those of the last run that read documents (a run with nothing to fetch
    keeps them); the last errors follow the table."""
    from datetime import UTC, datetime

    from openpolicy.ingest import pause as pauses
    from openpolicy.ingest.runner import connect

    database = _database()
    states = source_states(database)
    with connect(database, "openpolicy-cli") as conn:
        held = pauses.pauses(conn)
    for state in states:
        holding = next((p for p in held if p.source in (pauses.ALL, state["source"])), None)
        state["paused"] = holding.as_dict() if holding else None
    if wants_json(output, as_json):
        echo_json(states)
        return
    for entry in held:
        warn(entry.describe())
    now = datetime.now(UTC)

    def ago(value: Any) -> str:
        return human_age((now - value).total_seconds()) if value else "-"

    rows = []
    for state in states:
        counts = state.get("counts") or {}
        rows.append(
            (
                state["source"],
                styled(state["status"], STATUS_STYLES.get(state["status"], "")),
                ago(state.get("last_success_at")),
                ago(state.get("last_run_at")),
                ago(state.get("last_updated_at")),
                state["held"] if state.get("held") is not None else "-",
                "/".join(
                    str(counts.get(k, 0)) for k in ("inserted", "updated", "unchanged", "failed")
                )
                if counts
                else "-",
                state.get("fidelity_failed", 0),
            )
        )
    print_table(
        [
            Column("source", keep=True),
            Column("status", keep=True),
            Column("success", right=True),
            Column("run", right=True),
            Column("changed", right=True),
            Column("held", right=True),
            Column("ins/upd/same/fail", right=True),
            Column("checks", right=True),
        ],
        rows,
        title="Sources (success, run, changed: how long ago)",
    )
    for state in states:
        if state.get("last_error"):
            message = " ".join(str(state["last_error"]).split())
            typer.echo(f"{state['source']}: last error: {message}")
