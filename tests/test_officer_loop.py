"""The place-name officer's loop through the real server: a proposal keeps what was typed and must
have a location; an approved name is on the map and in reverse lookup; Mongolian names are entered
and read vertically; lists page and filter and say what to try when empty; residents' reports are
read and resolved (pages, JSON API and CLI, audited, stale versions refused)."""

from __future__ import annotations

import base64
import json
import re
import time

import httpx
import numpy as np
import pytest
from click.testing import CliRunner

from api.cli import main
from geo import crs as C
from geo.types import beijing_today
from tests.browser import ARTIFACTS
from tests.cdp import Browser
from tests.conftest import USERS
from tests.test_officer_pages import CSRF, VERSION, _client, form_token

MONG = "ᠰᠢᠨ᠎ᠠ ᠬᠣᠲᠠ"  # "Xin hota", a Mongolian-script test name
FIELD_ERR = re.compile(r"<label class='bad'>([^<]*)<|<fieldset id='location' class='bad'>")


def _form_value(html: str, name: str) -> str | None:
    found = re.search(rf"name='{name}' id='f-{name}' value='([^']*)'", html)
    return found.group(1) if found else None


def test_a_refused_proposal_keeps_what_was_typed_and_names_each_field(writable_server, writable_sample_store):
    before = writable_sample_store.count("place_names")
    with _client(writable_server) as c:
        token = form_token(c, "/officer/placenames/new")
        # a residential generic on a road (PN-02), and no location at all
        r = c.post("/officer/placenames/new", data={
            "standard_name": "阴山小区", "specific": "阴山", "generic": "小区", "feature_class": "street",
            "admin_code": "150102003000", "meaning": "以阴山<命名>", "loc_mode": "point", "lonlat": "",
            "crs": "GCJ02", "name_mong_pending": "1", "justification": "蒙古文待译", "csrf_token": token})
    assert r.status_code == 400 and "/officer/placenames/new" in str(r.url)
    assert _form_value(r.text, "standard_name") == "阴山小区" and _form_value(r.text, "generic") == "小区"
    assert "以阴山&lt;命名&gt;</textarea>" in r.text  # kept, and escaped
    assert "<option value='GCJ02' selected>" in r.text and "<option value='street' selected>" in r.text
    location = r.text.split("<fieldset id='location' class='bad'>")[1].split("</fieldset>")[0]
    assert "请给出位置 location" in location
    generic = r.text.split("id='f-generic'")[1].split("</label>")[0]
    assert "PN-02" in generic or "通名" in generic
    assert writable_sample_store.count("place_names") == before


def _propose(c: httpx.Client, **fields: str) -> httpx.Response:
    data = {"feature_class": "street", "admin_code": "150102003000", "meaning": "以阴山命名",
            "name_mong_pending": "1", "justification": "蒙古文待译", **fields}
    return c.post("/officer/placenames/new", data={**data, "csrf_token": form_token(c, "/officer/placenames/new")})


def _walk_to_in_force(c: httpx.Client, place: str, page: httpx.Response) -> httpx.Response:
    today = beijing_today().isoformat()
    steps = [("consultation", {}), ("expert_review", {}), ("assessment", {}),
             ("approved", {"approval_authority": "新城区人民政府", "approval_doc_no": "新政发〔2026〕1号",
                           "approval_date": today}),
             ("filed", {"filed_date": today}), ("announced", {"announce_date": today}), ("in_force", {})]
    for to, data in steps:
        page = c.post(f"/officer/placenames/{place}/step", data={
            "version": VERSION.search(page.text).group(1), "to": to, "csrf_token": CSRF.search(page.text).group(1),
            **data})
        assert "已提交" in page.text, (to, page.text[:2000])
    return page


