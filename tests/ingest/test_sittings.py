"""Every item of a sitting stored in order; division tables checked name by name; a French
sitting alone, paired later; local files; sittings read again after a parser upgrade."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from openpolicy.cli import app
from openpolicy.ingest.runner import connect, run_source
from openpolicy.ingest.source import Unit
from tests.ingest.conftest import settings_for
from tests.ingest.parliament import FIXTURES, Parliament

Query = Callable[..., list[tuple[Any, ...]]]
HAN200 = "/Content/House/441/Debates/200/HAN200-E.XML"
HAN086 = "/Content/House/412/Debates/086/HAN086-E.XML"
MEMBERS_45 = "/Members/en/search/XML"
MEMBERS_44 = "/Members/en/search/XML?parliament=44"
FRENCH = FIXTURES / "hansard/HAN002-F-421.xml"
ENGLISH = FIXTURES / "hansard/HAN002-E-421.xml"


@pytest.fixture
def cli_env(ingest_db: URL, monkeypatch: pytest.MonkeyPatch) -> Iterator[URL]:
    from openpolicy.config import get_settings

    monkeypatch.setenv("DATABASE_URL", ingest_db.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield ingest_db
    get_settings.cache_clear()


def members(ingest_db: URL, parliament: Parliament) -> None:
    parliament.serve_fixture(MEMBERS_45, "ourcommons/members-current-45.xml")
    parliament.serve_fixture(MEMBERS_44, "ourcommons/members-44.xml")
    settings = settings_for(ingest_db, parliament)
    units = [Unit("members", (parliament.url + p,)) for p in (MEMBERS_45, MEMBERS_44)]
    assert run_source(ingest_db, settings, "members", units=units).status == "succeeded"


def hansard(ingest_db: URL, parliament: Parliament, path: str, body: bytes) -> Any:
    parliament.serve(path, body)
    settings = settings_for(ingest_db, parliament, ingest_sessions=["44-1"])
    report = run_source(
        ingest_db, settings, "hansard", units=[Unit("hansard", (parliament.url + path,))]
    )
    assert report.status == "succeeded", report.errors
    return report


def test_items_in_order_with_headings_and_written_questions(
    ingest_db: URL, parliament: Parliament, query: Query
) -> None:
    hansard(ingest_db, parliament, HAN086, (FIXTURES / "hansard/HAN086-E-412.xml").read_bytes())
    # One sequence over every kind of item, in document order.
    assert query(
        "SELECT count(*), min(sequence), max(sequence), count(DISTINCT sequence) FROM speeches"
    ) == [(589, 1, 589, 589)]
    # "Some hon. members: Agreed." inside the Speaker's intervention is not the Speaker's.
    assert query(
        "SELECT speaker_role, text_en FROM speeches WHERE hansard_id IN ('8361378',"
        " '8361378.1') ORDER BY sequence"
    ) == [("The Speaker", "Is that agreed?"), ("Some hon. members", "Agreed.")]
    # Written question 406, its asker and its answer, under their headings.
    assert query(
        "SELECT kind, question_number, speaker_name, speaker_role, section_en, heading_en,"
        " left(text_en, 40) FROM speeches WHERE question_number = 406 ORDER BY sequence"
    ) == [
        ("question", 406, "Ms. Lise St-Denis", None, "Routine Proceedings",
         "Questions on the Order Paper", "With regard to contracts under $10,000 g"),
        ("answer", 406, "Hon. Lisa Raitt", "Minister of Transport", "Routine Proceedings",
         "Questions on the Order Paper", "Mr. Speaker, given the large amount of i"),
    ]  # fmt: skip
    # Each petition keeps its topic as a sub-heading.
    assert [
        row[0]
        for row in query(
            "SELECT subheading_en FROM speeches WHERE heading_en = 'Petitions' ORDER BY sequence"
        )
    ] == [
        "Agriculture",
        "Canada Post",
        "Democratic Reform",
        "Canada Post",
        "Agriculture",
        "Abortion",
        "Democratic Reform",
    ]
    # The markup keeps italics and the "[Translation]" markers; the text keeps the words.
    [(html, text)] = query("SELECT html_en, text_en FROM speeches WHERE hansard_id = '8361324'")
    assert "<em>Global News</em>" in html and "report from Global News, public" in text
    # Every division table is linked to its division, created from the printed totals.
    assert query(
        "SELECT v.number, v.yeas, v.nays, v.paired, v.result, v.sitting_number"
        " FROM speeches s JOIN votes v ON v.id = s.vote_id WHERE s.kind = 'division'"
        " ORDER BY 1"
    ) == [
        (140, 122, 147, 0, "negatived", 86),
        (141, 123, 146, 0, "negatived", 86),
        (142, 102, 155, 0, "negatived", 86),
    ]
    # Search finds written answers, and not the division tables' surnames.
    assert query(
        "SELECT kind FROM speeches WHERE search_en @@ plainto_tsquery('english',"
        " 'Canadian Air Transport Security Authority') ORDER BY sequence"
    ) == [("question",), ("answer",)]
    assert query(
        "SELECT count(*) FROM speeches WHERE kind = 'division' AND search_en IS NOT NULL"
    ) == [(0,)]


def without_otoole(body: bytes) -> bytes:
    """44-1 No. 200 as if Erin O'Toole (who left before the captured lists) had not voted in
    division 332: one name and one yea fewer in that table."""
    body = body.replace(b'<Affiliation DbId="278509">O\'Toole</Affiliation>', b"", 1)
    assert b"O'Toole</Affiliation>" not in body.split(b'DivisionNumber="333"')[0]
    return body.replace(b"<Total> -- 110</Total>", b"<Total> -- 109</Total>", 1)


def ballots_document(query: Query, number: int, flip: int | None = None) -> bytes:
    """A ballots document (the real 43-2 No. 69 capture's shape) for a stored division,
    from its stored ballots; the ballot of member `flip` turned from yea to nay."""
    template = (FIXTURES / "ourcommons/vote-43-2-69.xml").read_text()
    head, _, rest = template.partition("<VoteParticipant>")
    first = "<VoteParticipant>" + rest.split("</VoteParticipant>", 1)[0] + "</VoteParticipant>"
    rows = query(
        "SELECT b.member_id, b.value, m.person_id, m.first_name, m.last_name, c.name_en,"
        " c.province FROM ballots b JOIN votes v ON v.id = b.vote_id"
        " JOIN elected_members m ON m.id = b.member_id JOIN member_terms t"
        " ON t.member_id = m.id AND t.start_date <= v.date"
        " AND (t.end_date IS NULL OR t.end_date >= v.date)"
        " JOIN constituencies c ON c.id = t.constituency_id WHERE v.number = %s",
        number,
    )
    provinces = {"AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba",
                 "NB": "New Brunswick", "NL": "Newfoundland and Labrador", "NS": "Nova Scotia",
                 "NT": "Northwest Territories", "NU": "Nunavut", "ON": "Ontario",
                 "PE": "Prince Edward Island", "QC": "Quebec", "SK": "Saskatchewan",
                 "YT": "Yukon"}  # fmt: skip
    blocks = []
    for member_id, value, person_id, first_name, last_name, riding, province in rows:
        if member_id == flip:
            value = "nay"
        word = {"yea": "Yea", "nay": "Nay", "paired": "Paired"}[value]
        fields = {
            "ParliamentNumber": "44",
            "SessionNumber": "1",
            "DecisionEventDateTime": "2023-05-18T15:30:00",
            "DecisionDivisionNumber": str(number),
            "ConstituencyName": riding,
            "VoteValueName": word,
            "PersonOfficialFirstName": first_name,
            "PersonOfficialLastName": last_name,
            "ConstituencyProvinceTerritoryName": provinces[province],
            "IsVoteYea": str(value == "yea").lower(),
            "IsVoteNay": str(value == "nay").lower(),
            "IsVotePaired": str(value == "paired").lower(),
            "DecisionResultName": "Negatived",
            # Members of the 2023 list had no PersonId in it: the document gives one.
            "PersonId": str(person_id or 900_000 + member_id),
        }
        block = first
        for tag, text in fields.items():
            start, end = block.index(f"<{tag}>") + len(tag) + 2, block.index(f"</{tag}>")
            block = block[:start] + text.replace("&", "&amp;") + block[end:]
        blocks.append(block)
    return (head + "".join(blocks) + "</ArrayOfVoteParticipant>").encode()


def test_division_table_names_then_the_ballots_document(
    ingest_db: URL, parliament: Parliament, query: Query
) -> None:
    """44-1 No. 332 printed in the sitting: without a ballots document, the printed names
    are its ballots when each names one member; the ballots document then replaces them,
    and the check compares the two name by name."""
    members(ingest_db, parliament)
    body = (FIXTURES / "hansard/HAN200-E-441.xml").read_bytes()
    report = hansard(ingest_db, parliament, HAN200, without_otoole(body))
    check = next(c for c in report.checks if c.name == "division_tables_match_ballots")
    assert check.passed
    # 332: every printed name is one member of the lists → ballots, from the table.
    # 333: Erin O'Toole is printed but in no captured list → names kept, ballots pending.
    assert query(
        "SELECT v.number, v.ballots_source, count(DISTINCT b.id), v.yeas, v.nays, v.paired,"
        " (SELECT count(member_id) FROM division_names n WHERE n.vote_id = v.id)"
        " FROM votes v LEFT JOIN ballots b ON b.vote_id = v.id GROUP BY v.id ORDER BY 1"
    ) == [(332, "hansard", 322, 109, 209, 4, 322), (333, None, 0, 207, 113, 4, 323)]

    # The ballots document of 332 arrives, saying one printed yea was a nay.
    flipped = query(
        "SELECT n.member_id FROM division_names n JOIN votes v ON v.id = n.vote_id"
        " WHERE v.number = 332 AND n.value = 'yea' AND n.name = 'Aboultaif'"
    )[0][0]
    document = ballots_document(query, 332, flip=flipped)
    path = "/Members/en/votes/44/1/332/XML"
    parliament.serve(path, document)
    settings = settings_for(ingest_db, parliament, ingest_sessions=["44-1"])
    refused = run_source(
        ingest_db, settings, "ballots", units=[Unit("ballots", (parliament.url + path,))]
    )
    assert refused.status == "failed"
    assert (
        "108 yea / 210 nay / 4 paired ballots but the official totals are 109 / 209 / 4"
        in (refused.errors[0])
    )
    # Nothing of the refused document was stored.
    assert query("SELECT ballots_source FROM votes WHERE number = 332") == [("hansard",)]

    # Totals agree but one name is another value: stored, and the check names it.
    swap = query(
        "SELECT n.member_id FROM division_names n JOIN votes v ON v.id = n.vote_id"
        " WHERE v.number = 332 AND n.value = 'nay' ORDER BY n.position LIMIT 1"
    )[0][0]
    document = ballots_document(query, 332, flip=flipped)
    document = _nay_to_yea(document, query, swap)
    parliament.serve(path, document)
    ballots = run_source(
        ingest_db, settings, "ballots", units=[Unit("ballots", (parliament.url + path,))]
    )
    assert ballots.status == "succeeded", ballots.errors
    check = next(c for c in ballots.checks if c.name == "division_tables_match_ballots")
    assert not check.passed and check.failures == 2
    assert sorted(check.examples) == sorted(
        [
            "44-1 No. 332: printed yea 'Aboultaif', but the ballot is nay",
            f"44-1 No. 332: printed nay {_name(query, swap)!r}, but the ballot is yea",
        ]
    )
    assert query(
        "SELECT ballots_source, (SELECT count(*) FROM ballots b WHERE b.vote_id = v.id)"
        " FROM votes v WHERE number = 332"
    ) == [("ballots", 322)]


def _name(query: Query, member_id: int) -> str:
    return str(
        query(
            "SELECT n.name FROM division_names n JOIN votes v ON v.id = n.vote_id"
            " WHERE v.number = 332 AND n.member_id = %s",
            member_id,
        )[0][0]
    )


def _nay_to_yea(document: bytes, query: Query, member_id: int) -> bytes:
    person_id = query("SELECT person_id FROM elected_members WHERE id = %s", member_id)[0][0]
    person_id = person_id or 900_000 + member_id
    blocks = document.decode().split("</VoteParticipant>")
    for index, block in enumerate(blocks):
        if f"<PersonId>{person_id}</PersonId>" in block:
            blocks[index] = (
                block.replace(
                    "<VoteValueName>Nay</VoteValueName>", "<VoteValueName>Yea</VoteValueName>"
                )
                .replace("<IsVoteYea>false</IsVoteYea>", "<IsVoteYea>true</IsVoteYea>")
                .replace("<IsVoteNay>true</IsVoteNay>", "<IsVoteNay>false</IsVoteNay>")
            )
    return "</VoteParticipant>".join(blocks).encode()


def test_a_french_sitting_alone_then_paired(cli_env: URL, query: Query) -> None:
    """`ingest file` with the French edition only: the sitting is stored in French; the
    English file later pairs with it (the French body is read back from the archive)."""
    runner = CliRunner()
    first = runner.invoke(app, ["ingest", "file", "hansard", str(FRENCH)])
    assert first.exit_code == 0, first.output
    assert query(
        "SELECT count(*), count(text_en), count(text_fr), count(speaker_role_fr) FROM speeches"
    ) == [(78, 0, 78, 33)]
    assert query("SELECT source_url_en IS NULL, source_url_fr FROM debates") == [
        (True, FRENCH.resolve().as_uri())
    ]
    second = runner.invoke(app, ["ingest", "file", "hansard", str(ENGLISH)])
    assert second.exit_code == 0, second.output
    assert query(
        "SELECT count(*), count(text_en), count(text_fr), count(speaker_role_fr) FROM speeches"
    ) == [(78, 78, 78, 33)]
    assert query(
        "SELECT speaker_role, speaker_role_fr, text_en, text_fr FROM speeches"
        " WHERE hansard_id = '8759831'"
    ) == [
        ("Prime Minister", "premier ministre",
         "moved for leave to introduce Bill C-1, an act respecting the administration of "
         "oaths of office.",
         "demande à présenter le projet de loi C-1, Loi concernant la prestation de "
         "serments d'office."),
    ]  # fmt: skip
    # The same files again: nothing changes, and a folder is read whole.
    again = runner.invoke(app, ["ingest", "file", "hansard", str(ENGLISH.parent)])
    assert again.exit_code == 0, again.output
    flat = " ".join(again.output.split())
    assert "hansard: succeeded" in flat and "(4 documents, 1 unchanged" in flat
    assert query("SELECT count(*) FROM debates") == [(4,)]


def test_ingest_file_refuses_what_it_cannot_read(cli_env: URL, tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["ingest", "file", "hansard", str(tmp_path / "nope.xml")])
    assert missing.exit_code == 2 and "no such file or folder" in missing.output
    two = runner.invoke(
        app, ["ingest", "file", "hansard", str(ENGLISH), str(FRENCH), "--url", "https://x/y"]
    )
    assert two.exit_code == 2 and "--url names one document" in two.output
    unknown = runner.invoke(app, ["ingest", "file", "senate", str(ENGLISH)])
    assert unknown.exit_code == 2 and "unknown source senate" in unknown.output
    wrong = runner.invoke(
        app, ["ingest", "file", "hansard", str(FIXTURES / "ourcommons/members-44.xml")]
    )
    assert wrong.exit_code == 1
    flat = " ".join(wrong.output.split())  # the console wraps long lines
    assert "expected root <Hansard>, got <ArrayOfMemberOfParliament>" in flat


def test_a_parser_upgrade_reads_stored_sittings_again(
    ingest_db: URL, parliament: Parliament, query: Query
) -> None:
    """A sitting stored by an older parser is planned again; the archived body serves
    (a 304), and its items are written anew."""
    path = "/Content/House/421/Debates/002/HAN002-E.XML"
    parliament.serve_fixture(path, "hansard/HAN002-E-421.xml")
    settings = settings_for(ingest_db, parliament, ingest_sessions=["42-1"])
    first = run_source(
        ingest_db, settings, "hansard", units=[Unit("hansard", (parliament.url + path,))]
    )
    assert first.status == "succeeded"
    with connect(ingest_db) as conn:
        # As an older version left it: an older parser, and fewer items.
        conn.execute("UPDATE source_documents SET parser_version = 1")
        conn.execute("DELETE FROM speeches WHERE kind <> 'speech'")
    from openpolicy.ingest.plans import plan

    with connect(ingest_db) as conn:
        planned = plan("hansard", conn, settings)
    assert planned[0].primary == parliament.url + path
    again = run_source(ingest_db, settings, "hansard", units=planned[:1])
    assert again.status == "succeeded" and again.skipped == 0
    assert [r.status for r in parliament.seen(path)][-1] == 304
    assert query("SELECT count(*) FROM speeches") == [(78,)]
    assert query("SELECT DISTINCT parser_version FROM source_documents") == [(2,)]
    third = run_source(ingest_db, settings, "hansard", units=planned[:1])
    assert third.skipped == 1


def test_ingest_status_keeps_the_last_import_when_nothing_is_fetched(
    cli_env: URL, ingest_db: URL, parliament: Parliament
) -> None:
    """A ballots run with nothing to fetch does not turn 330 ballots into 0/0/0/0."""
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", "sample"]).exit_code == 0
    settings = settings_for(ingest_db, parliament, ingest_sessions=["45-1"])
    empty = run_source(ingest_db, settings, "ballots")
    assert empty.units == 0 and empty.status == "succeeded"
    status = runner.invoke(app, ["ingest", "status", "--json"])
    states = {s["source"]: s for s in orjson.loads(status.stdout)}
    assert states["ballots"]["counts"]["inserted"] == 330
    assert states["ballots"]["held"] == 330
    assert all(state["status"] == "ok" for state in states.values())
