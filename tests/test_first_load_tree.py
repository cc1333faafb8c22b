"""A district's first load of units makes one tree (geo.divisions.first_load), checked on the rule itself.

Each case is one a review stored or wrongly refused (fourth review of the first load): the import paths call this
rule (tests/test_districts.py, tests/test_review17_generic.py and tests/test_import_modes.py import through them).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import shapely

from geo.divisions.first_load import check_first_units
from geo.errors import InputError

D = "150124"
OUTLINE = {"code": f"{D}000000", "name": "和林格尔县", "level": "district"}
TOWN = {"code": f"{D}100000", "name": "城关镇", "level": "town", "parent_code": f"{D}000000"}


def _units(*units: tuple[dict[str, Any], shapely.Geometry]) -> list[dict[str, Any]]:
    return [{**properties, "geometry": geom} for properties, geom in units]


def _check(records: list[dict[str, Any]], *, alone: bool = False, others=None) -> None:
    check_first_units(records, adcode=D, rows=list(range(1, len(records) + 1)), alone=alone,
                      other_outlines=others or {})


def _refused(records: list[dict[str, Any]], **options: Any) -> InputError:
    with pytest.raises(InputError) as err:
        _check(records, **options)
    return err.value


def _villages(box: shapely.Polygon, count: int) -> list[tuple[dict[str, Any], shapely.Geometry]]:
    """``count`` villages of the town side by side, tiling ``box`` exactly in degrees."""
    x0, y0, x1, y1 = box.bounds
    step = (x1 - x0) / count
    return [({"code": f"{D}100{200 + i:03d}", "name": f"第{i}村", "level": "village", "parent_code": TOWN["code"]},
             shapely.box(x0 + i * step, y0, x0 + (i + 1) * step, y1)) for i in range(count)]


def test_units_tiling_their_parent_in_degrees_are_accepted_though_their_edges_bend_in_metres() -> None:
    """A 25 km straight edge in degrees bends ~10 m in metres: projecting only the corners found 4,939 m² of a
    village outside its town and refused a file nothing was wrong with (review)."""
    strip = shapely.box(111.6, 40.70, 111.9, 40.75)
    records = _units((OUTLINE, strip), (TOWN, strip), *_villages(strip, 10))
    _check(records)
    assert {r["status"] for r in records} == {"active"}  # no status: starts active


def test_a_shared_edge_given_with_more_points_on_one_side_is_no_overlap() -> None:
    south, north = shapely.box(111.6, 40.70, 111.9, 40.75), shapely.box(111.6, 40.75, 111.9, 40.80)
    points = [(111.6 + 0.3 * k / 50, 40.75) for k in range(51)]
    north_dense = shapely.Polygon([*points, (111.9, 40.80), (111.6, 40.80)])
    whole = shapely.box(111.6, 40.70, 111.9, 40.80)
    (v0, _g0), (v1, _g1) = _villages(whole, 2)
    assert shapely.hausdorff_distance(north_dense, north) < 1e-9 and len(north_dense.exterior.coords) > 50
    _check(_units((OUTLINE, whole), (TOWN, whole), (v0, south), (v1, north_dense)))


def test_slivers_of_a_few_metres_along_an_edge_pass_and_a_block_does_not() -> None:
    whole = shapely.box(111.6, 40.70, 111.9, 40.80)
    (v0, _g0), (v1, _g1) = _villages(whole, 2)
    mid = 111.75
    sliver = 3e-5  # ~2.5 m of longitude
    _check(_units((OUTLINE, whole), (TOWN, whole), (v0, shapely.box(111.6, 40.7, mid + sliver, 40.8)),
                  (v1, shapely.box(mid, 40.7, 111.9, 40.8))))
    block = shapely.box(111.6, 40.7, mid, 40.8).union(shapely.box(mid, 40.75, mid + 0.003, 40.753))  # 250 × 330 m
    err = _refused(_units((OUTLINE, whole), (TOWN, whole), (v0, block), (v1, shapely.box(mid, 40.7, 111.9, 40.8))))
    assert "重叠" in err.message and "第 3 行" in err.message and "未导入任何内容" in err.message


def test_a_comb_of_narrow_strips_reaching_into_a_sibling_is_no_sliver() -> None:
    """Each tooth is 9 m wide, under the sliver width, but reaches 1 km into the other village: it is not a
    boundary digitised apart, so it is refused (a width test alone let it pass)."""
    whole = shapely.box(111.6, 40.70, 111.9, 40.80)
    (v0, _g0), (v1, _g1) = _villages(whole, 2)
    mid = 111.75
    teeth = [shapely.box(mid, 40.71 + k * 0.01, mid + 0.012, 40.71 + k * 0.01 + 0.00008) for k in range(5)]
    comb = shapely.union_all([shapely.box(111.6, 40.7, mid, 40.8), *teeth])
    err = _refused(_units((OUTLINE, whole), (TOWN, whole), (v0, comb), (v1, shapely.box(mid, 40.7, 111.9, 40.8))))
    assert "重叠" in err.message and "离边界超过 10 m" in err.message
    lon, lat = (float(v) for v in err.message.split("（如 ")[1].split(" 处")[0].split(", "))  # a tooth's point
    assert any(tooth.buffer(1e-6).contains(shapely.Point(lon, lat)) for tooth in teeth), (lon, lat)


def test_a_unit_reaching_past_the_outline_into_a_held_district_is_refused() -> None:
    """Each level kept within 10 m of its parent, so a village could reach 20 m past the outline into a held
    district (1.4 km² of 新城区 in one review) where only the outline was compared with it."""
    held = shapely.box(111.90, 40.70, 112.00, 40.75)
    strip = shapely.box(111.6, 40.70, 111.9, 40.75)
    town = shapely.box(111.6, 40.70, 111.9 + 1.1e-4, 40.75)  # ~9.3 m past the outline, into the held district
    (village, _g), *_rest = _villages(strip, 1)
    err = _refused(_units((OUTLINE, strip), (TOWN, town), (village, shapely.box(111.6, 40.70, 111.9 + 2.2e-4, 40.75))),
                   others={"150102": held})
    assert "第 3 行" in err.message and "与区县 150102" in err.message, err.message


def test_a_hair_or_a_speck_far_from_the_boundary_is_no_sliver() -> None:
    """A separate part under a square metre inside another unit passed as "dust" (review: a 0.88 m² part of a
    150124 village on a door plate of 150102); pinholes made a sibling's whole ground "near a boundary"."""
    whole = shapely.box(111.6, 40.70, 111.9, 40.80)
    (v0, _g0), (v1, _g1) = _villages(whole, 2)
    west, east = shapely.box(111.6, 40.7, 111.75, 40.8), shapely.box(111.75, 40.7, 111.9, 40.8)
    speck = shapely.box(111.80, 40.75, 111.80 + 1e-5, 40.75 + 8e-6)  # ~0.85 × 0.9 m deep inside the east village
    err = _refused(_units((OUTLINE, whole), (TOWN, whole), (v0, west.union(speck)), (v1, east)))
    assert "重叠" in err.message
    holes = [shapely.box(111.76 + i * 2e-4, 40.71, 111.76 + i * 2e-4 + 2e-6, 40.71 + 2e-6) for i in range(50)]
    pinholed = east.difference(shapely.union_all(holes))
    err = _refused(_units((OUTLINE, whole), (TOWN, whole), (v0, west.union(pinholed)), (v1, pinholed)))
    assert "重叠" in err.message


