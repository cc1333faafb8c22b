"""The mobile pages boundary teams use in the field: their campaigns, a campaign's markers, the record form.

Server-rendered from Jinja2 templates (api/templates/field/) with autoescape. The campaign page lists
the campaign's markers with their state; its own script (with the CSP nonce) sorts them by distance
and bearing from the phone as it moves; positions are never sent anywhere. The record form averages
the phone's fixes, shows the way to the registered position, and warns before sending when the fix is
worse than the campaign requires (the service refuses such a record). The form carries a client id
made when the page was served, so sending it twice (a bad connection, a double tap) stores one record,
and a CSRF token (api/csrf.py). A refused record shows the form again with what was typed and the
reason, Chinese first; after a record the page offers the next marker.

Offline first (the Daqing mountains often have no signal): a service worker (``/field/sw.js``, scope
``/field``) keeps the pages a campaign needs, network first with the cache as fallback, and never
caches a POST. The form's script writes each record (photo as a Blob, a client id made when it is
first saved) into an IndexedDB queue before any network attempt and sends the queue, one record at a
time, to ``…/queued`` (JSON answers) with a CSRF token fetched at that moment from ``/field/session``;
the same client id twice stores one record. A record's position says where it came from: the phone,
an external GNSS receiver's typed coordinates, its pasted NMEA sentences (parsed again in geo), or
coordinates typed by hand.
"""

from __future__ import annotations

import base64
import math
import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import FormData

from api import csrf
from api.deps import StoreDep
from api.limits import megabytes
from api.pages import (
    Draft,
    SessionCookie,
    User,
    bad_address,
    expired_form,
    login_redirect,
    message_page,
    page,
    posted_draft,
    refuse_forgery,
    render_text,
    session_user,
    whole_number,
)
from geo.boundaries.campaign_progress import (
    CampaignProgress,
    MarkerProgress,
    campaign_marker,
    campaign_progress,
    distance_m,
    list_campaigns,
    next_marker,
)
from geo.boundaries.inspections import ACTIONS, CONDITIONS, MAX_PHOTO_BYTES, POSITION_SOURCES, submit
from geo.boundaries.nmea import ACCURACY_FLOOR_M, FIX_QUALITY
from geo.boundaries.reference_objects import reference_objects
from geo.errors import DomainError, NotFound
from geo.layers import INSPECTORS
from geo.messages import Term, beijing_minute, en, label, text, value_label, zh

_NO_TIME = datetime.min.replace(tzinfo=UTC)  # compared with no moment: records without a time sort first anyway
router = APIRouter(prefix="/field", tags=["field pages 外业页面"], include_in_schema=False)
_CJK = re.compile(r"[\u4e00-\u9fff]")
# A refused record's reason, by the field the service named (its own text when it is already Chinese).
# The phone checks the photo before sending (and shrinks a large JPEG): at most the record's photo
# limit, and what the form's other fields and the multipart framing leave of the request limit.
PHOTO_FORM_MARGIN_BYTES = 64 * 1024
_TYPED = ("condition", "action", "remarks", "lon", "lat", "accuracy", "fixes", "position_source", "nmea", "crs",
          "observed_at")
_REASON = {"condition": "field.bad_condition", "action": "field.bad_action", "photo": "field.bad_photo",
           "observed_at": "field.bad_clock", "client_id": "field.duplicate"}
_POSITION_CRS = ("EPSG:4326", "EPSG:4490", "EPSG:4546")  # lon/lat from a receiver, or N/E in the 3° zone


