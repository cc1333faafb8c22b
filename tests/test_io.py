"""Import and export: round trips in every format, GBK Shapefiles, and bad input refused whole."""

from __future__ import annotations

import json
import zipfile

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from geo.errors import (
    Conflict,
    EncodingProblem,
    InputError,
    InvalidGeometry,
    OutsideChina,
    UnknownCRS,
)
from geo.io.formats import read_features, write_features
from geo.io.importer import export_layer, import_file
from geo.store import Store
from tests.assertions import assert_geom_close

FORMATS = ["geojson", "gpkg", "shp", "csv", "xlsx"]


def _add_streets(store: Store) -> Store:
    """Store the two streets these files number plates on: a plate needs its street (door-plate rules)."""
    store.insert("streets", [
        {"name": "锡林郭勒北路", "geometry": shapely.LineString([(111.670, 40.8501), (111.690, 40.8501)])},
        {"name": "新华大街", "geometry": shapely.LineString([(111.690, 40.8401), (111.760, 40.8501)])}],
        actor="t")
    store.insert("place_names", [{"standard_name": name, "feature_class": "street", "status": "in_force"}
                                 for name in ("锡林郭勒北路", "新华大街")], actor="t")
    return store


@pytest.fixture
def store(store: Store) -> Store:
    """The conftest store with the streets the test files use."""
    return _add_streets(store)


def _uid(i: int, prefix: str = "U") -> str:
    """Return a well-formed plate uid (the QR signer's alphabet has no 0, 1, O or I)."""
    return prefix + "".join("23456789AB"[int(d)] for d in f"{i:07d}")


def _plates(n: int = 40) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"street_name": ["锡林郭勒北路"] * n, "number": list(range(1, n + 1)),
         "households": [12] * n,
         # texts that look like JSON stay texts through a GeoJSON export (GDAL wrote them as objects: review)
         "building_name": ["ᠬᠥᠬᠡᠬᠣᠲᠠ 蒙文楼", '{"楼": "一号"}', "[1, 2]"] + ["敕勒川小区"] * (n - 3)},
        geometry=[shapely.Point(111.676 + i * 1e-4, 40.85) for i in range(n)], crs="EPSG:4490")


def _write_geojson(path, features) -> None:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    encoding="utf-8")


def _point_feature(lon, lat, **props):
    return {"type": "Feature", "properties": {"street_name": "新华大街", "number": 1, **props},
            "geometry": {"type": "Point", "coordinates": [lon, lat]}}


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_import_round_trip_keeps_every_feature(store: Store, tmp_path, fmt):
    store.insert("door_plates", [{"plate_uid": _uid(i), **r} for i, r in enumerate(
        _plates().to_dict("records"))], actor="t")
    path = tmp_path / f"plates.{fmt}"
    assert export_layer(store, "door_plates", path) == 40
    target = Store.open(f"sqlite:///{tmp_path}/target.db")
    target.migrate()
    _add_streets(target)
    report = import_file(target, "door_plates", path, crs="EPSG:4490", actor="t")
    assert report.imported == 40
    src = {r["plate_uid"]: r for r in store.select("door_plates")}
    for rec in target.select("door_plates"):
        orig = src[rec["plate_uid"]]
        assert (rec["number"], rec["street_name"], rec["building_name"]) == (
            orig["number"], orig["street_name"], orig["building_name"])
        assert_geom_close(rec["geometry"], orig["geometry"], tol_m=0.001)
    target.close()


def test_polygon_layer_round_trips_through_geopackage(sample_store: Store, tmp_path):
    path = tmp_path / "units.gpkg"
    n = export_layer(sample_store, "admin_units", path)
    frame, _info = read_features(path, crs="EPSG:4490")
    assert len(frame) == n == sample_store.count("admin_units")
    assert pyogrio.read_info(path)["crs"] == "EPSG:4490"  # QGIS sees CGCS2000
    original = {r["code"]: r["geometry"] for r in sample_store.select("admin_units")}
    for code, geom in zip(frame["code"], frame.geometry, strict=True):
        assert_geom_close(geom, original[code], tol_m=0.001)


