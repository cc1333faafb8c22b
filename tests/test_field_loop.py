"""An inspector's whole loop on the field pages: campaigns, a campaign's markers, a refused record that
keeps what was typed, the next marker after a record, and 404s for what does not exist.

Through the real server (both backends); the phone's behaviour in headless Chromium with a faked
geolocation, at phone (360×740) and desktop size, screenshots in test-artifacts/.
"""

from __future__ import annotations

import base64
import html as html_lib
import math
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from geo import crs as C
from geo.boundaries.inspections import create_campaign
from geo.store import Store
from tests.browser import ARTIFACTS
from tests.cdp import Browser
from tests.conftest import USERS
from tests.test_officer_pages import form_token, login


def _open_campaign(store: Store, *, lines: list[str], required_accuracy_m: float) -> int:
    return create_campaign(store, {"name": "2026 年界线联检 <b>", "line_codes": lines,
                                   "required_accuracy_m": required_accuracy_m}, actor="t-admin")["id"]


@contextmanager
def _inspector(base: str) -> Iterator[httpx.Client]:
    """Yield a client logged in as the boundary inspector through the login form."""
    with httpx.Client(base_url=base, follow_redirects=True) as c:
        name, password = USERS["boundary_inspector"]
        assert login(c, {"username": name, "password": password, "next": "/field"}).status_code == 200
        yield c


def _visible(html: str) -> str:
    """Return the text a reader sees in the page's main part (no scripts, styles or tags)."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    main = re.search(r"<main>(.*)</main>", html, re.S)
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main.group(1) if main else html)))


def _ground_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle metres between two lon/lat points (a check independent of the service's EPSG:4546)."""
    r = math.pi / 180
    h = (math.sin((b[1] - a[1]) * r / 2) ** 2
         + math.cos(a[1] * r) * math.cos(b[1] * r) * math.sin((b[0] - a[0]) * r / 2) ** 2)
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


def _record(c: httpx.Client, campaign_id: int, marker_no: str, **fields: str) -> httpx.Response:
    path = f"/field/campaigns/{campaign_id}/markers/{marker_no}"
    page = c.get(path).text
    client_id = re.search(r"name='client_id' value='([^']+)'", page).group(1)
    return c.post(path, data={"csrf_token": form_token(c, path), "client_id": client_id, **fields},
                  headers={"Origin": str(c.base_url).rstrip("/")})


def test_unknown_campaigns_and_markers_are_404_pages_in_chinese_first(writable_server, writable_sample_store):
    cid = _open_campaign(writable_sample_store, lines=["XS01"], required_accuracy_m=5)
    other = writable_sample_store.select("boundary_markers", where={"line_code": "XH01"}, limit=1)[0]["marker_no"]
    with _inspector(writable_server) as c:
        for path, says in ((f"/field/campaigns/{cid + 1000}", f"没有编号为 {cid + 1000} 的联检任务"),
                           (f"/field/campaigns/{cid + 1000}/markers/XS01002Q", "的联检任务"),
                           (f"/field/campaigns/{cid}/markers/{other}", f"界桩 {other} 不在本次联检的界线（XS01）上"),
                           (f"/field/campaigns/{cid}/markers/XS99999Q", "没有编号为 XS99999Q 的界桩")):
            r = c.get(path)
            text = _visible(r.text)
            assert r.status_code == 404, path
            assert says in text and "name='rec'" not in r.text, (path, text)
            assert text.index(says) < text.index(" · ") < len(text), text  # Chinese, then the English beside
        assert "name='rec'" in c.get(f"/field/campaigns/{cid}/markers/XS01002Q").text  # a real marker: its form
        posted = c.post(f"/field/campaigns/{cid}/markers/{other}", data={"csrf_token": form_token(c, "/field")},
                        headers={"Origin": writable_server})
        assert posted.status_code == 404
    assert writable_sample_store.select("inspections", where={"campaign_id": cid}) == []


