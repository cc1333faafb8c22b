"""``boundaries compare`` cannot mislead (issue #16, part 1): every finding of the inspection is a case.

The use case (:func:`geo.boundaries.compare.compare_boundary`) and the command (run in-process with
click's runner against the real store, SQLite and PostGIS) are driven with real files written by
GDAL: our own polygon in a second version, the neighbour's polygon, the line alone, a shifted
version (a wrong CRS), and each bad input the inspector tried (empty, points, null geometry, a far
line, latitude 95, a bow-tie, a 200,000-vertex self-intersecting polygon, a wrong --neighbour).
Each refusal exits 2 with a Chinese-first message naming the problem, and stores nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
import shapely.affinity
import shapely.ops
from click.testing import CliRunner

from api.cli import main
from geo import crs as C
from geo.boundaries.compare import compare_boundary
from geo.boundaries.lines import faces_between_lines, ordered_parts, stretch_along, systematic_shift
from geo.errors import InputError
from geo.io.formats import read_features
from geo.messages import SEPARATOR
from geo.store import Store
from geo.validation import MAX_VERTICES

SAIHAN = "150105"
HUIMIN = "150103"
BUMPS = ((0.2, 150.0), (0.5, 100.0), (0.8, 80.0))  # (where along the line, radius m): our polygon v2 adds, cuts, adds


# -- the store's geometry, in metres ---------------------------------------------------------------------


def _unit(store: Store, adcode: str):
    return C.to_metric(store.select("admin_units", where={"code": f"{adcode}000000"})[0]["geometry"])


def _line(store: Store, adcode: str):
    return C.to_metric(store.select("boundary_lines", where={"right_adcode": adcode})[0]["geometry"])


def _bumps(store: Store) -> list[shapely.Polygon]:
    line = _line(store, SAIHAN)
    return [line.interpolate(frac * line.length).buffer(radius) for frac, radius in BUMPS]


def _our_v2(store: Store):
    """Our district drawn again: two bulges into 赛罕区 and one bite out of ours, all on the 赛罕区 line."""
    grow1, cut, grow2 = _bumps(store)
    return _unit(store, "150102").union(grow1).difference(cut).union(grow2)


def _frame(*geoms_m, **columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns or None, geometry=[C.from_metric(g) for g in geoms_m], crs="EPSG:4490")


def _write(tmp_path: Path, name: str, frame: gpd.GeoDataFrame) -> Path:
    path = tmp_path / name
    frame.to_file(path, driver="GeoJSON")
    return path


def _audit_rows(store: Store) -> int:
    return store.count("audit_log")


def _compare(store: Store, path: Path, *args: str):
    url = store.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(main, ["--database-url", url, "boundaries", "compare", str(path), *args])


def _assert_refused(result, *, names: str) -> None:
    """Exit 2, a Chinese-first message naming the problem, and no "0 disputed" all-clear."""
    assert result.exit_code == 2, result.output
    assert "争议区域 disputed areas" not in result.output
    message = result.output.split("Error: ", 1)[1]
    assert SEPARATOR in message and "\u4e00" <= message[0] <= "\u9fff", message
    assert names in message, message


# -- our polygon, the neighbour's polygon, the line alone ------------------------------------------------


def test_our_own_polygon_is_compared_along_the_line_not_with_the_neighbours_whole_polygon(sample_store):
    """The inspector's first finding: 1,664 km² "disputed"; the right answer is the three bumps."""
    result = compare_boundary(sample_store, _frame(_our_v2(sample_store)), neighbour=SAIHAN)
    assert result.compared == "polygon" and result.described == "150102"
    assert len(result.areas) == 3 and result.total_m2 < 100_000
    bumps = _bumps(sample_store)
    line = _line(sample_store, SAIHAN)
    (numbered,) = ordered_parts(line)
    by_bump = {}
    for a in result.areas:
        (k,) = [k for k, b in enumerate(bumps) if a["geometry"].intersects(b)]
        by_bump[k] = a
        assert a["geometry"].area == pytest.approx(bumps[k].area / 2, rel=0.1)  # half a disc on each side
        assert a["area_mu"] == pytest.approx(a["area_m2"] * 15 / 10_000, abs=1e-3)
        centre = C.to_metric(shapely.Point(a["lon"], a["lat"]))
        assert centre.distance(bumps[k]) < 1.0
        at_km = numbered.project(bumps[k].centroid) / 1000  # counted the way the markers are numbered
        assert a["from_km"] <= at_km <= a["to_km"] and a["to_km"] - a["from_km"] < 1.0
        numbers = [m for m in (a["from_marker"], a["to_marker"]) if m.startswith("XS01")]
        assert numbers == sorted(numbers), "the stretch runs the way the markers are numbered"
        assert a["from_marker"].startswith("XS01") and a["to_marker"].startswith("XS01")
        assert a["place"].startswith("界桩 XS01")
    assert [by_bump[k]["gains_label"] for k in range(3)] == ["新城区多划", "赛罕区多划", "新城区多划"]
    assert [by_bump[k]["gains"] for k in range(3)] == ["150102", SAIHAN, "150102"]
    for no, d in result.markers_affected:  # every marker listed stands within 20 m, with both distances
        assert d <= 20.0
        (detail, *_) = [m for m in result.markers if m["marker_no"] == no]
        assert detail["to_ours_m"] < 5.0 and detail["to_theirs_m"] > detail["to_ours_m"] + 20.0


