"""Map pages behind the officers' login (cookie session): district, coverage, markers by condition.

Each page is a self-contained folium map (Leaflet inlined, no CDN); tiles only when a basemap is
configured. The district and markers pages are built once and kept until a table they draw
changes (api/map_data.py's :class:`LayerCache`, apart from the planning runs' cache); the coverage
page follows its planning run, per data version. The district map's big layers (streets, door
plates) are not in the page: its script fetches them for the view from ``/maps/data/<layer>``
(same login), answered in bounded GeoJSON from a layer prepared once per change of its table. Stored
text reaches a map only HTML-escaped and inside JSON that cannot close its script
(maps/layers.py), or as text set with ``textContent`` (maps/view.py); the index is a Jinja2
template.

A cached page is built with a private nonce of its own (maps/csp.py) on the scripts and styles the
map writes, and every response swaps in its own nonce, the one its Content-Security-Policy names
(api/headers.py): the page's scripts run, nothing else on it does.
"""

from __future__ import annotations

import re
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from api import csrf
from api.cache import cached_run
from api.deps import StoreDep
from api.map_data import (
    DISTRICT_LAYERS,
    MARKER_LAYERS,
    VIEW_LAYERS,
    VIEW_TABLES,
    LayerCache,
    district_ban_zones,
    district_layers,
    marker_condition_data,
    view_data,
)
from api.pages import (
    SessionCookie,
    cannot_draw_page,
    csp_nonce,
    message_page,
    nav_links,
    page,
    page_access,
    render_text,
    session_user,
)
from api.siting_slot import report_siting
from geo.errors import DomainError, NotAuthenticated, NotFound
from geo.layers import ADMIN, INSPECTORS, OFFICERS, PLANNER, ROLES
from geo.messages import catalogue, label, text
from geo.planning.coverage import ELDER_CARE_KINDS, WalkParams, service_areas
from geo.planning.report_sections import report_sections
from maps.campaign_report import REPORT_FORMATS, campaign_report_file, condition_map
from maps.csp import new_nonce, page_html, swap_nonce
from maps.district_map import district_map
from maps.report import report_html, write_report_xlsx
from maps.view_data import features_in_view, parse_view

DATA_URL = "/maps/data"
COVERAGE_REPORT = "/maps/coverage/report"
REPORT_FILES = ("html", "xlsx")  # the planning report's
_BODY = re.compile(r"<body[^>]*>")
_NEW_CACHE = threading.Lock()

router = APIRouter(prefix="/maps", include_in_schema=False)

PAGES = {  # path → (title zh, title en, roles)
    "district": ("新城区地图", "District map", frozenset(ROLES)),
    "coverage": ("一刻钟养老服务覆盖与规划指标", "15-minute coverage and plan indicators",
                 frozenset({ADMIN, PLANNER})),
    "markers": ("界桩状况图", "Boundary markers by condition", INSPECTORS | OFFICERS),
    "whatif": ("即时推演：拖动候选站点看新增覆盖", "Instant what-if: drag a candidate station",
               frozenset({ADMIN, PLANNER})),
}


def _session(request: Request, store, token: str | None, key: str) -> dict[str, Any] | Response:
    """Return the logged-in user allowed to see page ``key``, or the login redirect; a user of
    another role gets the one 403 page, 无权访问 (api.pages.forbidden_page)."""
    user = session_user(store, token, PAGES[key][2])
    if user is None:
        return RedirectResponse(f"/officer/login?next={quote(str(request.url.path))}",
                                status_code=303)
    return user


def layer_cache(request: Request) -> LayerCache:
    """Return the app's cache of prepared map layers and pages (made on first use)."""
    with _NEW_CACHE:
        cache = getattr(request.app.state, "map_layers", None)
        if cache is None:
            cache = request.app.state.map_layers = LayerCache()
    return cache


def coverage_report_links() -> list[tuple[str, str, str]]:
    """Return the planner's report links ``(path, zh, en)``: the page routes below (login cookie)."""
    return [(f"{COVERAGE_REPORT}?format={fmt}", *_both(f"map_nav.report.{fmt}")) for fmt in REPORT_FILES]


