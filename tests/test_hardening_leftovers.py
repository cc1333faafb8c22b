"""Platform hardening, the leftovers, through the real server on SQLite and PostGIS.

Markers numbered by the line's next sequence under concurrent registrations, the audit trail's
before/after as objects, HEAD on every GET route, the 403 page for a logged-in user of the wrong
role, import messages without server paths and a per-process cap on concurrent imports, and a
resident's report sent twice stored once.
"""

from __future__ import annotations

import re
import socket
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import httpx
import pytest
import shapely

from api.app import create_app
from api.settings import Settings
from geo.errors import Conflict, InputError
from geo.plates.codes import PlateSigner
from geo.store import Store
from tests.conftest import running_server, server_settings
from tests.test_hardening import (
    ADMIN,
    INSPECTOR,
    MARKER_AT,
    OFFICER,
    SLOW,
    _has_chinese_first,
    _login,
    _marker,
    _seed,
    _server,
    _together,
)
from tests.test_officer_pages import CSRF
from tests.test_officer_pages import login as form_login

DOCS = {"reason": "新设界桩", "agreement_doc": "协议-1", "survey_ref": "联测-1", "filed_with": "市民政局"}


def _new_marker() -> dict:
    """A marker body without ``seq``: the line's next sequence number is taken."""
    body = _marker(1)
    del body["seq"]
    return body


# -- 1. markers numbered by the next sequence, concurrently --------------------------------------


@pytest.mark.both_backends  # concurrent numbering: a sequence lock per backend
def test_concurrent_markers_without_seq_all_get_their_own_number(store: Store):
    with _server(store) as base:
        admin = _login(base, ADMIN)
        answers = _together(8, lambda i: httpx.post(f"{base}/api/markers", json=_new_marker(), headers=admin,
                                                     timeout=SLOW))
        assert [r.status_code for r in answers] == [201] * 8, [r.text for r in answers]
        numbers = sorted(r.json()["properties"]["marker_no"] for r in answers)
        assert numbers == [f"XH01{seq:03d}Q" for seq in range(1, 9)]
        assert sorted(r.json()["properties"]["seq"] for r in answers) == list(range(1, 9))
        assert store.count("boundary_markers", where={"line_code": "XH01"}) == 8
        # One audit row per stored marker: a collision's attempt left nothing behind.
        assert len([a for a in store.audit_rows("boundary_markers") if a["action"] == "create"]) == 8
        # A seq given explicitly is never renumbered: taken, it is a 409 naming the field.
        taken = httpx.post(f"{base}/api/markers", json=_marker(3), headers=admin)
        assert taken.status_code == 409 and taken.json()["field"] == "marker_no", taken.text
        assert _has_chinese_first(taken.json()["message"]) and "XH01003Q" in taken.json()["message"]
        # Concurrently too: one stored, the others told why.
        answers = _together(4, lambda i: httpx.post(f"{base}/api/markers", json=_marker(20), headers=admin,
                                                     timeout=SLOW))
        assert Counter(r.status_code for r in answers) == {201: 1, 409: 3}, [r.text for r in answers]
        assert all(r.json()["field"] == "marker_no" for r in answers if r.status_code == 409)
        # The next sequence is one past the highest ever given (numbers are never reused).
        after = httpx.post(f"{base}/api/markers", json=_new_marker(), headers=admin)
        assert after.status_code == 201 and after.json()["properties"]["marker_no"] == "XH01021Q", after.text


def test_a_collision_on_the_next_sequence_retries_a_bounded_number_of_times(store: Store, monkeypatch):
    from geo.boundaries import markers

    _seed(store)
    at = shapely.Point(*MARKER_AT)
    first = markers.add_marker(store, {"line_code": "XH01", **DOCS}, at, actor="admin")
    assert first["marker_no"] == "XH01001Q"
    real = markers._next_seq
    calls: list[int] = []

    def stale_once(conn, line_code):  # as if another registration took number 1 after we read the line
        calls.append(1)
        return 1 if len(calls) == 1 else real(conn, line_code)

    monkeypatch.setattr(markers, "_next_seq", stale_once)
    second = markers.add_marker(store, {"line_code": "XH01", **DOCS}, at, actor="admin")
    assert second["marker_no"] == "XH01002Q" and len(calls) == 2
    audit_before = len(store.audit_rows("boundary_markers"))
    monkeypatch.setattr(markers, "_next_seq", lambda conn, line_code: 1)  # always taken: give up, cleanly
    with pytest.raises(Conflict) as err:
        markers.add_marker(store, {"line_code": "XH01", **DOCS}, at, actor="admin")
    assert err.value.field == "seq" and _has_chinese_first(err.value.message)
    assert store.count("boundary_markers") == 2 and len(store.audit_rows("boundary_markers")) == audit_before
    with pytest.raises(InputError) as err:
        markers.add_marker(store, {"line_code": "XH01", "seq": 1000, **DOCS}, at, actor="admin")
    assert err.value.field == "seq"


