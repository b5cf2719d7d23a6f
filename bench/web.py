"""Web benchmark on the parliament-scale dataset (bench/generate.py), printing its figures.

    python -m bench.web [--seconds 5] [--rounds 2] [--only NAME] [--open-loop-seconds 10]
    python -m bench.web middleware [--seconds 5] [--rounds 3]   (the middleware row alone)

Every page type beside the API call that returns the same data, served by the same server
in the same run: one uvicorn worker of the production app (Redis rate limits, access log,
response cache OFF, so every request renders), `wrk -t1 -c32`, each run cycling through a
few hundred different ids or queries. Page and JSON runs take turns (`--rounds` times each)
and each ratio is page req/s over JSON req/s, each the mean of its rounds (p99 too): the
shared VM's speed drifts over minutes, side by side it cancels out. Goals (issue 16): every
page type at ≥ 0.5× its JSON, the home page at ≥ 0.5× the bill list's JSON, every page's
p99 under that load ≤ 250 ms. Under 32 closed-loop connections a saturated worker queues
each request behind the other 31, so that p99 is about 32 / req/s whatever a page costs
(Little's law): the same pages are also sent at half the rate they were served, on a fixed
schedule (bench/api.py's open loop, latency from each request's scheduled time), and that
p99 is printed beside it.

Then, on a second server with the response cache on (Redis): pages answered from the cache
against `/api/v1/ping` of that server (goal ≥ 0.8×), and the middleware row: `/api/v1/ping`
(request id, client address, Host check, maintenance switch, Redis rate limit, security
and CORS headers, metrics, access log) against a bare FastAPI hello app served in the same
run, in turns (issue 16's goal: ≥ 0.6×).
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from urllib.parse import quote

from bench.api import (
    QUERIES,
    WORK,
    Load,
    Server,
    free_port,
    percentile,
    run_open_loop,
    start_server,
    wrk,
)
from bench.generate import DEFAULT_DATA_DIR, connect, start_cluster

PAGE_P99_GOAL_MS = 250.0
RATIO_GOAL = 0.5
CACHE_HIT_GOAL = 0.8
MIDDLEWARE_GOAL = 0.6


@dataclass(frozen=True)
class Pair:
    """A page type and the API call that returns the same data (None: no such call)."""

    name: str
    pages: list[str]
    json: list[str] | None
    goal: float | None = RATIO_GOAL
    against: str = "its JSON"


def pairs() -> list[Pair]:
    """The page types with a few hundred different ids or queries each (fixed seed)."""
    cluster = start_cluster(DEFAULT_DATA_DIR)
    rng = random.Random(16)
    with connect(cluster, autocommit=True) as conn:
        sessions = [r[0] for r in conn.execute("SELECT code FROM parliamentary_sessions")]
        types = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT bill_type FROM bills WHERE bill_type IS NOT NULL"
            )
        ]
        bills = conn.execute(
            "SELECT s.code, b.number FROM bills b JOIN parliamentary_sessions s"
            " ON s.id = b.session_id ORDER BY b.id"
        ).fetchall()
        votes = conn.execute(
            "SELECT s.code, v.number FROM votes v JOIN parliamentary_sessions s"
            " ON s.id = v.session_id ORDER BY v.id"
        ).fetchall()
        members = [
            r[0]
            for r in conn.execute(
                "SELECT member_id FROM member_terms GROUP BY member_id"
                " HAVING count(*) >= 2 ORDER BY member_id"
            )
        ]
        parties = [r[0] for r in conn.execute("SELECT short_name_en FROM parties")]
        sittings = conn.execute(
            "SELECT s.code, d.number FROM debates d JOIN parliamentary_sessions s"
            " ON s.id = d.session_id ORDER BY d.id"
        ).fetchall()
        speeches = conn.execute(
            "SELECT s.code, d.number, x.sequence FROM debates d"
            " JOIN parliamentary_sessions s ON s.id = d.session_id"
            " JOIN speeches x ON x.debate_id = d.id AND x.sequence IN (1, 7, 42)"
            " ORDER BY d.id, x.sequence"
        ).fetchall()
    bill_filters = [(s, t) for s in sessions for t in [None, *types]]
    some_bills = rng.sample(bills, 300)
    some_votes = rng.sample(votes, 300)
    some_members = rng.sample(members, 60)
    some_sittings = rng.sample(sittings, 300)
    some_speeches = rng.sample(speeches, 300)

    def bill_query(session: str, kind: str | None) -> str:
        return f"session={session}" + (f"&type={kind}" if kind else "")

    bill_list_json = [f"/api/v1/bills?{bill_query(s, t)}&limit=50" for s, t in bill_filters]
    return [
        Pair(
            "/bills?session=…",
            [f"/bills?{bill_query(s, t)}" for s, t in bill_filters],
            bill_list_json,
        ),
        Pair(
            "/bills/{session}/{number}",
            [f"/bills/{s}/{n}" for s, n in some_bills],
            [f"/api/v1/bills/{s}/{n}" for s, n in some_bills],
        ),
        Pair(
            "/votes?session=…",
            [f"/votes?session={s}" for s in sessions],
            [f"/api/v1/votes?session={s}&limit=50" for s in sessions],
        ),
        Pair(
            "/votes/{session}/{number}",
            [f"/votes/{s}/{n}" for s, n in some_votes],
            [f"/api/v1/votes/{s}/{n}" for s, n in some_votes],
        ),
        Pair(
            "/members?party=…",
            [f"/members?party={quote(p)}" for p in parties],
            [f"/api/v1/members?current=true&party={quote(p)}&limit=100" for p in parties],
        ),
        Pair(
            "/members/{id}",
            [f"/members/{m}" for m in some_members],
            [f"/api/v1/members/{m}/votes?limit=500" for m in some_members],
            against="the voting record (500)",
        ),
        Pair(
            "/debates?session=…",
            [f"/debates?session={s}" for s in sessions],
            [f"/api/v1/debates?session={s}&limit=50" for s in sessions],
        ),
        Pair(
            "/debates/{session}/{number}",
            [f"/debates/{s}/{n}" for s, n in some_sittings],
            [f"/api/v1/debates/{s}/{n}?limit=100" for s, n in some_sittings],
            against="a page of 100 speeches",
        ),
        Pair(
            "/debates/{s}/{n}/{sequence}",
            [f"/debates/{s}/{n}/{q}" for s, n, q in some_speeches],
            None,
            goal=None,
        ),
        Pair(
            "/search?q=…&type=speech",
            [f"/search?q={quote(q)}&type=speech" for q in QUERIES],
            [f"/api/v1/search?q={quote(q)}" for q in QUERIES],
        ),
        Pair("/search?q=… (all kinds)", [f"/search?q={quote(q)}" for q in QUERIES], None, None),
        Pair("/", ["/"], bill_list_json, against="the bill list's JSON"),
        Pair("/feeds/votes.atom", ["/feeds/votes.atom"], None, None),
    ]


# --- the bare hello app ----------------------------------------------------------------------


def hello_app() -> object:
    from fastapi import FastAPI
    from starlette.responses import Response

    app = FastAPI()

    @app.get("/hello")
    async def hello() -> Response:
        return Response(b'{"ok":true}', media_type="application/json")

    return app


@dataclass
class Hello:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_hello() -> Hello:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.web", "hello", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/hello").status_code == 200:
                return Hello(process, port)
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the hello app did not start")


def serve_hello(port: int) -> None:
    import uvicorn

    uvicorn.run(
        hello_app(),  # type: ignore[arg-type]
        host="127.0.0.1",
        port=port,
        workers=1,
        log_level="warning",
        access_log=False,
    )


# --- running -----------------------------------------------------------------------------


def header(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 86 - len(title)), flush=True)


def side_by_side(
    server: Server, first: list[str], second: list[str], seconds: int, rounds: int
) -> tuple[Load, Load]:
    """`first` and `second` in turns, `rounds` runs each after a warm-up; for each, the mean
    of its runs' req/s and latency percentiles."""
    wrk(server, first, 2)
    wrk(server, second, 2)
    runs: tuple[list[Load], list[Load]] = ([], [])
    for _ in range(rounds):
        runs[0].append(wrk(server, first, seconds))
        runs[1].append(wrk(server, second, seconds))
    return _combined(runs[0]), _combined(runs[1])


