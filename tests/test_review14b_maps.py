"""Outside review of #14, maps and reports (items 3, 7, 8, 14): the README's recipe types `beds` as
Integer in Debian's GDAL 3.6 (which types OAPIF fields from its first page, not from /schema); every
map page has a Chinese title and a navigation (home, the role's pages, log out) that covers none of
the legend, the scale or the 示意 notice on a phone; planners and inspectors get their reports from
the pages with their login cookie (/api/* stays bearer-only); the district map asks for each view's
data once.

Real server on loopback over the SQLite sample (the browser part does not depend on the backend),
real Chromium at 360x740; screenshots go to test-artifacts/.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shlex
import shutil
import subprocess
import time
import zipfile
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.browser import ARTIFACTS, OFFLINE
from tests.conftest import USERS
from tests.test_map_pages import _session
from tests.test_offline_pages import OfflineChromium

SQLITE = pytest.mark.parametrize("sample_store", ["sqlite"], indirect=True)

MAPS = {"/maps/district": ("planner", "新城区地图"), "/maps/markers": ("boundary_inspector", "界桩状况图"),
        "/maps/coverage": ("planner", "规划")}
RECTS = """(() => {
  const rect = s => { const e = document.querySelector(s); if (!e) return null; const b = e.getBoundingClientRect();
                      return {l: b.left, t: b.top, r: b.right, b: b.bottom}; };
  return JSON.stringify({nav: rect('.xc-map-nav'), scale: rect('.leaflet-control-scale-line'),
                         notice: rect('.not-authoritative'), legend: rect('.map-legend'),
                         zoom: rect('.leaflet-control-zoom'), layers: rect('.leaflet-control-layers')});
})()"""


def _overlap(a: dict, b: dict) -> bool:
    return a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]


def _get(base: str, path: str, cookie: str | None = None, **kw) -> httpx.Response:
    cookies = {"xc_token": cookie} if cookie else None
    return httpx.get(f"{base}{path}", cookies=cookies, follow_redirects=False, timeout=120, **kw)


@SQLITE
def test_map_pages_have_a_chinese_title_and_the_roles_navigation(live_server):
    for path, (role, title) in MAPS.items():
        html = _get(live_server, path, _session(live_server, role)).text
        found = re.search(r"<title>([^<]*)</title>", html)
        assert found and title in found.group(1) and re.match(r"[\u4e00-\u9fff]", found.group(1)), (path, found)
        nav = html[html.index("<nav class='xc-map-nav"):]
        nav = nav[:nav.index("</nav>")]
        assert "href='/'" in nav and "首页" in nav, nav
        assert "action='/officer/logout'" in nav and "name='csrf_token' value='" in nav and "退出" in nav, nav
        assert "href='/maps'" in nav, nav  # the role's pages: the maps index is every role's
        if role == "planner":
            assert "href='/maps/coverage'" in nav and "/officer/placenames" not in nav, nav
        else:
            assert "href='/field'" in nav or "href='/field/campaigns'" in nav, nav
    # the navigation is per response: an officer on the same (cached) district page gets theirs
    officer = _get(live_server, "/maps/district", _session(live_server, "placename_officer")).text
    assert "href='/officer/placenames'" in officer and "href='/maps/coverage'" not in officer


@SQLITE
def test_planner_report_pages_answer_the_login_cookie_and_api_stays_bearer_only(live_server):
    planner = _session(live_server, "planner")
    page = _get(live_server, "/maps/coverage/report?format=html&k=1", planner)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), page.text[:300]
    assert "规划指标" in page.text and "class='xc-map-nav inline'" in page.text
    book = _get(live_server, "/maps/coverage/report?format=xlsx&k=0", planner)
    assert book.status_code == 200 and book.content[:2] == b"PK", book.text[:300]
    assert "spreadsheetml" in book.headers["content-type"]
    bad = _get(live_server, "/maps/coverage/report?format=pdf", planner)
    assert bad.status_code == 400 and "可选：html, xlsx" in bad.text
    assert bad.headers["content-type"].startswith("text/html")
    # linked from the coverage page and from the planner's section of the landing page
    for path in ("/maps/coverage", "/"):
        html = _get(live_server, path, planner).text
        assert "href='/maps/coverage/report?format=html'" in html and "/maps/coverage/report?format=xlsx" in html, path
    # nobody logged in: the login form; another role: the 403 page; the API: bearer only, as before
    assert _get(live_server, "/maps/coverage/report").headers["location"].startswith("/officer/login?next=")
    refused = _get(live_server, "/maps/coverage/report", _session(live_server, "boundary_inspector"))
    assert refused.status_code == 403 and "无权访问" in refused.text
    assert _get(live_server, "/api/planning/report?format=html&k=0", planner).status_code == 401


@SQLITE
def test_the_planners_report_page_has_every_section_and_sheet_the_api_report_has(live_server):
    """The page and workbook a planner opens from /maps/coverage are the report GET /api/planning/report gives
    (and ``xincheng report`` writes): the same sections, 指标历史 and 四同步 among them, and the same sheets."""
    import openpyxl

    name, password = USERS["planner"]
    login = httpx.post(f"{live_server}/api/auth/login", json={"username": name, "password": password}, timeout=60)
    bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
    cookie = _session(live_server, "planner")
    headings = re.compile(r"<h2[^>]*>(.*?)</h2>", re.S)
    page = _get(live_server, "/maps/coverage/report?format=html&k=1", cookie).text
    served = _get(live_server, "/api/planning/report?format=html&k=1", headers=bearer).text
    assert headings.findall(page) == headings.findall(served)
    assert any(h.startswith("指标历史") for h in headings.findall(page)), headings.findall(page)
    assert any("四同步" in h for h in headings.findall(page)), headings.findall(page)
    sheets = [openpyxl.load_workbook(io.BytesIO(_get(live_server, path, **auth).content), read_only=True).sheetnames
              for path, auth in (("/maps/coverage/report?format=xlsx&k=1", {"cookie": cookie}),
                                 ("/api/planning/report?format=xlsx&k=1", {"headers": bearer}))]
    assert sheets[0] == sheets[1] and any("四同步" in s for s in sheets[0]), sheets


def test_campaign_report_pages_answer_the_inspectors_cookie(writable_server):
    name, password = USERS["admin"]
    admin = httpx.post(f"{writable_server}/api/auth/login", json={"username": name, "password": password})
    campaign = httpx.post(f"{writable_server}/api/inspections/campaigns", timeout=60,
                          headers={"Authorization": f"Bearer {admin.json()['access_token']}"},
                          json={"name": "报告链接", "line_codes": ["XS01"], "required_accuracy_m": 10}).json()
    inspector = _session(writable_server, "boundary_inspector")
    base = f"/maps/campaigns/{campaign['id']}/report"
    campaign_page = _get(writable_server, f"/field/campaigns/{campaign['id']}", inspector)
    for fmt in ("html", "xlsx", "zip"):  # the inspector reaches each report from the campaign's page
        assert f"href='{base}?format={fmt}'" in campaign_page.text, campaign_page.text[-800:]
    page = _get(writable_server, f"{base}?format=html", inspector)
    assert page.status_code == 200 and "报告链接" in page.text and "xc-map-nav" in page.text, page.text[:300]
    book = _get(writable_server, f"{base}?format=xlsx", inspector)
    assert book.status_code == 200 and book.content[:2] == b"PK"
    archive = _get(writable_server, f"{base}?format=zip", inspector)
    assert archive.status_code == 200 and zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert f"campaign_{campaign['id']}_archive.zip" in archive.headers["content-disposition"]
    assert _get(writable_server, f"{base}?format=html", _session(writable_server, "planner")).status_code == 403
    api = f"/api/inspections/campaigns/{campaign['id']}/report.html"
    assert _get(writable_server, api, inspector).status_code == 401  # the API: bearer only


@pytest.fixture(scope="module")
def phone():
    b = OfflineChromium(width=360, height=740, extra_flags=OFFLINE)
    for domain in ("Network", "Log", "Runtime", "Page"):
        b.send(f"{domain}.enable")
    b.send("Emulation.setDeviceMetricsOverride", width=360, height=740, deviceScaleFactor=1, mobile=True)
    yield b
    b.close()


def _data_requests(b: OfflineChromium) -> Counter:
    return Counter(e["params"]["request"]["url"] for e in b.events
                   if e.get("method") == "Network.requestWillBeSent" and "/maps/data/" in e["params"]["request"]["url"])


@SQLITE
@pytest.mark.parametrize("path", ["/maps/district", "/maps/markers"])
def test_phone_map_navigation_covers_nothing_and_each_view_is_fetched_once(live_server, phone, path):
    phone.open(f"{live_server}{path}", {"Cookie": f"xc_token={_session(live_server, MAPS[path][0])}"})
    deadline = time.time() + 60
    while time.time() < deadline and not phone.run("!!document.querySelector('.leaflet-control-scale-line')"):
        time.sleep(0.3)
    phone.settle()
    rects = json.loads(phone.run(RECTS))
    for other in ("scale", "notice", "legend", "zoom", "layers"):
        if rects[other] is not None:
            assert not _overlap(rects["nav"], rects[other]), (other, rects)
    assert rects["nav"]["r"] <= 360 and rects["nav"]["b"] < 100, rects
    ARTIFACTS.mkdir(exist_ok=True)
    shot = phone.send("Page.captureScreenshot", format="png")["data"]
    (ARTIFACTS / f"review14b{path.replace('/', '_')}_nav_phone.png").write_bytes(base64.b64decode(shot))
    assert phone.problems() == []
    if path != "/maps/district":
        return
    first = _data_requests(phone)
    assert first and max(first.values()) == 1, first  # streets and plates once for the first view
    assert {re.search(r"/maps/data/(\w+)", u).group(1) for u in first} == {"streets", "door_plates"}, first
    # zoom in, out and back in: a new view once each, a view seen before from the page's memory
    for step in ("zoomIn", "zoomOut", "zoomIn"):
        phone.run("(() => { const k = Object.keys(window).find(k => k.startsWith('map_')"
                  f" && window[k] instanceof L.Map); window[k].{step}(1, {{animate: false}}); }})()")
        time.sleep(0.5)
        phone.settle()
    after = _data_requests(phone)
    assert max(after.values()) == 1, after
    assert len(after) == 2 * len(first), after  # one new view (two layers); the others were kept


OGRINFO = "/usr/bin/ogrinfo"  # Debian 12's gdal-bin (3.6.2), not pyogrio's newer bundled GDAL
README = Path(__file__).parents[1] / "README.md"


def _readme_ogrinfo_commands() -> list[str]:
    """Return the ``ogrinfo`` commands the README gives for GDAL 3.6, in order."""
    return re.findall(r"`(ogrinfo -ro [^`]*OAPIF:[^`]*)`", README.read_text(encoding="utf-8"))


@SQLITE
@pytest.mark.skipif(shutil.which(OGRINFO) is None, reason="Debian's gdal-bin is not installed")
def test_readme_recipe_types_beds_as_integer_in_debian_gdal_3_6(live_server):
    commands = _readme_ogrinfo_commands()
    assert len(commands) == 2, commands  # the whole layer as the first page; a CAST in SQL
    run = lambda args: subprocess.run([OGRINFO, *args], capture_output=True, text=True, timeout=120)  # noqa: E731
    url = f"OAPIF:{live_server}/ogc"
    plain = run(["-ro", "-so", url, "facilities_points"])
    if "beds: Integer" in plain.stdout:
        pytest.skip("this GDAL types OAPIF fields from the schema; the recipe is for GDAL 3.6")
    assert "beds: String" in plain.stdout, plain.stdout + plain.stderr  # what the README says 3.6 does
    for command in commands:
        args = [url if a == "OAPIF:http://127.0.0.1:8000/ogc" else a for a in shlex.split(command)[1:]]
        done = run(args)
        assert done.returncode == 0 and "ERROR" not in done.stderr, (command, done.stderr)
        assert "beds: Integer" in done.stdout, (command, done.stdout)
        if "-where" in command or "WHERE" in command:
            assert re.findall(r"beds \(Integer\) = (\d+)", done.stdout), done.stdout
