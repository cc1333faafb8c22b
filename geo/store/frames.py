"""Read a layer as a GeoDataFrame, column by column, in one pass (``Store.read_frame``).

``Store.select`` builds a dict per record (each geometry decoded by itself, every moment parsed by
SQLAlchemy's per-value processors); for the 35,000 door plates of the sample that was most of a planning
command's time, and most of a map's or an export's. This reads plain tuples, decodes all geometries with
one vectorised ``shapely.from_wkb``, parses moments and dates one column at a time, and gives the very
same records (columns, dtypes, values, in id order) as ``records_to_frame(store.select(...))``, which
tests/test_read_frame.py checks for every table of the sample on SQLite and PostGIS.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
import sqlalchemy as sa

from geo.store.spatial_sql import ENVELOPE_COLUMNS, UTCDateTime

# When each record was written: bookkeeping no planning computation reads. Parsing the two moments
# of 35,000 plates was a tenth of a planning command's time.
BOOKKEEPING = ("created_at", "updated_at")


def _moments(values: tuple[Any, ...]) -> list[Any]:
    """Return stored moments as aware UTC datetimes, as the store's UTCDateTime type gives them.

    The driver hands back text (SQLite) or datetimes (psycopg); ``None`` stays ``None``; anything else (a
    number SQLite let in by hand) is refused as that type refuses it (``TypeError``), never passed on as a time.
    One comprehension per column, not a call per value: this runs 70,000 times for the plates.
    """
    parsed = [v if v is None or isinstance(v, datetime) else datetime.fromisoformat(v) for v in values]
    return [v if not isinstance(v, datetime) else v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
            for v in parsed]


def _days(values: tuple[Any, ...]) -> list[Any]:
    """Return stored dates as ``date`` values (text on SQLite, dates from psycopg; anything else refused, as
    :func:`_moments` refuses it)."""
    return [v if v is None or isinstance(v, date) else date.fromisoformat(v) for v in values]


def _raw(column: sa.Column) -> Any:
    """Return ``column`` selected without SQLAlchemy's per-value result processing."""
    return sa.type_coerce(column, sa.types.NullType()).label(column.key)


def _read_columns(conn: sa.Connection, table: sa.Table, clauses: Sequence[sa.ColumnElement[bool]], *,
                  bookkeeping: bool) -> tuple[list[str], list[list[Any]], list[Any]]:
    """Return the keys (every column but the envelope and the encoded geometry), each key's values and the
    geometries (``None`` for a table without one) of the matching records, in id order, decoded column by column."""
    columns = [c for c in table.c if c.key not in ENVELOPE_COLUMNS and c.key != "geom"
               and (bookkeeping or c.key not in BOOKKEEPING)]
    convert: dict[str, Any] = {}
    selected: list[Any] = []
    for column in columns:
        if isinstance(column.type, UTCDateTime):
            convert[column.key] = _moments
            selected.append(_raw(column))
        elif isinstance(column.type, sa.Date):
            convert[column.key] = _days
            selected.append(_raw(column))
        else:
            selected.append(column)
    spatial = "geom" in table.c
    if spatial:  # the stored encoding as it comes: WKB, or PostGIS's hex EWKB
        selected.append(_raw(table.c.geom))
    rows = conn.execute(sa.select(*selected).where(*clauses).order_by(table.c.id)).all()
    values = list(zip(*rows, strict=True)) if rows else [() for _ in selected]
    data = [convert[column.key](v) if column.key in convert else list(v)
            for column, v in zip(columns, values, strict=False)]
    geoms: list[Any] = [None] * len(rows)
    if spatial and rows:
        geoms = list(shapely.from_wkb(np.array(values[-1], dtype=object)))
    return [c.key for c in columns], data, geoms


def layer_frame(conn: sa.Connection, table: sa.Table, clauses: Sequence[sa.ColumnElement[bool]], *,
                bookkeeping: bool = True) -> gpd.GeoDataFrame:
    """Return the records of ``table`` that match ``clauses`` (the store's district scope and filters), in id
    order, as a GeoDataFrame in EPSG:4490 without the stored envelopes; without ``bookkeeping`` it leaves out
    :data:`BOOKKEEPING` (the planning run's choice)."""
    keys, data, geoms = _read_columns(conn, table, clauses, bookkeeping=bookkeeping)
    return gpd.GeoDataFrame(dict(zip(keys, data, strict=True)), geometry=gpd.GeoSeries(geoms, crs="EPSG:4490"),
                            crs="EPSG:4490")


def layer_records(conn: sa.Connection, table: sa.Table, clauses: Sequence[sa.ColumnElement[bool]]
                  ) -> list[dict[str, Any]]:
    """Return the records of ``table`` that match ``clauses``, in id order, each as :meth:`Store.get` gives it (its
    geometry under ``geometry`` when the table has one), read as :func:`layer_frame` reads them: an upsert's plan
    reads every stored record it names, and decoding them row by row was a tenth of its time."""
    keys, data, geoms = _read_columns(conn, table, clauses, bookkeeping=True)
    records = [dict(zip(keys, values, strict=True)) for values in zip(*data, strict=True)]
    if "geom" in table.c:
        for record, geom in zip(records, geoms, strict=True):
            record["geometry"] = geom
    return records
