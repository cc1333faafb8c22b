"""Reading a layer as a frame: ``Store.read_frame`` against the row-by-row read it replaced, in the same run.

Every planning run, map and export reads its layers through ``Store.read_frame``. The reference is the read
before that change: ``Store.select`` (each row turned into a record, its geometry decoded by the column's type,
one row at a time) and then ``records_to_frame``. Both read the same layers of the sample district as
``xincheng init`` stores it; the two frames are compared value by value before anything is timed. Each figure
is the median of ``--repeat`` runs, the layers read one after the other.
Run: .venv/bin/python -m benchmarks.bench_read_frame [--repeat 5] [--postgis postgresql://…]
"""

from __future__ import annotations

import argparse
import statistics
import time

from benchmarks.servers import postgis_reachable, sample_database
from geo.store import Store
from geo.store.store import records_to_frame

LAYERS = ("door_plates", "streets", "facilities", "admin_units", "boundary_markers")


def _reference(store: Store, name: str):
    return records_to_frame(store.select(name), store.table(name))


def _timed(read, store: Store, repeat: int) -> float:
    """Return the median time to read every layer of :data:`LAYERS` once."""
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for name in LAYERS:
            read(store, name)
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgis", default=None, help="also time PostGIS at this server URL")
    args = parser.parse_args()
    backends = ["sqlite"]
    if args.postgis:
        why = postgis_reachable(args.postgis)
        if why:
            print(f"PostGIS skipped: {why}")
        else:
            backends.append("postgis")
    for backend in backends:
        with sample_database(backend, postgis_url=args.postgis) as url:
            store = Store.open(url)
            rows = {name: store.count(name) for name in LAYERS}
            for name in LAYERS:  # the same frame, value by value, before anything is timed
                ours, ref = store.read_frame(name), _reference(store, name)
                assert list(ours.columns) == list(ref.columns), name
                assert ours.drop(columns="geometry").equals(ref.drop(columns="geometry")), name
                assert ours.geometry.geom_equals_exact(ref.geometry, 0).all(), name
            ref_s = _timed(_reference, store, args.repeat)
            ours_s = _timed(lambda s, n: s.read_frame(n), store, args.repeat)
            store.close()
        print(f"{backend:7s} {', '.join(f'{n} {c:,}' for n, c in rows.items())} rows, median of {args.repeat}: "
              f"row by row {ref_s:.3f} s, read_frame {ours_s:.3f} s: {ours_s / ref_s:.2f}x the time")


if __name__ == "__main__":
    main()
