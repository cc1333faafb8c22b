"""The mobile page boundary teams use at a marker: position from the phone, condition, photo, notes.

Server-rendered from a Jinja2 template (api/templates/field/) with autoescape; the only script reads
the phone's position (averaging the fixes), shows distance and bearing to the registered position,
and fills the form; the registered position reaches it as escaped JSON. The form carries a client
id made when the page was served, so sending it twice (a bad connection, a double tap) stores one
record, and a CSRF token (api/csrf.py).
"""

from __future__ import annotations

import base64
import uuid
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import StoreDep
from api.pages import SessionCookie, flash_url, login_redirect, message_page, page, refuse_forgery, session_user
from geo.boundaries.inspections import ACTIONS, CONDITIONS, submit
from geo.errors import DomainError
from geo.layers import INSPECTORS
from geo.store import Store

router = APIRouter(prefix="/field", tags=["field pages 外业页面"], include_in_schema=False)
CONDITION_ZH = {"intact": "完好", "damaged": "损坏", "displaced": "移位", "missing": "丢失",
                "buried": "掩埋"}


def _inspector(store: Store, token: str | None):
    return session_user(store, token, INSPECTORS)


@router.get("/campaigns/{campaign_id}/markers/{marker_no}")
def marker_form(request: Request, campaign_id: int, marker_no: str, store: StoreDep,
                error: str | None = None, xc_token: SessionCookie = None) -> Response:
    """The record form for one marker: guidance to it, condition, photo, notes."""
    user = _inspector(store, xc_token)
    if user is None:
        return login_redirect(request)
    markers = store.select("boundary_markers", where={"marker_no": marker_no})
    if not markers:
        return message_page(request, "没有这个界桩", "No such marker", user=user, error=marker_no)
    p = markers[0]["geometry"]
    return page(request, "field/marker.html", "界桩检查", "Marker inspection", user=user,
                error=error, marker_no=marker_no, lon=p.x, lat=p.y, client_id=uuid.uuid4().hex,
                conditions=CONDITIONS, condition_zh=CONDITION_ZH, actions=ACTIONS)


@router.post("/campaigns/{campaign_id}/markers/{marker_no}")
async def marker_submit(request: Request, campaign_id: int, marker_no: str, store: StoreDep,
                        xc_token: SessionCookie = None) -> Response:
    """Store the record from the form (WGS84 from the phone); show displacement and judgement."""
    user = _inspector(store, xc_token)
    if user is None:
        return login_redirect(request)
    if (forged := await refuse_forgery(request, user)) is not None:
        return forged
    form = await request.form()
    photo = form.get("photo")
    data = {"client_id": form.get("client_id"), "campaign_id": campaign_id, "marker_no": marker_no,
            "condition": form.get("condition"), "action": form.get("action") or "none",
            "remarks": form.get("remarks") or None, "fixes": form.get("fixes") or 1,
            "gnss_accuracy_m": form.get("accuracy") or None}
    if form.get("lon") and form.get("lat"):
        data["position"] = {"lon": form.get("lon"), "lat": form.get("lat"), "crs": "EPSG:4326"}
    if photo is not None and hasattr(photo, "read"):
        raw = await photo.read()
        if raw:
            data["photo"] = {"data_base64": base64.b64encode(raw).decode()}
    await form.close()
    try:
        rec, created = submit(store, data, actor=user["username"])
    except (DomainError, ValueError) as exc:
        detail = getattr(exc, "message", str(exc))
        return RedirectResponse(flash_url(request, f"/field/campaigns/{campaign_id}/markers/"
                                          f"{quote(marker_no)}", error=detail), status_code=303)
    judged = {"in_place": "未移位 in place", "displaced": "已移位 displaced"}.get(
        rec.get("classification") or "", "—")
    return page(request, "field/saved.html", "已提交", "Submitted", user=user, created=created,
                record_id=rec["id"], displacement=rec.get("displacement_m"),
                accuracy=f"{rec['gnss_accuracy_m']:g}", judged=judged)
