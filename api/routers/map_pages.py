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

import threading
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from api.cache import cached_run
from api.deps import StoreDep
from api.map_data import (
    DISTRICT_LAYERS,
    MARKER_LAYERS,
    VIEW_LAYERS,
    VIEW_TABLES,
    LayerCache,
    district_layers,
    marker_condition_data,
    view_data,
)
from api.pages import SessionCookie, csp_nonce, page, session_user
from geo.errors import NotAuthenticated, NotFound
from geo.layers import ADMIN, INSPECTORS, OFFICERS, PLANNER, ROLES
from geo.messages import text
from geo.planning.coverage import ELDER_CARE_KINDS, WalkParams, service_areas
from maps.campaign_report import condition_map
from maps.csp import new_nonce, page_html, swap_nonce
from maps.district_map import district_map
from maps.report import report_html
from maps.view_data import features_in_view, parse_view

DATA_URL = "/maps/data"
_NEW_CACHE = threading.Lock()

router = APIRouter(prefix="/maps", include_in_schema=False)

PAGES = {  # path → (title zh, title en, roles)
    "district": ("新城区地图", "District map", frozenset(ROLES)),
    "coverage": ("一刻钟养老服务覆盖与规划指标", "15-minute coverage and plan indicators",
                 frozenset({ADMIN, PLANNER})),
    "markers": ("界桩状况图", "Boundary markers by condition", INSPECTORS | OFFICERS),
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

    if tables is None:
        document, private = request.app.state.cache.get(store, ("map_page", key), built)
    else:
        document, private = layer_cache(request).get(store, ("map_page", key), tables, built)
    return HTMLResponse(swap_nonce(document, private, csp_nonce(request)))


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
    return _serve(request, store, xc_token, "district",
                  lambda nonce: page_html(district_map(district_layers(store), basemap=basemap,
                                                     data_url=DATA_URL), nonce), tables=DISTRICT_LAYERS)


@router.get("/coverage")
def coverage(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Coverage by door plate, service areas, communities by floor area, the plan's indicators."""
    basemap = request.app.state.settings.basemap

    def build(nonce: str) -> str:
        run = cached_run(request.app.state.cache, store, WalkParams(), ELDER_CARE_KINDS)
        return report_html(run, areas=service_areas(run.network, run.care_facilities, run.params),
                           basemap=basemap, nonce=nonce)

    return _serve(request, store, xc_token, "coverage", build)


@router.get("/markers")
def markers(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Every active marker coloured by its latest recorded condition."""
    basemap = request.app.state.settings.basemap
    return _serve(request, store, xc_token, "markers",
                  lambda nonce: page_html(condition_map(*marker_condition_data(store), basemap=basemap),
                                          nonce), tables=MARKER_LAYERS)
