"""`xincheng map` files: what a planner opens from disk, with no server and no internet.

The file carries its big layers per zoom range (streets simplified in metres, door plates counted
per grid cell), so it stays under a megabyte at the district's scale and at ten times its plates,
and it draws in headless Chromium (tests/cdp.py, no name resolves but loopback) with no failed
request and no console error, its legend, metric scale and 示意 notice in place.
"""

from __future__ import annotations

import json
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.crs import METRIC_CRS
from maps.district_map import district_map
from maps.layers import NOT_AUTHORITATIVE
from maps.view_data import CELL_LEVELS_M, LINE_LEVELS_M, cell_levels, line_levels
from tests.browser import OFFLINE
from tests.test_cli import run, sample_db  # noqa: F401 - the CLI's sample database fixture
from tests.test_csp import Chromium

FILE_MAX_BYTES = 1_000_000

# What the opened file draws: per embedded layer, how many shapes are on the map now.
DRAWN = """(() => {
  const key = Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map);
  if (!key) return JSON.stringify({maps: 0});
  const m = window[key];
  let circles = 0, lines = 0, tip = null;
  m.eachLayer(l => {
    if (l instanceof L.CircleMarker && l.getTooltip()) {
      circles++;
      const t = l.getTooltip().getContent();
      if (tip === null && t && t.textContent.includes('块门牌')) tip = t.textContent;
    } else if (l instanceof L.Polyline && !(l instanceof L.Polygon)) { lines++; }
  });
  const scale = document.querySelector('.leaflet-control-scale-line');
  const box = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const notice = document.querySelector('.not-authoritative');
  return JSON.stringify({maps: 1, zoom: m.getZoom(), circles, lines, tip,
    overlays: [...document.querySelectorAll('.leaflet-control-layers-overlays label')].map(l => l.innerText.trim()),
    legend: (document.querySelector('.map-legend') || {}).innerText || '',
    scale: scale && scale.innerText, scaleBox: scale && box(scale),
    notice: notice && notice.innerText, noticeBox: notice && box(notice)});
})()"""


def _problems(events: list[dict]) -> list[str]:
    """Return the failed requests, console errors and uncaught exceptions among DevTools events."""
    out = []
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Network.loadingFailed" and not p.get("canceled"):
            out.append(f"request failed: {p.get('errorText')}")
        elif method == "Runtime.exceptionThrown":
            out.append(f"uncaught: {p['exceptionDetails'].get('text')}")
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
            out.append(f"console.{p['type']}: {[a.get('value') for a in p.get('args', [])]}")
        elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
            out.append(f"console: {p['entry']['text'][:300]}")
    return out


def _drawn(browser: Chromium, *, zoom: int | None = None) -> dict:
    """Return what the map draws (after zooming to ``zoom``), once its layers are on it."""
    if zoom is not None:
        browser.run(f"(() => {{ const k = Object.keys(window).find(k => k.startsWith('map_') && "
                    f"window[k] instanceof L.Map); window[k].setZoom({zoom}, {{animate: false}}); }})()")
    deadline, state = time.time() + 20, {}
    while time.time() < deadline:
        state = json.loads(browser.run(DRAWN) or "{}")
        ready = state.get("maps") and state.get("circles") and state.get("lines")
        if ready and (zoom is None or state["zoom"] == zoom):
            return state
        time.sleep(0.2)
    return state


def test_levels_keep_every_plate_and_stay_within_their_tolerance(sample):
    plates, streets = sample["door_plates"], sample["streets"]
    cells = cell_levels(plates.geometry)
    assert [lv["cell_m"] for lv in cells] == [m for _, m in CELL_LEVELS_M]
    for lv in cells:  # every plate in exactly one cell, at every zoom range
        assert sum(row[2] for row in lv["shapes"]) == len(plates)
        assert all(round(v, 6) == v for row in lv["shapes"] for v in row[:2])
    assert len(cells[0]["shapes"]) < len(cells[-1]["shapes"]) < len(plates) / 4  # coarser when zoomed out
    levels = line_levels(streets.geometry)
    assert [lv["tolerance_m"] for lv in levels] == [t for _, t in LINE_LEVELS_M]
    metric = streets.geometry.to_crs(METRIC_CRS).to_numpy()
    for lv in levels:
        assert [i for i, _ in lv["shapes"]] == list(range(len(streets)))  # no street lost
        drawn = gpd.GeoSeries([shapely.MultiLineString(parts) for _, parts in lv["shapes"]],
                              crs="EPSG:4326").to_crs(METRIC_CRS).to_numpy()
        gap = shapely.hausdorff_distance(drawn, metric)
        assert gap.max() <= lv["tolerance_m"] + 0.2, (lv["tolerance_m"], gap.max())  # + rounding to 1e-6°
        assert all(round(v, 6) == v for _, parts in lv["shapes"] for part in parts for xy in part for v in xy)
    coarse, fine = (sum(len(p) for _, parts in lv["shapes"] for p in parts) for lv in levels)
    assert coarse < 0.8 * fine  # fewer vertices where a pixel is tens of metres


