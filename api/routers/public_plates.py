"""The public door-plate page the QR code opens, its JSON, the problem report, and QR images.

The page is server-rendered (Jinja2, autoescaped; api/templates/public/), small and readable on a
phone without JavaScript; it shows no personal data; a forged or unknown code gets a clear page;
requests are rate-limited per client.

The public scans plates city-wide (#19): after the code is verified, the plate's district is found
(:func:`geo.store.districts.district_of`, nothing else of another district) and the plate is read,
and a report about it stored, through that district's store.
"""

from __future__ import annotations

import hashlib
import threading
import time
import unicodedata
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from api import csrf
from api.deps import ReadsDep, SettingsDep, StoreDep, client_address, needs_role
from api.geojson import answers_as
from api.pages import render_text
from api.ratelimit import TooManyRequests
from geo.addresses.views import store_district_name
from geo.errors import DomainError, InputError, NotFound
from geo.layers import ADMIN, PLACENAME_OFFICER
from geo.messages import Term, as_term, beijing_time, label, quoted, text
from geo.plates.codes import InvalidCode, plate_url
from geo.plates.decisions import last_successor, successor_of
from geo.plates.lookup import PlateView, stored_plate_view
from geo.plates.nearby import PUBLIC_LIMIT_M
from geo.plates.printed import check_in_use_for_production, plate_texts
from geo.plates.qr import qr_png, qr_svg
from geo.store import Store
from geo.store.districts import district_of
from maps.plate_print import plate_svg
from maps.webfont import mongolian_subset

router = APIRouter(tags=["door plates 智慧门牌"])
REPORT_KINDS = {"damaged_plate": "门牌损坏 Damaged plate",
                "wrong_info": "信息有误 Wrong information",
                "missing_plate": "门牌缺失 Missing plate", "other": "其他 Other"}


MAX_REPORT_CHARS = 500  # the report form's textarea has maxlength 500 too
REPEAT_WINDOW_S = 600.0  # the same report again within 10 minutes is the same report


class RecentReports:
    """Remember which reports were stored in the last ``window_s`` seconds, by client, plate and text.

    A report sent again (a double tap, a reload, a script) within the window is stored once; the
    sender is thanked either way. Only a digest of (client address, plate, kind, text) is kept, in
    memory, for the window: nothing about the sender reaches the database. Per process, like the
    rate limits (api/ratelimit.py).
    """

    def __init__(self, window_s: float, *, max_keys: int = 100_000):
        self.window_s, self.max_keys = window_s, max_keys
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(address: str, plate_uid: str, kind: str, message: str) -> str:
        """Return the digest that identifies a report: the text compared after NFKC, case and spacing."""
        text = " ".join(unicodedata.normalize("NFKC", message).casefold().split())
        return hashlib.sha256("\0".join((address, plate_uid, kind, text)).encode()).hexdigest()

    def first(self, key: str) -> bool:
        """Count ``key`` as stored now and return True, unless it was within the window (False)."""
        now = time.monotonic()
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None and now - seen <= self.window_s:
                return False
            if len(self._seen) >= self.max_keys:  # forget expired keys so memory stays bounded
                self._seen = {k: t for k, t in self._seen.items() if now - t <= self.window_s}
            self._seen[key] = now
            return True

    def forget(self, key: str) -> None:
        """Drop ``key`` (its report was not stored after all)."""
        with self._lock:
            self._seen.pop(key, None)


def _check_rate(request: Request) -> None:
    request.app.state.public_limiter.hit(client_address(request))


def _plate_store(store: Store, uid: str) -> Store:
    """Return the store of the district holding plate ``uid`` (the request's store over the same
    database), or raise the unknown plate's 404."""
    adcode = district_of(store, "plate", uid)
    if adcode is None:
        raise NotFound(text("lookup.no_plate"), field="code")
    return store.for_district(adcode)


def _lookup(request: Request, store: Store, code: str) -> tuple[PlateView, Store]:
    """Verify the code, find the plate's district, then answer from the plate's stored lookup: one
    indexed read, no search. Return the view and the plate's district's store."""
    uid = request.app.state.plate_signer.verify(code)
    view = stored_plate_view(store, uid)  # the request's district first: its own plates stay one read
    if view is not None:
        return view, store
    home = _plate_store(store, uid)  # another district's plate: the public scans plates city-wide
    view = stored_plate_view(home, uid) if home.adcode != store.adcode else None
    if view is None:
        raise NotFound(text("lookup.no_plate"), field="code")
    return view, home