def warm(server: Server, paths: list[str]) -> None:
    """Every page once, so that the runs that follow find each in the cache."""
    import httpx

    with httpx.Client(base_url=server.url, timeout=60) as client:
        for path in paths:
            if client.get(path).status_code != 200:
                raise RuntimeError(f"{path} did not answer 200")


def _combined(loads: list[Load]) -> Load:
    return Load(
        rps=sum(load.rps for load in loads) / len(loads),
        p50_ms=sum(load.p50_ms for load in loads) / len(loads),
        p95_ms=sum(load.p95_ms for load in loads) / len(loads),
        p99_ms=sum(load.p99_ms for load in loads) / len(loads),
        errors=sum(load.errors for load in loads),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="web benchmark (prints its figures)")
    parser.add_argument("command", nargs="?", default="run", choices=("run", "middleware", "hello"))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", help="run only the page types whose name contains this")
    parser.add_argument(
        "--open-loop-seconds",
        type=float,
        default=10,
        help="each page type at half its measured req/s, on a fixed schedule (0: skip)",
    )
    args = parser.parse_args(argv)
    if args.command == "hello":
        serve_hello(args.port)
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian package `wrk`)")
    if args.command == "middleware":
        header("the middleware: /api/v1/ping beside a bare FastAPI hello, in turns")
        cached = start_server(cache=True)
        try:
            ping_load, bare_load = middleware_loads(cached, args.seconds, args.rounds)
        finally:
            cached.stop()
        print(f"{'':40}{'req/s':>8}{'p99 ms':>9}{'against':>10}{'ratio':>8}  goal   met")
        print_middleware_row(ping_load, bare_load)
        return 0
    chosen = [p for p in pairs() if args.only is None or args.only in p.name]

    server = start_server(cache=False)
    rows: list[tuple[Pair, Load, Load | None]] = []
    try:
        for pair in chosen:
            if pair.json is None:
                wrk(server, pair.pages, 2)
                alone = [wrk(server, pair.pages, args.seconds) for _ in range(args.rounds)]
                rows.append((pair, _combined(alone), None))
            else:
                together = side_by_side(server, pair.pages, pair.json, args.seconds, args.rounds)
                rows.append((pair, *together))
        # Latency when the worker is not saturated: at half of what it served under wrk.
        half_load: dict[str, float] = {}
        if args.open_loop_seconds > 0:
            for pair, page, _beside in rows:
                latencies, _errors, _opened = run_open_loop(
                    server.port, pair.pages, page.rps / 2, args.open_loop_seconds
                )
                half_load[pair.name] = percentile(latencies, 99)
    finally:
        server.stop()

    header(
        f"pages beside their JSON: wrk -t1 -c32, {args.rounds} x {args.seconds} s each in turns, "
        "one uvicorn worker, response cache off"
    )
    print(
        f"{'page':32}{'req/s':>8}{'p99 ms':>9}{'JSON req/s':>12}{'p99 ms':>9}"
        f"{'page/JSON':>11}  goal   met  p99<=250  ½-load p99  <=250  errors  JSON of"
    )
    for pair, page, beside in rows:
        p99_ok = "yes" if page.p99_ms <= PAGE_P99_GOAL_MS else "NO"
        half = half_load.get(pair.name)
        half_text = (
            f"{half:11.1f}  {'yes' if half <= PAGE_P99_GOAL_MS else 'NO':5}"
            if half is not None
            else f"{'—':>11}  {'':5}"
        )
        if beside is None:
            print(
                f"{pair.name:32}{page.rps:8.0f}{page.p99_ms:9.1f}{'—':>12}{'':9}{'—':>11}"
                f"  {'':5}  {'':3}  {p99_ok:8}  {half_text}  {page.errors}"
            )
            continue
        ratio = page.rps / beside.rps
        goal = f">={pair.goal:.1f}" if pair.goal is not None else ""
        met = "" if pair.goal is None else ("yes" if ratio >= pair.goal else "NO")
        print(
            f"{pair.name:32}{page.rps:8.0f}{page.p99_ms:9.1f}{beside.rps:12.0f}{beside.p99_ms:9.1f}"
            f"{ratio:11.2f}  {goal:5}  {met:3}  {p99_ok:8}  {half_text}  "
            f"{page.errors + beside.errors:<6}  {pair.against}"
        )
    print(
        "(p99 ms: under wrk's 32 connections, where a saturated worker queues each request "
        "behind the other 31, so p99 is about 32 / req/s; ½-load p99: the same pages at half "
        f"the req/s served, {args.open_loop_seconds:.0f} s on a fixed schedule, latency from "
        "each request's scheduled time)"
    )

    header("response cache on (Redis): pages from the cache; the middleware")
    cached = start_server(cache=True)
    try:
        hot_pages = [url for pair in chosen for url in pair.pages[:40]]
        warm(cached, hot_pages)
        hits, pings = side_by_side(cached, hot_pages, ["/api/v1/ping"], args.seconds, args.rounds)
        ping_load, bare_load = middleware_loads(cached, args.seconds, args.rounds)
    finally:
        cached.stop()
    print(f"{'':40}{'req/s':>8}{'p99 ms':>9}{'against':>10}{'ratio':>8}  goal   met")
    hit_ratio = hits.rps / pings.rps
    hit_met = "yes" if hit_ratio >= CACHE_HIT_GOAL else "NO"
    print(
        f"{'pages answered from the cache':40}{hits.rps:8.0f}{hits.p99_ms:9.1f}"
        f"{pings.rps:10.0f}{hit_ratio:8.2f}  >=0.8  {hit_met}"
        "   (against /api/v1/ping of the same server)"
    )
    print_middleware_row(ping_load, bare_load)
    print(f"(pages from the cache: {len(hot_pages)} URLs of every page type, warmed first)")
    return 0


