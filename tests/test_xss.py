"""Stored text is hostile: pages, maps and reports show it as text and run none of it.

A fresh sample district gets hostile names in every text field a page shows (facility, marker
number and fields, street, plate uid and status, place name and its meaning, Mongolian name,
administrative units, campaign, inspection remarks). Every page is fetched over HTTP and checked
for the raw payloads (both backends), and opened in headless Chromium (SQLite only: what the
browser runs does not depend on the backend, and PostGIS would double the time), where map
tooltips are opened and ``window.__xss`` must stay undefined in the page and in every frame.
"""

from __future__ import annotations

import json
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from urllib.parse import quote

import httpx
import pytest
from markupsafe import escape

from geo.plates.codes import PlateSigner
from geo.store import Store
from tests.browser import OFFLINE
from tests.cdp import Browser
from tests.conftest import BACKENDS, USERS, running_server, server_settings

# One pytest-xdist worker runs this module (scripts/test.sh: --dist loadgroup),
# so each backend's hostile server and the browser start once, not once per worker.
pytestmark = pytest.mark.xdist_group("xss")

SCRIPT = "'\"></script><script>window.__xss=1</script>"  # closes an attribute, a script, opens one
IMG = '<img src=x onerror="window.__xss=1">'  # runs wherever it is written into innerHTML
TPL = "`${window.__xss=1}`;window.__xss=1;//"  # breaks out of a JavaScript template literal
SLASHLESS = "<img src=x onerror=window.__xss=1>"  # usable in a URL path segment
SHORT = '"><svg onload=1>'  # 16 characters: identifiers are VARCHAR(16)
MONG = "</style><script>window.__xss=1</script>"
RAW = (SCRIPT, IMG, SLASHLESS, SHORT, MONG, "<script>window.__xss", "<img src=x", "<svg onload")
PLATE_UID = "XSS2TEST"


@dataclass
class Site:
    """The running server over the hostile district, and what was planted where."""

    base: str
    store: Store
    backend: str
    texts: dict[str, str] = field(default_factory=dict)
    ids: dict[str, object] = field(default_factory=dict)


def _seed(store: Store) -> tuple[dict[str, str], dict[str, object]]:
    """Plant hostile text as a legacy import or careless editor would (straight into the store); a
    ``varchar(16)`` identifier gets hostile text that fits it (the store refuses longer text on both backends)."""
    texts = {
        "care": SCRIPT + " 养老服务站", "centre": IMG + TPL, "street": SCRIPT + "路",
        "marker": SHORT, "marker_img": "<svg onload=2>",
        "marker_type": "<b>x</b>",
        "plate_uid": SHORT, "plate_status": SHORT,
        "meaning": IMG, "pinyin": TPL, "mong": MONG, "subdistrict": SCRIPT + "街道",
        "community": IMG + "社区",
        "campaign": SCRIPT + TPL, "remarks": IMG, "building": IMG,
    }
    plate = store.select("door_plates", where={"status": "active"}, limit=1)[0]
    here = plate["geometry"]
    street = store.select("streets", limit=1)[0]
    line = store.select("boundary_markers", where={"line_code": "XS01"}, limit=1)[0]
    community_code = plate.get("community_code")
    store.insert("facilities", [
        {"kind": "elder_care_station", "name": texts["care"], "geometry": here,
         "floor_area_m2": 300.0, "community_code": community_code, "status": "active"},
        {"kind": "community_service_centre", "name": texts["centre"], "geometry": here,
         "floor_area_m2": 500.0, "community_code": community_code, "status": "active"}],
        actor="test")
    store.insert("streets", [{"name": texts["street"], "street_class": "<i>x</i>",
                              "geometry": street["geometry"]}], actor="test")
    store.insert("boundary_markers", [
        {"marker_no": texts["marker"], "line_code": "XS01", "seq": 900, "type_code": "S",
         "marker_type": texts["marker_type"], "status": "active", "material": IMG,
         "geometry": line["geometry"]},
        {"marker_no": texts["marker_img"], "line_code": "XS01", "seq": 901, "type_code": "S",
         "marker_type": "single", "status": "active", "geometry": line["geometry"]}], actor="test")
    (place_id,) = store.insert("place_names", [
        {"standard_name": texts["street"], "feature_class": "street", "status": "in_force",
         "admin_code": "150102003000", "meaning": texts["meaning"], "pinyin_toned": texts["pinyin"],
         "romanization": IMG, "sign_text": TPL, "name_mong": texts["mong"],
         "geometry": street["geometry"]}], actor="test")
    store.insert("door_plates", [
        {"plate_uid": PLATE_UID, "street_name": texts["street"], "number": 1, "side": "left",
         "building_name": texts["building"], "households": 3, "community_code": community_code,
         "status": "active", "geometry": here},
        {"plate_uid": texts["plate_uid"], "street_name": texts["street"], "number": 3,
         "side": "left", "status": texts["plate_status"], "geometry": here}], actor="test")
    sub = store.select("admin_units", where={"level": "subdistrict"}, limit=1)[0]
    store.update("admin_units", sub["id"], {"name": texts["subdistrict"]},
                 expected_version=sub["version"], actor="test")
    community = store.select("admin_units", where={"level": "community"}, limit=1)[0]
    store.update("admin_units", community["id"], {"name": texts["community"]},
                 expected_version=community["version"], actor="test")
    return texts, {"place_id": place_id}