# -- 2. the audit trail's before and after are objects ----------------------------------------------


def test_audit_rows_carry_objects_as_the_change_feed_does(store: Store):
    with _server(store) as base:
        admin = _login(base, ADMIN)
        made = httpx.post(f"{base}/api/markers", json=_new_marker(), headers=admin).json()
        moved = httpx.post(f"{base}/api/markers/{made['id']}/move", headers=admin,
                           json={**_new_marker(), "position": [111.7101, 40.860], "version": 1})
        assert moved.status_code == 200, moved.text
        rows = httpx.get(f"{base}/api/audit", headers=admin,
                         params={"table": "boundary_markers", "record_id": made["id"]}).json()
        create, move = rows
        assert create["before"] is None and create["after"]["marker_no"] == "XH01001Q"
        assert move["before"]["geometry"] == {"type": "Point", "coordinates": [111.71, 40.86]}
        assert move["after"]["geometry"] == {"type": "Point", "coordinates": [111.7101, 40.86]}
        assert move["after"]["version"] == 2 and isinstance(move["at"], str)
        # A gazetteer change reads the same in the audit trail and in the change feed.
        (name,) = store.select("place_names")
        feed = httpx.get(f"{base}/api/gazetteer/changes", headers=admin).json()["changes"]
        audit = httpx.get(f"{base}/api/audit", headers=admin,
                          params={"table": "place_names", "record_id": name["id"]}).json()
        assert feed and audit and feed[-1]["record"] == audit[-1]["after"]
        assert isinstance(audit[-1]["after"], dict)


# -- 3. HEAD on every GET route ---------------------------------------------------------------------

_VOLATILE = {"date", "x-request-id", "set-cookie", "content-security-policy", "content-length"}


PAGES = ("/officer/login", "/officer/placenames", "/officer/placenames/new", "/officer/plates", "/maps",
         "/maps/district", "/maps/markers", "/openapi.json", "/docs", "/redoc", "/api/nowhere")
SLOW_PATHS = ("/api/planning/", "/maps/coverage")  # whole-district computations: their own tests


def _get_paths(c: httpx.Client) -> list[str]:
    """Return every GET route without path parameters (from the OpenAPI document) and the pages."""
    spec = c.get("/openapi.json").json()
    api = [p for p, ops in spec["paths"].items() if "get" in ops and "{" not in p and not p.startswith(SLOW_PATHS)]
    return sorted(api) + list(PAGES)


def test_head_answers_every_get_route_like_get_without_a_body(store: Store):
    with _server(store) as base, httpx.Client(base_url=base, timeout=120) as c:
        admin = _login(base, ADMIN)
        paths = _get_paths(c)
        assert len(paths) > 20
        for path in paths:
            for headers in ({}, admin):
                got, head = c.get(path, headers=headers), c.head(path, headers=headers)
                assert head.status_code == got.status_code, (path, head.status_code, got.status_code)
                assert head.content == b"", path
                assert head.headers.get("content-type") == got.headers.get("content-type"), path
                assert {k for k in head.headers if k not in _VOLATILE} == \
                    {k for k in got.headers if k not in _VOLATILE}, path
        # Deterministic bodies: the HEAD says the GET's length.
        for path in ("/api/layers", "/openapi.json", "/api/health"):
            assert c.head(path).headers["content-length"] == c.get(path).headers["content-length"]
        # A path that takes only POST still refuses HEAD; Allow lists HEAD wherever it lists GET.
        refused = c.head("/api/auth/login")
        assert refused.status_code == 405 and refused.headers["allow"] == "POST" and refused.content == b""
        wrong = c.post("/api/layers")
        assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, HEAD"
        assert c.delete("/api/health").headers["allow"] == "GET, HEAD"
        # The access log and the metrics still say HEAD.
        metrics = c.get("/metrics").text
        assert re.search(r'xincheng_http_requests_total\{method="HEAD",route="/api/layers",status="200"\}', metrics)


# -- 4. the wrong role on a page: 403 page, not a bounce to the login form ---------------------------


@pytest.fixture
def page_server(store: Store) -> Iterator[str]:
    with _server(store) as base:
        yield base


@contextmanager
def _browser(base: str, who: tuple[str, str]) -> Iterator[httpx.Client]:
    """Yield a client logged in through the login form, as a browser (its cookie kept)."""
    with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as c:
        r = form_login(c, {"username": who[0], "password": who[1], "next": "/maps"})
        assert r.status_code == 303, r.text
        yield c