def test_map_file_is_under_a_megabyte_and_opens_offline_with_no_error(sample_db, tmp_path):  # noqa: F811
    db, _ = sample_db
    out = tmp_path / "district.html"
    r = run("map", str(out), db=db)
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert out.stat().st_size <= FILE_MAX_BYTES, out.stat().st_size
    assert NOT_AUTHORITATIVE in html and "图例" in html
    assert html.count("锡林郭勒北路") == 1  # a street's tooltip once, not once per zoom range
    browser = Chromium(width=1280, height=800, extra_flags=OFFLINE)
    try:
        for domain in ("Network", "Log", "Runtime", "Page"):
            browser.send(f"{domain}.enable")
        browser.goto(out.as_uri(), wait_s=60)
        district = _drawn(browser)
        close = _drawn(browser, zoom=16)
        assert not _problems(browser.events), _problems(browser.events)
    finally:
        browser.close()
    assert "街路巷 Streets" in district["overlays"], district
    assert any(o.startswith("门牌 Door plates (34,") for o in district["overlays"]), district
    assert district["zoom"] <= 12 and 0 < district["circles"] < 800, district  # the 500 m cells
    assert close["circles"] > 3 * district["circles"], (district["circles"], close["circles"])  # finer cells
    assert "块门牌" in (close["tip"] or "") and "door plates" in close["tip"], close
    assert "门牌（按格网计数" in district["legend"] and "界线示意" in district["notice"]
    assert district["scale"] and ("km" in district["scale"] or " m" in district["scale"]), district
    left, top, right, bottom = district["scaleBox"]  # the scale never covers the notice
    n_left, n_top, n_right, n_bottom = district["noticeBox"]
    assert right <= n_left or n_right <= left or bottom <= n_top or n_bottom <= top, district


def _tenfold(plates: gpd.GeoDataFrame, *, times: int = 10, jitter_m: float = 15.0) -> gpd.GeoDataFrame:
    """Return ``plates`` ``times`` over, each copy moved up to ``jitter_m`` metres (seeded)."""
    rng = np.random.default_rng(15)
    metric = plates.to_crs(METRIC_CRS)
    copies = [metric.set_geometry(gpd.points_from_xy(metric.geometry.x + rng.uniform(-jitter_m, jitter_m, len(metric)),
                                                     metric.geometry.y + rng.uniform(-jitter_m, jitter_m, len(metric)),
                                                     crs=METRIC_CRS)) for _ in range(times)]
    return gpd.GeoDataFrame(pd.concat(copies, ignore_index=True), crs=METRIC_CRS).to_crs(plates.crs)


@pytest.mark.scale
def test_map_file_at_ten_times_the_plates_stays_under_a_megabyte(sample, tmp_path):
    layers = dict(sample.layers) | {"door_plates": _tenfold(sample["door_plates"])}
    out = tmp_path / "tenfold.html"
    district_map({k: layers[k] for k in ("admin_units", "streets", "linear_features", "facilities",
                                         "boundary_markers", "door_plates")}).save(str(out))
    once = tmp_path / "once.html"
    district_map({k: sample.layers[k] for k in ("admin_units", "streets", "linear_features", "facilities",
                                                "boundary_markers", "door_plates")}).save(str(once))
    assert out.stat().st_size <= FILE_MAX_BYTES, out.stat().st_size
    assert out.stat().st_size < 1.25 * once.stat().st_size  # cells follow the area, not the plates