def test_gbk_shapefile_is_read_with_and_without_cpg(store: Store, tmp_path):
    path = tmp_path / "gbk_plates.shp"
    write_features(_plates().drop(columns=["building_name"]), path, encoding="GBK")
    assert b"\xce\xfd" in path.with_suffix(".dbf").read_bytes()  # 锡 in GBK
    frame, info = read_features(path, crs="EPSG:4490")
    assert frame["street_nam"].iloc[0] == "锡林郭勒北路"
    path.with_suffix(".cpg").unlink()  # many government files come without one
    frame, info = read_features(path, crs="EPSG:4490")
    assert info["encoding"] == "GB18030" and frame["street_nam"].iloc[0] == "锡林郭勒北路"
    with pytest.raises(EncodingProblem) as err:
        read_features(path, crs="EPSG:4490", encoding="UTF-8")
    assert "gbk" in err.value.message.lower()


def test_zipped_shapefile_imports(store: Store, tmp_path):
    shp = tmp_path / "p.shp"
    write_features(_plates(5), shp)
    archive = tmp_path / "p.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in tmp_path.glob("p.*"):
            if part != archive:
                zf.write(part, part.name)
    assert import_file(store, "door_plates", archive, crs="EPSG:4490", actor="t").imported == 5


def test_gcj02_input_is_converted_on_the_way_in(store: Store, tmp_path):
    path = tmp_path / "amap.geojson"
    _write_geojson(path, [_point_feature(111.7569191, 40.8514533)])
    import_file(store, "door_plates", path, crs="GCJ02", actor="t")
    (rec,) = store.select("door_plates")
    assert_geom_close(rec["geometry"], shapely.Point(111.75, 40.85), tol_m=0.05)


def test_csv_with_chinese_coordinate_columns_in_gb18030(store: Store, tmp_path):
    path = tmp_path / "plates.csv"
    pd.DataFrame({"street_name": ["新华大街"], "number": [3], "经度": [111.7], "纬度": [40.84]}).to_csv(
        path, index=False, encoding="gb18030")
    with pytest.raises(EncodingProblem) as err:
        import_file(store, "door_plates", path, crs="EPSG:4490", actor="t")
    assert "gb18030" in err.value.message
    assert import_file(store, "door_plates", path, crs="EPSG:4490", actor="t", encoding="gb18030").imported == 1