def test_a_page_opened_with_the_wrong_role_says_access_denied(page_server: str):
    base = page_server
    with _browser(base, INSPECTOR) as inspector:
        r = inspector.get("/officer/placenames")
        assert r.status_code == 403 and "location" not in r.headers
        assert r.headers["content-type"].startswith("text/html")
        text = r.text
        assert text.index("无权访问") < text.index("Access denied")
        assert "地名管理员 (placename_officer)" in text and "管理员 (admin)" in text
        assert "needs the role admin or placename_officer" in text and INSPECTOR[0] in text
        assert "href='/officer/login?next=/officer/placenames'" in text and "以其他用户登录" in text
        # A form posted by the wrong role is refused the same way, and nothing is stored.
        token = re.search(r"name='csrf_token' value='([^']+)'", text).group(1)
        posted = inspector.post("/officer/placenames/new", data={"csrf_token": token, "standard_name": "越权路"})
        assert posted.status_code == 403 and "无权访问" in posted.text
        # The officers' menu links do the same for every officer page.
        assert inspector.get("/officer/plates").status_code == 403
    with _browser(base, OFFICER) as officer:  # the field pages (inspectors) through the same session check
        r = officer.get("/field/campaigns/1/markers/XH01001Q")
        assert r.status_code == 403 and "界线联检员 (boundary_inspector)" in r.text
        assert f"next={quote('/field/campaigns/1/markers/XH01001Q')}" in r.text
        assert officer.get("/officer/placenames").status_code == 200
    with httpx.Client(base_url=base, follow_redirects=False) as anon:  # nobody logged in: the login form
        r = anon.get("/officer/plates")
        assert r.status_code == 303 and r.headers["location"] == "/officer/login?next=/officer/plates"
        r = anon.get("/field/campaigns/1/markers/XH01001Q")
        assert r.status_code == 303 and r.headers["location"].startswith("/officer/login?next=/field/")


def test_the_api_refusal_for_a_role_is_chinese_first(page_server: str):
    officer = _login(page_server, OFFICER)
    r = httpx.post(f"{page_server}/api/markers", json=_new_marker(), headers=officer)
    assert r.status_code == 403 and r.json()["field"] == "role"
    assert _has_chinese_first(r.json()["message"]) and "管理员 (admin)" in r.json()["message"]


# -- 5. imports: no server path in a message, at most N at once ---------------------------------------


def _import(base: str, headers: dict, content, *, fmt: str = "gpkg", **params) -> httpx.Response:
    return httpx.post(f"{base}/api/layers/streets/import", headers=headers, content=content, timeout=SLOW,
                      params={"crs": "EPSG:4490", "format": fmt, **params})


def _no_server_path(message: str) -> None:
    assert tempfile.gettempdir() not in message and "/tmp" not in message and "upload" not in message, message
    assert "It might help" not in message, message


def test_a_gdal_error_names_the_uploaded_file_not_the_server_path(store: Store):
    import io
    import zipfile

    with _server(store) as base:
        admin = _login(base, ADMIN)
        named = {**admin, "Content-Disposition": "attachment; filename*=UTF-8''" + quote("街巷 2026.gpkg")}
        r = _import(base, named, b"this is not a GeoPackage")
        assert r.status_code == 400 and r.json()["field"] == "file", r.text
        message = r.json()["message"]
        assert _has_chinese_first(message) and "街巷 2026.gpkg" in message
        _no_server_path(message)
        r = _import(base, admin, b"SQLite format 3\0" + b"x" * 4000, filename="C:\\数据\\道路.gpkg")
        assert r.status_code == 400 and "道路.gpkg" in r.json()["message"] and "数据" not in r.json()["message"]
        _no_server_path(r.json()["message"])
        # A zipped Shapefile whose .shp is broken: the member is named inside the uploaded archive.
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("roads/roads.shp", b"garbage" * 20)
            zf.writestr("roads/roads.shx", b"garbage" * 20)
            zf.writestr("roads/roads.dbf", b"\x03" + b"\0" * 31 + b"\r")
            zf.writestr("roads/roads.cpg", b"UTF-8")
        r = _import(base, {**admin, "Content-Disposition": 'attachment; filename="roads.zip"'}, buf.getvalue(),
                    fmt="shp")
        assert r.status_code == 400, r.text
        assert "'roads.zip/roads/roads.shp' not recognized" in r.json()["message"], r.text
        _no_server_path(r.json()["message"])
        # Without a name the message still carries no path of the server.
        r = _import(base, admin, b"not a package either")
        assert r.status_code == 400 and tempfile.gettempdir() not in r.json()["message"]


