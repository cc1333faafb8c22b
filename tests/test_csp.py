"""Content-Security-Policy: no inline script runs unless its response's nonce is on its tag.

api/headers.py makes a nonce per request and names it in ``script-src`` (no ``'unsafe-inline'``);
templates, folium maps and reports put it on their own ``<script>`` and ``<style>`` tags
(api/pages.py, maps/csp.py). Checked here over HTTP (every page, map, report and the plate SVG:
the policy, one fresh nonce per response, every tag carrying it, no ``on*=`` handler) and in
headless Chromium over the hostile district of tests/test_xss.py: every page draws its map or runs
its script with no CSP violation and no script error in the page or its framed map; markup slipped
into a page (an ``onerror`` in a tooltip, a script element) is refused and reported, and a map
served without nonces does not draw, so the browser check is able to fail.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import quote

import httpx
import pytest

from tests import test_xss
from tests.browser import OFFLINE
from tests.cdp import Browser
from tests.conftest import running_server, server_settings
from tests.test_xss import MAP_PAGES, PLATE_UID, _pages, _session

# With pytest-xdist (scripts/test.sh: --dist loadgroup) this module runs in one worker:
# the hostile district and the browser (module fixtures) are built once.
pytestmark = pytest.mark.xdist_group("csp")

hostile = test_xss.hostile  # the hostile district (a server over it), as this module's own fixture

NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]+)'")


def _directives(policy: str) -> dict[str, list[str]]:
    parts = [p.split() for p in policy.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


class _Tags(HTMLParser):
    """Every start tag of a page as (name, attributes), a framed page's (``srcdoc``) included."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        srcdoc = dict(attrs).get("srcdoc")
        if srcdoc:
            self.tags += _tags(srcdoc)


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def _http_pages(site) -> list[tuple[dict[str, str], str, str]]:
    """(headers, path, kind) of every HTML or SVG answer a user opens: officer, field and public
    pages, the maps, both reports, the 403 page and the door-plate SVG. ``kind``: ``map`` (a folium
    page), ``framed`` (a report with its map in a frame), ``field`` (runs the GPS script), ``refused``
    (the 403 page), ``page``."""
    cookies: dict[str, dict[str, str]] = {}
    bearer: dict[str, dict[str, str]] = {}

    def cookie(role: str | None) -> dict[str, str]:
        if role is None:
            return {}
        if role not in cookies:
            cookies[role] = {"Cookie": f"xc_token={_session(site.base, role)}"}
        return cookies[role]

    def token(role: str) -> dict[str, str]:
        if role not in bearer:
            bearer[role] = {"Authorization": f"Bearer {_session(site.base, role)}"}
        return bearer[role]

    campaign = f"/api/inspections/campaigns/{site.ids['campaign_id']}"
    field = f"/field/campaigns/{site.ids['campaign_id']}/markers/{quote(site.texts['marker_img'], safe='')}"
    return [(cookie(role), path, "field" if path == field else "page") for role, path, _ in _pages(site)] + \
        [(cookie(role), path, "framed" if path == "/maps/coverage" else "map") for role, path in MAP_PAGES] + [
        (cookie("admin"), "/maps", "page"),
        (cookie(None), "/", "page"),  # the landing page, as the public and as a user see it
        (cookie("planner"), "/", "page"),
        (cookie("placename_officer"), "/officer/placenames/new", "page"),
        (cookie("placename_officer"), "/maps/coverage", "refused"),  # 403: a planner's map
        (token("boundary_inspector"), f"{campaign}/report.html", "framed"),
        (token("planner"), "/api/planning/report?format=html&k=0", "framed"),
        (token("placename_officer"), f"/api/plates/{PLATE_UID}/plate.svg", "page"),
    ]


def test_every_page_names_a_fresh_nonce_and_allows_no_inline_script(hostile):
    """Over HTTP, both backends: the policy of each page, and each script and style tag on it."""
    seen: set[str] = set()
    pages = _http_pages(hostile)
    assert {kind for _, _, kind in pages} == {"map", "framed", "field", "refused", "page"}
    for headers, path, kind in pages:
        r = httpx.get(f"{hostile.base}{path}", headers=headers, timeout=300)
        assert r.status_code in (200, 403, 404), (path, r.status_code, r.text[:300])
        assert (r.status_code == 403) == (kind == "refused"), (path, r.status_code)
        policy = r.headers["content-security-policy"]
        rules = _directives(policy)
        assert "'unsafe-inline'" not in rules["script-src"], (path, policy)
        assert rules["script-src-attr"] == ["'none'"], (path, policy)
        assert "'unsafe-inline'" not in rules["style-src-elem"], (path, policy)
        (nonce,) = set(NONCE.findall(" ".join(rules["script-src"])))
        assert NONCE.findall(" ".join(rules["style-src-elem"])) == [nonce], (path, policy)
        assert nonce not in seen, f"{path}: a nonce used twice"
        seen.add(nonce)
        tags = _tags(r.text)
        own = [(t, a) for t, a in tags if t == "style" or (t == "script" and a.get("type") != "application/json")]
        assert all(a.get("nonce") == nonce for _, a in own), (path, [a for _, a in own if a.get("nonce") != nonce])
        handlers = [(t, k) for t, a in tags for k in a if k.startswith("on")]
        assert not handlers, (path, handlers)
        assert (r.status_code == 403) == (kind == "refused"), (path, r.status_code)
        if kind in ("map", "framed"):
            assert r.status_code == 200 and sum(t == "script" for t, _ in own) >= 3, path  # Leaflet, switches, map