def test_a_name_proposed_and_approved_through_the_pages_is_located(writable_server, writable_sample_store):
    gcj = C.wgs84_to_gcj02(np.array([111.6935]), np.array([40.8285]))  # where Amap shows the point
    names_before = writable_sample_store.count("place_names")
    with _client(writable_server) as c:
        # A new road name cannot take an existing road's line: that road is named already, and two
        # names in force on one road is a rename (review finding), not a proposal.
        road = _propose(c, standard_name="阴山路", loc_mode="street", street="锡林郭勒北路")
        assert road.status_code == 400 and "「锡林郭勒北路」已是这条道路的标准名称" in road.text
        assert "更名" in road.text and "阴山路" in road.text  # says what to do, keeps what was typed
        bridge = _propose(c, standard_name="阴山桥", feature_class="bridge", loc_mode="point",
                          lonlat=f"{gcj[0][0]:.8f},{gcj[1][0]:.8f}", crs="GCJ02")
        missing = _propose(c, standard_name="阴山街", loc_mode="street", street="没有这条街")
        assert missing.status_code == 400 and "没有名为「没有这条街」的街路巷" in missing.text
        outside = _propose(c, standard_name="阴山桥", feature_class="bridge", loc_mode="point",
                           lonlat="1e308,1e308", crs="EPSG:4490")
        assert outside.status_code == 400 and outside.text.count("须为") <= 1  # one message, not nested twice
        bridge_id = re.search(r"/officer/placenames/(\d+)$", str(bridge.url)).group(1)
        assert "Point" in bridge.text
        _walk_to_in_force(c, bridge_id, bridge)
        here = c.get("/api/placenames/at", params={"lonlat": "111.6935,40.8285", "radius_m": 5}).json()
    assert writable_sample_store.count("place_names") == names_before + 1  # the bridge alone
    point = writable_sample_store.get("place_names", int(bridge_id))["geometry"]
    assert point.geom_type == "Point" and abs(point.x - 111.6935) < 1e-6 and abs(point.y - 40.8285) < 1e-6
    assert any(h.get("standard_name") == "阴山桥" or h.get("name") == "阴山桥" for h in here), here


def test_names_and_plates_page_filter_and_help_when_empty(live_server, sample_store):
    total = sample_store.count("place_names")
    streets_in_force = sample_store.count("place_names", where={"status": "in_force", "feature_class": "street"})
    with _client(live_server) as c:
        first = c.get("/officer/placenames")
        assert f"第 1–50 条，共 {total:,} 条" in first.text
        second = c.get("/officer/placenames", params={"status": "in_force", "feature_class": "street", "page": 2})
        assert f"第 51–100 条，共 {streets_in_force:,} 条" in second.text
        assert "rel='prev'" in second.text and "feature_class=street" in second.text
        nothing = c.get("/officer/placenames", params={"q": "qqqzzz"})
        assert "没有找到「qqqzzz」" in nothing.text and "xlglbl" in nothing.text and "<table>" not in nothing.text
        initials = c.get("/officer/placenames", params={"q": "xlglbl"})
        assert "锡林郭勒北路" in initials.text
        guess = c.get("/officer/plates", params={"street": "新华"})
        assert "「新华」没有门牌" in guess.text
        links = re.findall(r"class='suggest' href='([^']+)'>([^<]+)<", guess.text)
        assert ("/officer/plates?street=%E6%96%B0%E5%8D%8E%E5%A4%A7%E8%A1%97", "新华大街") in links
        plates = c.get("/officer/plates", params={"street": "新华大街", "status": "active"})
        count = sample_store.count("door_plates", where={"street_name": "新华大街", "status": "active"})
        assert f"共 {count:,} 条" in plates.text and "numbering problems</span>: 0" in plates.text


def test_mongolian_name_is_edited_with_stale_versions_refused(writable_server, writable_sample_store):
    place = writable_sample_store.select("place_names", where={"standard_name": "锡林郭勒北路"})[0]
    with _client(writable_server) as c:
        page = c.get(f"/officer/placenames/{place['id']}")
        token = CSRF.search(page.text).group(1)
        stale = c.post(f"/officer/placenames/{place['id']}/mongolian",
                       data={"version": place["version"] - 1 or 99, "name_mong": MONG, "csrf_token": token})
        assert stale.status_code == 409 and "记录已被他人修改" in stale.text
        assert f">{MONG}</textarea>" in stale.text  # what was typed is still there
        saved = c.post(f"/officer/placenames/{place['id']}/mongolian",
                       data={"version": place["version"], "name_mong": MONG, "csrf_token": token})
        assert "已保存" in saved.text
        assert f"<span class='mong' lang='mn-Mong' id='mong-stored'>{MONG}</span>" in saved.text
    after = writable_sample_store.get("place_names", place["id"])
    assert after["name_mong"] == MONG and after["version"] == place["version"] + 1
    assert writable_sample_store.audit_rows("place_names", place["id"])[-1]["actor"] == USERS["placename_officer"][0]


