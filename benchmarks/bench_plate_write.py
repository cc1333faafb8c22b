"""One plate written by an officer: the checks' narrow read against the district-wide read, in the same run.

Creating a plate checks it against its street (the street exists and is in force, DP-04: its number is not
taken) and gives it a fresh uid. The checks read only the plate's street, that street's plates and the uids
they name (:func:`geo.plates.rules.load_plate_context` with ``for_records``); the reference is the same
write with the read that an import of more than ``NARROW_CONTEXT_MAX`` plates makes: every street and every
plate of the district. Both create plates on the same street of the sample district, alternated, in one
store per backend; each figure is the median of ``--repeat`` writes (the first two of each left out).
Run: .venv/bin/python -m benchmarks.bench_plate_write [--repeat 25] [--postgis postgresql://…]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from benchmarks.servers import postgis_database
from geo.generic_writes import create_feature
from geo.plates import rules
from geo.store import Store


@contextmanager
def _sample_store(kind: str, tmp: Path, pg_url: str | None, sample: object) -> Iterator[Store]:
    """Yield a store holding the sample district (a new SQLite file or PostGIS database, dropped afterwards)."""
    from geo.io.importer import load_layers

    with ExitStack() as stack:
        url = (f"sqlite:///{tmp / f'{kind}.db'}" if kind == "sqlite"
               else stack.enter_context(postgis_database(str(pg_url))))
        store = Store.open(url)
        stack.callback(store.close)
        store.migrate()
        load_layers(store, sample.layers, actor="bench")  # type: ignore[attr-defined]
        yield store


def _timed_writes(store: Store, *, repeat: int) -> tuple[list[float], list[float]]:
    """Create ``repeat`` plates each way, alternated; return the seconds of each (narrow, district-wide)."""
    plate = store.select("door_plates", where={"status": "active"}, limit=1, offset=500)[0]
    narrow, whole = [], []
    for i in range(repeat):
        for times, largest_narrow in ((narrow, rules.NARROW_CONTEXT_MAX), (whole, -1)):
            number = plate["number"] + 20_000 + 2 * i + (times is whole)
            record = {"street_name": plate["street_name"], "number": number, "geometry": plate["geometry"],
                      "community_code": plate["community_code"]}
            saved, rules.NARROW_CONTEXT_MAX = rules.NARROW_CONTEXT_MAX, largest_narrow
            try:
                started = time.perf_counter()
                create_feature(store, "door_plates", record, actor="bench")
                times.append(time.perf_counter() - started)
            finally:
                rules.NARROW_CONTEXT_MAX = saved
    return narrow[2:], whole[2:]


def main() -> None:
    """Build the sample on each backend, create plates both ways; print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=25)
    parser.add_argument("--postgis", default=None, help="also time PostGIS at this server URL")
    args = parser.parse_args()
    from data.sample_district import make_sample_district

    sample = make_sample_district()
    print(f"one plate created {args.repeat} times each way on one street of the sample district "
          f"({len(sample.layers['door_plates']):,} plates); medians")
    with tempfile.TemporaryDirectory() as tmp_name:
        for kind in ["sqlite"] + (["postgis"] if args.postgis else []):
            with _sample_store(kind, Path(tmp_name), args.postgis, sample) as store:
                narrow, whole = _timed_writes(store, repeat=args.repeat)
            n, w = statistics.median(narrow), statistics.median(whole)
            print(f"  {kind:7s} narrow read: {1e3 * n:.1f} ms; district-wide read: {1e3 * w:.1f} ms; "
                  f"time ratio {n / w:.2f}x ({w / n:.1f}x faster)")


if __name__ == "__main__":
    main()