def _services_note(view: PlateView) -> str | None:
    """Return the note the page shows while nearby services are stale or not yet computed, else None."""
    if not view.services_stale:
        return None
    if view.services_as_of is None:
        return text("lookup.services_pending")
    if view.services_computed_at is None:
        return text("lookup.services_updating")
    return text("lookup.services_updating_as_of",  # how old the answer shown is (review: it did not say)
                time=as_term(beijing_time(datetime.fromisoformat(view.services_computed_at))))


def _page(template: str, title: str, status: int = 200, *, mongolian: str | None = None,
          **context: Any) -> HTMLResponse:
    """Return a public page (api/templates/public/); ``mongolian``: the text its web font covers."""
    font_text = quote(mongolian, safe="") if mongolian else ""
    return HTMLResponse(render_text(template, title=title, font_text=font_text, **context),
                        status_code=status)


def _message(title: str, *lines: str, status: int = 200, heading: tuple[str, str] | None = None,
             back: str | None = None, warn: bool = True, bureau: str | None = None) -> HTMLResponse:
    """Return a public page holding one card: a heading (zh, en) and lines of text; ``bureau``: the name
    of the district whose civil-affairs bureau the page names (none when no plate is known)."""
    zh, en = heading or ("", "")
    return _page("public/message.html", title, status, heading_zh=zh, heading_en=en, lines=lines,
                 back=back, warn=warn, bureau=bureau)


def _minutes(value: float) -> str:
    return f"{value:g}"


def _page_reads(request: Request, store: Store, code: str) -> tuple[PlateView, str | None]:
    """Return the plate's view and, for a replaced plate, its successor's uid: every read of the page."""
    view, home = _lookup(request, store, code)
    return view, successor_of(home, view.plate_uid) if view.status == "replaced" else None


@router.get("/p/{code}", response_class=HTMLResponse, include_in_schema=False)
def public_page(code: str, request: Request, reads: ReadsDep) -> HTMLResponse:
    """The page a plate's QR code opens (read from the replica when it may serve it, api.deps.Reads)."""
    try:
        _check_rate(request)
        view, successor = reads.run(lambda store: _page_reads(request, store, code))
    except TooManyRequests as exc:
        return _message("请稍后再试", exc.message, status=exc.status)
    except (InvalidCode, NotFound) as exc:
        return _message("无法识别的门牌", exc.message,
                        "如门牌有误请拨打 12345 · call 12345 to report", status=exc.status,
                        heading=("无法识别的门牌", "Unknown plate"))
    return _page("public/plate.html", view.address_zh, mongolian=view.street_mong, view=view,
                 successor_code=request.app.state.plate_signer.code(successor) if successor else None,
                 services_note=_services_note(view), services_pending=view.services_as_of is None,
                 code=code, where=" · ".join(x for x in (view.community, view.subdistrict) if x),
                 kinds=REPORT_KINDS, limit_km=f"{PUBLIC_LIMIT_M / 1000:g}", num=_minutes)


@router.get("/fonts/mongolian.woff2", include_in_schema=False)
def mongolian_font(t: str, request: Request) -> Response:
    """Serve a subset of Noto Sans Mongolian (SIL OFL) for the Mongolian text ``t`` a page shows."""
    _check_rate(request)
    return Response(mongolian_subset(t), media_type="font/woff2",
                    headers={"Cache-Control": "public, max-age=604800"})


@router.get("/api/plates/lookup/{code}", summary="扫码查询 Door-plate lookup (JSON)")
def public_lookup(code: str, request: Request, reads: ReadsDep) -> dict[str, Any]:
    """Return what the public page shows, as JSON for apps (from the replica when it may serve it); a replaced
    plate's answer names its successor's code (``successor_code``, null otherwise), as its page links to it."""
    _check_rate(request)

    def answer(store: Store) -> dict[str, Any]:
        view, successor = _page_reads(request, store, code)
        signer = request.app.state.plate_signer
        return {**view.to_dict(), "successor_code": signer.code(successor) if successor else None}

    return reads.run(answer)