def test_the_reader_replaces_every_server_path(tmp_path):
    from geo.io.formats import public_message

    upload = tmp_path / "upload.gpkg"
    extracted = tmp_path / "x"
    text = (f"'{upload}' not recognized; also {extracted}/a/b.shp: bad, and {tempfile.gettempdir()}/other/file "
            f"and {upload.resolve()}; It might help to specify the correct driver explicitly")
    cleaned = public_message(text, upload, "道路.gpkg", extracted=extracted)
    assert str(tmp_path) not in cleaned and tempfile.gettempdir() not in cleaned and "It might" not in cleaned
    assert "'道路.gpkg' not recognized" in cleaned and "道路.gpkg/a/b.shp: bad" in cleaned


def _answer_before_the_body(base: str, path: str, *, declared_bytes: int = 1_900_000, headers: str = "") -> bytes:
    """Post ``path`` declaring a body of ``declared_bytes`` but sending only its first 100 KB; return what the
    server answers within 10 s (its status line and headers), or ``b""`` if it waits for the rest. ``headers``:
    more header lines, each ending in CRLF."""
    host, port = base.removeprefix("http://").split(":")
    boundary = "xincheng-probe"
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{headers}"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {declared_bytes}\r\nConnection: close\r\n\r\n").encode()
    part = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.xlsx\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    answer = b""
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + part + b"x" * 100_000)
        try:  # the whole answer: its headers and body may come in separate writes (review: a flaky read)
            while chunk := sock.recv(65536):
                answer += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return answer


def test_at_most_n_imports_run_at_once(store: Store):
    _seed(store)
    settings = server_settings(store, max_concurrent_imports=1)
    app = create_app(settings)
    empty = b'{"type": "FeatureCollection", "features": []}'
    with running_server(settings, app) as base:
        admin, holder = _login(base, ADMIN), _login(base, OFFICER)  # one place each: the officer holds the only one
        started, release = threading.Event(), threading.Event()

        def slow_upload():  # an upload still arriving holds its import's place
            yield b'{"type": "FeatureCollection", '
            started.set()
            release.wait(60)
            yield b'"features": []}'

        first: list[httpx.Response] = []
        worker = threading.Thread(target=lambda: first.append(_import(base, holder, slow_upload(), fmt="geojson")))
        worker.start()
        try:
            assert started.wait(30)
            deadline = time.time() + 30  # the place is taken after the login and the checks (review: not in flight)
            while app.state.import_slots.running < 1 and time.time() < deadline:
                time.sleep(0.02)
            busy = _import(base, admin, empty, fmt="geojson")
            assert busy.status_code == 429, busy.text
            assert busy.headers["retry-after"].isdigit() and int(busy.headers["retry-after"]) > 0
            body = busy.json()
            assert body["error"] == "too_many_imports" and body["field"] == "file"
            assert _has_chinese_first(body["message"]) and "最多处理 1 个导入" in body["message"]
            # The places are an allowed importer's business (review): a caller without a login is answered 401
            # and one of the wrong role 403, as when the server is idle; a malformed request is told what is
            # wrong, not to come back later; the other import routes share the places.
            assert _import(base, {}, empty, fmt="geojson").status_code == 401
            assert _import(base, _login(base, INSPECTOR), empty, fmt="geojson").status_code == 403
            no_crs = httpx.post(f"{base}/api/layers/streets/import", headers=admin, content=empty, timeout=SLOW,
                                params={"format": "geojson"})
            assert no_crs.status_code == 422 and no_crs.json()["field"] == "crs", no_crs.text
            sheet = httpx.post(f"{base}/api/standard-addresses/import", headers=admin, content=b"x", timeout=SLOW)
            assert sheet.status_code == 429 and sheet.json()["error"] == "too_many_imports", sheet.text
            bad_format = httpx.post(f"{base}/api/standard-addresses/import", headers=admin, content=b"x",
                                    params={"format": "pdf"}, timeout=SLOW)
            assert bad_format.status_code == 422, bad_format.text
            klingon = _import(base, admin, empty, fmt="geojson", encoding="klingon")  # second review
            assert klingon.status_code == 400 and klingon.json()["field"] == "encoding", klingon.text
            assert httpx.post(f"{base}/api/standard-addresses/import", content=b"x", timeout=SLOW).status_code == 401
            # The officers' import page answers a page saying so (choose the file again), not the API's JSON: to
            # an admin, that the places are taken; to the officer holding the place, that their import is running.
            for user, says in ((ADMIN, "最多处理 1 个导入"), (OFFICER, "您已有一个导入正在进行")):
                with httpx.Client(base_url=base, timeout=SLOW) as officer:
                    assert form_login(officer, {"username": user[0], "password": user[1]}).status_code in (200, 303)
                    token = CSRF.search(officer.get("/officer/addresses/import").text).group(1)
                    page = officer.post("/officer/addresses/import", data={"csrf_token": token},
                                        files={"file": ("开发商.xlsx", b"PK", "application/octet-stream")})
                assert page.status_code == 429 and page.headers["content-type"].startswith("text/html"), page.text[:300]
                assert says in page.text and "重新选择文件" in page.text, page.text[-3000:]
                assert int(page.headers["retry-after"]) > 0
            # A post from another site with the officer's cookie: the 403 page from the headers, the upload unread
            # and no place asked for (second review: it read the upload in a place, and was told 429 when busy).
            cookie = "; ".join(f"{k}={v}" for k, v in officer.cookies.items())
            foreign = _answer_before_the_body(base, "/officer/addresses/import",
                                              headers=f"Cookie: {cookie}\r\nOrigin: https://evil.example\r\n")
            assert foreign.startswith(b"HTTP/1.1 403"), foreign[:300]
            assert "表单不是从本站页面提交的" in foreign.decode("utf-8", "replace"), foreign[-800:]
            # Nobody logged in: the page sends the browser to the login form before reading the upload (review:
            # anonymous uploads of up to max_upload_bytes were read whole, as many at once as were sent).
            answered = _answer_before_the_body(base, "/officer/addresses/import")
            assert answered.startswith(b"HTTP/1.1 303") and b"/officer/login" in answered, answered[:300]
            # Other requests are not held back meanwhile.
            assert httpx.get(f"{base}/api/health").status_code == 200
        finally:
            release.set()
            worker.join(60)
        assert first and first[0].status_code != 429, first[0].text if first else None
        # The place is given back when the import ends.
        assert app.state.import_slots.running == 0
        again = _import(base, admin, empty, fmt="geojson")
        assert again.status_code != 429, again.text