def test_every_unit_outside_its_parent_is_listed_at_once() -> None:
    """Rounded or clipped data used to be refused one unit at a time (~27 rounds for the sample, review)."""
    strip = shapely.box(111.6, 40.70, 111.9, 40.75)
    villages = [(props, shapely.affinity.translate(geom, yoff=0.01)) for props, geom in _villages(strip, 4)]
    err = _refused(_units((OUTLINE, strip), (TOWN, strip), *villages))
    assert err.message.startswith("首次导入本区区划：4 处区划范围有问题")
    assert len(err.details) == 4 and all("位于上级之外" in d for d in err.details), err.details
    assert [d.split("：")[0] for d in err.details] == ["第 3 行", "第 4 行", "第 5 行", "第 6 行"]


@pytest.mark.parametrize("banner_km", [30, 300])
def test_an_outline_taking_a_block_of_a_held_district_is_refused_however_large_it_is(banner_km: int) -> None:
    """The tolerance grew with the new outline's area: a 40,573 km² banner took 2.75 km² of 新城区 (review)."""
    held = shapely.box(111.60, 40.75, 111.75, 40.90)
    size = banner_km / 100
    mine = shapely.box(111.75 - 0.003, 40.75 - size, 111.75 + size, 40.90)  # 250 m into the held district
    err = _refused(_units((OUTLINE, mine)), others={"150102": held})
    assert "与区县 150102" in err.message and "第 1 行" in err.message
    _check(_units((OUTLINE, shapely.box(111.75, 40.75 - size, 111.75 + size, 40.90))), others={"150102": held})


