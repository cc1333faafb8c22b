"""GeoPackage exports a QGIS 3.22 / GDAL 3.6 user opens cleanly, read back with real GDAL.

One table per kind of geometry (a mixed layer split as the OGC API splits its collections), lines and
areas as Multi*, integer columns as Integer fields, the 示意 note on boundary layers, GeoPackage 1.2
(GDAL 3.6 warns on 1.4), and an export imported again with ``mode="upsert"`` changes nothing.
"""

from __future__ import annotations

import sqlite3
import subprocess
from collections import Counter
from contextlib import closing
from pathlib import Path

import pyogrio
import pytest

from geo.errors import Conflict, InputError
from geo.io.importer import export_layer, import_file
from geo.messages import text
from geo.store import Store


def _tables(path: Path) -> dict[str, str]:
    """Return each table of a GeoPackage with the one geometry type GDAL declares for it."""
    return {str(name): str(kind) for name, kind in pyogrio.list_layers(path)}


def _ogrinfo(path: Path, table: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ogrinfo", "-so", "-ro", str(path), table], capture_output=True, text=True,
                          timeout=60, check=True)


def _stored_kinds(store: Store, layer: str) -> Counter:
    return Counter(r["geometry"].geom_type.removeprefix("Multi") for r in store.select(layer))


def test_mixed_layers_are_one_table_per_kind(sample_store: Store, tmp_path):
    facilities = _stored_kinds(sample_store, "facilities")
    assert set(facilities) == {"Point", "Polygon"}  # the sample mixes them, as the real data does
    path = tmp_path / "f.gpkg"
    assert export_layer(sample_store, "facilities", path) == sum(facilities.values())
    assert _tables(path) == {"facilities_points": "Point", "facilities_polygons": "MultiPolygon"}
    assert pyogrio.read_info(path, layer="facilities_points")["features"] == facilities["Point"]
    assert pyogrio.read_info(path, layer="facilities_polygons")["features"] == facilities["Polygon"]
    info = _ogrinfo(path, "facilities_polygons")
    assert "Geometry: Multi Polygon" in info.stdout and "Warning" not in info.stderr + info.stdout

    names = _stored_kinds(sample_store, "place_names")
    path = tmp_path / "names.gpkg"
    export_layer(sample_store, "place_names", path)
    expected = {"Point": ("place_names_points", "Point"), "LineString": ("place_names_lines", "MultiLineString"),
                "Polygon": ("place_names_polygons", "MultiPolygon")}
    assert _tables(path) == dict(expected[kind] for kind in names)
    for kind, (table, _declared) in ((k, expected[k]) for k in names):
        assert pyogrio.read_info(path, layer=table)["features"] == names[kind]
        assert set(pyogrio.read_dataframe(path, layer=table).geom_type) <= {expected[kind][1]}


def test_layer_of_one_kind_keeps_its_name_and_lines_are_multi(sample_store: Store, tmp_path):
    path = tmp_path / "lines.gpkg"
    export_layer(sample_store, "boundary_lines", path)
    assert _tables(path) == {"boundary_lines": "MultiLineString"}


def test_integer_columns_are_integer_fields(sample_store: Store, tmp_path):
    for layer, table, columns in (("facilities", "facilities_points", ("beds", "id", "version")),
                                  ("admin_units", "admin_units", ("households", "id"))):
        path = tmp_path / f"{layer}.gpkg"
        export_layer(sample_store, layer, path)
        info = _ogrinfo(path, table).stdout
        for column in columns:
            assert f"\n{column}: Integer " in info, (layer, column, info)  # 32 bits, as the store's
        assert "floor_area_m2: Real" in info or layer != "facilities"  # a real stays a real


def test_boundary_layers_carry_the_illustration_note(sample_store: Store, tmp_path):
    note = text("ogc.boundary_note")
    assert note.startswith("界线示意，非权威界线")
    for layer in ("admin_units", "boundary_lines"):
        path = tmp_path / f"{layer}.gpkg"
        export_layer(sample_store, layer, path)
        frame = pyogrio.read_dataframe(path)
        assert set(frame["boundary_note"]) == {note}
    path = tmp_path / "plates.gpkg"
    export_layer(sample_store, "door_plates", path)
    assert "boundary_note" not in pyogrio.read_dataframe(path, max_features=1).columns


def test_geopackage_is_version_1_2_and_reads_without_warnings(sample_store: Store, tmp_path):
    path = tmp_path / "names.gpkg"
    export_layer(sample_store, "place_names", path)
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # 'GPKG'
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10200
    for table in _tables(path):
        info = _ogrinfo(path, table)
        assert "Warning" not in info.stderr and "Warning" not in info.stdout, info.stderr


