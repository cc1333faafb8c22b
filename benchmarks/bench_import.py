"""Bulk import of the sample district's door plates: rows/s and the ratio to pyogrio alone.

Both sides read the same GeoPackage in the same run; the import also validates, converts the CRS,
writes every row with its R*Tree (or GiST) entry and an audit row, all in one transaction.
Run: .venv/bin/python benchmarks/bench_import.py [--repeat 5] [--postgis postgresql://…]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import pyogrio
import sqlalchemy as sa

from data.sample_district import make_sample_district
from geo.io.formats import write_features
from geo.io.importer import import_file
from geo.store import Store
from geo.store.store import normalise_url


def _fresh_store(kind: str, tmp: Path, pg_url: str | None) -> tuple[Store, callable]:
    if kind == "sqlite":
        path = tmp / f"{uuid.uuid4().hex}.db"
        store = Store.open(f"sqlite:///{path}")
        store.migrate()
        return store, store.close
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in pg_url else "?"
    store = Store.open(f"{pg_url}{sep}options=-csearch_path%3D{schema},public")
    store.migrate()

    def drop() -> None:
        store.close()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()

    return store, drop


def main() -> None:
    """Time the reference read and the full import; print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgis", default=None, help="also time PostGIS at this server URL")
    args = parser.parse_args()
    plates = make_sample_district()["door_plates"]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = write_features(plates, tmp / "door_plates.gpkg", layer_name="door_plates")
        rows = len(plates)
        backends = ["sqlite"] + (["postgis"] if args.postgis else [])
        ref, ours = [], {b: [] for b in backends}
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            frame = pyogrio.read_dataframe(path)
            ref.append(time.perf_counter() - t0)
            assert len(frame) == rows
            for backend in backends:
                store, cleanup = _fresh_store(backend, tmp, args.postgis)
                t0 = time.perf_counter()
                report = import_file(store, "door_plates", path, crs="EPSG:4490", actor="bench")
                ours[backend].append(time.perf_counter() - t0)
                assert report.imported == rows == store.count("door_plates")
                cleanup()
        ref_med = statistics.median(ref)
        print(f"door plates: {rows} rows, GeoPackage {path.stat().st_size / 1e6:.1f} MB, {args.repeat} runs, medians")
        print(f"  reference pyogrio.read_dataframe: {ref_med:.3f} s  ({rows / ref_med:,.0f} rows/s)")
        for backend, times in ours.items():
            med = statistics.median(times)
            print(f"  import into {backend:7s}: {med:.3f} s  ({rows / med:,.0f} rows/s)  "
                  f"ratio to pyogrio alone: {med / ref_med:.1f}x")


if __name__ == "__main__":
    main()