def test_the_neighbours_polygon_and_an_adcode_attribute(sample_store):
    grow1 = _bumps(sample_store)[0]
    theirs = _frame(_unit(sample_store, SAIHAN).union(grow1))
    result = compare_boundary(sample_store, theirs, neighbour=SAIHAN)
    assert result.described == SAIHAN and [a["gains_label"] for a in result.areas] == ["赛罕区多划"]
    assert "重合" in result.described_as
    declared = _frame(_our_v2(sample_store), adcode=["150102"])
    result = compare_boundary(sample_store, declared, neighbour=SAIHAN)
    assert result.described == "150102" and "adcode" in result.described_as and len(result.areas) == 3


def test_the_line_alone_and_an_identical_version(sample_store):
    line = _line(sample_store, SAIHAN)
    steps = np.arange(0, line.length, 25.0)
    mid = line.length / 2
    # Their line runs 40 m north of ours for 1 km in the middle.
    moved = [(p.x, p.y + (40.0 if abs(d - mid) < 500 else 0.0)) for p, d in
             zip([line.interpolate(d) for d in steps], steps, strict=True)]
    theirs = _frame(shapely.LineString([*moved, line.coords[-1]]))
    result = compare_boundary(sample_store, theirs, neighbour=SAIHAN, min_area_m2=1_000)
    assert result.compared == "line" and result.described is None and result.shift is None
    big = result.areas[0]
    assert 30_000 < big["area_m2"] < 45_000 and big["from_km"] <= mid / 1000 <= big["to_km"]
    assert big["gains"] in ("150102", SAIHAN) and big["gains_label"].endswith("多划")
    same = compare_boundary(sample_store, _frame(line), neighbour=SAIHAN)
    assert same.areas == [] and same.warnings == []


# -- refusals of the use case: the wrong neighbour, a file resembling neither unit ----------------------


def test_a_wrong_neighbour_is_refused_naming_the_right_one(sample_store):
    with pytest.raises(InputError, match=HUIMIN) as err:
        compare_boundary(sample_store, _frame(_line(sample_store, HUIMIN)), neighbour=SAIHAN)
    assert err.value.field == "neighbour"
    with pytest.raises(InputError, match=HUIMIN) as err:
        compare_boundary(sample_store, _frame(_unit(sample_store, HUIMIN)), neighbour=SAIHAN)
    assert err.value.field == "neighbour"
    for bad in ("150102", "999999"):  # our own code, an unknown one: the message lists the neighbours
        with pytest.raises(InputError, match="赛罕区（150105）") as err:
            compare_boundary(sample_store, _frame(_our_v2(sample_store)), neighbour=bad)
        assert err.value.field == "neighbour"


