"""How long this machine keeps a runnable task off its CPU: one probe per CPU, pinned, that
asks to wake every millisecond and records how late it woke.

Run it beside a load (`python -m bench.stalls --seconds 60` while `python -m bench.api`
runs its open loop). As root the probes run at real-time priority (SCHED_FIFO), so no task
of this machine can delay them: a late wake-up is the kernel's or the hypervisor's (a vCPU
the host did not run, or woke late from halt). Without root they run at normal priority
and also count waits behind other tasks; the output says which.

Why it exists: the API's open-loop tail latency goal is measured against a sub-millisecond
p50, and on a shared VM the host's stalls alone exceed it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass

BOUNDS_MS = (0.1, 0.5, 1.0, 2.0, 5.0)
PERIOD_S = 0.001


@dataclass
class ProbeResult:
    cpu: int
    realtime: bool
    wakeups: int
    counts: list[int]  # per bucket: < 0.1, < 0.5, < 1, < 2, < 5, >= 5 ms late
    worst_ms: float


def bucket(late_ms: float) -> int:
    for index, bound in enumerate(BOUNDS_MS):
        if late_ms < bound:
            return index
    return len(BOUNDS_MS)


def probe(cpu: int, seconds: float, results: multiprocessing.Queue[ProbeResult]) -> None:
    os.sched_setaffinity(0, {cpu})
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
        realtime = True
    except PermissionError:
        realtime = False
    counts = [0] * (len(BOUNDS_MS) + 1)
    worst = 0.0
    wakeups = 0
    end = time.monotonic() + seconds
    while (started := time.monotonic()) < end:
        time.sleep(PERIOD_S)
        late_ms = (time.monotonic() - started - PERIOD_S) * 1000
        counts[bucket(late_ms)] += 1
        worst = max(worst, late_ms)
        wakeups += 1
    results.put(ProbeResult(cpu, realtime, wakeups, counts, worst))


def run(seconds: float) -> list[ProbeResult]:
    results: multiprocessing.Queue[ProbeResult] = multiprocessing.Queue()
    cpus = sorted(os.sched_getaffinity(0))
    processes = [
        multiprocessing.Process(target=probe, args=(cpu, seconds, results)) for cpu in cpus
    ]
    for process in processes:
        process.start()
    collected = [results.get(timeout=seconds + 30) for _ in processes]
    for process in processes:
        process.join()
    return sorted(collected, key=lambda result: result.cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CPU stall probe (prints its figures)")
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    results = run(args.seconds)
    labels = ["<0.1", "<0.5", "<1", "<2", "<5", ">=5"]
    print(f"wake-up lateness of a 1 ms sleep, per CPU, {args.seconds:.0f} s")
    print(
        f"{'cpu':>4} {'priority':>9} {'wakeups':>8}"
        + "".join(f"{x + ' ms':>9}" for x in labels)
        + f"{'worst ms':>10}"
    )
    for result in results:
        priority = "FIFO 50" if result.realtime else "normal"
        print(
            f"{result.cpu:>4} {priority:>9} {result.wakeups:>8}"
            + "".join(f"{count:>9}" for count in result.counts)
            + f"{result.worst_ms:>10.2f}"
        )
    if not all(result.realtime for result in results):
        print("(not root: the probes ran at normal priority, so waits behind other tasks count)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