def test_refused_record_keeps_what_was_typed_then_saved_offers_the_nearest_marker(writable_server,
                                                                                   writable_sample_store):
    cid = _open_campaign(writable_sample_store, lines=["XS01"], required_accuracy_m=5)
    markers = writable_sample_store.select("boundary_markers", where={"line_code": "XS01", "status": "active"})
    target = next(m for m in markers if m["marker_no"] == "XS01005A")
    here = (target["geometry"].x, target["geometry"].y)
    typed = {"condition": "damaged", "action": "repair_requested", "remarks": "漆面剥落，字迹不清",
             "lon": f"{here[0]:.8f}", "lat": f"{here[1]:.8f}", "fixes": "3"}
    with _inspector(writable_server) as c:
        campaigns = _visible(c.get("/field").text)
        assert "2026 年界线联检 <b>" in campaigns and f"0 / {len(markers)}" in campaigns

        refused = _record(c, cid, "XS01005A", accuracy="35", **typed)
        assert refused.status_code == 400
        text = _visible(refused.text)
        assert "定位精度 ±35 米，本次联检要求 ±5 米以内" in text, text
        assert "<option value='damaged' selected>" in refused.text
        assert "<option value='repair_requested' selected>已报修 repair requested</option>" in refused.text
        assert ">漆面剥落，字迹不清</textarea>" in refused.text
        assert writable_sample_store.select("inspections", where={"campaign_id": cid}) == []

        saved = _record(c, cid, "XS01005A", accuracy="2.5", **typed)
        assert saved.status_code == 200
        text = _visible(saved.text)
        assert "已保存" in text and "损坏 damaged" in text
        waiting = [m for m in markers if m["marker_no"] != "XS01005A"]
        nearest = min(waiting, key=lambda m: _ground_m(here, (m["geometry"].x, m["geometry"].y)))
        link = re.search(r"id='next' href='([^']+)'", saved.text).group(1)
        assert link == f"/field/campaigns/{cid}/markers/{nearest['marker_no']}", (link, nearest["marker_no"])
        far_m = _ground_m(here, (nearest["geometry"].x, nearest["geometry"].y))
        assert f"距此 {far_m / 1000:.2f} 公里 km" in text if far_m >= 1000 else f"距此 {far_m:.0f} 米 m" in text
        assert f"href='/field/campaigns/{cid}'" in saved.text

        # The position unknown (a marker not found, recorded without a fix): the next by number.
        lost = _record(c, cid, "XS01010A", condition="missing", accuracy="4")
        assert re.search(r"id='next' href='([^']+)'", lost.text).group(1).endswith("/markers/XS01010B")
        assert "按编号" in _visible(lost.text)

        page = _visible(c.get(f"/field/campaigns/{cid}").text)
        assert "XS01005A 已检查：损坏" in page and "XS01010A 已检查：丢失" in page and "XS01006Q 未检查" in page
        assert f"未检查 not yet visited {len(markers) - 2}" in page
        assert f"2 / {len(markers)}" in _visible(c.get("/field").text)
    rows = writable_sample_store.select("inspections", where={"campaign_id": cid})
    assert sorted((r["condition"], r["action"], r["remarks"]) for r in rows) == [
        ("damaged", "repair_requested", "漆面剥落，字迹不清"), ("missing", "none", None)]


def test_a_mistyped_password_keeps_the_way_back_to_the_campaign(writable_server, writable_sample_store):
    cid = _open_campaign(writable_sample_store, lines=["XS01"], required_accuracy_m=5)
    name, password = USERS["boundary_inspector"]
    with httpx.Client(base_url=writable_server, follow_redirects=True) as c:
        wrong = login(c, {"username": name, "password": "wrong-password", "next": f"/field/campaigns/{cid}"})
        assert "用户名或密码错误" in wrong.text
        kept = re.search(r"name='next' value='([^']*)'", wrong.text).group(1)
        assert kept == f"/field/campaigns/{cid}"
        again = c.post("/officer/login", data={"username": name, "password": password, "next": kept,
                                               "csrf_token": re.search(r"name='csrf_token' value='([^']+)'",
                                                                       wrong.text).group(1)})
        assert again.url.path == f"/field/campaigns/{cid}" and "XS01002Q" in again.text


def test_a_closed_campaign_shows_its_markers_but_no_form(writable_server, writable_sample_store):
    cid = _open_campaign(writable_sample_store, lines=["XS01"], required_accuracy_m=5)
    campaign = writable_sample_store.get("inspection_campaigns", cid)
    writable_sample_store.update("inspection_campaigns", cid, {"status": "signed_off"},  # as a sign-off leaves it
                                 expected_version=campaign["version"], actor="t-admin", action="signed_off")
    with _inspector(writable_server) as c:
        listed = _visible(c.get("/field").text)
        assert "已签认 signed off" in listed
        form = c.get(f"/field/campaigns/{cid}/markers/XS01002Q")
        assert form.status_code == 200 and "name='rec'" not in form.text
        assert "本次联检已结束，不再接受记录" in _visible(form.text)
        assert "已签认 signed off" in _visible(c.get(f"/field/campaigns/{cid}").text)


def test_disagreeing_records_flag_the_marker_on_the_campaign_page(writable_server, writable_sample_store):
    cid = _open_campaign(writable_sample_store, lines=["XS01"], required_accuracy_m=10)
    m = writable_sample_store.select("boundary_markers", where={"marker_no": "XS01003Q"})[0]
    at = {"lon": f"{m['geometry'].x:.8f}", "lat": f"{m['geometry'].y:.8f}", "accuracy": "3"}
    with _inspector(writable_server) as c:
        assert _record(c, cid, "XS01003Q", condition="intact", **at).status_code == 200
        assert _record(c, cid, "XS01003Q", condition="buried", **at).status_code == 200
        page = _visible(c.get(f"/field/campaigns/{cid}").text)
    assert "XS01003Q 记录有分歧：掩埋" in page and "记录有分歧 flagged 1" in page


@pytest.fixture
def phone() -> Iterator[Browser]:
    b = Browser(width=360, height=740)
    yield b
    b.close()


