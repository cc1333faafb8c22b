"""Insert many records at the driver's speed, with the same rows and audit rows as :meth:`Store.insert`.

:meth:`Store.insert` goes through SQLAlchemy's insert-many-values path, which builds and binds one
statement per few hundred rows in Python. An import of tens of thousands of rows spends most of its
write time there, and on SQLite that time is time the write lock is held. Here the rows are encoded
once, column by column, with the same type processors SQLAlchemy would apply (:func:`prepare_bulk`,
before the caller takes the write lock), then handed to the driver whole (:func:`bulk_insert`):

* SQLite: one prepared ``INSERT`` run by ``executemany`` per batch; the new ids are the ids above the
  largest id read first, since the caller holds the write lock (``BEGIN IMMEDIATE``). The R*Tree is
  filled after the rows, not by its per-row trigger (which more than doubles the write time): packed in
  one pass when it is empty (:mod:`geo.store.rtree_bulk`), else by one insert of the new entries; the
  trigger is dropped and created again, as stored, inside the same transaction, so no other connection
  ever sees the table without it.
* PostgreSQL: ``COPY`` into a temporary staging table, then one ``INSERT … SELECT`` into the table
  (the geometry arrives as hex EWKB with its SRID, so the GiST index is filled by that one statement)
  returning the new ids.

The audit rows are those of ``Store.insert(audit="batch")`` for each batch of ``batch_size`` records:
one ``bulk_create`` row naming the count and the first and last id, so the change feed and the cache
version see the import as before. Everything runs in the caller's transaction: nothing stays if any
part fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from geo.store import schema
from geo.store.driver_rows import STAGE_ORDER, copy_rows
from geo.store.rtree_bulk import fill_rtree
from geo.store.spatial_sql import Geometry, driver_values, encode_geometries, rtree_name
from geo.store.store import Store

DEFAULT_BATCH = 5_000


@dataclass(frozen=True)
class PreparedRows:
    """Rows ready for the driver: the table, its columns and one tuple of driver values per record."""

    table_name: str
    keys: tuple[str, ...]
    values: list[tuple[Any, ...]]
    now: datetime


def prepare_bulk(store: Store, table_name: str, records: Sequence[Mapping[str, Any]]) -> PreparedRows:
    """Prepare records as :meth:`Store.insert` does (defaults, control characters refused, geometry encoded
    with its envelope) and encode them for the driver; no database is touched, so it runs before the lock."""
    table = store.table(table_name)
    now = datetime.now(UTC)
    columns = store.prepare_columns(table, records, now) if records else {}
    keys = tuple(sorted(columns))
    dialect = store.engine.dialect
    encoded = [driver_values(table.c[key], columns[key], dialect) for key in keys]
    return PreparedRows(table_name, keys, list(zip(*encoded, strict=True)), now)


def _write_sqlite(conn: sa.Connection, table: sa.Table, keys: Sequence[str], batches: Iterable[list[tuple[Any, ...]]],
                  *, progress: Callable[[int], None] | None,
                  added: Callable[[], list[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
    """Run one prepared ``INSERT`` per batch (the driver's executemany) with the R*Tree's insert trigger set
    aside, then add the entries of the rows ``added`` returns (``(id, minx, maxx, miny, maxy)``, read back after
    the inserts) in bulk and create the trigger again as stored; return those rows. Without such a trigger (a
    table with no geometry) the rows are only inserted and ``added`` is still read."""
    trigger = f"{table.name}_rtree_ins"
    trigger_sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                                       (trigger,)).scalar()
    if trigger_sql:
        conn.exec_driver_sql(f'DROP TRIGGER "{trigger}"')
    names = ", ".join(f'"{k}"' for k in keys)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" for _ in keys)})'
    for chunk in batches:
        conn.exec_driver_sql(sql, chunk)  # a list of tuples: the driver's executemany
        if progress:
            progress(len(chunk))
    rows = added()
    if trigger_sql:
        # What the trigger would have done, in bulk (packed when the index is empty), then the trigger as it was.
        fill_rtree(conn.connection.dbapi_connection, index=rtree_name(table.name), rows=rows)  # type: ignore[arg-type]
        conn.exec_driver_sql(trigger_sql)
    return rows


def _envelopes(conn: sa.Connection, table: sa.Table, *, above_id: int) -> list[tuple[Any, ...]]:
    """Return ``(id, minx, maxx, miny, maxy)`` of the rows whose id is above ``above_id``, in id order."""
    if "minx" not in table.c:
        return [tuple(r) for r in conn.execute(sa.select(table.c.id).where(table.c.id > above_id)
                                                .order_by(table.c.id))]
    # The driver's own cursor: tens of thousands of plain tuples, without a result row object made for each.
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        cursor.execute(f'SELECT id, minx, maxx, miny, maxy FROM "{table.name}" WHERE id > ? ORDER BY id', (above_id,))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _insert_sqlite(conn: sa.Connection, table: sa.Table, keys: Sequence[str], values: list[tuple[Any, ...]],
                   *, batch_size: int, progress: Callable[[int], None] | None) -> list[int]:
    """Insert new records; their ids are the ids above the largest one read first (the caller holds the
    write lock, ``BEGIN IMMEDIATE``)."""
    before = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar() or 0)
    batches = (values[start:start + batch_size] for start in range(0, len(values), batch_size))
    rows = _write_sqlite(conn, table, keys, batches, progress=progress,
                         added=lambda: _envelopes(conn, table, above_id=before))
    return [int(r[0]) for r in rows]


def _insert_postgresql(conn: sa.Connection, table: sa.Table, keys: Sequence[str], values: list[tuple[Any, ...]],
                       *, batch_size: int, progress: Callable[[int], None] | None) -> list[int]:
    stage = f"xc_stage_{table.name}"
    names = ", ".join(f'"{k}"' for k in keys)
    conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{stage}"')
    conn.exec_driver_sql(f'CREATE TEMP TABLE "{stage}" ON COMMIT DROP AS SELECT {names} FROM "{table.name}" '
                         "WITH NO DATA")
    conn.exec_driver_sql(f'ALTER TABLE "{stage}" ADD COLUMN {STAGE_ORDER} bigint')
    copy_rows(conn, stage, keys, values, numbered=True, batch_size=batch_size, progress=progress)
    result = conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{stage}" '
                                  f"ORDER BY {STAGE_ORDER} RETURNING id")
    ids = sorted(int(r[0]) for r in result)
    conn.exec_driver_sql(f'DROP TABLE "{stage}"')
    return ids


def bulk_insert(store: Store, rows: PreparedRows, *, actor: str, conn: sa.Connection, note: str | None = None,
                batch_size: int = DEFAULT_BATCH, progress: Callable[[int], None] | None = None) -> list[int]:
    """Insert prepared rows (:func:`prepare_bulk`) in the caller's write transaction; return the new ids in order.

    One ``bulk_create`` audit row is written per ``batch_size`` records, as ``Store.insert(audit="batch")``
    writes per call; ``progress`` is called with the number of records of each batch written.
    """
    if not rows.values:
        return []
    table = store.table(rows.table_name)
    insert = _insert_postgresql if conn.dialect.name == "postgresql" else _insert_sqlite
    ids = insert(conn, table, rows.keys, rows.values, batch_size=batch_size, progress=progress)
    if len(ids) != len(rows.values):  # pragma: no cover - the write lock (SQLite) or RETURNING rule it out
        raise RuntimeError(f"bulk insert into {table.name}: {len(rows.values)} rows sent, {len(ids)} ids found")
    batches = [ids[start:start + batch_size] for start in range(0, len(ids), batch_size)]
    conn.execute(schema.audit_log.insert(), [
        {"adcode": store.adcode, "table_name": table.name, "record_id": None, "action": "bulk_create",
         "actor": actor, "at": rows.now, "before": None, "note": note,
         "after": json.dumps({"count": len(batch), "first_id": batch[0], "last_id": batch[-1]})}
        for batch in batches])
    return ids


def load_rows(conn: sa.Connection, table: sa.Table, keys: Sequence[str],
              chunks: Iterable[Mapping[str, list[Any]]]) -> int:
    """Write rows exactly as given, ids included, with no audit rows and no checks: a restore's load
    (:func:`geo.store.backup.restore_backup`, which checks the lines as they come and the content after);
    return the number of rows.

    Each chunk maps every one of ``keys`` (``id`` among them) to equally long lists of values (shapely
    geometries for a geometry column), so only one chunk is held at a time. On PostgreSQL one ``COPY`` per
    chunk into the table (a partitioned one routes each row to its district's partition, its triggers fire as
    for an ``INSERT``); on SQLite the driver's executemany with the R*Tree filled in bulk after the last chunk,
    as :func:`bulk_insert` fills it.
    """
    if "id" not in keys:
        raise ValueError("load_rows writes rows with their ids")
    dialect = conn.dialect
    ids: set[int] = set()
    written = [0]

    def encoded(columns: Mapping[str, list[Any]]) -> list[tuple[Any, ...]]:
        ids.update(int(v) for v in columns["id"])
        values = [encode_geometries(dialect.name, columns[key]) if isinstance(table.c[key].type, Geometry)
                  else driver_values(table.c[key], columns[key], dialect) for key in keys]
        written[0] += len(values[0]) if values else 0
        return list(zip(*values, strict=True))

    if dialect.name == "postgresql":
        for columns in chunks:
            rows = encoded(columns)
            copy_rows(conn, table.name, keys, rows, numbered=False, batch_size=max(len(rows), 1), progress=None)
        return written[0]
    _write_sqlite(conn, table, keys, (encoded(columns) for columns in chunks), progress=None,
                  added=lambda: [r for r in _envelopes(conn, table, above_id=min(ids, default=0) - 1) if r[0] in ids])
    return written[0]
