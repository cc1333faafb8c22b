"""Every SQL difference between SQLite and PostGIS, in one place.

SQLite keeps each layer's bounding boxes in an R*Tree virtual table filled by triggers from the
``minx..maxy`` columns; PostGIS uses a GiST index on ``geom``. Bounding-box filters go through
those indexes; exact predicates are evaluated afterwards in shapely.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa
from sqlalchemy.types import LargeBinary, TypeDecorator, UserDefinedType

from geo.text import storable

SRID = 4490


class _PostGISGeometry(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw: object) -> str:
        return f"geometry(Geometry,{SRID})"


class Geometry(TypeDecorator):
    """A shapely geometry: WKB blob on SQLite, ``geometry(Geometry,4490)`` on PostGIS."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(_PostGISGeometry())
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value, dialect):
        if value is None or isinstance(value, bytes | str):
            return value  # already encoded by encode_geometries
        return encode_geometries(dialect.name, [value])[0]

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return shapely.from_wkb(value)


# The stored envelope of every spatial row (what the R*Tree and the bbox filters read), never shown in a frame.
ENVELOPE_COLUMNS = ("minx", "miny", "maxx", "maxy")


def driver_values(column: sa.Column, values: list[Any], dialect: sa.Dialect) -> list[Any]:
    """Return a column's values as the driver takes them, through the column type's bind processor.

    For the bulk insert (geo.store.bulk) and the batch update's arrays (``Store.update_each``). An encoded
    geometry is already what the driver takes; other values are processed once per distinct value (every
    row shares the same ``created_at``, most share a status or a date).
    """
    if isinstance(column.type, Geometry):
        return values  # encoded by Store.prepare_columns (WKB bytes, hex EWKB text) or None
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return values
    done: dict[tuple[type, Any], Any] = {}
    out = []
    for value in values:
        try:
            key = (type(value), value)
            out.append(done[key] if key in done else done.setdefault(key, process(value)))
        except TypeError:  # not hashable
            out.append(process(value))
    return out


def _object_array(geoms) -> np.ndarray:
    """Return ``geoms`` as a one-dimensional array of objects (``np.asarray`` would unpack a sequence it could
    read as rows)."""
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = list(geoms)
    return arr


def envelopes(geoms) -> tuple[np.ndarray, np.ndarray]:
    """Return each geometry's envelope, (n, 4) in :data:`ENVELOPE_COLUMNS` order and NaN where it has none,
    and whether it has one (not None, not empty): every write stores these beside the geometry."""
    arr = _object_array(geoms)
    bounds = np.full((len(arr), 4), np.nan)
    present = ~shapely.is_missing(arr) & ~shapely.is_empty(arr)  # in C: no attribute read per geometry
    if present.any():
        bounds[present] = shapely.bounds(arr[present])
    return bounds, present


def encode_geometries(dialect: str, geoms) -> list:
    """Encode shapely geometries for ``dialect`` in one vectorised call (None stays None)."""
    arr = _object_array(geoms)
    out = np.full(len(arr), None, dtype=object)
    present = ~shapely.is_missing(arr)
    if present.any():
        if dialect == "postgresql":
            out[present] = shapely.to_wkb(shapely.set_srid(arr[present], SRID), hex=True, include_srid=True)
        else:
            out[present] = shapely.to_wkb(arr[present])
    return out.tolist()


def rtree_name(table: str) -> str:
    """Return the name of the R*Tree table that indexes ``table`` on SQLite."""
    return f"rtree_{table}"


