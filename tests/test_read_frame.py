"""A layer read as a frame (``Store.read_frame``: plain rows, the geometries decoded in one vectorised call,
moments and dates a column at a time) is exactly the frame of the records ``Store.select`` returns, on both
backends: every table of the whole sample district (columns, dtypes, values, geometries to the coordinate),
with a bounding box, with a filter, with nothing found, and without the bookkeeping columns."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely
import sqlalchemy as sa

from geo.store import Store, schema
from geo.store.frames import BOOKKEEPING
from geo.store.store import records_to_frame

TABLES = sorted(t.name for t in schema.metadata.sorted_tables if "id" in t.c)


def _as_select_gives(store: Store, table: str, **filters) -> pd.DataFrame:
    """The reference: the records ``Store.select`` returns (each row decoded by itself) as a frame."""
    return records_to_frame(store.select(table, **filters), store.table(table))


def _same(frame: pd.DataFrame, reference: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(frame, reference, check_exact=True)
    assert frame.crs == reference.crs == "EPSG:4490"
    assert shapely.equals_exact(frame.geometry.values, reference.geometry.values, 0).all() or (
        frame.geometry.isna().all() and reference.geometry.isna().all())


@pytest.mark.parametrize("table", TABLES)
def test_every_table_reads_as_its_records(sample_store: Store, table: str):
    _same(sample_store.read_frame(table), _as_select_gives(sample_store, table))


def test_the_sample_fills_the_tables_compared(sample_store: Store):
    filled = [t for t in TABLES if sample_store.count(t)]
    assert {"door_plates", "streets", "facilities", "admin_units", "boundary_markers", "graves",
            "cemetery_plot_types", "burial_statistics"} <= set(filled), filled


def test_a_box_a_filter_and_nothing_found_read_as_select_does(sample_store: Store):
    box = (111.66, 40.80, 111.70, 40.84)
    boxed = sample_store.read_frame("door_plates", bbox=box)
    assert 0 < len(boxed) < sample_store.count("door_plates")
    _same(boxed, _as_select_gives(sample_store, "door_plates", bbox=box))
    street = boxed["street_name"].iloc[0]
    _same(sample_store.read_frame("door_plates", where={"street_name": street}),
          _as_select_gives(sample_store, "door_plates", where={"street_name": street}))
    empty = sample_store.read_frame("door_plates", where={"street_name": "没有这条街"})
    assert len(empty) == 0 and "street_name" in empty.columns and empty.crs == "EPSG:4490"


def test_without_bookkeeping_the_same_but_when_each_record_was_written(sample_store: Store):
    lean, full = sample_store.read_frame("door_plates", bookkeeping=False), sample_store.read_frame("door_plates")
    assert not set(BOOKKEEPING) & set(lean.columns) and set(BOOKKEEPING) <= set(full.columns)
    pd.testing.assert_frame_equal(lean, full.drop(columns=list(BOOKKEEPING)), check_exact=True)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("column", "value"), [("opened_on", 20200101), ("updated_at", 1577836800),
                                               ("opened_on", b"2020-01-01")])
def test_a_number_in_a_date_column_is_refused_as_select_refuses_it(store: Store, column: str, value):
    """SQLite lets a number (or bytes) into a date column written by hand; neither read passes it on as a date
    (an export would write the number where the date belongs): both refuse it alike."""
    (fid,) = store.insert("facilities", [{"kind": "elder_care_station", "name": "站", "floor_area_m2": 200.0,
                                           "geometry": shapely.Point(111.70, 40.85)}], actor="t")
    facilities = schema.metadata.tables["facilities"]
    with store.writing() as conn:
        conn.execute(sa.update(facilities).where(facilities.c.id == fid)
                     .values({column: sa.type_coerce(value, sa.types.NullType())}))
    with pytest.raises(TypeError):
        store.select("facilities")
    with pytest.raises(TypeError):
        store.read_frame("facilities")


def _typed(record: dict) -> dict:
    """A record with each value's type beside it (True == 1 and 1 == 1.0 would pass a plain comparison), and its
    geometry as WKB."""
    return {k: (type(v).__name__, v.wkb if isinstance(v, shapely.Geometry) else v) for k, v in record.items()}


@pytest.mark.parametrize("table", TABLES)
def test_every_table_reads_as_its_records_when_read_as_records(sample_store: Store, table: str):
    """The same column-by-column read as records (an upsert's plan reads the records its file names so): each record
    exactly as ``Store.select`` gives it, keys, order, values and their types."""
    from geo.store.frames import layer_records

    t = sample_store.table(table)
    with sample_store.reading() as conn:
        records = layer_records(conn, t, sample_store.scope(t))
    reference = sample_store.select(table)
    assert [list(r) for r in records] == [list(r) for r in reference]
    assert [_typed(r) for r in records] == [_typed(r) for r in reference]
