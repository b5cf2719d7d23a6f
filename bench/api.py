"""API benchmark on the parliament-scale dataset (bench/generate.py), printing its figures.

    python -m bench.api [--seconds 10] [--open-loop-seconds 60] [--skip-open-loop]

1. Search, in process: the same 40 queries on PostgreSQL (openpolicy.queries.search, the
   code the API runs) and on tantivy (BM25) over the same speeches: p50/p95/max, newest-first
   and relevance, plus the two things the design avoids (ORDER BY ts_rank over every match,
   exact count(*) of every match) for comparison.
2. HTTP, closed loop: one uvicorn worker on loopback (the production app: Redis rate limits,
   access log, response cache OFF so every request renders), `wrk` with 32 connections,
   one endpoint at a time, each against the trivial JSON endpoint of the same server run
   just before and just after it.
3. HTTP, open loop: each endpoint at half its measured capacity for 60 s from an
   asyncio generator that schedules requests on a fixed clock (latency counted from the
   scheduled time, so a slow server cannot slow the generator down; select(2) timers, exact
   to the microsecond; kept-alive connections that have each served a request). The
   trivial endpoint runs first, at half its own capacity: on a shared VM the host's bursts
   and wake-ups show in every tail, and that row measures the floor this machine, generator
   and server stack allow (bench/stalls.py measures the stalls themselves). Goal (issue
   16): each endpoint's p99 at half its capacity is at most 2x the trivial endpoint's p99
   at half of its own, in the same run. The unloaded p50 (500 sequential requests) and an
   idle p50 are printed beside it, and a probe of the machine's CPU steadiness first.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import json
import os
import random
import selectors
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.generate import DATABASE, DEFAULT_DATA_DIR, connect, start_cluster
from openpolicy.db import connect_async
from openpolicy.queries import search
from openpolicy.queries.freshness import current_data_version, request_version

WORK = Path("/tmp/openpolicy-bench")
TANTIVY_DIR = WORK / "tantivy"

# 40 queries in websearch syntax: common, middling and rare words, phrases, OR, exclusions.
QUERIES: tuple[str, ...] = (
    "government",
    "canadians",
    "housing",
    "people",
    "liberal",
    "care",
    "question",
    "economy",
    "parliament",
    "together",
    "toronto",
    "vulnerable",
    "physicians",
    "fuel",
    "offence",
    "effort",
    "integrity",
    "wealthy",
    "nanaimo",
    "cannabis",
    "marine",
    "remedies",
    "triumph",
    "ptsd",
    "norway",
    "soil",
    '"prime minister"',
    '"health care"',
    '"small business"',
    '"first nations"',
    '"member for"',
    '"climate change"',
    "veterans or seniors",
    "cannabis or marijuana",
    "fuel or gas",
    "norway or sweden",
    "housing -toronto",
    "government -liberal",
    "care -health",
    "budget -deficit",
)


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def header(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 86 - len(title)), flush=True)


# --- 1. search ----------------------------------------------------------------------------


def tantivy_query(q: str) -> str:
    return " ".join("OR" if word == "or" else word for word in q.split(" "))


def build_tantivy(conn: Any) -> Any:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    builder.add_integer_field("day", stored=True, indexed=True, fast=True)
    builder.add_text_field("body", stored=False, tokenizer_name="en_stem")
    schema = builder.build()
    marker = TANTIVY_DIR / "complete"
    count_row = conn.execute("SELECT count(*) FROM speeches").fetchone()
    expected = str(count_row[0])
    if marker.exists() and marker.read_text() == expected:
        index = tantivy.Index(schema, path=str(TANTIVY_DIR))
        index.reload()
        return index
    shutil.rmtree(TANTIVY_DIR, ignore_errors=True)
    TANTIVY_DIR.mkdir(parents=True)
    index = tantivy.Index(schema, path=str(TANTIVY_DIR))
    writer = index.writer(heap_size=600_000_000, num_threads=2)
    started = time.perf_counter()
    with conn.transaction(), conn.cursor(name="speeches_for_tantivy") as cursor:
        cursor.itersize = 5000
        cursor.execute(
            "SELECT s.id, d.date - DATE '2000-01-01', coalesce(s.text_en, '') FROM speeches s"
            " JOIN debates d ON d.id = s.debate_id"
        )
        for speech_id, day, body in cursor:
            writer.add_document(tantivy.Document(id=speech_id, day=day, body=body))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    marker.write_text(expected)
    print(f"tantivy: indexed {expected} speeches in {time.perf_counter() - started:.0f} s")
    return index


def timed(function: Callable[[], Any], repeat: int) -> list[float]:
    function()  # warm
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


@dataclass
class SearchFigures:
    samples: dict[str, list[float]] = field(default_factory=dict)
    per_query: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, per_query_samples: list[list[float]]) -> None:
        self.samples[name] = [s for q in per_query_samples for s in q]
        self.per_query[name] = [statistics.median(q) for q in per_query_samples]

    def row(self, name: str) -> tuple[float, float, float]:
        return (
            percentile(self.samples[name], 50),
            percentile(self.samples[name], 95),
            max(self.per_query[name]),
        )


def bench_search(repeat: int) -> SearchFigures:
    cluster = start_cluster(DEFAULT_DATA_DIR)
    conn = connect(cluster, autocommit=True)
    # The query functions on a read connection configured as the read pool's (prepared
    # statements, generic plans), in an event loop of their own.
    loop = asyncio.new_event_loop()
    reader_cm = connect_async(cluster.url(DATABASE))
    reader = loop.run_until_complete(reader_cm.__aenter__())
    loop.run_until_complete(reader.execute("SET plan_cache_mode = force_generic_plan"))
    # The API knows the data version from its LISTEN watcher, not from a read per request.
    request_version.set(loop.run_until_complete(current_data_version(reader)).version)
    index = build_tantivy(conn)
    searcher = index.searcher()
    figures = SearchFigures()
    results: dict[str, list[list[float]]] = {
        k: []
        for k in (
            "pg_newest_bare",
            "pg_newest",
            "pg_relevance",
            "tantivy_bm25",
            "tantivy_newest",
            "pg_exact_count",
        )
    }
    totals: list[tuple[str, int, str, int]] = []
    for q in QUERIES:
        parsed = index.parse_query(tantivy_query(q), ["body"], conjunction_by_default=True)

        def pg(sort: str, q: str = q, snippets: bool = True) -> search.SearchResult:
            return loop.run_until_complete(
                search.search_speeches(
                    reader, search.SpeechSearch(q=q, sort=sort, limit=20, snippets=snippets)
                )
            )

        def bm25(parsed: Any = parsed) -> Any:
            result = searcher.search(parsed, 20, count=True)
            return [searcher.doc(address)["id"] for _score, address in result.hits], result.count

        def newest(parsed: Any = parsed) -> Any:
            result = searcher.search(parsed, 20, count=True, order_by_field="day")
            return [searcher.doc(address)["id"] for _key, address in result.hits], result.count

        def exact_count(q: str = q) -> Any:
            return conn.execute(
                "SELECT count(*) FROM speeches WHERE search_en @@ websearch_to_tsquery("
                "'english', %s)",
                (q,),
            ).fetchone()

        results["pg_newest"].append(timed(lambda: pg("newest"), repeat))
        results["pg_newest_bare"].append(timed(lambda: pg("newest", snippets=False), repeat))
        results["pg_relevance"].append(timed(lambda: pg("relevance"), repeat))
        results["tantivy_bm25"].append(timed(bm25, repeat))
        results["tantivy_newest"].append(timed(newest, repeat))
        results["pg_exact_count"].append(timed(exact_count, 1))
        found = pg("newest")
        totals.append((q, found.total, found.total_relation, int(bm25()[1])))
    for name, samples in results.items():
        figures.add(name, samples)

    speeches = (
        int(count_row[0])
        if (count_row := conn.execute("SELECT count(*) FROM speeches").fetchone())
        else 0
    )
    header(f"search: the same 40 queries, 20 results each (ms; {speeches:,} speeches)")
    print(f"{'':34}{'p50':>9}{'p95':>9}{'max':>9}")
    labels = {
        "tantivy_bm25": "tantivy BM25 (+ exact count)",
        "tantivy_newest": "tantivy by date (+ exact count)",
        "pg_newest": "PostgreSQL newest-first (API)",
        "pg_newest_bare": "  same without snippets",
        "pg_relevance": "PostgreSQL relevance (API)",
        "pg_exact_count": "PostgreSQL exact count(*) alone",
    }
    for name, label in labels.items():
        p50, p95, worst = figures.row(name)
        print(f"{label:34}{p50:9.2f}{p95:9.2f}{worst:9.2f}")
    print(
        "(PostgreSQL figures include the query's parse, every window statement, and the "
        "page's rows with ts_headline snippets of the 20 hits; the data version is known, as "
        "in the API; max is the slowest query's median)"
    )

    header("search: ORDER BY ts_rank over every match (what the API does not do), 6 queries")
    conn.execute("SET statement_timeout = '30s'")
    for q in ("government", "housing", "care", "parliament", "physicians", "nanaimo"):
        started = time.perf_counter()
        conn.execute(
            "SELECT id FROM speeches WHERE search_en @@ websearch_to_tsquery('english', %s)"
            " ORDER BY ts_rank(search_en, websearch_to_tsquery('english', %s)) DESC LIMIT 20",
            (q, q),
        ).fetchall()
        elapsed = (time.perf_counter() - started) * 1000
        index_of = QUERIES.index(q)
        bm = statistics.median(results["tantivy_bm25"][index_of])
        ours = statistics.median(results["pg_relevance"][index_of])
        print(
            f"{q:14} rank-all {elapsed:9.1f} ms = {elapsed / bm:7.1f}x tantivy; "
            f"API relevance {ours:7.2f} ms = {ours / bm:5.1f}x"
        )
    conn.execute("RESET statement_timeout")
    header("search: hit counts (API total vs exact)")
    exact_vs_search = [
        statistics.median(c) / statistics.median(s)
        for c, s in zip(results["pg_exact_count"], results["pg_newest"], strict=True)
    ]
    print(
        "exact count(*) costs, per query, "
        f"p50 {percentile(exact_vs_search, 50):.1f}x / max {max(exact_vs_search):.1f}x "
        "the whole newest-first search: so the API gives an exact total only when the "
        "search saw every match (total_relation=eq), else a lower bound (gte)."
    )
    exact = sum(1 for _q, _t, relation, _c in totals if relation == "eq")
    print(
        f"{exact}/{len(totals)} queries answered with an exact total at no extra cost; e.g. "
        + ", ".join(f"{q!r}: {t} {r} (tantivy {c})" for q, t, r, c in totals[:3])
    )
    conn.close()
    loop.run_until_complete(reader_cm.__aexit__(None, None, None))
    loop.close()
    return figures


# --- 2. HTTP server and closed-loop load --------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    redis: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        for process in (self.process, self.redis):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def start_server(cache: bool) -> Server:
    cluster = start_cluster(DEFAULT_DATA_DIR)
    redis_port = free_port()
    redis = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": cluster.url(DATABASE).render_as_string(hide_password=False),
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "OPENPOLICY_API_CACHE_ENABLED": "true" if cache else "false",
            # Limits that never refuse: every request still passes through the limiter.
            "OPENPOLICY_API_RATE_LIMIT_ANONYMOUS_PER_MINUTE": "1000000000",
            "OPENPOLICY_WEB_RATE_LIMIT_PER_MINUTE": "1000000000",
            "OPENPOLICY_WEB_SEARCH_RATE_LIMIT_PER_MINUTE": "1000000000",
            "OPENPOLICY_LOG_LEVEL": "warning",
        }
    )
    log = (WORK / "server-access.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.api", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=log,
    )
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/ping").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        raise RuntimeError("server did not start")
    return Server(process, port, redis)


def serve(port: int) -> None:
    """The server process: the production app, one worker."""
    import faulthandler
    import signal

    import uvicorn

    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 <pid>` prints every thread's stack

    from openpolicy.app import create_app
    from openpolicy.config import load_settings

    uvicorn.run(
        create_app(load_settings()),
        host="127.0.0.1",
        port=port,
        workers=1,
        log_level="warning",
        access_log=False,
    )


WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("JSON{\\"requests\\":%%d,\\"duration_us\\":%%d,\\"errors\\":%%d,"
    .. "\\"non2xx\\":%%d,\\"p50\\":%%d,\\"p95\\":%%d,\\"p99\\":%%d}\\n",
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout, summary.errors.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


@dataclass
class Load:
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int


def wrk(server: Server, paths: list[str], seconds: int, connections: int = 32) -> Load:
    quoted = ",".join(json.dumps(p) for p in paths)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % quoted)
    try:
        output = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                server.url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        Path(script.name).unlink()
    line = next(line for line in output.splitlines() if line.startswith("JSON"))
    data = json.loads(line[4:])
    return Load(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50"] / 1000,
        p95_ms=data["p95"] / 1000,
        p99_ms=data["p99"] / 1000,
        errors=data["errors"] + data["non2xx"],
    )


def endpoint_paths() -> dict[str, list[str]]:
    cluster = start_cluster(DEFAULT_DATA_DIR)
    with connect(cluster, autocommit=True) as conn:
        rng = random.Random(7)
        sessions = [r[0] for r in conn.execute("SELECT code FROM parliamentary_sessions")]
        bills = conn.execute(
            "SELECT s.code, b.number FROM bills b JOIN parliamentary_sessions s"
            " ON s.id = b.session_id ORDER BY b.id"
        ).fetchall()
        votes = conn.execute(
            "SELECT s.code, v.number FROM votes v JOIN parliamentary_sessions s"
            " ON s.id = v.session_id ORDER BY v.id"
        ).fetchall()
        members = conn.execute(
            "SELECT member_id FROM member_terms GROUP BY member_id"
            " HAVING count(*) >= 2 ORDER BY member_id"
        ).fetchall()
    from urllib.parse import quote

    return {
        "trivial JSON (/api/v1/ping)": ["/api/v1/ping"],
        "bill list (20 per page)": ["/api/v1/bills?limit=20"]
        + [f"/api/v1/bills?session={s}&limit=20" for s in sessions],
        "bill detail": [f"/api/v1/bills/{s}/{n}" for s, n in rng.sample(bills, 300)],
        "division + all ballots": [f"/api/v1/votes/{s}/{n}" for s, n in rng.sample(votes, 300)],
        "member voting record (500)": [
            f"/api/v1/members/{m[0]}/votes?limit=500" for m in rng.sample(members, 60)
        ],
        "speech search, newest": [f"/api/v1/search?q={quote(q)}&sort=newest" for q in QUERIES],
        "speech search, relevance": [f"/api/v1/search?q={quote(q)}" for q in QUERIES],
    }


GOALS = {
    "bill list (20 per page)": 0.30,
    "bill detail": 0.40,
    "division + all ballots": 0.15,
    "member voting record (500)": 0.10,
}


# --- 3. open loop ---------------------------------------------------------------------------


async def _request(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    path: str,
) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    if length:
        await reader.readexactly(length)
    return status


async def open_loop(
    port: int, paths: list[str], rate: float, seconds: float
) -> tuple[list[float], int, int]:
    """Fire `rate` requests per second on a fixed schedule for `seconds`; latencies are
    measured from each request's scheduled time (no coordinated omission). Connections are
    reused first-in first-out, so none idles past the server's keep-alive timeout; one the
    server closed anyway is replaced and the request retried (a client artefact, not an
    error of the server)."""
    idle: collections.deque[tuple[asyncio.StreamReader, asyncio.StreamWriter]]
    idle = collections.deque()
    for index in range(64):
        connection = await asyncio.open_connection("127.0.0.1", port)
        await _request(*connection, paths[index % len(paths)])  # as a client that kept it
        idle.append(connection)
    latencies: list[float] = []
    errors = 0
    opened = len(idle)
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2
    total = int(rate * seconds)

    async def one(index: int, scheduled: float) -> None:
        nonlocal errors, opened
        path = paths[index % len(paths)]
        for attempt in range(2):
            if idle:
                connection = idle.popleft()
            else:
                connection = await asyncio.open_connection("127.0.0.1", port)
                opened += 1
            try:
                status = await _request(*connection, path)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                connection[1].close()
                if attempt == 0:
                    continue  # the server closed a kept-alive connection: reconnect
                errors += 1
                break
            if status != 200:
                errors += 1
            idle.append(connection)
            break
        latencies.append((loop.time() - scheduled) * 1000)

    # The generator's own pauses would count as server latency (latencies run from the
    # scheduled time): no garbage collection while it runs, and finished requests are let go
    # at once instead of piling up tens of thousands of tasks.
    pending: set[asyncio.Task[None]] = set()
    gc.disable()
    try:
        for index in range(total):
            scheduled = start + index / rate
            delay = scheduled - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(index, scheduled))
            pending.add(task)
            task.add_done_callback(pending.discard)
        while pending:
            await asyncio.gather(*pending)
    finally:
        gc.enable()
    for _reader, writer in idle:
        writer.close()
    return latencies, errors, opened


def precise_loop() -> asyncio.AbstractEventLoop:
    """The generator's event loop: select(2) sleeps to the microsecond, where epoll (asyncio's
    default, and libuv's) rounds a timer up to the next millisecond; that lateness would
    count as the server's latency, which runs from each request's scheduled time."""
    return asyncio.SelectorEventLoop(selectors.SelectSelector())


def run_open_loop(
    port: int, paths: list[str], rate: float, seconds: float
) -> tuple[list[float], int, int]:
    with asyncio.Runner(loop_factory=precise_loop) as runner:
        return runner.run(open_loop(port, paths, rate, seconds))


def cpu_steadiness(seconds: float = 10.0) -> tuple[float, float]:
    """How steady this machine's CPU is, idle: one thread's speed per 100 ms window against
    its median (slowest window, 1st percentile). A shared VM's host takes CPU time away in
    bursts, and a server at half its capacity queues requests through them."""
    speeds: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        started, rounds = time.perf_counter(), 0
        while time.perf_counter() - started < 0.1:
            sum(range(2000))
            rounds += 1
        speeds.append(rounds / (time.perf_counter() - started))
    median = statistics.median(speeds)
    return min(speeds) / median, percentile(speeds, 1) / median


def unloaded(port: int, paths: list[str], count: int = 500) -> tuple[float, float]:
    async def run() -> list[float]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        samples = []
        for index in range(count):
            started = time.perf_counter()
            await _request(reader, writer, paths[index % len(paths)])
            samples.append((time.perf_counter() - started) * 1000)
        writer.close()
        return samples

    samples = asyncio.run(run())
    return statistics.median(samples), percentile(samples, 99)


# --- main -----------------------------------------------------------------------------------


def print_search_goals(figures: SearchFigures) -> None:
    header("search goals")
    tb = figures.row("tantivy_bm25")
    tn = figures.row("tantivy_newest")
    pn = figures.row("pg_newest")
    pr = figures.row("pg_relevance")
    print(
        f"newest-first p95 {pn[1]:.2f} ms = {pn[1] / tb[1]:.2f}x tantivy BM25 p95 "
        f"(goal <= 2x: {'yes' if pn[1] <= 2 * tb[1] else 'NO'}); vs tantivy by date "
        f"{pn[1] / tn[1]:.2f}x"
    )
    print(
        f"newest-first slowest query {pn[2]:.2f} ms = {pn[2] / tb[2]:.2f}x tantivy's "
        f"slowest (goal <= 10x: {'yes' if pn[2] <= 10 * tb[2] else 'NO'})"
    )
    print(
        f"relevance p95 {pr[1]:.2f} ms = {pr[1] / tb[1]:.2f}x tantivy BM25 p95 "
        f"(goal <= 5x: {'yes' if pr[1] <= 5 * tb[1] else 'NO'})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="API benchmark (prints its figures)")
    parser.add_argument("command", nargs="?", default="run", choices=("run", "serve"))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--open-loop-seconds", type=float, default=60)
    parser.add_argument("--skip-open-loop", action="store_true")
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--skip-http", action="store_true", help="only the search comparison")
    parser.add_argument("--search-repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.port)
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian package `wrk`)")
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    search_figures = None if args.skip_search else bench_search(args.search_repeat)
    if args.skip_http:
        if search_figures is not None:
            print_search_goals(search_figures)
        return 0

    paths = endpoint_paths()
    server = start_server(cache=False)
    loads: dict[str, Load] = {}
    base_name = "trivial JSON (/api/v1/ping)"
    trivial_path = paths[base_name]
    trivial_seconds = max(1, args.seconds // 2)
    try:
        # The trivial endpoint runs between every two endpoints, and each endpoint's ratio is
        # against the two trivial runs beside it: a shared VM's speed drifts over minutes.
        wrk(server, trivial_path, 2)  # warm
        trivial_runs = [wrk(server, trivial_path, trivial_seconds)]
        beside: dict[str, float] = {}
        for name, endpoint in paths.items():
            if name == base_name:
                continue
            wrk(server, endpoint, 2)  # warm: prepared statements, caches, pool
            loads[name] = wrk(server, endpoint, args.seconds)
            trivial_runs.append(wrk(server, trivial_path, trivial_seconds))
            beside[name] = (trivial_runs[-2].rps + trivial_runs[-1].rps) / 2
        header(
            f"HTTP, closed loop: wrk -t1 -c32 -d{args.seconds}s, one uvicorn worker, "
            "response cache off"
        )
        print(
            f"{'endpoint':30}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
            f"{'trivial':>9}{'ratio':>8}{'goal':>7}  met  errors"
        )
        trivial_rates = [run.rps for run in trivial_runs]
        print(
            f"{base_name:30}{statistics.mean(trivial_rates):9.0f}"
            f"{statistics.mean(run.p50_ms for run in trivial_runs):9.2f}"
            f"{statistics.mean(run.p95_ms for run in trivial_runs):9.2f}"
            f"{statistics.mean(run.p99_ms for run in trivial_runs):9.2f}"
            f"{'':9}{'':8}{'':7}       {sum(run.errors for run in trivial_runs)}"
        )
        for name, load in loads.items():
            ratio = load.rps / beside[name]
            goal = GOALS.get(name)
            met = "" if goal is None else ("yes" if ratio >= goal else "NO")
            goal_text = "" if goal is None else f"{goal:.2f}"
            print(
                f"{name:30}{load.rps:9.0f}{load.p50_ms:9.2f}{load.p95_ms:9.2f}"
                f"{load.p99_ms:9.2f}{beside[name]:9.0f}{ratio:8.3f}{goal_text:>7}  {met:3}  "
                f"{load.errors}"
            )
        print(
            f"(trivial endpoint: {len(trivial_runs)} runs of {trivial_seconds} s between the "
            f"endpoints, {min(trivial_rates):.0f} to {max(trivial_rates):.0f} req/s; each "
            "ratio is against the mean of the two runs beside the endpoint, the `trivial` "
            "column)"
        )

        if search_figures is not None:
            print_search_goals(search_figures)

        if not args.skip_open_loop:
            header(f"HTTP, open loop at half capacity for {args.open_loop_seconds:.0f} s")
            slowest, first_percentile = cpu_steadiness()
            print(
                "machine steadiness (one idle thread, 10 s in 100 ms windows, against the "
                f"median window): slowest {slowest:.2f}x, 1st percentile {first_percentile:.2f}x"
            )
            print(
                f"{'endpoint':30}{'rate/s':>8}{'unloaded p50/p99':>18}{'idle p50':>9}"
                f"{'p50':>8}{'p99':>9}{'p99/unl.p50':>13}{'p99/triv.':>10}  goal<=2x  errors"
            )
            trivial_p99: float | None = None
            for name, endpoint in paths.items():
                # The trivial endpoint is the machine's reference: it does no work, so
                # whatever tail it shows at half its capacity is the floor of this
                # machine, generator and server stack, not of any query.
                reference = name == base_name
                base, base_p99 = unloaded(server.port, endpoint)
                # The same requests 50 ms apart: what one request costs when the machine
                # was idle before it (a VM's halted vCPUs take time to wake).
                idle, _errors, _opened = run_open_loop(server.port, endpoint, 20, 5)
                rate = (statistics.mean(trivial_rates) if reference else loads[name].rps) / 2
                latencies, errors, _opened = run_open_loop(
                    server.port, endpoint, rate, args.open_loop_seconds
                )
                p50 = percentile(latencies, 50)
                p99 = percentile(latencies, 99)
                if reference:
                    trivial_p99 = p99
                against = p99 / trivial_p99 if trivial_p99 else float("nan")
                verdict = "ref" if reference else ("yes" if against <= 2 else "NO")
                print(
                    f"{name:30}{rate:8.0f}{base:10.2f}/{base_p99:7.2f}"
                    f"{percentile(idle, 50):9.2f}{p50:8.2f}{p99:9.2f}{p99 / base:13.2f}"
                    f"{against:10.2f}  {verdict:8}  {errors}"
                )
            print(
                "(unloaded: 500 requests back to back on one connection; idle: 100 requests "
                "50 ms apart; p99/triv.: against the trivial endpoint's p99 at half of its own "
                "capacity, the row marked ref, measured first in this run: the goal is <= 2x)"
            )
    finally:
        server.stop()

    header("with the response cache on (Redis), for reference")
    cached = start_server(cache=True)
    try:
        ping = wrk(cached, paths["trivial JSON (/api/v1/ping)"], 5)
        for name in ("bill detail", "division + all ballots"):
            wrk(cached, paths[name], 3)
            hot = wrk(cached, paths[name], 5)
            print(
                f"{name:30}{hot.rps:9.0f} req/s  p99 {hot.p99_ms:6.2f} ms  "
                f"ratio {hot.rps / ping.rps:.3f}"
            )
    finally:
        cached.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
