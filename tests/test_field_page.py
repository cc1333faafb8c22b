"""The mobile inspection page, driven in headless Chromium with a faked geolocation, end to end."""

from __future__ import annotations

import time

import httpx
import pytest

from geo import crs as C
from tests.browser import ARTIFACTS
from tests.cdp import Browser
from tests.conftest import USERS
from tests.test_field_loop import log_in_on_phone


@pytest.fixture
def browser():
    b = Browser()
    yield b
    b.close()


def test_inspector_records_a_marker_from_the_phone_page(writable_server, writable_sample_store, browser):
    admin = httpx.post(f"{writable_server}/api/auth/login",
                       json=dict(zip(("username", "password"), USERS["admin"], strict=True))).json()["access_token"]
    campaign = httpx.post(f"{writable_server}/api/inspections/campaigns", headers={"Authorization": f"Bearer {admin}"},
                          json={"name": "手机联检测试", "line_codes": ["XS01"], "required_accuracy_m": 10}).json()
    marker = writable_sample_store.select("boundary_markers", where={"line_code": "XS01"}, limit=1)[0]
    # The phone stands 4 m east of the registered position; it reports WGS84 (= CGCS2000 here).
    reg = C.to_metric(marker["geometry"])
    here = C.from_metric(type(reg)(reg.x + 4, reg.y))
    browser.send("Browser.grantPermissions", permissions=["geolocation"], origin=writable_server)
    browser.send("Emulation.setGeolocationOverride", latitude=here.y, longitude=here.x, accuracy=3)
    log_in_on_phone(browser, writable_server, f"/field/campaigns/{campaign['id']}/markers/{marker['marker_no']}")
    deadline = time.time() + 15
    while time.time() < deadline and not browser.evaluate("document.forms.rec.lon.value"):
        time.sleep(0.2)
    gps = browser.evaluate("document.getElementById('gps').textContent")
    assert "距界桩 4." in gps or "距界桩 3.9" in gps, gps
    shot = browser.send("Page.captureScreenshot", format="png")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "field_page_phone.png").write_bytes(__import__("base64").b64decode(shot["data"]))
    browser.evaluate("document.forms.rec.condition.value='damaged';document.forms.rec.remarks.value='漆面剥落';"
                     "document.forms.rec.submit()")
    deadline = time.time() + 15
    while time.time() < deadline and "已保存" not in (browser.evaluate("document.body.innerText") or ""):
        time.sleep(0.2)
    text = browser.evaluate("document.body.innerText")
    assert "已保存" in text and "未移位 in place" in text and "下一个界桩" in text
    rows = writable_sample_store.select("inspections", where={"campaign_id": campaign["id"]})
    assert len(rows) == 1 and rows[0]["condition"] == "damaged" and rows[0]["remarks"] == "漆面剥落"
    assert rows[0]["displacement_m"] == pytest.approx(4.0, abs=0.05)
    assert rows[0]["inspector"] == USERS["boundary_inspector"][0]
