"""A district's own partitions (PostgreSQL, revision 0014): made before the district's first rows.

Every district table of a PostgreSQL database is partitioned by ``adcode`` (migration 0014): one
partition per district and a default one for a district not yet given its own. A district's rows
belong in its own partition, where its queries read them alone and its indexes are its own; so
before a district is imported for the first time, :func:`ensure_district_partitions` makes its
partition of every table (the database function ``xincheng_add_partition``, which also moves any
rows of the district out of the default partition). It runs in its own short transaction, as the
database's owner, before the import's transaction: making a partition locks its table for a
moment, and an import holding that lock for minutes would stop every other district's work.
SQLite holds one district and has no partitions: nothing to do there.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

import sqlalchemy as sa

from geo.errors import DomainError
from geo.messages import text

# Making a partition takes its table's exclusive lock, and while that request waits every other session's reads of
# the table queue behind it: so each attempt waits at most LOCK_ATTEMPT_MS, then lets them through for
# LOCK_PAUSE_S, and the attempts go on for LOCK_WAIT_S (other districts' work finishes in milliseconds; a longer
# hold means something keeps the table, and the district is told to try again: :class:`PartitionBusy`).
LOCK_WAIT_S = 5.0
LOCK_ATTEMPT_MS = 100
LOCK_PAUSE_S = 0.2


def partitioned_tables(conn: sa.Connection) -> list[str]:
    """Return the names of the partitioned tables in the service's schema (none before revision 0014,
    none on SQLite)."""
    if conn.dialect.name != "postgresql":
        return []
    return list(conn.execute(sa.text(
        "SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace ORDER BY 1")).scalars())


def missing_partitions(conn: sa.Connection, adcode: str) -> list[str]:
    """Return the partitioned tables that have no partition of their own for ``adcode``."""
    return list(conn.execute(sa.text(
        "SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace "
        "AND to_regclass(quote_ident(c.relname || '_p' || :code)) IS NULL ORDER BY 1"), {"code": adcode}).scalars())


def ensure_district_partitions(engine: sa.Engine, adcode: str) -> list[str]:
    """Make district ``adcode``'s partition of every partitioned table of ``engine``'s database that
    lacks one, and return those tables' names (empty when all are there, and on SQLite).

    Idempotent and safe beside running work: one short transaction per table, as the database's owner
    (the engine's own connection, never bound to a district), so that no table stays locked while the
    next one is waited for (one transaction for all held each table made until the last, and other
    districts' reads of them waited: review). A table another session holds is tried again in short
    attempts for :data:`LOCK_WAIT_S`, then :class:`PartitionBusy` names it and the wait (the sessions' own
    lock message said 30 s); the partitions made before it stay, each whole. A code that is no
    district's (not six ASCII digits) is given nothing: its rows stay in the default partition.
    """
    if engine.dialect.name != "postgresql" or not re.fullmatch(r"[0-9]{6}", adcode):
        return []
    with engine.connect() as conn:
        wanted = missing_partitions(conn, adcode)
        conn.rollback()
    if not wanted:
        return []
    return [table for table in wanted if _add_partition(engine, table, adcode)]


def _add_partition(engine: sa.Engine, table: str, adcode: str) -> bool:
    """Make ``adcode``'s partition of ``table`` in a transaction of its own, in short lock attempts (see
    :data:`LOCK_WAIT_S`); return whether it was made (False: another session made it meanwhile)."""
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(f"SET LOCAL lock_timeout = {int(LOCK_ATTEMPT_MS)}"))
                return bool(conn.execute(sa.text("SELECT xincheng_add_partition(:t, :code)"),
                                         {"t": table, "code": adcode}).scalar())
        except sa.exc.OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != "55P03":  # not "lock not available"
                raise
            if time.monotonic() >= deadline:
                raise PartitionBusy(text("store.partition_busy", table=table, district=adcode,
                                         wait_s=f"{LOCK_WAIT_S:g}")) from None
        time.sleep(LOCK_PAUSE_S)


class PartitionBusy(DomainError):
    """Another session held a table while a district's partition of it was being made (HTTP 503: try again)."""

    status = 503
    code = "database_unavailable"  # as every other "the database is busy, try again" (api.errors)
    retry_after_s = 30


def add_district_partitions(conn: sa.Connection, codes: Iterable[str]) -> None:
    """Give each district of ``codes`` (six digits; others are left in the default partition) its own partition
    of every partitioned table that lacks one, in ``conn``'s transaction (a restore's, holding the migration
    lock), moving its rows out of the default partition; nothing before revision 0014 (no partitioned table)."""
    tables = partitioned_tables(conn)
    for code in sorted({c for c in codes if c and re.fullmatch(r"[0-9]{6}", c)}):
        for table in tables:
            conn.execute(sa.text("SELECT xincheng_add_partition(:t, :code)"), {"t": table, "code": code})


def partition_districts_in_default(conn: sa.Connection) -> list[str]:
    """Give every district with rows in a default partition its own partitions, in ``conn``'s transaction
    (a restore's, which holds the migration lock); return those districts' codes."""
    tables = partitioned_tables(conn)
    if not tables:
        return []
    union = " UNION ".join(f"SELECT DISTINCT adcode FROM {t}_pdefault" for t in tables)
    codes = sorted(c for c in conn.execute(sa.text(union)).scalars() if c and re.fullmatch(r"[0-9]{6}", c))
    add_district_partitions(conn, codes)
    return codes


def refresh_statistics(engine: sa.Engine) -> None:
    """Gather the planner's statistics of every table after a bulk load (PostgreSQL ``ANALYZE``).

    Autovacuum analyses a partition once enough of its rows changed, but never a partitioned table as
    a whole, and not before the first queries after a load of many districts: until then the planner
    guesses one row per district and reads a district's plates by district instead of by uid. A
    region load runs this once at its end (a few seconds per million rows). Nothing on SQLite.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
