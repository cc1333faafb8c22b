"""Bulk import of the sample district's door plates: rows/s, the ratio to pyogrio alone, other writers' waits.

Both sides read the same GeoPackage in the same run; the import also validates (every rule a plate write
passes, against the rest of the sample district stored first), converts the CRS, and writes every row
with its R*Tree (or GiST) entry and its audit rows, all in one transaction. The import runs Python's
garbage collector rarely (geo.collection); the reference read and GDAL's copy are timed at the same pace.
After the timed runs, one more import runs beside a second process that makes small writes in a loop;
its worst wait is printed against the busy timeout (SQLite) a writer gives up after. For scale, GDAL's
own copy of the same file (read, then write a GeoPackage with its R-tree, as ``ogr2ogr`` does) is timed
against the read too. Each run then upserts every plate back with one field changed (households + 1, the file an
export gives, ``--mode upsert``): version-checked updates of 34,710 stored records with their before/after audit rows,
timed against the read of that file.
Run: .venv/bin/python benchmarks/bench_import.py [--repeat 5] [--postgis postgresql://…]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pyogrio
import sqlalchemy as sa

from data.sample_district import make_sample_district
from geo.collection import collecting_rarely
from geo.io.formats import write_features
from geo.io.importer import export_layer, import_file, load_layers
from geo.store import Store
from geo.store.store import normalise_url

PROBE_PAUSE_S = 0.02  # between the other writer's small writes


def _fresh_store(kind: str, tmp: Path, pg_url: str | None, layers) -> tuple[Store, Callable[[], None], str]:
    """Return a store holding the sample district without its plates, how to drop it, and its URL."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp / f'{uuid.uuid4().hex}.db'}"
        store = Store.open(url)
        store.migrate()
        load_layers(store, layers, actor="bench")
        return store, store.close, url
    assert pg_url is not None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in pg_url else "?"
    url = f"{pg_url}{sep}options=-csearch_path%3D{schema},public"
    store = Store.open(url)
    store.migrate()
    load_layers(store, layers, actor="bench")

    def drop() -> None:
        store.close()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()

    return store, drop, url


def _other_writer(url: str, stop, out) -> None:
    """Make one small write transaction after another until ``stop``; report the worst and count."""
    store = Store.open(url)
    worst_s, count, failed = 0.0, 0, ""
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            store.record_refused("facilities", 0, {"probe": count}, expected_version=0, actor="bench-probe")
        except sa.exc.OperationalError as exc:  # "database is locked": the busy timeout ran out
            failed = str(exc.orig)
        worst_s = max(worst_s, time.perf_counter() - t0)
        count += 1
        time.sleep(PROBE_PAUSE_S)
    store.close()
    out.put((worst_s, count, failed))


def _busy_timeout_s(store: Store) -> float | None:
    """Return how long a SQLite writer waits for the lock before failing (None: PostgreSQL waits)."""
    if store.dialect != "sqlite":
        return None
    with store.reading() as conn:
        return int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) / 1000


def _probed_import(backend: str, tmp: Path, pg_url: str | None, layers, path: Path) -> str:
    """Import once beside the other writer; return the line describing its worst wait."""
    store, cleanup, url = _fresh_store(backend, tmp, pg_url, layers)
    ctx = mp.get_context("spawn")
    stop, out = ctx.Event(), ctx.Queue()
    writer = ctx.Process(target=_other_writer, args=(url, stop, out))
    writer.start()
    time.sleep(1.5)  # the writer has started and written
    t0 = time.perf_counter()
    import_file(store, "door_plates", path, crs="EPSG:4490", actor="bench")
    took = time.perf_counter() - t0
    time.sleep(0.2)
    stop.set()
    worst_s, count, failed = out.get(timeout=60)
    writer.join(timeout=30)
    timeout = _busy_timeout_s(store)
    cleanup()
    limit = f"busy timeout {timeout:.0f} s, {worst_s / timeout:.1%} of it" if timeout else "no timeout (waits)"
    result = f"FAILED: {failed}" if failed else "none failed"
    return (f"  other writer during the {backend} import ({took:.2f} s): {count} small writes, worst wait "
            f"{worst_s:.3f} s ({limit}); {result}")