BAD_INPUTS = {
    "broken_json": ('{"type": "FeatureCollection", "features": [', InputError, "broken GeoJSON"),
    "self_intersection": ([{"type": "Feature", "properties": {"code": "150102001099", "name": "坏区",
                                                              "level": "community"},
                            "geometry": {"type": "Polygon", "coordinates": [[[111.70, 40.80], [111.71, 40.81],
                                                                             [111.71, 40.80], [111.70, 40.81],
                                                                             [111.70, 40.80]]]}}],
                          InvalidGeometry, "Self-intersection"),
    "outside_china": ([_point_feature(-0.12, 51.5)], OutsideChina, "outside China"),
    "swapped_axes": ([_point_feature(40.85, 111.7)], OutsideChina, "outside China"),
    "wrong_type": ([{"type": "Feature", "properties": {"street_name": "x", "number": 1},
                     "geometry": {"type": "LineString", "coordinates": [[111.7, 40.8], [111.8, 40.9]]}}],
                   InvalidGeometry, "this layer takes Point"),
    "missing_required": ([_point_feature(111.7, 40.85, number=None)], InputError, "no number"),
    "bad_number": ([_point_feature(111.7, 40.85, number="十二")], InputError, "门牌号 number 须为整数"),
    # A text longer than the service keeps, or than its varchar(n) column, is named with its row (review).
    "long_text": ([_point_feature(111.7, 40.85, building_name="楼" * 10_001)], InputError,
                  "第 2 行：建筑名称 building_name 过长（10,001 字，上限 10,000 字）"),
    "long_code": ([_point_feature(111.7, 40.85, community_code="1" * 12 + "𠀀")], InputError,
                  "第 2 行：社区代码 community_code 过长（13 字，上限 12 字）"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_refused_with_a_named_problem_and_nothing_stored(store: Store, tmp_path, case):
    content, error, words = BAD_INPUTS[case]
    layer = "admin_units" if case == "self_intersection" else "door_plates"
    path = tmp_path / "bad.geojson"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        # A good feature first: a bad one later must still leave nothing behind.
        good = ([] if layer == "admin_units" else [_point_feature(111.7, 40.85, number=99)])
        _write_geojson(path, good + content)
    before = store.count(layer)
    with pytest.raises(error) as err:
        import_file(store, layer, path, crs="EPSG:4490", actor="t")
    assert words in err.value.message
    assert store.count(layer) == before
    assert store.audit_rows(layer) == []


def test_unknown_crs_is_refused(store: Store, tmp_path):
    path = tmp_path / "x.geojson"
    _write_geojson(path, [_point_feature(111.7, 40.85)])
    with pytest.raises(UnknownCRS):
        import_file(store, "door_plates", path, crs="EPSG:3857", actor="t")


def test_declared_crs_contradicting_the_stated_one_is_refused(store: Store, tmp_path):
    path = tmp_path / "metric.gpkg"
    frame = _plates(3).to_crs("EPSG:4546")
    frame.to_file(path, driver="GPKG")
    with pytest.raises(InputError) as err:
        import_file(store, "door_plates", path, crs="EPSG:4490", actor="t")
    assert "EPSG:4546" in err.value.message
    assert import_file(store, "door_plates", path, crs="EPSG:4546", actor="t").imported == 3


def test_failure_half_way_through_a_large_import_leaves_nothing(store: Store, tmp_path):
    # Two features share a plate id: the database refuses the second batch after the first was written.
    frame = _plates(30)
    frame["plate_uid"] = [_uid(i, "A") for i in range(29)] + [_uid(0, "A")]
    path = tmp_path / "dupes.gpkg"
    frame.to_file(path, driver="GPKG")
    with pytest.raises(Conflict):
        import_file(store, "door_plates", path, crs="EPSG:4490", actor="t", batch_size=10)
    assert store.count("door_plates") == 0
    assert store.audit_rows("door_plates") == []


def test_text_outside_gb18030_is_refused(store: Store, tmp_path):
    path = tmp_path / "x.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        _point_feature(111.7, 40.85, building_name="bad \udcff surrogate")]}), encoding="ascii")
    with pytest.raises(EncodingProblem) as err:
        import_file(store, "door_plates", path, crs="EPSG:4490", actor="t")
    assert err.value.field == "building_name"
    assert store.count("door_plates") == 0


def test_mixed_geometry_layer_refuses_shapefile_export_with_advice(sample_store: Store, tmp_path):
    with pytest.raises(InputError) as err:
        export_layer(sample_store, "facilities", tmp_path / "f.shp")
    assert "GeoPackage" in err.value.message


@pytest.mark.parametrize("encoding, fits", [("UTF-8", 84), ("GBK", 127)])
def test_a_text_a_shapefile_cannot_hold_is_refused_not_cut(store: Store, tmp_path, encoding, fits):
    """GDAL cut a text past a DBF field's 254 bytes silently (300 characters came back as 84), and an upsert of the
    file then stored the cut text: the export is refused, naming the record and the field, and writes no file."""
    store.insert("door_plates", [{"plate_uid": _uid(i), **r} for i, r in enumerate(_plates().to_dict("records"))],
                 actor="t")
    plate = store.select("door_plates", limit=1)[0]
    store.update("door_plates", plate["id"], {"building_name": "楼" * fits}, expected_version=plate["version"],
                 actor="t")
    export_layer(store, "door_plates", tmp_path / "fits.shp", encoding=encoding)  # 252 or 254 bytes: kept whole
    back, _info = read_features(tmp_path / "fits.shp", crs="EPSG:4490", encoding=encoding)
    (column,) = [c for c in back.columns if c.startswith("building")]  # a DBF field name holds 10 characters
    assert "楼" * fits in back[column].tolist()
    store.update("door_plates", plate["id"], {"building_name": "楼" * (fits + 1)},
                 expected_version=plate["version"] + 1, actor="t")
    with pytest.raises(InputError) as err:
        export_layer(store, "door_plates", tmp_path / "long.shp", encoding=encoding)
    message = err.value.message
    assert "254" in message and "building_name" in message and f"id {plate['id']}" in message, message
    assert "GeoPackage" in message and message.index("Shapefile") < message.index("·")
    assert not (tmp_path / "long.shp").exists() and not (tmp_path / "long.dbf").exists()
    export_layer(store, "door_plates", tmp_path / "long.gpkg")  # a GeoPackage holds it whole
    assert "楼" * (fits + 1) in read_features(tmp_path / "long.gpkg", crs="EPSG:4490")[0]["building_name"].tolist()


# -- column names as other tools write them (review of #16, finding 12) -----------------------------------


def test_gdal_csv_export_with_an_uppercase_wkt_column_is_read(tmp_path):
    """``ogr2ogr -f CSV -lco GEOMETRY=AS_WKT`` names the geometry column ``WKT``: read it, not refuse it."""
    line = shapely.LineString([(111.70, 40.80), (111.72, 40.81), (111.75, 40.80)])
    path = tmp_path / "gdal.csv"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"name": ["界线"]}, geometry=[line], crs="EPSG:4490"), path,
                            driver="CSV", layer_options={"GEOMETRY": "AS_WKT"})
    assert path.read_text(encoding="utf-8").startswith("WKT,")  # GDAL's own spelling
    frame, _info = read_features(path, crs="EPSG:4490")
    assert list(frame.columns) == ["name", "geometry"] and frame.geometry.iloc[0].equals_exact(line, 1e-9)


