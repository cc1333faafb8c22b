"""Every map page in headless Chromium with no internet, at phone and desktop sizes: what it
weighs on first view, its legend, its metric scale clear of the notice, Chinese tooltips, and no
script error or refused request. Screenshots go to test-artifacts/.

What the browser draws does not depend on the backend, so the pages are drawn over the SQLite sample
only; the view data they fetch is checked on both backends
(``test_view_data_needs_a_login_and_answers_bounded_chinese_features``)."""

from __future__ import annotations

import base64
import json
import re
import time

import httpx
import pytest

from tests.browser import ARTIFACTS, OFFLINE
from tests.test_map_pages import _session
from tests.test_offline_pages import OfflineChromium

# With pytest-xdist (scripts/test.sh: --dist loadgroup) this module runs in one worker:
# the browsers at each size (module fixtures) start once.
pytestmark = pytest.mark.xdist_group("map_browser")

PAGES = {"/maps/district": "planner", "/maps/coverage": "planner", "/maps/markers": "boundary_inspector"}
SIZES = {"phone": (360, 740), "desktop": (1366, 768)}
FIRST_VIEW_MAX_BYTES = 1_000_000

# What the map shows, read from its document (the page's own, or a report's framed map).
FURNITURE = """(() => {
  const rect = e => { if (!e) return null; const b = e.getBoundingClientRect();
                      return {l: b.left, t: b.top, r: b.right, b: b.bottom}; };
  const scale = document.querySelector('.leaflet-control-scale-line');
  const maps = Object.keys(window).filter(k => k.startsWith('map_') && window[k] instanceof L.Map);
  const tips = [];
  if (maps.length) {
    const m = window[maps[0]];
    Object.values(m._layers).forEach(l => {  // open each layer's tooltip on its first feature
      if (tips.length >= 40 || !l._tooltip) return;
      const child = l.getLayers ? l.getLayers()[0] : l;
      if (!child) return;
      const at = child.getLatLng ? child.getLatLng() : child.getBounds ? child.getBounds().getCenter() : null;
      if (!at) return;
      l._tooltip._source = child;  // Leaflet 1.9: a group's tooltip opens for its source layer
      try { l.openTooltip(at); } catch (e) { return; }
      const t = l.getTooltip().getElement();
      if (t && !tips.includes(t.innerText)) tips.push(t.innerText);
      l.closeTooltip();
    });
  }
  const legend = document.querySelector('.map-legend');
  return JSON.stringify({maps: maps.length, scale: scale && scale.innerText, scaleRect: rect(scale),
    notice: rect(document.querySelector('.not-authoritative')),
    noticeText: (document.querySelector('.not-authoritative') || {}).innerText,
    legend: legend && legend.querySelector('summary').innerText, legendRect: rect(legend), tips});
})()"""
WEIGHT = """JSON.stringify(performance.getEntriesByType('navigation').concat(
  performance.getEntriesByType('resource')).map(e => [e.name, e.decodedBodySize]))"""


def _overlap(a: dict, b: dict) -> bool:
    return a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]


@pytest.fixture(scope="module", params=list(SIZES))
def sized_browser(request):
    width, height = SIZES[request.param]
    b = OfflineChromium(width=width, height=height, extra_flags=OFFLINE)
    for domain in ("Network", "Log", "Runtime", "Page"):  # Page: its events tell when a page has loaded
        b.send(f"{domain}.enable")
    b.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
           mobile=width < 600)
    yield request.param, b
    b.close()


