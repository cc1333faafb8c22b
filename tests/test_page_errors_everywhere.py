"""A browser that opens a page address with an unknown district, an unknown record, a number the database
cannot hold, or that meets an unexpected failure gets an HTML page (Chinese first, the status kept), never
the API's JSON; the API, and the pages' own scripts (which ask for ``*/*``), keep the JSON shape.

Before, the district chosen by ``?district=`` and a record missing from the store (a campaign's report,
an inspection's saved page) answered JSON on every page address, anonymous or logged in, and an unexpected
error answered JSON to a browser. The store's "no such record" message named the table
(``inspection_campaigns 没有记录 9``); it now names the record as a person does (``联检任务 9``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote

import httpx
import pytest
from fastapi.routing import APIRoute

from api.app import create_app
from tests.conftest import running_server, server_settings
from tests.test_offline_pages import page_paths
from tests.test_pages_leftovers import HTML, _logged_in, _main_text

TIMEOUT_S = 60
# Addresses that serve no district's data, so take no ?district=: the login (one for every district), the
# service worker, the icon and the API reference's script.
DISTRICT_FREE = {"/login", "/officer/login", "/field/sw.js", "/favicon.ico", "/docs/redoc.standalone.js"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _filled(path: str) -> str:
    """Return a page path with every ``{parameter}`` filled with a number no record has."""
    return re.sub(r"\{[^}]+\}", "999999", path)


@pytest.fixture(scope="module")
def admin(live_server) -> Iterator[httpx.Client]:
    with _logged_in(live_server, "admin") as c:
        yield c


@pytest.fixture(scope="module")
def planner(live_server) -> Iterator[httpx.Client]:
    with _logged_in(live_server, "planner") as c:
        yield c


def _assert_page(r: httpx.Response, status: int | set[int], said: str, where: str) -> None:
    assert r.status_code in ({status} if isinstance(status, int) else status), (where, r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/html"), (where, r.headers["content-type"], r.text[:300])
    shown = _main_text(r.text)
    assert said in shown and CJK.search(shown.split(" · ")[0]), (where, shown)
    assert "href='/'" in r.text, where  # the way home (the public pages keep their own, lighter layout)


def test_an_unknown_or_malformed_district_on_any_page_answers_a_page(live_server, admin, sample_store):
    paths = [p for p in page_paths(create_app(server_settings(sample_store))) if p not in ("/docs", "/redoc", "/ogc")]
    assert len(paths) > 30  # every page of the service, not a chosen few
    served: set[str] = set()
    with httpx.Client(base_url=live_server, timeout=TIMEOUT_S) as anon:
        for client, who in ((anon, "anonymous"), (admin, "admin")):
            for path in paths:
                # a district this database does not hold; codes no county has (999999: no province's) or none at all
                for district, refused, named in (("159009", 404, "159009"), ("999999", 400, "999999"),
                                                 ("abc", 400, "abc")):
                    r = client.get(_filled(path), params={"district": district}, headers=HTML, follow_redirects=False)
                    if r.status_code < 400:  # an address that serves no district's data takes no district
                        served.add(path)
                        continue
                    # A page for a record (a plate's code …) may refuse the unknown record first (404), in its own
                    # words; one missing a required parameter (a font's text) refuses that first (422).
                    status = {refused, 422} | ({404} if "{" in path else set())
                    said = named if r.status_code == refused and "{" not in path else ""
                    _assert_page(r, status, said, f"{who} {path}?district={district}")
    assert served == DISTRICT_FREE, served


def test_a_missing_record_opened_in_a_browser_answers_a_page_that_names_it(live_server, admin):
    _assert_page(admin.get("/maps/campaigns/999999/report", params={"format": "html"}, headers=HTML), 404,
                 "联检任务 999999", "campaign report")
    _assert_page(admin.get("/field/campaigns/999999/markers/999999/saved/999999", headers=HTML), 404,
                 "999999", "saved inspection")
    # The same record asked for by a script or through the API: JSON, the record named as a person names it.
    script = admin.get("/maps/campaigns/999999/report", params={"format": "html"})
    assert script.status_code == 404 and script.headers["content-type"] == "application/json"
    assert script.json()["message"].startswith("没有找到联检任务 999999"), script.json()
    assert "inspection_campaigns" not in script.json()["message"]


def test_a_number_the_database_cannot_hold_answers_a_page_that_names_it(live_server, admin):
    # the number at fault is named, not another numeric-looking part of the address (a marker number is text)
    odd = admin.get(f"/field/campaigns/1/markers/5000000000/saved/{2**63}", headers=HTML)
    assert odd.status_code == 400 and "record_id" in _main_text(odd.text) and "marker_no" not in _main_text(odd.text)
    assert "检查记录编号" in _main_text(odd.text)  # Chinese first
    both = admin.get(f"/field/campaigns/3000000000/markers/X1/saved/{2**63}", headers=HTML)  # the larger is named
    assert both.status_code == 400 and "record_id" in _main_text(both.text), _main_text(both.text)
    too_big = str(2**63)
    r = admin.get(f"/maps/campaigns/{too_big}/report", params={"format": "html"}, headers=HTML)
    assert r.status_code == 400, r.status_code
    assert r.headers["content-type"].startswith("text/html"), r.text[:300]
    said = _main_text(r.text)
    assert "campaign_id" in said and "超出数据库可存的范围" in said  # which value, not "a value"
    script = admin.get(f"/maps/campaigns/{too_big}/report", params={"format": "html"})
    assert script.headers["content-type"] == "application/json" and script.json()["field"] == "campaign_id"


def test_every_table_names_its_records_as_a_person_does():
    from geo.messages import catalogue
    from geo.store import schema

    unnamed = [t for t in schema.metadata.tables if f"field_names.record.{t}" not in catalogue()]
    assert unnamed == [], f"tables a 'no such record' message would name by their internal name: {unnamed}"


def test_the_page_or_json_choice_follows_the_accept_header(live_server):
    """A client that names JSON as gladly as HTML, or refuses HTML, gets JSON; media types are case-blind;
    either answer says it depends on Accept and is not to be cached."""
    with httpx.Client(base_url=live_server, timeout=TIMEOUT_S) as c:
        for accept, page in (("text/html;q=0, application/json", False), ("application/json, text/html", False),
                             ("application/json, text/html;q=0.1", False), ("TEXT/HTML", True),
                             ("Text/Html;q=0.9, application/json;q=0.5", True), ("*/*", False),
                             ("text/html;q=abc", False), ("", False), ("*/*;q=0.9, text/html;q=0.1", False),
                             ("application/problem+json, text/html;q=0.9", False),
                             ("text/html, application/xhtml+xml, image/jxr, */*", True),  # an IE-engine browser
                             ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True)):
            r = c.get("/officer/placenames", params={"district": "abc"}, headers={"Accept": accept})
            assert r.status_code == 400, accept
            kind = r.headers["content-type"]
            assert kind.startswith("text/html" if page else "application/json"), (accept, kind)
            assert r.headers["vary"] == "Accept" and r.headers["cache-control"] == "no-store", (accept, r.headers)


def test_an_echoed_value_cannot_hide_or_reorder_the_page_s_words(live_server):
    for hostile in ("\x00\n\x1b[31m\u202eabc", "a\u061cb\u200bc\u2028d\u2060e\u2064f\ufeffg"):
        r = httpx.get(f"{live_server}/officer/placenames", params={"district": hostile}, headers=HTML,
                      timeout=TIMEOUT_S)
        assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")
        for unseen in ("\x00", "\x1b", "\u202e", "\u061c", "\u200b", "\u2028", "\u2060", "\u2064", "\ufeff"):
            assert unseen not in r.text, repr(unseen)
        assert "\ufffd" in _main_text(r.text)
    mongolian = "ᠰᠢᠨ᠎ᠠ"  # with its vowel separator U+180E: a name's own character, echoed as it is
    r = httpx.get(f"{live_server}/officer/placenames", params={"district": mongolian}, headers=HTML, timeout=TIMEOUT_S)
    assert mongolian in r.text and "\ufffd" not in r.text


def test_every_error_answer_of_a_page_address_varies_with_accept_and_is_not_kept(live_server, planner):
    """Answers from outside the error handlers too: the body limit's 413, a role's 403, a public page's own 404."""
    big = {"Content-Type": "application/x-www-form-urlencoded", "Origin": live_server}
    for r in (planner.get("/officer/addresses", headers=HTML, follow_redirects=False),
              httpx.get(f"{live_server}/s/junk", headers=HTML, timeout=TIMEOUT_S),
              httpx.get(f"{live_server}/p/junk", headers=HTML, timeout=TIMEOUT_S),
              httpx.post(f"{live_server}/officer/placenames/new", headers=big, content=b"a=" + b"x" * 20_000_000,
                         timeout=TIMEOUT_S)):
        assert r.status_code in (403, 404, 413), (r.request.url, r.status_code)
        assert "Accept" in r.headers["vary"] and r.headers["cache-control"] == "no-store", (r.request.url, r.headers)
    ok = httpx.get(f"{live_server}/officer/login", headers=HTML, timeout=TIMEOUT_S)
    assert ok.status_code == 200 and "no-store" not in ok.headers.get("cache-control", "")  # errors only


