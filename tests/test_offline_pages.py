"""Every page each user can reach works with no internet, in headless Chromium.

Chromium resolves no name but 127.0.0.1 (``tests.browser.OFFLINE``), so anything a page fetches
from a CDN, a web font service or a tile server fails. The real server runs on loopback over a
copy of the sample district with a campaign. Each role logs in through the login form (and lands
on its home); the pages are enumerated from the app's own routes (every GET page outside the
OpenAPI schema, its path parameters filled from the data) plus /docs, /redoc, /ogc and the report
pages, so a page added later is opened too. A page fails on any failed request
(``Network.loadingFailed``, a subresource answered 4xx/5xx), console error or uncaught exception,
in the page or in its framed report map. Phone (360×740) and desktop (1280×800) screenshots of
each page go to ``test-artifacts/offline/``.

A page the anonymous walk opened is opened again for a role only if the server answers that role
differently (status or HTML, the per-response nonce aside): ``/docs`` and ``/redoc`` are the same
page for everyone, and drawing them is the slow part of the walk. Likewise an error page (4xx) is opened
once per distinct answer: a role refused by twenty pages that need the same roles gets the same 403 page
twenty times, the same HTML but for the path its "log in as someone else" link returns to. ReDoc's script
(``/docs/redoc.standalone.js``) is not a page: ``/redoc`` loads it, and a failed load fails ``/redoc``.
The walk waits on the browser's events (the main frame stopped loading, no request in flight),
never for a fixed time.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import httpx
import pytest
import websocket
from fastapi.routing import APIRoute

from api.app import create_app
from geo.plates.codes import PlateSigner
from geo.store import Store
from tests.browser import ARTIFACTS, OFFLINE
from tests.conftest import USERS, running_server, server_settings
from tests.test_csp import Chromium

ROLES = ("admin", "placename_officer", "boundary_inspector", "planner")
HOMES = {"admin": "/", "placename_officer": "/officer/placenames", "boundary_inspector": "/field",
         "planner": "/maps/coverage"}
SIZES = {"phone": (360, 740, True), "desktop": (1280, 800, False)}
SHOTS = ARTIFACTS / "offline"
# Sandboxed report frames in the page's own process, so their requests and console are the page's.
IN_PROCESS_FRAMES = ("--disable-site-isolation-trials", "--disable-features=IsolateOrigins,site-per-process")
EXTRA_PAGES = ("/docs", "/redoc", "/ogc")
SCRIPTS = ("/docs/redoc.standalone.js",)  # GET routes outside the schema that are scripts, not pages


def _walk(routes: Iterable) -> Iterator[APIRoute]:
    """Yield the app's API routes, through the routers it includes."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _walk(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def page_paths(app) -> list[str]:
    """Return the path templates of every GET page of ``app`` (routes outside the OpenAPI schema)."""
    paths = {r.path for r in _walk(app.router.routes) if "GET" in r.methods and not r.include_in_schema}
    return sorted(paths | set(EXTRA_PAGES))


@dataclass
class Site:
    """The server under test and values for the path parameters of its pages."""

    base: str
    templates: list[str]  # the path templates of the app's pages
    values: dict[str, str]
    reports: dict[str, str]  # path → the role that may open it (report pages under /api)
    skipped: list[str] = field(default_factory=list)

    def fill(self, template: str) -> str | None:
        """Return ``template`` with its parameters filled, or ``None`` (kept in ``skipped``)."""
        names = re.findall(r"{(\w+)(?::\w+)?}", template)
        if any(n not in self.values for n in names):
            self.skipped.append(template)
            return None
        return re.sub(r"{(\w+)(?::\w+)?}", lambda m: quote(self.values[m.group(1)], safe=""), template)


