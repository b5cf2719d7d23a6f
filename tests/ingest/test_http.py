"""The polite client against a real loopback server: identity, robots, pacing, retries,
conditional requests and the body limit."""

from __future__ import annotations

import itertools
import threading
import urllib.parse

import pytest

from openpolicy import __version__
from openpolicy.sources.http import (
    BodyTooLargeError,
    FetchError,
    HostUnreachableError,
    PoliteClient,
    RobotsDisallowedError,
    RobotsUnreadableError,
    retry_after_seconds,
)
from tests.ingest.parliament import Fault, Parliament
from tests.support.services import free_port

MEMBERS = "/Members/en/search/XML"
CONTACT = "https://example.org/openpolicy-contact"


def client(**overrides: float | int | bool) -> PoliteClient:
    options: dict[str, float | int | bool] = {
        "requests_per_second": 1000.0,
        "timeout": 5.0,
        "max_retries": 2,
        "backoff": 0.01,
    }
    options.update(overrides)
    return PoliteClient(contact_url=CONTACT, **options)  # type: ignore[arg-type]


def test_identifies_itself_and_returns_the_body_with_its_hash(parliament: Parliament) -> None:
    url = parliament.serve_fixture(MEMBERS, "ourcommons/members-44.xml")
    with client() as http:
        result = http.fetch(url)
    assert result.status == 200 and len(result.body) == 148_511
    assert result.sha256.startswith("feaa69a22679a5f9")  # PROVENANCE.md
    agent = parliament.seen(MEMBERS)[0].headers["User-Agent"]
    assert agent == f"OpenPolicy/{__version__} (+{CONTACT})"
    assert result.etag and result.last_modified == "Wed, 10 Mar 2021 21:00:00 GMT"


def test_conditional_request_gets_a_304(parliament: Parliament) -> None:
    url = parliament.serve_fixture(MEMBERS, "ourcommons/members-44.xml")
    with client() as http:
        first = http.fetch(url)
        second = http.fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.body == b""
    headers = parliament.seen(MEMBERS)[1].headers
    assert headers["If-None-Match"] == first.etag
    assert headers["If-Modified-Since"] == first.last_modified


def test_429_is_retried_after_retry_after(parliament: Parliament) -> None:
    url = parliament.serve_fixture(MEMBERS, "ourcommons/members-44.xml")
    parliament.script(MEMBERS, Fault(429, {"Retry-After": "1"}))
    with client(backoff=0.0) as http:
        result = http.fetch(url)
    seen = parliament.seen(MEMBERS)
    assert [r.status for r in seen] == [429, 200]
    assert seen[1].at - seen[0].at >= 0.95
    assert result.status == 200


def test_retry_after_too_long_fails_at_once(parliament: Parliament) -> None:
    url = parliament.serve_fixture(MEMBERS, "ourcommons/members-44.xml")
    parliament.script(MEMBERS, Fault(503, {"Retry-After": "3600"}))
    with client(max_retry_after=60) as http, pytest.raises(FetchError) as failure:
        http.fetch(url)
    assert "HTTP 503 with Retry-After 3600s" in str(failure.value)
    assert len(parliament.seen(MEMBERS)) == 1


def test_5xx_retried_with_backoff_then_succeeds(parliament: Parliament) -> None:
    url = parliament.serve_fixture(MEMBERS, "ourcommons/members-44.xml")
    parliament.script(MEMBERS, Fault(500), Fault(502))
    with client() as http:
        result = http.fetch(url)
    assert [r.status for r in parliament.seen(MEMBERS)] == [500, 502, 200]
    assert result.status == 200


def test_persistent_500_fails_naming_the_url(parliament: Parliament) -> None:
    url = parliament.serve_fixture(MEMBERS, "ourcommons/members-44.xml")
    parliament.script(MEMBERS, Fault(500), Fault(500), Fault(500), Fault(500))
    with client(max_retries=2) as http, pytest.raises(FetchError) as failure:
        http.fetch(url)
    assert str(failure.value) == f"{url}: HTTP 500 after 3 attempts"
    assert failure.value.status == 500
    assert len(parliament.seen(MEMBERS)) == 3


def test_404_is_not_retried(parliament: Parliament) -> None:
    with client() as http, pytest.raises(FetchError) as failure:
        http.fetch(parliament.url + "/Members/en/votes/45/1/9999/XML")
    assert failure.value.status == 404
    assert len(parliament.seen("/Members/en/votes/45/1/9999/XML")) == 1


def test_slow_response_times_out_and_is_retried(parliament: Parliament) -> None:
    url = parliament.serve_fixture(MEMBERS, "ourcommons/members-44.xml")
    held = threading.Event()
    parliament.script(MEMBERS, Fault(200, hold=held, hold_seconds=5))
    try:
        with client(timeout=0.3) as http:
            result = http.fetch(url)
    finally:
        held.set()
    assert result.status == 200 and len(result.body) == 148_511
    assert len(parliament.seen(MEMBERS)) == 2