def middleware_loads(server: Server, seconds: int, rounds: int) -> tuple[Load, Load]:
    """`/api/v1/ping` of `server` and a bare FastAPI hello, in turns: (ping, hello)."""
    hello = start_hello()
    try:
        bare = Server(hello.process, hello.port, hello.process)  # wrk needs .url only
        bare_runs: list[Load] = []
        ping_runs: list[Load] = []
        wrk(bare, ["/hello"], 2)
        wrk(server, ["/api/v1/ping"], 2)
        for _ in range(rounds):
            bare_runs.append(wrk(bare, ["/hello"], seconds))
            ping_runs.append(wrk(server, ["/api/v1/ping"], seconds))
    finally:
        hello.stop()
    return _combined(ping_runs), _combined(bare_runs)


def print_middleware_row(ping_load: Load, bare_load: Load) -> None:
    mw_ratio = ping_load.rps / bare_load.rps
    mw_met = "yes" if mw_ratio >= MIDDLEWARE_GOAL else "NO"
    print(
        f"{'/api/v1/ping (the whole middleware)':40}{ping_load.rps:8.0f}{ping_load.p99_ms:9.1f}"
        f"{bare_load.rps:10.0f}{mw_ratio:8.2f}  >=0.6  {mw_met}"
        "   (against a bare FastAPI hello, same run; issue 16's goal)"
    )
    print(
        f"{'bare FastAPI hello':40}{bare_load.rps:8.0f}{bare_load.p99_ms:9.1f}"
        "   (one uvicorn worker, no middleware: the machine's reference)"
    )


if __name__ == "__main__":
    sys.exit(main())