def _plant_campaign(site: Site) -> None:
    """A hostile campaign name; a damaged hostile marker with hostile remarks (the repair list)."""
    from geo.boundaries.inspections import create_campaign, submit

    t = site.texts
    campaign = create_campaign(site.store, {"name": t["campaign"], "line_codes": ["XS01"],
                                            "required_accuracy_m": 10}, actor="test")
    p = site.store.select("boundary_markers", where={"marker_no": t["marker"]})[0]["geometry"]
    submit(site.store, {"client_id": "xss-record-0001", "campaign_id": campaign["id"],
                        "marker_no": t["marker"], "condition": "damaged", "remarks": t["remarks"],
                        "gnss_accuracy_m": 2,
                        "position": {"lon": p.x, "lat": p.y, "crs": "EPSG:4490"}}, actor="test")
    site.ids["campaign_id"] = campaign["id"]


@pytest.fixture(scope="module", params=BACKENDS)
def hostile(request, sample_templates) -> Iterator[Site]:
    """A server over a copy of the sample district (with the test users) seeded with hostile text."""
    backend = request.param
    url, drop = sample_templates(backend).copy()
    store = Store.open(url)
    texts, ids = _seed(store)
    settings = server_settings(store)
    try:
        with running_server(settings) as base:
            site = Site(base, store, backend, texts, ids)
            _plant_campaign(site)
            signer = PlateSigner.from_setting(settings.qr_keys, fallback_secret=settings.secret_key)
            site.ids["code"] = signer.code(PLATE_UID)
            yield site
    finally:
        store.close()
        drop()


def _session(base: str, role: str) -> str:
    name, password = USERS[role]
    r = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def _pages(site: Site) -> list[tuple[str, str, str]]:
    """(role, path, a hostile text the page must show) for every page that shows stored text."""
    t = site.texts
    field = f"/field/campaigns/{site.ids['campaign_id']}/markers"
    return [
        ("placename_officer", "/officer/placenames", t["street"]),
        ("placename_officer", f"/officer/placenames/{site.ids['place_id']}", t["meaning"]),
        ("placename_officer", f"/officer/plates?street={quote(t['street'])}", t["plate_uid"]),
        ("placename_officer", f"/officer/plates/{PLATE_UID}", t["street"]),
        ("placename_officer", f"/officer/plates/{quote(t['plate_uid'], safe='')}",
         t["plate_status"]),
        ("boundary_inspector", f"{field}/{quote(t['marker_img'], safe='')}", t["marker_img"]),
        ("boundary_inspector", f"{field}/{quote(SLASHLESS, safe='')}x",
         SLASHLESS + "x"),  # no such marker: the number from the URL is echoed, as text
        (None, f"/officer/login?error={quote(IMG)}&next={quote(SCRIPT)}", "登录"),  # unsigned: not shown
        (None, f"/p/{site.ids['code']}", t["street"]),
    ]


MAP_PAGES = (("admin", "/maps/district"), ("admin", "/maps/coverage"),
             ("boundary_inspector", "/maps/markers"))


def _assert_no_raw(html: str, where: str) -> None:
    found = [r for r in RAW if r in html]
    assert not found, f"{where}: raw hostile text {found} in the page"


