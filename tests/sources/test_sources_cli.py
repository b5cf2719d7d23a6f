"""``openpolicy sources`` sub-commands, driven through Typer's CliRunner."""

from pathlib import Path

import orjson
from typer.testing import CliRunner

from openpolicy.records import Ballot, record_from_json
from openpolicy.sources.cli import app
from openpolicy.sources.registry import SOURCE_NAMES

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
runner = CliRunner()
BALLOTS = FIXTURES / "ourcommons" / "vote-43-2-69.xml"


def test_list() -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == list(SOURCE_NAMES)
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines)


def test_parse_prints_one_json_object_per_line() -> None:
    url = "https://www.ourcommons.ca/members/en/votes/43/2/69/xml"
    result = runner.invoke(app, ["parse", "ballots", str(BALLOTS), "--url", url])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 330
    rows = [orjson.loads(line) for line in lines]
    assert {row["kind"] for row in rows} == {"ballot"}
    assert {row["source_url"] for row in rows} == {url}
    assert sum(1 for row in rows if row["value"] == "nay") == 25
    first = record_from_json(lines[0])
    assert isinstance(first, Ballot) and first.person_id == 89156


def test_parse_defaults_source_url_to_the_file() -> None:
    result = runner.invoke(app, ["parse", "hansard", str(FIXTURES / "hansard/HAN002-E-421.xml")])
    assert result.exit_code == 0
    first = orjson.loads(result.stdout.splitlines()[0])
    assert first["kind"] == "debate"
    assert first["source_url"].startswith("file://") and first["source_url"].endswith(".xml")
    assert first["date"] == "2015-12-04"


def test_parse_as_table() -> None:
    result = runner.invoke(app, ["parse", "ballots", str(BALLOTS), "--format", "table"])
    assert result.exit_code == 0
    assert "ballot (330)" in result.stdout
    assert "Aboultaif" in result.stdout


def test_bad_file_exits_2_with_one_line(tmp_path: Path) -> None:
    truncated = tmp_path / "vote.xml"
    truncated.write_bytes(BALLOTS.read_bytes()[:5000])
    result = runner.invoke(app, ["parse", "ballots", str(truncated)])
    assert result.exit_code == 2
    assert result.stdout == ""
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(f"error: {truncated}:1: malformed XML")


def test_wrong_source_for_the_file() -> None:
    result = runner.invoke(app, ["parse", "members", str(BALLOTS)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {BALLOTS} at /ArrayOfVoteParticipant: expected root "
        "<ArrayOfMemberOfParliament>, got <ArrayOfVoteParticipant>"
    )


def test_missing_file_and_unknown_source(tmp_path: Path) -> None:
    missing = tmp_path / "nope.xml"
    result = runner.invoke(app, ["parse", "ballots", str(missing)])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(f"error: {missing}: cannot read")
    result = runner.invoke(app, ["parse", "ballot", str(BALLOTS)])
    assert result.exit_code == 2
    assert "unknown source 'ballot'" in result.stderr
