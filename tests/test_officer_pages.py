"""The officer pages through the real server: login cookie, search, propose, steps, rename."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.conftest import USERS


@contextmanager
def _client(base: str, role: str = "placename_officer", *, expect_ok: bool = True) -> Iterator[httpx.Client]:
    """Yield a client logged in through the login form (its cookie kept by the client)."""
    with httpx.Client(base_url=base, follow_redirects=True) as c:
        name, password = USERS[role]
        r = c.post("/officer/login", data={"username": name, "password": password, "next": "/officer/placenames"})
        if expect_ok:
            assert r.status_code == 200 and "地名信息库" in r.text and "/officer/placenames" in str(r.url)
        yield c


def test_pages_need_an_officer(live_server):
    with httpx.Client(base_url=live_server, follow_redirects=False) as anon:
        r = anon.get("/officer/placenames")
        assert r.status_code == 303 and r.headers["location"].startswith("/officer/login")
    with httpx.Client(base_url=live_server, follow_redirects=True) as c:
        bad = c.post("/officer/login", data={"username": "t-admin", "password": "nope-nope-nope"})
        assert "用户名或密码错误" in bad.text
    with _client(live_server, "planner", expect_ok=False) as planner:  # a planner is no place-name officer
        assert "/officer/login" in str(planner.get("/officer/placenames").url)


def test_login_cookie_is_httponly_and_strict(live_server):
    with httpx.Client(base_url=live_server, follow_redirects=False) as c:
        name, password = USERS["placename_officer"]
        r = c.post("/officer/login", data={"username": name, "password": password})
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie


def test_search_propose_and_walk_the_lifecycle(live_server):
    with _client(live_server) as c:
        _walk(c)


def _walk(c: httpx.Client) -> None:
    page = c.get("/officer/placenames", params={"q": "xlglbl"})
    assert "锡林郭勒北路" in page.text and "Xīlínguōlè Běilù" in page.text
    refused = c.post("/officer/placenames/new", data={"standard_name": "阴山小区", "generic": "小区",
                                                      "feature_class": "street", "admin_code": "150102003000",
                                                      "meaning": "山名"})
    assert "PN-02" in refused.text and "/officer/placenames/new" in str(refused.url)
    made = c.post("/officer/placenames/new", data={"standard_name": "阴山路", "feature_class": "street",
                                                   "admin_code": "150102003000", "meaning": "以阴山命名",
                                                   "name_mong_pending": "1", "justification": "蒙古文待译"})
    assert "Yīnshān Lù" in made.text and "申报" in made.text
    place = re.search(r"/officer/placenames/(\d+)", str(made.url)).group(1)
    for to in ("consultation", "expert_review", "assessment"):
        version = re.search(r"name='version' value='(\d+)'", made.text).group(1)
        made = c.post(f"/officer/placenames/{place}/step", data={"version": version, "to": to, "comment": to})
        assert "已提交" in made.text
    version = re.search(r"name='version' value='(\d+)'", made.text).group(1)
    missing = c.post(f"/officer/placenames/{place}/step", data={"version": version, "to": "approved"})
    assert "approval_authority" in missing.text
    stale = c.post(f"/officer/placenames/{place}/edit", data={"version": "1", "meaning": "过时的修改"})
    assert "version" in stale.text and "过时的修改" not in stale.text.split("</table>")[0]


def test_plate_pages_show_the_check_and_record_decisions(live_server, sample_store):
    plate = sample_store.select("door_plates", where={"street_name": "锡林郭勒北路", "status": "active"}, limit=1)[0]
    with _client(live_server) as c:
        listing = c.get("/officer/plates", params={"street": "锡林郭勒北路"})
        assert "numbering problems: 0" in listing.text and plate["plate_uid"] in listing.text
        page = c.get(f"/officer/plates/{plate['plate_uid']}")
        assert "<svg" in page.text and "校样" in page.text  # no Mongolian name yet: a proof only
        version = re.search(r"name='version' value='(\d+)'", page.text).group(1)
        missing = c.post(f"/officer/plates/{plate['plate_uid']}/status", data={"version": version, "status": "revoked"})
        assert "decision_body" in missing.text
        done = c.post(f"/officer/plates/{plate['plate_uid']}/status",
                      data={"version": version, "status": "revoked", "decision_body": "新城区民政局",
                            "decision_doc_no": "新民发〔2026〕8号", "decision_date": "2026-11-20"})
        assert "已保存" in done.text
    after = sample_store.select("door_plates", where={"plate_uid": plate["plate_uid"]})[0]
    assert after["status"] == "revoked" and after["decision_doc_no"] == "新民发〔2026〕8号"
    assert sample_store.audit_rows("door_plates", after["id"])[-1]["actor"] == USERS["placename_officer"][0]
