"""What a map shows and how much it weighs: labels, legends, a metric scale clear of the notice,
and big layers fetched for the view in bounded answers (maps/view.py, maps/view_data.py)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.errors import InputError
from geo.layers import FACILITY_KINDS, LINEAR_FEATURE_KINDS, MARKER_TYPES, STREET_CLASSES
from maps.csp import page_html
from maps.district_map import district_map
from maps.labels import code_label, number
from maps.view_data import MAX_CELLS_ACROSS, MAX_LINES, MAX_POINTS, features_in_view, parse_view, view_layer
from tests.test_maps import shows

DISTRICT_BBOX = (111.55, 40.75, 112.10, 41.20)  # the whole district, a little more


def _points(n: int, *, seed: int = 7) -> gpd.GeoDataFrame:
    """Return ``n`` points scattered over the district's urban core, seeded."""
    rng = np.random.default_rng(seed)
    xy = np.column_stack([rng.uniform(111.62, 111.80, n), rng.uniform(40.80, 40.90, n)])
    return gpd.GeoDataFrame(geometry=shapely.points(xy), crs="EPSG:4490")


@pytest.mark.parametrize("field, codes", [("kind", FACILITY_KINDS + LINEAR_FEATURE_KINDS),
                                          ("street_class", STREET_CLASSES), ("marker_type", MARKER_TYPES)])
def test_every_stored_code_has_a_chinese_label(field, codes):
    for code in codes:
        label = code_label(field, code)
        assert label != code and "\u4e00" <= label[0] <= "\u9fff", (field, code, label)


def test_numbers_carry_units_and_people_are_whole():
    assert number(12736.0, "households") == "12,736 户"
    assert number(83740.58, "people") == "83,741 人"
    assert number(12.84, "min", digits=1) == "12.8 分钟"
    assert number(float("nan"), "m") is None and number(None, "m2") is None


def test_many_points_in_view_come_grouped_and_bounded():
    layer = view_layer(_points(20_000), [[f"门牌 {i}"] for i in range(20_000)], points=True)
    whole = features_in_view(layer, DISTRICT_BBOX, zoom=11)
    assert whole["grouped"] and whole["numberMatched"] == 20_000
    assert 0 < whole["numberReturned"] <= MAX_CELLS_ACROSS ** 2
    assert sum(f["properties"]["count"] for f in whole["features"]) == 20_000  # every plate counted
    assert "块门牌" in whole["features"][0]["properties"]["tip"][0]
    # a deep zoom into a huge box still gets at most 40 x 40 groups
    assert features_in_view(layer, DISTRICT_BBOX, zoom=22)["numberReturned"] <= MAX_CELLS_ACROSS ** 2
    street = features_in_view(layer, (111.70, 40.85, 111.702, 40.852), zoom=18)
    assert not street["grouped"] and 0 < street["numberReturned"] == street["numberMatched"] <= MAX_POINTS
    assert street["features"][0]["properties"]["tip"][0].startswith("门牌")


def test_lines_in_view_are_simplified_and_bounded():
    rng = np.random.default_rng(3)
    n = MAX_LINES + 200
    starts = np.column_stack([rng.uniform(111.62, 111.80, n), rng.uniform(40.80, 40.90, n)])
    lines = [shapely.LineString(np.asarray(s) + np.column_stack([np.arange(200) * 1e-5, np.sin(np.arange(200)) * 1e-5]))
             for s in starts]
    layer = view_layer(gpd.GeoDataFrame(geometry=lines, crs="EPSG:4490"), [["路"]] * n, points=False)
    view = features_in_view(layer, DISTRICT_BBOX, zoom=11)
    assert view["truncated"] and view["numberReturned"] == MAX_LINES and view["numberMatched"] == n
    assert max(len(f["geometry"]["coordinates"]) for f in view["features"]) < 20  # ~1 px at zoom 11
    close = features_in_view(layer, (111.62, 40.80, 111.80, 40.90), zoom=20)
    assert max(len(f["geometry"]["coordinates"]) for f in close["features"]) > 100


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "10,10,5,5", "nan,1,2,3", "0,0,200,10"])
def test_a_malformed_view_is_refused_naming_bbox(bbox):
    with pytest.raises(InputError) as err:
        parse_view(bbox, 12)
    assert err.value.field == "bbox" and err.value.message.startswith("bbox 应为")


def test_served_district_map_carries_no_big_layer(sample):
    """With a data URL the page holds the map frame, small layers and a legend; plates and
    streets are fetched for the view."""
    html = page_html(district_map(sample.layers, data_url="/maps/data"), None)
    assert len(html.encode()) < 600_000
    assert "/maps/data/door_plates" in html and "/maps/data/streets" in html
    plates = sample.layers["door_plates"]
    assert not any(shows(uid, html) for uid in plates["plate_uid"].head(50))  # no plate in the page itself
    assert "imperial: false" in html and "control.scale()" not in html
    assert "图例 Legend" in html and shows("社区养老服务站 elder-care station", html)
    for code in ("elder_care_station", "comprehensive_elder_care_centre", "community_service_centre"):
        assert f'"{code}"' not in html, code  # shown by its label, not its code