def _reports(store, n: int = 3) -> list[dict]:
    plates = store.select("door_plates", where={"street_name": "新华大街"}, limit=n)
    kinds = ["damaged_plate", "wrong_info", "missing_plate"]
    ids = store.insert("problem_reports", [{"plate_uid": p["plate_uid"], "kind": kinds[i % 3],
                                            "message": f"报告{i} <img src=x onerror=alert(1)>"}
                                           for i, p in enumerate(plates)], actor="public")
    return [store.get("problem_reports", i) for i in ids]


def test_residents_reports_are_listed_filtered_and_resolved(writable_server, writable_sample_store):
    made = _reports(writable_sample_store)
    with _client(writable_server) as c:
        inbox = c.get("/officer/reports")
        assert f"共 {len(made)} 条" in inbox.text and "<img src=x" not in inbox.text and "门牌损坏" in inbox.text
        only = c.get("/officer/reports", params={"kind": "wrong_info", "street": "新华"})
        assert "共 1 条" in only.text
        later = c.get("/officer/reports", params={"since": "2099-01-01"})
        assert "没有符合筛选条件的报告" in later.text
        bad_date = c.get("/officer/reports", params={"until": "2026-13-40"})
        assert bad_date.status_code == 200 and "until" in bad_date.text
        # The calendar's ends are days like any other (a 400 in JSON before: Beijing's midnight after 9999-12-31,
        # and before 0001-01-01 in UTC, are no moments).
        for ends in ({"until": "9999-12-31"}, {"since": "0001-01-01"}, {"since": "0001-01-01", "until": "9999-12-31"}):
            every = c.get("/officer/reports", params=ends)
            assert every.status_code == 200 and f"共 {len(made)} 条" in every.text, ends
        assert "没有符合筛选条件的报告" in c.get("/officer/reports", params={"until": "0001-01-01"}).text
        form = c.get(f"/officer/reports/{made[0]['id']}")
        token = CSRF.search(form.text).group(1)
        empty = c.post(f"/officer/reports/{made[0]['id']}/resolve",
                       data={"version": 1, "note": "  ", "csrf_token": token})
        assert empty.status_code == 400 and "请填写处理说明 note" in empty.text
        done = c.post(f"/officer/reports/{made[0]['id']}/resolve",
                      data={"version": 1, "note": "已更换门牌", "csrf_token": token})
        assert f"报告 {made[0]['id']} 已处理" in done.text and "共 2 条" in done.text
        again = c.post(f"/officer/reports/{made[0]['id']}/resolve",
                       data={"version": 1, "note": "再处理一次", "csrf_token": token})
        assert again.status_code == 409 and "再处理一次</textarea>" not in again.text
        resolved = c.get("/officer/reports", params={"status": "resolved"})
        assert "已更换门牌" in resolved.text and "共 1 条" in resolved.text
    row = writable_sample_store.get("problem_reports", made[0]["id"])
    assert row["status"] == "resolved" and row["resolution_note"] == "已更换门牌" and row["version"] == 2
    audit = writable_sample_store.audit_rows("problem_reports", made[0]["id"])[-1]
    assert audit["action"] == "resolve" and audit["actor"] == USERS["placename_officer"][0]


