"""Service areas end at the reach (issue #18): upper bounds checked by hand, not just containment.

A facility halfway along a 3 km single-segment street with 900 m of reach used to draw the whole
street (3,080 m with the 40 m band). Now every street, its own included, is drawn only as far as
the reach less the off-network leg. A straight piece of length L widened by r = 40 m with
``quad_segs=2`` is a rectangle 2r x L plus two half octagons: area 2rL + 2*sqrt(2)*r^2, extent
L + 2r along the street and 2r across.
"""

from __future__ import annotations

import math

import geopandas as gpd
import httpx
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import crs as C
from geo.planning.coverage import WalkParams, points_xy, service_areas, walk_network_from_streets
from geo.planning.network import attach_points, reach_lines
from tests.conftest import USERS
from tests.network_reference import reference_distances

ORIGIN = C.to_metric(shapely.Point(111.70, 40.85))
BAND_M = 40.0
CAPS_M2 = 2 * math.sqrt(2) * BAND_M ** 2  # the two half octagons at a piece's ends


def _frame(geoms_m, **cols) -> gpd.GeoDataFrame:
    geoms = np.asarray([shapely.affinity.translate(g, ORIGIN.x, ORIGIN.y) for g in geoms_m], dtype=object)
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries(C.from_metric(geoms), crs="EPSG:4490"), crs="EPSG:4490")


def _areas(streets_m, facilities_m, params: WalkParams | None = None):
    """Return (service areas in metres relative to the origin, network, facilities frame)."""
    params = params or WalkParams()
    net = walk_network_from_streets(_frame([shapely.LineString(s) for s in streets_m]))
    facs = _frame([shapely.Point(p) for p in facilities_m], id=list(range(1, len(facilities_m) + 1)),
                  name=[f"站 {i}" for i in range(len(facilities_m))])
    areas = service_areas(net, facs, params, band_m=BAND_M)
    metric = [None if g is None else shapely.affinity.translate(C.to_metric(g), -ORIGIN.x, -ORIGIN.y)
              for g in areas.geometry.values]
    return metric, net, facs


def _assert_piece(poly, *, x0_m: float, x1_m: float) -> None:
    """The polygon is the band around the street from x0 to x1 (y = 0), and nothing more."""
    assert poly.bounds == pytest.approx((x0_m - BAND_M, -BAND_M, x1_m + BAND_M, BAND_M), abs=1e-3)
    assert poly.area == pytest.approx(2 * BAND_M * (x1_m - x0_m) + CAPS_M2, abs=0.05)


def test_facility_halfway_along_a_3_km_street_reaches_900_m_each_way_not_the_whole_street():
    (poly,), _net, _f = _areas([[(0, 0), (3000, 0)]], [(1500, 0)])
    width = poly.bounds[2] - poly.bounds[0]
    assert width <= 1800 + 2 * BAND_M + 1e-3  # was 3,080 m
    _assert_piece(poly, x0_m=600, x1_m=2400)  # 144,000 + 4,525.5 = 148,525.5 m²


def test_facility_near_one_end_is_clipped_at_the_street_end():
    (poly,), _net, _f = _areas([[(0, 0), (3000, 0)]], [(200, 0)])
    _assert_piece(poly, x0_m=0, x1_m=1100)  # 200 m west to the end, 900 m east


def test_an_off_network_leg_of_100_m_leaves_800_m_along_the_street():
    (poly,), _net, _f = _areas([[(0, 0), (3000, 0)]], [(1500, 100)])
    _assert_piece(poly, x0_m=700, x1_m=2300)  # the leg itself is not drawn


def test_edges_beyond_a_junction_are_drawn_only_as_far_as_the_reach():
    """A T: the facility 800 m along a 1 km street; 700 m left at the junction, east and north."""
    streets = [[(0, 0), (1000, 0)], [(1000, 0), (3000, 0)], [(1000, 0), (1000, 2000)]]
    (poly,), net, facs = _areas(streets, [(800, 0)])
    att = attach_points(net, points_xy(facs), max_attach_m=150)
    (lines,) = reach_lines(net, att, 900.0)
    assert shapely.union_all(lines).length == pytest.approx(1000 + 700 + 700, abs=1e-6)
    assert poly.bounds == pytest.approx((-BAND_M, -BAND_M, 1700 + BAND_M, 700 + BAND_M), abs=1e-3)
    # The street band 0..1700 m, plus the northern arm above the street's band (40..700 m) and its cap.
    expected = 2 * BAND_M * 1700 + CAPS_M2 + 2 * BAND_M * (700 - BAND_M) + CAPS_M2 / 2
    assert poly.area == pytest.approx(expected, abs=0.05)