def _token(base: str, role: str) -> str:
    name, password = USERS[role]
    r = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def _values(base: str, store: Store, settings) -> tuple[dict[str, str], dict[str, str]]:
    """Make a campaign and return the values of the pages' path parameters and the report pages."""
    admin = {"Authorization": f"Bearer {_token(base, 'admin')}"}
    campaign = httpx.post(f"{base}/api/inspections/campaigns", headers=admin, timeout=60,
                          json={"name": "离线检查", "line_codes": ["XS01"], "required_accuracy_m": 10}).json()
    marker = store.select("boundary_markers", where={"line_code": "XS01"}, limit=1)[0]
    plate = store.select("door_plates", where={"street_name": "新华大街"}, limit=1)[0]
    name = store.select("place_names", limit=1)[0]
    signer = PlateSigner.from_setting(settings.qr_keys, fallback_secret=settings.secret_key)
    cid, code = str(campaign["id"]), signer.code(plate["plate_uid"])
    values = {"campaign_id": cid, "marker_no": marker["marker_no"], "plate_uid": plate["plate_uid"],
              "place_id": str(name["id"]), "code": code}
    # A resident's report from the plate page, for the officers' inbox pages.
    sent = httpx.post(f"{base}/p/{code}/report", data={"kind": "damaged_plate", "message": "二维码被遮挡"})
    assert sent.status_code in (200, 201, 303), sent.text[:300]
    inbox = store.select("problem_reports", limit=1)
    if inbox:
        values["report_id"] = str(inbox[0]["id"])
    reports = {f"/api/inspections/campaigns/{cid}/report.html": "boundary_inspector",
               "/api/planning/report?format=html&k=1": "planner"}
    return values, reports


