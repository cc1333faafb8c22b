"""A layer read as a frame (``Store.read_frame``, decoded in one vectorised call) holds exactly the records
``Store.select`` returns, on both backends: every table of the whole sample district, with a bounding box, with
a filter, with nothing found, and a table without geometries."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import shapely

from geo.store import Store, schema
from geo.store.store import records_to_frame

TABLES = sorted(t.name for t in schema.metadata.sorted_tables if "geom" in t.c)


def _same(frame, records: list[dict]) -> None:
    """Assert that ``frame`` holds ``records`` in order: every value equal (NaN where the record says None,
    as a frame column of numbers keeps it) and every geometry the same to the coordinate."""
    assert len(frame) == len(records)
    assert frame.crs == "EPSG:4490"
    for i, record in enumerate(records):
        row = frame.iloc[i]
        for key, value in record.items():
            got = row["geometry"] if key == "geometry" else row[key]
            if key == "geometry":
                assert (got is None and value is None) or shapely.equals_exact(got, value, 0), (key, i)
            elif value is None:
                assert got is None or (isinstance(got, float) and math.isnan(got)) or got is pd.NaT, (key, i, got)
            else:
                assert got == value, (key, i, got, value)


@pytest.mark.parametrize("table", TABLES)
def test_every_layer_reads_as_its_records(sample_store: Store, table: str):
    records = sample_store.select(table)
    frame = sample_store.read_frame(table)
    reference = records_to_frame(records, sample_store.table(table))
    assert list(frame.columns) == list(reference.columns)
    _same(frame, records)


def test_a_box_a_filter_and_nothing_found_read_as_select_does(sample_store: Store):
    box = (111.66, 40.80, 111.70, 40.84)
    boxed = sample_store.select("door_plates", bbox=box)
    assert 0 < len(boxed) < sample_store.count("door_plates")
    _same(sample_store.read_frame("door_plates", bbox=box), boxed)
    street = boxed[0]["street_name"]
    _same(sample_store.read_frame("door_plates", where={"street_name": street}),
          sample_store.select("door_plates", where={"street_name": street}))
    empty = sample_store.read_frame("door_plates", where={"street_name": "没有这条街"})
    assert len(empty) == 0 and "street_name" in empty.columns and empty.crs == "EPSG:4490"


def test_a_table_without_geometries_reads_as_a_frame_of_its_records(sample_store: Store):
    table = next(t.name for t in schema.metadata.sorted_tables if "geom" not in t.c and sample_store.count(t.name))
    records = sample_store.select(table)
    frame = sample_store.read_frame(table)
    assert frame.geometry.isna().all()
    _same(frame, [{k: v for k, v in r.items() if k != "geometry"} for r in records])