def test_shapefile_of_a_mixed_layer_is_refused_naming_the_layer(sample_store: Store, tmp_path):
    with pytest.raises(InputError) as err:
        export_layer(sample_store, "facilities", tmp_path / "f.shp")
    message = err.value.message
    assert message.startswith("图层 facilities 混有 points, polygons 几何")
    assert "--layer facilities" in message and "GeoPackage" in message
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("layer", ["facilities", "place_names", "admin_units", "boundary_lines"])
def test_an_export_imported_again_changes_nothing(writable_sample_store: Store, tmp_path, layer):
    store = writable_sample_store
    before = store.select(layer)
    audit = len(store.audit_rows(layer))
    path = tmp_path / f"{layer}.gpkg"
    n = export_layer(store, layer, path)
    report = import_file(store, layer, path, crs="EPSG:4490", actor="t", mode="upsert").summary()
    assert (report["inserted"], report["updated"], report["unchanged"]) == (0, 0, n)
    assert store.select(layer) == before
    assert len(store.audit_rows(layer)) == audit
    if layer in ("admin_units", "boundary_lines"):
        assert "boundary_note" in report["ignored_columns"]


def test_a_refusal_in_a_two_table_export_names_the_table_and_its_row(writable_sample_store: Store, tmp_path):
    """An export of a mixed layer is two tables; QGIS numbers each table's features from 1. A refusal about the
    3rd polygon named "第 225 行" (its place among both tables), a row no table has: it names the table's own row."""
    store = writable_sample_store
    path = tmp_path / "facilities.gpkg"
    export_layer(store, "facilities", path)
    points = pyogrio.read_dataframe(path, layer="facilities_points")
    polygons = pyogrio.read_dataframe(path, layer="facilities_polygons")
    polygons.loc[2, "floor_area_m2"] = -5
    pyogrio.write_dataframe(polygons, path, layer="facilities_polygons")
    before = store.select("facilities")
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", path, crs="EPSG:4490", actor="t", mode="upsert")
    zh, _, en = err.value.message.partition(" · ")
    assert zh.startswith("图层 「facilities_polygons」 第 3 行："), err.value.message
    assert en.startswith("row 3 of layer 「facilities_polygons」:"), err.value.message
    assert f"第 {len(points) + 3} 行" not in zh
    assert store.select("facilities") == before


def _add_table(path, name: str, *, geometry: bool) -> None:
    """Add a table to a GeoPackage: QGIS's ``layer_styles`` (attributes only) or another feature table."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    if geometry:
        pyogrio.write_dataframe(gpd.GeoDataFrame({"name": ["别的图层"]}, geometry=[shapely.Point(111.7, 40.85)],
                                                 crs="EPSG:4490"), path, layer=name)
    else:
        pyogrio.write_dataframe(pd.DataFrame({"styleName": ["默认"], "styleQML": ["<qgis/>"]}), path, layer=name)


def test_an_export_saved_with_its_qgis_style_upserts_every_table(writable_sample_store: Store, tmp_path):
    """QGIS's "save style to database" adds a layer_styles table; the import then read the first table alone and
    said "unchanged" for the rest, the officer's edits in them left behind without a word (review)."""
    store = writable_sample_store
    path = tmp_path / "facilities.gpkg"
    export_layer(store, "facilities", path)
    polygons = pyogrio.read_dataframe(path, layer="facilities_polygons")
    polygons.loc[0, "floor_area_m2"] = 1234
    pyogrio.write_dataframe(polygons, path, layer="facilities_polygons")
    _add_table(path, "layer_styles", geometry=False)
    report = import_file(store, "facilities", path, crs="EPSG:4490", actor="t", mode="upsert").summary()
    assert report["updated"] == 1, report
    assert store.select("facilities", where={"id": int(polygons.loc[0, "id"])})[0]["floor_area_m2"] == 1234


def test_a_geopackage_of_unrelated_feature_tables_is_refused_naming_them(writable_sample_store: Store, tmp_path):
    store = writable_sample_store
    path = tmp_path / "two.gpkg"
    export_layer(store, "streets", path)
    _add_table(path, "其他图层", geometry=True)
    before = store.count("streets")
    with pytest.raises(InputError) as err:
        import_file(store, "streets", path, crs="EPSG:4490", actor="t", mode="upsert")
    assert "多个要素图层" in err.value.message
    assert "「streets」" in err.value.message and "「其他图层」" in err.value.message
    assert store.count("streets") == before


