"""The mobile pages boundary teams use in the field: their campaigns, a campaign's markers, the record form.

Server-rendered from Jinja2 templates (api/templates/field/) with autoescape. The campaign page lists
the campaign's markers with their state; its own script (with the CSP nonce) sorts them by distance
and bearing from the phone as it moves; positions are never sent anywhere. The record form averages
the phone's fixes, shows the way to the registered position, and warns before sending when the fix is
worse than the campaign requires (the service refuses such a record). The form carries a client id
made when the page was served, so sending it twice (a bad connection, a double tap) stores one record,
and a CSRF token (api/csrf.py). A refused record shows the form again with what was typed and the
reason, Chinese first; after a record the page offers the next marker.
"""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

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
from geo.boundaries.inspections import ACTIONS, CONDITIONS, MAX_PHOTO_BYTES, submit
from geo.errors import DomainError, NotFound
from geo.layers import INSPECTORS
from geo.messages import en, text, zh

router = APIRouter(prefix="/field", tags=["field pages 外业页面"], include_in_schema=False)
_CJK = re.compile(r"[\u4e00-\u9fff]")
# A refused record's reason, by the field the service named (its own text when it is already Chinese).
# The phone checks the photo before sending (and shrinks a large JPEG): at most the record's photo
# limit, and what the form's other fields and the multipart framing leave of the request limit.
PHOTO_FORM_MARGIN_BYTES = 64 * 1024
_TYPED = ("condition", "action", "remarks", "lon", "lat", "accuracy", "fixes")
_REASON = {"condition": "field.bad_condition", "action": "field.bad_action", "photo": "field.bad_photo",
           "observed_at": "field.bad_clock", "client_id": "field.duplicate"}


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


def _reason(exc: DomainError | ValueError, progress: CampaignProgress, accuracy: str) -> str:
    """Return why a record was refused, Chinese first, from the field the service named."""
    field = getattr(exc, "field", None)
    detail = getattr(exc, "message", str(exc))
    if field == "gnss_accuracy_m":
        if not accuracy:
            return text("field.no_fix")
        return text("field.accuracy_worse", accuracy_m=accuracy, required_m=f"{progress.required_accuracy_m:g}")
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
          draft: Draft | None = None) -> Response:
    request_limit = request.app.state.settings.max_request_bytes
    limit_bytes = min(MAX_PHOTO_BYTES, max(0, request_limit - PHOTO_FORM_MARGIN_BYTES))
    return page(request, "field/marker.html", "界桩检查", "Marker inspection", user=user, status=status,
                error=error, progress=progress, marker=marker, values=values, client_id=client_id, draft=draft,
                photo_limit={"bytes": limit_bytes, "limit_mb": megabytes(limit_bytes),
                             "too_large": [zh("forms.photo_too_large", size_mb="{s}", limit_mb="{l}"),
                                           en("forms.photo_too_large", size_mb="{s}", limit_mb="{l}")],
                             "shrunk": [zh("forms.photo_shrunk", size_mb="{s}", new_mb="{n}"),
                                        en("forms.photo_shrunk", size_mb="{s}", new_mb="{n}")]},
                conditions=_labels("condition", CONDITIONS), actions=_labels("action", ACTIONS),
                warn_template={"zh": zh("field.accuracy_worse", accuracy_m="{a}", required_m="{r}"),
                               "en": en("field.accuracy_worse", accuracy_m="{a}", required_m="{r}"),
                               "no_fix": text("field.no_fix")})


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
                 client_id=kept.get("client_id") or uuid.uuid4().hex)


def _typed(form: FormData) -> dict[str, str]:
    """Return what the inspector typed or the page filled in, to show the form again unchanged."""
    return {k: str(form.get(k) or "") for k in _TYPED}


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
    form = await request.form()
    photo = form.get("photo")
    typed = _typed(form)
    client_id = str(form.get("client_id") or "")
    data: dict[str, Any] = {"client_id": client_id, "campaign_id": campaign_no, "marker_no": marker_no,
                            "condition": typed["condition"], "action": typed["action"] or "none",
                            "remarks": typed["remarks"] or None, "fixes": typed["fixes"] or 1,
                            "gnss_accuracy_m": typed["accuracy"] or None}
    if typed["lon"] and typed["lat"]:
        data["position"] = {"lon": typed["lon"], "lat": typed["lat"], "crs": "EPSG:4326"}
    had_photo = False
    if photo is not None and not isinstance(photo, str):
        raw = await photo.read()
        if raw:
            had_photo = True
            data["photo"] = {"data_base64": base64.b64encode(raw).decode()}
    await form.close()
    try:
        rec, created = submit(store, data, actor=user["username"])
    except (DomainError, ValueError) as exc:
        reason = _reason(exc, progress, typed["accuracy"])
        if had_photo:
            reason = f"{reason}。{text('field.photo_again')}"
        status = getattr(exc, "status", 400)
        return _form(request, user, progress, marker, values=typed, client_id=client_id or uuid.uuid4().hex,
                     error=reason, status=status)
    after = campaign_progress(store, campaign_no)
    here = rec.get("geometry")
    following = next_marker(after, after=marker_no, position=None if here is None else (here.x, here.y))
    judged = rec.get("classification")
    following_m = None if following is None or here is None else distance_m((here.x, here.y),
                                                                            (following.lon, following.lat))
    return page(request, "field/saved.html", "已提交", "Submitted", user=user,
                saved=text("field.saved" if created else "field.saved_again"), record_id=rec["id"],
                marker_no=marker_no, progress=after, displacement=rec.get("displacement_m"),
                accuracy=f"{rec['gnss_accuracy_m']:g}",
                condition=(zh(f"field.condition_{rec['condition']}"), rec["condition"]),
                judged=(zh(f"field.judged_{judged}"), en(f"field.judged_{judged}")) if judged else None,
                following=following, following_m=following_m, located=here is not None, no_next=text("field.no_next"))
