"""Imports stay bounded and speak plainly: findings of an outside review of the readers.

Through the real HTTP import endpoint (uvicorn over a copy of the sample district, on SQLite and
PostGIS), the real ``xincheng`` command, and the readers directly:

1. the GeoJSON depth scan is linear (crafted escaped quotes took 30 s for 96 KB and held the GIL);
2. a GeoPackage holding only an attribute table is a 400 naming the file, not a 500 or a traceback;
3. the import ``encoding`` is one of UTF-8 (with or without BOM), GBK, GB2312, GB18030 or refused;
4. a zipped Shapefile is checked from the archive's directory first, and only its own parts are
   extracted, their total and ratio capped;
5. import messages are Chinese first with English beside, and name the field ``file``.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import httpx
import pandas as pd
import pyogrio
import pytest
import shapely

from geo.errors import EncodingProblem, InputError
from geo.io.formats import import_encoding, json_depth, read_features, write_features
from geo.store import Store
from tests.conftest import USERS
from tests.test_import_modes import cli, url_of

CRAFTED = '"' + '\\"' * 48_000  # 96 KB: one unterminated string of escaped quotes
MIB = 1 << 20
TIMEOUT = 20.0  # a guard against a hang, not a measurement


def _login(base: str) -> dict[str, str]:
    user, password = USERS["admin"]
    r = httpx.post(f"{base}/api/auth/login", json={"username": user, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _post(base: str, headers: dict[str, str], layer: str, body: bytes, fmt: str, **params: str) -> httpx.Response:
    return httpx.post(f"{base}/api/layers/{layer}/import", headers=headers, content=body,
                      params={"crs": "EPSG:4490", "format": fmt, **params}, timeout=TIMEOUT)


def _chinese_first(message: str) -> bool:
    head, sep, english = message.partition(" · ")
    return bool(sep) and re.search(r"[\u4e00-\u9fff]", head) is not None and bool(english.strip())


def _refused(r: httpx.Response, field: str) -> str:
    assert r.status_code == 400, (r.status_code, r.text)
    body = r.json()
    assert body["field"] == field, body
    assert _chinese_first(body["message"]), body
    return body["message"]


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _facilities(n: int = 2) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"kind": ["elder_care_station"] * n, "name": [f"限额测试养老站{i}" for i in range(n)],
         "floor_area_m2": [20.0] * n},
        geometry=[shapely.Point(111.676 + i * 1e-3, 40.85) for i in range(n)], crs="EPSG:4490")


def _shapefile_parts(tmp_path: Path) -> dict[str, bytes]:
    folder = tmp_path / "shp"
    folder.mkdir()
    write_features(_facilities(), folder / "roads.shp")
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _attribute_only_gpkg(path: Path) -> Path:
    pyogrio.write_dataframe(pd.DataFrame({"kind": ["elder_care_station"], "name": ["无几何"]}), path,
                            driver="GPKG", layer="attributes")
    return path


# -- 1. the depth scan is linear ---------------------------------------------------------------------


_LINEAR_CHECK = """
from geo.io.formats import json_depth
assert json_depth('"' + '\\\\"' * 48_000) == 0
assert json_depth('"' + '\\\\"' * 500_000) == 0
assert json_depth('"' + '\\\\"' * 5_000_000) == 0
assert json_depth('[[' * 100_000 + '"' + '\\\\"' * 500_000) == 200_000
assert json_depth('[' + '"\\\\\\\\\\\\"[",' * 200_000 + '1]') == 1
print("linear")
"""


def test_json_depth_is_linear_on_escaped_quotes():
    # Quadratic, the 96 KB case took 30 s, 1 MB about an hour, 10 MB days. The scan is a regex that
    # holds the GIL, so a thread with join(timeout) cannot stop it: a subprocess with a timeout can.
    done = subprocess.run([sys.executable, "-c", _LINEAR_CHECK], capture_output=True, text=True,
                          timeout=TIMEOUT, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0 and done.stdout.strip() == "linear", done.stderr


def test_json_depth_still_counts_only_brackets_outside_strings():
    assert json_depth('{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert json_depth('"no brackets"') == 0
    assert json_depth('[[["\\"]]]"]]]') == 3
    assert json_depth('[["a\\\\"], "[[["]') == 2
    assert json_depth('[[["unterminated [[[[') == 3
    assert json_depth('[["ends in a backslash \\') == 2


# -- 2 to 5 through the real endpoint ---------------------------------------------------------------


def test_crafted_geojson_is_refused_at_once_and_the_depth_limit_holds(writable_server):
    headers = _login(writable_server)
    for body in (CRAFTED, '"' + '\\"' * 500_000):  # 96 KB and 1 MB: 30 s and an hour before
        message = _refused(_post(writable_server, headers, "streets", body.encode(), "geojson"), "file")
        assert "GeoJSON 格式错误" in message and "broken GeoJSON" in message
    deep = ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": '
            + "[" * 70 + '"\\"[[["' + "]" * 70 + '}, "geometry": null}]}')
    message = _refused(_post(writable_server, headers, "streets", deep.encode(), "geojson"), "file")
    assert "嵌套过深" in message and "nests 74 levels" in message


def test_import_refusals_are_400s_in_chinese_first(writable_server, writable_sample_store, tmp_path):
    base, store = writable_server, writable_sample_store
    headers = _login(base)
    before = store.count("facilities")

    # 2. a GeoPackage with an attribute table only
    gpkg = _attribute_only_gpkg(tmp_path / "attributes.gpkg").read_bytes()
    message = _refused(_post(base, headers, "facilities", gpkg, "gpkg"), "file")
    assert message.startswith("文件中的图层没有几何") and "the layer in the file has no geometry" in message

    # 3. encodings outside the whitelist
    csv = pd.DataFrame({"kind": ["elder_care_station"], "name": ["编码测试养老站"], "floor_area_m2": [20.0],
                        "lon": [111.676], "lat": [40.85]}).to_csv(index=False).encode("utf-8")
    for bad in ("\0", "latin-1", "unicode_escape", "bogus", "utf-16", "cp1252"):
        message = _refused(_post(base, headers, "facilities", csv, "csv", encoding=bad), "encoding")
        assert message.startswith("导入编码只能是") and "encoding must be one of" in message
    assert store.count("facilities") == before
    r = _post(base, headers, "facilities", csv, "csv", encoding="utf8")
    assert r.status_code == 200, r.text
    assert r.json()["encoding"] == "UTF-8"
    (stored,) = [rec for rec in store.select("facilities") if rec["name"] == "编码测试养老站"]
    assert stored["name"] == "编码测试养老站"

    # 5. a broken GeoJSON names the file, not a byte position
    message = _refused(_post(base, headers, "facilities", b'{"type": "FeatureCollection", "features": [',
                             "geojson"), "file")
    assert message.startswith("GeoJSON 格式错误") and "broken GeoJSON" in message
    message = _refused(_post(base, headers, "facilities", b"\xff\xfe{}", "geojson"), "encoding")
    assert "不是有效的 UTF-8 文本" in message
    message = _refused(_post(base, headers, "facilities", b"[1, 2]", "geojson"), "file")
    assert "FeatureCollection" in message
    assert store.count("facilities") == before + 1


def test_zip_bomb_of_many_small_members_is_refused_before_extracting(writable_server, writable_sample_store,
                                                                     tmp_path, monkeypatch):
    base, store = writable_server, writable_sample_store
    headers = _login(base)
    before = store.count("facilities")
    zeros = b"\0" * MIB  # exactly 1 MiB: at the floor below which one member is never a bomb
    junk = {f"junk/{i:03d}.bin": zeros for i in range(30)}
    parts = _shapefile_parts(tmp_path)
    no_shapefile = _zip(junk)
    among_junk = _zip({**junk, **parts, "other.txt": b"x"})
    bomb = _zip({"roads.shp": zeros, "roads.shx": zeros, "roads.dbf": zeros})
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)  # the server runs in this process

    # No .shp: refused from the directory; before, all 30 MiB were written out first.
    r = _post(base, headers, "facilities", no_shapefile, "shp")
    assert opened == []
    message = _refused(r, "file")
    assert message.startswith("压缩包中须恰有一个 .shp 文件") and "it holds 0" in message

    # One Shapefile among junk: only its own parts are extracted.
    r = _post(base, headers, "facilities", among_junk, "shp")
    assert r.status_code == 200, r.text
    assert r.json()["inserted"] == 2
    assert sorted(opened) == sorted(parts) and len(opened) == len(parts) >= 3
    assert store.count("facilities") == before + 2

    # The Shapefile's own parts, each at the floor, expand together far beyond the archive.
    opened.clear()
    message = _refused(_post(base, headers, "facilities", bomb, "shp"), "file")
    assert "疑为压缩炸弹" in message and "zip bomb" in message
    assert opened == []
    assert store.count("facilities") == before + 2


# -- the readers and the command directly ----------------------------------------------------------


def test_attribute_only_geopackage_is_refused_naming_the_file(tmp_path, store: Store):
    path = _attribute_only_gpkg(tmp_path / "台账.gpkg")
    with pytest.raises(InputError) as err:
        read_features(path, crs="EPSG:4490")
    assert err.value.field == "file"
    assert err.value.message == ("文件中的图层没有几何：「台账.gpkg」 · the layer in the file has no geometry: "
                                 "「台账.gpkg」")
    r = cli("import", str(path), "--layer", "facilities", "--crs", "EPSG:4490", url=url_of(store))
    assert r.returncode != 0
    assert "Traceback" not in r.stderr and "AttributeError" not in r.stderr
    assert "文件中的图层没有几何" in r.stderr + r.stdout
    assert store.count("facilities") == 0


@pytest.mark.parametrize("given,canonical", [
    (None, "UTF-8"), ("utf-8", "UTF-8"), ("UTF8", "UTF-8"), ("utf_8", "UTF-8"), ("UTF-8-SIG", "UTF-8"),
    ("utf8sig", "UTF-8"), ("gbk", "GBK"), ("CP936", "GBK"), ("936", "GBK"), ("gb2312", "GB2312"),
    ("GB-2312", "GB2312"), ("gb18030", "GB18030"), (" GB18030 ", "GB18030")])
def test_import_encodings_accepted(given, canonical):
    assert import_encoding(given) == canonical


@pytest.mark.parametrize("bad", ["\0", "utf-8\0", "latin-1", "iso-8859-1", "unicode_escape", "raw_unicode_escape",
                                 "utf-16", "ascii", "cp1252", "big5", "bogus"])
def test_import_encodings_refused(bad):
    with pytest.raises(EncodingProblem) as err:
        import_encoding(bad)
    assert err.value.field == "encoding" and _chinese_first(err.value.message)


def test_encoding_is_checked_for_every_format(tmp_path):
    text = "kind,name,lon,lat\r\nelder_care_station,编码,111.7,40.85\r\n"
    csv = tmp_path / "a.csv"
    csv.write_bytes(("\ufeff" + text).encode("utf-8"))
    frame, info = read_features(csv, crs="EPSG:4490", encoding="UTF-8")  # a BOM is no part of the text
    assert list(frame.columns)[:2] == ["kind", "name"] and frame["name"].iloc[0] == "编码"
    csv.write_bytes(text.encode("gbk"))
    frame, info = read_features(csv, crs="EPSG:4490", encoding="gb2312")
    assert frame["name"].iloc[0] == "编码" and info["encoding"] == "GB2312"
    geojson = tmp_path / "a.geojson"
    geojson.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    shp = tmp_path / "parts" / "roads.shp"
    shp.parent.mkdir()
    write_features(_facilities(), shp)
    for path in (csv, geojson, shp):
        with pytest.raises(EncodingProblem) as err:
            read_features(path, crs="EPSG:4490", encoding="latin-1")
        assert err.value.field == "encoding" and "收到 「latin-1」" in err.value.message


def test_shapefile_zip_extracts_only_its_parts_and_caps_them(tmp_path):
    parts = _shapefile_parts(tmp_path)
    archive = tmp_path / "nested.zip"
    archive.write_bytes(_zip({**{f"data/{name}": data for name, data in parts.items()},
                              "data/roads.txt": b"not a part", "__MACOSX/data/._roads.shp": b"\0" * 10,
                              "readme.pdf": b"%PDF"}))
    frame, info = read_features(archive, crs="EPSG:4490")
    assert len(frame) == 2 and info["format"] == "shp"
    two = tmp_path / "two.zip"
    two.write_bytes(_zip({**parts, **{f"b/{name}": data for name, data in parts.items()}}))
    with pytest.raises(InputError) as err:
        read_features(two, crs="EPSG:4490")
    assert err.value.message.startswith("压缩包中须恰有一个 .shp 文件") and "it holds 2" in err.value.message
    # The parts' declared total is held to the limit.
    with pytest.raises(InputError) as err:
        read_features(archive, crs="EPSG:4490", max_unzipped_bytes=sum(map(len, parts.values())) - 1)
    assert "压缩包解压后过大" in err.value.message and err.value.field == "file"


def test_a_geopackage_with_a_view_is_refused_before_gdal_reads_it(tmp_path):
    """Re-check finding 1: a recursive view registered as a layer would run forever; refused, not read."""
    import sqlite3
    from contextlib import closing

    import geopandas as gpd
    import pyogrio
    import shapely

    from geo.errors import InputError
    from geo.io.formats import read_features

    good = tmp_path / "good.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"name": ["养老站"], "kind": ["elder_care_station"]},
                                             geometry=[shapely.Point(111.7, 40.84)], crs="EPSG:4490"), good)
    frame, _ = read_features(good, crs="EPSG:4490")
    assert list(frame["name"]) == ["养老站"]
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(good.read_bytes())
    with closing(sqlite3.connect(bad)) as db:
        db.execute("CREATE VIEW endless AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
                   "SELECT i AS fid, NULL AS geom FROM n")
        db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('endless', 'features', 'e')")
        db.commit()
    with pytest.raises(InputError) as err:
        read_features(bad, crs="EPSG:4490")
    assert err.value.field == "file" and "视图" in err.value.message


@pytest.mark.parametrize("value", [["a"], {"a": 1}, [], True])
def test_imported_lists_objects_and_bools_are_refused_naming_the_field(store, tmp_path, value):
    """Re-check finding 6: an import stored a list as the text "['a']" where the API answers 422."""
    import json

    from geo.errors import InputError
    from geo.io.importer import import_file

    path = tmp_path / "f.geojson"
    field = "beds" if value is True else "name"
    props = {"kind": "elder_care_station", "name": "养老站", field: value}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": [111.7, 40.84]}}]}),
        encoding="utf-8")
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", path, crs="EPSG:4490", actor="t")
    assert err.value.field == field
    assert store.count("facilities") == 0


def test_a_geojson_number_too_long_to_read_is_a_clear_refusal(tmp_path):
    """Re-check finding 4: a 5,000-digit integer was a 500 from json.loads."""
    from geo.errors import InputError
    from geo.io.formats import read_features

    path = tmp_path / "big.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"beds": '
                    + "9" * 5000 + '}, "geometry": {"type": "Point", "coordinates": [111.7, 40.84]}}]}',
                    encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_features(path, crs="EPSG:4490")
    assert err.value.field == "file"


def test_a_zip_member_name_too_long_for_the_file_system_is_a_clear_refusal(tmp_path):
    """Re-check finding 5: a member name over 255 bytes was a 500 (ENAMETOOLONG)."""
    import zipfile

    from geo.errors import InputError
    from geo.io.formats import read_features

    stem = "长" * 100  # 300 bytes in UTF-8
    path = tmp_path / "long.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for suffix in (".shp", ".shx", ".dbf"):
            zf.writestr(stem + suffix, b"x" * 200)
    with pytest.raises(InputError) as err:
        read_features(path, crs="EPSG:4490")
    assert err.value.field == "file"