def test_rows_of_several_tables_are_named_in_english_in_the_english_half(writable_sample_store: Store, tmp_path):
    """Messages written outside the catalogue put "1（图层 facilities_points）" into their English half (review)."""
    store = writable_sample_store
    path = tmp_path / "facilities.gpkg"
    export_layer(store, "facilities", path)
    with pytest.raises(Conflict) as err:
        import_file(store, "facilities", path, crs="EPSG:4490", actor="t")  # an insert of what is stored
    zh, _, en = err.value.message.partition(" · ")
    assert "图层 「facilities_points」 第 1 行" in zh and "row 1 of layer 「facilities_points」" in en
    assert "图层" not in en, en


def test_an_upsert_of_a_two_table_export_refuses_a_stale_row_and_a_record_named_twice(writable_sample_store: Store,
                                                                                      tmp_path):
    """Every feature of a table had the same place in the file (the first table's all 1), and versions and ids are
    checked by it: a stale row in a split export was applied over a colleague's edit, and a record named twice was
    applied twice (third review)."""
    from geo.errors import StaleVersion

    store = writable_sample_store
    path = tmp_path / "facilities.gpkg"
    export_layer(store, "facilities", path)
    polygons = pyogrio.read_dataframe(path, layer="facilities_polygons")
    target = int(polygons.loc[2, "id"])
    (stored,) = store.select("facilities", where={"id": target})
    store.update("facilities", target, {"floor_area_m2": 777}, expected_version=stored["version"], actor="同事")
    polygons.loc[2, "floor_area_m2"] = 555  # the officer's edit of the old export
    pyogrio.write_dataframe(polygons, path, layer="facilities_polygons")
    with pytest.raises(StaleVersion) as err:
        import_file(store, "facilities", path, crs="EPSG:4490", actor="t", mode="upsert")
    assert "图层 「facilities_polygons」 第 3 行" in err.value.message and "共 1 行过时" in err.value.message
    assert "(1 stale row(s))" in err.value.message
    assert store.select("facilities", where={"id": target})[0]["floor_area_m2"] == 777

    export_layer(store, "facilities", path)
    points = pyogrio.read_dataframe(path, layer="facilities_points")
    twice = points.iloc[[0, 1, 1]].reset_index(drop=True)
    pyogrio.write_dataframe(twice, path, layer="facilities_points")
    with pytest.raises(InputError, match="指向同一条记录"):
        import_file(store, "facilities", path, crs="EPSG:4490", actor="t", mode="upsert")


def test_a_catalogue_message_with_the_row_inside_names_the_table_first(writable_sample_store: Store, tmp_path):
    """"第 {row} 行" read "第 3（图层 「facilities_polygons」） 行" for a split table's row (review): the row is named
    "图层 「facilities_polygons」 第 3 行" inside a message as at its start."""
    import shapely

    store = writable_sample_store
    path = tmp_path / "facilities.gpkg"
    export_layer(store, "facilities", path)
    polygons = pyogrio.read_dataframe(path, layer="facilities_polygons")
    polygons.loc[2, "geometry"] = shapely.affinity.translate(polygons.loc[2, "geometry"], xoff=-150)  # off China
    pyogrio.write_dataframe(polygons, path, layer="facilities_polygons")
    before = store.select("facilities")
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", path, crs="EPSG:4490", actor="t", mode="upsert")
    zh, _, en = err.value.message.partition(" · ")
    assert "图层 「facilities_polygons」 第 3 行" in zh, zh
    assert "（图层" not in zh and "row 3 of layer 「facilities_polygons」" in en, err.value.message
    assert store.select("facilities") == before


def _edited_in_qgis(store: Store, path: Path, *, households_of_the_3rd: int = -5) -> list[int]:
    """Export the units, then edit them as an officer in QGIS would: the first two features deleted (their fids stay
    unused) and the third left (now the first row) given a negative household count on its 3rd row; saved with its
    fids. Return the fids as the file keeps them."""
    export_layer(store, "admin_units", path)
    units = pyogrio.read_dataframe(path, fid_as_index=True)
    assert list(units.index[:3]) == [1, 2, 3]  # an export numbers its features from 1
    units = units.iloc[2:]
    units.iloc[2, units.columns.get_loc("households")] = households_of_the_3rd
    path.unlink()
    pyogrio.write_dataframe(units.reset_index(names="fid"), path, layer="admin_units")
    return [int(fid) for fid in pyogrio.read_dataframe(path, fid_as_index=True).index]


