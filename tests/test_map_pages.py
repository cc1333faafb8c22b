"""Map pages behind the login and the CLI's standalone map, in headless Chromium with no internet.

Chromium resolves no name but 127.0.0.1, so a page that fetched Leaflet, tiles or fonts from a CDN
would fail here: the checks read what the browser actually loaded and drew.
"""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest

from maps.layers import NOT_AUTHORITATIVE
from tests.browser import OFFLINE
from tests.cdp import Browser
from tests.conftest import USERS
from tests.test_cli import run, sample_db  # noqa: F401 - the CLI's sample database fixture
from tests.test_maps import shows
from tests.test_officer_pages import login

LOADED = "JSON.stringify(performance.getEntriesByType('resource').map(e => e.name))"
DRAWN = """(() => {
  const maps = Object.keys(window).filter(k => k.startsWith('map_') && window[k] instanceof L.Map);
  const overlays = [...document.querySelectorAll('.leaflet-control-layers-overlays label')]
    .map(l => l.innerText.trim());
  const m = maps.length ? window[maps[0]] : null;
  return JSON.stringify({leaflet: typeof L === 'object' && L.version, maps: maps.length, overlays,
                         layers: m ? Object.keys(m._layers).length : 0,
                         canvas: document.querySelectorAll('canvas.leaflet-zoom-animated').length,
                         label: document.body.innerText.includes('非权威')});
})()"""


def _session(base: str, role: str) -> str:
    name, password = USERS[role]
    with httpx.Client(base_url=base, follow_redirects=False) as c:
        r = login(c, {"username": name, "password": password, "next": "/maps/district"})
    assert r.status_code == 303 and r.headers["location"] == "/maps/district", r.headers
    return r.cookies["xc_token"]


def _external_urls(html: str) -> list[str]:
    """Return URLs the page would load (scripts, styles, images, frames, tiles) off the machine.

    Plain links (Leaflet's own attribution link) load nothing and are not counted.
    """
    return re.findall(r"""<(?:script|img|iframe)\b[^>]*\ssrc\s*=\s*["'](https?://[^"']+)""",
                      html) + \
        re.findall(r"""<link\b[^>]*\shref\s*=\s*["'](https?://[^"']+)""", html) + \
        re.findall(r"""url\(\s*["']?(https?://[^)"']+)""", html) + \
        re.findall(r"""L\.tileLayer\(\s*["']([^"']+)""", html)


@pytest.fixture
def offline_browser():
    b = Browser(width=1200, height=800, extra_flags=OFFLINE)
    yield b
    b.close()


def _wait_drawn(browser: Browser) -> dict:
    deadline = time.time() + 20
    state: dict = {}
    while time.time() < deadline:
        state = json.loads(browser.evaluate(DRAWN) or "{}")
        if state.get("maps") and state.get("layers", 0) > 3:
            return state
        time.sleep(0.2)
    return state