def spatial_index_ddl(dialect: str, table: str) -> list[str]:
    """Return the DDL that creates the spatial index of ``table`` for ``dialect``."""
    if dialect == "postgresql":
        return [f"CREATE INDEX IF NOT EXISTS ix_{table}_geom ON {table} USING GIST (geom)"]
    rt = rtree_name(table)
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {rt} USING rtree(id, minx, maxx, miny, maxy)",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_rtree_ins AFTER INSERT ON {table}
            WHEN NEW.minx IS NOT NULL BEGIN
            INSERT INTO {rt} VALUES (NEW.id, NEW.minx, NEW.maxx, NEW.miny, NEW.maxy); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_rtree_upd AFTER UPDATE OF minx, miny, maxx, maxy
            ON {table} BEGIN DELETE FROM {rt} WHERE id = OLD.id;
            INSERT INTO {rt} SELECT NEW.id, NEW.minx, NEW.maxx, NEW.miny, NEW.maxy
            WHERE NEW.minx IS NOT NULL; END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_rtree_del AFTER DELETE ON {table}
            BEGIN DELETE FROM {rt} WHERE id = OLD.id; END""",
    ]


def bbox_clause(dialect: str, table: sa.Table, bbox: tuple[float, float, float, float]):
    """Return a WHERE clause keeping rows whose envelope meets ``bbox``, through the index."""
    minx, miny, maxx, maxy = bbox
    if dialect == "postgresql":
        envelope = sa.func.ST_MakeEnvelope(minx, miny, maxx, maxy, SRID)
        return table.c.geom.op("&&")(envelope)
    rt = sa.table(rtree_name(table.name), sa.column("id"), sa.column("minx"), sa.column("maxx"),
                  sa.column("miny"), sa.column("maxy"))
    candidates = sa.select(rt.c.id).where(
        rt.c.maxx >= minx, rt.c.minx <= maxx, rt.c.maxy >= miny, rt.c.miny <= maxy
    )
    return table.c.id.in_(candidates)


# A natural key's scope locked for the rest of a write transaction: a single-bigint advisory lock
# from md5 of its own prefix, the schema and the key (apart from the audit log's two-int4 commit
# lock; the migrations' single-bigint lock hashes another prefix).
# All of a call's keys are taken by one statement (a plate import names a thousand streets: one round trip,
# not a thousand), in the order of the sorted keys, so two writers of the same keys never deadlock.
_NATURAL_KEY_LOCKS = sa.text(
    "SELECT count(pg_advisory_xact_lock(('x' || substr(md5('xincheng.natural-key:' || "
    "coalesce(current_schema(), '') || ':' || k.key), 1, 16))::bit(64)::bigint)) "
    "FROM (SELECT key FROM unnest(CAST(:keys AS text[])) WITH ORDINALITY AS u(key, n) ORDER BY n) AS k")


def lock_natural_keys(conn: sa.Connection, keys) -> None:
    """Hold each natural key's scope (``plate:<street>``, ``name:<key>``) until the transaction ends.

    Taken before a uniqueness check and its insert, so a concurrent writer of the same key waits,
    then sees the first one's row and gets the rule's refusal. Keys are taken in sorted order (no
    deadlock between two writers of the same keys). PostgreSQL only: SQLite serialises writers.
    """
    if conn.dialect.name != "postgresql":
        return
    # a key no record could hold (a NUL, a lone surrogate) has no scope to take, and the driver cannot send it
    wanted = sorted({key for k in keys if storable(key := str(k))})
    if wanted:
        conn.execute(_NATURAL_KEY_LOCKS, {"keys": wanted})


def one_of(dialect: str, column: sa.ColumnElement, values: list) -> sa.ColumnElement[bool]:
    """Return ``column IN values`` for ``dialect``: ``= ANY(array)`` on PostgreSQL (one parameter however
    many values: an IN list of thousands of parameters costs more to plan than to run), an IN list on SQLite."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY  # here: a SQLite command need not import PostgreSQL's dialect

        return column == sa.any_(sa.bindparam("one_of", values, type_=ARRAY(column.type)))
    return column.in_(values)


def explain_uses_index(dialect: str) -> str:
    """Return the text a query plan shows when the spatial index is used (for tests)."""
    return "Index" if dialect == "postgresql" else "rtree"


class UTCDateTime(TypeDecorator):
    """A moment in time that comes back aware and in UTC on both backends.

    SQLite keeps no offset (SQLAlchemy writes the wall time and drops ``tzinfo``), PostGIS answers
    in the session's time zone. So a moment is converted to UTC on the way in (a naive one is taken
    as UTC, the convention the stored data already follows) and labelled UTC on the way out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if not isinstance(value, datetime):
            return value
        if value != value:  # pandas NaT: no moment
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if not isinstance(value, datetime):
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

