"""A flood of bad API keys from one address."""

from __future__ import annotations

import time

from tests.faults.conftest import (
    ANONYMOUS_LIMIT,
    OLD_HANG_SECONDS,
    Stack,
    new_address,
    record,
)
from tests.support.services import wait_until

FAULT = "flood of bad keys, one address"
ATTEMPTS = 200


def test_bad_keys_are_limited_per_address_and_audited_as_counts(stack: Stack) -> None:
    for _attempt in range(3):  # retried only if a minute boundary splits the flood
        client = new_address()
        minute = time.time() // 60
        started = time.perf_counter()
        statuses: dict[int, int] = {}
        for n in range(ATTEMPTS):
            response, _ = stack.get("/api/v1/ping", client=client, key=f"opk_{n:08x}_{'k' * 40}")
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        elapsed = time.perf_counter() - started
        if time.time() // 60 == minute:
            break
    record(FAULT, f"{ATTEMPTS} requests, each a new key", str(statuses), elapsed)
    # The address pays before any key is looked up: the limit of an anonymous client.
    assert statuses == {401: ANONYMOUS_LIMIT, 429: ATTEMPTS - ANONYMOUS_LIMIT}, statuses
    assert elapsed < OLD_HANG_SECONDS
    # Another address, and a good key from this one, are served as usual.
    assert stack.get("/api/v1/ping", client=new_address())[0].status_code == 200
    good, _ = stack.get("/api/v1/ping", client=new_address(), key=stack.key)
    assert good.status_code == 200
    # The audit trail holds counts per address and minute, not a row per attempt.
    wait_until(
        lambda: (
            stack.sql(
                "SELECT coalesce(sum(count), 0) FROM audit_events"
                " WHERE action = 'api.unauthorized' AND client_ip = %s",
                (client,),
            )[0][0]
            == ANONYMOUS_LIMIT
        ),
        60,
        "the refusals in audit_events",
    )
    rows = stack.sql(
        "SELECT count(*) FROM audit_events WHERE action = 'api.unauthorized' AND client_ip = %s",
        (client,),
    )[0][0]
    record(FAULT, "audit_events rows written", str(rows), None)
    assert rows == 1
