"""The repository over SQLite (WAL, R*Tree) and PostGIS (GiST): one behaviour on both.

Every change is one transaction that also writes its audit row; updates carry the version the
client read and a stale one is refused with :class:`StaleVersion`; nothing is hard-deleted.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import numbers
import re
import sqlite3
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import shapely
import sqlalchemy as sa
from sqlalchemy import event

from geo import DISTRICT_ADCODE
from geo.errors import Conflict, DomainError, Forbidden, InputError, NotFound, StaleVersion
from geo.layers import NEIGHBOUR_STATUS
from geo.messages import as_term, label, labels, record_label, text
from geo.sqlite_urls import file_path, held_in_memory, holds_nul, query_pairs
from geo.store import migrations, schema
from geo.store.driver_rows import insert_audit_rows
from geo.store.frames import layer_frame
from geo.store.partitions import ensure_district_partitions
from geo.store.search_sql import register_sqlite_functions
from geo.store.spatial_sql import ENVELOPE_COLUMNS, bbox_clause, driver_values, encode_geometries, envelopes

_PROTECTED = {"id", "version", "adcode", "created_at", "updated_at", "minx", "miny", "maxx", "maxy"}
_ENVELOPE = ENVELOPE_COLUMNS
_SECRET = ("password_hash", "token_sha256")  # never copied into the audit log
_CHUNK = 1000  # ids per IN list
_ARRAY_SCALARS = {str, int, float, bool, date, datetime}  # what a batch update sends as one array per column

# Districts in one database (#19): every table but these is keyed by ``adcode`` and a Store reads and
# writes one district's rows only. Accounts and their tokens are the city's (an account lists the
# districts it acts for); the migration record and the public plate lookup (a plate uid is unique
# city-wide, and the public scans plates city-wide) are the database's.
GLOBAL_TABLES = frozenset({"users", "api_tokens", "schema_migrations", "plate_lookups", "plate_lookup_state"})
# Read across districts too: a neighbour's outline (status neighbour) is the reference geography of boundary work
# (the sample carries the three neighbours' outlines). Its own communities and streets stay its own.
_SHARED_ROWS = {"admin_units": ("status", NEIGHBOUR_STATUS)}  # table → (column, value) of the rows read across


def read_across(table: sa.Table) -> sa.ColumnElement[bool] | None:
    """Return what marks ``table``'s rows every district reads (a neighbour's outline), or None if it has none:
    reference geography, nobody's own record."""
    shared = _SHARED_ROWS.get(table.name)
    return None if shared is None else table.c[shared[0]] == shared[1]