def test_a_client_gone_mid_upload_is_no_server_error(store: Store):
    """Review: a client that went away mid-upload (a phone losing its signal) was logged as an unhandled error
    with a traceback and counted as a 500 on the route; it is counted as 499, the place given back."""
    _seed(store)
    settings = server_settings(store)
    app = create_app(settings)
    with running_server(settings, app) as base:
        token = _login(base, ADMIN)["Authorization"]
        host, port = base.removeprefix("http://").split(":")
        head = (f"POST /api/layers/streets/import?crs=EPSG:4490&format=geojson HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Authorization: {token}\r\nContent-Length: 1900000\r\n\r\n").encode()
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(head + b'{"type": "FeatureCollection", ' + b" " * 100_000)
            deadline = time.time() + 30
            while app.state.import_slots.running < 1 and time.time() < deadline:
                time.sleep(0.02)
            assert app.state.import_slots.running == 1
        route = 'route="/api/layers/{layer}/import"'
        deadline = time.time() + 30
        while f'{route},status="499"' not in (metrics := httpx.get(f"{base}/metrics").text) and time.time() < deadline:
            time.sleep(0.05)
        assert f'{route},status="499"' in metrics and f'{route},status="500"' not in metrics, metrics[-2000:]
        assert app.state.import_slots.running == 0


def test_a_stalled_upload_gives_back_its_place_and_is_told_so(store: Store):
    """Second review: an upload that stopped arriving without its connection closing (a phone out of signal) held
    its import place for as long as the connection lived; after ``upload_stall_seconds`` with no data it is answered
    408 and the place is given back (a page's form gets a page). A trickle of a byte now and then is not a stall."""
    _seed(store)
    settings = server_settings(store, max_concurrent_imports=1, upload_stall_seconds=1)
    app = create_app(settings)
    with running_server(settings, app) as base:
        admin = _login(base, ADMIN)
        started = time.monotonic()
        stalled = _answer_before_the_body(base, "/api/layers/streets/import?crs=EPSG:4490&format=geojson",
                                          headers=f"Authorization: {admin['Authorization']}\r\n")
        assert stalled.startswith(b"HTTP/1.1 408"), stalled[:300]
        assert "上传中断" in stalled.decode("utf-8", "replace") and time.monotonic() - started < 9
        deadline = time.time() + 10
        while app.state.import_slots.running and time.time() < deadline:
            time.sleep(0.02)
        assert app.state.import_slots.running == 0
        again = _import(base, admin, b'{"type": "FeatureCollection", "features": []}', fmt="geojson")
        assert again.status_code != 429, again.text
        with httpx.Client(base_url=base, timeout=SLOW) as officer:
            assert form_login(officer, {"username": OFFICER[0], "password": OFFICER[1]}).status_code in (200, 303)
            cookie = "; ".join(f"{k}={v}" for k, v in officer.cookies.items())
        page = _answer_before_the_body(base, "/officer/addresses/import",
                                       headers=f"Cookie: {cookie}\r\nAccept: text/html\r\n").decode("utf-8", "replace")
        assert page.startswith("HTTP/1.1 408") and "text/html" in page and "上传中断" in page, page[:500]
    with pytest.raises(InputError) as err:
        Settings.from_env({"XINCHENG_SECRET_KEY": "k" * 40, "XINCHENG_UPLOAD_STALL_SECONDS": "0"})
    assert err.value.field == "upload_stall_seconds"