def test_a_page_needing_a_login_answers_a_login_page_link_that_returns_here(live_server):
    r = httpx.get(f"{live_server}/maps/data/facilities", params={"bbox": "111,40,112,41"}, headers=HTML,
                  timeout=TIMEOUT_S)
    assert r.status_code == 401 and r.headers["content-type"].startswith("text/html"), r.text[:300]
    assert "<title>需要登录" in r.text and r.headers["www-authenticate"] == "Bearer"
    back = re.search(r"<a id='back-to-form' href='/officer/login\?next=([^']+)'>", r.text)
    assert back, r.text[-800:]
    assert unquote(back.group(1)) in ("/maps/data/facilities?bbox=111,40,112,41",
                                      "/maps/data/facilities?bbox=111%2C40%2C112%2C41")  # as the browser sent it


def test_an_unexpected_failure_answers_a_page_to_a_browser_and_json_to_a_script(sample_store):
    app = create_app(server_settings(sample_store))

    def broken() -> None:
        raise RuntimeError("secret detail: /etc/passwd")

    app.router.routes.append(APIRoute("/officer/broken", broken, methods=["GET", "POST"], include_in_schema=False))
    app.router.routes.append(APIRoute("/api/broken", broken, methods=["GET"]))
    app.router.routes.insert(0, APIRoute("/officer/login", broken, methods=["POST"], include_in_schema=False))
    with running_server(server_settings(sample_store), app=app) as base, httpx.Client(base_url=base,
                                                                                      timeout=TIMEOUT_S) as c:
        login = c.post("/officer/login", headers={**HTML, "Origin": base}, data={"username": "a", "password": "b"})
        _assert_page(login, 500, "内部错误", "unexpected at login")
        assert "后退" not in login.text  # logging in keeps nothing: no "check whether it was saved"
        page = c.get("/officer/broken", headers=HTML)
        _assert_page(page, 500, "内部错误", "unexpected")
        assert "<title>服务器出错" in page.text and "请求有误" not in page.text  # the server's fault, not the user's
        assert page.headers["x-request-id"] in _main_text(page.text)  # to quote when reporting it
        assert "secret detail" not in page.text and "passwd" not in page.text
        posted = c.post("/officer/broken", headers={**HTML, "Origin": base}, data={"note": "typed"})
        _assert_page(posted, 500, "后退", "unexpected on a form")  # the way back to what was typed
        for path, headers in (("/officer/broken", {}), ("/api/broken", HTML)):
            r = c.get(path, headers=headers)
            assert r.status_code == 500 and r.headers["content-type"] == "application/json", path
            assert "secret detail" not in r.text


