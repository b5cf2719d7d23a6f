"""The database stopped under a serving process, then started again."""

from __future__ import annotations

from tests.faults.conftest import OLD_HANG_SECONDS, Stack, new_address, record
from tests.support.services import wait_until

FAULT = "database stopped"


def test_requests_fail_fast_and_recover_without_a_restart(stack: Stack) -> None:
    pid = stack.process.pid
    # A bad key checked before the outage is remembered as bad: its refusals during the
    # outage are counted and must reach the audit trail once the database is back.
    bad_key = "opk_0badbad0_" + "q" * 40
    flood_client = new_address()
    assert stack.get("/api/v1/ping", client=flood_client, key=bad_key)[0].status_code == 401
    uncached_key = stack.key  # never used yet: its check needs the database
    stack.cluster.stop()
    try:
        answers = {}
        for label, path, key in (
            ("/api/v1/bills", "/api/v1/bills?limit=3", None),
            ("/api/v1/bills (key, not yet verified)", "/api/v1/bills?limit=4", uncached_key),
            ("/api/v1/votes/43-2/69", "/api/v1/votes/43-2/69", None),
            ("/api/v1/status", "/api/v1/status", None),
            ("/bills (web page)", "/bills?session=45-1", None),
            ("/readyz", "/readyz", None),
            ("/health", "/health", None),
        ):
            # Twice each: the first may find the pool still hopeful, the second meets
            # the open circuit.
            for attempt in (1, 2):
                response, seconds = stack.get(path, key=key, Accept="text/html")
                answers[(label, attempt)] = (response, seconds)
                record(FAULT, f"{label} #{attempt}", str(response.status_code), seconds)
                assert seconds < OLD_HANG_SECONDS, (label, seconds)
                assert response.status_code == 503, (label, response.text[:300])
                if not path.startswith(("/readyz", "/health")):
                    retry_after = int(response.headers["retry-after"])
                    assert 1 <= retry_after <= 5, (label, retry_after)
        problem = answers[("/api/v1/bills", 2)][0]
        assert problem.headers["content-type"] == "application/problem+json"
        assert problem.json()["title"] == "Database unavailable"
        assert answers[("/readyz", 2)][0].json()["status"] == "unready"
        # What needs no database keeps answering.
        for label, path, key in (
            ("/livez", "/livez", None),
            ("/api/v1/ping", "/api/v1/ping", None),
            ("/api/v1/ping (bad key known)", "/api/v1/ping", bad_key),
        ):
            response, seconds = stack.get(path, client=flood_client if key else None, key=key)
            record(FAULT, label, str(response.status_code), seconds)
            assert seconds < OLD_HANG_SECONDS
            assert response.status_code == (401 if key else 200), label
    finally:
        stack.cluster.start_again()

    wait_until(lambda: stack.get("/readyz")[0].status_code == 200, 60, "/readyz back to 200")
    response, seconds = stack.get("/api/v1/bills?limit=5", key=uncached_key)
    record("database started again", "/api/v1/bills (key)", str(response.status_code), seconds)
    assert response.status_code == 200
    assert stack.process.pid == pid and stack.alive()  # recovered without a restart
    # The refusals counted while the database was down were written once it came back.
    wait_until(
        lambda: (
            stack.sql(
                "SELECT coalesce(sum(count), 0) FROM audit_events"
                " WHERE action = 'api.unauthorized' AND client_ip = %s",
                (flood_client,),
            )[0][0]
            == 2
        ),
        60,
        "the refusals counted during the outage in audit_events",
    )
    # The in-process worker runs again, with a fresh heartbeat (if the outage ended its
    # worker, the supervisor started another: test_worker.py forces that case).
    wait_until(
        lambda: stack.health()["checks"]["workers"]["status"] == "healthy",
        90,
        "the in-process worker to run again",
    )
    own = stack.health()["checks"]["workers"]["in_process"]
    assert own["state"] == "running"
    record(
        "database started again", "in-process worker", f"running ({own['restarts']} restarts)", None
    )