def test_a_refusal_names_the_row_and_the_fid_qgis_shows_once_features_were_deleted(writable_sample_store: Store,
                                                                                   tmp_path):
    """QGIS and GDAL show a GeoPackage feature by its fid; once features are deleted the fids are no longer the rows
    (the 3rd row is fid 5): a refusal named "第 3 行" only, and the officer looking for feature 3 found another."""
    store = writable_sample_store
    path = tmp_path / "admin_units.gpkg"
    fids = _edited_in_qgis(store, path)
    assert fids[2] == 5
    before = store.select("admin_units")
    with pytest.raises(InputError) as err:
        import_file(store, "admin_units", path, crs="EPSG:4490", actor="t", mode="upsert")
    zh, _, en = err.value.message.partition(" · ")
    assert zh.startswith("第 3 行（fid 5）：") and "households" in zh, err.value.message
    assert en.startswith("row 3 (fid 5):"), err.value.message
    assert store.select("admin_units") == before


def test_rows_whose_fids_are_the_rows_are_named_by_row_alone(writable_sample_store: Store, tmp_path):
    store = writable_sample_store
    path = tmp_path / "admin_units.gpkg"
    export_layer(store, "admin_units", path)
    units = pyogrio.read_dataframe(path)
    units.loc[2, "households"] = -5
    pyogrio.write_dataframe(units, path, layer="admin_units")
    with pytest.raises(InputError) as err:
        import_file(store, "admin_units", path, crs="EPSG:4490", actor="t", mode="upsert")
    assert err.value.message.startswith("第 3 行：") and "fid" not in err.value.message, err.value.message


def test_a_split_export_edited_in_qgis_names_table_row_and_fid(writable_sample_store: Store, tmp_path):
    """Both at once: the polygons' table with its first feature deleted names its 3rd row by table, row and fid."""
    store = writable_sample_store
    path = tmp_path / "facilities.gpkg"
    export_layer(store, "facilities", path)
    polygons = pyogrio.read_dataframe(path, layer="facilities_polygons", fid_as_index=True).iloc[1:]
    polygons.iloc[2, polygons.columns.get_loc("floor_area_m2")] = -5
    pyogrio.write_dataframe(polygons.reset_index(names="fid"), path, layer="facilities_polygons")
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", path, crs="EPSG:4490", actor="t", mode="upsert")
    zh, _, en = err.value.message.partition(" · ")
    assert zh.startswith("图层 「facilities_polygons」 第 3 行（fid 4）："), err.value.message
    assert en.startswith("row 3 of layer 「facilities_polygons」 (fid 4):"), err.value.message


