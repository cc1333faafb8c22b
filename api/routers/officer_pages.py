"""Officer pages for the gazetteer, in Chinese with English beside it; server-rendered, no JavaScript.

Login sets an HttpOnly, SameSite=Strict cookie holding the same bearer token the API uses; every
form posts back to this site only. Each page turns a form into one library call.
"""

from __future__ import annotations

import html
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Cookie, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import SettingsDep, StoreDep, log_in
from api.ratelimit import TooManyRequests
from api.routers.placenames import OFFICERS, name_index
from geo.errors import DomainError, InputError, NotAuthenticated, NotFound
from geo.placenames import TRANSITIONS, edit, propose, rename, transition
from geo.store import Store
from geo.users import issue_token, revoke_token, user_for_token

router = APIRouter(prefix="/officer", tags=["officer pages 业务页面"], include_in_schema=False)
COOKIE = "xc_token"
STATUS_ZH = {"proposed": "申报", "consultation": "征求意见", "expert_review": "专家论证", "assessment": "综合评估",
             "approved": "已批准", "filed": "已备案", "announced": "已公告", "in_force": "使用中",
             "superseded": "已替代", "retired": "已废止"}
CLASS_ZH = {"street": "街路巷", "community": "社区", "village": "行政村", "admin_unit": "行政区划",
            "residential": "居民区", "building": "建筑物", "facility": "设施", "bridge": "桥梁", "natural": "自然地理实体"}
_CSS = """body{font-family:"Noto Sans CJK SC","Noto Sans",sans-serif;margin:0;color:#1b1f24}
header{background:#1f4e79;color:#fff;padding:.6em 1em}header a{color:#fff;margin-right:1em}header .en{color:#d6e4f0}
main{padding:1em;max-width:1000px}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;
padding:4px 6px;text-align:left;font-size:15px}.en{color:#667;font-size:.85em}.err{background:#fde8e8;color:#8a1c1c;
padding:.5em;border-radius:4px}.ok{background:#e6f4ea;padding:.5em;border-radius:4px}form.inline{display:inline}
label{display:block;margin:.3em 0}input,select,textarea{font-size:15px;padding:3px;max-width:100%}
fieldset{margin:1em 0;border:1px solid #ccd}
@media(max-width:600px){header .who{float:none!important;display:block;margin-top:.3em}}"""


def _page(title_zh: str, title_en: str, body: str, *, user: dict[str, Any] | None = None) -> HTMLResponse:
    who = (f"{html.escape(user['username'])} · <form class='inline' method='post' action='/officer/logout'>"
           f"<button>退出 Log out</button></form>") if user else ""
    return HTMLResponse(
        f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width,initial-scale=1'><title>{html.escape(title_zh)}</title>"
        f"<style>{_CSS}</style></head><body><header><a href='/officer/placenames'>地名信息库 <span class='en'>"
        f"Gazetteer</span></a><a href='/officer/placenames/new'>申报新地名 <span class='en'>Propose</span></a>"
        f"<a href='/officer/plates'>门牌 <span class='en'>Door plates</span></a>"
        f"<span class='who' style='float:right'>{who}</span></header><main><h1>{html.escape(title_zh)} "
        f"<span class='en'>{html.escape(title_en)}</span></h1>{body}</main></body></html>")


def session_user(store: Store, token: str | None, roles: frozenset[str]) -> dict[str, Any] | None:
    """Return the user of a page session cookie if it is valid and has one of ``roles``, else ``None``."""
    try:
        user = user_for_token(store, token)
    except NotAuthenticated:
        return None
    return user if user["role"] in roles else None


def _officer(store: Store, token: str | None) -> dict[str, Any] | None:
    return session_user(store, token, OFFICERS)


def _login_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/officer/login?next={quote(str(request.url.path))}", status_code=303)


@router.get("/login")
def login_form(next: str = "/officer/placenames", error: str | None = None) -> HTMLResponse:
    """Show the login form."""
    msg = f"<p class='err'>{html.escape(error)}</p>" if error else ""
    body = (f"{msg}<form method='post' action='/officer/login'><input type='hidden' name='next' "
            f"value='{html.escape(next)}'><label>用户名 <span class='en'>Username</span> <input name='username' "
            f"autocomplete='username' required></label><label>密码 <span class='en'>Password</span> <input "
            f"type='password' name='password' autocomplete='current-password' required></label>"
            f"<button>登录 Log in</button></form>")
    return _page("地名管理员登录", "Officer login", body)