def _trickle(base: str, path: str, *, headers: str, every_s: float, for_s: float, piece: bytes = b" ",
             start: bytes = b"{") -> tuple[bytes, float]:
    """Post ``path`` declaring 1 MB, sending ``start`` and then ``piece`` every ``every_s`` for at most ``for_s``;
    return what the server answered and after how many seconds (``b""`` if it never answered)."""
    host, port = base.removeprefix("http://").split(":")
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{headers}Content-Length: 1000000\r\n"
            "Connection: close\r\n\r\n").encode()
    answer, started = b"", time.monotonic()
    with socket.create_connection((host, int(port)), timeout=every_s) as sock:
        sock.sendall(head + start)
        while time.monotonic() - started < for_s:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:  # the server closed while we still sent: what it answered is read above
                break
            except TimeoutError:
                try:
                    sock.sendall(piece)
                except OSError:  # the server closed its side after answering
                    break
                continue
            if not chunk:
                break
            answer += chunk
    return answer, time.monotonic() - started


def test_a_trickled_upload_is_refused_and_gives_back_its_place(store: Store):
    """Third review: a byte every few seconds never stalled, so a user with import rights could hold an import place
    for as long as they liked. As Apache's MinRate: a body may take ``upload_stall_seconds`` plus a second for each
    ``upload_min_bytes_per_second`` that arrived; a slow but real upload (a few KB a second) still goes through."""
    _seed(store)
    settings = server_settings(store, max_concurrent_imports=1, upload_stall_seconds=2,
                               upload_min_bytes_per_second=500)
    app = create_app(settings)
    with running_server(settings, app) as base:
        admin = _login(base, ADMIN)
        answer, after_s = _trickle(base, "/api/layers/streets/import?crs=EPSG:4490&format=geojson",
                                   headers=f"Authorization: {admin['Authorization']}\r\n", every_s=0.3, for_s=15)
        shown = answer.decode("utf-8", "replace")
        assert shown.startswith("HTTP/1.1 408") and "上传过慢" in shown and "too slow" in shown, shown[:400]
        assert after_s < 6, after_s  # ~2 s (a byte every 0.3 s earns almost nothing), not the 15 s it would go on
        deadline = time.time() + 10
        while app.state.import_slots.running and time.time() < deadline:
            time.sleep(0.02)
        assert app.state.import_slots.running == 0

        body = b'{"type": "FeatureCollection", "features": []}' + b" " * 12_000

        def slowly() -> Iterator[bytes]:  # ~4 KB a second for ~3 s: past the 2 s, far above 500 bytes a second
            for at in range(0, len(body), 1_000):
                time.sleep(0.25)
                yield body[at:at + 1_000]

        slow = _import(base, admin, slowly(), fmt="geojson")  # read whole: the importer's own answer (no features)
        assert slow.status_code == 400 and "没有要素" in slow.json()["message"], slow.text
        with httpx.Client(base_url=base, timeout=SLOW) as officer:  # the officers' page: a page titled so (review)
            assert form_login(officer, {"username": OFFICER[0], "password": OFFICER[1]}).status_code in (200, 303)
            cookie = "; ".join(f"{k}={v}" for k, v in officer.cookies.items())
        page, _after_s = _trickle(base, "/officer/addresses/import", every_s=0.3, for_s=15,
                                  headers=f"Cookie: {cookie}\r\nAccept: text/html\r\n"
                                          "Content-Type: multipart/form-data; boundary=xincheng-probe\r\n",
                                  start=b'--xincheng-probe\r\nContent-Disposition: form-data; name="file"; '
                                        b'filename="a.xlsx"\r\n\r\n')
        shown = page.decode("utf-8", "replace")
        assert shown.startswith("HTTP/1.1 408") and "text/html" in shown, shown[:400]
        assert "<title>上传过慢" in shown and "上传中断" not in shown, shown[-2000:]
    with pytest.raises(InputError) as err:
        Settings.from_env({"XINCHENG_SECRET_KEY": "k" * 40, "XINCHENG_UPLOAD_MIN_BYTES_PER_SECOND": "0"})
    assert err.value.field == "upload_min_bytes_per_second"