def test_coordinate_columns_match_without_case(store: Store, tmp_path):
    path = tmp_path / "plates.csv"
    pd.DataFrame({"street_name": ["新华大街"], "number": [3], "LON": [111.7], "Lat": [40.84]}).to_csv(path, index=False)
    frame, _info = read_features(path, crs="EPSG:4490")
    assert frame.geometry.iloc[0].x == pytest.approx(111.7) and "LON" not in frame.columns
    named = tmp_path / "named.csv"
    pd.DataFrame({"number": [3], "Easting": [111.7], "NORTHING": [40.84]}).to_csv(named, index=False)
    frame, _info = read_features(named, crs="EPSG:4490", x_col="easting", y_col="Northing")
    assert (frame.geometry.iloc[0].x, frame.geometry.iloc[0].y) == pytest.approx((111.7, 40.84))
    with pytest.raises(InputError) as err:
        read_features(named, crs="EPSG:4490", x_col="east", y_col="Northing")
    assert err.value.field == "x_column"
    assert store.count("door_plates") == 0


def test_a_code_with_spaces_around_it_is_measured_as_it_is_stored() -> None:
    """A spreadsheet's code cell with a trailing space read "parent_code 过长（13 字，上限 12 字）", though it is
    stored trimmed (review); the check measures the stored text and still refuses one that is longer."""
    from geo.validation import check_text, first_text_problem

    check_text("150102001001 ", field="parent_code", most_chars=12)
    check_text("\u3000１５０１０２００１００１", field="parent_code", most_chars=12)  # full-width: folded to 12
    assert first_text_problem(["150102001001 ", None, " 150102001002"], most_chars=12) is None
    with pytest.raises(InputError) as err:
        check_text(" 1501020010011 ", field="parent_code", most_chars=12)
    assert "过长（13 字，上限 12 字）" in err.value.message
    assert first_text_problem(["150102001001 ", "1501020010011"], most_chars=12) == 1


