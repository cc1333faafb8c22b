"""Officer pages for the gazetteer, Chinese with English beside it; server-rendered, no JavaScript.

Pages are Jinja2 templates (api/templates/officer/) with autoescape. Login sets an HttpOnly,
SameSite=Strict cookie holding the same bearer token the API uses; every form carries a CSRF token
and is refused (403) when posted from another origin or without it (api/csrf.py). Each page turns
a form into one library call.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from api import csrf
from api.cache import cached_name_index
from api.deps import SettingsDep, StoreDep, log_in
from api.pages import (
    SessionCookie,
    flash_url,
    login_redirect,
    message_page,
    page,
    refuse_forgery,
    refused,
    session_user,
)
from api.ratelimit import TooManyRequests
from geo.errors import DomainError
from geo.layers import OFFICERS
from geo.placenames.lifecycle import TRANSITIONS, edit, overdue_names, propose, rename, transition
from geo.plates.decisions import decide_plate_status
from geo.plates.street_check import check_street
from geo.store import Store
from geo.users import issue_token, revoke_token

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


def _officer(store: Store, token: str | None) -> User | None:
    return session_user(store, token, OFFICERS)


def _back(request: Request, path: str, **query: str) -> RedirectResponse:
    """Redirect (303) to ``path`` with a signed error or confirmation for its message box."""
    return RedirectResponse(flash_url(request, path, **query), status_code=303)


@router.get("/login")
def login_form(request: Request, next: str = "/officer/placenames",
               error: str | None = None) -> HTMLResponse:
    """Show the login form."""
    return page(request, "officer/login.html", "地名管理员登录", "Officer login", next=next,
                error=error)


@router.post("/login")
def login(request: Request, store: StoreDep, settings: SettingsDep,
          username: Annotated[str, Form()], password: Annotated[str, Form()],
          next: Annotated[str, Form()] = "/officer/placenames",
          csrf_token: Annotated[str | None, Form()] = None) -> Response:
    """Check the password (throttled like the API login) and set the session cookie."""
    refusal = csrf.refusal(request, {csrf.FIELD: csrf_token})
    if refusal is not None:  # a login forged by another site is refused before any password check
        return refused(request, refusal)
    try:
        user = log_in(request, store, username, password)
    except TooManyRequests as exc:
        return _back(request, "/officer/login", error=exc.message)
    except DomainError:
        return _back(request, "/officer/login", error="用户名或密码错误 Wrong username or password")
    token, _ = issue_token(store, user, ttl_minutes=settings.token_ttl_minutes)
    target = next if next.startswith(("/officer/", "/field/", "/maps")) else "/officer/placenames"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict",
                        max_age=settings.token_ttl_minutes * 60,
                        secure=settings.cookie_secure and not settings.dev_mode)
    return response


@router.post("/logout")
def logout(request: Request, store: StoreDep, xc_token: SessionCookie = None,
           csrf_token: Annotated[str | None, Form()] = None) -> Response:
    """End the session: the token is revoked on the server and the cookie forgotten."""
    refusal = csrf.refusal(request, {csrf.FIELD: csrf_token})
    if refusal is not None:
        return refused(request, refusal)
    revoke_token(store, xc_token)
    response = RedirectResponse("/officer/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/placenames")
def list_names(request: Request, store: StoreDep, q: str = "",
               xc_token: SessionCookie = None) -> Response:
    """List names: a search, or the newest fifty."""
    user = _officer(store, xc_token)
    if user is None:
        return login_redirect(request)
    if q.strip():
        ids = [h.id for h in cached_name_index(request.app.state.cache, store).search(q, limit=50)]
        rows = [store.get("place_names", i) for i in ids]
    else:
        rows = sorted(store.select("place_names"), key=lambda r: -r["id"])[:50]
    return page(request, "officer/placenames.html", "地名信息库", "Gazetteer", user=user, q=q,
                rows=rows, class_zh=CLASS_ZH, status_zh=STATUS_ZH, overdue=overdue_names(store),
                missing_zh={"filed_date": "备案 filing", "announce_date": "公告 announcement"})


@router.get("/placenames/new")
def new_form(request: Request, store: StoreDep, error: str | None = None,
             xc_token: SessionCookie = None) -> Response:
    """Show the proposal form."""
    user = _officer(store, xc_token)
    if user is None:
        return login_redirect(request)
    return page(request, "officer/placename_new.html", "申报新地名", "Propose a name", user=user,
                error=error, class_zh=CLASS_ZH)


@router.post("/placenames/new")
async def new_submit(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Propose the name from the form; show every rule it breaks."""
    user = _officer(store, xc_token)
    if user is None:
        return login_redirect(request)
    if (forged := await refuse_forgery(request, user)) is not None:
        return forged
    form = await request.form()
    rec = {k: str(form.get(k) or "").strip() or None for k in
           ("standard_name", "specific", "generic", "feature_class", "admin_code", "name_mong",
            "meaning")}
    rec["name_mong_pending"] = bool(form.get("name_mong_pending"))
    try:
        made = propose(store, {k: v for k, v in rec.items() if v is not None},
                       actor=user["username"],
                       justification=str(form.get("justification") or "") or None)
    except DomainError as exc:
        return _back(request, "/officer/placenames/new",
                     error="；".join(exc.details) if exc.details else exc.message)
    return RedirectResponse(f"/officer/placenames/{made['id']}", status_code=303)


