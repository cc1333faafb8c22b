"""Cross-site request forgery: every cookie form (login, logout, officer, field) over real HTTP.

Each form is posted with the victim's valid session cookie and a valid token from another origin
(403, nothing stored), without a token or with another session's token (403, nothing stored), and
the way this site's own page posts it (it works). JSON endpoints take no cookie at all.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa

from geo.store import schema
from tests.conftest import USERS

EVIL = "http://evil.example"
TOKEN = re.compile(r"name='csrf_token' value='([^']+)'")


def _audit_count(store) -> int:
    with store.reading() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(schema.audit_log)).scalar_one()


def _bearer(base: str, role: str) -> str:
    name, password = USERS[role]
    r = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def _browser(base: str, role: str | None) -> httpx.Client:
    """A client holding a session cookie for ``role`` (made like a login would), or none."""
    c = httpx.Client(base_url=base, follow_redirects=False, timeout=60)
    if role:
        c.cookies.set("xc_token", _bearer(base, role))
    return c


def _token(c: httpx.Client, path: str) -> str:
    page = c.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return TOKEN.search(page.text).group(1)


def _refused(r: httpx.Response) -> bool:
    text = r.text
    return (r.status_code == 403 and "已拒绝" in text and "Refused" in text
            and text.index("已拒绝") < text.index("Refused"))  # Chinese first, English beside


@pytest.fixture
def officer(writable_server) -> Iterator[httpx.Client]:
    with _browser(writable_server, "placename_officer") as c:
        yield c


@pytest.fixture
def inspector(writable_server) -> Iterator[httpx.Client]:
    with _browser(writable_server, "boundary_inspector") as c:
        yield c


def _place(store) -> dict:
    return store.select("place_names", where={"feature_class": "community", "status": "in_force"},
                        limit=1)[0]


def _forms(store) -> list[tuple[str, dict[str, str]]]:
    """Every officer form with data that would change something if it were accepted."""
    place = _place(store)
    plate = store.select("door_plates", where={"status": "active"}, limit=1)[0]
    v = str(place["version"])
    return [
        ("/officer/placenames/new", {"standard_name": "伪造路", "feature_class": "street",
                                     "admin_code": "150102003000", "meaning": "forged"}),
        (f"/officer/placenames/{place['id']}/edit", {"version": v, "meaning": "伪造的含义 forged"}),
        (f"/officer/placenames/{place['id']}/step", {"version": v, "to": "retired"}),
        (f"/officer/placenames/{place['id']}/rename", {"version": v, "new_name": "伪造社区"}),
        (f"/officer/placenames/{place['id']}/mongolian", {"version": v, "name_mong": "ᠬᠣᠲᠠ"}),
        # the inbox's resolve form: refused for its origin or token before the report is looked up
        ("/officer/reports/999999/resolve", {"version": "1", "note": "伪造"}),
        (f"/officer/plates/{plate['plate_uid']}/status",
         {"version": str(plate["version"]), "status": "revoked", "decision_body": "伪造",
          "decision_doc_no": "伪-1", "decision_date": "2026-01-01"}),
    ]


@pytest.fixture
def campaign(writable_server) -> dict:
    admin = _bearer(writable_server, "admin")
    r = httpx.post(f"{writable_server}/api/inspections/campaigns",
                   headers={"Authorization": f"Bearer {admin}"},
                   json={"name": f"CSRF测试 {uuid.uuid4().hex[:6]}", "line_codes": ["XS01"],
                         "required_accuracy_m": 10})
    assert r.status_code in (200, 201), r.text
    return r.json()


def _field_form(store, campaign_id: int) -> tuple[str, dict[str, str]]:
    marker = store.select("boundary_markers", where={"line_code": "XS01"}, limit=1)[0]
    p = marker["geometry"]
    return (f"/field/campaigns/{campaign_id}/markers/{quote(marker['marker_no'])}",
            {"client_id": uuid.uuid4().hex, "condition": "damaged", "action": "none",
             "remarks": "伪造", "lon": f"{p.x:.8f}", "lat": f"{p.y:.8f}", "accuracy": "2",
             "fixes": "3"})


def test_cross_origin_posts_with_the_cookie_and_a_valid_token_are_refused(
        writable_server, writable_sample_store, officer, inspector, campaign):
    token = _token(officer, "/officer/placenames")
    before = _audit_count(writable_sample_store)
    place_before = _place(writable_sample_store)
    for path, data in _forms(writable_sample_store):
        for headers in ({"Origin": EVIL}, {"Referer": f"{EVIL}/attack.html"}, {"Origin": "null"},
                        {"Origin": writable_server.replace("127.0.0.1", "127.0.0.2")}):
            r = officer.post(path, data={**data, "csrf_token": token}, headers=headers)
            assert _refused(r), (path, headers, r.status_code, r.text[:300])
    path, data = _field_form(writable_sample_store, campaign["id"])
    r = inspector.post(path, data={**data, "csrf_token": _token(inspector, path)},
                       headers={"Origin": EVIL})
    assert _refused(r), r.text[:300]
    assert _audit_count(writable_sample_store) == before  # nothing was written
    assert _place(writable_sample_store) == place_before
    assert writable_sample_store.count("inspections", where={"campaign_id": campaign["id"]}) == 0
    assert writable_sample_store.count("place_names", where={"standard_name": "伪造路"}) == 0


def test_posts_without_the_token_or_with_another_sessions_token_are_refused(
        writable_server, writable_sample_store, officer, inspector, campaign):
    with _browser(writable_server, "admin") as other:  # a valid token, but of another session
        foreign = _token(other, "/officer/placenames")
    before = _audit_count(writable_sample_store)
    for path, data in _forms(writable_sample_store):
        for token in (None, "", foreign, "0" * 64):
            body = data if token is None else {**data, "csrf_token": token}
            r = officer.post(path, data=body, headers={"Origin": writable_server})
            assert _refused(r), (path, token, r.status_code)
    path, data = _field_form(writable_sample_store, campaign["id"])
    assert _refused(inspector.post(path, data=data))
    assert _audit_count(writable_sample_store) == before
    assert writable_sample_store.count("inspections", where={"campaign_id": campaign["id"]}) == 0


def test_same_origin_posts_with_the_token_work(writable_server, writable_sample_store, officer, inspector,
                                               campaign):
    token = _token(officer, "/officer/placenames")
    place = _place(writable_sample_store)
    if not place.get("name_mong"):  # so that editing its meaning breaks no rule (PN-10)
        writable_sample_store.update("place_names", place["id"], {"name_mong": "ᠰᠢᠨ ᠬᠣᠲᠠ"},
                            expected_version=place["version"], actor="test")
    meaning = f"同源修改 {uuid.uuid4().hex[:6]}"
    # Its own origin, a same-origin Referer, the configured public base URL, a non-browser client.
    for headers in ({"Origin": writable_server},
                    {"Referer": f"{writable_server}/officer/placenames/{place['id']}"},
                    {"Origin": "https://mp.xincheng.example"}, {}):
        place = _place(writable_sample_store)
        r = officer.post(f"/officer/placenames/{place['id']}/edit", headers=headers,
                         data={"version": str(place["version"]),
                               "meaning": meaning + str(len(headers)), "csrf_token": token})
        assert r.status_code == 303 and "done=" in r.headers["location"], (headers, r.status_code)
        assert _place(writable_sample_store)["meaning"] == meaning + str(len(headers))
    path, data = _field_form(writable_sample_store, campaign["id"])
    r = inspector.post(path, data={**data, "csrf_token": _token(inspector, path)},
                       headers={"Origin": writable_server})
    assert r.status_code == 200 and "已保存" in r.text, r.text[:300]
    assert writable_sample_store.count("inspections", where={"campaign_id": campaign["id"]}) == 1


def test_login_form_cannot_be_posted_cross_site(live_server):
    name, password = USERS["placename_officer"]
    with _browser(live_server, None) as c:
        token = _token(c, "/officer/login")
        for headers, body in (({"Origin": EVIL}, {"csrf_token": token}),
                              ({"Origin": live_server}, {}),
                              ({"Origin": live_server}, {"csrf_token": "forged"})):
            r = c.post("/officer/login", headers=headers,
                       data={"username": name, "password": password, **body})
            assert _refused(r) and "xc_token" not in r.cookies, (headers, r.status_code)
        # A token from another browser's login page does not fit this browser's cookie.
        with _browser(live_server, None) as other:
            foreign = _token(other, "/officer/login")
            assert _refused(c.post("/officer/login", data={"username": name, "password": password,
                                                           "csrf_token": foreign}))
        r = c.post("/officer/login", headers={"Origin": live_server},
                   data={"username": name, "password": password, "csrf_token": token})
        assert r.status_code == 303 and r.cookies.get("xc_token")


def test_logout_cannot_be_forced_cross_site(live_server):
    with _browser(live_server, "placename_officer") as c:
        session = c.cookies["xc_token"]
        me = {"Authorization": f"Bearer {session}"}
        token = _token(c, "/officer/placenames")
        assert _refused(c.post("/officer/logout", data={"csrf_token": token},
                               headers={"Origin": EVIL}))
        assert _refused(c.post("/officer/logout", headers={"Origin": live_server}))
        assert httpx.get(f"{live_server}/api/auth/me", headers=me).status_code == 200  # still in
        r = c.post("/officer/logout", data={"csrf_token": token}, headers={"Origin": live_server})
        assert r.status_code == 303 and r.headers["location"] == "/officer/login"
        assert httpx.get(f"{live_server}/api/auth/me", headers=me).status_code == 401


def test_every_page_form_carries_the_token(writable_server, writable_sample_store, officer, inspector,
                                           campaign):
    place = _place(writable_sample_store)
    plate = writable_sample_store.select("door_plates", where={"status": "active"}, limit=1)[0]
    field_path, _ = _field_form(writable_sample_store, campaign["id"])
    pages = [(officer, p) for p in ("/officer/placenames", "/officer/placenames/new",
                                    f"/officer/placenames/{place['id']}",
                                    f"/officer/plates/{plate['plate_uid']}")]
    pages.append((inspector, field_path))
    for client, path in pages:
        html = client.get(path).text
        posting = re.findall(r"<form[^>]*method='post'[^>]*>", html)
        tokens = TOKEN.findall(html)
        assert posting and len(tokens) == len(posting), (path, posting, tokens)


def test_json_api_takes_no_session_cookie(live_server, sample_store):
    """A browser sends the cookie by itself; the JSON API ignores it, so it needs no CSRF token."""
    session = _bearer(live_server, "placename_officer")
    place = _place(sample_store)
    before = _audit_count(sample_store)
    r = httpx.patch(f"{live_server}/api/placenames/{place['id']}", cookies={"xc_token": session},
                    headers={"Origin": EVIL}, json={"meaning": "伪造", "version": place["version"]})
    assert r.status_code == 401
    r = httpx.post(f"{live_server}/api/auth/logout", cookies={"xc_token": session},
                   headers={"Origin": EVIL})
    assert r.status_code == 401
    assert _audit_count(sample_store) == before


def test_public_report_form_refuses_other_origins(writable_server, writable_sample_store):
    from geo.plates.codes import PlateSigner

    plate = writable_sample_store.select("door_plates", limit=3)[2]
    code = PlateSigner.from_setting("", fallback_secret="x" * 40).code(plate["plate_uid"])
    before = writable_sample_store.count("problem_reports")
    r = httpx.post(f"{writable_server}/p/{code}/report", data={"kind": "other", "message": "伪造"},
                   headers={"Origin": EVIL})
    assert _refused(r)
    assert writable_sample_store.count("problem_reports") == before
    r = httpx.post(f"{writable_server}/p/{code}/report", data={"kind": "other", "message": "同源"},
                   headers={"Origin": writable_server})
    assert r.status_code == 200 and "已收到" in r.text
    assert writable_sample_store.count("problem_reports") == before + 1


def test_every_cookie_form_route_is_one_tested_here():
    """A new form route must join the checks above: this list is written out by hand."""
    import importlib
    import pkgutil

    from fastapi import APIRouter

    import api.routers

    routers = [obj for info in pkgutil.iter_modules(api.routers.__path__)
               for obj in vars(importlib.import_module(f"api.routers.{info.name}")).values()
               if isinstance(obj, APIRouter)]
    posts = {r.path for router in routers for r in router.routes
             if "POST" in (getattr(r, "methods", None) or ()) and not r.path.startswith("/api/")}
    assert posts == {"/officer/login", "/officer/logout", "/officer/placenames/new",
                     "/officer/district",  # the district switch: tests/test_districts.py (cross-site refused)
                     "/officer/placenames/{place_id}/step", "/officer/placenames/{place_id}/edit",
                     "/officer/placenames/{place_id}/rename", "/officer/plates/{plate_uid}/status",
                     "/officer/placenames/{place_id}/mongolian", "/officer/reports/{report_id}/resolve",
                     "/field/campaigns/{campaign_id}/markers/{marker_no}", "/p/{code}/report",
                     "/field/campaigns/{campaign_id}/markers/{marker_no}/queued",  # tests/test_field_offline.py
                     "/maps/whatif/answer",  # tests/test_whatif.py (origin and token checked there)
                     # tests/test_address_pages.py (token and origin checked there)
                     "/officer/plates/{plate_uid}/addresses/buildings",
                     "/officer/plates/{plate_uid}/addresses/{address_uid}/units",
                     "/officer/plates/{plate_uid}/addresses/{address_uid}/rooms",
                     "/officer/plates/{plate_uid}/addresses/{address_uid}/edit",
                     "/officer/plates/{plate_uid}/addresses/{address_uid}/retire", "/officer/addresses/import",
                     # tests/test_heritage_pages.py
                     "/officer/heritage/list", "/officer/heritage/{place_id}/lift", "/officer/sync/export",
                     "/officer/sync/{batch_id}/sent", "/officer/sync/{batch_id}/acknowledged",
                     # tests/test_division_sign_pages.py
                     "/officer/divisions/rename", "/officer/divisions/merge", "/officer/divisions/create",
                     "/officer/divisions/split", "/officer/street-signs/register/install",
                     "/officer/street-signs/{sign_uid}/inspect", "/officer/street-signs/{sign_uid}/damage",
                     "/officer/street-signs/{sign_uid}/replace", "/officer/street-signs/{sign_uid}/remove"}