def test_the_error_page_draws_when_the_district_cannot_be_read(sample_store, monkeypatch):
    """The district's banner is read from the database, which may be what failed: the page is drawn without it."""
    import api.pages

    def unreadable(_request):
        raise ConnectionError("the database is not answering")

    app = create_app(server_settings(sample_store))

    def broken() -> None:
        raise RuntimeError("the database is not answering")

    app.router.routes.append(APIRoute("/officer/broken", broken, methods=["GET"], include_in_schema=False))
    monkeypatch.setattr(api.pages, "active_district", unreadable)
    with running_server(server_settings(sample_store), app=app) as base:
        for path in ("/officer/broken", "/officer/placenames?district=abc"):
            r = httpx.get(f"{base}{path}", headers=HTML, timeout=TIMEOUT_S)
            assert r.headers["content-type"].startswith("text/html"), (path, r.text[:300])
            assert r.status_code in (400, 500) and "<title>" in r.text


def test_a_form_field_over_the_limit_is_refused_in_chinese_first_with_the_limit(live_server, admin):
    """Starlette refuses a multipart field over 1 MB in English only; the answer now says it Chinese first."""
    r = admin.post("/officer/placenames/new", headers={**HTML, "Origin": live_server},
                   files={"meaning": (None, "长" * 600_000)}, follow_redirects=False)
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html"), (r.status_code, r.text[:300])
    said = _main_text(r.text)
    assert "表单中有一项内容过长（每项最多 1024 KB）" in said and "exceeded" not in said, said
