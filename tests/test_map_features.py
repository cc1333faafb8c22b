"""``maps.layers.feature_collection`` gives folium the very GeoJSON folium would build from the frame itself.

Handed a frame, folium embeds ``json.loads(json.dumps(frame.to_crs("EPSG:4326").__geo_interface__))``, one
``shapely.mapping`` and one pandas row per feature. The map layers now hand it ``feature_collection(frame)``,
built column by column. These tests compare the two, as folium embeds them (``GeoJson(...).data`` written as
JSON, so key order, ``NaN`` and every digit count), on hostile frames and on the sample's own layers: a
difference would change a page.
"""

from __future__ import annotations

import json

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon

from maps.layers import feature_collection, json_safe

MONG = "ᠰᠢᠨ᠎ᠠ ᠬᠣᠲᠠ"


def _as_folium_embeds(data) -> str:
    return json.dumps(folium.GeoJson(data).data, sort_keys=False)


def _same(frame: gpd.GeoDataFrame) -> None:
    assert _as_folium_embeds(feature_collection(frame)) == _as_folium_embeds(frame)


def _hostile(crs: str | None) -> gpd.GeoDataFrame:
    ring = [(111.6, 40.8), (111.7, 40.8), (111.7, 40.9), (111.6, 40.9), (111.6, 40.8)]
    hole = [(111.62, 40.82), (111.64, 40.82), (111.64, 40.84), (111.62, 40.82)]
    geoms = [Point(111.123456789012345, 40.987654321098765), LineString([(111.6, 40.8), (111.7, 40.85)]),
             Polygon(ring, [hole]), MultiPolygon([Polygon(ring), Polygon([(112, 41), (112.1, 41), (112, 41.1)])]),
             GeometryCollection([Point(111.6, 40.8), LineString([(111.6, 40.8), (111.61, 40.81)])]),
             None, Polygon(), Point(111.6, 40.8, 1050.5)]
    n = len(geoms)
    return gpd.GeoDataFrame({
        "name": ["<script>alert(1)</script>", MONG, "𠀀𪚥", "", None, "a\u2028b", "\"'&", "新城区"],
        "households": np.arange(n, dtype=np.int64) * 1000,
        "share": [0.1, np.nan, 1e300, -0.0, 2.5, np.nan, 1 / 3, 7.0],
        "major": [True, False] * (n // 2),
        "maybe": pd.array([1, None, 3, None, 5, 6, None, 8], dtype="Int64"),
    }, geometry=geoms, crs=crs, index=[f"u{i}" for i in range(n)])


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:4490"])
def test_hostile_frames_embed_the_same(crs):
    frame = _hostile(crs)
    _same(frame)
    _same(frame.reset_index(drop=True))          # ids 0 … n-1, as the choropleth's style reads them
    _same(frame[["geometry"]])                   # no properties at all
    _same(frame.iloc[:0])                        # no features: the collection's bbox is NaN in both


def test_a_frame_without_a_crs_is_refused_as_folium_refuses_it():
    for draw in (feature_collection, folium.GeoJson):
        with pytest.raises(ValueError, match="crs"):
            draw(_hostile(None))


def test_a_projected_frame_is_drawn_in_wgs84_as_folium_would():
    frame = _hostile("EPSG:4490").to_crs("EPSG:4527")  # CGCS2000 / 3-degree Gauss-Kruger CM 111E
    _same(frame)
    drawn = feature_collection(frame)["features"][0]["geometry"]["coordinates"]
    assert drawn == pytest.approx([111.123456789, 40.987654321], abs=1e-8)


def test_the_sample_layers_embed_the_same(sample_store):
    for table, columns in (("admin_units", ["code", "name", "level", "households"]),
                           ("streets", ["name", "street_class"]), ("facilities", ["name", "kind"]),
                           ("boundary_lines", ["name"])):
        frame = sample_store.read_frame(table)
        assert len(frame) > 0, table
        _same(json_safe(frame, columns))


def test_plate_cells_from_the_runs_projected_plates_are_the_cells_of_projecting_them_again(sample_store):
    """The coverage map groups plates from the planning run's metric coordinates (``plate_xy``) instead
    of projecting 35,000 points again: the cells are the same."""
    from geo.planning.run import PlanningInputs, run_planning, walk_params
    from maps.coverage_map import plate_cells

    run = run_planning(PlanningInputs.load(sample_store), walk_params())
    assert run.plate_xy is not None
    again = plate_cells(run.inputs.plates, run.access)
    assert len(again) > 100 and int(again["plates"].sum()) == len(run.inputs.plates)
    pd.testing.assert_frame_equal(plate_cells(run.inputs.plates, run.access, metric_xy=run.plate_xy), again)