@router.get("/placenames/{place_id}")
def detail(request: Request, place_id: int, store: StoreDep, error: str | None = None,
           done: str | None = None, xc_token: SessionCookie = None) -> Response:
    """Show a name, its romanization, history and the forms for its next steps."""
    user = _officer(store, xc_token)
    if user is None:
        return login_redirect(request)
    r = store.get("place_names", place_id)
    approval = " ".join(str(x) for x in (r.get("approval_authority"), r.get("approval_doc_no"),
                                        r.get("approval_date")) if x)
    rows = [("标准名称", "Standard name", r["standard_name"]),
            ("专名 / 通名", "Specific / generic",
             f"{r.get('specific') or ''} / {r.get('generic') or ''}"),
            ("汉语拼音", "Pinyin", r.get("pinyin_toned")),
            ("罗马字母拼写", "Romanization", r.get("romanization")),
            ("标牌拼写", "Sign text", r.get("sign_text")),
            ("蒙古文", "Mongolian",
             r.get("name_mong") or ("待译 pending" if r.get("name_mong_pending") else "")),
            ("类别", "Class", CLASS_ZH.get(r.get("feature_class"), r.get("feature_class"))),
            ("行政区划", "Unit code", r.get("admin_code")), ("含义", "Meaning", r.get("meaning")),
            ("状态", "Status", f"{STATUS_ZH.get(r['status'], r['status'])} ({r['status']})"),
            ("批准", "Approval", approval), ("版本", "Version", r["version"])]
    return page(request, "officer/placename.html", r["standard_name"], r.get("romanization") or "",
                user=user, error=error, done=done, place=r, rows=rows, status_zh=STATUS_ZH,
                steps=TRANSITIONS[r["status"]],
                events=store.select("place_name_events", where={"place_name_id": place_id}),
                former=store.select("former_names", where={"place_name_id": place_id}))


async def _form_action(request: Request, store: Store, place_id: int, token: str | None,
                       action) -> Response:
    user = _officer(store, token)
    if user is None:
        return login_redirect(request)
    if (forged := await refuse_forgery(request, user)) is not None:
        return forged
    form = {k: str(v).strip() for k, v in (await request.form()).items()
            if k != csrf.FIELD and str(v).strip()}
    path = f"/officer/placenames/{place_id}"
    try:
        version = int(form.pop("version", "0"))
        note = action(user, version, form)
    except DomainError as exc:
        return _back(request, path, error="；".join(exc.details) if exc.details else exc.message)
    except ValueError as exc:
        return _back(request, path, error=str(exc))
    return _back(request, path, done=note)


@router.post("/placenames/{place_id}/step")
async def step(request: Request, place_id: int, store: StoreDep,
               xc_token: SessionCookie = None) -> Response:
    """Submit the next lifecycle step."""
    def act(user, version, form):
        to = form.pop("to", "")
        comment, document_ref = form.pop("comment", None), form.pop("document_ref", None)
        transition(store, place_id, to, expected_version=version, actor=user["username"],
                   comment=comment, document_ref=document_ref, data=form)
        return f"已提交：{STATUS_ZH.get(to, to)} · done: {to}"

    return await _form_action(request, store, place_id, xc_token, act)