class OfflineChromium(Chromium):
    """Chromium that reports every failed request, console error and uncaught exception."""

    def log_in(self, base: str, role: str) -> str:
        """Log in through the login form as ``role``; return where the form sent the browser."""
        self.send("Network.clearBrowserCookies")
        self.goto(f"{base}/officer/login")
        name, password = USERS[role]
        self.run(f"document.querySelector('[name=username]').value={json.dumps(name)};"
                 f"document.querySelector('[name=password]').value={json.dumps(password)};"
                 "document.querySelector('form[action=\"/officer/login\"]').submit()")
        deadline = time.time() + 60
        while time.time() < deadline and "/officer/login" in (self.run("location.pathname") or "/officer/login"):
            time.sleep(0.1)
        self.settle()
        return self.run("location.pathname + location.search")

    def goto(self, url: str, *, wait_s: float = 10) -> None:
        """Navigate; return once the main frame has stopped loading (or the navigation failed, or
        became a download), as the browser's events tell: no fixed wait. Needs the Page domain."""
        seen = len(self.events)
        nav = self.send("Page.navigate", url=url)
        if nav.get("errorText"):
            return  # judged from the events like any failed request
        frame = nav["frameId"]

        def done(e: dict) -> bool:
            return ((e.get("method") == "Page.frameStoppedLoading" and e["params"].get("frameId") == frame)
                    or e.get("method") == "Page.downloadWillBegin")

        if not self._wait_for(done, since=seen, wait_s=wait_s):
            raise RuntimeError(f"{url} did not load")

    def _wait_for(self, done: Callable[[dict], bool], *, since: int, wait_s: float) -> bool:
        """Read events (no command is in flight) until one after index ``since`` is ``done``."""
        deadline = time.time() + wait_s
        timeout = self.ws.gettimeout()
        try:
            while not any(done(e) for e in self.events[since:]):
                left_s = deadline - time.time()
                if left_s <= 0:
                    return False
                self.ws.settimeout(min(left_s, 1.0))
                try:
                    self.events.append(json.loads(self.ws.recv()))
                except websocket.WebSocketTimeoutException:
                    continue
        finally:
            self.ws.settimeout(timeout)
        return True

    def visit(self, url: str) -> dict:
        """Open ``url``; return the main document's status and what went wrong on the page."""
        self.events.clear()
        self.goto(url, wait_s=180)
        if not self._scriptable():
            return self._judge(url)  # JSON, a script, a font, an icon: nothing in it runs and fetches more
        self.settle()
        framed = False
        for _ in self.frames():  # a frame in a process of its own replays its log into the events
            framed = True
        if framed:
            self.settle()
        return self._judge(url)

    def _scriptable(self) -> bool:
        """Whether the main document can run scripts that fetch after the load (HTML, SVG, XML, or unknown)."""
        for e in self.events:
            if e.get("method") == "Network.responseReceived" and e["params"].get("type") == "Document":
                mime = e["params"]["response"].get("mimeType", "")
                return not ((mime.startswith(("application/json", "font/", "image/")) and "svg" not in mime)
                            or mime in ("application/javascript", "text/javascript", "text/plain", "text/css"))
        return True

    def settle(self, *, quiet_s: float = 0.5, limit_s: float = 30) -> None:
        """Wait until no HTTP request has been in flight for ``quiet_s`` (fetches after the load;
        a ``blob:`` worker's script never reports an end and is not waited for)."""
        deadline, quiet_since, seen = time.time() + limit_s, time.time(), -1
        while time.time() < deadline:
            self.send("Runtime.evaluate", expression="0")
            started = {e["params"]["requestId"] for e in self.events if e.get("method") == "Network.requestWillBeSent"
                       and e["params"]["request"]["url"].startswith("http")}
            ended = {e["params"]["requestId"] for e in self.events
                     if e.get("method") in ("Network.loadingFinished", "Network.loadingFailed")}
            if len(started) != seen or started - ended:
                seen, quiet_since = len(started), time.time()
            if time.time() - quiet_since >= quiet_s:
                return
            time.sleep(0.1)

    def _judge(self, url: str) -> dict:
        document_status, document_type, problems = None, "", []
        urls = {}
        for e in self.events:
            method, p = e.get("method"), e.get("params", {})
            if method == "Network.requestWillBeSent":
                urls[p["requestId"]] = p["request"]["url"]
            elif method == "Network.responseReceived":
                status = p["response"]["status"]
                if p.get("type") == "Document" and document_status is None:
                    document_status, document_type = status, p["response"]["mimeType"]
                elif status >= 400:
                    problems.append(f"request {p['response']['url'][:200]} answered {status}")
            elif method == "Network.loadingFailed" and not p.get("canceled"):
                problems.append(f"request failed: {urls.get(p['requestId'], '?')[:200]} {p.get('errorText')} "
                                f"{p.get('blockedReason') or ''}".strip())
            elif method == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                problems.append(f"uncaught: {(d.get('exception', {}).get('description') or d.get('text'))[:300]}")
            elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
                problems.append(f"console.{p['type']}: {args[:300]}")
            elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
                entry = p["entry"]
                own_status = entry.get("source") == "network" and entry.get("url", "").split("#")[0] == url
                if not own_status:  # the document's own 403/404 is judged by its status, not here
                    problems.append(f"console: {entry['text'][:300]} {entry.get('url', '')[:200]}")
        return {"status": document_status, "html": document_type == "text/html", "problems": problems}

    def screenshots(self, name: str) -> list[int]:
        """Save the page at phone and desktop size; return the PNG sizes in bytes."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        sizes = []
        for label, (width, height, mobile) in SIZES.items():
            self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                      mobile=mobile)
            self.run(NEXT_FRAMES)  # laid out and drawn at the new size
            png = base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"])
            (SHOTS / f"{name}_{label}.png").write_bytes(png)
            sizes.append(len(png))
        self.send("Emulation.clearDeviceMetricsOverride")
        # A map fetches the new view's features when resized: let those end here, or the next page's walk
        # sees a request that the navigation cut off with no end event and waits out settle's limit (30 s).
        self.settle()
        return sizes


def _answer(base: str, path: str, cookies: dict[str, str]) -> tuple[int, str]:
    """Return the status and the body of ``path`` for a browser holding ``cookies``, the per-response
    script nonce blanked: equal answers are the same page to the browser."""
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
    r = httpx.get(f"{base}{path}", headers=headers, timeout=60)
    return r.status_code, re.sub(r"nonce=(['\"])[^'\"]*\1", "nonce=", r.text)


def _error_page(answer: tuple[int, str]) -> tuple[int, str] | None:
    """Return what makes an error answer (4xx) the page it is, the login link's return path blanked (a link
    the page does not fetch); None for any other answer."""
    status, body = answer
    return (status, re.sub(r"next=[^'\"&]*", "next=", body)) if 400 <= status < 500 else None


def _slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", urlsplit(path).path).strip("_") or "home"


@pytest.fixture
def site(writable_sample_store) -> Iterator[Site]:
    settings = server_settings(writable_sample_store)
    app = create_app(settings)
    with running_server(settings, app) as base:
        values, reports = _values(base, writable_sample_store, settings)
        yield Site(base, page_paths(app), values, reports)


@pytest.fixture
def browser() -> Iterator[OfflineChromium]:
    b = OfflineChromium(width=1280, height=800, extra_flags=(*OFFLINE, *IN_PROCESS_FRAMES))
    for domain in ("Network", "Log", "Runtime", "Page"):
        b.send(f"{domain}.enable")
    yield b
    b.close()


# Two animation frames (the new size laid out, then drawn); at most a second if the page draws none.
NEXT_FRAMES = """new Promise(r => { setTimeout(r, 1000);
  requestAnimationFrame(() => requestAnimationFrame(() => r())); })"""
SWAGGER_DRAWN = """(async () => {
  for (let i = 0; i < 150 && !document.querySelector('.opblock'); i++) await new Promise(r => setTimeout(r, 100));
  return document.querySelectorAll('.opblock').length; })()"""
REDOC_DRAWN = """(async () => {
  for (let i = 0; i < 200 && !document.querySelector('[role=menuitem], li[data-item-id]'); i++)
    await new Promise(r => setTimeout(r, 100));
  return document.querySelectorAll('li[data-item-id]').length; })()"""


@pytest.mark.parametrize("writable_sample_store", ["sqlite"], indirect=True)
def test_every_page_works_offline_for_each_user(site: Site, browser: OfflineChromium):
    assert {"/", "/officer/login", "/officer/placenames", "/maps/district"} <= set(site.templates)
    failures: dict[str, list[str]] = {}
    opened: dict[str, set[str]] = {}
    shot = set()

    def check(role: str, path: str) -> dict:
        started = time.time()
        result = browser.visit(f"{site.base}{path}")
        print(f"{role} {path}: {result['status']} in {time.time() - started:.1f} s, "
              f"{len(result['problems'])} problems")
        if result["problems"]:
            failures[f"{role} {path}"] = result["problems"]
        if result["status"] == 200 and result["html"]:  # a page, not a JSON or font route
            opened.setdefault(role, set()).add(path)
            if _slug(path) not in shot:
                shot.add(_slug(path))
                assert all(size > 2_000 for size in browser.screenshots(_slug(path))), path
        return result

    # Nobody logged in: the landing page, the docs, the public plate page, the login form.
    anonymous = ("/", "/officer/login", "/docs", "/redoc", "/ogc", f"/p/{quote(site.values['code'], safe='')}")
    as_anonymous = {path: _answer(site.base, path, {}) for path in anonymous}
    same_as_anonymous: dict[str, list[str]] = {}
    error_pages: dict[tuple[int, str], str] = {}  # an error page → the "role path" whose visit opened it
    same_error_page: dict[str, list[str]] = {}
    for path in anonymous:
        check("anonymous", path)
        if path == "/docs":
            assert browser.run(SWAGGER_DRAWN) > 20, "Swagger UI drew no operations"
        if path == "/redoc":
            assert browser.run(REDOC_DRAWN) > 20, "ReDoc drew no menu"
    for role in ROLES:
        landed = browser.log_in(site.base, role)
        assert urlsplit(landed).path == HOMES[role], (role, landed)
        cookies = {c["name"]: c["value"] for c in browser.send("Network.getCookies", urls=[site.base])["cookies"]}
        for template in site.templates:
            path = site.fill(template)
            if path is None or path.startswith(("/officer/login", "/static/")) or path in SCRIPTS:
                continue
            answer = _answer(site.base, path, cookies)
            if path in as_anonymous and answer == as_anonymous[path]:
                same_as_anonymous.setdefault(role, []).append(path)  # the page the anonymous walk opened
                continue
            error = _error_page(answer)
            if error in error_pages:
                same_error_page.setdefault(role, []).append(path)  # an error page opened already
                continue
            if check(role, path)["status"] == answer[0] and error is not None:
                error_pages[error] = f"{role} {path}"
        # The reports are API answers: the browser sends the role's bearer token, as a client would.
        browser.send("Network.setExtraHTTPHeaders", headers={"Authorization": f"Bearer {_token(site.base, role)}"})
        for path, who in site.reports.items():
            if who == role:
                assert check(role, path)["status"] == 200, path
        browser.send("Network.setExtraHTTPHeaders", headers={})
    assert {"/", "/docs", "/redoc", f"/p/{quote(site.values['code'], safe='')}"} <= opened["anonymous"]
    assert {"/officer/placenames", "/officer/plates", "/maps/district"} <= opened["placename_officer"]
    assert any(p.startswith("/field/campaigns/") for p in opened["boundary_inspector"])
    assert {"/maps/coverage", "/api/planning/report?format=html&k=1"} <= opened["planner"]
    assert {"/docs", "/redoc"} <= set(same_as_anonymous["planner"]), same_as_anonymous
    print("not opened (no value for a path parameter):", sorted(set(site.skipped)))
    print("answered as to anyone, opened once:", same_as_anonymous)
    print(f"error pages opened: {len(error_pages)}; the same error page again, not reopened:", same_error_page)
    assert any(path.startswith("/officer/") for path in same_error_page.get("planner", ())), same_error_page
    assert failures == {}, json.dumps(failures, ensure_ascii=False, indent=1)