@router.post("/login")
def login(request: Request, store: StoreDep, settings: SettingsDep, username: Annotated[str, Form()],
          password: Annotated[str, Form()], next: Annotated[str, Form()] = "/officer/placenames"):
    """Check the password (throttled like the API login) and set the session cookie."""
    try:
        user = log_in(request, store, username, password)
    except TooManyRequests as exc:
        return RedirectResponse(f"/officer/login?error={quote(exc.message)}", status_code=303)
    except DomainError:
        return RedirectResponse(f"/officer/login?error={quote('用户名或密码错误 Wrong username or password')}",
                                status_code=303)
    token, _ = issue_token(store, user, ttl_minutes=settings.token_ttl_minutes)
    target = next if next.startswith(("/officer/", "/field/", "/maps")) else "/officer/placenames"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", max_age=settings.token_ttl_minutes * 60,
                        secure=settings.cookie_secure and not settings.dev_mode)
    return response


@router.post("/logout")
def logout(store: StoreDep, xc_token: Annotated[str | None, Cookie()] = None) -> RedirectResponse:
    """End the session: the token is revoked on the server and the cookie forgotten."""
    revoke_token(store, xc_token)
    response = RedirectResponse("/officer/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/placenames")
def list_names(request: Request, store: StoreDep, q: str = "", xc_token: Annotated[str | None, Cookie()] = None):
    """List names: a search, or the newest fifty."""
    user = _officer(store, xc_token)
    if user is None:
        return _login_redirect(request)
    if q.strip():
        ids = [h.id for h in name_index(request, store).search(q, limit=50)]
        rows = [store.get("place_names", i) for i in ids]
    else:
        rows = sorted(store.select("place_names"), key=lambda r: -r["id"])[:50]
    trs = "".join(
        f"<tr><td><a href='/officer/placenames/{r['id']}'>{html.escape(r['standard_name'])}</a></td>"
        f"<td>{html.escape(r.get('pinyin_toned') or '')}</td><td>{CLASS_ZH.get(r.get('feature_class'), '')}</td>"
        f"<td>{STATUS_ZH.get(r['status'], r['status'])}</td></tr>" for r in rows)
    body = (f"<form method='get'><input name='q' value='{html.escape(q)}' placeholder='汉字、拼音或首字母 (xlbl)'> "
            f"<button>查询 Search</button></form><table><tr><th>标准名称 <span class='en'>Name</span></th>"
            f"<th>拼音 <span class='en'>Pinyin</span></th><th>类别 <span class='en'>Class</span></th>"
            f"<th>状态 <span class='en'>Status</span></th></tr>{trs}</table>")
    return _page("地名信息库", "Gazetteer", body, user=user)


def _field(label_zh: str, label_en: str, name: str, value: Any = "", kind: str = "text") -> str:
    return (f"<label>{label_zh} <span class='en'>{label_en}</span> <input type='{kind}' name='{name}' "
            f"value='{html.escape(str(value or ''))}'></label>")


@router.get("/placenames/new")
def new_form(request: Request, store: StoreDep, error: str | None = None,
             xc_token: Annotated[str | None, Cookie()] = None):
    """Show the proposal form."""
    user = _officer(store, xc_token)
    if user is None:
        return _login_redirect(request)
    classes = "".join(f"<option value='{k}'>{v} {k}</option>" for k, v in CLASS_ZH.items())
    msg = f"<p class='err'>{html.escape(error)}</p>" if error else ""
    body = (f"{msg}<form method='post' action='/officer/placenames/new'>"
            + _field("标准名称", "Standard name", "standard_name") + _field("专名", "Specific", "specific")
            + _field("通名", "Generic", "generic")
            + f"<label>类别 <span class='en'>Class</span> <select name='feature_class'>{classes}</select></label>"
            + _field("行政区划代码", "12-digit unit code", "admin_code")
            + _field("蒙古文名称", "Mongolian-script name", "name_mong")
            + "<label><input type='checkbox' name='name_mong_pending' value='1'> 蒙古文名称待译 "
              "<span class='en'>Mongolian name pending</span></label>"
            + "<label>含义 <span class='en'>Meaning</span><br><textarea name='meaning' rows='2' cols='60'></textarea></label>"
            + _field("理由（有警告时必填）", "Justification (needed for warnings)", "justification")
            + "<button>申报 Propose</button></form>")
    return _page("申报新地名", "Propose a name", body, user=user)


