"""Platform hardening, end to end through the real server on SQLite and PostGIS.

Export encodings, unique collisions as 409 (never a 500, never a logged parameter), typed field
records, deep JSON, zip bombs and unsafe archive paths, the login throttle under concurrent
guesses, spreadsheet formulas in every CSV/XLSX export, and the security headers of every answer.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import logging
import os
import re
import struct
import subprocess
import sys
import threading
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import openpyxl
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa

from geo.errors import InputError
from geo.io.formats import export_encoding, json_depth, read_features, write_features
from geo.spreadsheet import formula_safe, formula_unsafe, safe_cell
from geo.store import Store
from geo.users import create_user
from tests.conftest import running_server, server_settings
from tests.images import png

ADMIN = ("hd-admin", "admin-password-123")
INSPECTOR = ("hd-inspector", "inspector-password-123")
OFFICER = ("hd-officer", "officer-password-123")
LINE = shapely.LineString([(111.700, 40.860), (111.720, 40.860)])
MARKER_AT = (111.710, 40.860)
PNG = png()
HOSTILE = [
    '=HYPERLINK("http://x.example","点我")',
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1,2)",
    "\tTAB",
    "\rCR",
]


def _has_chinese_first(message: str) -> bool:
    """Return whether a message starts (before its " · " English part) with Chinese text."""
    head = message.split(" · ", 1)[0]
    return " · " in message and re.search(r"[\u4e00-\u9fff]", head) is not None


def _error(r: httpx.Response, status: int | tuple[int, ...], field: str | None = None) -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, (r.status_code, r.text)
    body = r.json()
    assert body["status"] == r.status_code and body["message"]
    if field is not None:
        assert body["field"] == field, body
    return body


def _seed(store: Store) -> None:
    """Users of three roles, one street, one boundary line: enough for every check here."""
    for (name, password), role in (
        (ADMIN, "admin"),
        (INSPECTOR, "boundary_inspector"),
        (OFFICER, "placename_officer"),
    ):
        create_user(store, name, password, role, actor="test")
    store.insert(
        "streets",
        [{"name": "新华大街", "geometry": shapely.LineString([(111.70, 40.85), (111.72, 40.85)])}],
        actor="test",
    )
    store.insert("place_names", [{"standard_name": "新华大街", "feature_class": "street",
                                  "status": "in_force"}], actor="test")
    store.insert(
        "boundary_lines",
        [
            {
                "line_code": "XH01",
                "name": "新城区—回民区",
                "geometry": LINE,
                "left_adcode": "150102",
                "right_adcode": "150103",
            }
        ],
        actor="test",
    )


@contextmanager
def _server(store: Store, **overrides) -> Iterator[str]:
    _seed(store)
    with running_server(server_settings(store, **overrides)) as base:
        yield base


def _login(base: str, who: tuple[str, str]) -> dict[str, str]:
    r = httpx.post(f"{base}/api/auth/login", json={"username": who[0], "password": who[1]}, timeout=30)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


SLOW = 120.0  # client timeout for a burst of password hashes on a busy machine (not an assertion)


def _together(n: int, call: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    """Run ``call(i)`` in ``n`` threads released at the same moment; return the answers."""
    barrier = threading.Barrier(n)
    answers: list[httpx.Response | None] = [None] * n

    def worker(i: int) -> None:
        barrier.wait()
        answers[i] = call(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(a is not None for a in answers)
    return answers  # type: ignore[return-value]


# -- 1. export encodings ---------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    """Run the CLI in its own process (its store and connections end with it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINCHENG_")}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_export_encoding_is_validated_over_http_and_in_the_cli(store, tmp_path):
    with _server(store) as base:
        url = f"{base}/api/layers/streets/export"
        for bad in ("bogus", "ascii", "latin-1", "utf-16", "cp1252", "utf-8-sig"):
            body = _error(
                httpx.get(url, params={"format": "csv", "encoding": bad}), 400, "encoding"
            )
            assert body["error"] == "wrong_encoding" and _has_chinese_first(body["message"])
        _error(httpx.get(url, params={"format": "gpkg", "encoding": "latin-1"}), 400, "encoding")
        for good, codec in (
            ("UTF-8", "utf-8-sig"),
            ("utf8", "utf-8-sig"),
            ("GBK", "gbk"),
            ("gb2312", "gb2312"),
            ("GB18030", "gb18030"),
            ("cp936", "gbk"),
        ):
            r = httpx.get(url, params={"format": "csv", "encoding": good})
            assert r.status_code == 200, (good, r.text)
            assert "新华大街" in r.content.decode(codec)
        # Mongolian script has no place in GBK: refused naming the field, written in GB18030.
        store.insert("streets", [{"name": "ᠰᠢᠨ᠎ᠡ ᠬᠣᠲᠠ", "geometry": LINE}], actor="test")
        body = _error(httpx.get(url, params={"format": "csv", "encoding": "GBK"}), 400, "encoding")
        assert "GB18030" in body["message"] and _has_chinese_first(body["message"])
        r = httpx.get(url, params={"format": "csv", "encoding": "GB18030"})
        assert r.status_code == 200 and "ᠰᠢᠨ᠎ᠡ ᠬᠣᠲᠠ" in r.content.decode("gb18030")
    db_url = store.engine.url.render_as_string(hide_password=False)
    out = tmp_path / "streets.csv"
    result = _cli(
        "--database-url", db_url, "export", str(out), "--layer", "streets", "--encoding", "latin-1"
    )
    assert result.returncode == 2 and "encoding must be one of" in result.stderr, result.stderr
    assert not out.exists()
    result = _cli(
        "--database-url", db_url, "export", str(out), "--layer", "streets", "--encoding", "gb18030"
    )
    assert result.returncode == 0, result.stderr
    assert "新华大街" in out.read_bytes().decode("gb18030")


def test_export_encoding_names():
    assert [
        export_encoding(n) for n in ("utf-8", "UTF8", "gbk", "CP936", "GB2312", "gb-18030")
    ] == ["UTF-8", "UTF-8", "GBK", "GBK", "GB2312", "GB18030"]
    for bad in ("latin-1", "ascii", "big5", "utf-16"):
        with pytest.raises(InputError) as err:
            export_encoding(bad)
        assert err.value.field == "encoding"


# -- 2. unique collisions --------------------------------------------------------------------


def _plate(uid: str, number: int) -> dict:
    return {
        "type": "Feature",
        "properties": {"plate_uid": uid, "street_name": "新华大街", "number": number},
        "geometry": {"type": "Point", "coordinates": [111.705 + number * 1e-5, 40.8501]},
    }


def _unit(code: str) -> dict:
    ring = [[111.70, 40.84], [111.72, 40.84], [111.72, 40.86], [111.70, 40.86], [111.70, 40.84]]
    return {
        "type": "Feature",
        "properties": {"code": code, "name": "测试社区", "level": "community"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def _marker(seq: int) -> dict:
    return {
        "position": list(MARKER_AT),
        "line_code": "XH01",
        "seq": seq,
        "reason": "新设界桩",
        "agreement_doc": "协议-1",
        "survey_ref": "联测-1",
        "filed_with": "市民政局",
    }


@pytest.mark.both_backends  # simultaneous inserts: the unique constraint decides per backend
def test_unique_collisions_are_409_naming_the_field(store, caplog):
    caplog.set_level(logging.DEBUG)
    with _server(store) as base:
        admin = _login(base, ADMIN)
        # the community the plates stand in (units are created by division changes, not this path)
        unit = _unit("150102001001")
        store.insert("admin_units", [{**unit["properties"], "geometry": shapely.geometry.shape(unit["geometry"])}],
                     actor="setup")
        plates = f"{base}/api/layers/door_plates/features"
        first_plate = httpx.post(plates, json=_plate("UNQ23456", 901), headers=admin)
        assert first_plate.status_code == 201, first_plate.text
        body = _error(httpx.post(plates, json=_plate("UNQ23456", 903), headers=admin), 409, "plate_uid")
        assert "already exists" in body["message"] and _has_chinese_first(body["message"])
        assert store.count("door_plates", where={"plate_uid": "UNQ23456"}) == 1
        # Two of each at the same moment: one is stored, the others are told why (never a 500).
        cases = (
            (
                "door_plates",
                "plate_uid",
                "RACE2345",
                lambda i: httpx.post(
                    f"{base}/api/layers/door_plates/features",
                    headers=admin,
                    json=_plate("RACE2345", 2 * i + 1),
                    timeout=SLOW,
                ),
            ),
            (
                "boundary_markers",
                "marker_no",
                "XH01007Q",
                lambda i: httpx.post(
                    f"{base}/api/markers", json=_marker(7), headers=admin, timeout=SLOW
                ),
            ),
            (
                "users",
                "username",
                "twin",
                lambda i: httpx.post(
                    f"{base}/api/users",
                    headers=admin,
                    json={
                        "username": "twin",
                        "password": f"twin-password-{i:03d}",
                        "role": "planner",
                    },
                    timeout=SLOW,
                ),
            ),
        )
        for table, field, value, call in cases:
            answers = _together(6, call)
            statuses = Counter(r.status_code for r in answers)
            assert statuses == {201: 1, 409: 5}, (table, [r.text for r in answers])
            for r in answers:
                if r.status_code == 409:
                    assert r.json()["field"] == field and _has_chinese_first(r.json()["message"]), (
                        r.text
                    )
            assert store.count(table, where={field: value}) == 1
        # A PATCH onto another plate's uid changes nothing (409 for the taken value, or 422 since
        # the uid is an identifier the generic path may not rewrite).
        first = httpx.post(
            f"{base}/api/layers/door_plates/features", json=_plate("PATCH234", 41), headers=admin
        ).json()
        r = httpx.patch(
            f"{base}/api/layers/door_plates/features/{first['id']}",
            headers=admin,
            json={"version": 1, "properties": {"plate_uid": "RACE2345"}},
        )
        _error(r, (409, 422), "plate_uid")
        assert store.get("door_plates", first["id"])["plate_uid"] == "PATCH234"
    logged = "\n".join(f"{rec.getMessage()} {rec.__dict__}" for rec in caplog.records)
    assert "$argon2" not in logged and "twin-password" not in logged


def test_statement_values_never_reach_an_error_or_the_log(store, caplog):
    """The engines hide bound values; a 500 logs the SQL with placeholders, never the values."""
    caplog.set_level(logging.DEBUG)
    create_user(store, "keeper", "keeper-password-1", "planner", actor="test")
    secret_hash = "$argon2id$v=19$m=65536,t=3,p=4$TOPSECRETSALT$TOPSECRETHASH"
    (keeper,) = store.select("users", where={"username": "keeper"})
    twin = {
        k: v for k, v in keeper.items() if k not in ("id", "version", "created_at", "updated_at")
    }
    with pytest.raises(sa.exc.IntegrityError) as err:
        store.insert("users", [{**twin, "password_hash": secret_hash}], actor="test")
    assert "TOPSECRET" not in str(err.value) and "hide_parameters" in str(err.value)

    from api.app import create_app

    _seed(store)
    settings = server_settings(store)
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> dict:
        with app.state.store.reading() as conn:
            conn.execute(
                sa.text("SELECT * FROM no_such_table WHERE x = :secret"), {"secret": secret_hash}
            )
        return {}

    with running_server(settings, app=app) as base:
        r = httpx.get(f"{base}/boom")
    assert r.status_code == 500 and "TOPSECRET" not in r.text
    assert r.headers["x-content-type-options"] == "nosniff"  # the security headers go on a 500 too
    records = [rec for rec in caplog.records if rec.name.startswith("xincheng")]
    assert any("values hidden" in rec.getMessage() for rec in records)
    logged = "\n".join(
        f"{rec.getMessage()} {rec.__dict__} {logging.Formatter().format(rec)}"
        for rec in caplog.records
    )
    assert "TOPSECRET" not in logged


# -- 3. typed field records, deep JSON --------------------------------------------------------


def _campaign_and_marker(base: str) -> int:
    admin = _login(base, ADMIN)
    assert httpx.post(f"{base}/api/markers", json=_marker(1), headers=admin).status_code == 201
    r = httpx.post(
        f"{base}/api/inspections/campaigns",
        headers=admin,
        json={"name": "2026年联检", "line_codes": ["XH01"], "required_accuracy_m": 5},
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _record(campaign_id: int, **kw) -> dict:
    return {
        "client_id": "hardening-0001",
        "campaign_id": campaign_id,
        "marker_no": "XH01001Q",
        "condition": "intact",
        "gnss_accuracy_m": 2.5,
        "fixes": 10,
        "position": {"lon": MARKER_AT[0], "lat": MARKER_AT[1], "crs": "EPSG:4490"},
        "photo": {"data_base64": base64.b64encode(PNG).decode()},
        **kw,
    }


WRONG_TYPES = [
    ("campaign_id", "abc"),
    ("campaign_id", [1]),
    ("campaign_id", {"id": 1}),
    ("campaign_id", 1.5),
    ("campaign_id", 10**30),
    ("client_id", 12345678),
    ("client_id", ["hardening-0001"]),
    ("marker_no", 5),
    ("marker_no", {}),
    ("condition", 1),
    ("condition", ["intact"]),
    ("action", []),
    ("gnss_accuracy_m", "abc"),
    ("gnss_accuracy_m", []),
    ("gnss_accuracy_m", {}),
    ("fixes", "many"),
    ("fixes", 1.5),
    ("fixes", 10**20),
    ("position", [111.71, 40.86]),
    ("position", "111.71,40.86"),
    ("position", 5),
    ("position", {"lon": "east", "lat": 40.86}),
    ("position", {"lon": 111.71, "lat": 40.86, "crs": 4490}),
    ("photo", "aGVsbG8="),
    ("photo", []),
    ("photo", 5),
    ("photo", {"data_base64": 5}),
    ("observed_at", 5),
    ("observed_at", []),
    ("team", ["a"]),
    ("remarks", {"a": 1}),
    ("party_adcodes", "150102"),
    ("party_adcodes", [1, {}]),
]


def test_field_records_with_wrong_types_are_refused_naming_the_field(store):
    with _server(store) as base:
        campaign_id = _campaign_and_marker(base)
        inspector = _login(base, INSPECTOR)
        url = f"{base}/api/inspections"
        for name, value in WRONG_TYPES:
            r = httpx.post(url, json={**_record(campaign_id), name: value}, headers=inspector)
            body = _error(r, (400, 422))
            assert body["field"] is not None and body["field"].split(".")[0] == name, (
                name,
                value,
                body,
            )
            assert _has_chinese_first(body["message"]), body
        for body in ([], "text", 5, None):
            _error(httpx.post(url, json=body, headers=inspector), (400, 422))
        deep = b'{"client_id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"  # no RecursionError
        as_json = {**inspector, "Content-Type": "application/json"}
        _error(httpx.post(url, content=deep, headers=as_json), (400, 422))
        assert store.count("inspections") == 0 and store.count("inspection_photos") == 0
        # Valid records keep their behaviour: created, then the retry returns the same record.
        first = httpx.post(url, json=_record(campaign_id), headers=inspector)
        retry = httpx.post(url, json=_record(campaign_id), headers=inspector)
        assert (first.status_code, retry.status_code) == (201, 200)
        assert first.json()["id"] == retry.json()["id"] and store.count("inspections") == 1
        missing = httpx.post(
            url,
            headers=inspector,
            json=_record(
                campaign_id,
                client_id="hardening-0002",
                condition="missing",
                position=None,
                photo=None,
            ),
        )
        assert missing.status_code == 201, missing.text


def _geojson_with_depth(depth: int) -> bytes:
    """Return a one-feature GeoJSON whose property nests ``depth`` lists deep (built as text)."""
    nested = "[" * depth + '"底"' + "]" * depth
    return (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        f'{{"name": "深街", "street_class": {nested}}}, "geometry": {{"type": "LineString", '
        '"coordinates": [[111.70, 40.85], [111.71, 40.85]]}}]}'
    ).encode()


def test_deeply_nested_geojson_is_refused(store):
    with _server(store) as base:
        admin = _login(base, ADMIN)
        url = f"{base}/api/layers/streets/import"
        before = store.count("streets")
        assert json.loads(_geojson_with_depth(3))["features"][0]["properties"]["street_class"] == [
            [["底"]]
        ]
        for depth in (70, 5_000, 200_000):
            body = _geojson_with_depth(depth)
            r = httpx.post(
                url, params={"crs": "EPSG:4490", "format": "geojson"}, content=body, headers=admin
            )
            message = _error(r, 400, "file")["message"]
            assert "嵌套" in message and "nests" in message and _has_chinese_first(message)
        assert store.count("streets") == before


def test_json_depth_counts_brackets_outside_strings():
    assert json_depth('{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert json_depth('"no brackets"') == 0
    assert json_depth('[[["\\"]]]"]]]') == 3


# -- 4. zip bombs and unsafe archive paths ----------------------------------------------------


def _zip(members: dict[str, bytes], *, level: int = 9) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _declare_size(archive: bytes, size: int) -> bytes:
    """Return ``archive`` with every member's uncompressed size declared as ``size`` (a lie)."""
    out = bytearray(archive)
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        members = zf.infolist()
    for info in members:  # the local headers
        struct.pack_into("<I", out, info.header_offset + 22, size)
    central = max(i.header_offset + 30 + len(i.filename) + i.compress_size for i in members)
    for _ in members:  # the central directory, after the last member's data
        central = out.index(b"PK\x01\x02", central)
        struct.pack_into("<I", out, central + 24, size)
        central += 4
    return bytes(out)


def test_zip_bombs_and_unsafe_paths_are_refused_before_extracting(store, monkeypatch, tmp_path):
    outside = Path(tmp_path.anchor, "tmp", "xc-hardening-evil.shp")
    bombs = {
        "ratio": _zip({"roads.shp": b"\0" * 100, "roads.dbf": b"\0" * (40 << 20)}),
        "declared": _declare_size(_zip({"roads.dbf": b"x" * 1000}), 3_000_000_000),
        "dotdot": _zip({f"../{outside.name}": b"evil", "roads.dbf": b"d"}),
        "absolute": _zip({str(outside): b"evil"}),
        "drive": _zip({"C:/Windows/evil.shp": b"evil"}),
        # Each member expands 150 times (under the ratio cap), together past 20 x the 2 MB upload.
        "total": _declare_size(
            _zip({f"part{i}.dbf": os.urandom(100_000) for i in range(3)}, level=0), 15_000_000
        ),
    }
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)  # the server runs in this process
    with _server(store) as base:
        admin = _login(base, ADMIN)
        url = f"{base}/api/layers/streets/import"
        before = store.count("streets")
        for kind, archive in bombs.items():
            assert len(archive) < 2_000_000
            r = httpx.post(
                url, params={"crs": "EPSG:4490", "format": "shp"}, content=archive, headers=admin
            )
            body = _error(r, 400, "file")
            assert _has_chinese_first(body["message"]), body
            expected = {
                "ratio": "roads.dbf",
                "declared": "roads.dbf",
                "dotdot": f"../{outside.name}",
                "absolute": str(outside),
                "drive": "C:/Windows/evil.shp",
                "total": "40,000,000 bytes (at 「part2.dbf」)",
            }[kind]
            assert expected in body["message"], (kind, body)
        assert opened == []  # refused from the archive's directory, before any member was read
        assert not outside.exists()
        assert store.count("streets") == before


def test_zip_total_size_is_capped(tmp_path):
    archive = tmp_path / "big.zip"
    archive.write_bytes(_zip({f"part{i}.bin": os.urandom(300_000) for i in range(4)}, level=0))
    with pytest.raises(InputError) as err:
        read_features(archive, crs="EPSG:4490", fmt="shp", max_unzipped_bytes=1_000_000)
    assert err.value.field == "file" and "1,000,000" in err.value.message
    assert list(tmp_path.iterdir()) == [archive]


# -- 5. the login throttle under concurrent guesses ------------------------------------------


@pytest.mark.both_backends  # concurrent guesses: the throttle's count is a locked row
def test_concurrent_wrong_guesses_are_checked_at_most_the_limit(store):
    with _server(store, login_max_failures=5) as base:
        url = f"{base}/api/auth/login"
        answers = _together(
            40,
            lambda i: httpx.post(
                url, json={"username": ADMIN[0], "password": f"guess-{i:02d}"}, timeout=SLOW
            ),
        )
        statuses = Counter(r.status_code for r in answers)
        assert statuses == {401: 5, 429: 35}, statuses
        assert all(r.json()["field"] == "username" for r in answers if r.status_code == 429)
        locked = httpx.post(url, json={"username": ADMIN[0], "password": ADMIN[1]})
        _error(locked, 429, "username")
        # Per address: 4 x 5 = 20 checks in the window, whatever the names, even all at once.
        answers = _together(
            40,
            lambda i: httpx.post(
                url, json={"username": f"nobody-{i}", "password": "guess"}, timeout=SLOW
            ),
        )
        statuses = Counter(r.status_code for r in answers)
        assert statuses == {401: 15, 429: 25}, statuses  # 5 of the 20 went to the first burst
        _error(
            httpx.post(url, json={"username": INSPECTOR[0], "password": INSPECTOR[1]}),
            429,
            "client",
        )


def test_successful_logins_do_not_use_up_the_address(store):
    with _server(store, login_max_failures=2) as base:  # 8 attempts per address in the window
        for _ in range(12):  # an office behind one address logging in all day
            _login(base, OFFICER)
        url = f"{base}/api/auth/login"
        assert httpx.post(url, json={"username": ADMIN[0], "password": "guess"}).status_code == 401
        _login(base, ADMIN)  # a success clears the name's failures
        assert [
            httpx.post(url, json={"username": ADMIN[0], "password": "guess"}).status_code
            for _ in range(3)
        ] == [401, 401, 429]


# -- 6. spreadsheet formulas ------------------------------------------------------------------


def test_safe_cell_keeps_numbers_and_quotes_formulas():
    for value in (-5, -2.5, 0, 3, True, None, "-12", "+3.5", "-1e5", "新华大街", "", "a=b"):
        assert safe_cell(value) == value
    for value in [*HOSTILE, "=1", "-", "@"]:
        assert safe_cell(value) == "'" + value
    frame = pd.DataFrame({"name": HOSTILE, "n": range(-3, 3)})
    safe = formula_safe(frame)
    assert safe["n"].tolist() == list(range(-3, 3)) and pd.api.types.is_integer_dtype(safe["n"])
    assert formula_unsafe(safe).equals(frame)


def _xlsx_rows(content: bytes) -> list[list[openpyxl.cell.Cell]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [list(row) for sheet in book.worksheets for row in sheet.iter_rows()]


def _assert_no_formula(cells: list[openpyxl.cell.Cell]) -> None:
    for cell in cells:
        assert cell.data_type != "f", (cell.coordinate, cell.value)


def test_exports_never_hold_a_live_formula(store, tmp_path):
    with _server(store) as base:
        officer, admin = _login(base, OFFICER), _login(base, ADMIN)
        store.insert(
            "streets",
            [{"name": text, "grade": -3, "geometry": LINE} for text in HOSTILE],
            actor="test",
        )
        # Layer export, CSV and XLSX.
        url = f"{base}/api/layers/streets/export"
        exported = httpx.get(url, params={"format": "csv"}).content.decode("utf-8-sig")
        rows = csv.DictReader(io.StringIO(exported, newline=""))  # as Excel reads it: CR ends lines
        by_name = {r["name"]: r for r in rows}
        for hostile in HOSTILE:
            assert "'" + hostile in by_name, (hostile, list(by_name))
            assert by_name["'" + hostile]["grade"] == "-3"  # a number stays a number, unquoted
        cells = _xlsx_rows(httpx.get(url, params={"format": "xlsx"}).content)
        _assert_no_formula([c for row in cells for c in row])
        header = [c.value for c in cells[0]]
        names = [row[header.index("name")].value for row in cells[1:]]
        assert {"'" + t for t in HOSTILE} <= set(names)
        grades = [
            row[header.index("grade")]
            for row in cells[1:]
            if row[header.index("grade")].value == -3
        ]
        assert len(grades) == len(HOSTILE) and all(c.data_type == "n" for c in grades)
        # The national exchange table of the gazetteer.
        # (Not "\rCR": that exchange CSV is written with bare LF line ends, so a CR in a name is
        # left unquoted and no CSV reader keeps the row whole; the XLSX and layer CSV hold it.)
        plain = [t for t in HOSTILE if "\r" not in t]
        store.insert(
            "place_names",
            [{"standard_name": text, "status": "in_force", "geometry": LINE} for text in plain],
            actor="test",
        )
        exchange = f"{base}/api/gazetteer/exchange"
        r = httpx.get(exchange, params={"format": "csv"}, headers=officer)
        assert r.status_code == 200, r.text
        names = [
            row["标准名称"] for row in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))
        ]
        assert {"'" + t for t in plain} <= set(names)
        r = httpx.get(exchange, params={"format": "xlsx"}, headers=officer)
        assert r.status_code == 200
        _assert_no_formula([c for row in _xlsx_rows(r.content) for c in row])
        # The campaign report workbook and the archive's CSV tables.
        campaign_id = _campaign_and_marker(base)
        record = _record(campaign_id, remarks=HOSTILE[0], team=HOSTILE[2])
        assert httpx.post(f"{base}/api/inspections", json=record, headers=admin).status_code == 201
        report = f"{base}/api/inspections/campaigns/{campaign_id}/report"
        cells = [
            c for row in _xlsx_rows(httpx.get(f"{report}.xlsx", headers=admin).content) for c in row
        ]
        _assert_no_formula(cells)
        assert "'" + HOSTILE[0] in [c.value for c in cells]
        archive = zipfile.ZipFile(io.BytesIO(httpx.get(f"{report}.zip", headers=admin).content))
        (row,) = csv.DictReader(
            io.StringIO(archive.read("records.csv").decode("utf-8-sig"), newline="")
        )
        assert row["remarks"] == "'" + HOSTILE[0] and row["team"] == "'" + HOSTILE[2]
        assert float(row["gnss_accuracy_m"]) == 2.5
        _assert_no_formula([c for r in _xlsx_rows(archive.read("report.xlsx")) for c in r])
    # An export re-imports as the text it was (the quotes come off again).
    frame = store.read_frame("streets")
    for fmt in ("csv", "xlsx"):
        path = write_features(frame, tmp_path / f"streets.{fmt}")
        back, _ = read_features(path, crs="EPSG:4490")
        assert set(HOSTILE) <= set(back["name"])


# -- 7. security headers ----------------------------------------------------------------------


def test_every_answer_carries_the_security_headers(store):
    with _server(store) as base:
        page = httpx.get(f"{base}/officer/login")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        csp = page.headers["content-security-policy"]
        for part in (
            "default-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
            "img-src 'self' data:",
            "form-action 'self'",
        ):
            assert part in csp, part
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        for r in (
            page,
            httpx.get(f"{base}/api/layers"),
            httpx.get(f"{base}/api/nothing-here"),
            httpx.delete(f"{base}/api/auth/login"),
            httpx.get(f"{base}/api/layers/streets/export", params={"format": "csv"}),
        ):
            assert r.headers["x-content-type-options"] == "nosniff", r.url
        wrong = httpx.delete(f"{base}/api/auth/login")
        assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"
        assert _has_chinese_first(wrong.json()["message"])
        wrong = httpx.put(f"{base}/api/layers/streets/features")
        assert wrong.status_code == 405 and set(wrong.headers["allow"].split(", ")) == {
            "GET",
            "HEAD",  # every GET route answers HEAD (api/head.py)
            "POST",
        }


VIOLATIONS = """
document.addEventListener('securitypolicyviolation', e => {
  const root = document.documentElement;
  root.setAttribute('data-csp', (root.getAttribute('data-csp') || '') + e.violatedDirective + ' ');
});
"""
DRAWN = """JSON.stringify({
  panes: document.querySelectorAll('.leaflet-pane').length,
  drawn: document.querySelectorAll('.leaflet-overlay-pane :is(path, canvas)').length,
  csp: document.documentElement.getAttribute('data-csp') || ''})"""


def test_inline_leaflet_maps_still_work_under_the_policy(store):
    """The campaign report embeds its folium map (inline Leaflet, data: images) in a sandboxed
    iframe: under the policy the map must draw, with no violation in the page or the frame."""
    import time

    from tests.browser import OFFLINE
    from tests.cdp import Browser

    with _server(store) as base:
        admin = _login(base, ADMIN)
        campaign_id = _campaign_and_marker(base)
        # The frame in this page's process, so that its DOM is in this page's frame tree.
        in_process = (
            "--disable-site-isolation-trials",
            "--disable-features=IsolateSandboxedIframes,site-per-process",
        )
        browser = Browser(width=1000, height=800, extra_flags=(*OFFLINE, *in_process))
        try:
            browser.send("Network.enable")
            browser.send("Network.setExtraHTTPHeaders", headers=admin)
            browser.send("Page.enable")
            browser.send("Page.addScriptToEvaluateOnNewDocument", source=VIOLATIONS)
            browser.goto(f"{base}/api/inspections/campaigns/{campaign_id}/report.html")

            def in_frame(frame_id: str) -> dict:
                # The sandboxed frame is another origin: read its DOM from an isolated world.
                ctx = browser.send("Page.createIsolatedWorld", frameId=frame_id)[
                    "executionContextId"
                ]
                result = browser.send(
                    "Runtime.evaluate", expression=DRAWN, contextId=ctx, returnByValue=True
                )
                return json.loads(result["result"]["value"])

            tree = browser.send("Page.getFrameTree")["frameTree"]
            (child,) = tree["childFrames"]
            state: dict = {}
            deadline = time.time() + 20
            while time.time() < deadline:
                state = in_frame(child["frame"]["id"])
                if state["drawn"]:
                    break
                time.sleep(0.2)
            assert state["panes"] > 0 and state["drawn"] > 0, state
            assert state["csp"] == "" and in_frame(tree["frame"]["id"])["csp"] == "", state
        finally:
            browser.close()
