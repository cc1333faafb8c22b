"""The officer pages through the real server: login cookie, search, propose, steps, rename."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.conftest import USERS

CSRF = re.compile(r"name='csrf_token' value='([^']+)'")


def form_token(c: httpx.Client, path: str = "/officer/login") -> str:
    """Return the CSRF token the page at ``path`` puts in its forms for this client's cookies."""
    return CSRF.search(c.get(path).text).group(1)


def login(c: httpx.Client, data: dict[str, str]) -> httpx.Response:
    """Post the login form as a browser would: with the token of the login page it was shown."""
    return c.post("/officer/login", data={**data, "csrf_token": form_token(c)})


@contextmanager
def _client(base: str, role: str = "placename_officer", *,
            expect_ok: bool = True) -> Iterator[httpx.Client]:
    """Yield a client logged in through the login form (its cookie kept by the client); a page may take
    longer than httpx's 5 s default on a loaded test machine (the coverage map is computed)."""
    with httpx.Client(base_url=base, follow_redirects=True, timeout=60) as c:
        name, password = USERS[role]
        r = login(c, {"username": name, "password": password, "next": "/officer/placenames"})
        if expect_ok:
            assert r.status_code == 200 and "地名信息库" in r.text
            assert "/officer/placenames" in str(r.url)
        yield c


def test_pages_need_an_officer(live_server):
    with httpx.Client(base_url=live_server, follow_redirects=False) as anon:
        r = anon.get("/officer/placenames")
        assert r.status_code == 303 and r.headers["location"].startswith("/officer/login")
    with httpx.Client(base_url=live_server, follow_redirects=True) as c:
        bad = login(c, {"username": "t-admin", "password": "nope-nope-nope"})
        assert "用户名或密码错误" in bad.text
    with _client(live_server, "planner", expect_ok=False) as planner:  # not a place-name officer: 403, no bounce
        denied = planner.get("/officer/placenames")
        assert denied.status_code == 403 and "/officer/placenames" in str(denied.url)
        assert "无权访问" in denied.text and "地名管理员 (placename_officer)" in denied.text


def test_login_cookie_is_httponly_and_strict(live_server):
    with httpx.Client(base_url=live_server, follow_redirects=False) as c:
        name, password = USERS["placename_officer"]
        r = login(c, {"username": name, "password": password})
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie


def test_search_propose_and_walk_the_lifecycle(writable_server):
    with _client(writable_server) as c:
        _walk(c)


VERSION = re.compile(r"name='version' value='(\d+)'")


def _walk(c: httpx.Client) -> None:
    token = form_token(c, "/officer/placenames")
    page = c.get("/officer/placenames", params={"q": "xlglbl"})
    assert "锡林郭勒北路" in page.text and "Xīlínguōlè Běilù" in page.text
    refused = c.post("/officer/placenames/new",
                     data={"standard_name": "阴山小区", "generic": "小区",
                           "feature_class": "street", "admin_code": "150102003000",
                           "meaning": "山名", "csrf_token": token})
    assert "PN-02" in refused.text and "/officer/placenames/new" in str(refused.url)
    assert refused.status_code == 400 and "value='阴山小区'" in refused.text  # kept as typed
    made = c.post("/officer/placenames/new",
                  data={"standard_name": "阴山路", "feature_class": "street",
                        "admin_code": "150102003000", "meaning": "以阴山命名",
                        "name_mong_pending": "1", "justification": "蒙古文待译",
                        "loc_mode": "point", "lonlat": "111.6935,40.8285", "csrf_token": token})
    assert "Yīnshān Lù" in made.text and "申报" in made.text
    place = re.search(r"/officer/placenames/(\d+)", str(made.url)).group(1)
    for to in ("consultation", "expert_review", "assessment"):
        version = VERSION.search(made.text).group(1)
        made = c.post(f"/officer/placenames/{place}/step",
                      data={"version": version, "to": to, "comment": to, "csrf_token": token})
        assert "已提交" in made.text
    version = VERSION.search(made.text).group(1)
    missing = c.post(f"/officer/placenames/{place}/step",
                     data={"version": version, "to": "approved", "csrf_token": token})
    assert "approval_authority" in missing.text
    stale = c.post(f"/officer/placenames/{place}/edit",
                   data={"version": "1", "meaning": "过时的修改", "csrf_token": token})
    assert "version" in stale.text and "过时的修改" not in stale.text.split("</table>")[0]


def test_plate_pages_show_the_check_and_record_decisions(writable_server, writable_sample_store):
    plate = min(writable_sample_store.select("door_plates", where={"street_name": "锡林郭勒北路", "status": "active"}),
                key=lambda p: (p["number"], p.get("suffix") or ""))  # the first on the street's first page
    doc_no = "新民发〔2026〕8号"
    with _client(writable_server) as c:
        listing = c.get("/officer/plates", params={"street": "锡林郭勒北路"})
        assert "numbering problems</span>: 0" in listing.text and plate["plate_uid"] in listing.text
        page = c.get(f"/officer/plates/{plate['plate_uid']}")
        assert "<svg" in page.text and "校样" in page.text  # no Mongolian name yet: a proof only
        version = VERSION.search(page.text).group(1)
        token = CSRF.search(page.text).group(1)
        missing = c.post(f"/officer/plates/{plate['plate_uid']}/status",
                         data={"version": version, "status": "revoked", "csrf_token": token})
        assert "decision_body" in missing.text
        done = c.post(f"/officer/plates/{plate['plate_uid']}/status",
                      data={"version": version, "status": "revoked",
                            "decision_body": "新城区民政局", "decision_doc_no": doc_no,
                            "decision_date": "2026-11-20", "csrf_token": token})
        assert "已保存" in done.text
    after = writable_sample_store.select("door_plates", where={"plate_uid": plate["plate_uid"]})[0]
    assert after["status"] == "revoked" and after["decision_doc_no"] == doc_no
    actor = writable_sample_store.audit_rows("door_plates", after["id"])[-1]["actor"]
    assert actor == USERS["placename_officer"][0]