def test_robots_txt_is_honoured(parliament: Parliament) -> None:
    parliament.robots = b"User-agent: *\nDisallow: /Content/\n"
    parliament.serve_fixture(
        "/Content/House/441/Debates/005/HAN005-E.XML", "hansard/HAN005-E-441.xml"
    )
    members = parliament.serve_fixture(MEMBERS, "ourcommons/members-44.xml")
    with client(respect_robots=True) as http:
        with pytest.raises(RobotsDisallowedError) as refused:
            http.fetch(parliament.url + "/Content/House/441/Debates/005/HAN005-E.XML")
        assert http.fetch(members).status == 200
    assert "disallowed by robots.txt" in str(refused.value)
    assert parliament.seen("/Content/House/441/Debates/005/HAN005-E.XML") == []
    assert len(parliament.seen("/robots.txt")) == 1  # read once per host


def test_unreadable_robots_txt_stops_fetching_but_is_not_called_disallowed(
    parliament: Parliament,
) -> None:
    parliament.script("/robots.txt", Fault(500), Fault(500), Fault(500))
    url = parliament.serve_fixture(MEMBERS, "ourcommons/members-44.xml")
    with client(respect_robots=True) as http, pytest.raises(RobotsUnreadableError) as refused:
        http.fetch(url)
    assert not isinstance(refused.value, RobotsDisallowedError)
    assert "robots.txt could not be read (HTTP 500 after 3 attempts)" in str(refused.value)
    assert "disallowed" not in str(refused.value)
    assert parliament.seen(MEMBERS) == []


def test_robots_txt_refused_to_us_is_disallowed(parliament: Parliament) -> None:
    parliament.script("/robots.txt", Fault(403))
    url = parliament.serve_fixture(MEMBERS, "ourcommons/members-44.xml")
    with client(respect_robots=True) as http, pytest.raises(RobotsDisallowedError) as refused:
        http.fetch(url)
    assert "robots.txt answered HTTP 403: treated as disallowed" in str(refused.value)


def test_an_unresolvable_host_fails_at_once_naming_it(caplog: pytest.LogCaptureFixture) -> None:
    # A name glibc refuses without asking any DNS server (a label may not start with "-"):
    # the test stays on this machine, and the client sees what an offline machine sees.
    url = "https://-offline.invalid/Members/en/search/XML"
    with client(respect_robots=True, max_retries=4, backoff=30.0) as http:
        with pytest.raises(HostUnreachableError) as first:
            http.fetch(url)
        with pytest.raises(HostUnreachableError) as again:  # remembered: no second lookup
            http.fetch(url.replace("search", "votes"))
    assert "cannot resolve host -offline.invalid" in str(first.value)
    assert str(first.value).startswith(url)  # the document, not its robots.txt
    assert "robots" not in str(first.value) and "disallowed" not in str(first.value)
    assert "cannot resolve host -offline.invalid" in str(again.value)
    assert not [r for r in caplog.records if "retry" in r.getMessage()]  # backoff 30 s unused


def test_a_host_where_nothing_listens_fails_at_once(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()  # nothing listens there
    with (
        client(max_retries=4, backoff=30.0) as http,
        pytest.raises(HostUnreachableError) as refused,
    ):
        http.fetch(f"http://127.0.0.1:{port}/Members/en/search/XML")
    assert f"cannot reach host 127.0.0.1:{port} (Connection refused)" in str(refused.value)
    assert not [r for r in caplog.records if "retry" in r.getMessage()]


def test_retries_show_themselves(parliament: Parliament, caplog: pytest.LogCaptureFixture) -> None:
    url = parliament.serve_fixture(MEMBERS, "ourcommons/members-44.xml")
    parliament.script(MEMBERS, Fault(503))
    with caplog.at_level("WARNING", logger="openpolicy.sources.http"), client() as http:
        assert http.fetch(url).status == 200
    (retry,) = [r for r in caplog.records if r.name == "openpolicy.sources.http"]
    assert retry.levelname == "WARNING"
    assert retry.getMessage().startswith("retry 1 of 2 in ")
    assert retry.getMessage().endswith(f": {url}: HTTP 503")


def test_requests_to_one_host_are_spaced(parliament: Parliament) -> None:
    url = parliament.serve_fixture(MEMBERS, "ourcommons/members-44.xml")
    with client(requests_per_second=20.0) as http:
        for _ in range(5):
            http.fetch(url)
        # The client's own departures (a server's arrival times also hold the network's and
        # its own scheduling delays, and under load two arrivals can come closer together
        # than the departures were): load can only make these gaps longer.
        host = urllib.parse.urlsplit(url).netloc
        departures = list(http._pacer.departures[host])
    assert len(parliament.seen(MEMBERS)) == 5
    gaps = [b - a for a, b in itertools.pairwise(departures)]
    assert len(gaps) >= 4 and min(gaps) >= 1 / 20.0 - 1e-9  # (float rounding only; robots.txt too)


def test_body_larger_than_the_limit_is_refused(parliament: Parliament) -> None:
    url = parliament.serve_fixture(MEMBERS, "ourcommons/members-44.xml")
    with client(max_body_bytes=100_000) as http, pytest.raises(BodyTooLargeError) as refused:
        http.fetch(url)
    assert "148511 bytes exceeds the 100000-byte limit" in str(refused.value)


def test_retry_after_accepts_an_http_date() -> None:
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert retry_after_seconds("soon") is None
