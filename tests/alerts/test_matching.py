"""Each kind of alert, matched after a real ingest of the bundled captures.

Follows are made the way people make them (sign-up, confirmation e-mail over SMTP, its
link opened) before the documents that carry news are imported by the real runner; the
runner's hook matches what changed. Expected items come from plain SQL over the imported
rows, not from the matcher.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import URL

from openpolicy.alerts import payloads
from openpolicy.alerts.matching import match_changes
from tests.alerts.conftest import (
    Mailbox,
    Query,
    SearchSpec,
    TargetSpec,
    alert_settings,
    connect,
    follow,
    ingest_document,
    load,
    member_id,
    sample_url,
)
from tests.ingest.edits import ballots_with_one_yea_flipped

C11 = "legisinfo/bill-44-1-C-11.xml"
BALLOTS = "ourcommons/vote-43-2-69.xml"


def items(query: Query, email: str, event: str | None = None) -> list[tuple[Any, ...]]:
    """(event, item_key, facts) of the items matched for `email`'s subscriptions, with the
    facts as a message would show them (read from the rows the items name)."""
    rows = query(
        f"SELECT {payloads.ITEM_COLUMNS} FROM alert_items i {payloads.ITEM_JOINS}"
        " JOIN alert_recipients r ON r.id = sub.recipient_id"
        " WHERE r.email = %s AND (%s::text IS NULL OR i.event = %s)"
        " ORDER BY i.matched_at, i.event, i.ref_id",
        email,
        event,
        event,
    )
    refs = [payloads.ItemRef(*row) for row in rows]
    with connect(query.database) as conn:  # type: ignore[attr-defined]
        found = payloads.facts(conn, refs)
    return [(ref.event, ref.item_key, found[ref.key]) for ref in refs]


def test_every_kind_of_alert_after_a_real_ingest(
    alerts_db: URL, smtp: Mailbox, query: Query
) -> None:
    settings = alert_settings(alerts_db, smtp)
    load(alerts_db, settings, "members", "bills")
    johns = member_id(query, "Gord Johns")
    sponsor = member_id(query, "Gary Anandasangaree")
    [[c14]] = query(
        "SELECT b.number FROM bills b JOIN parliamentary_sessions s ON s.id = b.session_id"
        " WHERE s.code = '42-1' AND b.number = 'C-14'"
    )
    follow(alerts_db, settings, smtp, "member@example.ca", TargetSpec("member", member_id=johns))
    follow(alerts_db, settings, smtp, "sponsor@example.ca", TargetSpec("member", member_id=sponsor))
    follow(
        alerts_db,
        settings,
        smtp,
        "bill@example.ca",
        TargetSpec("bill", session="42-1", number=c14),
    )
    follow(
        alerts_db,
        settings,
        smtp,
        "mention@example.ca",
        TargetSpec("bill", session="42-1", number="C-1"),
    )
    follow(alerts_db, settings, smtp, "divisions@example.ca", TargetSpec("division"))
    follow(
        alerts_db,
        settings,
        smtp,
        "climate@example.ca",
        TargetSpec("search", search=SearchSpec('"climate change"', "en", party="NDP")),
    )
    follow(
        alerts_db,
        settings,
        smtp,
        "classe@example.ca",
        TargetSpec("search", search=SearchSpec("classe moyenne", "fr")),
        language="fr",
    )
    follow(
        alerts_db,
        settings,
        smtp,
        "not-climate@example.ca",
        TargetSpec("search", search=SearchSpec("-climate", "any", member_id=johns)),
    )
    # Nothing has happened since: nothing matched.
    assert query("SELECT count(*) FROM alert_items") == [(0,)]

    load(alerts_db, settings, "bill", "votes", "ballots", "hansard")

    # A member: their ballot, the sittings they spoke in, (not) their bills.
    ballots = items(query, "member@example.ca", "member.ballot")
    assert [
        (key, p["ballot"], p["vote"]["session"], p["vote"]["number"]) for _, key, p in ballots
    ] == [(ballots[0][1], "nay", "43-2", 69)]
    spoken = query(
        "SELECT d.number, count(*) FROM speeches s JOIN debates d ON d.id = s.debate_id"
        " WHERE s.member_id = %s GROUP BY 1 ORDER BY 1",
        johns,
    )
    sittings = items(query, "member@example.ca", "member.speeches")
    assert sorted((p["debate"]["number"], p["speeches"]) for _, _, p in sittings) == spoken
    assert all(p["first"]["path"].startswith("/debates/44-1/") for _, _, p in sittings)

    # A bill's sponsor: the bill, and each of its stages.
    sponsored = items(query, "sponsor@example.ca")
    assert [p["bill"]["number"] for e, _, p in sponsored if e == "member.bill"] == ["C-2"]
    stages = query(
        "SELECT count(*) FROM bill_events e JOIN bills b ON b.id = e.bill_id"
        " WHERE b.sponsor_member_id = %s",
        sponsor,
    )
    assert len([e for e, _, _ in sponsored if e == "bill.stage"]) == stages[0][0] > 0

    # A bill: the divisions on it (the divisions list names the bill).
    expected = query(
        "SELECT v.number FROM votes v JOIN bills b ON b.id = v.bill_id"
        " JOIN parliamentary_sessions s ON s.id = b.session_id"
        " WHERE s.code = '42-1' AND b.number = 'C-14' ORDER BY v.number"
    )
    on_bill = items(query, "bill@example.ca", "bill.division")
    assert sorted(p["vote"]["number"] for _, _, p in on_bill) == [n for (n,) in expected]
    assert len(expected) > 5

    # A bill named in a sitting of its session.
    [mention] = items(query, "mention@example.ca")
    assert mention[0] == "bill.mention"
    assert (mention[2]["debate"]["session"], mention[2]["debate"]["number"]) == ("42-1", 2)

    # Every new division: the 42-1 list's, 43-2 No. 69 from its ballots, and those the
    # sittings' division tables name: every division the database now holds.
    [(divisions,)] = query("SELECT count(*) FROM votes")
    assert divisions >= 881
    assert len(items(query, "divisions@example.ca", "division.outcome")) == divisions

    # Saved searches: the stored tsqueries against the new speeches, with their facets.
    climate = items(query, "climate@example.ca", "search.speech")
    assert [key for _, key, _ in climate] == [
        f"speech:{sid}"
        for (sid,) in query(
            "SELECT id FROM speeches WHERE search_en @@ websearch_to_tsquery('english',"
            " '\"climate change\"') AND party_abbreviation = 'NDP' ORDER BY id"
        )
    ]
    classe = items(query, "classe@example.ca", "search.speech")
    assert sorted(key for _, key, _ in classe) == sorted(
        f"speech:{sid}"
        for (sid,) in query(
            "SELECT id FROM speeches WHERE search_fr @@ websearch_to_tsquery('french',"
            " 'classe moyenne')"
        )
    )
    assert len(classe) > 0
    # A pure negation has no anchor: tested against every new speech, the facet applied.
    negated = items(query, "not-climate@example.ca", "search.speech")
    assert sorted(key for _, key, _ in negated) == sorted(
        f"speech:{sid}"
        for (sid,) in query(
            "SELECT id FROM speeches WHERE member_id = %s AND NOT (search_en @@"
            " to_tsquery('english', 'climate'))",
            johns,
        )
    )
    assert 0 < len(negated) < len(spoken) * 20
    assert query("SELECT count(*) FROM alert_changes") == [(0,)]


def test_corrections_are_news_repeats_are_not(alerts_db: URL, smtp: Mailbox, query: Query) -> None:
    settings = alert_settings(alerts_db, smtp)
    load(alerts_db, settings, "members", "ballots")
    aboultaif = member_id(query, "Ziad Aboultaif")
    follow(alerts_db, settings, smtp, "ziad@example.ca", TargetSpec("member", member_id=aboultaif))
    follow(
        alerts_db,
        settings,
        smtp,
        "div@example.ca",
        TargetSpec("division", session="43-2", number="69"),
    )
    url = sample_url(BALLOTS)

    # The same document again: every row unchanged, nothing logged, nothing matched.
    ingest_document(alerts_db, settings, "ballots", url)
    assert query("SELECT count(*) FROM alert_items") == [(0,)]

    # A corrected ballot: the member's new ballot, and the division's new totals.
    ingest_document(alerts_db, settings, "ballots", url, ballots_with_one_yea_flipped())
    [ballot] = items(query, "ziad@example.ca")
    assert (ballot[0], ballot[2]["ballot"]) == ("member.ballot", "nay")
    [outcome] = items(query, "div@example.ca")
    assert outcome[0] == "division.outcome"
    assert (outcome[2]["vote"]["yeas"], outcome[2]["vote"]["nays"]) == (304, 26)

    # Matching again, or the corrected document again: no second item.
    with connect(alerts_db) as conn:
        assert match_changes(conn, settings).total_items == 0
    ingest_document(alerts_db, settings, "ballots", url, ballots_with_one_yea_flipped())
    assert query("SELECT count(*) FROM alert_items") == [(2,)]


def test_a_new_stage_of_a_followed_bill(alerts_db: URL, smtp: Mailbox, query: Query) -> None:
    settings = alert_settings(alerts_db, smtp)
    load(alerts_db, settings, "members")
    url = sample_url(C11)
    capture = _capture(C11)
    before_assent = (
        capture[: capture.index(b"<RoyalAssent>")]
        + capture[capture.index(b"</RoyalAssent>") + len(b"</RoyalAssent>") :]
    )
    ingest_document(alerts_db, settings, "bill", url, before_assent)
    assert query("SELECT count(*) FROM bill_events WHERE stage = 'royal_assent'") == [(0,)]
    follow(
        alerts_db,
        settings,
        smtp,
        "c11@example.ca",
        TargetSpec("bill", session="44-1", number="C-11"),
    )
    ingest_document(alerts_db, settings, "bill", url)  # the capture as published: assent
    [stage] = items(query, "c11@example.ca")
    assert stage[0] == "bill.stage"
    assert stage[2]["stage"]["stage"] == "royal_assent"
    assert stage[2]["stage"]["date"] == "2023-04-27"


def test_nothing_is_logged_while_nobody_follows(alerts_db: URL, query: Query) -> None:
    settings = alert_settings(alerts_db)
    load(alerts_db, settings, "members", "ballots")
    assert query("SELECT count(*) FROM alert_changes") == [(0,)]


def test_history_older_than_the_age_limit_is_not_sent(
    alerts_db: URL, smtp: Mailbox, query: Query
) -> None:
    settings = alert_settings(alerts_db, smtp)
    load(alerts_db, settings, "members")
    follow(alerts_db, settings, smtp, "all@example.ca", TargetSpec("division"))
    recent_only = alert_settings(alerts_db, smtp, alerts_max_item_age_days=30)
    load(alerts_db, recent_only, "ballots")  # a 2021 division: history, not news
    assert query("SELECT count(*) FROM alert_items") == [(0,)]
    assert query("SELECT count(*) FROM alert_changes") == [(0,)]  # taken all the same


def _capture(relative: str) -> bytes:
    from tests.ingest.parliament import FIXTURES

    return (FIXTURES / relative).read_bytes()