def test_a_leg_longer_than_the_reach_reaches_no_street():
    params = WalkParams(minutes=100 / 60, speed_m_per_s=1.0, max_attach_m=150)  # 100 m of reach
    areas, net, facs = _areas([[(0, 0), (3000, 0)]], [(1500, 120), (1500, 60), (1500, 400)], params)
    assert areas[0] is None and areas[2] is None  # 120 m leg; 400 m: not attached at all
    _assert_piece(areas[1], x0_m=1460, x1_m=1540)
    att = attach_points(net, points_xy(facs), max_attach_m=150)
    lines = reach_lines(net, att, params.reach_m)
    assert lines[0] is not None and len(lines[0]) == 0 and lines[2] is None


def test_no_drawn_street_on_the_sample_district_lies_beyond_the_reach(sample):
    """Every point of every piece drawn, against networkx shortest paths from that station alone."""
    streets = sample["streets"][sample["streets"]["walkable"].fillna(True).astype(bool)]
    net = walk_network_from_streets(streets)
    lines_m = shapely.get_parts(C.to_metric(np.asarray(streets.geometry.values, dtype=object)))
    f = sample["facilities"]
    stations = f[f["kind"] == "elder_care_station"].reset_index(drop=True).iloc[:4]
    reach_m = WalkParams().reach_m
    att = attach_points(net, points_xy(stations), max_attach_m=150)
    for s, pieces in enumerate(reach_lines(net, att, reach_m)):
        assert pieces is not None and len(pieces)
        # Sample every piece at its ends and every 20 m along it.
        pts = np.concatenate([shapely.get_coordinates(shapely.line_interpolate_point(
            piece, np.append(np.arange(0, piece.length, 20.0), piece.length))) for piece in pieces])
        targets = attach_points(net, pts, max_attach_m=0.01)
        assert targets.attached.all()
        one = attach_points(net, points_xy(stations.iloc[[s]]), max_attach_m=150)
        dist = reference_distances(lines_m, net, one, targets)
        assert dist.max() <= reach_m + 0.01
        assert dist.max() >= reach_m - 1.0  # and the pieces do run out to the reach


def test_each_sample_station_gets_the_band_around_its_own_streets(sample):
    """The areas are buffered on every core at once, piece by piece: each must still be its own station's, in
    order, the band around the streets that station reaches (None for a station off the network) — the band of
    their union, on a 0.1 mm grid: boundaries within 1 mm, areas within 1e-5, every one valid in EPSG:4490."""
    streets = sample["streets"][sample["streets"]["walkable"].fillna(True).astype(bool)]
    net = walk_network_from_streets(streets)
    f = sample["facilities"]
    stations = f[f["kind"] == "elder_care_station"].reset_index(drop=True)
    far = C.from_metric(shapely.affinity.translate(C.to_metric(stations.geometry.iloc[0]), 50_000, 0))
    stations = gpd.GeoDataFrame(pd.concat([stations.iloc[:3], stations.iloc[:1].assign(geometry=[far]),
                                           stations.iloc[3:]], ignore_index=True), crs="EPSG:4490")
    areas = service_areas(net, stations, band_m=BAND_M)
    att = attach_points(net, points_xy(stations), max_attach_m=WalkParams().max_attach_m)
    expected = [None if lines is None or len(lines) == 0
                else C.from_metric(shapely.buffer(shapely.union_all(lines), BAND_M, quad_segs=2))
                for lines in reach_lines(net, att, WalkParams().reach_m)]
    assert len(stations) > 10 and expected[3] is None and areas.geometry.iloc[3] is None
    assert list(areas["facility"]) == list(range(len(stations)))  # no ids in the sample frame: positions
    for got, want in zip(areas.geometry.values, expected, strict=True):
        if got is None or want is None:
            assert got is None and want is None
            continue
        got_m, want_m = C.to_metric(got), C.to_metric(want)
        assert shapely.symmetric_difference(got_m, want_m).area <= 1e-5 * want_m.area
        assert shapely.hausdorff_distance(got_m.boundary, want_m.boundary) <= 1e-3
        assert got.is_valid, shapely.is_valid_reason(got)  # in degrees, as served and drawn
        assert got.geom_type == want.geom_type  # a one-part area stays a Polygon (GeoJSON clients type layers by it)


def test_served_service_areas_stay_within_the_reach_over_http(live_server):
    """Over HTTP: no polygon is wider or taller than the reach both ways plus the band."""
    name, password = USERS["planner"]
    r = httpx.post(f"{live_server}/api/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    h = {"Authorization": f"Bearer {r.json()['access_token']}"}
    fc = httpx.get(f"{live_server}/api/planning/coverage/service-areas", headers=h, timeout=60).json()
    assert fc["features"]
    reach_m = fc["features"][0]["properties"]["reach_m"]
    assert reach_m == pytest.approx(900)
    for feature in fc["features"]:
        x0, y0, x1, y1 = C.to_metric(shapely.geometry.shape(feature["geometry"])).bounds
        assert x1 - x0 <= 2 * (reach_m + BAND_M) + 1e-3 and y1 - y0 <= 2 * (reach_m + BAND_M) + 1e-3
