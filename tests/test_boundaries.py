"""Boundary geometry: the real lines, topology, displacement, markers off the line, disputed areas."""

from __future__ import annotations

import pytest
import shapely

from data.sample_district import load_boundaries
from geo import crs as C
from geo.boundaries.lines import (
    SQM_PER_MU,
    classify_displacement,
    displacement_m,
    disputed_areas,
    markers_off_line,
    ordered_parts,
    shared_boundary,
    topology_report,
)

A = shapely.box(0, 0, 1000, 1000)


def test_real_boundaries_four_lines_lengths_and_clean_topology():
    polys = load_boundaries()
    metric = dict(zip(polys["adcode"], C.to_metric(polys.geometry.values), strict=True))
    lengths = {}
    for adcode in ("150103", "150105", "150125", "150921"):
        line = shared_boundary(metric["150102"], metric[adcode])
        lengths[adcode] = line.length
        topo = topology_report(metric["150102"], metric[adcode])
        assert topo == {"overlaps": [], "gaps": []}
    assert lengths == pytest.approx({"150103": 16_233, "150105": 51_155, "150125": 48_670, "150921": 32_500}, rel=1e-3)


def test_overlap_and_gap_with_areas_in_square_metres_and_mu():
    overlapping = shapely.box(990, 0, 2000, 1000)   # 10 m strip claimed by both
    topo = topology_report(A, overlapping)
    assert topo["gaps"] == [] and topo["overlaps"][0]["area_m2"] == pytest.approx(10_000)
    assert topo["overlaps"][0]["area_mu"] == pytest.approx(10_000 / SQM_PER_MU, abs=1e-3)
    apart = shapely.box(1004, 0, 2000, 1000)         # a 4 m sliver between them
    topo = topology_report(A, apart, close_m=5)
    assert topo["overlaps"] == [] and topo["gaps"][0]["area_m2"] == pytest.approx(4_000, rel=0.01)
    assert topology_report(A, shapely.box(1020, 0, 2000, 1000), close_m=5)["gaps"] == []  # a real road, not a sliver


def test_displacement_is_judged_against_gnss_accuracy():
    reg = shapely.Point(500, 500)
    assert displacement_m(reg, shapely.Point(503, 504)) == pytest.approx(5.0)
    assert classify_displacement(5.0, gnss_accuracy_m=3.0) == "in_place"     # within 2 × 3 m
    assert classify_displacement(5.0, gnss_accuracy_m=1.5) == "displaced"    # beyond 3 m
    assert classify_displacement(0.8, gnss_accuracy_m=0.1) == "in_place"     # under the 1 m floor
    with pytest.raises(ValueError):
        classify_displacement(-1, 1)


def test_markers_off_their_line_and_line_order():
    line = shapely.LineString([(0, 0), (1000, 0)])
    markers = [shapely.Point(100, 2), shapely.Point(500, 25), shapely.Point(900, -9)]
    assert markers_off_line(markers, line, tolerance_m=10) == [(1, 25.0)]
    parts = ordered_parts(shapely.MultiLineString([[(500, 0), (400, 0)], [(0, 0), (100, 0)]]))
    assert [p.coords[0] for p in parts] == [(0, 0), (400, 0)]  # west → east, each part eastward


def test_disputed_areas_between_two_versions():
    theirs = shapely.Polygon([(0, 0), (1000, 0), (1000, 980), (0, 1000)])  # their line cuts a triangle off ours
    got = disputed_areas(A, theirs)
    assert [d["claimed_by"] for d in got] == ["ours_only"] and got[0]["area_m2"] == pytest.approx(10_000)
    assert disputed_areas(A, A) == []


def test_disputed_areas_between_two_line_versions_and_markers_affected():
    from geo.boundaries.lines import disputed_between_lines, markers_affected

    ours = shapely.LineString([(0, 0), (1000, 0), (2000, 0)])
    theirs = shapely.LineString([(0, 0), (400, 0), (400, 20), (600, 20), (600, 0), (2000, 0)])  # a 200 × 20 m bulge
    areas = disputed_between_lines(ours, theirs)
    assert len(areas) == 1 and areas[0]["area_m2"] == pytest.approx(4000) and areas[0]["area_mu"] == pytest.approx(6.0)
    markers = [shapely.Point(500, 0), shapely.Point(1500, 0), shapely.Point(590, 30)]
    assert markers_affected(markers, areas, within_m=20) == [(0, 0.0), (2, 10.0)]
    assert disputed_between_lines(ours, ours) == []