def test_the_api_import_names_the_fid_too(writable_server, writable_sample_store: Store, tmp_path):
    import httpx

    from tests.conftest import USERS

    path = tmp_path / "admin_units.gpkg"
    _edited_in_qgis(writable_sample_store, path)
    name, password = USERS["admin"]
    token = httpx.post(f"{writable_server}/api/auth/login", json={"username": name, "password": password})
    r = httpx.post(f"{writable_server}/api/layers/admin_units/import", content=path.read_bytes(), timeout=120,
                   params={"crs": "EPSG:4490", "format": "gpkg", "mode": "upsert"},
                   headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert r.status_code == 400, r.text
    assert "第 3 行（fid 5）" in r.text and "row 3 (fid 5)" in r.text, r.text


def test_a_collected_list_names_each_tables_rows_alike_with_or_without_fid(writable_sample_store: Store, tmp_path):
    """Review: in one message a point without geometry read "layer 「facilities_points」, row 2" and a polygon of a
    table with gaps "row 3 of layer 「facilities_polygons」 (fid 4)"; both tables' rows now read alike, as every other
    message names them (a recheck found the lists and the import's own messages in the second form)."""
    import shapely

    store = writable_sample_store
    path = tmp_path / "facilities.gpkg"
    export_layer(store, "facilities", path)
    points = pyogrio.read_dataframe(path, layer="facilities_points")
    polygons = pyogrio.read_dataframe(path, layer="facilities_polygons", fid_as_index=True).iloc[1:]
    points.loc[1, "geometry"] = None
    bow_tie = shapely.Polygon([(111.7, 40.8), (111.71, 40.81), (111.71, 40.8), (111.7, 40.81)])
    polygons.iloc[2, polygons.columns.get_loc("geometry")] = bow_tie
    pyogrio.write_dataframe(points, path, layer="facilities_points")
    pyogrio.write_dataframe(polygons.reset_index(names="fid"), path, layer="facilities_polygons")
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", path, crs="EPSG:4490", actor="t", mode="upsert")
    zh, _, en = err.value.message.partition(" · ")
    assert "图层 「facilities_points」 第 2 行" in zh and "图层 「facilities_polygons」 第 3 行（fid 4）" in zh, zh
    assert "row 2 of layer 「facilities_points」:" in en and "row 3 of layer 「facilities_polygons」 (fid 4):" in en, en
    assert ", row " not in en, en


def test_an_insert_of_stored_rows_and_a_stale_row_name_the_fid(writable_sample_store: Store, tmp_path):
    """The import's own messages (rows already stored, a row edited since the export) name the fid too."""
    from geo.errors import StaleVersion

    store = writable_sample_store
    path = tmp_path / "admin_units.gpkg"
    fids = _edited_in_qgis(store, path, households_of_the_3rd=10)
    with pytest.raises(Conflict) as err:
        import_file(store, "admin_units", path, crs="EPSG:4490", actor="t")  # insert: every row is stored
    zh, _, en = err.value.message.partition(" · ")
    assert f"第 1 行（fid {fids[0]}）" in zh and f"row 1 (fid {fids[0]})" in en, err.value.message
    units = pyogrio.read_dataframe(path, fid_as_index=True)
    (stored,) = store.select("admin_units", where={"id": int(units.iloc[3]["id"])})
    store.update("admin_units", stored["id"], {"households": 999}, expected_version=stored["version"], actor="同事")
    with pytest.raises(StaleVersion) as stale:
        import_file(store, "admin_units", path, crs="EPSG:4490", actor="t", mode="upsert")
    assert f"第 4 行（fid {fids[3]}）" in stale.value.message and f"row 4 (fid {fids[3]})" in stale.value.message, \
        stale.value.message


def test_missing_values_name_the_field_that_is_missing(writable_sample_store: Store, tmp_path):
    """Review: a file missing only names was answered with field "code" (the layer's first required field)."""
    store = writable_sample_store
    path = tmp_path / "admin_units.gpkg"
    export_layer(store, "admin_units", path)
    units = pyogrio.read_dataframe(path)
    units["name"] = units["name"].astype(object)
    units.loc[[3, 5], "name"] = None
    pyogrio.write_dataframe(units, path, layer="admin_units")
    with pytest.raises(InputError) as err:
        import_file(store, "admin_units", path, crs="EPSG:4490", actor="t", mode="upsert")
    assert err.value.field == "name" and "第 4 行" in err.value.message and "第 6 行" in err.value.message, \
        (err.value.field, err.value.message)


def test_missing_values_are_listed_by_row_and_answered_with_the_first_rows_field(writable_sample_store: Store,
                                                                                 tmp_path):
    """Recheck: blanks in names (rows 2 and 21) and a code (row 9) were listed code first and answered "code"."""
    store = writable_sample_store
    path = tmp_path / "admin_units.gpkg"
    export_layer(store, "admin_units", path)
    units = pyogrio.read_dataframe(path)
    units[["name", "code"]] = units[["name", "code"]].astype(object)
    units.loc[[0, 19], "name"] = None
    units.loc[7, "code"] = None
    pyogrio.write_dataframe(units, path, layer="admin_units")
    with pytest.raises(InputError) as err:
        import_file(store, "admin_units", path, crs="EPSG:4490", actor="t", mode="upsert")
    zh = err.value.message.partition(" · ")[0]
    assert err.value.field == "name", (err.value.field, err.value.message)
    assert zh.index("第 1 行") < zh.index("第 8 行") < zh.index("第 20 行"), zh


@pytest.mark.parametrize(("column", "shown"), [("OBJECTID", "（OBJECTID 5）"), ("编号", "（编号 5）"),
                                               ("my fid", "（「my fid」 5）")])
def test_a_fid_column_of_another_name_is_named_as_qgis_heads_it(writable_sample_store: Store, tmp_path, column,
                                                                 shown):
    """Recheck: a GeoPackage whose key column is OBJECTID (an ArcGIS export) was told "(fid 5)", a column it has not;
    third review: so was one whose name is not a plain word (now quoted and escaped)."""
    store = writable_sample_store
    path = tmp_path / "admin_units.gpkg"
    export_layer(store, "admin_units", path)
    units = pyogrio.read_dataframe(path, fid_as_index=True).iloc[2:]
    units.iloc[2, units.columns.get_loc("households")] = -5
    path.unlink()
    pyogrio.write_dataframe(units.reset_index(names=column), path, layer="admin_units", layer_options={"FID": column})
    assert pyogrio.read_info(path)["fid_column"] == column
    with pytest.raises(InputError) as err:
        import_file(store, "admin_units", path, crs="EPSG:4490", actor="t", mode="upsert")
    assert f"第 3 行{shown}" in err.value.message and f"row 3 ({shown[1:-1]})" in err.value.message, err.value.message
