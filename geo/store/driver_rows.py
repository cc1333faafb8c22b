"""Many rows handed to the driver whole: ``COPY`` on PostgreSQL, and the audit rows of a batch in one call.

SQLAlchemy's executemany binds each value of each row through its type processors in Python, and on SQLite the
audit log's commit numbering (revision 0006) rewrote every row it numbered: a per-row trigger updating the row it
had just inserted. For the 34,710 audit rows of an upsert of every sample plate that was 1.8–2.0 s on SQLite
(0.85 s numbered at insert, through the driver) and 1.6 s of inserting on PostgreSQL (0.9–1.0 s by ``COPY``) in
one sitting. :func:`insert_audit_rows` writes them so:

* SQLite: writers hold the database's one write lock (``BEGIN IMMEDIATE``) until they commit, so numbering
  from ``max(seq) + 1`` in insertion order is exactly what the per-row trigger does (it fires only for a row
  without a number), without rewriting each row.
* PostgreSQL: the rows go in without a number, as any row does, and revision 0006's deferred trigger numbers
  them at ``COMMIT`` under its advisory lock. Numbering them here would mean taking that lock before the
  transaction's last statement: a transaction holding it could then wait for a row another one holds while
  that one waits for the lock to commit (a deadlock). The trigger's commit-time work stays (since revision 0017
  one numbering statement, its other firings returning at once: 0.78 s for 34,710 rows).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from geo.store import schema
from geo.store.spatial_sql import driver_values

AUDIT_KEYS = ("adcode", "table_name", "record_id", "action", "actor", "at", "before", "after", "note")
STAGE_ORDER = "xc_row"  # a staged row's position, the last column when numbered
_STAGED_FROM = 200  # audit rows from which PostgreSQL's are staged by COPY (a temporary table costs a few ms)


def copy_rows(conn: sa.Connection, target: str, keys: Sequence[str], values: Sequence[tuple[Any, ...]], *,
              numbered: bool, batch_size: int, progress: Callable[[int], None] | None) -> None:
    """``COPY`` ``values`` into table ``target`` (a name from the schema, never user text); ``numbered`` adds each
    row's position as the last column (:data:`STAGE_ORDER`). A refusal raises as a failed statement would."""
    names = ", ".join(f'"{k}"' for k in keys) + (f", {STAGE_ORDER}" if numbered else "")
    copy_sql = f'COPY "{target}" ({names}) FROM STDIN'
    dbapi = conn.dialect.loaded_dbapi
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(copy_sql) as copy:
            for i, row in enumerate(values):
                copy.write_row((*row, i) if numbered else row)
                if progress and (i + 1) % batch_size == 0:
                    progress(batch_size)
    except dbapi.Error as exc:  # the same exception types as a failed statement's
        raise sa.exc.DBAPIError.instance(copy_sql, None, exc, dbapi.Error, hide_parameters=True,
                                         dialect=conn.dialect) from None
    finally:
        cursor.close()
    if progress and len(values) % batch_size:
        progress(len(values) % batch_size)


def insert_audit_rows(conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert audit rows (each with every one of :data:`AUDIT_KEYS`) in the caller's write transaction through the
    driver in one call, numbered in commit order (see the module's notes)."""
    if not rows:
        return
    table, dialect = schema.audit_log, conn.dialect
    values: list[tuple[Any, ...]] = list(zip(
        *(driver_values(table.c[key], [row[key] for row in rows], dialect) for key in AUDIT_KEYS), strict=True))
    if dialect.name == "sqlite":  # the caller holds the write lock until it commits: the next numbers are its own
        first = int(conn.exec_driver_sql("SELECT coalesce(max(seq), 0) + 1 FROM audit_log").scalar() or 1)
        numbered = [(*row, seq) for row, seq in zip(values, range(first, first + len(values)), strict=True)]
        conn.exec_driver_sql(f"INSERT INTO audit_log ({', '.join(AUDIT_KEYS)}, seq) "
                             f"VALUES ({', '.join('?' for _ in range(len(AUDIT_KEYS) + 1))})", numbered)
        return
    names = ", ".join(AUDIT_KEYS)
    if len(values) < _STAGED_FROM:
        conn.exec_driver_sql(f"INSERT INTO audit_log ({names}) VALUES ({', '.join('%s' for _ in AUDIT_KEYS)})",
                             values)  # the driver's executemany
        return
    # COPY cannot write a table with row-level security (the district scope, revision 0012): staged first, then
    # one INSERT … SELECT that the policies check as they check any insert, in the given order (ids, then numbers).
    conn.exec_driver_sql("DROP TABLE IF EXISTS xc_stage_audit")
    conn.exec_driver_sql(f"CREATE TEMP TABLE xc_stage_audit ON COMMIT DROP AS SELECT {names} FROM audit_log "
                         "WITH NO DATA")
    conn.exec_driver_sql(f"ALTER TABLE xc_stage_audit ADD COLUMN {STAGE_ORDER} bigint")
    copy_rows(conn, "xc_stage_audit", AUDIT_KEYS, values, numbered=True, batch_size=len(values), progress=None)
    conn.exec_driver_sql(f"INSERT INTO audit_log ({names}) SELECT {names} FROM xc_stage_audit ORDER BY {STAGE_ORDER}")
    conn.exec_driver_sql("DROP TABLE xc_stage_audit")
