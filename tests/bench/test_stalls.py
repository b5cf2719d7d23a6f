"""The CPU stall probe behind the open-loop figures: its buckets and a short real run."""

from __future__ import annotations

import os

import pytest

from bench.stalls import bucket, run


@pytest.mark.parametrize(
    ("late_ms", "expected"),
    [(0.0, 0), (0.099, 0), (0.1, 1), (0.75, 2), (1.0, 3), (4.99, 4), (5.0, 5), (80.0, 5)],
)
def test_lateness_falls_in_the_bucket_below_its_bound(late_ms: float, expected: int) -> None:
    assert bucket(late_ms) == expected


def test_one_probe_per_cpu_counts_every_wakeup() -> None:
    results = run(0.3)
    assert [result.cpu for result in results] == sorted(os.sched_getaffinity(0))
    for result in results:
        # A 1 ms period over 0.3 s: some wake-ups, never more than the period allows.
        assert 0 < result.wakeups <= 300
        assert sum(result.counts) == result.wakeups
        assert result.worst_ms >= 0