def _map_state(b: OfflineChromium) -> tuple[dict, list[str]]:
    """Return what the map shows and the problems reported, from the page or its framed map."""
    deadline = time.time() + 60
    while time.time() < deadline:
        if b.run("document.querySelector('iframe') !== null"):
            b.run("document.querySelector('iframe').scrollIntoView()")
            time.sleep(1.5)
            for session in b.frames():
                state = json.loads(b.run(FURNITURE, session) or "{}")
                if state.get("maps"):
                    return state, b.problems()
        else:
            state = json.loads(b.run("typeof L === 'object' ? " + FURNITURE + " : '{}'") or "{}")
            if state.get("maps") and state.get("scale"):
                b.settle()  # the view's layers arrive: no request in flight any more
                return json.loads(b.run(FURNITURE)), b.problems()
        time.sleep(0.3)
    raise AssertionError("no map drawn")


@pytest.mark.parametrize("sample_store", ["sqlite"], indirect=True)
@pytest.mark.parametrize("path", list(PAGES))
def test_map_page_first_view_is_light_labelled_and_clean(live_server, sized_browser, path):
    size, b = sized_browser
    cookie = _session(live_server, PAGES[path])
    b.open(f"{live_server}{path}", {"Cookie": f"xc_token={cookie}"})
    state, problems = _map_state(b)
    assert problems == [], problems
    loaded = json.loads(b.run(WEIGHT))
    assert all(url.startswith((live_server, "data:", "about:")) for url, _ in loaded), loaded
    weight = sum(n for _, n in loaded)
    assert weight <= FIRST_VIEW_MAX_BYTES, (path, size, weight, loaded)
    # a metric scale that never covers the notice, which is read whole
    assert re.fullmatch(r"\d+ (m|km)", state["scale"]), state["scale"]
    assert state["noticeText"].startswith("界线示意，非权威界线")
    assert not _overlap(state["scaleRect"], state["notice"]), state
    assert not _overlap(state["legendRect"], state["notice"]), state
    assert state["legend"].startswith("图例"), state["legend"]
    tips = [t for t in state["tips"] if t.strip()]
    assert tips and all(re.search(r"[\u4e00-\u9fff]", t) for t in tips), tips
    assert not any(re.search(r"\b[a-z]+_[a-z_]+\b", t) for t in tips), tips  # no raw codes
    shot = b.send("Page.captureScreenshot", format="png")["data"]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"map{path.replace('/', '_')}_{size}.png").write_bytes(base64.b64decode(shot))


def test_view_data_needs_a_login_and_answers_bounded_chinese_features(live_server):
    url = f"{live_server}/maps/data/door_plates"
    district = {"bbox": "111.55,40.75,112.10,41.20", "zoom": "11"}
    anonymous = httpx.get(url, params=district)
    assert anonymous.status_code == 401 and anonymous.json()["field"] is None
    headers = {"Cookie": f"xc_token={_session(live_server, 'planner')}"}
    whole = httpx.get(url, params=district, headers=headers, timeout=60).json()
    assert whole["grouped"] and whole["numberReturned"] <= 1600 and whole["numberMatched"] > 10_000
    assert sum(f["properties"]["count"] for f in whole["features"]) == whole["numberMatched"]
    x, y = whole["features"][0]["geometry"]["coordinates"]
    near = httpx.get(url, params={"bbox": f"{x - .001},{y - .001},{x + .001},{y + .001}", "zoom": "18"},
                     headers=headers).json()
    assert not near["grouped"] and 0 < near["numberReturned"] == near["numberMatched"]
    assert near["features"][0]["properties"]["tip"][0].endswith("号")
    streets = httpx.get(f"{live_server}/maps/data/streets", params=district, headers=headers).json()
    assert 0 < streets["numberReturned"] <= 1500
    assert any("道路等级" in line for f in streets["features"] for line in f["properties"]["tip"])
    bad = httpx.get(url, params={"bbox": "1,2,3"}, headers=headers)
    assert bad.status_code == 400 and bad.json()["field"] == "bbox" and bad.json()["message"].startswith("bbox 应为")
    unknown = httpx.get(f"{live_server}/maps/data/users", params=district, headers=headers)
    assert unknown.status_code == 404 and "door_plates" in unknown.json()["message"]