def test_every_stored_field_has_a_shapefile_name_of_its_own() -> None:
    """decision_doc_no and decision_date both became decision_d…: an exported door-plate Shapefile read the document
    number as the date and could not be upserted back (review). Every layer's short names are distinct."""
    from geo.io.formats import shapefile_name
    from geo.layers import LAYERS, get_layer

    for layer in LAYERS:
        names = [shapefile_name(c.name) for c in Store.table(get_layer(layer).table).columns]
        assert len(set(names)) == len(names) and all(len(n) <= 10 for n in names), layer


def test_a_door_plate_shapefile_with_a_decision_upserts_back_unchanged(store: Store, tmp_path):
    from geo.plates.decisions import decide_plate_status

    store.insert("door_plates", [{"plate_uid": _uid(i), **r} for i, r in enumerate(_plates().to_dict("records"))],
                 actor="t")
    plate = store.select("door_plates", limit=1)[0]
    decide_plate_status(store, plate["plate_uid"], "revoked", {"decision_body": "新城区民政局",
                                                             "decision_doc_no": "新民发〔2026〕9号",
                                                             "decision_date": "2026-11-20"},
                        expected_version=plate["version"], actor="officer")
    export_layer(store, "door_plates", tmp_path / "plates.shp")
    report = import_file(store, "door_plates", tmp_path / "plates.shp", crs="EPSG:4490", actor="t", mode="upsert")
    assert report.unchanged == store.count("door_plates") and not report.updated_ids


def test_a_gbk_csv_export_names_the_row_the_spreadsheet_shows(tmp_path):
    """Text GBK cannot hold is refused naming its row: a CSV's as the spreadsheet shows it, under the header (it
    counted records, and a Shapefile's refusal counts records from 1, as QGIS does; review)."""
    frame = _plates()
    frame["building_name"] = "楼"
    frame.loc[4, "building_name"] = "楼𠀀"  # the fifth record
    with pytest.raises(EncodingProblem) as err:
        write_features(frame, tmp_path / "plates.csv", encoding="GBK")
    assert err.value.message.startswith("第 6 行"), err.value.message
    with pytest.raises(EncodingProblem) as err:
        write_features(frame, tmp_path / "plates.shp", encoding="GBK")
    assert err.value.message.startswith("第 5 行"), err.value.message
    assert not (tmp_path / "plates.csv").exists() and not (tmp_path / "plates.shp").exists()


@pytest.mark.parametrize("name", ["admin_units.zip", "边界 2026.ZIP", "admin_units.shp.zip", "packed.zip", ".zip",
                                  ".shp.zip", ".ZIP"])
def test_a_shapefile_exported_to_any_zip_name_is_written_and_imports_back_unchanged(writable_sample_store: Store,
                                                                                    tmp_path, name):
    """Review: `xincheng export units.zip --format shp` stopped with GDAL's "/vsizip/… is neither a file or directory"
    and left a 22-byte file (GDAL writes a zipped Shapefile only to a name ending in .shp.zip)."""
    import zipfile

    from geo.io.importer import export_layer

    store = writable_sample_store
    path = tmp_path / name
    count = export_layer(store, "admin_units", path, fmt="shp")
    with zipfile.ZipFile(path) as archive:
        members = sorted(archive.namelist())
    stem = (name[: -len(".shp.zip")] if name.endswith(".shp.zip") else name[: -len(".zip")]) or "admin_units"
    assert f"{stem}.shp" in members and f"{stem}.dbf" in members, members  # a name of only ".zip": the layer's
    report = import_file(store, "admin_units", path, crs="EPSG:4490", actor="t", mode="upsert").summary()
    assert (report["inserted"], report["updated"], report["unchanged"]) == (0, 0, count)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing written beside it


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv", "xlsx"])
def test_another_format_to_a_zip_name_is_refused_up_front_and_leaves_nothing(sample_store: Store, tmp_path, fmt):
    """Fourth review: GeoJSON and GeoPackage to `p.zip` failed with GDAL's message (10 KB of SQL for a GeoPackage) and
    left a 22-byte file and a journal; CSV wrote plain text under a .zip name."""
    from geo.errors import InputError

    with pytest.raises(InputError) as err:
        export_layer(sample_store, "streets", tmp_path / "p.zip", fmt=fmt)
    assert err.value.field == "format" and f".{fmt}" in err.value.message, err.value.message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", [".shp", ".gpkg", ".geojson", ".bashrc"])