def test_a_polygon_resembling_neither_unit_or_contradicting_its_adcode_is_refused(sample_store):
    somewhere = _unit(sample_store, "150102").centroid.buffer(2_000)
    with pytest.raises(InputError, match="resembles neither") as err:
        compare_boundary(sample_store, _frame(somewhere), neighbour=SAIHAN)
    assert err.value.field == "file"
    with pytest.raises(InputError, match="overlaps our") as err:
        compare_boundary(sample_store, _frame(_unit(sample_store, SAIHAN), adcode=["150102"]), neighbour=SAIHAN)
    assert err.value.field == "adcode"
    with pytest.raises(InputError, match="150125") as err:
        compare_boundary(sample_store, _frame(_our_v2(sample_store), adcode=["150125"]), neighbour=SAIHAN)
    assert err.value.field == "adcode"
    with pytest.raises(InputError, match="several units") as err:
        two = _frame(_unit(sample_store, "150102"), _unit(sample_store, SAIHAN), code=["150102000000", "150105000000"])
        compare_boundary(sample_store, two, neighbour=SAIHAN)
    assert err.value.field == "code"


def test_a_file_mixing_polygons_and_lines_is_refused(sample_store):
    with pytest.raises(InputError, match="both polygons and lines") as err:
        compare_boundary(sample_store, _frame(_our_v2(sample_store), _line(sample_store, SAIHAN)), neighbour=SAIHAN)
    assert err.value.field == "geometry"


# -- a systematic shift: a likely wrong --crs -----------------------------------------------------------


def test_a_line_in_gcj02_read_as_cgcs2000_warns_of_the_crs_with_the_shift(sample_store, tmp_path):
    stored = sample_store.select("boundary_lines", where={"right_adcode": SAIHAN})[0]["geometry"]
    xy = np.asarray(stored.coords)
    lon, lat = C.from_storage(xy[:, 0], xy[:, 1], "GCJ02")
    path = _write(tmp_path, "gcj.geojson", gpd.GeoDataFrame(
        geometry=[shapely.LineString(np.column_stack([lon, lat]))], crs="EPSG:4490"))
    before = _audit_rows(sample_store)
    out = _compare(sample_store, path, "--crs", "EPSG:4490", "--neighbour", SAIHAN)
    assert out.exit_code == 0, out.output
    assert "--crs" in out.output and "注意 warning" in out.output
    true = C.to_metric(shapely.Point(lon[0], lat[0]))
    expected = np.hypot(true.x - C.to_metric(shapely.Point(xy[0])).x, true.y - C.to_metric(shapely.Point(xy[0])).y)
    result = compare_boundary(sample_store, read_features(path, crs="EPSG:4490")[0], neighbour=SAIHAN)
    assert result.shift is not None and result.shift.distance_m == pytest.approx(expected, rel=0.1)
    assert f"{result.shift.distance_m:,.0f} 米" in out.output
    assert _audit_rows(sample_store) == before


def test_a_shifted_polygon_warns_with_distance_and_direction(sample_store):
    shifted = shapely.affinity.translate(_unit(sample_store, "150102"), 300.0, -200.0)
    result = compare_boundary(sample_store, _frame(shifted), neighbour=SAIHAN)
    assert result.shift is not None
    assert result.shift.east_m == pytest.approx(300, abs=15) and result.shift.north_m == pytest.approx(-200, abs=15)
    assert "向东南" in result.warnings[0] and "south-east" in result.warnings[0]
    assert any("此界线以外" in w for w in result.warnings)  # the other lines differ too


# -- the command: every refusal the inspector found, on both backends ------------------------------------