@pytest.mark.parametrize(("units", "words"), [
    # a retired parent switched off every check of its children (review)
    ([(OUTLINE, None), ({**TOWN, "status": "retired"}, None),
      ({"code": f"{D}100200", "name": "东村", "level": "village", "parent_code": TOWN["code"]}, None)],
     "状态为 已注销"),
    # a county is a neighbour's reference outline; one's own, parented by itself, passed every check
    ([(OUTLINE, None), ({"code": f"{D}001099", "name": "县", "level": "county", "parent_code": f"{D}001099"}, None)],
     "级别"),
    ([(OUTLINE, None), ({**TOWN, "parent_code": TOWN["code"]}, None)], "不能作为镇 town的上级"),
    # the outline under its own town: a cycle
    ([({**OUTLINE, "parent_code": TOWN["code"]}, None), (TOWN, None)], "本区轮廓的上级"),
    ([({**OUTLINE, "parent_code": "150103000000"}, None)], "本区轮廓的上级"),
    ([(TOWN, None)], "须含本区轮廓"),
    ([(OUTLINE, None), ({**TOWN, "parent_code": ""}, None)], "不在文件中"),
    ([(OUTLINE, None), ({**TOWN, "name": "镇" * 10_000}, None)], "最多 50 个字符"),  # a decision's limit (review)
])
def test_a_first_load_that_is_no_tree_is_refused_naming_the_row(units, words) -> None:
    square = shapely.box(111.7, 40.3, 111.8, 40.4)
    err = _refused(_units(*((props, square) for props, _g in units)))
    assert words in err.message, err.message


def test_the_city_may_be_the_outlines_parent() -> None:
    _check(_units(({**OUTLINE, "parent_code": "150100000000"}, shapely.box(111.7, 40.3, 111.8, 40.4))))


@pytest.mark.parametrize("row", [
    {"code": f"{D}001001", "name": "春华社区", "level": "community", "adcode": D},  # a unit of one's own
    {"code": f"{D}000000", "name": "本区", "level": "county", "adcode": D},  # the outline's code taken
    {"code": "150103000001", "name": "<img src=x onerror=alert(1)>", "level": "county", "adcode": "150103"},
    {"code": "150103000000", "name": "回民区", "level": "community", "adcode": "150103"},
])
def test_a_neighbour_row_is_another_districts_outline_or_refused(row) -> None:
    """On a database alone a row of status neighbour is read by all and changed by none: one under the district's
    own code became a unit nobody could change, or took the outline's code for good (review)."""
    square = shapely.box(111.7, 40.3, 111.8, 40.4)
    err = _refused(_units((OUTLINE, square), ({**row, "status": "neighbour"}, square)), alone=True)
    assert "邻区参考界线" in err.message and "第 2 行" in err.message
    fine = {"code": "150103000000", "name": "回民区", "level": "county", "adcode": "150103", "status": "neighbour"}
    beside = shapely.box(111.8, 40.3, 111.9, 40.4)  # sharing the outline's east edge
    _check(_units((OUTLINE, square), (fine, beside)), alone=True)
    over = _refused(_units((OUTLINE, square.union(beside)), (fine, beside)), alone=True)  # swallowing it (review)
    assert "与区县 150103" in over.message and "第 1 行" in over.message


