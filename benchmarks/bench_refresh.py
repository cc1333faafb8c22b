"""Coverage refresh of the districts a database holds: in this process, and on 1 and 2 Dask workers.

Prints, in one run on the same data, the median time of a full refresh (every district held, or
``--districts``) in this process (the single-process reference), on a LocalCluster of 1 worker
process and on one of 2, and the speed-up ratios (issue #19 item 6: 2 workers at least 1.7x one on a
2-core machine). Each cluster is started once (its start-up printed apart) and warmed by one refresh
(the workers import the service), so the medians are the refreshes themselves. Refreshing writes:
each run replaces the districts' stored coverage rows (derived data, nothing else changes).

Run: .venv/bin/python benchmarks/bench_refresh.py --database-url postgresql://… [--districts a,b] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from geo.planning.coverage import WalkParams
from geo.planning.refresh_cluster import (
    RefreshReport,
    chosen_districts,
    local_cluster,
    refresh_in_process,
    refresh_on_cluster,
)
from geo.store import Store


def _median(run: Callable[[], RefreshReport], repeat: int) -> float:
    """Return the median seconds of ``repeat`` refreshes; a refresh with a failed district stops the benchmark."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        report = run()
        times.append(time.perf_counter() - started)
        if report.failed:
            raise SystemExit("refresh failed: " + "; ".join(f"{o.adcode}: {o.error}" for o in report.failed))
    return statistics.median(times)


def _on_workers(url: str, adcodes: list[str], workers: int, repeat: int) -> tuple[float, float]:
    """Return the cluster's start-up seconds and the median refresh on ``workers`` worker processes."""
    params = WalkParams()
    started = time.perf_counter()
    with local_cluster(workers=workers) as client:
        client.wait_for_workers(workers)
        startup_s = time.perf_counter() - started

        def run() -> RefreshReport:
            return refresh_on_cluster(client, url, adcodes, params=params, actor="benchmark")

        # warm-up: each worker imports the service and reads a district once (not a whole refresh)
        refresh_on_cluster(client, url, adcodes[:workers], params=params, actor="benchmark")
        return startup_s, _median(run, repeat)


def main() -> None:
    """Refresh the districts three ways and print medians and the speed-up ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostGIS database holding the districts")
    parser.add_argument("--districts", default=None, help="comma-separated adcodes (default: every one held)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    store = Store.open(args.database_url)
    try:
        store.migrate()
        adcodes = chosen_districts(store, args.districts.split(",") if args.districts else None)
    finally:
        store.close()
    print(f"districts: {len(adcodes)} ({', '.join(adcodes[:8])}{' …' if len(adcodes) > 8 else ''}); "
          f"repeat {args.repeat}")
    if len(adcodes) < 2:
        print("note: one district is one task; 2 workers cannot be faster than 1 on it")
    params = WalkParams()
    in_process = _median(lambda: refresh_in_process(args.database_url, adcodes, params=params, actor="benchmark"),
                         args.repeat)
    start_1, one = _on_workers(args.database_url, adcodes, 1, args.repeat)
    start_2, two = _on_workers(args.database_url, adcodes, 2, args.repeat)
    print(f"in process          median {in_process:7.2f} s")
    print(f"1 worker            median {one:7.2f} s   (cluster start-up {start_1:.1f} s)")
    print(f"2 workers           median {two:7.2f} s   (cluster start-up {start_2:.1f} s)")
    print(f"speed-up 2 workers vs 1 worker:   {one / two:.2f}x (goal >= 1.7x on 2 cores)")
    print(f"speed-up 2 workers vs in process: {in_process / two:.2f}x")


if __name__ == "__main__":
    main()