def test_pages_and_maps_escape_stored_text(hostile):
    """Over HTTP, on both backends: the hostile texts are on the pages, and only escaped."""
    tokens: dict[str, str] = {}
    for role, path, shown in _pages(hostile):
        headers = {}
        if role:
            tokens.setdefault(role, _session(hostile.base, role))
            headers["Cookie"] = f"xc_token={tokens[role]}"
        r = httpx.get(f"{hostile.base}{path}", headers=headers, timeout=120)
        assert r.status_code in (200, 404), (path, r.status_code, r.text[:300])
        _assert_no_raw(r.text, path)
        assert str(escape(shown)) in r.text, (path, shown)  # on the page, escaped
    for role, path in MAP_PAGES:
        tokens.setdefault(role, _session(hostile.base, role))
        r = httpx.get(f"{hostile.base}{path}", headers={"Cookie": f"xc_token={tokens[role]}"},
                      timeout=300)
        assert r.status_code == 200, (path, r.status_code)
        _assert_no_raw(r.text, path)
        assert "__xss" in r.text or "svg onload" in r.text, path  # the data is there
    inspector = {"Authorization": f"Bearer {_session(hostile.base, 'boundary_inspector')}"}
    campaign = f"{hostile.base}/api/inspections/campaigns/{hostile.ids['campaign_id']}"
    report = httpx.get(f"{campaign}/report.html", headers=inspector, timeout=120)
    assert report.status_code == 200
    _assert_no_raw(report.text, "campaign report.html")
    assert "&lt;/script&gt;&lt;script&gt;window.__xss=1" in report.text  # the campaign, escaped


# --- in the browser -----------------------------------------------------------------------------

OPEN_TOOLTIPS = """(async () => {
  const key = Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map);
  if (!key) return JSON.stringify({error: 'no map'});
  document.querySelectorAll('.leaflet-control-layers-overlays input[type=checkbox]')
    .forEach(i => { if (!i.checked) i.click(); });
  const map = window[key], hostile = [], shown = [];
  map.eachLayer(l => {
    const props = l.feature && l.feature.properties;
    const tip = l.getTooltip && l.getTooltip();
    const text = props ? JSON.stringify(props)
                       : (tip && typeof tip._content === 'string' ? tip._content : '');
    if (['__xss', 'svg onload', '&lt;b&gt;'].some(s => text.includes(s))) hostile.push(l);
  });
  for (const l of hostile) {
    const at = l.getLatLng ? l.getLatLng() : l.getBounds().getCenter();
    l.fire('mouseover', {latlng: at}, true);
    document.querySelectorAll('.leaflet-tooltip').forEach(t => shown.push(t.innerText));
    l.fire('mouseout', {latlng: at}, true);
  }
  await new Promise(r => setTimeout(r, 700));
  return JSON.stringify({hostile: hostile.length, shown,
                         xss: window.__xss === undefined ? null : window.__xss});
})()"""
ZOOM_TO = """(async () => {
  const map = window[Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map)];
  map.setView([%f, %f], 18);
  for (let i = 0; i < 60; i++) {  // until the plates in view have arrived
    await new Promise(r => setTimeout(r, 250));
    let arrived = false;
    map.eachLayer(l => {
      const tip = l.feature && l.feature.properties.tip;
      if (Array.isArray(tip) && tip.some(t => t.includes('1号'))) arrived = true;
    });
    if (arrived) return i;
  }
  return -1; })()"""
STATE = """(async () => { await new Promise(r => setTimeout(r, 700));
  return JSON.stringify({xss: window.__xss === undefined ? null : window.__xss,
                         text: document.body.innerText}); })()"""
# In a report, the page itself has no map: it answers with its text.
FRAMED = OPEN_TOOLTIPS.replace("(async () => {", """(async () => {
  if (!window.L) return JSON.stringify(
  {page: document.body.innerText, xss: window.__xss === undefined ? null : window.__xss});""", 1)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    b = Browser(width=1200, height=900, extra_flags=OFFLINE)
    b.send("Network.enable")
    yield b
    b.close()


def _send(b: Browser, method: str, session: str | None = None, **params):
    """Send a DevTools command to the page or an attached frame's ``session``; return its result."""
    b._id += 1
    ask = b._id
    b.ws.send(json.dumps({"id": ask, "method": method, "params": params}
                         | ({"sessionId": session} if session else {})))
    while True:
        msg = json.loads(b.ws.recv())
        if msg.get("id") == ask:
            if "error" in msg:
                raise RuntimeError(f"{method}: {msg['error']}")
            return msg.get("result", {})