def normalise_url(url: str) -> str:
    """Return a SQLAlchemy URL: ``postgresql://`` and ``postgis://`` use the psycopg driver."""
    for prefix in ("postgresql://", "postgres://", "postgis://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


# Tables no value derived from the data is built from: residents' problem reports (anyone may file one at any time)
# and the accounts and their sessions. A change to one leaves every cached planning run, map page and name index as it
# was (:meth:`Store.derived_data_version`).
NOT_READ_BY_DERIVED_VALUES = frozenset({"problem_reports", "users", "api_tokens"})

# Every engine this process opened and has not let go of: see :func:`close_every_store`.
_ENGINES: weakref.WeakSet[sa.Engine] = weakref.WeakSet()


def close_every_store() -> None:
    """Release the pooled connections of every store this process still holds open.

    For a process that ends without Python's teardown (``xincheng``, api/cli/leave.py), which used to close them as
    it freed them: a SQLite file's last connection folds the write-ahead log back into the file (no ``-wal`` left
    beside it), and a PostgreSQL server sees its sessions end rather than drop.
    """
    for engine in list(_ENGINES):
        engine.dispose()


# How long a SQLite connection waits for another's lock before "database is locked" (the CLI's message says it);
# a PostgreSQL session's lock waits end after as long (lock_timeout, :func:`postgres_engine`).
SQLITE_BUSY_TIMEOUT_S = 30


def _enter_wal(cur: Any, *, wait_s: float = SQLITE_BUSY_TIMEOUT_S) -> None:
    """Put the database file in WAL mode, waiting out another process doing the same.

    Switching a new file to WAL takes its exclusive lock, and SQLite answers "database is locked" at
    once (without calling the busy handler, to avoid a deadlock) when two processes opened the new file
    together: two services started at once, or a service and ``xincheng migrate``. The switch is then
    tried again until ``wait_s`` has passed; once the file is in WAL the statement changes nothing.
    """
    deadline = time.monotonic() + wait_s
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def pool_options(connections: int | None) -> dict[str, int]:
    """Return the engine's pool options for a service worker that keeps ``connections`` open, or
    SQLAlchemy's defaults (``None``: a command).

    SQLAlchemy's default pool keeps 5 connections and opens up to 10 more under load, closing each of those
    as soon as it is returned: with 8 or more requests at once, most requests opened and closed a connection
    of their own (on PostgreSQL a new server process each time), and the health check's 99th percentile
    passed a second (``benchmarks/bench_lookup.py``). A worker's pool therefore keeps all its connections and
    opens no more: a request beyond them waits for one (up to the pool's 30 s, then 503, as a database that
    cannot serve), while requests that need no database go on in the other threads. The worker never holds
    more than ``connections``, so the servers' ``max_connections`` can be sized exactly.
    """
    if connections is None:
        return {}
    return {"pool_size": connections, "max_overflow": 0}


def _sqlite_engine(url: sa.URL, *, connections: int | None = None) -> sa.Engine:
    """Return an engine over the SQLite file at ``url`` (its folder made), pooled by :func:`pool_options`; a
    database in memory keeps SQLAlchemy's one connection per thread."""
    in_file = not held_in_memory(url.database or "", query_pairs(url.query))  # the settings' judgement too
    path = file_path(url.database or "", query_pairs(url.query))  # a `file:` URI's own path, not its text
    if path is not None:
        # as SQLite opens it: `~` is a folder's name there, not the home folder (made here, SQLite then failed)
        Path(path).resolve().parent.mkdir(parents=True, exist_ok=True)
    # hide_parameters: a failed statement's message (and so a log) never carries the bound values,
    # password hashes and personal data included.
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
                              hide_parameters=True,
                              poolclass=sa.pool.QueuePool if in_file else sa.pool.SingletonThreadPool,
                              **(pool_options(connections) if in_file else {}))
    _ENGINES.add(engine)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised through every test
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        _enter_wal(cur)
        cur.execute("PRAGMA synchronous=FULL")  # an acknowledged edit survives a power cut too
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()
        register_sqlite_functions(dbapi_conn)  # xc_fold: the text search folding (geo.store.search_sql)

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # One write path: writers take the write lock up front, so two writers never deadlock
        # on lock upgrade; readers use a deferred transaction and run beside a writer (WAL).
        mode = "IMMEDIATE" if conn.get_execution_options().get("xc_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


# libpq's bounds on a database that stops answering, so a request answers 503 in bounded time rather than
# hanging a worker: a connection not made within 10 s fails; on an open connection, data unacknowledged for 30 s
# (a network partition, a dead host) or a peer silent to keepalives (idle 30 s, then 3 probes 10 s apart) fails.
# A long statement on a live server is not cut short (its kernel answers the keepalives), and neither is a server
# process that hangs on an open connection (its kernel acknowledges too): only a new connection to it fails, after
# 10 s. A value the URL sets is kept; a caller's own connect_args (the replica's) override both; PG* environment
# variables are overridden by these.
PG_CONNECT_ARGS: dict[str, Any] = {"connect_timeout": 10, "tcp_user_timeout": 30_000, "keepalives": 1,
                                   "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}


def postgres_engine(url: sa.URL, **options: Any) -> sa.Engine:
    """Return an engine over the PostgreSQL database at ``url`` (the primary's or a replica's).

    Every session plans each statement with its values (``plan_cache_mode = force_custom_plan``): a
    district's statements name the district as a value (``Store.scope``), so the planner prunes the
    other districts' partitions while planning and locks the one partition read. A generic plan, which
    PostgreSQL would otherwise cache for a statement prepared by the driver, covers every district's
    partitions and locks them all on each execution (PostgreSQL 15): at 100 districts, hundreds of
    locks per QR scan. Every session's time zone is UTC, as stored moments are, and its lock waits end after
    SQLite's busy timeout (:data:`SQLITE_BUSY_TIMEOUT_S`). ``hide_parameters``: a
    failed statement's message never carries bound values. Connections are bounded in time
    (:data:`PG_CONNECT_ARGS`).
    """
    given = {**{k: v for k, v in PG_CONNECT_ARGS.items() if k not in url.query},
             **options.pop("connect_args", {})}  # the caller's own bounds over these
    engine = sa.create_engine(url, pool_pre_ping=True, hide_parameters=True, connect_args=given, **options)
    _ENGINES.add(engine)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised through every PostGIS test
        with dbapi_conn.cursor() as cur:
            cur.execute("SET plan_cache_mode = force_custom_plan")
            # Moments are stored and read in UTC whatever the server's or database's time zone: in another
            # zone, a restored 0001-01-01 00:00 UTC (or 9999-12-31 15:59 UTC) reads as before year 1
            # (after year 9999) and the driver refuses the row.
            cur.execute("SET TIME ZONE 'UTC'")
            # A write waits for another's lock as long as on SQLite (its busy timeout), then fails as
            # unavailable (55P03: 503, try again), never without end: a transaction left open in psql or a
            # hung client would otherwise hold every worker thread that reaches its rows.
            cur.execute(f"SET lock_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        dbapi_conn.commit()

    return engine


_SQLITE_CONSTRAINT = re.compile(
    r"^(UNIQUE|NOT NULL|CHECK|FOREIGN KEY) constraint failed(?:: (.*))?$")
_PG_KEY = re.compile(
    r"^Key \((?P<columns>.+?)\)=\((?P<values>.*)\) (?:already exists|is not present)")
_PG_STATES = {"23505": "UNIQUE", "23502": "NOT NULL", "23514": "CHECK", "23503": "FOREIGN KEY"}
_SHOWN_VALUE = 80


# A district's partition of a table (revision 0014): ``door_plates_p150102``, ``door_plates_pdefault``.
_PARTITION = re.compile(r"(?P<table>.+)_p(?:[0-9]{6}|default)")


def _key_columns(table_name: str, constraint_name: str) -> list[str]:
    """Return the columns of the unique key ``constraint_name`` (``<table>_<columns>_key``) of ``table_name``.

    PostgreSQL names the columns and the value in the error's detail only to a user who may read them;
    the district role may not read a partition itself (only through its table's policy), so a key of a
    partition is known by its name alone, which carries the ``adcode`` every district key has.
    """
    inner = constraint_name[len(table_name) + 1:-len("_key")]
    partition = _PARTITION.fullmatch(table_name)
    if not partition:
        return [inner]
    table = schema.metadata.tables.get(partition["table"])
    keys = [[c.name for c in k.columns] for k in table.constraints if isinstance(k, sa.UniqueConstraint)] if (
        table is not None) else []
    for columns in keys:
        district_key = [*columns, "adcode"] if "adcode" not in columns else columns
        if "_".join(district_key) == inner:
            return district_key
    return [inner]


def _constraint_facts(exc: sa.exc.IntegrityError
                      ) -> tuple[str, list[str], str | None, str | None]:
    """Return (kind, columns, value, constraint name) of a violated constraint, either backend."""
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    diag = getattr(orig, "diag", None)
    if sqlstate is not None and diag is not None:  # PostgreSQL (psycopg): diagnostics name the columns and value
        kind = _PG_STATES.get(sqlstate, "")
        columns, value = [], None
        key = _PG_KEY.match(diag.message_detail or "")
        if key:
            columns = [c.strip().strip('"') for c in key["columns"].split(",")]
            value = key["values"] if kind == "UNIQUE" else None
        elif diag.column_name:
            columns = [diag.column_name]
        elif diag.constraint_name and diag.table_name and diag.constraint_name.endswith("_key"):
            columns = _key_columns(diag.table_name, diag.constraint_name)
        return kind, columns, value, diag.constraint_name
    # SQLite: "UNIQUE constraint failed: door_plates.plate_uid" (never the value)
    first = str(orig).splitlines()[0] if str(orig) else ""
    found = _SQLITE_CONSTRAINT.match(first)
    if not found:
        return "", [], None, None
    kind, where = found[1], found[2] or ""
    if kind == "CHECK":
        return kind, [], None, where or None
    columns = [part.strip().rsplit(".", 1)[-1] for part in where.split(",") if part.strip()]
    return kind, columns, None, None


def integrity_problem(exc: sa.exc.IntegrityError) -> DomainError:
    """Return the user's error for a constraint the database refused, naming the field.

    A duplicate of a unique value (a plate uid, a marker number, a unit code, a user name) is a
    :class:`Conflict` (409); a missing required value, a broken reference or a failed check is an
    :class:`InputError` (400). The message never carries the statement's other values.
    """
    kind, columns, value, constraint = _constraint_facts(exc)
    named = [c for c in columns if c != "adcode"] or columns
    field = named[-1] if named else None
    what = labels(named) if named else as_term(text("store.some_value"))
    if kind == "UNIQUE":
        shown = ""
        if value is not None and field not in _SECRET:
            shown = f": {value[:_SHOWN_VALUE]}{'…' if len(value) > _SHOWN_VALUE else ''}"
        return Conflict(text("store.unique", field=what, shown=shown), field=field)
    if kind == "NOT NULL":
        return InputError(text("store.not_null", field=what), field=field)
    if kind == "FOREIGN KEY":
        return InputError(text("store.foreign_key", field=what), field=field)
    if kind == "CHECK":
        rule = f" ({constraint})" if constraint else ""
        return InputError(text("store.check", rule=rule), field=field)
    return Conflict(text("store.conflict"), field=field)


def _json_default(value: Any) -> Any:
    if isinstance(value, shapely.Geometry):  # a GeoJSON geometry object, on every backend and path
        return orjson.loads(shapely.to_geojson(value))
    if isinstance(value, datetime):  # an ISO 8601 moment in UTC, whatever the backend returned
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return aware.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):  # a photo: its size and digest only
        data = bytes(value)
        return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return str(value)


def to_json(record: Mapping[str, Any] | None) -> str | None:
    """Serialise a record for the audit log: JSON with the geometry under ``geometry`` as a GeoJSON
    geometry object, moments in UTC (ISO 8601) and binary values as their size and SHA-256."""
    if record is None:
        return None
    clean = {k: ("[redacted]" if k in _SECRET else v) for k, v in record.items()
             if k not in _ENVELOPE and k != "geom"}
    if isinstance(record.get("geom"), shapely.Geometry) and "geometry" not in record:
        clean["geometry"] = record["geom"]  # an encoded geom (WKB, hex EWKB) is never logged
    if not any(isinstance(v, float) and not math.isfinite(v) for v in clean.values()):  # orjson writes NaN as null
        try:
            return orjson.dumps(clean, default=_orjson_default, option=_ORJSON_OPTIONS).decode()
        except orjson.JSONEncodeError:  # an integer beyond 64 bits
            pass
    return json.dumps(clean, ensure_ascii=False, default=_json_default, sort_keys=True)  # NaN, as it always was


# Keys sorted, moments through _json_default (UTC, whatever the backend returned). orjson writes what
# json.dumps(ensure_ascii=False, sort_keys=True) writes, without the spaces after ',' and ':' (a reader matching the
# text must allow both: geo.divisions.codes) and with NaN and infinities as null, so a record holding one is written
# by json.dumps (NaN, Infinity) as before; three to four times faster, most of a batch update's audit rows' cost
# (benchmarks/bench_import.py).
# OPT_NON_STR_KEYS: a row's keys are SQLAlchemy's quoted_name, a subclass of str that orjson otherwise refuses.
_ORJSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def _orjson_default(value: Any) -> Any:
    """:func:`_json_default`, and a subclass of float (numpy's float64) as the number the standard library writes."""
    if isinstance(value, float):
        return float(value)
    return _json_default(value)


# Whether this database binds district transactions (revision 0012 applied, the account may take the role).
_HAS_DISTRICT_ROLE = """
SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'xincheng_district')
                 AND EXISTS (SELECT 1 FROM pg_policies WHERE policyname = 'district_rows'
                             AND schemaname = current_schema())
            THEN pg_has_role(current_user, 'xincheng_district', 'MEMBER') ELSE false END"""

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _length_as_text(value: Any) -> int:
    """Return how many characters ``value`` takes in a text column: a text's own, a number's digits (the column
    stores its text), a byte string's bytes; 0 for None and anything else (refused by its own checks)."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, numbers.Number) and not isinstance(value, bool | np.bool_):  # numpy's and Decimal too
        return len(str(value))
    return 0


@functools.cache
def _length_limits(table: sa.Table) -> dict[str, int]:
    """Return the declared length of each of ``table``'s length-limited text columns (``varchar(n)``)."""
    return {c.name: c.type.length for c in table.c
            if isinstance(c.type, sa.String) and c.type.length is not None}


@dataclass(frozen=True)
class Excluding:
    """A ``where`` value that keeps records whose field is unset or holds none of ``values``: today's units
    without the retired ones, say (a unit a division change retired stays stored as history)."""

    values: tuple[str, ...]


class Store:
    """Read and write the service's records in one database chosen by URL."""

    def __init__(self, engine: sa.Engine, *, adcode: str = DISTRICT_ADCODE, whole_database: bool = False):
        self.engine = engine
        self.adcode = adcode
        self.whole_database = whole_database

    def for_district(self, adcode: str) -> Store:
        """Return a Store over the same database (and connection pool) for the district ``adcode``.

        Its reads see that district's records only and its writes write that district's; who may act
        for which district is the caller's check (``geo.users.refuse_other_district``). Only PostGIS
        holds many districts: SQLite, the embedded default, holds one.
        """
        if adcode == self.adcode and not self.whole_database:
            return self
        if self.dialect == "sqlite" and adcode != self.adcode:
            raise InputError(text("store.one_district", district=self.adcode, value=adcode), field="district")
        if adcode != self.adcode and not self.binds_districts():  # never fail open: no binding, one district
            raise Conflict(text("store.unbound_districts", district=self.adcode, value=adcode), field="district")
        return Store(self.engine, adcode=adcode)

    def whole(self) -> Store:
        """Return a Store over the same database that reads and writes every district's rows: for the
        owner's own work (migrations, backup and restore), never for a request."""
        return Store(self.engine, adcode=self.adcode, whole_database=True)

    def scope(self, table: sa.Table) -> list[sa.ColumnElement[bool]]:
        """Return the clauses that keep a read of ``table`` to this district's rows (none for the city's
        own tables, :data:`GLOBAL_TABLES`). Every hand-written query of a district table adds them."""
        if table.name in GLOBAL_TABLES or "adcode" not in table.c:
            return []
        shared = _SHARED_ROWS.get(table.name)
        own = table.c.adcode == self.adcode
        return [sa.or_(own, table.c[shared[0]] == shared[1])] if shared else [own]

    def owns(self, table_name: str, record: Mapping[str, Any]) -> bool:
        """Return whether ``record`` of ``table_name`` is this district's to change (a neighbour's
        outline, a row read across districts, is nobody's: it is reference geography)."""
        shared = _SHARED_ROWS.get(table_name)
        if shared and record.get(shared[0]) == shared[1]:
            return False
        return table_name in GLOBAL_TABLES or record.get("adcode") in (None, self.adcode)

    @classmethod
    def open(cls, url: str, *, adcode: str = DISTRICT_ADCODE, connections: int | None = None) -> Store:
        """Open the database at ``url`` (``sqlite:///file.db`` or ``postgresql://…``); a service worker
        keeps ``connections`` pooled (:func:`pool_options`; a SQLite database in memory has one)."""
        try:
            parsed = sa.make_url(normalise_url(url))
        except sa.exc.ArgumentError:  # not a URL at all: "sqlite:", ":memory:", an empty value
            raise InputError(text("store.database_url", field=label("database_url"), value=repr(url[:60])),
                             field="database_url") from None
        if parsed.get_backend_name() == "sqlite":
            if parsed.host or parsed.port:  # `sqlite://var/x.db`: a slash short; SQLAlchemy failed only on connect
                raise InputError(text("store.database_url", field=label("database_url"), value=repr(url[:60])),
                                 field="database_url")
            if holds_nul(parsed.database or "", query_pairs(parsed.query)):  # `%00`: the driver's traceback
                raise InputError(text("store.database_url_nul", field=label("database_url"), value=repr(url[:60])),
                                 field="database_url")
            engine = _sqlite_engine(parsed, connections=connections)
        elif parsed.get_backend_name() == "postgresql":
            engine = postgres_engine(parsed, **pool_options(connections))
        else:
            raise InputError(text("store.database_url", field=label("database_url"), value=repr(parsed.drivername)),
                             field="database_url")
        return cls(engine, adcode=adcode)

    @property
    def dialect(self) -> str:
        """Return ``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        """Yield a connection in a read transaction (of this district's rows, see :meth:`_enter_district`)."""
        with self.engine.connect() as conn, conn.begin():
            self._enter_district(conn)
            yield conn

    @contextmanager
    def writing(self) -> Iterator[sa.Connection]:
        """Yield a connection in a write transaction; it commits on success, rolls back on error."""
        with self.engine.connect() as conn:
            conn.execution_options(xc_write=True)
            with conn.begin():
                self._enter_district(conn)
                yield conn

    def check_writable(self) -> None:
        """Fail as a write would (the driver's read-only error) when the database refuses writes, changing nothing:
        for a command that would otherwise ask for a password or build the sample before its first write (review).

        SQLite: the header's user version written with its own value in a transaction rolled back (a file opened
        read-only, immutable or on a read-only mount refuses it); PostgreSQL: the transaction's own read-only setting
        and whether the server is a standby, asked (a probe that wrote, a temporary table, needed a privilege the
        service's role may lack: third review).
        """
        with self.engine.connect() as conn:
            conn.execution_options(xc_write=True)
            transaction = conn.begin()
            try:
                if self.dialect == "sqlite":
                    version = int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)
                    conn.exec_driver_sql(f"PRAGMA user_version = {version}")
                elif conn.exec_driver_sql("SELECT current_setting('transaction_read_only') = 'on' "
                                          "OR pg_is_in_recovery()").scalar():
                    raise Conflict(text("store.read_only"), field="database")
            finally:
                transaction.rollback()

    def schema_changed(self) -> None:
        """Ask the database again, at the next transaction, whether it binds district transactions
        (after a migration or a restore)."""
        self.engine._xc_district_role = None  # type: ignore[attr-defined]

    def _bound(self, conn: sa.Connection) -> bool:
        """Return whether this database binds district transactions (asked once per engine)."""
        bound = getattr(self.engine, "_xc_district_role", None)
        if bound is None:
            bound = bool(conn.exec_driver_sql(_HAS_DISTRICT_ROLE).scalar())
            self.engine._xc_district_role = bound  # type: ignore[attr-defined]
        return bound

    def binds_districts(self) -> bool:
        """Return whether this PostgreSQL database binds each district transaction to its district (revision
        0012 applied and the account may take the role): only then may it serve more than one district."""
        if self.dialect != "postgresql":
            return False
        known = getattr(self.engine, "_xc_district_role", None)
        if known is not None:  # asked already: no connection on a request's path
            return bool(known)
        with self.engine.connect() as conn, conn.begin():
            return self._bound(conn)

    def _enter_district(self, conn: sa.Connection) -> None:
        """Bind the transaction to this district on PostgreSQL: from here to its end it sees and writes
        this district's rows only, whatever its statements say (row-level security, revision 0012).

        One statement per transaction. A database before revision 0012, or an account that may not take
        the district role, is left as it is (it holds one district)."""
        if self.whole_database or self.dialect != "postgresql":
            return
        if self._bound(conn):
            conn.exec_driver_sql("SELECT set_config('role', 'xincheng_district', true), "
                                 "set_config('xincheng.adcode', %(adcode)s, true)", {"adcode": self.adcode})

    # -- schema -------------------------------------------------------------------------------

    def migrate(self, target: int | None = None) -> list[int]:
        """Apply pending migrations up to ``target`` (default latest); return the versions applied.

        Alembic's frozen revisions run in one transaction under the migration lock (advisory
        lock on PostgreSQL, file lock on SQLite), so two processes never migrate at once. At the
        latest version a PostgreSQL database then holds this store's district's own partitions
        (geo.store.partitions), so its first rows go there.
        """
        with self.reading() as conn:  # the usual case: up to date, decided without the migration lock
            current = migrations.is_current(conn, target)
        applied: list[int] = []
        if not current:
            try:
                with migrations.exclusive(self.whole()) as conn:
                    applied = migrations.upgrade(conn, target)
            finally:
                self.schema_changed()
        if target is None:
            ensure_district_partitions(self.engine, self.adcode)
        return applied

    def schema_version(self) -> int:
        """Return the schema version the database is at (0 when never migrated)."""
        with self.reading() as conn:
            return migrations.current_version(conn)

    # -- records ------------------------------------------------------------------------------

    @staticmethod
    def table(name: str) -> sa.Table:
        """Return the table called ``name``."""
        try:
            return schema.metadata.tables[name]
        except KeyError:
            raise NotFound(text("store.no_table", value=repr(name)), field="table") from None

    def _check_fields(self, table: sa.Table, records: Sequence[Mapping[str, Any]]) -> None:
        """Refuse a field ``table`` does not have, a control character in any text, a text longer than its column,
        and another district's record (but a neighbour's shared row, such as its outline)."""
        given = {k for r in records for k in r}
        unknown = sorted(given - {"geometry"} - set(table.c.keys()))
        if unknown:
            raise InputError(text("store.unknown_field", table=table.name, field=repr(unknown[0])), field=unknown[0])
        # Every write path, typed bodies and forms included: no control characters stored. One search over
        # all the text (joined by a newline, which is allowed), and the field named only when it finds one.
        if _CONTROL_CHARS.search("\n".join(v for r in records for v in r.values() if isinstance(v, str))):
            for record in records:
                for key, value in record.items():
                    if isinstance(value, str) and _CONTROL_CHARS.search(value):
                        raise InputError(text("store.control_character", field=label(key)), field=key)
        limits = _length_limits(table)
        for key in sorted(limits.keys() & given):
            limit = limits[key]
            values = [r.get(key) for r in records]
            longest = max(map(len, [v for v in values if type(v) is str]), default=0)  # the common case, fast
            others = [v for v in values if v is not None and type(v) is not str]  # numbers, bytes: by their text
            if others:
                longest = max(longest, *map(_length_as_text, others))
            if longest > limit:  # PostgreSQL refused it with a bare DataError (a 500); SQLite stored it whole
                raise InputError(text("store.too_long", field=label(key), length=longest, limit=limit), field=key)
        if table.name not in GLOBAL_TABLES:
            shared = _SHARED_ROWS.get(table.name)
            foreign = next((r["adcode"] for r in records if r.get("adcode") not in (None, self.adcode)
                            and not (shared and r.get(shared[0]) == shared[1])), None)
            if foreign is not None:  # a neighbour's outline (a shared row) may be loaded; nothing else of theirs
                raise Forbidden(text("store.other_district", field=label("adcode"), value=foreign,
                                     district=self.adcode), field="adcode")

    def _encoded_geometries(self, records: Sequence[Mapping[str, Any]]) -> tuple[list[Any], np.ndarray, np.ndarray]:
        """Return each record's geometry encoded for the backend, its envelope (NaN when it has none) and
        whether it has one (not None, not empty)."""
        geoms = [r.get("geometry", r.get("geom")) for r in records]
        bounds, present = envelopes(geoms)
        return encode_geometries(self.dialect, geoms), bounds, present

    def _prepare(self, table: sa.Table, records: Sequence[Mapping[str, Any]], now: datetime) -> list[dict[str, Any]]:
        """Return rows for ``table``: defaults filled, geometry encoded and its envelope set."""
        self._check_fields(table, records)
        rows = [{k: v for k, v in r.items() if k != "geometry"} for r in records]
        spatial = "geom" in table.c
        if spatial:
            encoded, bounds, present = self._encoded_geometries(records)
        for i, row in enumerate(rows):
            row.setdefault("adcode", self.adcode)
            row.setdefault("created_at", now)
            row["updated_at"] = now
            if spatial:
                row["geom"] = encoded[i]
                if present[i]:
                    row.update(zip(_ENVELOPE, bounds[i].tolist(), strict=True))
        return rows

    def prepare_columns(self, table: sa.Table, records: Sequence[Mapping[str, Any]], now: datetime
                        ) -> dict[str, list[Any]]:
        """Return, column by column, the rows :meth:`insert` would write for ``records`` (the bulk path,
        geo.store.bulk): the same checks and defaults as :meth:`_prepare`, a field no record has left out,
        one a record lacks None."""
        self._check_fields(table, records)
        keys = {k for r in records for k in r} - {"geometry"}
        columns = {k: [r.get(k) for r in records] for k in keys}
        for key, default in (("adcode", self.adcode), ("created_at", now)):
            columns[key] = [r.get(key, default) for r in records] if key in keys else [default] * len(records)
        columns["updated_at"] = [now] * len(records)
        if "geom" in table.c:
            encoded, bounds, present = self._encoded_geometries(records)
            columns["geom"] = encoded
            if present.any():
                for j, name in enumerate(_ENVELOPE):
                    given = columns.get(name, [None] * len(records))
                    columns[name] = [b if has else old for b, has, old
                                     in zip(bounds[:, j].tolist(), present.tolist(), given, strict=True)]
        return columns

    def insert(
        self,
        table_name: str,
        records: Sequence[Mapping[str, Any]],
        *,
        actor: str,
        conn: sa.Connection | None = None,
        audit: str = "each",
        note: str | None = None,
    ) -> list[int]:
        """Insert records and their audit rows in one transaction; return the new ids.

        ``audit="each"`` writes one audit row per record (edits through the API);
        ``audit="batch"`` writes one row for the whole batch (bulk imports and the sample).
        """
        if audit not in ("each", "batch"):
            raise ValueError(f"audit must be one of each, batch; got {audit!r}")
        if not records:
            return []
        if conn is None:
            with self.writing() as c:
                return self.insert(table_name, records, actor=actor, conn=c, audit=audit, note=note)
        table = self.table(table_name)
        now = datetime.now(UTC)
        rows = self._prepare(table, records, now)
        keys = sorted({k for r in rows for k in r})
        rows = [{k: r.get(k) for k in keys} for r in rows]
        # Pairing ids with rows needs their order; a batch audit row only needs the ids, and without
        # the ordering SQLite runs one multi-row INSERT per batch instead of one per row.
        ordered = audit == "each" and len(rows) > 1
        result = conn.execute(table.insert().returning(table.c.id, sort_by_parameter_order=ordered), rows)
        ids = [int(r[0]) for r in result]
        if not ordered:
            ids.sort()
        log = schema.audit_log
        if audit == "each":
            # The audit keeps the geometry as given (a shapely object), not its encoding for the
            # backend, so the row reads the same on SQLite and PostGIS.
            spatial = "geom" in table.c
            conn.execute(log.insert(), [
                {"adcode": self.adcode, "table_name": table_name, "record_id": rid,  # the district that made it
                 "action": "create", "actor": actor, "at": now, "before": None,
                 "after": to_json({**{k: v for k, v in row.items() if k != "geom"},
                                   **({"geometry": rec.get("geometry", rec.get("geom"))}
                                      if spatial else {}),
                                   "id": rid, "version": 1}),
                 "note": note}
                for rid, row, rec in zip(ids, rows, records, strict=True)])
        else:
            summary = {"count": len(ids), "first_id": ids[0], "last_id": ids[-1]}
            conn.execute(log.insert().values(
                adcode=self.adcode, table_name=table_name, record_id=None, action="bulk_create",
                actor=actor, at=now, before=None, after=json.dumps(summary), note=note))
        return ids

    def get(self, table_name: str, record_id: int, *, conn: sa.Connection | None = None) -> dict[str, Any]:
        """Return one record as a dict (geometry under ``geometry``) or raise :class:`NotFound`."""
        if conn is None:
            with self.reading() as c:
                return self.get(table_name, record_id, conn=c)
        table = self.table(table_name)
        row = conn.execute(sa.select(table).where(table.c.id == record_id, *self.scope(table))).mappings().first()
        if row is None:
            raise NotFound(text("store.no_record", record=record_label(table_name, record_id)), field="id")
        return _record(row)

    def update(
        self,
        table_name: str,
        record_id: int,
        changes: Mapping[str, Any],
        *,
        expected_version: int,
        actor: str,
        note: str | None = None,
        action: str = "update",
        conn: sa.Connection | None = None,
    ) -> dict[str, Any]:
        """Apply ``changes`` if the record is still at ``expected_version``; return the new record.

        With ``conn`` the update joins the caller's transaction (several records, one commit).
        """
        if conn is None:
            try:
                with self.writing() as c:
                    return self.update(table_name, record_id, changes, expected_version=expected_version,
                                       actor=actor, note=note, action=action, conn=c)
            except StaleVersion:
                self.record_refused(table_name, record_id, changes, expected_version=expected_version, actor=actor)
                raise
        table = self.table(table_name)
        bad = sorted(set(changes) & _PROTECTED)
        if bad:
            raise InputError(text("store.unchangeable", field=label(bad[0])), field=bad[0])
        before = self.get(table_name, record_id, conn=conn)
        if not self.owns(table_name, before):  # a neighbour's outline is read here, never changed
            raise NotFound(text("store.no_record", record=record_label(table_name, record_id)), field="id")
        if before["version"] != expected_version:
            record = record_label(table_name, record_id)
            raise StaleVersion(text("store.stale", record=record, current=before["version"], given=expected_version),
                               field="version")
        now = datetime.now(UTC)
        values = self._prepare(table, [changes], now)[0]
        values.pop("created_at", None)
        values.pop("adcode", None)
        if "geometry" not in changes and "geom" in values:
            values.pop("geom")
        values["version"] = expected_version + 1
        result = conn.execute(
            table.update()
            .where(table.c.id == record_id, table.c.version == expected_version)
            .values(**values))
        if result.rowcount != 1:
            raise StaleVersion(text("store.changed_meanwhile", table=table_name, id=record_id), field="version")
        after = self.get(table_name, record_id, conn=conn)
        conn.execute(schema.audit_log.insert().values(
            adcode=before["adcode"], table_name=table_name, record_id=record_id, action=action,
            actor=actor, at=now, before=to_json(before), after=to_json(after), note=note))
        return after

    def update_matching(self, table_name: str, where: sa.ColumnElement[bool],
                        changes: Mapping[str, Any], *, actor: str, conn: sa.Connection,
                        action: str = "update", note: str | None = None) -> list[dict[str, Any]]:
        """Apply ``changes`` to every record of this district matching ``where`` in the caller's
        transaction, with one audit row (before and after) per record; return the new records.

        The records are locked first (PostgreSQL; SQLite serialises writers), then changed by one
        statement and logged by one batched insert, so a street's few hundred plates stay fast.
        """
        table = self.table(table_name)
        bad = sorted(set(changes) & _PROTECTED)
        if bad:
            raise InputError(text("store.unchangeable", field=label(bad[0])), field=bad[0])
        scope = sa.and_(table.c.adcode == self.adcode, where)
        befores = [_record(r) for r in conn.execute(
            sa.select(table).where(scope).order_by(table.c.id).with_for_update()).mappings()]
        if not befores:
            return []
        now = datetime.now(UTC)
        values = self._prepare(table, [changes], now)[0]
        values.pop("created_at", None)
        values.pop("adcode", None)
        if "geometry" not in changes and "geom" in values:
            values.pop("geom")
        ids = [b["id"] for b in befores]
        chunks = [ids[start:start + _CHUNK] for start in range(0, len(ids), _CHUNK)]
        changed = sum(conn.execute(table.update().where(table.c.id.in_(chunk))
                                   .values(**values, version=table.c.version + 1)).rowcount
                      for chunk in chunks)
        if changed != len(ids):
            raise StaleVersion(text("store.batch_stale", table=table_name), field="version")
        return _audited_afters(conn, table, chunks, befores, columns=values, action=action, actor=actor, at=now,
                               note=note)

    def lock_records(self, table_name: str, ids: Iterable[int], *, conn: sa.Connection) -> None:
        """Lock records in id order in the caller's transaction (PostgreSQL ``FOR UPDATE``), so that writers of
        overlapping records take them in one order and never deadlock; nothing on SQLite, whose write transaction
        holds the whole database."""
        if self.dialect != "postgresql":
            return
        table = self.table(table_name)
        ordered = sorted(set(ids))
        for start in range(0, len(ordered), _CHUNK):
            conn.execute(sa.select(table.c.id).where(table.c.id.in_(ordered[start:start + _CHUNK]))
                         .order_by(table.c.id).with_for_update())

    def update_each(self, table_name: str, changes_by_id: Mapping[int, Mapping[str, Any]], *, actor: str,
                    conn: sa.Connection, action: str = "update", note: str | None = None,
                    expected_versions: Mapping[int, int] | None = None,
                    stored: Mapping[int, Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Give each record of this district its own values (the same columns for every record, no
        geometry) in the caller's transaction, with one audit row per record; return the new records.

        What :meth:`update_matching` is for one value, this is for a value per record: the records are
        locked, changed per chunk by one statement (PostgreSQL: ``UPDATE … FROM unnest(…)``, one array per column;
        SQLite: one prepared statement over a parameter list), and logged by one batched insert, so re-addressing a
        few thousand rooms is a few statements, not a few thousand.
        ``expected_versions`` (record id → version): each locked record must still be at it and be this
        district's to change (:meth:`owns`), as :meth:`update` checks one; else nothing is changed
        (StaleVersion, NotFound naming the first such record).
        ``stored`` (record id → record, as :meth:`get` gives it): the records as the caller read them (an import's
        plan); when the locked records are all still at those versions they are the befores, and only ids and
        versions are read again (every write bumps a record's version: :meth:`update`, this, :meth:`update_matching`).
        """
        if not changes_by_id:
            return []
        table = self.table(table_name)
        ids = sorted(changes_by_id)
        columns = sorted({k for c in changes_by_id.values() for k in c})
        if any(sorted(changes_by_id[i]) != columns for i in ids) or "geometry" in columns or "geom" in columns:
            raise ValueError("update_each: every record takes the same non-geometry columns")
        bad = sorted(set(columns) & _PROTECTED)
        if bad:
            raise InputError(text("store.unchangeable", field=label(bad[0])), field=bad[0])
        chunks = [ids[start:start + _CHUNK] for start in range(0, len(ids), _CHUNK)]
        befores = _locked_befores(conn, table, chunks, adcode=self.adcode, stored=stored)
        if len(befores) != len(ids):
            raise StaleVersion(text("store.batch_stale", table=table_name), field="version")
        expected = expected_versions if expected_versions is not None else {}
        for before in befores if expected_versions is not None else ():
            if not self.owns(table_name, before):  # a neighbour's outline is read here, never changed
                raise NotFound(text("store.no_record", record=record_label(table_name, before["id"])), field="id")
            if before["version"] != expected[before["id"]]:
                raise StaleVersion(text("store.stale", record=record_label(table_name, before["id"]),
                                        current=before["version"], given=expected[before["id"]]), field="version")
        now = datetime.now(UTC)
        rows = self._prepare(table, [changes_by_id[i] for i in ids], now)
        statement = (table.update().where(table.c.id == sa.bindparam("b_id"))
                     .values({**{c: sa.bindparam(f"b_{c}") for c in [*columns, "updated_at"]},
                              "version": table.c.version + 1}))
        # Arrays hold one scalar type each (the driver refuses a list mixing 300 and 2.5, and a list value would
        # become a second dimension that unnest spreads over the next records): such a column goes row by row.
        by_arrays = self.dialect == "postgresql" and all(
            len(kinds := {type(row[c]) for row in rows} - {type(None)}) <= 1 and kinds <= _ARRAY_SCALARS
            for c in [*columns, "updated_at"])
        for chunk_start in range(0, len(ids), _CHUNK):
            chunk_ids, chunk_rows = ids[chunk_start:chunk_start + _CHUNK], rows[chunk_start:chunk_start + _CHUNK]
            if by_arrays:
                _update_from_arrays(conn, table, [*columns, "updated_at"], chunk_ids, chunk_rows, adcode=self.adcode)
                continue
            conn.execute(statement, [{"b_id": record_id, **{f"b_{c}": row[c] for c in [*columns, "updated_at"]}}
                                     for record_id, row in zip(chunk_ids, chunk_rows, strict=True)])
        return _audited_afters(conn, table, chunks, befores, columns=[*columns, "updated_at"], action=action,
                               actor=actor, at=now, note=note)

    def record_refused(self, table_name: str, record_id: int, changes: Mapping[str, Any], *,
                       expected_version: int, actor: str) -> None:
        """Log a refused (stale) edit in its own transaction, so the audit trail shows every attempt."""
        self.record_refused_many(table_name, [(record_id, changes, expected_version)], actor=actor)

    def record_refused_many(self, table_name: str, refused: Sequence[tuple[int, Mapping[str, Any], int]], *,
                            actor: str) -> None:
        """Log refused (stale) edits, each ``(record id, changes, expected version)``, in one transaction of their
        own: a stale file of 34,710 rows wrote them one transaction each, 74–130 s before its refusal (review)."""
        if not refused:
            return
        now = datetime.now(UTC)
        with self.writing() as conn:
            insert_audit_rows(conn, [
                {"adcode": self.adcode, "table_name": table_name, "record_id": record_id,
                 "action": "refused_stale_version", "actor": actor, "at": now, "before": None,
                 "after": to_json(dict(changes)), "note": f"based on version {expected_version}; nothing was changed"}
                for record_id, changes, expected_version in refused])

    def filters(self, table: sa.Table, bbox, where: Mapping[str, Any] | None) -> list[sa.ColumnElement[bool]]:
        """Return the clauses of a read of ``table``: this district's rows (:meth:`scope`), meeting ``bbox``
        through the spatial index, and ``where``: a value per field, a list of values (any of them), or
        :class:`Excluding` values (the field unset or none of them)."""
        clauses = self.scope(table)
        if bbox is not None:
            clauses.append(bbox_clause(self.dialect, table, tuple(bbox)))
        for key, value in (where or {}).items():
            if key not in table.c:
                raise InputError(text("store.unknown_field", table=table.name, field=repr(key)), field=key)
            if isinstance(value, Excluding):
                clauses.append(sa.or_(table.c[key].is_(None), table.c[key].not_in(list(value.values))))
            elif isinstance(value, list | tuple | set):
                clauses.append(table.c[key].in_(list(value)))
            else:
                clauses.append(table.c[key] == value)
        return clauses

    def select(
        self,
        table_name: str,
        *,
        bbox: tuple[float, float, float, float] | None = None,
        where: Mapping[str, Any] | None = None,
        limit: int | None = None,
        offset: int = 0,
        conn: sa.Connection | None = None,
    ) -> list[dict[str, Any]]:
        """Return records in id order, filtered through the spatial index by ``bbox``; with ``conn``, read in
        the caller's transaction (a use case that checks while it writes holds one connection, not two)."""
        table = self.table(table_name)
        query = sa.select(table).where(*self.filters(table, bbox, where)).order_by(table.c.id)
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        if conn is not None:
            return [_record(r) for r in conn.execute(query).mappings()]
        with self.reading() as own:
            return [_record(r) for r in own.execute(query).mappings()]

    def count(self, table_name: str, *, bbox=None, where: Mapping[str, Any] | None = None) -> int:
        """Return how many records match."""
        table = self.table(table_name)
        query = sa.select(sa.func.count()).select_from(table).where(
            *self.filters(table, bbox, where))
        with self.reading() as conn:
            return int(conn.execute(query).scalar() or 0)

    def read_frame(self, table_name: str, *, bbox=None, where=None, bookkeeping: bool = True) -> gpd.GeoDataFrame:
        """Return a layer as a GeoDataFrame in EPSG:4490 (for computations, maps and exports): the records
        :meth:`select` returns, in id order, with the same values, read column by column
        (:func:`geo.store.frames.layer_frame`); without ``bookkeeping`` no ``created_at``/``updated_at``."""
        table = self.table(table_name)
        with self.reading() as conn:
            return layer_frame(conn, table, self.filters(table, bbox, where), bookkeeping=bookkeeping)

    def audit_rows(self, table_name: str, record_id: int | None = None) -> list[dict[str, Any]]:
        """Return the audit rows of a table (or of one record), oldest first."""
        log = schema.audit_log
        query = sa.select(log).where(log.c.table_name == table_name, *self.scope(log)).order_by(log.c.id)
        if record_id is not None:
            query = query.where(log.c.record_id == record_id)
        with self.reading() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def actors(self, table_name: str, actions: Sequence[str]) -> dict[int, dict[str, str]]:
        """Return who last did each of ``actions`` to each record of ``table_name`` in this district:
        ``{record_id: {action: actor}}``, read from the audit log's narrow columns only (never the
        before/after copies, which for a sync batch hold its whole file)."""
        log = schema.audit_log
        query = (sa.select(log.c.record_id, log.c.action, log.c.actor)
                 .where(log.c.table_name == table_name, log.c.action.in_(list(actions)),
                        log.c.adcode == self.adcode, log.c.record_id.is_not(None)).order_by(log.c.id))
        out: dict[int, dict[str, str]] = {}
        with self.reading() as conn:
            for record_id, action, actor in conn.execute(query):
                out.setdefault(int(record_id), {})[action] = actor
        return out

    # -- the change feed ----------------------------------------------------------------------

    @staticmethod
    def commit_horizon(conn: sa.Connection) -> int:
        """Return the newest commit sequence number (``audit_log.seq``) visible to ``conn``.

        Numbers are handed out in commit order (revision 0006), so every change numbered up to it is
        visible too: it is the data version of caches and the safe cursor of the change feed.
        """
        log = schema.audit_log
        return int(conn.execute(sa.select(sa.func.max(log.c.seq))).scalar() or 0)

    def data_version(self) -> int:
        """Return a number that grows with every committed change (see :meth:`commit_horizon`)."""
        with self.reading() as conn:
            return self.commit_horizon(conn)

    def derived_data_version(self) -> int:
        """Return the newest commit number of a change to a table that values derived from the data are built from
        (planning runs, map pages, name indexes: every table but :data:`NOT_READ_BY_DERIVED_VALUES`), 0 for none.

        A cache keyed on it keeps its values through a resident's problem report or an officer's login, which
        :meth:`data_version` counts as changes. The newest such row is found walking the commit numbers down from
        the newest (an index), past the reports and logins since.
        """
        log = schema.audit_log
        query = (sa.select(log.c.seq).where(log.c.seq.is_not(None),
                                            log.c.table_name.not_in(sorted(NOT_READ_BY_DERIVED_VALUES)))
                 .order_by(log.c.seq.desc()).limit(1))
        with self.reading() as conn:
            return int(conn.execute(query).scalar() or 0)

    def changes(self, since: int, *, tables: Sequence[str] | None = None,
                limit: int = 200) -> tuple[list[dict[str, Any]], int]:
        """Return audit rows numbered after ``since`` in commit order, and the cursor to poll with.

        A transaction that commits after a later-numbered one is never skipped: its rows get
        their numbers when it commits. The cursor moves past rows of other tables up to the
        horizon read first, so a poll with it neither repeats nor misses a change.
        """
        log = schema.audit_log
        with self.reading() as conn:
            horizon = self.commit_horizon(conn)  # first: every row up to it is visible below
            query = sa.select(log).where(log.c.seq > since, log.c.seq <= horizon)
            if tables is not None:
                query = query.where(log.c.table_name.in_(list(tables)))
            query = query.order_by(log.c.seq).limit(limit)
            rows = [dict(r) for r in conn.execute(query).mappings()]
        cursor = int(rows[-1]["seq"]) if len(rows) == limit else max(since, horizon)
        return rows, cursor


def _update_from_arrays(conn: sa.Connection, table: sa.Table, columns: Sequence[str], ids: Sequence[int],
                        rows: Sequence[Mapping[str, Any]], *, adcode: str) -> None:
    """PostgreSQL: give each record (``ids``, this district's, locked) its row's values of ``columns`` by one
    ``UPDATE … FROM unnest(…)``: one array per column (its values through the column type's bind processor, cast to
    the column's type, text to text), the version raised by one.

    One statement per record (prepared and pipelined) cost ~130 µs a row, an upsert of 34,710 plates 4.6 s of its
    ~18 s; a ``VALUES`` list per chunk spent as long compiling a thousand rows' parameters. Names come from the
    schema, never from input."""
    dialect = conn.dialect
    params: dict[str, Any] = {"ids": list(ids), "adcode": adcode}
    arrays, sets = [f"%(ids)s::{table.c.id.type.compile(dialect=dialect)}[]"], []
    for n, name in enumerate(columns):
        column = table.c[name]
        params[f"v{n}"] = driver_values(column, [row[name] for row in rows], dialect)
        # Text as text: an explicit cast to varchar(n) would cut a longer value silently, where assigning it to the
        # column refuses it ("value too long"), as one statement per record did.
        plain_text = isinstance(column.type, sa.String) and not isinstance(column.type, sa.Enum)
        kind = "text" if plain_text else column.type.compile(dialect=dialect)
        arrays.append(f"%(v{n})s::{kind}[]")
        sets.append(f'"{name}" = given.v{n}')
    aliases = ", ".join(f"v{n}" for n in range(len(columns)))
    conn.exec_driver_sql(
        f'UPDATE "{table.name}" AS t SET {", ".join(sets)}, version = t.version + 1 '
        f"FROM unnest({', '.join(arrays)}) AS given(id, {aliases}) WHERE t.id = given.id AND t.adcode = %(adcode)s",
        params)


def _locked_befores(conn: sa.Connection, table: sa.Table, chunks: Sequence[Sequence[int]], *, adcode: str,
                    stored: Mapping[int, Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """Lock the district's records of ``chunks`` (ids in order) and return them as they are, in id order.

    With ``stored`` (the caller's copies) only ids and versions are read under the lock: if every record is there at
    its stored version, the copies are returned; otherwise the records are read whole. An upsert of 34,710 plates read
    and decoded every record twice, once to plan and once here (a tenth of its time).
    """
    if stored is not None and all(i in stored for chunk in chunks for i in chunk):
        versions = [tuple(r) for chunk in chunks for r in conn.execute(
            sa.select(table.c.id, table.c.version).where(table.c.adcode == adcode, table.c.id.in_(chunk))
            .order_by(table.c.id).with_for_update())]
        if versions == [(i, stored[i]["version"]) for chunk in chunks for i in chunk]:
            return [dict(stored[i]) for chunk in chunks for i in chunk]
    return [_record(r) for chunk in chunks for r in conn.execute(
        sa.select(table).where(table.c.adcode == adcode, table.c.id.in_(chunk))
        .order_by(table.c.id).with_for_update()).mappings()]


def _audited_afters(conn: sa.Connection, table: sa.Table, chunks: Sequence[Sequence[int]],
                    befores: Sequence[Mapping[str, Any]], *, columns: Iterable[str], action: str, actor: str,
                    at: datetime, note: str | None) -> list[dict[str, Any]]:
    """Read back what the statement changed (``columns``, with the version, by id chunks) and log each record's
    before and after in one insert; return the new records (the rest of each is its before).

    Only the changed columns are read back, so the stored values (as the database keeps them) are logged without
    reading and decoding whole records again; a geometry left as it was is turned into JSON once for both halves
    (:func:`_audit_pair`): a 34,710-plate upsert spent half its time here reading records back and writing their
    geometries twice."""
    wanted = ["id", "version", *sorted(set(columns) - {"id", "version"})]
    changed = {r["id"]: _record(r) for chunk in chunks for r in conn.execute(
        sa.select(*(table.c[c] for c in wanted)).where(table.c.id.in_(chunk))).mappings()}
    afters = [{**b, **changed[b["id"]]} for b in befores]
    insert_audit_rows(conn, [
        {"adcode": b["adcode"], "table_name": table.name, "record_id": b["id"], "action": action, "actor": actor,
         "at": at, "before": before, "after": after, "note": note}
        for b, a in zip(befores, afters, strict=True) for before, after in [_audit_pair(b, a)]])
    return afters


def _audit_pair(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Return :func:`to_json` of ``before`` and of ``after``; an unchanged geometry (the same object in both) is
    turned into its GeoJSON object once."""
    geometry = before.get("geometry")
    if not isinstance(geometry, shapely.Geometry) or after.get("geometry") is not geometry:
        return to_json(before), to_json(after)
    shown = _json_default(geometry)  # its GeoJSON object, once
    return to_json({**before, "geometry": shown}), to_json({**after, "geometry": shown})


def _record(row: Mapping[str, Any] | sa.RowMapping) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k not in _ENVELOPE and k != "geom"}
    if "geom" in row:
        out["geometry"] = row["geom"]
    return out


def records_to_frame(records: Iterable[Mapping[str, Any]], table: sa.Table) -> gpd.GeoDataFrame:
    """Build a GeoDataFrame (EPSG:4490) from store records, keeping columns even when empty."""
    columns = [col.key for col in table.c if col.key not in _ENVELOPE and col.key != "geom"]
    records = list(records)
    data = {c: [r.get(c) for r in records] for c in columns}
    geoms = [r.get("geometry") for r in records]
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs="EPSG:4490"), crs="EPSG:4490")
