"""Findings of the outside review of issue #16 that the lead fixed (the helpers' fixes are tested beside
their features): a line's last joint inspection cannot be rewritten or set in the future, so no one
hides a line from the BM-06 overdue list."""

from __future__ import annotations

from datetime import timedelta

import geopandas as gpd
import pytest

from geo.boundaries.cadence import overdue_lines
from geo.errors import InputError
from geo.generic_writes import update_feature
from geo.io.importer import import_frame
from geo.types import beijing_today
from geo.write_rules import RuleFieldRefused


def test_the_generic_path_cannot_rewrite_a_lines_last_inspection(writable_sample_store):
    """Review finding 1: an admin PATCH of last_inspected_on to 2099 took XZ01 off the overdue list."""
    store = writable_sample_store
    line = store.select("boundary_lines", where={"line_code": "XZ01"})[0]
    assert "XZ01" in {r["line_code"] for r in overdue_lines(store)}
    for value in ("2099-01-01", beijing_today().isoformat()):
        with pytest.raises(RuleFieldRefused) as refused:
            update_feature(store, "boundary_lines", line["id"], {"last_inspected_on": value},
                           expected_version=line["version"], actor="t-admin")
        assert refused.value.field == "last_inspected_on" and "BM-06" in str(refused.value)
    after = store.select("boundary_lines", where={"line_code": "XZ01"})[0]
    assert after["last_inspected_on"] == line["last_inspected_on"] and after["version"] == line["version"]
    assert "XZ01" in {r["line_code"] for r in overdue_lines(store)}


def test_an_imported_line_cannot_carry_a_future_last_inspection(writable_sample_store):
    """The date from before the service comes in with the line, but never after today (Beijing)."""
    store = writable_sample_store
    stored = store.select("boundary_lines", where={"line_code": "XZ01"})[0]
    tomorrow = beijing_today() + timedelta(days=2)  # still after today if Beijing's midnight passes meanwhile
    frame = gpd.GeoDataFrame({"line_code": ["XQ01"], "name": ["测试界线"], "left_adcode": ["150102"],
                              "right_adcode": ["150921"], "last_inspected_on": [tomorrow.isoformat()]},
                             geometry=[stored["geometry"]], crs="EPSG:4490")
    before = store.count("boundary_lines")
    with pytest.raises(InputError) as refused:
        import_frame(store, "boundary_lines", frame, {"format": "geojson", "source_crs": "EPSG:4490"},
                     actor="t-admin", name="lines.geojson")
    assert refused.value.field == "last_inspected_on"
    message = str(refused.value)
    assert message.startswith("第 1 行") and tomorrow.isoformat() in message and "北京" in message
    assert store.count("boundary_lines") == before
