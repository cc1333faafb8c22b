"""Map pages at ten times the sample's door plates: the first load stays under 1 MB because plates
come grouped (fetched for the view on the district map, in cells on the coverage map)."""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.planning.coverage import ELDER_CARE_KINDS, WalkParams
from geo.planning.run import PlanningInputs, run_planning
from maps.coverage_map import planning_map, plate_cells
from maps.csp import page_html
from maps.district_map import district_map
from maps.view_data import MAX_CELLS_ACROSS, features_in_view, view_layer

pytestmark = pytest.mark.scale
TIMES = 10
JITTER_M = 15.0
FIRST_LOAD_MAX_BYTES = 1_000_000


def _tenfold(plates: gpd.GeoDataFrame, *, seed: int = 14) -> gpd.GeoDataFrame:
    """Return ``plates`` ten times over, each copy moved up to ``JITTER_M`` metres (seeded)."""
    rng = np.random.default_rng(seed)
    metric = plates.to_crs("EPSG:4546")
    copies = []
    for _ in range(TIMES):
        moved = metric.copy()
        moved.geometry = gpd.points_from_xy(
            moved.geometry.x + rng.uniform(-JITTER_M, JITTER_M, len(moved)),
            moved.geometry.y + rng.uniform(-JITTER_M, JITTER_M, len(moved)), crs="EPSG:4546")
        copies.append(moved)
    return gpd.GeoDataFrame(pd.concat(copies, ignore_index=True), crs="EPSG:4546").to_crs(plates.crs)


def test_district_map_at_tenfold_plates_stays_light(sample):
    plates = _tenfold(sample.layers["door_plates"])
    layers = dict(sample.layers) | {"door_plates": plates}
    page = page_html(district_map(layers, data_url="/maps/data"), None)
    assert len(page.encode()) < FIRST_LOAD_MAX_BYTES // 2
    layer = view_layer(plates, [[str(u)] for u in plates["plate_uid"]], points=True)
    for zoom, bbox in ((11, (111.55, 40.75, 112.10, 41.20)), (13, (111.62, 40.79, 111.76, 40.86))):
        view = features_in_view(layer, bbox, zoom=zoom)
        assert view["grouped"] and view["numberReturned"] <= MAX_CELLS_ACROSS ** 2
        assert len(json.dumps(view, ensure_ascii=False).encode()) < 250_000


def test_coverage_map_at_tenfold_plates_stays_light(sample_store):
    run = run_planning(PlanningInputs.load(sample_store), WalkParams(), ELDER_CARE_KINDS)
    plates = _tenfold(run.inputs.plates)
    access = pd.concat([run.access] * TIMES, ignore_index=True)
    once, tenfold = plate_cells(run.inputs.plates, run.access), plate_cells(plates, access)
    assert int(tenfold["plates"].sum()) == TIMES * int(once["plates"].sum())
    assert len(tenfold) <= 1.3 * len(once)  # cells follow the area, not the number of plates
    big = SimpleNamespace(**{f: getattr(run, f) for f in ("floor", "care_facilities", "params")},
                          access=access, inputs=replace(run.inputs, plates=plates))
    page = page_html(planning_map(big), None)
    assert len(page.encode()) < 0.8 * FIRST_LOAD_MAX_BYTES  # the report's tables get the rest