def test_the_docs_pages_load_only_the_service_s_own_scripts_by_nonce(hostile):
    """/docs and /redoc: Swagger UI and ReDoc from the service itself, scripts by nonce, no outside host."""
    for path, asset in (("/docs", "/static/docs/swagger-ui-bundle.js"), ("/redoc", "/docs/redoc.standalone.js")):
        r = httpx.get(f"{hostile.base}{path}")
        assert r.status_code == 200, path
        policy = r.headers["content-security-policy"]
        rules = _directives(policy)
        assert "'unsafe-inline'" not in rules["script-src"] and rules["script-src-attr"] == ["'none'"], policy
        assert not re.search(r"https?:|\*", policy), (path, policy)  # no host but this one
        (nonce,) = set(NONCE.findall(" ".join(rules["script-src"])))
        scripts = [a for t, a in _tags(r.text) if t == "script" and a.get("type") != "application/json"]
        assert scripts and all(a.get("nonce") == nonce for a in scripts), (path, scripts)
        assert f"src='{asset}'" in r.text and "cdn" not in r.text, path
        bundle = httpx.get(f"{hostile.base}{asset}")
        assert bundle.status_code == 200 and len(bundle.content) > 500_000, asset
        assert b"cdn.redoc.ly" not in bundle.content and b"cdn.jsdelivr" not in bundle.content, asset


# --- in the browser -----------------------------------------------------------------------------