def test_reports_api_and_cli(writable_server, writable_sample_store):
    made = _reports(writable_sample_store, 2)

    def token(role: str) -> dict[str, str]:
        body = dict(zip(("username", "password"), USERS[role], strict=True))
        got = httpx.post(f"{writable_server}/api/auth/login", json=body).json()["access_token"]
        return {"Authorization": f"Bearer {got}"}

    officer = token("placename_officer")
    with httpx.Client(base_url=writable_server) as c:
        assert c.get("/api/reports").status_code == 401
        assert c.get("/api/reports", headers=token("planner")).status_code == 403
        listed = c.get("/api/reports", headers=officer, params={"status": "open", "kind": "damaged_plate"}).json()
        assert listed["total"] == 1 and listed["reports"][0]["kind_zh"] == "门牌损坏"
        assert listed["reports"][0]["street_name"] == "新华大街"
        assert c.get("/api/reports", headers=officer, params={"kind": "nonsense"}).status_code == 422
        stale = c.post(f"/api/reports/{made[1]['id']}/resolve", headers=officer, json={"version": 7, "note": "x"})
        assert stale.status_code == 409 and stale.json()["field"] == "version"
    refused = writable_sample_store.audit_rows("problem_reports", made[1]["id"])[-1]
    assert refused["action"] == "refused_stale_version"
    url = writable_sample_store.engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    out = runner.invoke(main, ["--database-url", url, "reports", "list", "--street", "新华"])
    assert out.exit_code == 0 and "共 2 条" in out.output and "门牌损坏" in out.output, out.output
    done = runner.invoke(main, ["--database-url", url, "reports", "resolve", str(made[1]["id"]),
                                "--note", "现场核实无误", "--version", "1", "--actor", "张三"])
    assert done.exit_code == 0 and "已处理" in done.output, done.output
    twice = runner.invoke(main, ["--database-url", url, "reports", "resolve", str(made[1]["id"]),
                                 "--note", "again", "--version", "2"])
    assert twice.exit_code == 1 and "不能再次处理" in twice.output
    unknown = runner.invoke(main, ["--database-url", url, "reports", "resolve", "999999", "--note", "x",
                                   "--version", "1"])
    assert unknown.exit_code == 1 and "没有编号为 999999 的群众报告" in unknown.output
    row = writable_sample_store.get("problem_reports", made[1]["id"])
    assert row["resolved_by"] == "张三" and row["status"] == "resolved"


# -- in headless Chromium: the map click, the kept input, the vertical Mongolian preview ----------

@pytest.fixture
def desktop():
    b = Browser(width=1280, height=900, extra_flags=("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",))
    yield b
    b.close()



def _shoot(browser: Browser, name: str, *, width: int, height: int, mobile: bool) -> None:
    browser.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                 mobile=mobile)
    time.sleep(0.5)
    shot = browser.send("Page.captureScreenshot", format="png")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / name).write_bytes(base64.b64decode(shot["data"]))
    browser.send("Emulation.clearDeviceMetricsOverride")