def test_a_database_alone_needs_the_outline_too() -> None:
    """Units loaded without it left a district whose outline no import or decision could add, and whose other
    layers were then checked against no outline at all (review: a facility in Beijing imported)."""
    community = {"code": f"{D}001001", "name": "社区", "level": "community", "parent_code": f"{D}001000"}
    err = _refused(_units((community, shapely.box(111.7, 40.3, 111.8, 40.4))), alone=True)
    assert "须含本区轮廓" in err.message and "同一文件" in err.message


@pytest.mark.parametrize(("crs", "strip"), [
    ("BD09", shapely.box(111.70, 40.80, 111.75, 40.82)),
    ("GCJ02", shapely.box(111.60, 40.70, 111.90, 40.75)),
    ("EPSG:4546", shapely.box(400_000, 4_510_000, 430_000, 4_516_000)),
])
def test_an_exact_tiling_in_another_crs_is_accepted_as_the_file_has_it(crs, strip) -> None:
    """Converted point by point, the town's straight edge becomes a chord 15-20 m off the villages' converted
    vertices on it: read in EPSG:4490 alone, an exact tiling was refused (second review)."""
    from geo import crs as C

    source = [(OUTLINE, strip), (TOWN, strip), *_villages(strip, 5)]
    converted = C.geoms_to_storage(np.asarray([g for _p, g in source], dtype=object), crs)
    records = lambda: _units(*((p, g) for (p, _g), g in zip(source, converted, strict=True)))  # noqa: E731
    check_first_units(records(), adcode=D, rows=list(range(1, 8)), alone=False, other_outlines={}, source_crs=crs)
    with pytest.raises(InputError, match="位于上级之外"):  # the chord, read as the file's edge
        check_first_units(records(), adcode=D, rows=list(range(1, 8)), alone=False, other_outlines={})


def test_a_gcj02_export_of_the_units_upserts_back_unchanged(store, tmp_path) -> None:
    """An officer's export in GCJ-02 (for a web map), read back as an upsert, changes nothing: splitting the file's
    edges on import (a later idea) put points on curves the stored units do not follow, and the unchanged export was
    refused as a change of the units' land (found reading the change through). The first-load check follows a
    file's straight edges itself (geo.crs.edges_followed) and the stored units keep their corners."""
    from data.sample_district import make_sample_district
    from geo.io.importer import export_layer, import_file, load_layers

    load_layers(store, {"admin_units": make_sample_district()["admin_units"]}, actor="test")
    path = tmp_path / "units.gpkg"
    export_layer(store, "admin_units", path, crs="GCJ02")
    report = import_file(store, "admin_units", path, crs="GCJ02", actor="test", mode="upsert")
    assert report.unchanged == store.count("admin_units") and not report.updated_ids


def test_a_first_load_carrying_other_districts_reference_outlines_unchanged_still_loads(store, tmp_path) -> None:
    """Only the district's own code held as a reference outline stops its first load (the review's 回民区); other
    districts' reference outlines an export of the units carries pass unchanged, as before."""
    import geopandas as gpd

    from geo.io.importer import import_file

    neighbour = {"code": "150103000000", "name": "回民区", "level": "county", "status": "neighbour", "adcode": "150103"}
    west, east = shapely.box(111.50, 40.70, 111.60, 40.90), shapely.box(111.60, 40.70, 111.90, 40.90)
    store.insert("admin_units", [{**neighbour, "geometry": shapely.MultiPolygon([west])}], actor="test")
    frame = gpd.GeoDataFrame([{"code": "150102000000", "name": "新城区", "level": "district"}, neighbour],
                             geometry=[shapely.MultiPolygon([east]), shapely.MultiPolygon([west])], crs="EPSG:4490")
    path = tmp_path / "units.gpkg"
    frame.to_file(path, driver="GPKG")
    report = import_file(store, "admin_units", path, crs="EPSG:4490", actor="test", mode="upsert")
    assert report.ids and report.unchanged == 1
    assert {u["code"]: u["status"] for u in store.select("admin_units")} == {"150103000000": "neighbour",
                                                                             "150102000000": "active"}
