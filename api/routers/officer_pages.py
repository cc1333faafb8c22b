"""Officer pages for the gazetteer, door plates and residents' reports, Chinese with English beside.

Server-rendered; every form works without JavaScript. Two small scripts help where a browser runs
them: the proposal form's map (Leaflet, served by the service; the district's units and streets
drawn as the backdrop, no tiles) fills the coordinates with a click, and the Mongolian field shows
a live vertical preview.

Pages are Jinja2 templates (api/templates/officer/) with autoescape. Login sets an HttpOnly,
SameSite=Strict cookie holding the same bearer token the API uses; every form carries a CSRF token
and is refused (403) when posted from another origin or without it (api/csrf.py). Each page turns
a form into one library call; every form post starts with :func:`api.pages.posted_form` (session, role, CSRF,
fields), and one posted after the session expired comes back, as typed, after logging in again.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from shapely.geometry.base import BaseGeometry

from api import csrf
from api.cache import cached_name_index
from api.deps import SettingsDep, StoreDep
from api.pages import (
    PAGE_SIZE,
    Draft,
    SessionCookie,
    back_to,
    bad_address,
    draft_notice_lines,
    list_paging,
    login_redirect,
    message_page,
    page,
    posted_draft,
    posted_form,
    session_user,
    whole_number,
)
from geo.errors import DomainError, NotFound, StaleVersion
from geo.layers import LAYERS, LEAF_LEVELS, OFFICERS, PLATE_FINAL_STATUSES, TOWNSHIP_LEVELS
from geo.messages import beijing_time, text
from geo.placenames.lifecycle import TRANSITIONS, edit, overdue_names, propose, rename, transition
from geo.placenames.locating import (
    backdrop,
    check_proposal,
    proposal_geometry,
    similar_streets,
    street_names,
    unnamed_street_lines,
)
from geo.plates.decisions import decide_plate_status
from geo.plates.resident_reports import (
    BEIJING,
    REPORT_KIND_ZH,
    REPORT_STATUS_ZH,
    ReportFilter,
    list_reports,
    resolve_report,
)
from geo.plates.street_check import check_street
from geo.store import Excluding, Store
from geo.types import parse_date

router = APIRouter(prefix="/officer", tags=["officer pages 业务页面"], include_in_schema=False)
COOKIE = csrf.SESSION_COOKIE
STATUS_ZH = {"proposed": "申报", "consultation": "征求意见", "expert_review": "专家论证",
             "assessment": "综合评估", "approved": "已批准", "filed": "已备案",
             "announced": "已公告", "in_force": "使用中", "superseded": "已替代",
             "retired": "已废止"}
CLASS_ZH = {"street": "街路巷", "community": "社区", "village": "行政村", "admin_unit": "行政区划",
            "residential": "居民区", "building": "建筑物", "facility": "设施", "bridge": "桥梁",
            "natural": "自然地理实体"}
User = dict[str, Any]
# Every assigned character of the Mongolian block: the officers' pages load one web-font subset
# that covers whatever is typed into the Mongolian field (phones and desktops without the font).
MONGOLIAN_CHARS = "".join(chr(c) for c in range(0x1800, 0x18AB)
                          if unicodedata.category(chr(c)) not in ("Cn", "Cc"))
MONGOLIAN_FONT_URL = "/fonts/mongolian.woff2?t=" + quote(MONGOLIAN_CHARS, safe="")


def _officer(store: Store, token: str | None) -> User | None:
    return session_user(store, token, OFFICERS)




def _units_today(store: Store, levels: tuple[str, ...]) -> list[dict[str, Any]]:
    """Return the units of ``levels`` in force, for a filter's choices: a unit a division change retired is history
    (a re-coded 镇 was offered beside its 街道, each village twice: review)."""
    history = {field: Excluding(values) for field, values in LAYERS["admin_units"].history_where}
    return store.select("admin_units", where={"level": list(levels), **history})


def _subdistricts(store: Store) -> list[dict[str, Any]]:
    return _units_today(store, TOWNSHIP_LEVELS)


@router.get("/placenames")
def list_names(request: Request, store: StoreDep, q: str = "", status: str = "",
               feature_class: str = "", unit: str = "", page_no: Annotated[str, Query(alias="page")] = "",
               xc_token: SessionCookie = None) -> Response:
    """List names, newest first or best search hit first, filtered by status, class and
    sub-district, fifty to a page; an empty result says what to try instead."""
    user = _officer(store, xc_token)
    if user is None:
        return login_redirect(request)
    if q.strip():
        hits = cached_name_index(request.app.state.cache, store).search(q, limit=1000)
        by_id = {r["id"]: r for r in store.select("place_names", where={"id": [h.id for h in hits]})}
        rows = [by_id[h.id] for h in hits if h.id in by_id]
    else:
        rows = sorted(store.select("place_names"), key=lambda r: -r["id"])
    unit_prefix = unit.strip()[:9] if unit.strip() else ""
    rows = [r for r in rows if (not status or r.get("status") == status)
            and (not feature_class or r.get("feature_class") == feature_class)
            and (not unit_prefix or str(r.get("admin_code") or "").startswith(unit_prefix))]
    paging = list_paging(len(rows), page_no)
    shown = rows[paging["offset"]:paging["offset"] + PAGE_SIZE]
    filters = {"q": q, "status": status, "feature_class": feature_class, "unit": unit}
    return page(request, "officer/placenames.html", "地名信息库", "Gazetteer", user=user, q=q,
                rows=shown, paging=paging, filters=filters,
                query={k: v for k, v in filters.items() if v},
                units=_subdistricts(store), class_zh=CLASS_ZH, status_zh=STATUS_ZH,
                no_hits=text("officer.no_hits", q=q) if q.strip() and not rows else None,
                overdue=overdue_names(store),
                missing_zh={"filed_date": "备案 filing", "announce_date": "公告 announcement"})


PROPOSAL_FIELDS = ("standard_name", "specific", "generic", "feature_class", "admin_code", "name_mong",
                   "meaning")
LOCATION_FIELDS = ("loc_mode", "lonlat", "crs", "street")
CRS_CHOICES = {"EPSG:4490": "CGCS2000 (EPSG:4490)", "EPSG:4326": "WGS84 (EPSG:4326, GPS)",
               "GCJ02": "GCJ-02（高德、腾讯 Amap, Tencent）", "BD09": "BD-09（百度 Baidu）"}


def _proposal_page(request: Request, store: Store, user: User, *, typed: dict[str, str],
                   errors: dict[str, list[str]] | None = None, status: int = 200,
                   draft: Draft | None = None, existing: list[int] | None = None) -> Response:
    """Return the proposal form showing what was typed and, beside each field, the rules it broke."""
    errors = errors or {}
    general = [m for f, ms in errors.items() if f not in (*PROPOSAL_FIELDS, *LOCATION_FIELDS,
                                                           "location", "justification")
               for m in ms]
    return page(request, "officer/placename_new.html", "申报新地名", "Propose a name", user=user,
                status=status, typed=typed, errors=errors, general=general, class_zh=CLASS_ZH,
                crs_choices=CRS_CHOICES, streets=street_names(store), road_streets=unnamed_street_lines(store),
                text_road_streets=text("forms.road_streets"), text_no_road_streets=text("forms.no_road_streets"),
                font_url=MONGOLIAN_FONT_URL, draft=draft, existing=existing or [])


@router.get("/placenames/new")
def new_form(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Show the proposal form, with a map to click the location on."""
    user = _officer(store, xc_token)
    if user is None:
        return login_redirect(request)
    draft = posted_draft(request)
    kept = draft.for_form(request.url.path) if draft else {}
    # Pre-filled from a link (the unnamed-roads worklist, api/routers/street_signs.py): shown, escaped, not stored.
    given = {k: v[:200] for k, v in request.query_params.items() if k in (*PROPOSAL_FIELDS, *LOCATION_FIELDS)}
    return _proposal_page(request, store, user, draft=draft,
                          typed={"loc_mode": "point", "crs": "EPSG:4490", **given, **kept})