def _labels(prefix: str, codes: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """Return (code, Chinese, English) per code of a choice list: the option shows both, sends the code."""
    return [(c, zh(f"field.{prefix}_{c}"), en(f"field.{prefix}_{c}")) for c in codes]


def _state_label(m: MarkerProgress) -> str:
    """Return what a marker's state reads as: 未检查, or 已检查：损坏 (and 已移位), or 记录有分歧."""
    label = zh(f"field.state_{m.state}")
    if m.condition:
        label += f"：{zh(f'field.condition_{m.condition}')}"
    if m.classification == "displaced" and m.condition != "displaced":
        label += f"，{zh('field.judged_displaced')}"
    return label


def _not_found(request: Request, user: User, exc: NotFound) -> Response:
    return message_page(request, "未找到", "Not found", user=user, error=exc.message, status=404)


def _reason(exc: DomainError | ValueError, progress: CampaignProgress, accuracy: str, *, source: str = "") -> str:
    """Return why a record was refused, Chinese first, from the field the service named.

    An accuracy refusal reads as the phone's "wait for a better fix" only when the accuracy is a real
    number worse than the campaign requires; "nan", "-1" or an NMEA claim better than its fix quality
    allows get the service's own reason, which names the field."""
    field = getattr(exc, "field", None)
    detail = getattr(exc, "message", str(exc))
    if field == "gnss_accuracy_m":
        if not accuracy.strip() and source != "nmea":
            return text("field.no_fix")
        try:
            value = float(accuracy)
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value > progress.required_accuracy_m:
            return text("field.accuracy_worse", accuracy_m=f"{value:g}",
                        required_m=f"{progress.required_accuracy_m:g}")
        return detail
    if field == "campaign_id" and not progress.is_open:
        return text("field.campaign_closed", status=progress.status)
    if _CJK.search(detail):
        return detail
    if field == "position":
        return text("field.bad_position", detail=detail)
    if field in _REASON:
        return text(_REASON[field])
    return text("field.other", detail=detail)


@router.get("")
@router.get("/campaigns")
def campaigns(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """The inspector's start page: every campaign, open ones first, with how many markers have a record."""
    user = session_user(store, xc_token, INSPECTORS)
    if user is None:
        return login_redirect(request)
    return page(request, "field/campaigns.html", "联检任务", "Inspection campaigns", user=user,
                campaigns=list_campaigns(store))


@router.get("/campaigns/{campaign_id}")
def campaign_page(request: Request, campaign_id: int, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """A campaign's markers with their state, nearest first once the phone has a position."""
    user = session_user(store, xc_token, INSPECTORS)
    if user is None:
        return login_redirect(request)
    try:
        progress = campaign_progress(store, campaign_id)
    except NotFound as exc:
        return _not_found(request, user, exc)
    rows = [{"no": m.marker_no, "lon": m.lon, "lat": m.lat, "state": m.state} for m in progress.markers]
    return page(request, "field/campaign.html", progress.name, "Inspection campaign", user=user,
                progress=progress, rows=rows, state_label=_state_label,
                campaign_status=(zh(f"field.campaign_{progress.status}"), en(f"field.campaign_{progress.status}")),
                report_labels={fmt: (zh(f"map_nav.campaign.{fmt}"), en(f"map_nav.campaign.{fmt}"))
                               for fmt in ("html", "xlsx", "zip")})


def _form(request: Request, user: User, progress: CampaignProgress, marker: MarkerProgress, *,
          values: dict[str, Any], client_id: str, error: str | None = None, status: int = 200,
          draft: Draft | None = None, records: list[dict[str, Any]] | None = None,
          survey: dict[str, Any] | None = None) -> Response:
    request_limit = request.app.state.settings.max_request_bytes
    limit_bytes = min(MAX_PHOTO_BYTES, max(0, request_limit - PHOTO_FORM_MARGIN_BYTES))
    return page(request, "field/marker.html", "界桩检查", "Marker inspection", user=user, status=status,
                error=error, progress=progress, marker=marker, values=values, client_id=client_id, draft=draft,
                survey=survey,
                records=records or [], sources=[(c, zh(f"field_offline.source_{c}"), en(f"field_offline.source_{c}"))
                                                for c in POSITION_SOURCES],
                photo_limit={"bytes": limit_bytes, "limit_mb": megabytes(limit_bytes),
                             "too_large": [zh("forms.photo_too_large", size_mb="{s}", limit_mb="{l}"),
                                           en("forms.photo_too_large", size_mb="{s}", limit_mb="{l}")],
                             "shrunk": [zh("forms.photo_shrunk", size_mb="{s}", new_mb="{n}"),
                                        en("forms.photo_shrunk", size_mb="{s}", new_mb="{n}")]},
                conditions=_labels("condition", CONDITIONS), actions=_labels("action", ACTIONS),
                warn_template={"zh": zh("field.accuracy_worse", accuracy_m="{a}", required_m="{r}"),
                               "en": en("field.accuracy_worse", accuracy_m="{a}", required_m="{r}"),
                               "no_fix": text("field.no_fix"),
                               "not_number": text("field_offline.accuracy_number", field=label("gnss_accuracy_m"),
                                                  value="{v}"),
                               "floor": text("field_offline.accuracy_below_floor", field=label("gnss_accuracy_m"),
                                             accuracy="{a}", quality="{q}", quality_name=Term("{qz}", "{qe}"),
                                             hdop="{h}", floor="{f}")},
                nmea_floor={q: {"m": m, "hdop": scaled, "zh": FIX_QUALITY[q][0], "en": FIX_QUALITY[q][1]}
                            for q, (m, scaled) in ACCURACY_FLOOR_M.items()})


@router.get("/campaigns/{campaign_id}/markers/{marker_no}")
def marker_form(request: Request, campaign_id: int, marker_no: str, store: StoreDep,
                xc_token: SessionCookie = None) -> Response:
    """The record form for one marker of a campaign: guidance to it, condition, action, photo, notes.

    A record posted after the session expired comes back as typed, with its client id (so it is still
    stored once); the phone's position is measured afresh."""
    user = session_user(store, xc_token, INSPECTORS)
    if user is None:
        return login_redirect(request)
    try:
        progress, marker = campaign_marker(store, campaign_id, marker_no)
    except NotFound as exc:
        return _not_found(request, user, exc)
    draft = posted_draft(request)
    kept = draft.for_form(request.url.path) if draft else {}
    return _form(request, user, progress, marker, values={k: kept.get(k, "") for k in _TYPED}, draft=draft,
                 client_id=kept.get("client_id") or uuid.uuid4().hex, records=_marker_records(store, progress, marker),
                 survey=_survey(store, marker.marker_no))


def _survey(store: StoreDep, marker_no: str) -> dict[str, Any] | None:
    """What the marker's registration says that helps to find and judge it in the field: its type and
    managing side, its surveyed height, where its coordinates came from, and its reference objects."""
    found = store.select("boundary_markers", where={"marker_no": marker_no}, limit=1)
    if not found:
        return None
    m = found[0]
    return {"type": value_label(m["marker_type"]) if m.get("marker_type") else None,
            "managing_adcode": m.get("managing_adcode"), "elevation_m": m.get("elevation_m"),
            "coordinate_source": m.get("coordinate_source"), "references": reference_objects(store, marker_no)}


def _marker_records(store: StoreDep, progress: CampaignProgress, marker: MarkerProgress) -> list[dict[str, Any]]:
    """This campaign's records of the marker, oldest first by when each was observed (records queued offline
    arrive late: their ids do not say the order of the visits), each with that time in Beijing time, so an
    inspector can tell today's record from an earlier visit's, and where its position came from. A record
    with no time (a restore may hold one) is listed first, its time shown as "—"."""
    ids = [m["id"] for m in store.select("boundary_markers", where={"marker_no": marker.marker_no})]
    if not ids:
        return []
    rows = store.select("inspections", where={"campaign_id": progress.campaign_id, "marker_id": ids})
    return [{"id": r["id"], "observed": beijing_minute(r["observed_at"]) if r["observed_at"] else "—",
             "inspector": r["inspector"], "condition": zh(f"field.condition_{r['condition']}"),
             "displacement_m": r.get("displacement_m"), "accuracy_m": r["gnss_accuracy_m"], "source": _source_label(r)}
            for r in sorted(rows, key=lambda r: (r["observed_at"] is not None, r["observed_at"] or _NO_TIME, r["id"]))]


def _typed(form: FormData) -> dict[str, str]:
    """Return what the inspector typed or the page filled in, to show the form again unchanged."""
    return {k: str(form.get(k) or "") for k in _TYPED}


async def _record_data(form: FormData, campaign_no: int, marker_no: str) -> tuple[dict[str, Any], dict[str, str], bool]:
    """Return (the record for :func:`submit`, what was typed, whether a photo came) from a posted form.

    The same fields whether the form was posted by the browser or sent later from the queue; the
    queue adds when the record was made (``observed_at``) and where its position came from."""
    photo = form.get("photo")
    typed = _typed(form)
    data: dict[str, Any] = {"client_id": str(form.get("client_id") or ""), "campaign_id": campaign_no,
                            "marker_no": marker_no, "condition": typed["condition"],
                            "action": typed["action"] or "none", "remarks": typed["remarks"] or None,
                            "fixes": typed["fixes"] or 1, "gnss_accuracy_m": typed["accuracy"] or None}
    if typed["lon"] and typed["lat"]:
        crs = typed["crs"] if typed["crs"] in _POSITION_CRS else "EPSG:4326"
        data["position"] = {"lon": typed["lon"], "lat": typed["lat"], "crs": crs}
    for key in ("position_source", "nmea", "observed_at"):
        if typed[key]:
            data[key] = typed[key]
    had_photo = False
    if photo is not None and not isinstance(photo, str):
        raw = await photo.read()
        if raw:
            had_photo = True
            data["photo"] = {"data_base64": base64.b64encode(raw).decode()}
    await form.close()
    return data, typed, had_photo


def _saved_page(request: Request, store: StoreDep, user: User, rec: dict[str, Any], *, created: bool,
                campaign_no: int, marker_no: str) -> Response:
    """The answer to a stored record: displacement, judgement, where its position came from, the next marker."""
    after = campaign_progress(store, campaign_no)
    here = rec.get("geometry")
    following = next_marker(after, after=marker_no, position=None if here is None else (here.x, here.y))
    judged = rec.get("classification")
    following_m = None if following is None or here is None else distance_m((here.x, here.y),
                                                                            (following.lon, following.lat))
    return page(request, "field/saved.html", "已提交", "Submitted", user=user,
                saved=text("field.saved" if created else "field.saved_again"), record_id=rec["id"],
                marker_no=marker_no, progress=after, displacement=rec.get("displacement_m"),
                accuracy=f"{rec['gnss_accuracy_m']:g}", source=_source_label(rec),
                condition=(zh(f"field.condition_{rec['condition']}"), rec["condition"]),
                judged=(zh(f"field.judged_{judged}"), en(f"field.judged_{judged}")) if judged else None,
                following=following, following_m=following_m, located=here is not None, no_next=text("field.no_next"))


def _source_label(rec: dict[str, Any]) -> tuple[str, str, str]:
    """Return (Chinese, English, detail) of where a record's position came from."""
    source = rec.get("position_source")
    key = f"field_offline.source_{source}" if source in POSITION_SOURCES else "field_offline.source_none"
    return zh(key), en(key), rec.get("position_detail") or ""


@router.post("/campaigns/{campaign_id}/markers/{marker_no}")
async def marker_submit(request: Request, campaign_id: str, marker_no: str, store: StoreDep,
                        xc_token: SessionCookie = None) -> Response:
    """Store the record from the form (WGS84 from the phone); show displacement, judgement and the next marker.

    With the session expired, nothing is stored: the inspector logs in and gets the form back as typed."""
    user = session_user(store, xc_token, INSPECTORS)
    if user is None:
        return await expired_form(request, page_path=request.url.path)
    if (forged := await refuse_forgery(request, user)) is not None:
        return forged
    if (campaign_no := whole_number(campaign_id)) is None:
        return bad_address(request, user, campaign_id)
    try:
        progress, marker = campaign_marker(store, campaign_no, marker_no)
    except NotFound as exc:
        return _not_found(request, user, exc)
    data, typed, had_photo = await _record_data(await request.form(), campaign_no, marker_no)
    client_id = data["client_id"]
    try:
        rec, created = submit(store, data, actor=user["username"])
    except (DomainError, ValueError) as exc:
        reason = _reason(exc, progress, typed["accuracy"], source=typed["position_source"])
        if had_photo:
            reason = f"{reason}。{text('field.photo_again')}"
        status = getattr(exc, "status", 400)
        return _form(request, user, progress, marker, values=typed, client_id=client_id or uuid.uuid4().hex,
                     error=reason, status=status, survey=_survey(store, marker_no))
    return _saved_page(request, store, user, rec, created=created, campaign_no=campaign_no, marker_no=marker_no)


def _json_error(message: str, status: int, *, field: str | None = None, login: bool = False) -> JSONResponse:
    """A refusal the queue reads: the message (Chinese first), the field it names, whether to log in again."""
    return JSONResponse({"error": message, "field": field, "login": login}, status_code=status,
                        headers={"Cache-Control": "no-store"})


@router.post("/campaigns/{campaign_id}/markers/{marker_no}/queued")
async def queued_submit(request: Request, campaign_id: str, marker_no: str, store: StoreDep,
                        xc_token: SessionCookie = None) -> Response:
    """Store one record sent from the phone's queue; answer JSON (201 stored, 200 stored before).

    The same form fields as the page's form, plus when the record was made and where its position
    came from. 401 when the session has expired (the queue keeps the record and asks for a login);
    a refused record answers 4xx with the reason and the field, and nothing is stored."""
    user = session_user(store, xc_token, INSPECTORS)
    if user is None:
        return _json_error(text("field_offline.login_again"), 401, login=True)
    form = await request.form()
    if (refusal := csrf.refusal(request, form)) is not None:
        await form.close()
        return _json_error(refusal, 403, field="csrf_token")
    if (campaign_no := whole_number(campaign_id)) is None:
        await form.close()
        return _json_error(text("forms.bad_id", value=campaign_id[:40]), 404, field="campaign_id")
    try:
        progress, _marker = campaign_marker(store, campaign_no, marker_no)
    except NotFound as exc:
        await form.close()
        return _json_error(exc.message, 404, field=exc.field)
    data, typed, _had_photo = await _record_data(form, campaign_no, marker_no)
    try:
        rec, created = submit(store, data, actor=user["username"])
    except (DomainError, ValueError) as exc:
        return _json_error(_reason(exc, progress, typed["accuracy"], source=typed["position_source"]),
                           getattr(exc, "status", 400),
                           field=getattr(exc, "field", None))
    saved = f"/field/campaigns/{campaign_no}/markers/{quote(marker_no)}/saved/{rec['id']}"
    if not created:
        saved += "?again=1"
    return JSONResponse({"record_id": rec["id"], "created": created, "client_id": rec["client_id"],
                         "position_source": rec.get("position_source"), "saved_url": saved},
                        status_code=201 if created else 200, headers={"Cache-Control": "no-store"})


@router.get("/campaigns/{campaign_id}/markers/{marker_no}/saved/{record_id}")
def saved_page(request: Request, campaign_id: int, marker_no: str, record_id: int, store: StoreDep,
               again: int = 0, xc_token: SessionCookie = None) -> Response:
    """The answer page of a record the queue sent: what :func:`marker_submit` shows after a post."""
    user = session_user(store, xc_token, INSPECTORS)
    if user is None:
        return login_redirect(request)
    rec = store.get("inspections", record_id)
    try:
        _progress, marker = campaign_marker(store, campaign_id, marker_no)
    except NotFound as exc:
        return _not_found(request, user, exc)
    marker_ids = {m["id"] for m in store.select("boundary_markers", where={"marker_no": marker.marker_no})}
    if rec is None or rec["campaign_id"] != campaign_id or rec["marker_id"] not in marker_ids:
        return message_page(request, "未找到", "Not found", user=user, status=404,
                            error=text("forms.bad_id", value=str(record_id)))
    return _saved_page(request, store, user, rec, created=not again, campaign_no=campaign_id, marker_no=marker_no)


@router.get("/session")
def field_session(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Who is logged in and a CSRF token for the queue's next sends (never cached); 401 when nobody."""
    user = session_user(store, xc_token, INSPECTORS)
    if user is None:
        return _json_error(text("field_offline.login_again"), 401, login=True)
    return JSONResponse({"username": user["username"], "csrf_token": csrf.form_token(request)},
                        headers={"Cache-Control": "no-store"})


@router.get("/campaigns/{campaign_id}/markers.json")
def campaign_markers(request: Request, campaign_id: int, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """The campaign's marker list (number, position, state, form address) the page keeps for offline use."""
    user = session_user(store, xc_token, INSPECTORS)
    if user is None:
        return _json_error(text("field_offline.login_again"), 401, login=True)
    try:
        progress = campaign_progress(store, campaign_id)
    except NotFound as exc:
        return _json_error(exc.message, 404, field=exc.field)
    return JSONResponse({"campaign_id": campaign_id, "name": progress.name, "is_open": progress.is_open,
                         "markers": [{"no": m.marker_no, "lon": m.lon, "lat": m.lat, "state": m.state,
                                      "url": f"/field/campaigns/{campaign_id}/markers/{quote(m.marker_no)}"}
                                     for m in progress.markers]},
                        headers={"Cache-Control": "no-store"})


@router.get("/sw.js")
def service_worker() -> Response:
    """The service worker that keeps the field pages for use with no network (scope ``/field``)."""
    return Response(render_text("field/sw.js"), media_type="text/javascript",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/field"})