def test_map_pages_need_a_login_and_the_right_role(live_server):
    r = httpx.get(f"{live_server}/maps/district", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/officer/login?next=/maps/district"
    officer = {"Cookie": f"xc_token={_session(live_server, 'placename_officer')}"}
    r = httpx.get(f"{live_server}/maps/coverage", headers=officer)
    assert r.status_code == 403 and "needs the role admin or planner" in r.text
    assert "无权访问" in r.text and "/officer/login?next=/maps/coverage" in r.text  # the one 403 page
    index = httpx.get(f"{live_server}/maps", headers=officer).text
    assert "/maps/district" in index and "/maps/markers" in index and "/maps/coverage" not in index
    planner = {"Cookie": f"xc_token={_session(live_server, 'planner')}"}
    assert httpx.get(f"{live_server}/maps/markers", headers=planner).status_code == 403
    for path in ("/maps/district", "/maps/coverage"):
        page = httpx.get(f"{live_server}{path}", headers=planner, timeout=120)
        assert page.status_code == 200 and NOT_AUTHORITATIVE in page.text
        assert _external_urls(page.text) == [], path
    inspector = {"Cookie": f"xc_token={_session(live_server, 'boundary_inspector')}"}
    page = httpx.get(f"{live_server}/maps/markers", headers=inspector, timeout=60)
    assert page.status_code == 200 and "未检 not visited" in page.text
    assert _external_urls(page.text) == []


def test_district_map_draws_in_chromium_without_internet(live_server, offline_browser):
    b = offline_browser
    b.send("Network.enable")
    b.send("Network.setCookie", name="xc_token", value=_session(live_server, "planner"),
           url=live_server)
    b.goto(f"{live_server}/maps/district", wait_s=60)
    state = _wait_drawn(b)
    assert state["leaflet"] == "1.9.3" and state["maps"] == 1 and state["label"], state
    overlays = state["overlays"]
    assert {"街路巷 Streets", "界桩 Boundary markers",
            "养老服务设施 Elder-care facilities"} <= set(overlays)
    assert any(o.startswith("门牌 Door plates") for o in overlays)
    assert any("Units" in o for o in overlays)
    assert state["canvas"] >= 1  # drawn on a canvas: tens of thousands of plates stay responsive
    loaded = json.loads(b.evaluate(LOADED))
    assert all(u.startswith((live_server, "data:")) for u in loaded), loaded


def test_cli_map_is_one_file_that_opens_offline(sample_db, tmp_path, offline_browser):  # noqa: F811
    db, _ = sample_db
    out = tmp_path / "district.html"
    r = run("map", str(out), db=db)
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert _external_urls(html) == [] and NOT_AUTHORITATIVE in html
    assert "nonce" not in html  # a file has no policy: folium's page as it is (maps/csp.py)
    offline_browser.goto(out.as_uri(), wait_s=60)
    state = _wait_drawn(offline_browser)
    assert state["leaflet"] == "1.9.3" and len(state["overlays"]) >= 6 and state["label"], state
    bad = run("map", str(out), "--basemap-url", "https://t{s}.example/{z}/{x}/{y}", db=db)
    assert bad.returncode == 2 and "--attribution" in bad.stderr
    r = run("map", str(out), "--basemap-url", "https://t0.tianditu.example/{z}/{x}/{y}?tk=KEY",
            "--attribution", "天地图", "--review-number", "GS(2024)0568号", db=db)
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert shows("GS(2024)0568号", html) and shows("天地图", html)
    assert _external_urls(html) == [  # the configured basemap is the only outside URL
        "https://t0.tianditu.example/{z}/{x}/{y}?tk=KEY"]


@pytest.mark.parametrize("writable_sample_store", ["sqlite"], indirect=True)
def test_map_data_is_kept_until_its_own_table_changes_and_leaves_planning_runs_be(writable_sample_store):
    """/maps/data's prepared layers follow their own table: a resident's problem report or a
    facility edit keeps them, a plate edit rebuilds the plates' layer only; and they take no slot
    of the shared cache, so the planning runs cached there stay."""
    from api.app import create_app
    from geo.generic_writes import update_feature
    from geo.plates.codes import PlateSigner
    from tests.conftest import running_server, server_settings

    store = writable_sample_store
    settings = server_settings(store)
    app = create_app(settings)
    with running_server(settings, app) as base:
        cookie = {"xc_token": _session(base, "planner")}
        view = {"bbox": "111.55,40.75,112.10,41.20", "zoom": "16"}

        def prepared() -> dict:
            for layer in ("door_plates", "streets"):
                r = httpx.get(f"{base}/maps/data/{layer}", params=view, cookies=cookie, timeout=60)
                assert r.status_code == 200 and r.json()["numberMatched"] > 100, r.text[:300]
            entries = app.state.map_layers._entries
            return {layer: entries[(store.adcode, ("map_view", layer))].value for layer in ("door_plates", "streets")}

        runs = [app.state.cache.get(store, ("planning", i), object) for i in range(7)]  # 7 of its 8 slots
        first = prepared()
        assert httpx.get(f"{base}/maps/district", cookies=cookie, timeout=120).status_code == 200
        assert [app.state.cache.get(store, ("planning", i), object) for i in range(7)] == runs  # none evicted

        plate = store.select("door_plates", limit=1)[0]
        code = PlateSigner.from_setting(settings.qr_keys, fallback_secret=settings.secret_key).code(plate["plate_uid"])
        sent = httpx.post(f"{base}/p/{code}/report", data={"kind": "damaged_plate", "message": "门牌被遮挡"})
        assert sent.status_code in (200, 201, 303), sent.text[:300]
        facility = store.select("facilities", limit=1)[0]
        update_feature(store, "facilities", facility["id"], {"floor_area_m2": 321},
                       expected_version=facility["version"], actor="test")
        assert prepared() == first  # the same objects: not rebuilt
        update_feature(store, "door_plates", plate["id"], {"building_name": "测试楼"},
                       expected_version=plate["version"], actor="test")
        after = prepared()
        assert after["door_plates"] is not first["door_plates"] and after["streets"] is first["streets"]
