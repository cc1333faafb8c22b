"""Restore of the sample district's backup: the bulk load against row-by-row inserts, in the same run.

``xincheng restore`` loads every table of a backup in one transaction. It loads each table through
:func:`geo.store.bulk.load_rows` (PostgreSQL ``COPY`` into the district's partitions; SQLite one
``executemany`` per batch with the R*Tree packed in one pass). The reference is the same restore with
each table inserted as before that change: SQLAlchemy's ``insert()`` with the decoded rows, 2,000 a
statement, the R*Tree filled by its per-row trigger. Both restore the same archive into a fresh database
(a fresh schema on PostGIS), checks included; each figure is the median of ``--repeat`` runs.
Run: .venv/bin/python -m benchmarks.bench_restore [--repeat 5] [--postgis postgresql://…]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks.servers import postgis_database
from geo.restore_rules import check_restored
from geo.store import Store
from geo.store import backup as backup_module


def _rows_one_by_one(path: Path | str, conn: sa.Connection, table: sa.Table, data: bytes) -> int:
    """The reference: each line decoded and inserted through SQLAlchemy, 2,000 rows a statement."""
    rows: list[dict[str, Any]] = []
    count = 0
    for line in io.BytesIO(data):
        rows.append({k: backup_module._decode(v) for k, v in json.loads(line).items()})
        if len(rows) >= 2000:
            conn.execute(table.insert(), rows)
            count, rows = count + len(rows), []
    if rows:
        conn.execute(table.insert(), rows)
        count += len(rows)
    return count


@contextmanager
def _fresh(kind: str, tmp: Path, pg_url: str | None) -> Iterator[Store]:
    """Yield an empty, migrated store (a new SQLite file, or a new PostGIS database, dropped afterwards)."""
    with ExitStack() as stack:
        url = (f"sqlite:///{tmp / f'{uuid.uuid4().hex}.db'}" if kind == "sqlite"
               else stack.enter_context(postgis_database(str(pg_url))))
        store = Store.open(url)
        stack.callback(store.close)
        store.migrate()
        yield store


def _timed_restore(kind: str, tmp: Path, pg_url: str | None, archive: Path,
                   loader: Callable[..., int] | None) -> float:
    """Restore ``archive`` into a fresh store with ``loader`` (None: the service's own); return seconds."""
    original = backup_module._load_table
    if loader is not None:
        backup_module._load_table = loader  # type: ignore[assignment]
    try:
        with _fresh(kind, tmp, pg_url) as store:
            t0 = time.perf_counter()
            counts = backup_module.restore_backup(store, archive, checks=[check_restored])
            took = time.perf_counter() - t0
            assert counts["door_plates"] == store.count("door_plates") > 0
    finally:
        backup_module._load_table = original  # type: ignore[assignment]
    return took


def main() -> None:
    """Write the sample's backup, restore it both ways on each backend; print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgis", default=None, help="also time PostGIS at this server URL")
    args = parser.parse_args()
    from data.sample_district import make_sample_district
    from geo.io.importer import load_layers

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        source = Store.open(f"sqlite:///{tmp / 'source.db'}")
        source.migrate()
        sample = make_sample_district()
        load_layers(source, sample.layers, actor="bench", addresses=getattr(sample, "addresses", None),
                    street_signs=getattr(sample, "street_signs", None))
        archive = tmp / "sample.zip"
        manifest = backup_module.write_backup(source, archive)
        source.close()
        rows = sum(t["rows"] for t in manifest["tables"].values())
        print(f"sample backup: {rows:,} rows, {archive.stat().st_size / 1e6:.1f} MB; medians of {args.repeat} runs")
        for kind in ["sqlite"] + (["postgis"] if args.postgis else []):
            ours, ref = [], []
            for _ in range(args.repeat):  # alternated, so both meet the same machine
                ref.append(_timed_restore(kind, tmp, args.postgis, archive, _rows_one_by_one))
                ours.append(_timed_restore(kind, tmp, args.postgis, archive, None))
            o, r = statistics.median(ours), statistics.median(ref)
            print(f"  {kind:7s} restore (bulk load): {o:.2f} s; row-by-row inserts: {r:.2f} s; "
                  f"time ratio {o / r:.2f}x ({r / o:.1f}x faster)")


if __name__ == "__main__":
    main()
