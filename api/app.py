"""The application factory: settings in, app out; the store opens in the lifespan, with the refresher
of the stored plate lookups beside it."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import errors
from api.cache import DataCache
from api.deps import PageRoleRefused
from api.errors import ERROR_RESPONSES
from api.head import HeadMiddleware
from api.headers import SecurityHeadersMiddleware
from api.import_places import ImportSlots
from api.limits import BodyLimitMiddleware
from api.observability import Metrics, ObservabilityMiddleware, configure_logging
from api.pages import forbidden_page
from api.ratelimit import LoginThrottle, RateLimiter
from api.routers import (
    address_pages,
    audit,
    auth,
    boundary_cases,
    boundary_compare,
    cemeteries,
    division_pages,
    divisions,
    docs_pages,
    field_pages,
    health,
    heritage_pages,
    home,
    inspections,
    layers,
    login_pages,
    map_pages,
    officer_pages,
    ogc,
    place_codes,
    placenames,
    planning,
    planning_history,
    planning_whatif,
    plates,
    public_plates,
    reports,
    standard_addresses,
    street_signs,
    users,
)
from api.settings import Settings
from api.upload_names import UploadNameMiddleware
from api.write_marks import WriteMarkMiddleware, WriteMarks, mark_ttl_s
from geo.plates.codes import PlateSigner
from geo.plates.lookup_table import LookupRefresher
from geo.store import Store
from geo.store.replica import ReadRouter
from maps.offline import LEAFLET_DIR


def create_app(settings: Settings | None = None, *, own_process: bool = False) -> FastAPI:
    """Return the service for ``settings`` (default: from the environment).

    ``own_process``: the app is the process's one and lasts as long as it (``xincheng serve``); once started it
    keeps what is loaded by then out of the garbage collector's full collections (:func:`gc.freeze`), which would
    otherwise walk every one of those ~430,000 objects and stop every request of the worker meanwhile (151 ms
    measured under lookups, 210–520 ms after officer and planning traffic; see the README). Not for an app
    among others in one process (the tests): what is frozen is freed only by reference counting, never as a
    cycle.
    """
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A pool that keeps its connections (geo.store.store.pool_options): a busy worker does not open and
        # close one per request.
        store = Store.open(settings.database_url, adcode=settings.district, connections=settings.database_connections)
        app.state.store = store
        # Public reads go to the read replica, when one is configured and keeps up (#19).
        app.state.reads = ReadRouter.open(store, settings.replica_url, max_lag_s=settings.replica_max_lag_s,
                                          connections=settings.database_connections)
        # Keeps the stored public plate lookups current (one refresher at a time across workers).
        refresher = LookupRefresher(store).start()
        if own_process:  # what is loaded by now lives as long as the worker: out of the full collections
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            refresher.stop()
            app.state.reads.close()
            store.close()

    app = FastAPI(
        title="新城区民政地理信息服务 Xincheng civil-affairs GIS service",
        description="地名、界线界桩、智慧门牌与一刻钟养老服务覆盖 — place names, boundary markers, "
                    "smart door plates and 15-minute elder-care coverage for Xincheng District, Hohhot.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc are served with bundled assets (api/routers/docs_pages.py)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.cache = DataCache()
    app.state.plate_signer = PlateSigner.from_setting(settings.qr_keys, fallback_secret=settings.secret_key)
    app.state.public_limiter = RateLimiter(settings.public_rate_per_minute, 60.0)
    app.state.report_limiter = RateLimiter(settings.report_rate_per_hour, 3600.0)
    app.state.login_throttle = LoginThrottle(settings.login_max_failures, settings.login_window_minutes * 60.0)
    app.state.recent_reports = public_plates.RecentReports(public_plates.REPEAT_WINDOW_S)
    app.state.import_slots = ImportSlots(settings.max_concurrent_imports,
                                         stall_s=settings.upload_stall_seconds)  # taken after login
    app.state.write_marks = WriteMarks(mark_ttl_s(settings.replica_max_lag_s))  # read-your-writes (api/write_marks.py)
    errors.install(app)
    app.add_exception_handler(PageRoleRefused, forbidden_page)  # the 403 page, not JSON
    app.state.metrics = Metrics()
    app.add_middleware(HeadMiddleware)  # innermost: HEAD runs the GET route; the log still says HEAD
    app.add_middleware(WriteMarkMiddleware, cookie_secure=settings.cookie_secure)  # no-op without a replica
    app.add_middleware(UploadNameMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_request_bytes=settings.max_request_bytes,
                       max_upload_bytes=settings.max_upload_bytes, stall_s=settings.upload_stall_seconds,
                       min_bytes_per_s=settings.upload_min_bytes_per_second,
                       max_s=settings.upload_max_seconds)
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics)  # sees every reply
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: on every reply, 500s included
    configure_logging(settings.log_level)
    # A request's route is found by trying the routes in the order they are included: the health check and the
    # public scans (door plates, standard addresses, street signs), the busiest requests, come first, not behind
    # ~200 officer routes (matching /a/{code} took 415 µs there, /api/plates/lookup/{code} 125 µs; 14-39 µs
    # here). No path and method is answered by routes of two routers (tests/test_route_order.py): the order
    # decides speed only.
    public = (health.router, public_plates.router, standard_addresses.router)
    public_pages = (standard_addresses.page_router, street_signs.page_router)  # the /a/ and /s/ pages of a QR code
    documented = (auth.router, users.router, layers.router, placenames.router,
                  planning.router, planning_history.router, planning_whatif.router,
                  audit.router, placenames.export_router, placenames.address_router,
                  plates.router, plates.decision_router, inspections.router, inspections.markers_router, ogc.router,
                  reports.router, cemeteries.router, boundary_cases.router, boundary_cases.repairs_router,
                  boundary_cases.lines_router, boundary_cases.attachments_router, boundary_compare.router,
                  street_signs.router, divisions.router, place_codes.router)
    pages = (home.router, docs_pages.router, login_pages.router, officer_pages.router,
             field_pages.router, map_pages.router, planning_whatif.page_router,
             divisions.page_router, place_codes.page_router,
             address_pages.router, heritage_pages.router, division_pages.router)
    for routers, in_schema in ((public, True), (public_pages, False), (documented, True), (pages, False)):
        for router in routers:  # every error answer of the API is in the OpenAPI schema, in the one shape
            app.include_router(router, **({"responses": ERROR_RESPONSES} if in_schema else {}))
    # Bundled browser libraries, served by the service itself: pages work with no internet.
    app.mount("/static/leaflet", StaticFiles(directory=LEAFLET_DIR), name="leaflet")
    app.mount(docs_pages.STATIC_PATH, StaticFiles(directory=docs_pages.STATIC_DIR), name="docs-assets")
    return app


def serving_app() -> FastAPI:
    """Return the app of one ``xincheng serve`` worker process (uvicorn's factory, settings from the environment)."""
    return create_app(own_process=True)
