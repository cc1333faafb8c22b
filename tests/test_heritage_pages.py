"""The officer pages for the heritage protection list (PN-09), the PN-08 check and the annual national sync.

Through the real server, logged in through the login form, as a place-name officer at a desk would use
them: each form does its job through its use case (the stored record and its audit row are checked), a
bad input or a stale version is refused beside the form with what was typed kept and nothing stored,
forged posts are refused, other roles get 403, and stored hostile text comes back escaped.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import httpx
import shapely

from geo.placenames.heritage import protection_list
from geo.placenames.lifecycle import set_protection
from geo.placenames.national_sync import FIRST_YEAR, list_batches
from geo.types import beijing_today
from tests.conftest import USERS

CSRF = re.compile(r"name='csrf_token' value='([^']+)'")
HOSTILE = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
ESCAPED = ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;")
OFFICER = USERS["placename_officer"][0]


@contextmanager
def _client(base: str, role: str = "placename_officer") -> Iterator[httpx.Client]:
    """Yield a client logged in through the login form, its session cookie kept."""
    with httpx.Client(base_url=base, follow_redirects=True, timeout=60) as c:
        token = CSRF.search(c.get("/officer/login").text).group(1)
        name, password = USERS[role]
        r = c.post("/officer/login", data={"username": name, "password": password, "csrf_token": token},
                   follow_redirects=False)  # not on to the role's home page: this test opens its own
        assert r.status_code == 303 and not r.headers["location"].startswith("/officer/login"), r.text[:300]
        yield c


def _version(html: str, action: str) -> str:
    """Return the version the form posted to ``action`` carries."""
    found = re.search(rf"action='{re.escape(action)}'>.*?name='version' value='(\d+)'", html, re.S)
    assert found, f"no form to {action}"
    return found.group(1)


def _escaped(html: str) -> None:
    for raw, escaped in zip(HOSTILE, ESCAPED, strict=True):
        assert raw not in html and escaped in html


def test_list_and_lift_a_name_and_read_the_facility_name_check(writable_server, writable_sample_store):
    base, store = writable_server, writable_sample_store
    name = store.select("place_names", where={"standard_name": "和安路"})[0]
    (fac,) = store.insert("facilities", [{"kind": "elder_care_station", "name": HOSTILE[1], "status": "active",
                                          "geometry": shapely.Point(111.80, 40.98)}], actor="setup")
    # nobody logged in: the login form, coming back here (waiting out the lookups refresh the insert above set off)
    with httpx.Client(base_url=base, timeout=60) as anon:
        for path in ("/officer/heritage", "/officer/heritage/facility-names", "/officer/sync"):
            r = anon.get(path)
            assert r.status_code == 303 and r.headers["location"] == f"/officer/login?next={path}"
    with _client(base, "planner") as planner:
        denied = planner.get("/officer/heritage")
        assert denied.status_code == 403 and "无权访问" in denied.text
        check = planner.get("/officer/heritage/facility-names")  # PN-08 is read by planners too
        assert check.status_code == 200 and "PN-08" in check.text
        assert HOSTILE[1] not in check.text and ESCAPED[1] in check.text  # a warning, its name escaped
        assert "href='/officer/heritage'" not in check.text.split("</nav>")[1]  # no link to a page they cannot open
        token = CSRF.search(check.text).group(1)
        refused = planner.post("/officer/heritage/list", data={"place_id": name["id"], "version": name["version"],
                                                                "reason": "x", "csrf_token": token})
        assert refused.status_code == 403
    with _client(base) as c:
        bad_radius = c.get("/officer/heritage/facility-names", params={"radius_m": "0"})
        assert bad_radius.status_code == 400 and "radius_m" in bad_radius.text and "value='0'" in bad_radius.text
        wide = c.get("/officer/heritage/facility-names", params={"radius_m": "5000"})
        assert f"#{fac}" in wide.text and "社区养老服务站" in wide.text

        found = c.get("/officer/heritage", params={"q": "和安路"})
        assert f"/officer/heritage?pick={name['id']}" in found.text
        by_id = c.get("/officer/heritage", params={"q": str(name["id"])})  # an id chooses the name at once
        assert "PN-09" in by_id.text and f"name='place_id' value='{name['id']}'" in by_id.text
        version = _version(by_id.text, "/officer/heritage/list")
        token = CSRF.search(by_id.text).group(1)
        fields = {"place_id": str(name["id"]), "version": version, "decision_body": HOSTILE[1],
                  "document_ref": "新政发〔2026〕7号", "reason": HOSTILE[0], "category": "历史地名",
                  "decision_date": "2026-03-01"}
        assert c.post("/officer/heritage/list", data=fields).status_code == 403  # no CSRF token
        cross = c.post("/officer/heritage/list", data={**fields, "csrf_token": token},
                       headers={"Origin": "https://evil.example"})
        assert cross.status_code == 403
        missing = c.post("/officer/heritage/list", data={**fields, "reason": "", "csrf_token": token})
        assert missing.status_code == 400 and "保护名录的变更须记录 原因 reason" in missing.text
        assert "value='新政发〔2026〕7号'" in missing.text  # kept as typed
        future = c.post("/officer/heritage/list", data={**fields, "decision_date": "2099-01-01", "csrf_token": token})
        assert future.status_code == 400 and "决定日期 decision_date 2099-01-01 晚于今天" in future.text
        assert protection_list(store) == [] and store.get("place_names", name["id"])["protected"] is False

        listed = c.post("/officer/heritage/list", data={**fields, "csrf_token": token})
        assert listed.status_code == 200 and "已列入保护名录：和安路（新政发〔2026〕7号）" in listed.text
        _escaped(listed.text)
        (entry,) = protection_list(store)
        assert (entry["status"], entry["reason"], entry["decision_body"], entry["listed_on"]) == (
            "listed", HOSTILE[0], HOSTILE[1], date(2026, 3, 1))
        assert [(r["action"], r["actor"]) for r in store.audit_rows("name_protections", entry["id"])] == [
            ("create", OFFICER)]
        row = listed.text.split(f"id='entry-{entry['id']}'")[1].split("</tr>")[0]
        assert f"href='/officer/placenames/{name['id']}'" in row and OFFICER in row and "2026-03-01" in row

        # the name's own page says it is protected and leads to the list (F19)
        own = c.get(f"/officer/placenames/{name['id']}").text
        assert "id='protected'" in own and "href='/officer/heritage'" in own
        lift = f"/officer/heritage/{name['id']}/lift"
        decision = {"document_ref": "新政发〔2026〕9号", "reason": "道路改建", "csrf_token": token}
        stale = c.post(lift, data={**decision, "version": version, "decision_date": beijing_today().isoformat()})
        assert stale.status_code == 409 and "记录已被他人修改" in stale.text
        current = _version(listed.text, lift)
        early = c.post(lift, data={**decision, "version": current, "decision_date": "2026-02-01"})
        assert early.status_code == 400 and "决定日期 decision_date 早于列入保护名录的日期 2026-03-01" in early.text
        assert "value='道路改建'" in early.text  # kept as typed, beside the lift form
        assert store.get("place_names", name["id"])["protected"] is True
        lifted = c.post(lift, data={**decision, "version": current, "decision_date": beijing_today().isoformat()})
        assert lifted.status_code == 200 and "已解除保护：和安路（新政发〔2026〕9号）" in lifted.text
        assert "id='protected'" not in c.get(f"/officer/placenames/{name['id']}").text
    (entry,) = protection_list(store)
    assert (entry["status"], entry["lift_doc_no"], entry["lift_reason"]) == ("lifted", "新政发〔2026〕9号", "道路改建")
    assert [(r["action"], r["actor"]) for r in store.audit_rows("name_protections", entry["id"])] == [
        ("create", OFFICER), ("lift", OFFICER)]
    actions = [(r["action"], r["actor"]) for r in store.audit_rows("place_names", name["id"])][-3:]
    assert actions == [("protect", OFFICER), ("refused_stale_version", OFFICER), ("unprotect", OFFICER)]
    row = lifted.text.split(f"id='entry-{entry['id']}'")[1].split("</tr>")[0]
    assert "已解除" in row and "新政发〔2026〕9号" in row and "/lift'" not in row  # no lift form on a lifted entry


def test_export_download_send_and_acknowledge_a_years_batch(writable_server, writable_sample_store):
    base, store = writable_server, writable_sample_store
    year = beijing_today().year
    name = store.select("place_names", where={"standard_name": "和安路"})[0]
    set_protection(store, name["id"], True, expected_version=name["version"], actor="setup",
                   document_ref="新政发〔2026〕7号", reason="老街")  # a change of this year to send
    with _client(base) as c:
        page = c.get("/officer/sync")
        assert "尚无同步批次" in page.text and f"name='year' value='{year}'" in page.text
        token = CSRF.search(page.text).group(1)
        for bad in ("二〇二六", str(year + 1)):
            r = c.post("/officer/sync/export", data={"year": bad, "csrf_token": token})
            assert r.status_code == 400 and "年份 year 须为 2000–" in r.text and f"value='{bad}'" in r.text
        # A year no change is dated in: the year before may hold the sample's own changes when the run's
        # sample was stored before Beijing's New Year and this test runs after it (review, 2026-12-04).
        empty_year = FIRST_YEAR
        nothing = c.post("/officer/sync/export", data={"year": str(empty_year), "csrf_token": token})
        said = f"{empty_year} 年内没有记录过尚未编入批次的地名变更，不生成空的同步批次"
        assert nothing.status_code == 409 and said in nothing.text
        assert list_batches(store) == []

        made = c.post("/officer/sync/export", data={"year": str(year), "csrf_token": token})
        (batch,) = list_batches(store)
        assert made.status_code == 200 and f"已生成 {year} 年第 1 批：{batch['record_count']} 条地名" in made.text
        assert batch["made_by"] == OFFICER and batch["checksum_sha256"] in made.text
        again = c.post("/officer/sync/export", data={"year": str(year), "csrf_token": token})
        assert f"{year} 年没有新的变更：仍为第 1 批（同一文件，SHA-256 {batch['checksum_sha256']}）" in again.text
        assert list_batches(store) == [batch]  # idempotent: the same batch, nothing new stored

        file_path = f"/officer/sync/{batch['id']}/file"
        file = c.get(file_path)
        assert file.status_code == 200 and file.headers["content-type"].startswith("text/csv")
        assert file.headers["content-disposition"] == f'attachment; filename="gazetteer_sync_{year}_01.csv"'
        assert hashlib.sha256(file.content).hexdigest() == batch["checksum_sha256"]
        assert "和安路" in file.content.decode("utf-8")
        assert c.get("/officer/sync/999999/file").status_code == 404

        sent_path = f"/officer/sync/{batch['id']}/sent"
        version = _version(again.text, sent_path)
        assert c.post(sent_path, data={"version": version}).status_code == 403  # no CSRF token
        stale = c.post(sent_path, data={"version": str(int(version) + 1), "csrf_token": token})
        assert stale.status_code == 409 and "记录已被他人修改" in stale.text
        assert list_batches(store)[0]["sent_at"] is None
        sent = c.post(sent_path, data={"version": version, "csrf_token": token})
        assert sent.status_code == 200 and f"已登记 {year} 年第 1 批为已报送" in sent.text
        row = sent.text.split(f"id='batch-{batch['id']}'")[1].split("</tr>")[0]
        assert "已报送" in row and OFFICER in row and sent_path not in row

        ack_path = f"/officer/sync/{batch['id']}/acknowledged"
        version = _version(sent.text, ack_path)
        empty = c.post(ack_path, data={"version": version, "ack_ref": " ", "csrf_token": token})
        assert empty.status_code == 400 and "请填写国家库回执编号" in empty.text
        acked = c.post(ack_path, data={"version": version, "ack_ref": HOSTILE[0] + HOSTILE[1], "csrf_token": token})
        assert acked.status_code == 200 and "已回执" in acked.text
        _escaped(acked.text)
    with _client(base, "planner") as planner:
        assert planner.get("/officer/sync").status_code == 403 and planner.get(file_path).status_code == 403
    with httpx.Client(base_url=base) as anon:
        r = anon.get(file_path)
        assert r.status_code == 303 and r.headers["location"].startswith("/officer/login?next=")
    (done,) = list_batches(store)
    assert done["ack_ref"] == HOSTILE[0] + HOSTILE[1] and done["sent_at"] and done["acknowledged_at"]
    assert [(r["action"], r["actor"]) for r in store.audit_rows("sync_batches", batch["id"])] == [
        ("create", OFFICER), ("sent", OFFICER), ("acknowledged", OFFICER)]