def test_a_name_that_is_only_a_suffix_other_than_zip_is_still_refused(name):
    """Fourth review: reading any dot-name as its suffix made `xincheng export .shp` write a folder and say it wrote
    959 features; only ".zip" (an export's member names come from the layer) is read so."""
    from pathlib import Path

    from geo.errors import InputError
    from geo.io.formats import detect_format

    with pytest.raises(InputError) as err:
        detect_format(Path(name))
    assert err.value.field == "format", err.value.message


def test_a_killed_exports_hidden_folder_is_removed_by_the_next_export_once_a_day_old(sample_store: Store, tmp_path):
    """Review of #15: a zipped Shapefile export killed half-way left its hidden working folder of partial files, and
    nothing ever removed it. The next such export into the folder removes one named as the export names them,
    holding only its files, untouched for a day. Second review: a user's own folder sharing the prefix was removed
    with everything in it; only the export's own leftovers may go."""
    import os
    import time
    from pathlib import Path

    from geo.io.formats import ABANDONED_EXPORT_AGE_S

    def leftover(name: str, *extra: str) -> Path:
        folder = tmp_path / name
        (folder / "files").mkdir(parents=True)
        folder.chmod(0o700)  # as tempfile.mkdtemp makes it
        for part in ("units.shp", "units.dbf", *extra):
            (folder / "files" / part).write_bytes(b"x" * 100)
        return folder

    old = leftover(".xincheng-export-abcd1234")
    (old / "packed.zip").write_bytes(b"PK")
    young = leftover(".xincheng-export-new12345")
    touched = leftover(".xincheng-export-recent_1")  # old folder, a file inside written a minute ago
    mine = tmp_path / ".xincheng-export-keep"          # a user's own folder: not a name the export makes
    (mine / "notes").mkdir(parents=True)
    (mine / "notes" / "important.txt").write_text("data")
    odd = leftover(".xincheng-export-zzzz9999")
    (odd / "files" / "sub").mkdir()                    # a folder inside files: not what an export writes
    stray = tmp_path / ".xincheng-export-note1234"
    stray.write_text("not a folder")
    dated = tmp_path / ".xincheng-export-20240101"    # a user's folder of the export's shape, made by mkdir (0755)
    (dated / "files").mkdir(parents=True)
    (dated / "files" / "notes.txt").write_text("data")
    dated.chmod(0o755)
    past = time.time() - ABANDONED_EXPORT_AGE_S - 60
    for entry in [old, touched, mine, odd, stray, dated,
                  *(p for f in (old, mine, odd, dated) for p in f.rglob("*"))]:
        os.utime(entry, (past, past))
    export_layer(sample_store, "admin_units", tmp_path / "units.zip", fmt="shp")
    assert not old.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [young.name, touched.name, mine.name, odd.name, stray.name, dated.name, "units.zip"])
    assert (dated / "files" / "notes.txt").read_text() == "data"
    assert (mine / "notes" / "important.txt").read_text() == "data"
    assert (touched / "files" / "units.shp").exists() and (odd / "files" / "sub").is_dir()