def _in_every_frame(b: Browser, expression: str) -> list[dict]:
    """Evaluate ``expression`` (returning JSON) in the page and in each of its frames.

    A sandboxed frame runs in its own process (its own DevTools target): attach to it and
    evaluate there, in its main world, where the map's scripts run.
    """
    out = [json.loads(b.evaluate(expression))]
    for target in _send(b, "Target.getTargets")["targetInfos"]:
        if target["type"] != "iframe":
            continue
        session = _send(b, "Target.attachToTarget", targetId=target["targetId"],
                        flatten=True)["sessionId"]
        try:
            result = _send(b, "Runtime.evaluate", session, expression=expression,
                           awaitPromise=True, returnByValue=True)
            out.append(json.loads(result["result"]["value"]))
        finally:
            _send(b, "Target.detachFromTarget", sessionId=session)
    return out


def _open(b: Browser, url: str, cookie: str | None, base: str) -> None:
    b.send("Network.clearBrowserCookies")
    if cookie:
        b.send("Network.setCookie", name="xc_token", value=cookie, url=base)
    b.goto(url, wait_s=120)
    time.sleep(0.5)


browser_only_sqlite = pytest.mark.parametrize("hostile", ["sqlite"], indirect=True)


@browser_only_sqlite
def test_pages_run_no_stored_script_in_chromium(hostile, browser):
    sessions: dict[str, str] = {}
    for role, path, shown in _pages(hostile):
        if role:
            sessions.setdefault(role, _session(hostile.base, role))
        _open(browser, f"{hostile.base}{path}", sessions.get(role), hostile.base)
        state = json.loads(browser.evaluate(STATE))
        assert state["xss"] is None, f"{path}: stored script ran"
        assert shown in state["text"], f"{path}: {shown!r} is not shown as text"


@browser_only_sqlite
def test_maps_run_no_stored_script_and_show_it_as_text(hostile, browser):
    t = hostile.texts
    expect = {"/maps/district": [t["care"], t["centre"], t["street"], t["marker"],
                                 t["subdistrict"], t["street"] + "1号"],
              "/maps/markers": [t["marker"] + " · 损坏 damaged",
                                t["marker_img"] + " · 未检 not visited"]}
    for role, path in MAP_PAGES:
        if path == "/maps/coverage":
            continue  # a report page with the map in a frame: below
        _open(browser, f"{hostile.base}{path}", _session(hostile.base, role), hostile.base)
        if path == "/maps/district":  # plates are fetched for the view (maps/view.py): go to the hostile one
            here = hostile.store.select("door_plates", where={"plate_uid": PLATE_UID})[0]["geometry"]
            arrived = browser.evaluate(ZOOM_TO % (here.y, here.x))
            assert isinstance(arrived, int) and arrived >= 0, arrived
        state = json.loads(browser.evaluate(OPEN_TOOLTIPS))
        assert state.get("hostile", 0) >= len(expect[path]), (path, state)
        assert state["xss"] is None, f"{path}: stored script ran"
        for text in expect[path]:
            assert any(text in s for s in state["shown"]), (path, text, state["shown"][:20])


def _page_and_frame(b: Browser) -> tuple[str, list[str]]:
    """Return a report's text and the tooltips its framed map shows; no script ran in either."""
    states = _in_every_frame(b, FRAMED)
    page = [s for s in states if "page" in s]
    frames = [s for s in states if "shown" in s]
    assert len(page) == 1 and len(frames) == 1, states  # the report, and its map in a frame
    assert all(s["xss"] is None for s in states), states
    return page[0]["page"], frames[0]["shown"]


@browser_only_sqlite
def test_reports_with_framed_maps_run_no_stored_script(hostile, browser, tmp_path):
    t = hostile.texts
    _open(browser, f"{hostile.base}/maps/coverage", _session(hostile.base, "admin"), hostile.base)
    text, shown = _page_and_frame(browser)
    assert t["subdistrict"] in text  # the report's coverage table, as text
    for name in (t["care"], t["community"], t["subdistrict"]):  # facility, floor area, units
        assert any(name in s for s in shown), (name, shown[:20])
    # The campaign report, opened from the archive as the team would open it.
    inspector = {"Authorization": f"Bearer {_session(hostile.base, 'boundary_inspector')}"}
    base = f"{hostile.base}/api/inspections/campaigns/{hostile.ids['campaign_id']}"
    zipped = httpx.get(f"{base}/report.zip", headers=inspector, timeout=120).content
    report = tmp_path / "report.html"
    report.write_bytes(zipfile.ZipFile(BytesIO(zipped)).read("report.html"))
    browser.goto(report.as_uri(), wait_s=60)
    time.sleep(0.5)
    text, shown = _page_and_frame(browser)
    assert t["campaign"] in text and t["remarks"] in text and t["marker"] in text
    assert any(t["marker"] in s for s in shown), shown