@router.post("/placenames/new")
async def new_submit(request: Request, store: StoreDep, xc_token: Annotated[str | None, Cookie()] = None):
    """Propose the name from the form; show every rule it breaks."""
    user = _officer(store, xc_token)
    if user is None:
        return _login_redirect(request)
    form = await request.form()
    rec = {k: str(form.get(k) or "").strip() or None for k in
           ("standard_name", "specific", "generic", "feature_class", "admin_code", "name_mong", "meaning")}
    rec["name_mong_pending"] = bool(form.get("name_mong_pending"))
    try:
        made = propose(store, {k: v for k, v in rec.items() if v is not None}, actor=user["username"],
                       justification=str(form.get("justification") or "") or None)
    except DomainError as exc:
        detail = "；".join(exc.details) if exc.details else exc.message
        return RedirectResponse(f"/officer/placenames/new?error={quote(detail)}", status_code=303)
    return RedirectResponse(f"/officer/placenames/{made['id']}", status_code=303)


@router.get("/placenames/{place_id}")
def detail(request: Request, place_id: int, store: StoreDep, error: str | None = None, done: str | None = None,
           xc_token: Annotated[str | None, Cookie()] = None):
    """Show a name, its romanization, history and the forms for its next steps."""
    user = _officer(store, xc_token)
    if user is None:
        return _login_redirect(request)
    r = store.get("place_names", place_id)
    rows = [("标准名称", "Standard name", r["standard_name"]), ("专名 / 通名", "Specific / generic",
             f"{r.get('specific') or ''} / {r.get('generic') or ''}"), ("汉语拼音", "Pinyin", r.get("pinyin_toned")),
            ("罗马字母拼写", "Romanization", r.get("romanization")), ("标牌拼写", "Sign text", r.get("sign_text")),
            ("蒙古文", "Mongolian", r.get("name_mong") or ("待译 pending" if r.get("name_mong_pending") else "")),
            ("类别", "Class", CLASS_ZH.get(r.get("feature_class"), r.get("feature_class"))),
            ("行政区划", "Unit code", r.get("admin_code")), ("含义", "Meaning", r.get("meaning")),
            ("状态", "Status", f"{STATUS_ZH.get(r['status'], r['status'])} ({r['status']})"),
            ("批准", "Approval", " ".join(str(x) for x in (r.get("approval_authority"), r.get("approval_doc_no"),
                                                          r.get("approval_date")) if x)),
            ("版本", "Version", r["version"])]
    table = "".join(f"<tr><th>{a} <span class='en'>{b}</span></th><td lang='{'mn' if b == 'Mongolian' else 'zh'}'>"
                    f"{html.escape(str(c or ''))}</td></tr>" for a, b, c in rows)
    events = "".join(f"<tr><td>{html.escape(str(e['at'])[:16])}</td><td>{STATUS_ZH.get(e['to_status'], e['to_status'])}"
                     f"</td><td>{html.escape(e['actor'])}</td><td>{html.escape(e.get('comment') or '')}</td></tr>"
                     for e in store.select("place_name_events", where={"place_name_id": place_id}))
    former = "".join(f"<li>{html.escape(f['name'])} ({f.get('valid_from') or '?'} – {f.get('valid_to') or '?'})</li>"
                     for f in store.select("former_names", where={"place_name_id": place_id}))
    steps = "".join(f"<option value='{s}'>{STATUS_ZH[s]} {s}</option>" for s in TRANSITIONS[r["status"]])
    msg = (f"<p class='err'>{html.escape(error)}</p>" if error else "") + (
        f"<p class='ok'>{html.escape(done)}</p>" if done else "")
    step_form = (f"<fieldset><legend>下一步 <span class='en'>Next step</span></legend><form method='post' "
                 f"action='/officer/placenames/{place_id}/step'><input type='hidden' name='version' value='{r['version']}'>"
                 f"<select name='to'>{steps}</select>" + _field("批准机关", "Approving authority", "approval_authority")
                 + _field("批准文号", "Document number", "approval_doc_no") + _field("批准时间", "Approval date",
                                                                                  "approval_date", kind="date")
                 + _field("备案时间", "Filing date", "filed_date", kind="date")
                 + _field("公告时间", "Announcement date", "announce_date", kind="date")
                 + _field("文件", "Document reference", "document_ref") + _field("意见", "Comment", "comment")
                 + "<button>提交 Submit</button></form></fieldset>") if steps else ""
    edit_form = (f"<fieldset><legend>修改含义 <span class='en'>Edit meaning</span></legend><form method='post' "
                 f"action='/officer/placenames/{place_id}/edit'><input type='hidden' name='version' value='{r['version']}'>"
                 f"<textarea name='meaning' rows='2' cols='60'>{html.escape(r.get('meaning') or '')}</textarea>"
                 f"<button>保存 Save</button></form></fieldset>")
    rename_form = (f"<fieldset><legend>更名 <span class='en'>Rename</span></legend><form method='post' "
                   f"action='/officer/placenames/{place_id}/rename'><input type='hidden' name='version' "
                   f"value='{r['version']}'>" + _field("新名称", "New name", "new_name")
                   + _field("批准机关", "Approving authority", "approval_authority")
                   + _field("批准文号", "Document number", "approval_doc_no")
                   + _field("批准时间", "Approval date", "approval_date", kind="date")
                   + _field("理由", "Justification", "justification")
                   + "<button>更名 Rename</button></form></fieldset>") if r["status"] == "in_force" else ""
    body = (f"{msg}<table>{table}</table><h2>曾用名 <span class='en'>Former names</span></h2><ul>{former or '<li>—</li>'}"
            f"</ul>{step_form}{edit_form}{rename_form}<h2>记录 <span class='en'>History</span></h2><table>{events}</table>")
    return _page(r["standard_name"], r.get("romanization") or "", body, user=user)


