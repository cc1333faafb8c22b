"""Legacy survey coordinates (Beijing 1954 / Xi'an 1980 Gauss–Krüger) into CGCS2000 (issue #16 part 2).

Known CGCS2000 positions along the sample district's line XH01 are taken into the legacy grid by an
independent path (pyproj with a ``towgs84`` CRS, which applies the 7 parameters through PROJ's own
WGS84 hub), written as a survey table (X north, Y east, H), and imported through the CLI on SQLite and
PostGIS: the stored markers must come back within millimetres, with their elevation and the record
of their conversion, through the marker registry's checks.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pyproj
import pytest
import shapely
from click.testing import CliRunner

from api.cli import main
from geo import legacy_crs as LC
from geo.errors import InputError
from geo.store import Store

# Every test here also runs on PostGIS by default (both_backends, see tests/conftest.py):
# markers stored through the CLI come back within millimetres with their elevation, on each backend's geometry storage.
pytestmark = pytest.mark.both_backends

PARAMS = {"dx_m": -15.4, "dy_m": 125.6, "dz_m": 60.3, "rx_arcsec": 0.4, "ry_arcsec": -0.3, "rz_arcsec": 1.2,
          "ds_ppm": -2.1}
TOWGS84 = ",".join(str(PARAMS[k]) for k in ("dx_m", "dy_m", "dz_m", "rx_arcsec", "ry_arcsec", "rz_arcsec",
                                            "ds_ppm"))
DOCS = ["--reason", "旧成果转换", "--agreement-doc", "新回界协〔2003〕1号", "--survey-ref", "CL-2003-07",
        "--filed-with", "内蒙古自治区民政厅", "--managing-adcode", "150102"]  # 新城区: a side of XH01 and XS01
_GEOD = pyproj.Geod(ellps="GRS80")


def _legacy(lon, lat, *, ellps="krass", cm=111, x0=37_500_000, towgs84=TOWGS84):
    """Return legacy (east, north) of CGCS2000 positions: an independent PROJ path (towgs84 hub)."""
    legacy = pyproj.CRS(f"+proj=tmerc +lat_0=0 +lon_0={cm} +k=1 +x_0={x0} +y_0=0 +ellps={ellps} "
                        f"+towgs84={towgs84} +units=m +no_defs")
    cgcs = pyproj.CRS("+proj=longlat +ellps=GRS80 +towgs84=0,0,0 +no_defs")
    return pyproj.Transformer.from_crs(cgcs, legacy, always_xy=True).transform(np.asarray(lon), np.asarray(lat))


def _distance_m(a, b) -> float:
    return float(_GEOD.inv(a[0], a[1], b[0], b[1])[2])


def _on_line(store: Store, line_code: str, fractions) -> list[tuple[float, float]]:
    line = store.select("boundary_lines", where={"line_code": line_code})[0]["geometry"]
    return [(p.x, p.y) for p in (line.interpolate(f, normalized=True) for f in fractions)]


def _url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def _cli(store: Store, *args: str):
    return CliRunner().invoke(main, ["--database-url", _url(store), "boundaries", *map(str, args)])


def _table(path: Path, rows, *, encoding="utf-8", header=("点号", "界线编码", "X(北)", "Y(东)", "H(高程)")) -> Path:
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def _params_file(tmp_path: Path, **extra) -> Path:
    path = tmp_path / "params.json"
    path.write_text(json.dumps({"kind": "helmert7", "convention": "position_vector", **PARAMS, **extra}))
    return path


def _survey(store: Store, tmp_path: Path, fractions=(0.2, 0.4, 0.6), *, prefixed=True):
    """Return the true CGCS2000 positions on XH01 and a survey table of them in Beijing 1954 3° zone 37."""
    truth = _on_line(store, "XH01", fractions)
    east, north = _legacy([p[0] for p in truth], [p[1] for p in truth])
    if not prefixed:
        east = np.asarray(east) - 37_000_000
    rows = [("", "XH01", f"{n:.4f}", f"{e:.4f}", f"{1050.5 + i:.3f}")
            for i, (e, n) in enumerate(zip(east, north, strict=True))]
    return truth, _table(tmp_path / "markers.csv", rows)


def _chinese_first(message: str) -> bool:
    zh = message.split(" · ", 1)[0]
    return any("\u4e00" <= ch <= "\u9fff" for ch in zh)


def _new_markers(store: Store, before: set[int]) -> list[dict]:
    return sorted((m for m in store.select("boundary_markers") if m["id"] not in before), key=lambda m: m["id"])


# -- the grids: EPSG codes, zone numbers, swapped axes (pure) ---------------------------------------


@pytest.mark.parametrize("system, name, ellps", [("beijing1954", "Beijing 1954", "krass"),
                                                  ("xian1980", "Xian 1980", "IAU76")])
@pytest.mark.parametrize("width, zone", [(3, 25), (3, 37), (3, 45), (6, 13), (6, 19), (6, 23)])
@pytest.mark.parametrize("prefixed", [True, False])
def test_every_grid_names_the_epsg_code_pyproj_knows_for_it(system, name, ellps, width, zone, prefixed):
    grid = LC.GaussKruger(system, width, zone, prefixed)
    crs = pyproj.CRS.from_epsg(grid.epsg)
    assert crs.name.startswith(name), crs.name
    assert (f"zone {zone}" in crs.name) == prefixed and (f"CM {grid.central_meridian_deg}E" in crs.name) != prefixed
    assert ("3-degree" in crs.name) == (width == 3)
    params = {p.name: p.value for p in crs.coordinate_operation.params}
    assert params["Longitude of natural origin"] == grid.central_meridian_deg
    assert params["False easting"] == grid.false_easting_m
    assert crs.ellipsoid.semi_major_metre == pyproj.CRS(f"+proj=longlat +ellps={ellps}").ellipsoid.semi_major_metre
    target = pyproj.CRS.from_epsg(LC.cgcs2000_gk_epsg(width, grid.central_meridian_deg))
    assert target.name.startswith("CGCS2000") and f"CM {grid.central_meridian_deg}E" in target.name


def test_hohhot_lies_in_3_degree_zone_37_and_6_degree_zone_19_both_on_111e():
    east3, north3 = _legacy([111.65], [40.85])
    east6, north6 = _legacy([111.65], [40.85], x0=19_500_000)
    assert LC.resolve_grid("beijing1954", 3, north3, east3).zone == 37
    grid6 = LC.resolve_grid("beijing1954", 6, north6, east6)
    assert (grid6.zone, grid6.central_meridian_deg, grid6.epsg) == (19, 111, 21419)
    assert LC.resolve_grid("xian1980", 3, north3, east3).epsg == 2361


def test_the_zone_comes_from_the_easting_prefix_or_must_be_given():
    east, north = _legacy([111.62, 111.70], [40.90, 40.85])
    with_prefix = LC.resolve_grid("beijing1954", 3, north, east)
    assert (with_prefix.zone, with_prefix.prefixed, with_prefix.epsg) == (37, True, 2413)
    local = np.asarray(east) - 37_000_000
    assert LC.resolve_grid("beijing1954", 3, north, local, zone=37).epsg == 2434  # CM 111E, no prefix
    with pytest.raises(InputError) as err:
        LC.resolve_grid("beijing1954", 3, north, local)
    assert err.value.field == "zone" and "带号" in err.value.message
    with pytest.raises(InputError) as err:
        LC.resolve_grid("beijing1954", 3, north, east, zone=38)
    assert err.value.field == "zone" and "37" in err.value.message
    with pytest.raises(InputError) as err:  # a 6° zone number read as a 3° one
        LC.resolve_grid("beijing1954", 3, north, np.asarray(east) - 18_000_000)
    assert err.value.field == "y_east" and "19" in err.value.message
    with pytest.raises(InputError) as err:
        LC.resolve_grid("beijing1954", 3, north, [east[0], local[1]], zone=37)
    assert err.value.field == "y_east"
    with pytest.raises(InputError) as err:
        LC.resolve_grid("tokyo", 3, north, east)
    assert err.value.field == "system"


def test_a_northing_in_the_easting_column_is_refused_as_swapped_axes():
    east, north = _legacy([111.62, 111.70], [40.90, 40.85])
    with pytest.raises(InputError) as err:  # the table's X and Y read the wrong way round
        LC.resolve_grid("beijing1954", 3, east, north)
    assert err.value.field == "x_north" and "对调" in err.value.message.split(" · ")[0]
    local = np.asarray(east) - 37_000_000
    with pytest.raises(InputError) as err:
        LC.resolve_grid("beijing1954", 3, local, north, zone=37)
    assert err.value.field == "y_east" and "swapped" in err.value.message


def test_xian_1980_6_degree_round_trip_through_seven_parameters_is_within_millimetres():
    lon, lat = np.array([111.61, 111.80, 112.02]), np.array([40.83, 41.05, 40.95])
    towgs84 = "24.1,-80.5,-38.2,-1.1,0.6,-0.9,3.3"
    east, north = _legacy(lon, lat, ellps="IAU76", x0=19_500_000, towgs84=towgs84)
    grid = LC.resolve_grid("xian1980", 6, north, east)
    params = LC.parameters_from_dict({"kind": "helmert7", "convention": "position_vector",
                                      **dict(zip(PARAMS, map(float, towgs84.split(",")), strict=True))})
    lon2, lat2 = LC.to_cgcs2000(grid, north, east, params=params)
    assert max(_distance_m((a, b), (c, d)) for a, b, c, d in zip(lon, lat, lon2, lat2, strict=True)) < 0.003
    values = dict(zip(PARAMS, map(float, towgs84.split(",")), strict=True))
    frame = LC.Helmert7(*(-v if k.startswith("r") else v for k, v in values.items()), convention="coordinate_frame")
    lon3, _lat3 = LC.to_cgcs2000(grid, north, east, params=frame)  # the same set stated in the other convention
    assert np.allclose(lon3, lon2, atol=1e-10)


def test_without_parameters_the_nominal_change_needs_consent_and_is_metres_off():
    lon, lat = np.array([111.65]), np.array([40.88])
    east, north = _legacy(lon, lat)
    grid = LC.resolve_grid("beijing1954", 3, north, east)
    with pytest.raises(InputError) as err:
        LC.to_cgcs2000(grid, north, east, params=None)
    assert err.value.field == "params" and "数十米" in err.value.message
    lon2, lat2 = LC.to_cgcs2000(grid, north, east, params=None, accept_nominal=True)
    assert _distance_m((lon[0], lat[0]), (lon2[0], lat2[0])) > 5.0  # the datum shift, uncorrected


# -- fits from common points -----------------------------------------------------------------------

_COMMON = (np.array([111.61, 111.70, 111.96, 111.80, 112.02]), np.array([40.83, 41.10, 40.90, 40.95, 41.05]))


@pytest.mark.parametrize("n", [3, 5])
@pytest.mark.parametrize("kind", ["plane4", "helmert7"])
def test_a_fit_from_common_points_reports_each_residual_and_reproduces_the_points(n, kind):
    lon, lat = _COMMON[0][:n], _COMMON[1][:n]
    east, north = _legacy(lon, lat)
    grid = LC.resolve_grid("beijing1954", 3, north, east)
    estimate = LC.estimate_plane4 if kind == "plane4" else LC.estimate_helmert7
    fit = estimate(grid, north, east, lon, lat, point_ids=[f"P{i}" for i in range(n)])
    assert fit.point_ids == [f"P{i}" for i in range(n)] and len(fit.residuals_m) == n
    assert fit.rms_m < 0.005 and fit.max_m < 0.005
    assert math.isclose(fit.rms_m, math.sqrt(sum(r * r for r in fit.residuals_m) / n))
    # a point the fit never saw converts as well (the set holds over the area)
    east2, north2 = _legacy([111.75], [40.97])
    lon2, lat2 = LC.to_cgcs2000(grid, north2, east2, params=fit.params)
    assert _distance_m((111.75, 40.97), (lon2[0], lat2[0])) < 0.01
    again = LC.parameters_from_dict(json.loads(json.dumps(LC.parameters_to_dict(fit.params))))
    assert again == fit.params


def test_a_fit_with_a_bad_point_is_refused_above_the_tolerance_naming_the_point():
    lon, lat = _COMMON
    east, north = _legacy(lon, lat)
    north = np.array(north)
    north[3] += 0.8  # one point surveyed (or typed) wrong by 0.8 m
    grid = LC.resolve_grid("beijing1954", 3, north, east)
    ids = ["J1", "J2", "J3", "J4", "J5"]
    with pytest.raises(InputError) as err:
        LC.estimate_plane4(grid, north, east, lon, lat, point_ids=ids)
    assert err.value.field == "tolerance_m" and "J4" in err.value.message and len(err.value.details) == 5
    loose = LC.estimate_plane4(grid, north, east, lon, lat, point_ids=ids, tolerance_m=1.0)
    assert max(range(5), key=lambda i: loose.residuals_m[i]) == 3


def test_fewer_than_three_or_collinear_common_points_are_refused():
    lon, lat = _COMMON
    east, north = _legacy(lon, lat)
    grid = LC.resolve_grid("beijing1954", 3, north, east)
    with pytest.raises(InputError) as err:
        LC.estimate_plane4(grid, north[:2], east[:2], lon[:2], lat[:2])
    assert err.value.field == "common_points" and "3" in err.value.message
    line_lon = np.array([111.60, 111.70, 111.80, 111.90])
    line_lat = 40.80 + (line_lon - 111.60) * 0.5
    e2, n2 = _legacy(line_lon, line_lat)
    # on one straight line in the grid
    n2 = np.asarray(n2[0]) + (np.asarray(e2) - e2[0]) * 0.5
    for estimate in (LC.estimate_plane4, LC.estimate_helmert7):
        with pytest.raises(InputError) as err:
            estimate(grid, n2, e2, line_lon, line_lat)
        assert err.value.field == "common_points" and "直线" in err.value.message


def test_supplied_parameters_are_checked_for_kind_convention_units_and_meridian():
    with pytest.raises(InputError) as err:
        LC.parameters_from_dict({"kind": "helmert7", **PARAMS})
    assert err.value.field == "params" and "position_vector" in err.value.message
    with pytest.raises(InputError) as err:  # milli-arc-seconds given as arc-seconds
        LC.parameters_from_dict({"kind": "helmert7", "convention": "position_vector", **PARAMS, "rz_arcsec": 1200})
    assert err.value.field == "params" and "rz_arcsec" in err.value.message
    with pytest.raises(InputError) as err:
        LC.parameters_from_dict({"kind": "helmert7", "convention": "position_vector", **PARAMS, "dx_m": "abc"})
    assert "dx_m" in err.value.message
    plane = LC.parameters_from_dict({"kind": "plane4", "dx_north_m": 1, "dy_east_m": 2, "rotation_arcsec": 0,
                                     "scale_ppm": 0, "central_meridian_deg": 114})
    grid = LC.GaussKruger("beijing1954", 3, 37, True)
    with pytest.raises(InputError) as err:
        LC.to_cgcs2000(grid, [4_530_000.0], [37_550_000.0], params=plane)
    assert err.value.field == "params" and "114" in err.value.message


# -- imports through the CLI, on SQLite and PostGIS -------------------------------------------------


def test_a_marker_table_in_beijing_1954_imports_within_millimetres_with_elevation_and_source(
        writable_sample_store, tmp_path):
    store = writable_sample_store
    before = {m["id"] for m in store.select("boundary_markers")}
    truth, table = _survey(store, tmp_path)
    out = _cli(store, "import-legacy", table, "--system", "beijing1954", "--zone-width", "3",
               "--params", _params_file(tmp_path), *DOCS)
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["imported"] == 3 and report["source_epsg"] == 2413 and not report["nominal"]
    new = _new_markers(store, before)
    assert len(new) == 3 and all(m["line_code"] == "XH01" and m["status"] == "active" for m in new)
    for marker, (lon, lat), h in zip(new, truth, (1050.5, 1051.5, 1052.5), strict=True):
        assert _distance_m((marker["geometry"].x, marker["geometry"].y), (lon, lat)) < 0.003
        assert marker["elevation_m"] == pytest.approx(h)
        assert marker["coordinate_source"].startswith("北京1954 3°带 第37带")
        assert "EPSG:2413" in marker["coordinate_source"] and "七参数" in marker["coordinate_source"]
        assert "用户提供" in marker["coordinate_source"]
    audit = store.audit_rows("boundary_markers")
    assert {a["record_id"] for a in audit if a["action"] == "create"} >= {m["id"] for m in new}


def test_an_unprefixed_table_needs_the_zone_and_then_imports(writable_sample_store, tmp_path):
    store = writable_sample_store
    before = {m["id"] for m in store.select("boundary_markers")}
    truth, table = _survey(store, tmp_path, (0.3, 0.5), prefixed=False)
    args = ["import-legacy", table, "--system", "beijing1954", "--zone-width", "3", "--params",
            _params_file(tmp_path), *DOCS]
    refused = _cli(store, *args)
    assert refused.exit_code == 2 and "zone" in refused.output and "带号" in refused.output
    assert "选项 --zone" in refused.output.split("Error: ", 1)[-1]  # names the option to give
    assert not _new_markers(store, before)
    out = _cli(store, *args, "--zone", "37")
    assert out.exit_code == 0, out.output
    new = _new_markers(store, before)
    assert len(new) == 2 and all(_distance_m((m["geometry"].x, m["geometry"].y), t) < 0.003
                                 for m, t in zip(new, truth, strict=True))
    assert "EPSG:2434" in new[0]["coordinate_source"]


def test_common_points_fit_import_and_saved_parameters_reused(writable_sample_store, tmp_path):
    store = writable_sample_store
    before = {m["id"] for m in store.select("boundary_markers")}
    lon, lat = _COMMON
    east, north = _legacy(lon, lat)
    common = _table(tmp_path / "common.csv",
                    [(f"G{i}", f"{n:.4f}", f"{e:.4f}", f"{a:.9f}", f"{b:.9f}")
                     for i, (e, n, a, b) in enumerate(zip(east, north, lon, lat, strict=True))],
                    header=("点号", "x_old", "y_old", "lon", "lat"))
    saved = tmp_path / "fitted.json"
    est = _cli(store, "estimate-params", common, "--system", "beijing1954", "--zone-width", "3", "--kind",
               "helmert7", "--out", saved)
    assert est.exit_code == 0, est.output
    summary = json.loads(est.stdout.strip().splitlines()[-1])
    assert [r["point"] for r in summary["residuals"]] == ["G0", "G1", "G2", "G3", "G4"]
    assert summary["rms_m"] < 0.005 and "RMS" in est.stderr and "G3" in est.stderr
    assert json.loads(saved.read_text())["system"] == "beijing1954"
    truth, table = _survey(store, tmp_path, (0.25, 0.75))
    fitted = _cli(store, "import-legacy", table, "--system", "beijing1954", "--zone-width", "3",
                  "--common-points", common, "--save-params", tmp_path / "again.json", *DOCS)
    assert fitted.exit_code == 0, fitted.output
    new = _new_markers(store, before)
    assert len(new) == 2 and "由 5 个公共点解算" in new[0]["coordinate_source"]
    assert all(_distance_m((m["geometry"].x, m["geometry"].y), t) < 0.01 for m, t in zip(new, truth, strict=True))
    # the saved set, reused, for another datum is refused; for the right one it converts the same
    wrong = _cli(store, "import-legacy", table, "--system", "xian1980", "--zone-width", "3", "--params", saved, *DOCS,
                 "--dry-run")
    assert wrong.exit_code == 2 and "params" in wrong.output
    message = wrong.output.split("Error: ", 1)[-1]  # says what the file was made for and what this import is
    assert "是为 beijing1954 制作的" in message and "本次导入的原坐标系为 xian1980" in message, message
    assert "须为 xian1980 之一" not in message and _chinese_first(message)
    (tmp_path / "other").mkdir()
    _truth, other = _survey(store, tmp_path / "other", (0.35, 0.65))  # new positions: the first two are stored
    reused = _cli(store, "import-legacy", other, "--system", "beijing1954", "--zone-width", "3", "--params", saved,
                  *DOCS, "--dry-run")
    assert reused.exit_code == 0, reused.output
    assert json.loads(reused.stdout.strip().splitlines()[-1])["dry_run"] is True
    assert len(_new_markers(store, before)) == 2  # a dry run stores nothing


def test_a_bad_common_point_refuses_the_import_and_stores_nothing(writable_sample_store, tmp_path):
    store = writable_sample_store
    count = store.count("boundary_markers")
    lon, lat = _COMMON
    east, north = _legacy(lon, lat)
    rows = [(f"G{i}", f"{n + (0.5 if i == 2 else 0):.4f}", f"{e:.4f}", f"{a:.9f}", f"{b:.9f}")
            for i, (e, n, a, b) in enumerate(zip(east, north, lon, lat, strict=True))]
    common = _table(tmp_path / "common.csv", rows, header=("点号", "x_old", "y_old", "lon", "lat"))
    _truth, table = _survey(store, tmp_path)
    out = _cli(store, "import-legacy", table, "--system", "beijing1954", "--zone-width", "3", "--common-points",
               common, *DOCS)
    assert out.exit_code == 2 and "tolerance_m" in out.output and "G2" in out.output
    assert store.count("boundary_markers") == count


def test_without_parameters_the_import_is_refused_unless_the_nominal_change_is_accepted(writable_sample_store,
                                                                                       tmp_path):
    store = writable_sample_store
    before = {m["id"] for m in store.select("boundary_markers")}
    _truth, table = _survey(store, tmp_path, (0.5,))
    base = ["import-legacy", table, "--system", "beijing1954", "--zone-width", "3", *DOCS]
    refused = _cli(store, *base)
    assert refused.exit_code == 2 and "--accept-nominal-datum" in refused.output
    both = _cli(store, *base, "--params", _params_file(tmp_path), "--accept-nominal-datum")
    assert both.exit_code == 2 and "--params" in both.output
    assert not _new_markers(store, before)
    out = _cli(store, *base, "--accept-nominal-datum")
    assert out.exit_code == 0, out.output
    assert "数十米" in out.stderr and json.loads(out.stdout.strip().splitlines()[-1])["nominal"] is True
    (marker,) = _new_markers(store, before)
    assert "名义基准转换" in marker["coordinate_source"] and "EPSG:2413 → EPSG:4490" in marker["coordinate_source"]


def test_a_marker_far_from_its_line_is_refused_by_the_registry_and_nothing_is_stored(writable_sample_store,
                                                                                    tmp_path):
    store = writable_sample_store
    count, audit = store.count("boundary_markers"), len(store.audit_rows("boundary_markers"))
    (a, b) = _on_line(store, "XH01", (0.3, 0.6))
    far = (b[0] + 0.05, b[1])  # some 4 km east of the line
    east, north = _legacy([a[0], far[0]], [a[1], far[1]])
    table = _table(tmp_path / "far.csv", [("", "XH01", f"{n:.3f}", f"{e:.3f}", "1000")
                                          for e, n in zip(east, north, strict=True)])
    out = _cli(store, "import-legacy", table, "--system", "beijing1954", "--zone-width", "3", "--params",
               _params_file(tmp_path), *DOCS)
    # rows are named as the spreadsheet shows them: the header is row 1, the far marker row 3
    assert out.exit_code == 2 and "第 3 行" in out.output and "XH01" in out.output, out.output
    assert store.count("boundary_markers") == count and len(store.audit_rows("boundary_markers")) == audit


def test_missing_bm04_records_and_a_wrong_marker_number_are_refused(writable_sample_store, tmp_path):
    store = writable_sample_store
    count = store.count("boundary_markers")
    _truth, table = _survey(store, tmp_path, (0.4,))
    out = _cli(store, "import-legacy", table, "--system", "beijing1954", "--zone-width", "3", "--params",
               _params_file(tmp_path), "--reason", "旧成果转换", "--managing-adcode", "150102")
    assert out.exit_code == 2 and "BM-04" in out.output and "agreement_doc" in out.output
    (lon, lat), = _on_line(store, "XH01", (0.45,))
    east, north = _legacy([lon], [lat])
    taken = _table(tmp_path / "taken.csv", [("XH01002Q", "XH01", f"{north[0]:.3f}", f"{east[0]:.3f}", "")])
    out = _cli(store, "import-legacy", taken, "--system", "beijing1954", "--zone-width", "3", "--params",
               _params_file(tmp_path), *DOCS)
    assert out.exit_code == 2 and "Traceback" not in out.output, out.output  # the table is the input: a usage error
    message = out.output.split("Error: ", 1)[-1]
    assert "第 2 行" in message and "marker_no" in message and "XH01002Q" in message and _chinese_first(message)
    wrong = _table(tmp_path / "wrong.csv", [("XS01050Q", "XH01", f"{north[0]:.3f}", f"{east[0]:.3f}", "")])
    out = _cli(store, "import-legacy", wrong, "--system", "beijing1954", "--zone-width", "3", "--params",
               _params_file(tmp_path), *DOCS)
    assert out.exit_code == 2 and "marker_no" in out.output
    assert store.count("boundary_markers") == count


def test_a_marker_number_in_the_table_is_kept(writable_sample_store, tmp_path):
    store = writable_sample_store
    (lon, lat), = _on_line(store, "XH01", (0.45,))
    east, north = _legacy([lon], [lat])
    table = _table(tmp_path / "numbered.csv", [("XH01050A", "", f"{north[0]:.3f}", f"{east[0]:.3f}", "1033.2")])
    out = _cli(store, "import-legacy", table, "--system", "beijing1954", "--zone-width", "3", "--params",
               _params_file(tmp_path), *DOCS)
    assert out.exit_code == 0, out.output
    (marker,) = store.select("boundary_markers", where={"marker_no": "XH01050A"})
    assert (marker["line_code"], marker["seq"], marker["marker_type"]) == ("XH01", 50, "paired")


@pytest.mark.parametrize("case, content, field, shown", [
    ("empty", "点号,界线编码,X(北),Y(东),H(高程)\n", "file", "empty.csv"),
    ("no_y", "点号,界线编码,X(北),H(高程)\n1,XH01,4528000,1000\n", "y_east", "y_east"),
    ("not_a_number", "点号,界线编码,X(北),Y(东),H(高程)\n1,XH01,4528000,37551000,1000\n2,XH01,四五二八,37551000,1\n",
     "x_north", "第 3 行"),
    # a blank line is a row of the spreadsheet: the bad row after it is its row 4
    ("after_a_blank_line", "点号,界线编码,X(北),Y(东),H(高程)\n1,XH01,4528000,37551000,1000\n\n"
     "2,XH01,四五二八,37551000,1\n", "x_north", "第 4 行"),
    # the grid's own checks name the spreadsheet's row too (they counted data rows: review)
    ("northing_after_a_blank_line", "点号,界线编码,X(北),Y(东),H(高程)\n1,XH01,4528000,37551000,1000\n\n"
     "2,XH01,9528100,37551000,1\n", "x_north", "第 4 行"),
    ("blank_rows_above_the_header", "\n \n点号,界线编码,X(北),Y(东),H(高程)\n1,XH01,四五二八,37551000,1000\n",
     "x_north", "第 4 行"),
    ("bad_height", "点号,界线编码,X(北),Y(东),H(高程)\n1,XH01,4528000,37551000,99999\n", "elevation_m", "99999"),
])
def test_bad_tables_name_the_problem_and_store_nothing(writable_sample_store, tmp_path, case, content, field, shown):
    from geo.io.legacy_import import Conversion, import_legacy, load_parameters

    store = writable_sample_store
    count, audit = store.count("boundary_markers"), len(store.audit_rows("boundary_markers"))
    path = tmp_path / f"{case}.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as err:
        import_legacy(store, path, layer="boundary_markers", system="beijing1954", zone_width_deg=3,
                      conversion=Conversion(load_parameters(_params_file(tmp_path)), "supplied"), actor="test",
                      managing_adcode="150102")
    assert err.value.field == field
    out = _cli(store, "import-legacy", path, "--system", "beijing1954", "--zone-width", "3", "--params",
               _params_file(tmp_path), *DOCS)
    assert out.exit_code == 2, out.output
    message = out.output.split("Error: ", 1)[-1]
    assert shown in message and _chinese_first(message), out.output
    assert store.count("boundary_markers") == count and len(store.audit_rows("boundary_markers")) == audit


def test_swapped_columns_in_a_table_are_refused(writable_sample_store, tmp_path):
    store = writable_sample_store
    count = store.count("boundary_markers")
    truth = _on_line(store, "XH01", (0.5,))
    east, north = _legacy([truth[0][0]], [truth[0][1]])
    table = _table(tmp_path / "swapped.csv", [("", "XH01", f"{east[0]:.3f}", f"{north[0]:.3f}", "")])
    out = _cli(store, "import-legacy", table, "--system", "beijing1954", "--zone-width", "3", "--params",
               _params_file(tmp_path), *DOCS)
    assert out.exit_code == 2 and "对调" in out.output and "x_north" in out.output
    assert store.count("boundary_markers") == count


def test_a_gb18030_table_with_chinese_headers_imports(writable_sample_store, tmp_path):
    store = writable_sample_store
    before = {m["id"] for m in store.select("boundary_markers")}
    truth = _on_line(store, "XH01", (0.35,))
    east, north = _legacy([truth[0][0]], [truth[0][1]])
    table = _table(tmp_path / "gbk.csv", [("", "XH01", f"{north[0]:.4f}", f"{east[0]:.4f}", "1040.0")],
                   encoding="gb18030", header=("点号", "界线编码", "X（北）", "Y（东）", "高程"))
    assert b"\xb5\xe3\xba\xc5" in table.read_bytes()  # 点号 in GB 18030
    out = _cli(store, "import-legacy", table, "--system", "beijing1954", "--zone-width", "3", "--params",
               _params_file(tmp_path), *DOCS)
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout.strip().splitlines()[-1])["encoding"] == "GB18030"
    (marker,) = _new_markers(store, before)
    assert _distance_m((marker["geometry"].x, marker["geometry"].y), truth[0]) < 0.003


def _line_file(path: Path, truth, *, code: str, left: str, right: str) -> Path:
    """Write a Beijing 1954 3° zone 37 GeoPackage of one line through ``truth`` (CGCS2000 lon/lat)."""
    import geopandas as gpd

    east, north = _legacy([p[0] for p in truth], [p[1] for p in truth])
    line = shapely.LineString(list(zip(east, north, strict=True)))
    gpd.GeoDataFrame({"line_code": [code], "name": [f"{code}（旧测）"], "left_adcode": [left],
                      "right_adcode": [right]}, geometry=[line], crs="EPSG:2413").to_file(path)
    return path


def _free_pair(store: Store) -> tuple[str, str]:
    """Return two district codes no stored line lies between."""
    taken = {frozenset((r["left_adcode"], r["right_adcode"])) for r in store.select("boundary_lines")}
    codes = ("150102", "150103", "150104", "150105", "150121")
    return next((a, b) for a in codes for b in codes if a < b and frozenset((a, b)) not in taken)


def test_a_legacy_line_file_imports_through_the_import_checks(writable_sample_store, tmp_path):
    store = writable_sample_store
    lines_before = store.count("boundary_lines")
    truth = _on_line(store, "XH01", (0.1, 0.3, 0.5))
    truth = [(x + 0.002, y) for x, y in truth]  # a line beside XH01
    params = _params_file(tmp_path)
    grid = ["--layer", "boundary_lines", "--system", "beijing1954", "--zone-width", "3", "--params", params]
    # a second line between XH01's two sides is refused, by the dry run as by the import, naming the sides
    (xh01,) = store.select("boundary_lines", where={"line_code": "XH01"})
    same = _line_file(tmp_path / "same.gpkg", truth, code="XH02", left=xh01["right_adcode"], right=xh01["left_adcode"])
    for dry in (["--dry-run"], []):
        out = _cli(store, "import-legacy", same, *grid, *dry)
        assert out.exit_code == 2 and "Traceback" not in out.output, out.output
        message = out.output.split("Error: ", 1)[-1]
        assert "left_adcode" in message and "right_adcode" in message and "XH01" in message, message
        assert _chinese_first(message)
    assert store.count("boundary_lines") == lines_before
    # a new pair: the dry run passes, the import stores it with its length measured in metres
    left, right = _free_pair(store)
    path = _line_file(tmp_path / "line.gpkg", truth, code="XH02", left=left, right=right)
    assert _cli(store, "import-legacy", path, *grid, "--dry-run").exit_code == 0
    assert store.count("boundary_lines") == lines_before
    out = _cli(store, "import-legacy", path, *grid)
    assert out.exit_code == 0, out.output
    (stored,) = store.select("boundary_lines", where={"line_code": "XH02"})
    for (x, y), (lon, lat) in zip(stored["geometry"].coords, truth, strict=True):
        assert _distance_m((x, y), (lon, lat)) < 0.003
    geodesic_m = sum(_distance_m(a, b) for a, b in itertools.pairwise(truth))
    assert stored["length_m"] is not None and stored["length_m"] == pytest.approx(geodesic_m, rel=1e-3)
    # the same file again: the dry run already checks the stored lines, and both say what to do (exit 2)
    for dry in (["--dry-run"], []):
        again = _cli(store, "import-legacy", path, *grid, *dry)
        assert again.exit_code == 2 and "Traceback" not in again.output, again.output
        message = again.output.split("Error: ", 1)[-1]
        assert "XH02" in message and "line_code" in message and "--mode upsert" in message, message
    assert "--mode" in CliRunner().invoke(main, ["import", "--help"]).output  # the option named exists
    # a copy under a new code between the same two sides is a second line for one pair: refused
    copy = _line_file(tmp_path / "copy.gpkg", truth, code="XH03", left=right, right=left)
    out = _cli(store, "import-legacy", copy, *grid)
    assert out.exit_code == 2 and "left_adcode" in out.output and "XH02" in out.output, out.output
    assert not store.select("boundary_lines", where={"line_code": "XH03"})
    wrong = _cli(store, "import-legacy", path, "--layer", "boundary_lines", "--system", "xian1980",
                 "--zone-width", "3", "--params", params)
    assert wrong.exit_code == 2 and "EPSG:2413" in wrong.output  # the file says Beijing 1954
    assert len(store.select("boundary_lines", where={"line_code": "XH02"})) == 1
    assert store.count("boundary_lines") == lines_before + 1


def test_common_points_on_the_cgcs2000_grid_fit_as_lon_lat_do(tmp_path):
    from geo.io.legacy_import import estimate_parameters

    lon, lat = _COMMON
    east, north = _legacy(lon, lat)
    e2000, n2000 = pyproj.Transformer.from_crs("EPSG:4490", "EPSG:4525", always_xy=True).transform(lon, lat)
    assert pyproj.CRS.from_epsg(4525).name == "CGCS2000 / 3-degree Gauss-Kruger zone 37"
    path = _table(tmp_path / "common_grid.csv",
                  [(f"K{i}", f"{a:.4f}", f"{b:.4f}", f"{c:.4f}", f"{d:.4f}")
                   for i, (a, b, c, d) in enumerate(zip(north, east, n2000, e2000, strict=True))],
                  header=("点号", "x_old", "y_old", "x_new", "y_new"), encoding="gb18030")
    grid, fit = estimate_parameters(path, system="beijing1954", zone_width_deg=3)
    assert grid.epsg == 2413 and fit.point_ids == ["K0", "K1", "K2", "K3", "K4"] and fit.max_m < 0.005
    swapped = _table(tmp_path / "swapped_new.csv",
                     [(f"K{i}", f"{a:.4f}", f"{b:.4f}", f"{d:.4f}", f"{c:.4f}")
                      for i, (a, b, c, d) in enumerate(zip(north, east, n2000, e2000, strict=True))],
                     header=("点号", "x_old", "y_old", "x_new", "y_new"))
    with pytest.raises(InputError) as err:
        estimate_parameters(swapped, system="beijing1954", zone_width_deg=3)
    assert err.value.field == "x_new"


def test_an_xlsx_table_and_a_geojson_point_file_import(writable_sample_store, tmp_path):
    import pandas as pd

    store = writable_sample_store
    before = {m["id"] for m in store.select("boundary_markers")}
    truth = _on_line(store, "XH01", (0.15, 0.85))
    east, north = _legacy([p[0] for p in truth], [p[1] for p in truth])
    xlsx = tmp_path / "markers.xlsx"
    pd.DataFrame({"点号": ["", ""], "界线编码": ["XH01", "XH01"], "X(北)": north, "Y(东)": east,
                  "H(高程)": [1061.2, None]}).to_excel(xlsx, index=False)
    out = _cli(store, "import-legacy", xlsx, "--system", "beijing1954", "--zone-width", "3", "--params",
               _params_file(tmp_path), *DOCS)
    assert out.exit_code == 0, out.output
    new = _new_markers(store, before)
    assert [m["elevation_m"] for m in new] == [pytest.approx(1061.2), None]
    assert all(_distance_m((m["geometry"].x, m["geometry"].y), t) < 0.003 for m, t in zip(new, truth, strict=True))
    (lon, lat), = _on_line(store, "XS01", (0.5,))
    e, n = _legacy([lon], [lat])
    geojson = tmp_path / "points.geojson"
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"line_code": "XS01", "H": 1099.0},
         "geometry": {"type": "Point", "coordinates": [e[0], n[0]]}}]}), encoding="utf-8")
    out = _cli(store, "import-legacy", geojson, "--system", "beijing1954", "--zone-width", "3", "--params",
               _params_file(tmp_path), *DOCS)
    assert out.exit_code == 0, out.output
    (marker,) = [m for m in _new_markers(store, before) if m["line_code"] == "XS01"]
    assert marker["elevation_m"] == pytest.approx(1099.0)
    assert _distance_m((marker["geometry"].x, marker["geometry"].y), (lon, lat)) < 0.003


# -- review of #16: the managing side, markers imported twice ----------------------------------------


def _state(store: Store) -> tuple[int, int]:
    return store.count("boundary_markers"), len(store.audit_rows("boundary_markers"))


def test_every_imported_marker_gets_a_managing_side_or_the_table_is_refused(writable_sample_store, tmp_path):
    store = writable_sample_store
    before, state = {m["id"] for m in store.select("boundary_markers")}, _state(store)
    (xh01,) = store.select("boundary_lines", where={"line_code": "XH01"})
    truth = _on_line(store, "XH01", (0.22, 0.44))
    east, north = _legacy([p[0] for p in truth], [p[1] for p in truth])
    docs = DOCS[:DOCS.index("--managing-adcode")]
    args = ["--system", "beijing1954", "--zone-width", "3", "--params", _params_file(tmp_path), *docs]
    bare = _table(tmp_path / "bare.csv", [("", "XH01", f"{n:.4f}", f"{e:.4f}", "") for e, n in zip(east, north,
                                                                                                 strict=True)])
    for dry in (["--dry-run"], []):  # no 管理方 column, no --managing-adcode: refused, naming both
        out = _cli(store, "import-legacy", bare, *args, *dry)
        assert out.exit_code == 2 and "Traceback" not in out.output, out.output
        message = out.output.split("Error: ", 1)[-1]
        assert "管理方" in message and "managing_adcode" in message and "--managing-adcode" in message, message
        assert "BM-03" in message and _chinese_first(message)
    assert _state(store) == state
    header = ("点号", "界线编码", "X(北)", "Y(东)", "H(高程)", "管理方")
    outsider = _table(tmp_path / "outsider.csv", [("", "XH01", f"{north[0]:.4f}", f"{east[0]:.4f}", "", "150105")],
                      header=header)  # 赛罕区 is no side of XH01
    out = _cli(store, "import-legacy", outsider, *args)
    assert out.exit_code == 2 and "managing_adcode" in out.output and "第 2 行" in out.output, out.output
    blank = _table(tmp_path / "blank.csv", [("", "XH01", f"{north[0]:.4f}", f"{east[0]:.4f}", "", "")], header=header)
    out = _cli(store, "import-legacy", blank, *args)
    assert out.exit_code == 2 and "managing_adcode" in out.output and "第 2 行" in out.output, out.output
    assert _state(store) == state
    # the table's column, and the option for a row that leaves it blank
    mixed = _table(tmp_path / "mixed.csv", [("", "XH01", f"{north[0]:.4f}", f"{east[0]:.4f}", "", xh01["right_adcode"]),
                                            ("", "XH01", f"{north[1]:.4f}", f"{east[1]:.4f}", "", "")], header=header)
    out = _cli(store, "import-legacy", mixed, *args, "--managing-adcode", xh01["left_adcode"])
    assert out.exit_code == 0, out.output
    new = _new_markers(store, before)
    assert [m["managing_adcode"] for m in new] == [xh01["right_adcode"], xh01["left_adcode"]]


def test_a_marker_table_imported_twice_is_refused_under_old_or_new_numbers(writable_sample_store, tmp_path):
    store = writable_sample_store
    truth = _on_line(store, "XS01", (0.3, 0.6))
    east, north = _legacy([p[0] for p in truth], [p[1] for p in truth])
    args = ["--system", "beijing1954", "--zone-width", "3", "--params", _params_file(tmp_path), *DOCS]
    first = _table(tmp_path / "first.csv", [(f"XS01{900 + i}Q", "XS01", f"{n:.4f}", f"{e:.4f}", "")
                                            for i, (e, n) in enumerate(zip(east, north, strict=True))])
    assert _cli(store, "import-legacy", first, *args).exit_code == 0
    state = _state(store)
    for dry in (["--dry-run"], []):  # the same table again: a usage error naming the row and the marker
        again = _cli(store, "import-legacy", first, *args, *dry)
        assert again.exit_code == 2 and "Traceback" not in again.output, again.output
        message = again.output.split("Error: ", 1)[-1]
        assert "第 2 行" in message and "XS01900Q" in message and _chinese_first(message), message
    # the same positions under new numbers (a millimetre off): refused, naming the row and the stored marker
    renumbered = _table(tmp_path / "renumbered.csv", [(f"XS01{950 + i}Q", "XS01", f"{n + 0.001:.4f}", f"{e:.4f}", "")
                                                      for i, (e, n) in enumerate(zip(east, north, strict=True))])
    out = _cli(store, "import-legacy", renumbered, *args)
    assert out.exit_code == 2, out.output
    message = out.output.split("Error: ", 1)[-1]
    assert "第 2 行" in message and "XS01900Q" in message and "0.5" in message and "BM-04" in message, message
    # two rows of one table at one position
    (lon, lat), = _on_line(store, "XS01", (0.8,))
    (e,), (n,) = _legacy([lon], [lat])
    twice = _table(tmp_path / "twice.csv", [("", "XS01", f"{n:.4f}", f"{e:.4f}", ""),
                                            ("", "XS01", f"{n + 0.2:.4f}", f"{e:.4f}", "")])
    out = _cli(store, "import-legacy", twice, *args)
    assert out.exit_code == 2 and "第 3 行" in out.output and "第 2 行" in out.output, out.output
    assert _state(store) == state
    # a marker 1 m from another is a marker of its own
    apart = _table(tmp_path / "apart.csv", [("", "XS01", f"{north[0] + 1.0:.4f}", f"{east[0]:.4f}", "")])
    assert _cli(store, "import-legacy", apart, *args).exit_code == 0
    assert _state(store)[0] == state[0] + 1