def _shot(browser: Browser, name: str) -> None:
    """Save the page at phone size and at desktop size into test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    for size, (w, h, mobile) in {"phone": (360, 740, True), "desktop": (1280, 900, False)}.items():
        browser.send("Emulation.setDeviceMetricsOverride", width=w, height=h, deviceScaleFactor=1, mobile=mobile)
        time.sleep(0.3)
        shot = browser.send("Page.captureScreenshot", format="png")
        (ARTIFACTS / f"field_{name}_{size}.png").write_bytes(base64.b64decode(shot["data"]))
    browser.send("Emulation.setDeviceMetricsOverride", width=360, height=740, deviceScaleFactor=1, mobile=True)


def log_in_on_phone(browser: Browser, base: str, next_path: str) -> None:
    """Log in as the boundary inspector through the login form in ``browser``; wait for ``next_path``."""
    browser.goto(f"{base}/officer/login")
    name, password = USERS["boundary_inspector"]
    browser.evaluate(f"document.querySelector('[name=username]').value={name!r};"
                     f"document.querySelector('[name=password]').value={password!r};"
                     f"document.querySelector('[name=next]').value={next_path!r};document.forms[0].submit()")
    browser.wait_for(f"location.pathname === {next_path!r} && document.readyState === 'complete'")



def test_phone_walks_the_campaign_warned_of_a_poor_fix_then_goes_on(writable_server, writable_sample_store,
                                                                     phone):
    cid = _open_campaign(writable_sample_store, lines=["XS01"], required_accuracy_m=5)
    target = writable_sample_store.select("boundary_markers", where={"marker_no": "XS01012Q"})[0]
    reg = C.to_metric(target["geometry"])
    near = C.from_metric(type(reg)(reg.x + 30, reg.y))  # 30 m east of XS01012Q
    phone.send("Browser.grantPermissions", permissions=["geolocation"], origin=writable_server)
    phone.send("Emulation.setGeolocationOverride", latitude=near.y, longitude=near.x, accuracy=35)
    phone.send("Page.enable")  # every page records its script errors and CSP refusals, checked below
    phone.send("Page.addScriptToEvaluateOnNewDocument", source=(
        "window.__problems=[];addEventListener('error',e=>__problems.push(String(e.message)));"
        "addEventListener('securitypolicyviolation',e=>__problems.push('CSP '+e.violatedDirective));"))
    log_in_on_phone(phone, writable_server, f"/field/campaigns/{cid}")

    # The campaign page: nearest first, with distance and bearing (the marker lies to the west).
    first = phone.wait_for("document.querySelector('#markers tbody tr .d').textContent !== '—' && "
                           "document.querySelector('#markers tbody tr').innerText")
    assert first.startswith("XS01012Q") and "未检查" in first and "西 W" in first, first
    assert re.search(r"\t(29\.[89]|30\.[01]) m\t", first), first  # 30 m on the grid, on the sphere
    _shot(phone, "campaign")
    assert phone.evaluate("window.__problems") == []

    # The form warns before sending when the fix is worse than the campaign requires.
    phone.evaluate("document.querySelector('#markers tbody tr a').click()")
    phone.wait_for("location.pathname.endsWith('/markers/XS01012Q') && document.forms.rec && "
                   "document.forms.rec.accuracy.value")
    warning = phone.evaluate("document.getElementById('warn').innerText")
    assert "定位精度 ±35.0 米，本次联检要求 ±5 米以内" in warning and "requires ±5 m" in warning, warning
    phone.evaluate("document.forms.rec.condition.value='intact';document.getElementById('send').click()")
    time.sleep(0.5)
    assert phone.evaluate("location.pathname").endswith("/markers/XS01012Q")  # not sent: asked first
    assert phone.evaluate("getComputedStyle(document.getElementById('warn-ask')).display") != "none"
    _shot(phone, "marker_accuracy_warning")
    assert phone.evaluate("window.__problems") == []
    assert writable_sample_store.select("inspections", where={"campaign_id": cid}) == []

    # A better fix: no warning, the record is stored and the next marker is offered.
    phone.send("Emulation.setGeolocationOverride", latitude=near.y, longitude=near.x, accuracy=2)
    phone.goto(f"{writable_server}/field/campaigns/{cid}/markers/XS01012Q")
    phone.wait_for("document.forms.rec.accuracy.value")
    assert phone.evaluate("getComputedStyle(document.getElementById('warn')).display") == "none"
    phone.evaluate("document.forms.rec.condition.value='intact';document.getElementById('send').click()")
    next_link = phone.wait_for("document.getElementById('next') && document.getElementById('next').innerText")
    assert "下一个界桩" in next_link
    _shot(phone, "saved_next_marker")
    assert phone.evaluate("window.__problems") == []
    rows = writable_sample_store.select("inspections", where={"campaign_id": cid})
    assert len(rows) == 1 and rows[0]["condition"] == "intact" and rows[0]["gnss_accuracy_m"] <= 5
    assert rows[0]["displacement_m"] == pytest.approx(30.0, abs=0.1)
    phone.evaluate("document.getElementById('next').click()")
    phone.wait_for("document.forms.rec && location.pathname.includes('/markers/') && "
                   "!location.pathname.endsWith('/XS01012Q')")
