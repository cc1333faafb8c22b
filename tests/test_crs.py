"""CRS conversion: EPSG vectors from the standards brief, GCJ-02/BD-09 round trips over the district."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo import crs as C
from geo.errors import UnknownCRS


def test_gauss_kruger_cm111_matches_the_brief():
    x, y = C.from_storage([111.75], [40.85], "EPSG:4546")
    assert x[0] == pytest.approx(563244.49, abs=0.01)
    assert y[0] == pytest.approx(4524186.18, abs=0.01)


def test_gcj02_and_bd09_forward_match_published_test_points():
    gx, gy = C.from_storage([111.75], [40.85], "GCJ02")
    assert (gx[0], gy[0]) == pytest.approx((111.7569191, 40.8514533), abs=5e-8)
    bx, by = C.from_storage([111.75], [40.85], "BD09")
    assert (bx[0], by[0]) == pytest.approx((111.7634707, 40.8573374), abs=5e-8)


@pytest.mark.parametrize("name", ["GCJ02", "BD09", "EPSG:4546", "EPSG:4326"])
def test_round_trip_over_the_district_is_under_half_a_metre(name):
    lon, lat = np.meshgrid(np.linspace(111.59, 112.05, 40), np.linspace(40.80, 41.14, 40))
    lon, lat = lon.ravel(), lat.ravel()
    x, y = C.from_storage(lon, lat, name)
    back_lon, back_lat = C.to_storage(x, y, name)
    a = C.to_metric(shapely.points(lon, lat))
    b = C.to_metric(shapely.points(back_lon, back_lat))
    assert shapely.distance(a, b).max() < 0.5
    assert shapely.distance(a, b).max() < 0.001  # the iterative inverses are in fact exact


def test_gcj02_offset_in_the_district_is_six_hundred_metres_not_zero():
    x, y = C.from_storage([111.7], [40.85], "GCJ02")
    offset = shapely.distance(C.to_metric(shapely.Point(111.7, 40.85)), C.to_metric(shapely.Point(x[0], y[0])))
    assert 550 < offset < 650


@pytest.mark.parametrize("alias,canonical", [("wgs84", "EPSG:4326"), ("gcj-02", "GCJ02"),
                                             ("CGCS2000", "EPSG:4490"), ("bd09", "BD09")])
def test_aliases(alias, canonical):
    assert C.normalise_crs(alias) == canonical


def test_unknown_crs_lists_the_accepted_ones():
    with pytest.raises(UnknownCRS) as err:
        C.normalise_crs("EPSG:3857")
    assert "GCJ02" in err.value.message and err.value.field == "crs"


def test_geometry_transform_keeps_structure():
    poly = shapely.Polygon([(111.7, 40.8), (111.71, 40.8), (111.71, 40.81), (111.7, 40.8)])
    out = C.geoms_from_storage(poly, "GCJ02")
    assert out.geom_type == "Polygon" and len(out.exterior.coords) == 4