@router.post("/p/{code}/report", response_class=HTMLResponse, include_in_schema=False)
def public_report(code: str, request: Request, store: StoreDep, kind: Annotated[str, Form()],
                  message: Annotated[str, Form()] = "") -> HTMLResponse:
    """Store a problem report (no personal data), rate-limited per client and plate; the same report
    from the same client within 10 minutes is stored once (:class:`RecentReports`).

    No cookie is involved, so no CSRF token; but a report posted by another site's page (its
    visitors' browsers made to spam reports past the per-client limit) is refused by its Origin.

    The report is stored in the plate's own district (its officers' inbox); a code of no stored
    plate is refused with the page's 404.
    """
    if csrf.origin_refusal(request) is not None:
        return _message("未能提交", csrf.CROSS_SITE, status=403)
    try:
        _check_rate(request)
        uid = request.app.state.plate_signer.verify(code)
        home = _plate_store(store, uid)
        request.app.state.report_limiter.hit(f"{client_address(request)}:{uid}")
        if kind not in REPORT_KINDS:
            raise InputError(text("lookup.choose_kind", kinds=Term("、".join(REPORT_KINDS), ", ".join(REPORT_KINDS))),
                             field="kind")
        if len(message) > MAX_REPORT_CHARS:
            raise InputError(text("lookup.message_too_long", limit=MAX_REPORT_CHARS), field="message")
        recent: RecentReports = request.app.state.recent_reports
        key = recent.key(client_address(request), uid, kind, message)
        if recent.first(key):  # the same report again within the window is thanked, not stored twice
            try:
                home.insert("problem_reports",
                             [{"plate_uid": uid, "kind": kind, "message": message.strip() or None}],
                             actor="public")
            except BaseException:
                recent.forget(key)
                raise
    except DomainError as exc:
        return _message("未能提交", exc.message, status=exc.status)
    bureau = store_district_name(home)  # the plate's district's bureau thanks the resident
    return _message("已收到", heading=("谢谢，已收到您的报告",
                                       "Thank you, your report has been received."),
                    back=f"/p/{quote(code, safe='')}", warn=False, bureau=bureau)


PLATE_EDITORS = {ADMIN, PLACENAME_OFFICER}
Printer = Annotated[dict[str, Any], Depends(needs_role(PLATE_EDITORS, "printable plates"))]


@router.get("/api/plates/{plate_uid}/plate.svg", responses=answers_as("image/svg+xml"),
            summary="门牌版面 Printable plate (SVG)")
def plate_face(plate_uid: str, store: StoreDep, settings: SettingsDep,
               user: Printer,
               request: Request, proof: bool = False) -> Response:
    """Return the printable plate (270 x 170 mm); production needs the Mongolian name (SG-01) and a plate in use."""
    rows = store.select("door_plates", where={"plate_uid": plate_uid})
    if not rows:
        raise NotFound(text("plates.not_found", uid=quoted(plate_uid)), field="plate_uid")
    if not proof:
        check_in_use_for_production(rows[0], successor_uid=last_successor(store, plate_uid)
                                    if rows[0]["status"] == "replaced" else None)
    (printed,) = plate_texts(store, rows, signer=request.app.state.plate_signer,
                             base_url=settings.public_base_url)
    return Response(plate_svg(printed, proof=proof), media_type="image/svg+xml")


@router.get("/api/plates/{plate_uid}/qr.{fmt}", responses=answers_as("image/svg+xml", "image/png"),
            summary="门牌二维码 QR image of a plate (SVG or PNG)")
def plate_qr(plate_uid: str, fmt: str, store: StoreDep, settings: SettingsDep,
             user: Annotated[dict[str, Any], Depends(needs_role(PLATE_EDITORS, "plate QR codes"))],
             request: Request) -> Response:
    """Return the QR code carrying the plate's signed short URL."""
    if not store.count("door_plates", where={"plate_uid": plate_uid}):
        raise NotFound(text("plates.not_found", uid=quoted(plate_uid)), field="plate_uid")
    url = plate_url(settings.public_base_url, request.app.state.plate_signer.code(plate_uid))
    if fmt == "svg":
        return Response(qr_svg(url), media_type="image/svg+xml")
    if fmt == "png":
        return Response(qr_png(url), media_type="image/png")
    raise InputError(text("http.choice", field=label("fmt"), allowed=Term("svg、png", "svg, png")), field="fmt")