def test_an_upload_at_the_minimum_rate_ends_at_the_longest_time_and_holds_its_senders_place_only(store: Store):
    """Review of the minimum rate: with no ceiling, a body sent at exactly the minimum rate (or a burst that banked
    time, then a trickle) held an import place for ~29 hours (50 MB at 500 bytes a second), and two such uploads
    closed every import of the worker. Now no body takes longer than ``upload_max_seconds``, and an importer holds
    one place at most: their own second import is told an import of theirs is running, another user's goes on."""
    _seed(store)
    settings = server_settings(store, max_concurrent_imports=2, upload_stall_seconds=2,
                               upload_min_bytes_per_second=500, upload_max_seconds=4)
    app = create_app(settings)
    empty = b'{"type": "FeatureCollection", "features": []}'
    with running_server(settings, app) as base:
        admin, officer = _login(base, ADMIN), _login(base, OFFICER)
        outcome: list[tuple[bytes, float]] = []
        sender = threading.Thread(target=lambda: outcome.append(_trickle(
            base, "/api/layers/streets/import?crs=EPSG:4490&format=geojson",
            headers=f"Authorization: {admin['Authorization']}\r\n", every_s=0.25, for_s=15, piece=b" " * 400)))
        sender.start()  # 1,600 bytes a second: well above the minimum rate, for as long as the server lets it
        deadline = time.time() + 10
        while app.state.import_slots.running < 1 and time.time() < deadline:
            time.sleep(0.02)
        second = _import(base, admin, empty, fmt="geojson")
        others = _import(base, officer, empty, fmt="geojson")
        metrics = httpx.get(f"{base}/metrics", timeout=SLOW).text
        sender.join()
        assert second.status_code == 429 and second.json()["message"].startswith("您已有一个导入正在进行"), second.text
        # it may be the user's own upload cut off a moment ago (second review): said, and not retried before the stall
        assert "上次的上传中断了" in second.json()["message"] and int(second.headers["Retry-After"]) >= 2
        assert others.status_code != 429, others.text  # the other places are not the sender's to hold
        assert "xincheng_import_places_in_use 1" in metrics and "xincheng_import_places 2" in metrics
        answer, after_s = outcome[0]
        shown = answer.decode("utf-8", "replace")
        assert shown.startswith("HTTP/1.1 408") and "上传用时超过上限 4 秒" in shown, shown[:400]
        assert 3.5 < after_s < 8, after_s
        deadline = time.time() + 10
        while app.state.import_slots.running and time.time() < deadline:
            time.sleep(0.02)
        assert app.state.import_slots.running == 0
        assert _import(base, admin, empty, fmt="geojson").status_code != 429
    for name, value, says in (("UPLOAD_MIN_BYTES_PER_SECOND", "9" * 400, "收到 「99999999999999999999…」"),
                              ("UPLOAD_MAX_SECONDS", "1", "须在 60（XINCHENG_UPLOAD_STALL_SECONDS） 至 86,400 之间"),
                              ("UPLOAD_STALL_SECONDS", "90000", "须在 1 至 3,600 之间")):
        with pytest.raises(InputError) as err:
            Settings.from_env({"XINCHENG_SECRET_KEY": "k" * 40, f"XINCHENG_{name}": value})
        message = err.value.message
        assert err.value.field == name.lower() and message.startswith(f"XINCHENG_{name} ") and says in message, message


def test_an_upload_sent_without_a_name_is_called_the_uploaded_file(store: Store):
    """Carried from #12: a file posted to the API with no name of its own (no Content-Disposition, no ?filename=)
    was called by the server's temporary name in every message, "upload.geojson", a file the user never had."""
    with _server(store) as base:
        admin = _login(base, ADMIN)
        unnamed = _import(base, admin, b'{"type": "FeatureCollection", "features": []}', fmt="geojson")
        named = _import(base, admin, b'{"type": "FeatureCollection", "features": []}', fmt="geojson",
                        filename="街巷 2026.geojson")
        broken = _import(base, admin, b"PK\x03\x04 cut short", fmt="xlsx")  # quoted, both halves (second review)
        no_format = httpx.post(f"{base}/api/layers/streets/import", headers=admin, content=b"{}", timeout=SLOW,
                               params={"crs": "EPSG:4490", "format": ""})
    zh_half, _, en_half = unnamed.json()["message"].partition(" · ")
    assert zh_half.startswith("「上传的文件」") and en_half.startswith("「the uploaded file」"), unnamed.text
    for answer in (broken, no_format):
        zh_half, _, en_half = answer.json()["message"].partition(" · ")
        assert "「上传的文件」" in zh_half and "「the uploaded file」" in en_half, answer.text
    assert "upload." not in unnamed.text and "街巷 2026.geojson" in named.json()["message"], named.text