class Chromium(Browser):
    """The tests' Chromium, keeping the DevTools events (console log entries, script errors)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.events: list[dict] = []

    def send(self, method: str, session: str | None = None, **params):
        """Send one command (to the page, or to an attached frame's ``session``); keep the events."""
        self._id += 1
        ask = self._id
        self.ws.send(json.dumps({"id": ask, "method": method, "params": params}
                                | ({"sessionId": session} if session else {})))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == ask:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def run(self, expression: str, session: str | None = None):
        """Evaluate ``expression`` (awaited) in the page or in an attached frame; return its value."""
        result = self.send("Runtime.evaluate", session, expression=expression, awaitPromise=True,
                           returnByValue=True)
        return result.get("result", {}).get("value")

    def frames(self) -> Iterator[str]:
        """Attach to each frame in a process of its own (sandboxed ``srcdoc`` maps); yield its
        session with its console replayed into :attr:`events`; detach after."""
        for target in self.send("Target.getTargets")["targetInfos"]:
            if target["type"] != "iframe":
                continue
            session = self.send("Target.attachToTarget", targetId=target["targetId"], flatten=True)["sessionId"]
            try:
                self.send("Log.enable", session)  # sends what the frame logged so far
                self.send("Runtime.enable", session)
                yield session
            finally:
                self.send("Target.detachFromTarget", sessionId=session)

    def problems(self) -> list[str]:
        """Return the CSP violations and script errors reported since the last :meth:`open`."""
        time.sleep(0.3)
        self.send("Runtime.evaluate", expression="0")  # collect what arrived meanwhile
        out = []
        for e in self.events:
            if e.get("method") == "Log.entryAdded":
                entry = e["params"]["entry"]
                if entry["source"] == "security" or "Content Security Policy" in entry["text"]:
                    out.append(f"CSP: {entry['text'][:300]}")
            elif e.get("method") == "Runtime.exceptionThrown":
                details = e["params"]["exceptionDetails"]
                text = details.get("exception", {}).get("description") or details.get("text")
                out.append(f"error: {str(text)[:300]}")
        return out

    def open(self, url: str, headers: dict[str, str]) -> None:
        """Open ``url`` with ``headers`` (a session cookie, a bearer token); forget older events."""
        self.send("Network.clearBrowserCookies")
        cookie = headers.get("Cookie", "")
        if cookie:
            name, value = cookie.split("=", 1)
            self.send("Network.setCookie", name=name, value=value, url=url)
        bearer = {k: v for k, v in headers.items() if k == "Authorization"}
        self.send("Network.setExtraHTTPHeaders", headers=bearer)
        self.events.clear()
        self.goto(url, wait_s=180)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    b = Chromium(width=1200, height=900, extra_flags=OFFLINE)
    for domain in ("Network", "Log", "Runtime"):
        b.send(f"{domain}.enable")
    yield b
    b.close()


DRAWN = """(async () => {
  for (let i = 0; i < 100; i++) {
    const key = window.L && Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map);
    if (key && Object.keys(window[key]._layers).length > 3)
      return JSON.stringify({leaflet: L.version, layers: Object.keys(window[key]._layers).length,
                             xss: window.__xss === undefined ? null : window.__xss});
    await new Promise(r => setTimeout(r, 100));
  }
  return JSON.stringify({leaflet: window.L ? L.version : null, layers: 0,
                         xss: window.__xss === undefined ? null : window.__xss});
})()"""
PAGE = """JSON.stringify({xss: window.__xss === undefined ? null : window.__xss,
  frames: document.querySelectorAll('iframe').length, text: document.body ? document.body.innerText : ''})"""
GPS_ANSWERED = """(async () => {
  for (let i = 0; i < 50 && document.getElementById('gps').textContent.startsWith('正在定位'); i++)
    await new Promise(r => setTimeout(r, 100));
  return !document.getElementById('gps').textContent.startsWith('正在定位');
})()"""


def _check_page(b: Chromium, path: str, kind: str) -> None:
    """The page (and its framed map) works, ran no stored script, and broke no policy."""
    page = json.loads(b.run(PAGE) or "{}")
    assert page.get("xss") is None, f"{path}: a stored script ran"
    if kind == "map":  # the map and its layers
        state = json.loads(b.run(DRAWN))
        assert state["leaflet"] == "1.9.3" and state["layers"] > 3, (path, state)
    if kind == "framed":  # a report: its maps are drawn in frames (the full planning report adds its ban zones)
        expected = 2 if path.startswith("/api/planning/report") else 1
        assert page["frames"] == expected, (path, page["frames"])
        drawn = [json.loads(b.run(DRAWN, session)) for session in b.frames()]
        assert len(drawn) == expected, (path, drawn)
        assert all(d["leaflet"] == "1.9.3" and d["layers"] > 3 for d in drawn), (path, drawn)
        assert all(d["xss"] is None for d in drawn), f"{path}: a stored script ran in a map"
    if kind == "field":  # its script asked for the position and said what came of it
        assert b.run(GPS_ANSWERED), (path, b.run(PAGE))
    problems = b.problems()
    assert problems == [], (path, problems)


browser_only_sqlite = pytest.mark.parametrize("hostile", ["sqlite"], indirect=True)


@browser_only_sqlite
def test_every_page_works_in_chromium_with_no_csp_violation(hostile, chromium):
    for headers, path, kind in _http_pages(hostile):
        chromium.open(f"{hostile.base}{path}", headers)
        _check_page(chromium, path, kind)


SLIP_IN = """(async () => {
  const where = document.querySelector('.leaflet-tooltip-pane') || document.body;
  where.insertAdjacentHTML('beforeend', '<img src="data:," onerror="window.__slipped=1">');
  const s = document.createElement('script');
  s.textContent = 'window.__slipped = 2';
  document.body.appendChild(s);
  await new Promise(r => setTimeout(r, 300));
  return window.__slipped === undefined ? null : window.__slipped;
})()"""


@browser_only_sqlite
def test_markup_slipped_into_a_page_is_refused_and_reported(hostile, chromium):
    """What the policy is for: if escaping ever failed, the handler and the script would not run,
    and the checks above would see the violations (in the page and in a framed map)."""
    chromium.open(f"{hostile.base}/maps/district", {"Cookie": f"xc_token={_session(hostile.base, 'admin')}"})
    assert chromium.run(SLIP_IN) is None
    problems = chromium.problems()
    assert any("script-src-attr" in p for p in problems), problems
    assert any("script-src" in p and "inline script" in p for p in problems), problems
    chromium.open(f"{hostile.base}/maps/coverage", {"Cookie": f"xc_token={_session(hostile.base, 'admin')}"})
    assert chromium.problems() == []
    for session in chromium.frames():
        assert chromium.run(SLIP_IN, session) is None
    problems = chromium.problems()
    assert len([p for p in problems if p.startswith("CSP")]) >= 2, problems  # the frame is under the policy too


@browser_only_sqlite
def test_a_map_served_without_its_nonce_does_not_draw(hostile, chromium, monkeypatch):
    """The browser check fails on a page whose scripts lack the nonce: folium's page as it is."""
    import api.routers.map_pages as map_pages

    monkeypatch.setattr(map_pages, "page_html", lambda m, nonce: m.get_root().render())
    with running_server(server_settings(hostile.store)) as base:  # its own app: its own map cache
        chromium.open(f"{base}/maps/markers", {"Cookie": f"xc_token={_session(base, 'boundary_inspector')}"})
        assert chromium.run("typeof L") == "undefined"
        problems = chromium.problems()
    assert len([p for p in problems if p.startswith("CSP") and "inline script" in p]) >= 3, problems
    with pytest.raises(AssertionError):
        _check_page(chromium, "/maps/markers", "map")


def test_a_login_page_answer_has_no_script_from_the_url(hostile):
    """A page that echoes the URL (an unsigned message, a ``next``) gains no nonce for it."""
    r = httpx.get(f"{hostile.base}/officer/login?next={quote('<script>window.__xss=1</script>')}")
    assert "<script>window.__xss" not in r.text
    nonce = NONCE.findall(r.headers["content-security-policy"])[0]
    assert r.text.count(nonce) == len([t for t, a in _tags(r.text) if a.get("nonce") == nonce])