def campaign_report_links(campaign_id: int) -> list[tuple[str, str, str]]:
    """Return a campaign's report links ``(path, zh, en)`` (HTML, XLSX, archive ZIP) for its page."""
    return [(f"/maps/campaigns/{campaign_id}/report?format={fmt}", *_both(f"map_nav.campaign.{fmt}"))
            for fmt in REPORT_FORMATS]


def _both(key: str) -> tuple[str, str]:
    message = catalogue()[key]
    return message.zh, message.en


def with_nav(request: Request, document: str, user: dict[str, Any], *, inline: bool = False,
             reports: Sequence[tuple[str, str, str]] = ()) -> HTMLResponse:
    """Return the page ``document`` with the map navigation first in its body (home, the role's
    pages, ``reports``, log out; api/templates/home/map_nav.html): fixed beside the zoom buttons
    on a full-screen map, at the top of the text with ``inline`` (the coverage report)."""
    labels = {name.rsplit(".", 1)[1]: catalogue()[name] for name in
              ("map_nav.label", "map_nav.home", "map_nav.menu", "map_nav.logout")}
    token = csrf.form_token(request)
    nav = render_text("home/map_nav.html", labels=labels, links=nav_links(request, user), user=user,
                      reports=list(reports), inline=inline, csrf_field=csrf.FIELD, csrf_token=token,
                      csp_nonce=csp_nonce(request))
    body = _BODY.search(document)
    at = body.end() if body else 0
    response = HTMLResponse(document[:at] + nav + document[at:])
    csrf.remember_nonce(request, response)
    return response


def _serve(request: Request, store, token: str | None, key: str,
           build: Callable[[str], str], *, tables: Sequence[str] | None = None) -> Response:
    """Return the page for an allowed user, built once; else the login or 403. With ``tables``
    it is kept until one of them changes (:func:`layer_cache`), else once per data version.

    ``build(nonce)`` returns the page with ``nonce`` on its own scripts; the cached page keeps the
    private nonce it was built with, and each response gets its own in its place.
    """
    user = _session(request, store, token, key)
    if isinstance(user, Response):
        return user

    def built() -> tuple[str, str]:
        private = new_nonce()
        return build(private), private

    try:
        if tables is None:
            document, private = request.app.state.cache.get(store, ("map_page", key), built)
        else:
            document, private = layer_cache(request).get(store, ("map_page", key), tables, built)
    except DomainError as exc:  # e.g. a layer the map needs is not loaded yet: say which, on a page
        return cannot_draw_page(request, user, exc)
    coverage = key == "coverage"
    return with_nav(request, swap_nonce(document, private, csp_nonce(request)), user, inline=coverage,
                    reports=coverage_report_links() if coverage else ())


@router.get("/data/{layer}")
def view_features(request: Request, store: StoreDep, layer: str, bbox: str, zoom: int = 12,
                  xc_token: SessionCookie = None) -> Response:
    """The features of a big layer of the district map in one view (``bbox`` west,south,east,north
    in degrees; ``zoom`` the map's): bounded, simplified, points grouped when many (maps/view_data.py).
    The district map's login and roles; the layer is prepared once per change of its table."""
    user = _session(request, store, xc_token, "district")
    if isinstance(user, Response):
        raise NotAuthenticated(text("maps.data.login"))
    if layer not in VIEW_LAYERS:
        raise NotFound(text("maps.data.layer", layer=layer, choices=", ".join(VIEW_LAYERS)), field="layer")
    box, zoom = parse_view(bbox, zoom)
    prepared = layer_cache(request).get(store, ("map_view", layer), VIEW_TABLES[layer],
                                        lambda: view_data(store, layer))
    return JSONResponse(features_in_view(prepared, box, zoom=zoom),
                        media_type="application/geo+json")