@router.post("/placenames/{place_id}/edit")
async def edit_meaning(request: Request, place_id: int, store: StoreDep,
                       xc_token: SessionCookie = None) -> Response:
    """Save the edited meaning (含义)."""
    def act(user, version, form):
        edit(store, place_id, {"meaning": form.get("meaning", "")}, expected_version=version,
             actor=user["username"])
        return "已保存 · saved"

    return await _form_action(request, store, place_id, xc_token, act)


@router.post("/placenames/{place_id}/rename")
async def rename_form(request: Request, place_id: int, store: StoreDep,
                      xc_token: SessionCookie = None) -> Response:
    """Rename the name; its streets and door plates follow."""
    def act(user, version, form):
        approval = {k: form.get(k) for k in ("approval_authority", "approval_doc_no",
                                             "approval_date")}
        rename(store, place_id, form.get("new_name", ""), expected_version=version,
               actor=user["username"], approval=approval, justification=form.get("justification"))
        return "已更名，门牌已排入重印 · renamed; plates queued for reprint"

    return await _form_action(request, store, place_id, xc_token, act)


PLATE_STATUS_ZH = {"active": "使用中", "revoked": "已撤销", "replaced": "已替换"}


@router.get("/plates")
def plates_page(request: Request, store: StoreDep, street: str = "",
                xc_token: SessionCookie = None) -> Response:
    """List a street's plates with the numbering check."""
    user = _officer(store, xc_token)
    if user is None:
        return login_redirect(request)
    rows: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    if street.strip():
        rows = sorted(store.select("door_plates", where={"street_name": street}),
                      key=lambda r: r["number"])
        problems = check_street(store, street)["problems"] if rows else []
    return page(request, "officer/plates.html", "门牌管理", "Door plates", user=user, street=street,
                shown=bool(street.strip()), rows=rows, problems=len(problems),
                status_zh=PLATE_STATUS_ZH, flagged={p["plate_uid"]: p["message"] for p in problems})


@router.get("/plates/{plate_uid}")
def plate_page(request: Request, plate_uid: str, store: StoreDep, settings: SettingsDep,
               error: str | None = None, done: str | None = None,
               xc_token: SessionCookie = None) -> Response:
    """One plate: its address, QR, a proof of the printed plate, and the status form."""
    user = _officer(store, xc_token)
    if user is None:
        return login_redirect(request)
    from geo.plates.printed import plate_texts
    from geo.plates.qr import qr_svg
    from maps.plate_print import plate_svg

    rows = store.select("door_plates", where={"plate_uid": plate_uid})
    if not rows:
        return message_page(request, "没有这块门牌", "No such plate", user=user,
                            error="没有这块门牌 · no such plate")
    p = rows[0]
    url = face = qr = None
    try:
        (text,) = plate_texts(store, rows, signer=request.app.state.plate_signer,
                              base_url=settings.public_base_url)
    except DomainError as exc:  # a malformed stored uid: say so, and still offer the status form
        error = "；".join(x for x in (error, exc.message) if x)
    else:
        # Markup, not text: the plate SVG comes from an autoescaping template, the QR from segno.
        url = text.url
        face = Markup(plate_svg(text, proof=not text.name_mong))
        qr = Markup(qr_svg(text.url))
    return page(request, "officer/plate.html", f"门牌 {p['number']}号", plate_uid, user=user,
                error=error, done=done, plate=p, url=url, face=face, qr=qr,
                status_zh=PLATE_STATUS_ZH)


@router.post("/plates/{plate_uid}/status")
async def plate_status(request: Request, plate_uid: str, store: StoreDep,
                       xc_token: SessionCookie = None) -> Response:
    """Change a plate's status through its use case, recording the decision behind it."""
    user = _officer(store, xc_token)
    if user is None:
        return login_redirect(request)
    if (forged := await refuse_forgery(request, user)) is not None:
        return forged
    form = {k: str(v).strip() for k, v in (await request.form()).items()}
    path = f"/officer/plates/{quote(plate_uid, safe='')}"
    try:
        decide_plate_status(store, plate_uid, form.get("status", ""), form,
                            expected_version=int(form.get("version") or 0), actor=user["username"])
    except (DomainError, ValueError) as exc:
        return _back(request, path, error=getattr(exc, "message", str(exc)))
    return _back(request, path, done="已保存 · saved")