async def _form_action(request: Request, store: Store, place_id: int, token: str | None, action) -> RedirectResponse:
    user = _officer(store, token)
    if user is None:
        return _login_redirect(request)
    form = {k: str(v).strip() for k, v in (await request.form()).items() if str(v).strip()}
    try:
        version = int(form.pop("version", "0"))
        note = action(user, version, form)
    except (DomainError, ValueError) as exc:
        detail = "；".join(exc.details) if isinstance(exc, DomainError) and exc.details else getattr(exc, "message", str(exc))
        return RedirectResponse(f"/officer/placenames/{place_id}?error={quote(detail)}", status_code=303)
    return RedirectResponse(f"/officer/placenames/{place_id}?done={quote(note)}", status_code=303)


@router.post("/placenames/{place_id}/step")
async def step(request: Request, place_id: int, store: StoreDep, xc_token: Annotated[str | None, Cookie()] = None):
    """Submit the next lifecycle step."""
    def act(user, version, form):
        to = form.pop("to", "")
        comment, document_ref = form.pop("comment", None), form.pop("document_ref", None)
        transition(store, place_id, to, expected_version=version, actor=user["username"], comment=comment,
                   document_ref=document_ref, data=form)
        return f"已提交：{STATUS_ZH.get(to, to)} · done: {to}"

    return await _form_action(request, store, place_id, xc_token, act)


@router.post("/placenames/{place_id}/edit")
async def edit_meaning(request: Request, place_id: int, store: StoreDep,
                       xc_token: Annotated[str | None, Cookie()] = None):
    """Save the edited meaning (含义)."""
    def act(user, version, form):
        edit(store, place_id, {"meaning": form.get("meaning", "")}, expected_version=version, actor=user["username"])
        return "已保存 · saved"

    return await _form_action(request, store, place_id, xc_token, act)


@router.post("/placenames/{place_id}/rename")
async def rename_form(request: Request, place_id: int, store: StoreDep,
                      xc_token: Annotated[str | None, Cookie()] = None):
    """Rename the name; its streets and door plates follow."""
    def act(user, version, form):
        approval = {k: form.get(k) for k in ("approval_authority", "approval_doc_no", "approval_date")}
        rename(store, place_id, form.get("new_name", ""), expected_version=version, actor=user["username"],
               approval=approval, justification=form.get("justification"))
        return "已更名，门牌已排入重印 · renamed; plates queued for reprint"

    return await _form_action(request, store, place_id, xc_token, act)


PLATE_STATUS_ZH = {"active": "使用中", "revoked": "已撤销", "replaced": "已替换"}


@router.get("/plates")
def plates_page(request: Request, store: StoreDep, street: str = "", xc_token: Annotated[str | None, Cookie()] = None):
    """List a street's plates with the numbering check."""
    user = _officer(store, xc_token)
    if user is None:
        return _login_redirect(request)
    body = (f"<form method='get'><input name='street' value='{html.escape(street)}' placeholder='街路巷名称 street'>"
            f" <button>查看 Show</button></form>")
    if street.strip():
        from api.routers.plates import get_check

        rows = sorted(store.select("door_plates", where={"street_name": street}), key=lambda r: r["number"])
        problems = get_check(street, store, user)["problems"] if rows else []
        flagged = {p["plate_uid"]: p["message"] for p in problems}
        body += (f"<p>{len(rows)} 块门牌 plates · 编号问题 numbering problems: {len(problems)}</p><table><tr>"
                 "<th>门牌号 No.</th><th>侧 Side</th><th>状态 Status</th><th>编号 ID</th><th>问题 Problem</th></tr>")
        body += "".join(
            f"<tr><td><a href='/officer/plates/{r['plate_uid']}'>{r['number']}{html.escape(r.get('suffix') or '')}号</a>"
            f"</td><td>{'左 left' if r.get('side') == 'left' else '右 right'}</td>"
            f"<td>{PLATE_STATUS_ZH.get(r['status'], r['status'])}</td><td>{r['plate_uid']}</td>"
            f"<td>{html.escape(flagged.get(r['plate_uid'], ''))}</td></tr>" for r in rows)
        body += "</table>"
    return _page("门牌管理", "Door plates", body, user=user)