def _edited_export(store: Store, path: Path) -> Path:
    """Export the stored plates (with id and version) and add one household to each (an empty count as 0): an
    upsert's file."""
    export_layer(store, "door_plates", path)
    frame = pyogrio.read_dataframe(path)
    frame["households"] = frame["households"].fillna(0).astype(int) + 1
    pyogrio.write_dataframe(frame, path, layer="door_plates")
    return path


def main() -> None:
    """Time the reference read and the full import; print medians, ratios and the other writer's worst wait."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgis", default=None, help="also time PostGIS at this server URL")
    args = parser.parse_args()
    sample = make_sample_district()
    plates = sample["door_plates"]
    layers = {name: frame for name, frame in sample.layers.items() if name != "door_plates"}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = write_features(plates, tmp / "door_plates.gpkg", layer_name="door_plates")
        rows = len(plates)
        backends = ["sqlite"] + (["postgis"] if args.postgis else [])
        ref: dict[str, list[float]] = {b: [] for b in backends}
        ours: dict[str, list[float]] = {b: [] for b in backends}
        copies: list[float] = []  # GDAL itself copying the file: read, then write a GeoPackage with its R-tree
        upserts: dict[str, list[float]] = {b: [] for b in backends}
        upsert_refs: dict[str, list[float]] = {b: [] for b in backends}
        for run in range(args.repeat):
            t0 = time.perf_counter()
            with collecting_rarely():
                pyogrio.write_dataframe(pyogrio.read_dataframe(path), tmp / f"copy{run}.gpkg", layer="door_plates")
            copies.append(time.perf_counter() - t0)
            for backend in backends:
                store, cleanup, _url = _fresh_store(backend, tmp, args.postgis, layers)
                t0 = time.perf_counter()
                with collecting_rarely():  # at the import's pace of collections
                    frame = pyogrio.read_dataframe(path)
                ref[backend].append(time.perf_counter() - t0)
                assert len(frame) == rows
                t0 = time.perf_counter()
                report = import_file(store, "door_plates", path, crs="EPSG:4490", actor="bench")
                ours[backend].append(time.perf_counter() - t0)
                assert report.imported == rows == store.count("door_plates")
                edited = _edited_export(store, tmp / f"upsert_{backend}{run}.gpkg")
                t0 = time.perf_counter()
                with collecting_rarely():
                    pyogrio.read_dataframe(edited)
                upsert_refs[backend].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                report = import_file(store, "door_plates", edited, crs="EPSG:4490", actor="bench", mode="upsert")
                upserts[backend].append(time.perf_counter() - t0)
                assert len(report.updated_ids) == rows
                cleanup()
        print(f"door plates: {rows} rows, GeoPackage {path.stat().st_size / 1e6:.1f} MB, {args.repeat} runs, medians")
        for backend in backends:
            ref_med, med = statistics.median(ref[backend]), statistics.median(ours[backend])
            print(f"  {backend:7s} pyogrio.read_dataframe: {ref_med:.3f} s ({rows / ref_med:,.0f} rows/s); "
                  f"import: {med:.3f} s ({rows / med:,.0f} rows/s); import rate / read rate: {ref_med / med:.2f}x "
                  "(goal >= 0.5x)")
        for backend in backends:
            ref_med, med = statistics.median(upsert_refs[backend]), statistics.median(upserts[backend])
            print(f"  {backend:7s} upsert of every plate (households + 1): {med:.2f} s ({rows / med:,.0f} rows/s); "
                  f"read of that file {ref_med:.3f} s: upsert rate / read rate {ref_med / med:.3f}x")
        copy_med, read_med = statistics.median(copies), statistics.median(ref[backends[0]])
        print(f"  for scale: GDAL's own copy of the file (pyogrio read, then write a GeoPackage with its R-tree): "
              f"{copy_med:.3f} s, its rate / read rate: {read_med / copy_med:.2f}x")
        for backend in backends:
            print(_probed_import(backend, tmp, args.postgis, layers, path))


if __name__ == "__main__":
    main()
