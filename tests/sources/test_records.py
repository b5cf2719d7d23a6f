"""The record contract: frozen, closed, self-describing, and free of database imports."""

import datetime as dt
import subprocess
import sys

import pytest
from pydantic import ValidationError

from openpolicy.records import Member, Vote, record_from_json
from openpolicy.vocab import Province, VoteResult


def member() -> Member:
    return Member(
        source_url="https://www.ourcommons.ca/Members/en/search/xml",
        person_id=89156,
        honorific=None,
        first_name="Ziad",
        last_name="Aboultaif",
        constituency="Edmonton Manning",
        province=Province.AB,
        caucus="Conservative",
        from_date=dt.date(2025, 4, 28),
        to_date=None,
    )


def test_records_are_frozen_and_closed() -> None:
    record = member()
    with pytest.raises(ValidationError):
        record.first_name = "Zed"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Member.model_validate({**record.model_dump(), "riding": "Edmonton Manning"})
    with pytest.raises(ValidationError):
        Member.model_validate({**record.model_dump(), "province": "Atlantis"})


def test_json_round_trip_keeps_kind() -> None:
    record = member()
    line = record.model_dump_json()
    assert '"kind":"member"' in line
    assert record_from_json(line) == record
    vote = Vote(
        source_url="u",
        session="42-1",
        parliament=42,
        session_number=1,
        number=57,
        date=dt.date(2016, 5, 16),
        decided_at=None,
        subject_en="Concurrence at report stage of Bill C-10",
        subject_fr=None,
        result=VoteResult.TIED,
        yeas=139,
        nays=139,
        paired=0,
        bill_number="C-10",
        document_type="Legislative Process",
        sitting=None,
    )
    assert record_from_json(vote.model_dump_json()) == vote


def test_parsers_import_no_database_layer() -> None:
    code = (
        "import sys\n"
        "import openpolicy.sources.registry, openpolicy.sources.cli, openpolicy.records\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'psycopg', 'psycopg2', 'httpx', 'requests', 'urllib3'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