@router.get("/placenames/new/backdrop.json")
def new_backdrop(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Return the proposal map's backdrop (district units and streets, simplified GeoJSON)."""
    if _officer(store, xc_token) is None:
        return login_redirect(request)
    data = request.app.state.cache.get(store, "proposal_backdrop", lambda: backdrop(store))
    return JSONResponse(data, headers={"Cache-Control": "private, max-age=300"})


def _errors_of(exc: DomainError) -> dict[str, list[str]]:
    """Return each broken rule under the field it names (every finding of a name check)."""
    findings = getattr(exc, "findings", None)
    errors: dict[str, list[str]] = {}
    if findings:
        for f in findings:
            errors.setdefault(f.field or "", []).append(f.message)
        if getattr(exc, "message", "").startswith("须说明理由"):
            errors.setdefault("justification", []).append(text("officer.justification_needed"))
    else:
        errors.setdefault(exc.field or "", []).append(exc.message)
    return errors


@router.post("/placenames/new")
async def new_submit(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Propose the name from the form; on a refusal show the form again, as typed, with every
    broken rule next to its field (nothing is stored)."""
    posted = await posted_form(request, store, xc_token, OFFICERS, page_path="/officer/placenames/new")
    if isinstance(posted, Response):
        return posted
    user, form = posted
    typed = {k: str(form.get(k) or "").strip() for k in
             (*PROPOSAL_FIELDS, *LOCATION_FIELDS, "justification", "name_mong_pending")}
    rec: dict[str, Any] = {k: typed[k] for k in PROPOSAL_FIELDS if typed[k]}
    rec["name_mong_pending"] = bool(typed["name_mong_pending"])
    errors: dict[str, list[str]] = {}
    geometry = None
    try:
        geometry = proposal_geometry(store, feature_class=typed["feature_class"] or None,
                                     mode=typed["loc_mode"] or "point", lonlat=typed["lonlat"],
                                     crs=typed["crs"] or "EPSG:4490", street=typed["street"],
                                     proposed_name=typed.get("standard_name") or "")
    except DomainError as exc:
        errors = _errors_of(exc)
    try:
        if errors:  # still check the name, so every problem shows at once
            check_proposal(store, rec, justification=typed["justification"] or None)
        else:
            made = propose(store, rec, actor=user["username"], geometry=geometry,
                           justification=typed["justification"] or None)
    except DomainError as exc:
        for field, messages in _errors_of(exc).items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        same = _same_names(store, rec)
        repeat = None if geometry is None else _repeated_proposal(store, same, rec, geometry, actor=user["username"])
        if repeat is not None:
            return back_to(request, f"/officer/placenames/{repeat}", done=text("forms.proposed_already", id=repeat))
        return _proposal_page(request, store, user, typed=typed, errors=errors, status=400,
                              existing=[r["id"] for r in same])
    return RedirectResponse(f"/officer/placenames/{made['id']}", status_code=303)


REPEAT_WINDOW_S = 600  # the same proposal sent again by the same officer this soon is the same proposal


def _same_names(store: Store, rec: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the live records with the proposed standard name in the proposed class (PN-07's duplicates)."""
    if not rec.get("standard_name") or not rec.get("feature_class"):
        return []
    rows = store.select("place_names", where={"standard_name": rec["standard_name"],
                                              "feature_class": rec["feature_class"]})
    return [r for r in rows if r.get("status") not in ("retired", "superseded")]


REPEAT_TOLERANCE_DEG = 1e-7  # about a centimetre: the same location, as stored


def _repeated_proposal(store: Store, same: list[dict[str, Any]], rec: dict[str, Any], geometry: BaseGeometry, *,
                       actor: str) -> int | None:
    """Return the id of the record this proposal repeats: one still ``proposed``, proposed by ``actor``
    in the last :data:`REPEAT_WINDOW_S` seconds with every field the form gave and the location the
    same (a double-click on 申报, or the form sent again); ``None`` when it is a different proposal."""
    now = datetime.now(UTC)
    for r in same:
        if r.get("status") != "proposed" or any(str(r.get(k) or "") != str(v) for k, v in rec.items()
                                                 if k != "name_mong_pending" and v):
            continue
        stored = r.get("geometry")
        if stored is None or not stored.equals_exact(geometry, REPEAT_TOLERANCE_DEG):
            continue
        events = store.select("place_name_events", where={"place_name_id": r["id"], "to_status": "proposed"})
        for e in events:
            at = e["at"] if e["at"].tzinfo else e["at"].replace(tzinfo=UTC)
            if e.get("actor") == actor and 0 <= (now - at).total_seconds() <= REPEAT_WINDOW_S:
                return int(r["id"])
    return None


def _detail_page(request: Request, store: Store, user: User, place_id: int, *,
                 error: str | None = None, done: str | None = None,
                 typed_mong: str | None = None, status: int = 200, draft: Draft | None = None,
                 refused: Draft | None = None) -> Response:
    """Return a name's page; ``typed_mong`` refills the Mongolian form after a refusal, ``draft`` any
    of its forms posted after the session expired, ``refused`` a form the page refused (shown again
    as typed, beside the reason)."""
    try:
        r = store.get("place_names", place_id)
    except NotFound:
        return message_page(request, "没有这个地名", "No such name", user=user, status=404,
                            error=text("common.not_found", what=f"地名 {place_id}",
                                       what_en=f"place name {place_id}"))
    approval = " ".join(str(x) for x in (r.get("approval_authority"), r.get("approval_doc_no"),
                                        r.get("approval_date")) if x)
    rows = [("标准名称", "Standard name", r["standard_name"]),
            ("专名 / 通名", "Specific / generic",
             f"{r.get('specific') or ''} / {r.get('generic') or ''}"),
            ("汉语拼音", "Pinyin", r.get("pinyin_toned")),
            ("罗马字母拼写", "Romanization", r.get("romanization")),
            ("标牌拼写", "Sign text", r.get("sign_text")),
            ("类别", "Class", CLASS_ZH.get(str(r.get("feature_class")), r.get("feature_class"))),
            ("行政区划", "Unit code", r.get("admin_code")), ("含义", "Meaning", r.get("meaning")),
            ("状态", "Status", f"{STATUS_ZH.get(r['status'], r['status'])} ({r['status']})"),
            ("批准", "Approval", approval), ("版本", "Version", r["version"])]
    geom = r.get("geometry")
    located = f"{geom.geom_type} · {geom.representative_point().x:.6f}, " \
              f"{geom.representative_point().y:.6f} (EPSG:4490)" if geom is not None else None
    return page(request, "officer/placename.html", r["standard_name"], r.get("romanization") or "",
                user=user, status=status, error=error, done=done, place=r, rows=rows,
                status_zh=STATUS_ZH, steps=TRANSITIONS[r["status"]], located=located,
                mong=typed_mong if typed_mong is not None else (r.get("name_mong") or ""),
                font_url=MONGOLIAN_FONT_URL, draft=refused or draft,
                draft_notice=None if refused else (draft_notice_lines(draft) if draft else None),
                beijing_time=beijing_time,
                events=store.select("place_name_events", where={"place_name_id": place_id}),
                former=store.select("former_names", where={"place_name_id": place_id}))


@router.get("/placenames/{place_id}")
def detail(request: Request, place_id: int, store: StoreDep, error: str | None = None,
           done: str | None = None, xc_token: SessionCookie = None) -> Response:
    """Show a name, its romanization, Mongolian name, history and the forms for its next steps."""
    user = _officer(store, xc_token)
    if user is None:
        return login_redirect(request)
    draft = posted_draft(request)
    typed_mong = draft.for_form(f"{request.url.path}/mongolian").get("name_mong") if draft else None
    return _detail_page(request, store, user, place_id, error=error, done=done, draft=draft,
                        typed_mong=typed_mong)


def _refusal_text(exc: DomainError) -> str:
    """Return what the page says for a refused change; a stale version in the officers' words."""
    if isinstance(exc, StaleVersion):
        return text("officer.stale")
    return "；".join(exc.details) if exc.details else exc.message


@router.post("/placenames/{place_id}/mongolian")
async def edit_mongolian(request: Request, place_id: str, store: StoreDep,
                         xc_token: SessionCookie = None) -> Response:
    """Save the Mongolian-script name through the edit use case; a refusal keeps what was typed."""
    posted = await posted_form(request, store, xc_token, OFFICERS, page_path=f"/officer/placenames/{place_id}")
    if isinstance(posted, Response):
        return posted
    user, form = posted
    if (number := whole_number(place_id)) is None:
        return bad_address(request, user, place_id)
    typed = str(form.get("name_mong") or "").strip()
    kept = Draft(request.url.path, {k: v for k, v in form.items() if k != "version"})
    if (version := whole_number(form.get("version"))) is None:
        return _detail_page(request, store, user, number, typed_mong=typed, status=422,
                            error=text("forms.bad_version"), refused=kept)
    try:
        edit(store, number, {"name_mong": typed or None, "name_mong_pending": not typed},
             expected_version=version, actor=user["username"],
             justification=str(form.get("justification") or "").strip() or None)
    except DomainError as exc:
        return _detail_page(request, store, user, number, error=_refusal_text(exc),
                            typed_mong=typed, status=exc.status, refused=Draft(request.url.path, dict(form)))
    return back_to(request, f"/officer/placenames/{number}", done=text("officer.saved"))


async def _form_action(request: Request, store: Store, place_id: str, token: str | None,
                       action) -> Response:
    """Run one of a name's forms (``action(user, place_id, version, fields)`` returns the confirmation). A refusal
    shows the name's page again with the form as typed and the reason beside it, nothing stored; a
    version that is not a whole number is 版本号无效 (422), never "changed by someone else"."""
    path = f"/officer/placenames/{place_id}"
    posted = await posted_form(request, store, token, OFFICERS, page_path=path)
    if isinstance(posted, Response):
        return posted
    user, sent = posted
    if (number := whole_number(place_id)) is None:
        return bad_address(request, user, place_id)
    form = {k: v.strip() for k, v in sent.items() if v.strip()}
    if (version := whole_number(form.pop("version", ""))) is None:
        kept = Draft(request.url.path, {k: v for k, v in sent.items() if k != "version"})
        return _detail_page(request, store, user, number, error=text("forms.bad_version"), status=422,
                            refused=kept)
    try:
        note = action(user, number, version, form)
    except DomainError as exc:
        return _detail_page(request, store, user, number, error=_refusal_text(exc), status=exc.status,
                            refused=Draft(request.url.path, dict(sent)))
    return back_to(request, path, done=note)


@router.post("/placenames/{place_id}/step")
async def step(request: Request, place_id: str, store: StoreDep,
               xc_token: SessionCookie = None) -> Response:
    """Submit the next lifecycle step."""
    def act(user, place_id, version, form):
        to = form.pop("to", "")
        comment, document_ref = form.pop("comment", None), form.pop("document_ref", None)
        transition(store, place_id, to, expected_version=version, actor=user["username"],
                   comment=comment, document_ref=document_ref, data=form)
        return text("officer.step_done", step=STATUS_ZH.get(to, to), to=to)

    return await _form_action(request, store, place_id, xc_token, act)


@router.post("/placenames/{place_id}/edit")
async def edit_meaning(request: Request, place_id: str, store: StoreDep,
                       xc_token: SessionCookie = None) -> Response:
    """Save the edited meaning (含义)."""
    def act(user, place_id, version, form):
        edit(store, place_id, {"meaning": form.get("meaning", "")}, expected_version=version,
             actor=user["username"])
        return text("officer.saved")

    return await _form_action(request, store, place_id, xc_token, act)


@router.post("/placenames/{place_id}/rename")
async def rename_form(request: Request, place_id: str, store: StoreDep,
                      xc_token: SessionCookie = None) -> Response:
    """Rename the name; its streets and door plates follow."""
    def act(user, place_id, version, form):
        approval = {k: form.get(k) for k in ("approval_authority", "approval_doc_no",
                                             "approval_date")}
        rename(store, place_id, form.get("new_name", ""), expected_version=version,
               actor=user["username"], approval=approval, justification=form.get("justification"))
        return text("officer.renamed")

    return await _form_action(request, store, place_id, xc_token, act)


PLATE_STATUS_ZH = {"active": "使用中", "revoked": "已撤销", "replaced": "已替换"}


def plate_transitions(status: str) -> list[str]:
    """Return the statuses a plate's status form may give it from ``status``: none from a final one
    (revoked, replaced: the record and its QR code stay as they are); an active plate may only be
    revoked, since ``replaced`` comes with a successor (:func:`geo.plates.decisions.replace_plate`)."""
    return [] if status in PLATE_FINAL_STATUSES else [s for s in PLATE_STATUS_ZH if s not in (status, "replaced")]


@router.get("/plates")
def plates_page(request: Request, store: StoreDep, street: str = "", community: str = "",
                status: str = "", page_no: Annotated[str, Query(alias="page")] = "",
                xc_token: SessionCookie = None) -> Response:
    """List plates by street, community and status, fifty to a page, with a street's numbering
    check; a street text that matches no plate suggests the streets it may mean. A status that is
    none of the plate statuses is named as such (not "no plates match")."""
    user = _officer(store, xc_token)
    if user is None:
        return login_redirect(request)
    bad_status = None
    if status.strip() and status.strip() not in PLATE_STATUS_ZH:
        bad_status = text("forms.bad_plate_status", value=status.strip()[:40],
                          allowed="、".join(f"{v} {k}" for k, v in PLATE_STATUS_ZH.items()))
        status = ""
    where = {k: v.strip() for k, v in (("street_name", street), ("community_code", community),
                                        ("status", status)) if v.strip()}
    problems: list[dict[str, Any]] = []
    suggestions: list[str] = []
    if street.strip():  # one street: every plate, in number order
        rows = sorted(store.select("door_plates", where=where), key=lambda r: (r["number"], r.get("suffix") or ""))
        paging = list_paging(len(rows), page_no)
        if rows:
            problems = check_street(store, street.strip())["problems"]
        else:
            suggestions = similar_streets(store, street)
        rows = rows[paging["offset"]:paging["offset"] + PAGE_SIZE]
    else:
        paging = list_paging(store.count("door_plates", where=where), page_no)
        rows = store.select("door_plates", where=where, limit=PAGE_SIZE, offset=paging["offset"])
    communities = _units_today(store, LEAF_LEVELS)
    filters = {"street": street, "community": community, "status": status}
    return page(request, "officer/plates.html", "门牌管理", "Door plates", user=user, street=street,
                filters=filters, query={k: v for k, v in filters.items() if v}, paging=paging,
                rows=rows, problems=len(problems), suggestions=suggestions, communities=communities,
                community_names={u["code"]: u["name"] for u in store.select("admin_units",
                                                                           where={"level": list(LEAF_LEVELS)})},
                empty=text("officer.no_plates", street=street.strip()) if street.strip() else None,
                status_zh=PLATE_STATUS_ZH, flagged={p["plate_uid"]: p["message"] for p in problems},
                error=bad_status, status=400 if bad_status else 200)


@router.get("/plates/{plate_uid}")
def plate_page(request: Request, plate_uid: str, store: StoreDep, settings: SettingsDep,
               error: str | None = None, done: str | None = None,
               xc_token: SessionCookie = None) -> Response:
    """One plate: its address, QR, a proof of the printed plate, and the status form."""
    user = _officer(store, xc_token)
    if user is None:
        return login_redirect(request)
    return _plate_page(request, store, settings, user, plate_uid, error=error, done=done)


def _plate_page(request: Request, store: Store, settings: Any, user: User, plate_uid: str, *,
                error: str | None = None, done: str | None = None, status: int = 200,
                refused: Draft | None = None) -> Response:
    """Return a plate's page; ``refused`` is its status form as typed when the page refused it, shown
    again beside the reason."""
    from geo.messages import Term
    from geo.plates.printed import plate_texts
    from geo.plates.qr import qr_svg
    from maps.plate_print import plate_svg

    rows = store.select("door_plates", where={"plate_uid": plate_uid})
    if not rows:
        return message_page(request, "没有这块门牌", "No such plate", user=user, status=404,
                            error=text("officer.no_plate"))
    p = rows[0]
    url = face = qr = None
    try:
        (printed,) = plate_texts(store, rows, signer=request.app.state.plate_signer,
                              base_url=settings.public_base_url)
    except DomainError as exc:  # a malformed stored uid: say so, and still offer the status form
        error = "；".join(x for x in (error, exc.message) if x)
    else:
        # Markup, not text: the plate SVG comes from an autoescaping template, the QR from segno.
        url = printed.url
        # a proof (watermarked, not for production) when the Mongolian name is missing or the plate is no longer in
        # use: a printed page of a retired plate must not look like a plate to make (review)
        face = Markup(plate_svg(printed, proof=not printed.name_mong or p["status"] in PLATE_FINAL_STATUSES))
        qr = Markup(qr_svg(printed.url))
    draft = refused or posted_draft(request)
    return page(request, "officer/plate.html", f"门牌 {p['number']}号", plate_uid, user=user, status=status,
                error=error, done=done, plate=p, url=url, face=face, qr=qr, status_zh=PLATE_STATUS_ZH,
                choices=plate_transitions(p["status"]),
                final=text("plate_successors.page_final", status=Term(PLATE_STATUS_ZH.get(p["status"], p["status"]),
                                                                     p["status"]))
                if p["status"] in PLATE_FINAL_STATUSES else None,
                successor=p.get("successor_plate_uid") if p["status"] == "replaced" else None,
                below=_addresses_below(store, p["plate_uid"]) if p["status"] == "active" else 0,
                draft=draft, draft_notice=None if refused else (draft_notice_lines(draft) if draft else None),
                **_kept_plate_forms(draft.for_form(f"/officer/plates/{plate_uid}/status") if draft else {}))


def _kept_plate_forms(typed: dict[str, str]) -> dict[str, dict[str, str]]:
    """Split what was typed between the plate page's two forms (both post to the status path): the
    replace form carries ``status=replaced``, the status form any other status."""
    replacing = typed.get("status") == "replaced"
    return {"kept": {} if replacing else typed, "kept_replace": typed if replacing else {}}


def _addresses_below(store: Store, plate_uid: str) -> int:
    """Return how many active standard addresses hang below the plate (the revoke form asks about them)."""
    from geo.addresses.successor import count_active_below

    return count_active_below(store, plate_uid)


@router.post("/plates/{plate_uid}/status")
async def plate_status(request: Request, plate_uid: str, store: StoreDep, settings: SettingsDep,
                       xc_token: SessionCookie = None) -> Response:
    """Change a plate's status through its use case, recording the decision behind it; a refusal
    shows the plate's page again with the form as typed (a bad version: 版本号无效, 422). The status
    form only revokes (with the addresses below, when the officer ticks them); the replace form
    (``status=replaced``) replaces through :func:`geo.plates.decisions.replace_plate` and opens the
    successor's page."""
    posted = await posted_form(request, store, xc_token, OFFICERS, page_path=f"/officer/plates/{plate_uid}")
    if isinstance(posted, Response):
        return posted
    user, sent = posted
    form = {k: v.strip() for k, v in sent.items()}
    path = f"/officer/plates/{quote(plate_uid, safe='')}"
    form_path = f"/officer/plates/{plate_uid}/status"
    if (version := whole_number(form.get("version"))) is None:
        return _plate_page(request, store, settings, user, plate_uid, error=text("forms.bad_version"), status=422,
                           refused=Draft(form_path, {k: v for k, v in sent.items() if k != "version"}))
    try:
        if form.get("status") == "replaced":  # the replace form: the successor is created, the addresses move
            from geo.plates.decisions import replace_plate

            new = {k: form[k] for k in ("number", "suffix") if form.get(k)}
            out = replace_plate(store, plate_uid, form, expected_version=version, actor=user["username"],
                                new_plate=new)
            new_uid = out["successor"]["plate_uid"]
            return back_to(request, f"/officer/plates/{quote(new_uid, safe='')}",
                           done=text("plate_successors.replaced_done", old=plate_uid, new=new_uid,
                                     moved=out["moved_addresses"]))
        decide_plate_status(store, plate_uid, form.get("status", ""), form, expected_version=version,
                            actor=user["username"], with_addresses=bool(form.get("with_addresses")))
    except DomainError as exc:
        return _plate_page(request, store, settings, user, plate_uid, error=_refusal_text(exc), status=exc.status,
                           refused=Draft(form_path, dict(sent)))
    return back_to(request, path, done=text("officer.saved"))


def _report_filter(status: str, street: str, kind: str, since: str, until: str) -> ReportFilter:
    return ReportFilter(status=status or None, street=street or None, kind=kind or None,
                        since=parse_date(since, field="since"), until=parse_date(until, field="until"))


@router.get("/reports")
def reports_page(request: Request, store: StoreDep, status: str = "open", street: str = "",
                 kind: str = "", since: str = "", until: str = "",
                 page_no: Annotated[str, Query(alias="page")] = "", error: str | None = None,
                 done: str | None = None, xc_token: SessionCookie = None) -> Response:
    """The inbox of residents' problem reports: open ones first by default, filtered by status,
    street, kind and date (Beijing days), fifty to a page."""
    user = _officer(store, xc_token)
    if user is None:
        return login_redirect(request)
    filters = {"status": status, "street": street, "kind": kind, "since": since, "until": until}
    rows: list[dict[str, Any]] = []
    total = 0
    paging = list_paging(0, 1)
    try:
        flt = _report_filter(status, street, kind, since, until)
        _, total = list_reports(store, flt, limit=1)
        paging = list_paging(total, page_no)
        rows, _ = list_reports(store, flt, limit=PAGE_SIZE, offset=paging["offset"])
    except DomainError as exc:
        error = exc.message
    return page(request, "officer/reports.html", "群众报告", "Residents' reports", user=user,
                error=error, done=done, rows=rows, paging=paging, filters=filters,
                query={k: v for k, v in filters.items() if v}, kind_zh=REPORT_KIND_ZH,
                status_zh=REPORT_STATUS_ZH, beijing=BEIJING)


def _report_page(request: Request, store: Store, user: User, report_id: int, *,
                 error: str | None = None, typed_note: str = "", status: int = 200,
                 draft: Draft | None = None) -> Response:
    try:
        report = store.get("problem_reports", report_id)
    except NotFound:
        return message_page(request, "没有这条报告", "No such report", user=user, status=404,
                            error=text("officer.report_not_found", report_id=report_id))
    plate = store.select("door_plates", where={"plate_uid": report.get("plate_uid") or ""}, limit=1)
    return page(request, "officer/report.html", f"群众报告 {report_id}", f"Report {report_id}",
                user=user, status=status, error=error, report=report, draft=draft,
                plate=plate[0] if plate else None, typed_note=typed_note, kind_zh=REPORT_KIND_ZH,
                status_zh=REPORT_STATUS_ZH, beijing=BEIJING)


@router.get("/reports/{report_id}")
def report_page(request: Request, report_id: int, store: StoreDep,
                xc_token: SessionCookie = None) -> Response:
    """One report: what the resident said about which plate, and the form to resolve it."""
    user = _officer(store, xc_token)
    if user is None:
        return login_redirect(request)
    draft = posted_draft(request)
    kept = draft.for_form(f"{request.url.path}/resolve") if draft else {}
    return _report_page(request, store, user, report_id, draft=draft, typed_note=kept.get("note", ""))


@router.post("/reports/{report_id}/resolve")
async def resolve_report_form(request: Request, report_id: str, store: StoreDep,
                              xc_token: SessionCookie = None) -> Response:
    """Resolve a report with a note (audited); a refusal shows the form again with the note kept."""
    posted = await posted_form(request, store, xc_token, OFFICERS, page_path=f"/officer/reports/{report_id}")
    if isinstance(posted, Response):
        return posted
    user, form = posted
    if (report_no := whole_number(report_id)) is None:
        return bad_address(request, user, report_id)
    note = str(form.get("note") or "")
    if (version := whole_number(form.get("version"))) is None:
        return _report_page(request, store, user, report_no, error=text("forms.bad_version"),
                            typed_note=note, status=422)
    try:
        resolve_report(store, report_no, note=note, expected_version=version, actor=user["username"])
    except DomainError as exc:
        return _report_page(request, store, user, report_no, error=_refusal_text(exc),
                            typed_note=note, status=exc.status)
    return back_to(request, "/officer/reports",
                 done=text("officer.report_resolved", report_id=report_no))