@router.get("")
def index(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """List the maps this user may open."""
    user = _session(request, store, xc_token, "district")
    if isinstance(user, Response):
        return user
    pages = [(key, zh, en) for key, (zh, en, roles) in PAGES.items() if user["role"] in roles]
    return page(request, "maps/index.html", "地图", "Maps", user=user, pages=pages)


@router.get("/district")
def district(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """The district with toggleable layers: units, streets, railways, rivers, facilities, markers,
    plates."""
    basemap = request.app.state.settings.basemap

    def build(nonce: str) -> str:
        layers = district_layers(store)
        return page_html(district_map(layers, basemap=basemap, data_url=DATA_URL,
                                      ban_zones=district_ban_zones(layers)), nonce)

    return _serve(request, store, xc_token, "district", build, tables=DISTRICT_LAYERS)


@router.get("/coverage")
def coverage(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Coverage by door plate, service areas, communities by floor area, the plan's indicators."""
    basemap = request.app.state.settings.basemap

    def build(nonce: str) -> str:
        run = cached_run(request.app.state.cache, store, WalkParams(), ELDER_CARE_KINDS)
        return report_html(run, areas=service_areas(run.network, run.care_facilities, run.params),
                           basemap=basemap, nonce=nonce, cemetery=False)

    return _serve(request, store, xc_token, "coverage", build)


@router.get("/markers")
def markers(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Every active marker coloured by its latest recorded condition."""
    basemap = request.app.state.settings.basemap
    return _serve(request, store, xc_token, "markers",
                  lambda nonce: page_html(condition_map(*marker_condition_data(store), basemap=basemap),
                                          nonce), tables=MARKER_LAYERS)


def _format(request: Request, user: dict[str, Any], fmt: str, allowed: Sequence[str]) -> Response | None:
    """Return the 400 page naming the formats when ``fmt`` is not one of ``allowed``, else None."""
    if fmt in allowed:
        return None
    return message_page(request, "网址有误", "Bad address", user=user, status=400,
                        error=text("common.choice", field=label("format"), value=fmt, allowed=", ".join(allowed)))


@router.get("/coverage/report")
def coverage_report(request: Request, store: StoreDep, xc_token: SessionCookie = None, format: str = "html",
                    k: Annotated[int, Query(ge=0, le=50)] = 5) -> Response:
    """The planning report for a planner's browser (the login cookie, not a bearer token): the page
    with maps (``format=html``) or its tables as a workbook (``xlsx``), with ``k`` suggested new
    stations; the same report as GET /api/planning/report. One path with ``format`` (not one path per
    file type), so the pages' walk opens the page and never a download."""
    user = page_access(request, store, xc_token, PAGES["coverage"][2])
    if isinstance(user, Response):
        return user
    refused = _format(request, user, format, REPORT_FILES)
    if refused is not None:
        return refused
    try:
        run = cached_run(request.app.state.cache, store, WalkParams(), ELDER_CARE_KINDS)
    except DomainError as exc:
        return cannot_draw_page(request, user, exc)
    siting, sites = report_siting(run, k=k)
    sections = report_sections(store)  # 指标历史 and 四同步, as the API's and the command's report have them
    if format == "html":
        document = report_html(run, sites=sites, siting=siting, basemap=request.app.state.settings.basemap,
                               nonce=csp_nonce(request), history=sections.history, estates=sections.estates)
        return with_nav(request, document, user, inline=True)
    tmp = tempfile.TemporaryDirectory()
    path = write_report_xlsx(run, Path(tmp.name) / "plan_report.xlsx", siting=siting, sites=sites,
                             history=sections.history, estates=sections.estates)
    return FileResponse(path, filename=path.name, background=BackgroundTask(tmp.cleanup),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@router.get("/campaigns/{campaign_id}/report")
def campaign_report(request: Request, store: StoreDep, campaign_id: int, xc_token: SessionCookie = None,
                    format: str = "html") -> Response:
    """A campaign's report for an inspector's browser (the login cookie): the page (``format=html``:
    summary per line, repair list, map), the workbook (``xlsx``) or the archive package (``zip``);
    the same files as GET /api/inspections/campaigns/{id}/report.{html,xlsx,zip}."""
    user = page_access(request, store, xc_token, INSPECTORS)
    if isinstance(user, Response):
        return user
    refused = _format(request, user, format, REPORT_FORMATS)
    if refused is not None:
        return refused
    content, media_type, filename = campaign_report_file(store, campaign_id, format)
    if format == "html":
        return with_nav(request, content.decode("utf-8"), user, inline=True)
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