@pytest.mark.parametrize("writable_sample_store", ["sqlite"], indirect=True)
def test_in_chromium_a_map_click_locates_the_proposal_and_mongolian_reads_vertically(
        writable_server, writable_sample_store, desktop):
    _reports(writable_sample_store, 2)
    name, password = USERS["placename_officer"]
    desktop.goto(f"{writable_server}/officer/login?next=/officer/placenames/new")
    desktop.evaluate(f"document.querySelector('[name=username]').value={name!r};"
                     f"document.querySelector('[name=password]').value={password!r};"
                     "document.querySelector('[name=password]').form.submit()")
    desktop.wait_for("location.pathname === '/officer/placenames/new' && document.readyState === 'complete'")
    desktop.wait_for("document.getElementById('pick-map').dataset.ready")
    # in view first: the click lands where the officer sees the map, however tall the menu above it is
    box = desktop.evaluate("document.getElementById('pick-map').scrollIntoView({block: 'center'});"
                           "JSON.stringify(document.getElementById('pick-map').getBoundingClientRect())")
    rect = json.loads(box)
    x, y = rect["x"] + rect["width"] / 2, rect["y"] + rect["height"] / 2
    for kind in ("mousePressed", "mouseReleased"):
        desktop.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
    lonlat = desktop.wait_for("document.getElementById('f-lonlat').value")
    lon, lat = map(float, str(lonlat).split(","))
    assert 111.6 < lon < 111.9 and 40.7 < lat < 41.1 and desktop.evaluate("document.getElementById('f-crs').value") \
        == "EPSG:4490"
    # the proposal form previews a typed Mongolian name upright too
    desktop.evaluate(f"var t=document.getElementById('f-name_mong');t.value={MONG!r};"
                     "t.dispatchEvent(new Event('input'))")
    assert desktop.evaluate("getComputedStyle(document.getElementById('mong-preview')).writingMode") == "vertical-lr"
    assert desktop.evaluate("document.getElementById('mong-preview').textContent") == MONG
    desktop.evaluate("var t=document.getElementById('f-name_mong');t.value='';t.dispatchEvent(new Event('input'))")
    # a broken rule: the form comes back with every field as typed and the clicked point kept
    desktop.evaluate("var f=document.getElementById('propose');f.standard_name.value='阴山小区';"
                     "f.specific.value='阴山';f.generic.value='小区';f.feature_class.value='street';f.admin_code.value='150102003000';"
                     "f.meaning.value='以阴山命名';f.name_mong_pending.checked=true;f.justification.value='蒙古文待译';"
                     "f.submit()")
    desktop.wait_for("!!document.getElementById('form-problems')")
    assert desktop.evaluate("document.getElementById('f-lonlat').value") == lonlat
    assert desktop.evaluate("document.getElementById('f-standard_name').value") == "阴山小区"
    _shoot(desktop, "officer_propose_desktop.png", width=1280, height=1100, mobile=False)
    _shoot(desktop, "officer_propose_phone.png", width=390, height=1400, mobile=True)
    desktop.evaluate("var f=document.getElementById('propose');f.feature_class.value='residential';f.submit()")
    desktop.wait_for("/^\\/officer\\/placenames\\/\\d+$/.test(location.pathname) && document.readyState === 'complete'")
    place_id = int(desktop.evaluate("location.pathname.split('/').pop()"))
    stored = writable_sample_store.get("place_names", place_id)["geometry"]
    assert stored.geom_type == "Point" and abs(stored.x - lon) < 1e-6 and abs(stored.y - lat) < 1e-6
    # the live preview of the Mongolian name stands upright: top to bottom, columns left to right
    desktop.evaluate(f"var t=document.getElementById('f-name_mong');t.value={MONG!r};"
                     "t.dispatchEvent(new Event('input'))")
    preview = json.loads(desktop.evaluate(
        "(function(){var p=document.getElementById('mong-preview'),t=p.firstChild,n=t.length,"
        "g=function(i){var r=document.createRange();r.setStart(t,i);r.setEnd(t,i+1);return r.getBoundingClientRect()},"
        "a=g(0),z=g(n-1),b=p.getBoundingClientRect();"
        "return JSON.stringify({text:p.textContent,mode:getComputedStyle(p).writingMode,w:b.width,h:b.height,"
        "firstTop:a.top,lastTop:z.top,firstLeft:a.left,lastLeft:z.left})})()"))
    assert preview["text"] == MONG and preview["mode"] == "vertical-lr"
    # one column, read downwards: the last letter sits below the first, in the same column
    assert preview["lastTop"] > preview["firstTop"] + 40 and abs(preview["lastLeft"] - preview["firstLeft"]) < 5
    assert preview["h"] > preview["w"], preview
    desktop.evaluate("document.getElementById('f-name_mong').form.submit()")
    desktop.wait_for("!!document.getElementById('mong-stored')")
    stored_mode = desktop.evaluate("getComputedStyle(document.getElementById('mong-stored')).writingMode")
    assert stored_mode == "vertical-lr"
    assert writable_sample_store.get("place_names", place_id)["name_mong"] == MONG
    desktop.goto(f"{writable_server}/officer/reports")
    _shoot(desktop, "officer_inbox_desktop.png", width=1280, height=700, mobile=False)
    _shoot(desktop, "officer_inbox_phone.png", width=390, height=844, mobile=True)