@router.get("/plates/{plate_uid}")
def plate_page(request: Request, plate_uid: str, store: StoreDep, settings: SettingsDep, error: str | None = None,
               done: str | None = None, xc_token: Annotated[str | None, Cookie()] = None):
    """One plate: its address, QR, a proof of the printed plate, and the status form."""
    user = _officer(store, xc_token)
    if user is None:
        return _login_redirect(request)
    from api.plate_texts import plate_texts
    from geo.plate_qr import qr_svg
    from maps.plate_print import plate_svg

    rows = store.select("door_plates", where={"plate_uid": plate_uid})
    if not rows:
        return _page("没有这块门牌", "No such plate", "<p class='err'>没有这块门牌 · no such plate</p>", user=user)
    p = rows[0]
    (text,) = plate_texts(store, rows, signer=request.app.state.plate_signer, base_url=settings.public_base_url)
    url = text.url
    face = plate_svg(text, proof=not text.name_mong)
    msg = (f"<p class='err'>{html.escape(error)}</p>" if error else "") + (
        f"<p class='ok'>{html.escape(done)}</p>" if done else "")
    options = "".join(f"<option value='{k}'{' selected' if k == p['status'] else ''}>{v} {k}</option>"
                      for k, v in PLATE_STATUS_ZH.items())
    body = (f"{msg}<p>{html.escape(p['street_name'])}{p['number']}{html.escape(p.get('suffix') or '')}号 · "
            f"{PLATE_STATUS_ZH.get(p['status'], p['status'])} · 户数 households {p.get('households') or 0} · "
            f"<a href='{html.escape(url)}'>{html.escape(url)}</a></p>"
            f"<div style='max-width:520px'>{face}</div><div style='width:160px'>{qr_svg(url)}</div>"
            f"<fieldset><legend>状态与依据 <span class='en'>Status and decision</span></legend>"
            f"<form method='post' action='/officer/plates/{plate_uid}/status'><input type='hidden' name='version' "
            f"value='{p['version']}'><select name='status'>{options}</select>"
            + _field("决定机关", "Decision body", "decision_body") + _field("文号", "Document number", "decision_doc_no")
            + _field("日期", "Date", "decision_date", kind="date") + "<button>保存 Save</button></form></fieldset>")
    return _page(f"门牌 {p['number']}号", plate_uid, body, user=user)


@router.post("/plates/{plate_uid}/status")
async def plate_status(request: Request, plate_uid: str, store: StoreDep,
                       xc_token: Annotated[str | None, Cookie()] = None):
    """Change a plate's status, recording the decision behind it (never deleted)."""
    from datetime import date

    user = _officer(store, xc_token)
    if user is None:
        return _login_redirect(request)
    form = {k: str(v).strip() for k, v in (await request.form()).items()}
    rows = store.select("door_plates", where={"plate_uid": plate_uid})
    try:
        if not rows:
            raise NotFound(f"no door plate {plate_uid}", field="plate_uid")
        if form.get("status") not in PLATE_STATUS_ZH:
            raise InputError(f"status must be one of {', '.join(PLATE_STATUS_ZH)}", field="status")
        missing = [k for k in ("decision_body", "decision_doc_no", "decision_date") if not form.get(k)]
        if missing:
            raise InputError(f"a status change must record {', '.join(missing)}", field=missing[0])
        store.update("door_plates", rows[0]["id"], {
            "status": form["status"], "decision_body": form["decision_body"],
            "decision_doc_no": form["decision_doc_no"], "decision_date": date.fromisoformat(form["decision_date"])},
            expected_version=int(form.get("version") or 0), actor=user["username"])
    except (DomainError, ValueError) as exc:
        detail = getattr(exc, "message", str(exc))
        return RedirectResponse(f"/officer/plates/{plate_uid}?error={quote(detail)}", status_code=303)
    return RedirectResponse(f"/officer/plates/{plate_uid}?done={quote('已保存 · saved')}", status_code=303)