def test_a_body_refused_as_too_large_closes_the_connection(store: Store):
    """Second review: a chunked body over the limit got its 413 on a connection left open, and the server went on
    reading (and dropping) whatever the client sent."""
    settings = server_settings(store, max_request_bytes=10_000)

    def endless() -> Iterator[bytes]:
        for _ in range(100):
            yield b"x" * 1_000

    with running_server(settings) as base:
        r = httpx.post(f"{base}/api/auth/login", content=endless(), timeout=SLOW,
                       headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.headers.get("connection") == "close", (r.status_code, r.headers)


def test_an_expired_session_on_the_import_page_asks_to_choose_the_file_again(store: Store):
    """Second review: the import page keeps no upload when the session has expired, yet the login form said what
    was typed had been kept."""
    _seed(store)
    with running_server(server_settings(store)) as base, httpx.Client(base_url=base, timeout=SLOW) as c:
        c.cookies.set("xc_token", "expired-or-forged")
        sent = c.post("/officer/addresses/import", files={"file": ("开发商.xlsx", b"PK", "application/octet-stream")},
                      follow_redirects=True)
    assert "/officer/login" in str(sent.url) and "重新选择文件" in sent.text, sent.text[:500]
    assert "您填写的内容已保留" not in sent.text


def test_a_json_body_the_client_left_unsent_counts_as_499(store: Store):
    """Second review: a client gone mid-body on a route whose JSON body FastAPI reads (login, markers) was counted
    as a 400 of the server's parsing; it is 499 like the uploads."""
    _seed(store)
    with running_server(server_settings(store)) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(f"POST /api/auth/login HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json"
                         f"\r\nContent-Length: 5000\r\n\r\n{{\"username\": \"".encode())
        route = 'route="/api/auth/login"'
        deadline = time.time() + 30
        while f'{route},status="499"' not in (metrics := httpx.get(f"{base}/metrics").text) and time.time() < deadline:
            time.sleep(0.05)
        assert f'{route},status="499"' in metrics and f'{route},status="400"' not in metrics, metrics[-2000:]


def test_the_import_cap_is_a_setting():
    assert Settings().max_concurrent_imports == 2
    env = {"XINCHENG_SECRET_KEY": "k" * 40}
    assert Settings.from_env({**env, "XINCHENG_MAX_CONCURRENT_IMPORTS": "4"}).max_concurrent_imports == 4
    with pytest.raises(InputError) as err:
        Settings.from_env({**env, "XINCHENG_MAX_CONCURRENT_IMPORTS": "0"})
    assert err.value.field == "max_concurrent_imports"


# -- 6. a resident's report sent twice is stored once --------------------------------------------------


def test_the_same_report_twice_is_stored_once_and_the_limit_still_holds(store: Store):
    _seed(store)
    store.insert("door_plates", [{"plate_uid": "RPT23456", "street_name": "新华大街", "number": 1,
                                                "geometry": shapely.Point(111.705, 40.8501)}], actor="test")
    settings = server_settings(store, report_rate_per_hour=4)
    code = PlateSigner.from_setting("", fallback_secret=settings.secret_key).code("RPT23456")
    with running_server(settings) as base, httpx.Client(base_url=base) as c:
        url = f"/p/{code}/report"
        twice = _together(2, lambda i: c.post(url, data={"kind": "damaged_plate", "message": "字被刮花了"}))
        assert [r.status_code for r in twice] == [200, 200] and all("已收到" in r.text for r in twice)
        same = c.post(url, data={"kind": "damaged_plate", "message": "  字被刮花了 "})  # spacing aside, the same
        assert same.status_code == 200 and "谢谢" in same.text
        assert store.count("problem_reports", where={"plate_uid": "RPT23456"}) == 1
        other = c.post(url, data={"kind": "damaged_plate", "message": "门牌掉了一半"})
        assert other.status_code == 200
        assert store.count("problem_reports", where={"plate_uid": "RPT23456"}) == 2
        # Every post still counts toward the per-client limit (4 an hour): the fifth is refused.
        refused = c.post(url, data={"kind": "other", "message": "第五次"})
        assert refused.status_code == 429 and "请稍后再试" in refused.text
        assert store.count("problem_reports", where={"plate_uid": "RPT23456"}) == 2