def _geojson(tmp_path: Path, name: str, features: list[dict]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def _feature(geometry: dict | None) -> dict:
    return {"type": "Feature", "properties": {}, "geometry": geometry}


@pytest.fixture(scope="module")
def huge_self_intersecting(tmp_path_factory) -> Path:
    """A 200,001-vertex polygon that crosses itself many times (the one that took 272 s and 12.8 GB)."""
    n = 200_000
    t = np.linspace(0, 2 * np.pi * 50, n)
    r = 0.05 + 0.02 * np.sin(t * 7.3)
    coords = np.column_stack([111.7 + r * np.cos(t), 40.85 + r * np.sin(t)]).tolist()
    return _geojson(tmp_path_factory.mktemp("huge"), "huge.geojson",
                    [_feature({"type": "Polygon", "coordinates": [[*coords, coords[0]]]})])


def _bad_files(tmp_path: Path, store: Store) -> list[tuple[Path, str]]:
    """Return (file, what the refusal must name)."""
    line = _line(store, SAIHAN)
    far = shapely.affinity.translate(line, 10_000.0, 0.0)
    return [
        (_geojson(tmp_path, "empty.geojson", []), "没有要素"),
        (_write(tmp_path, "points.geojson", _frame(line.interpolate(100), line.interpolate(900))), "Point"),
        (_geojson(tmp_path, "null.geojson", [_feature(None)]), "没有几何"),
        (_write(tmp_path, "far.geojson", _frame(far)), "不是这条界线的版本"),
        (_geojson(tmp_path, "lat95.geojson",
                  [_feature({"type": "LineString", "coordinates": [[111.7, 40.8], [111.8, 95.0]]})]), "CRS-01"),
        (_geojson(tmp_path, "bowtie.geojson", [_feature({"type": "Polygon", "coordinates": [
            [[111.7, 40.8], [111.8, 40.9], [111.8, 40.8], [111.7, 40.9], [111.7, 40.8]]]})]), "Self-intersection"),
        (_write(tmp_path, "huimin_line.geojson", _frame(_line(store, HUIMIN))), "--neighbour 150103"),
    ]


def test_bad_files_are_refused_with_exit_2_and_nothing_stored(sample_store, tmp_path):
    before = _audit_rows(sample_store)
    for path, names in _bad_files(tmp_path, sample_store):
        _assert_refused(_compare(sample_store, path, "--crs", "EPSG:4490", "--neighbour", SAIHAN), names=names)
    assert _audit_rows(sample_store) == before


def test_a_huge_self_intersecting_polygon_is_refused_by_the_vertex_limit(sample_store, huge_self_intersecting):
    out = _compare(sample_store, huge_self_intersecting, "--crs", "EPSG:4490", "--neighbour", SAIHAN)
    _assert_refused(out, names=f"{MAX_VERTICES:,}")
    assert "200,001" in out.output and "Self-intersection" not in out.output  # refused before GEOS ran


def test_a_file_of_many_small_features_is_held_to_the_total_vertex_limit(sample_store):
    line = _line(sample_store, SAIHAN)
    pieces = [shapely.LineString(line.interpolate(np.linspace(0, 5_000, 20_000) + k)) for k in range(6)]
    with pytest.raises(InputError, match="in all") as err:
        compare_boundary(sample_store, _frame(*pieces), neighbour=SAIHAN)
    assert err.value.field == "geometry"


def test_a_wrong_or_own_neighbour_on_the_command_line(sample_store, tmp_path):
    path = _write(tmp_path, "ours.geojson", _frame(_our_v2(sample_store)))
    for bad in ("150102", "999999"):
        _assert_refused(_compare(sample_store, path, "--crs", "EPSG:4490", "--neighbour", bad), names="150105")


# -- the command's output and every --out ----------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".csv", ".xlsx", ".json"])
def test_every_out_format_is_written_with_the_parts(sample_store, tmp_path, suffix):
    path = _write(tmp_path, "ours.geojson", _frame(_our_v2(sample_store)))
    target = tmp_path / f"disputed{suffix}"
    out = _compare(sample_store, path, "--crs", "EPSG:4490", "--neighbour", SAIHAN, "--out", str(target))
    assert out.exit_code == 0, out.output
    assert "争议区域 disputed areas: 3," in out.output and "赛罕区多划" in out.output and "新城区多划" in out.output
    assert "BM-09" in out.output
    if suffix == ".csv":
        table = pd.read_csv(target, encoding="utf-8-sig", dtype={"gains": str})
    elif suffix == ".xlsx":
        table = pd.read_excel(target, dtype={"gains": str})
    else:
        table = pyogrio.read_dataframe(target)
        assert table.crs == "EPSG:4490"
    assert len(table) == 3 and sorted(table["gains_label"]) == ["新城区多划", "新城区多划", "赛罕区多划"]
    assert {"area_m2", "area_mu", "lon", "lat", "place", "from_km", "to_km", "from_marker", "to_marker",
            "markers"} <= set(table.columns)


def test_an_agreeing_version_says_so_and_still_writes_its_file(sample_store, tmp_path):
    line = sample_store.select("boundary_lines", where={"right_adcode": SAIHAN})[0]["geometry"]
    path = _write(tmp_path, "same.geojson", gpd.GeoDataFrame(geometry=[line], crs="EPSG:4490"))
    target = tmp_path / "none.gpkg"
    out = _compare(sample_store, path, "--crs", "EPSG:4490", "--neighbour", SAIHAN, "--out", str(target))
    assert out.exit_code == 0, out.output
    assert "disputed areas: 0," in out.output and "一致" in out.output and target.exists()


@pytest.mark.parametrize("out_path", ["x.kml", "noext", "/missing/dir/x.gpkg", "."])
def test_a_bad_out_is_a_usage_error_before_any_work(sample_store, tmp_path, out_path):
    path = _write(tmp_path, "ours.geojson", _frame(_our_v2(sample_store)))
    target = out_path if out_path.startswith("/") else str(tmp_path / out_path)
    out = _compare(sample_store, path, "--crs", "EPSG:4490", "--neighbour", SAIHAN, "--out", target)
    assert out.exit_code == 2 and "--out" in out.output and "争议区域" not in out.output, out.output
    assert not Path(target).is_file()


# -- the pure pieces (metres) ----------------------------------------------------------------------------


def test_faces_between_lines_close_a_shifted_version_onto_ours():
    ours = shapely.LineString([(0, 0), (1000, 0), (2000, 300)])
    theirs = shapely.affinity.translate(ours, 0, 50)  # never crosses ours: open ends are closed
    faces = faces_between_lines(ours, theirs)
    assert sum(f.area for f in faces) == pytest.approx(2000 * 50, rel=0.02)
    assert stretch_along(ours, faces[0]) == pytest.approx((0.0, ours.length), abs=60)


def test_systematic_shift_is_found_and_a_local_difference_is_not():
    ours = shapely.LineString([(0, 0), (1000, 0), (1500, 800), (2500, 900), (3000, 0), (4000, 200)])
    shift = systematic_shift(ours, shapely.affinity.translate(ours, 30, -40))
    assert shift is not None and shift.east_m == pytest.approx(30, abs=2) and shift.north_m == pytest.approx(-40, abs=2)
    assert shift.distance_m == pytest.approx(50, abs=2) and 90 < shift.bearing_deg < 180
    bulge = shapely.LineString([(0, 0), (400, 0), (400, 30), (600, 30), (600, 0), (1000, 0), (1500, 800),
                                (2500, 900), (3000, 0), (4000, 200)])
    assert systematic_shift(ours, bulge) is None


# -- over HTTP: a boundary role posts the file, nothing is stored --------------------------------------------


def _post(base: str, body: bytes, headers: dict[str, str] | None = None, **params: str):
    import httpx

    query = {"crs": "EPSG:4490", "format": "geojson", "neighbour": SAIHAN, **params}
    return httpx.post(f"{base}/api/boundary-compare", params=query, content=body, headers=headers or {}, timeout=120)


def test_http_compare_answers_the_parts_for_a_boundary_role_only(live_server, sample_store, tmp_path):
    from tests.test_api import _assert_error_shape, _token

    body = _write(tmp_path, "ours.geojson", _frame(_our_v2(sample_store))).read_bytes()
    before = _audit_rows(sample_store)
    r = _post(live_server, body, _token(live_server, "boundary_inspector"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    answer = r.json()
    assert answer["described"] == "150102" and answer["compared"] == "polygon" and len(answer["features"]) == 3
    labels = sorted(f["properties"]["gains_label"] for f in answer["features"])
    assert labels == ["新城区多划", "新城区多划", "赛罕区多划"]
    assert all(f["geometry"]["type"] == "Polygon" for f in answer["features"])
    _assert_error_shape(_post(live_server, body, _token(live_server, "planner")), 403)
    _assert_error_shape(_post(live_server, body), 401)
    empty = json.dumps({"type": "FeatureCollection", "features": []}).encode()
    inspector = _token(live_server, "boundary_inspector")
    points = _write(tmp_path, "points.geojson", _frame(_line(sample_store, SAIHAN).interpolate(10))).read_bytes()
    for sent, params, field, says in ((empty, {}, "file", "没有要素"), (points, {}, "geometry", "Point"),
                                      (body, {"neighbour": "150102"}, "neighbour", "赛罕区（150105）")):
        r = _post(live_server, sent, inspector, **params)
        refused = _assert_error_shape(r, r.status_code if r.status_code in (400, 422) else 400, field)
        assert says in refused["message"] and SEPARATOR in refused["message"]
    assert _audit_rows(sample_store) == before


# -- review of #16: a file covering part of the line, the CRS named, big files, HTTP parameters ------------


def _stretch(store: Store, start: float, end: float):
    """Return the stretch of the 赛罕区 line between shares ``start`` and ``end`` of it, counted the way the
    markers are numbered (metres)."""
    (numbered,) = ordered_parts(_line(store, SAIHAN))
    return shapely.ops.substring(numbered, start * numbered.length, end * numbered.length)


def test_a_line_covering_only_part_of_the_line_says_which_part_and_never_agrees_on_the_whole(sample_store, tmp_path):
    """The reviewer's finding 2: the first 2% of the line answered "两版本在…上一致", exit 0. A 1 km
    resurvey is compared on its kilometre; a scrap of 100 m is too little to compare."""
    length_km = _line(sample_store, SAIHAN).length / 1000
    km = _write(tmp_path, "km.geojson", _frame(_stretch(sample_store, 0.0, 0.02)))
    out = _compare(sample_store, km, "--crs", "EPSG:4490", "--neighbour", SAIHAN)
    assert out.exit_code == 0 and "文件覆盖界线的 2%" in out.output and "不能说整条" in out.output, out.output
    tiny = _write(tmp_path, "tiny.geojson", _frame(_stretch(sample_store, 0.0, 0.002)))
    before = _audit_rows(sample_store)
    _assert_refused(_compare(sample_store, tiny, "--crs", "EPSG:4490", "--neighbour", SAIHAN), names="不足以比对")
    with pytest.raises(InputError, match="too little to compare") as err:
        compare_boundary(sample_store, read_features(tiny, crs="EPSG:4490")[0], neighbour=SAIHAN)
    assert err.value.field == "file"
    tenth = _write(tmp_path, "tenth.geojson", _frame(_stretch(sample_store, 0.3, 0.4)))
    out = _compare(sample_store, tenth, "--crs", "EPSG:4490", "--neighbour", SAIHAN)
    assert out.exit_code == 0, out.output
    assert "覆盖范围 coverage: 文件覆盖界线的 10%" in out.output and "注意 warning: 文件只覆盖" in out.output
    assert "两版本在新城区—赛罕区界线上一致" not in out.output and "不能说整条" in out.output
    result = compare_boundary(sample_store, read_features(tenth, crs="EPSG:4490")[0], neighbour=SAIHAN)
    assert result.partial and result.coverage is not None
    assert result.coverage.from_km == pytest.approx(0.3 * length_km, abs=0.1)
    assert result.coverage.to_km == pytest.approx(0.4 * length_km, abs=0.1)
    assert f"km {result.coverage.from_km:.2f}–{result.coverage.to_km:.2f}" in out.output
    whole = compare_boundary(sample_store, _frame(_line(sample_store, SAIHAN)), neighbour=SAIHAN)
    assert not whole.partial and whole.coverage is not None and whole.coverage.share > 0.99
    assert _audit_rows(sample_store) == before


def test_a_shifted_version_still_covers_the_whole_line(sample_store):
    """Coverage counts where the file's version runs beside ours, not where it touches it."""
    shifted = shapely.affinity.translate(_line(sample_store, SAIHAN), 50.0, 30.0)
    result = compare_boundary(sample_store, _frame(shifted), neighbour=SAIHAN)
    assert result.coverage is not None and result.coverage.share > 0.97 and not result.partial


def test_a_polygon_whose_edge_follows_only_part_of_the_line_warns(sample_store):
    """Our polygon cut back 1.5 km from the second half of the line: its edge runs beside the first half only."""
    cut = _unit(sample_store, "150102").difference(_stretch(sample_store, 0.5, 1.0).buffer(1_500))
    result = compare_boundary(sample_store, _frame(cut), neighbour=SAIHAN)
    assert result.described == "150102" and result.partial and result.coverage is not None
    assert 0.4 < result.coverage.share < 0.6
    assert any("文件只覆盖" in w and "rest of the line was not compared" in w for w in result.warnings)


def test_coordinates_outside_china_name_the_crs_given(sample_store, tmp_path):
    """The reviewer's finding 11: --crs EPSG:4546 was reported as "文件按 EPSG:4490 读取"."""
    path = _write(tmp_path, "ours.geojson", _frame(_our_v2(sample_store)))
    out = _compare(sample_store, path, "--crs", "EPSG:4546", "--neighbour", SAIHAN)
    _assert_refused(out, names="EPSG:4546")
    assert "EPSG:4490" not in out.output


def test_a_file_far_too_big_is_refused_before_it_is_read(sample_store, tmp_path):
    path = tmp_path / "big.geojson"
    with path.open("wb") as fh:  # 40 MB that would not even parse: refused by its size alone
        fh.write(b'{"type": "FeatureCollection", "features": [')
        fh.truncate(40 * 1024 * 1024)
    _assert_refused(_compare(sample_store, path, "--crs", "EPSG:4490", "--neighbour", SAIHAN), names="32 MB")


def test_http_partial_line_empty_body_and_min_area_not_a_number(live_server, sample_store, tmp_path):
    from tests.test_api import _assert_error_shape, _token

    inspector = _token(live_server, "boundary_inspector")  # a refused input is the service's 400 invalid_input
    before = _audit_rows(sample_store)
    tiny = _write(tmp_path, "tiny.geojson", _frame(_stretch(sample_store, 0.0, 0.002))).read_bytes()
    refused = _assert_error_shape(_post(live_server, tiny, inspector), 400, "file")
    assert "不足以比对" in refused["message"]
    tenth = _write(tmp_path, "tenth.geojson", _frame(_stretch(sample_store, 0.3, 0.4))).read_bytes()
    r = _post(live_server, tenth, inspector)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["partial"] is True and 0.08 < answer["coverage"]["share"] < 0.12
    assert answer["coverage"]["from_km"] < answer["coverage"]["to_km"] and answer["coverage"]["stretches"]
    assert "不能说整条" in answer["summary"] and any("文件只覆盖" in w for w in answer["warnings"])
    body = _write(tmp_path, "ours.geojson", _frame(_our_v2(sample_store))).read_bytes()
    for bad in ("nan", "inf", "abc"):
        refused = _assert_error_shape(_post(live_server, body, inspector, min_area_m2=bad), 400, "min_area_m2")
        assert "不是有效数字" in refused["message"] and "not a number" in refused["message"]
    refused = _assert_error_shape(_post(live_server, body, inspector, min_area_m2="-1"), 400, "min_area_m2")
    assert "min_area_m2" in refused["message"]
    refused = _assert_error_shape(_post(live_server, b"", inspector), 400, "file")
    assert "为空" in refused["message"] and "empty" in refused["message"]
    assert _audit_rows(sample_store) == before
