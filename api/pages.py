"""Server-rendered pages: Jinja2 templates (api/templates/) with autoescape, and the CSRF token.

Every value a template prints is HTML-escaped unless a caller hands over markup it built itself
from escaped parts (a rendered SVG template); data for a script goes through ``|tojson``, which
escapes ``<``, ``>``, ``&`` and ``'`` so stored text can never close the script.

Every page gets ``csp_nonce``, the nonce of its response (api/headers.py): the templates write it
on each of their own ``<script>`` and ``<style>`` tags, which is the only way a script runs on a
page. No template has an inline event handler (``onclick=``); scripts attach their listeners.

A form posted after its session expired is not lost: :func:`expired_form` keeps what was typed in a
short-lived signed cookie for the form's own page and sends the user to log in; the page fills it
back in (:func:`posted_draft`) and says so.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from fastapi import Cookie, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.routing import BaseRoute, Match, Mount

from api import csrf
from api.deps import ROLE_ZH, PageRoleRefused, get_store, page_user
from geo import messages
from geo.errors import DomainError, StaleVersion
from geo.layers import ADMIN, BOUNDARY_INSPECTOR, INSPECTORS, OFFICERS, PLACENAME_OFFICER, PLANNER, ROLES
from geo.messages import Term, quoted, text
from geo.store import Store
from maps.csp import current_nonce

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                        autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                        lstrip_blocks=True)


def render_text(name: str, **context: Any) -> str:
    """Return the template ``name`` rendered with ``context`` (autoescaped) and ``csp_nonce``, the
    script nonce of the response being built (empty outside a request)."""
    context.setdefault("csp_nonce", current_nonce() or "")
    return TEMPLATES.get_template(name).render(**context)


def csp_nonce(request: Request) -> str:
    """Return the script nonce of ``request``'s response (api/headers.py makes one per request)."""
    return getattr(request.state, "csp_nonce", None) or current_nonce() or ""


FLASH_KEYS = ("error", "done")
FLASH_TTL_S = 600  # a message link older than this shows no message


def _signed(request: Request, *parts: str) -> str:
    """Return the service's signature (HMAC under the secret key) of ``parts``."""
    key = request.app.state.settings.secret_key.encode()
    return hmac.new(key, "\0".join(parts).encode(), hashlib.sha256).hexdigest()[:32]


def _fresh(stamp: str) -> bool:
    """Return whether a signed stamp (seconds since the epoch) is at most :data:`FLASH_TTL_S` old."""
    return stamp.isdigit() and 0 <= time.time() - int(stamp) <= FLASH_TTL_S


def _flash_signature(request: Request, path: str, stamp: str, values: dict[str, str]) -> str:
    """Sign a page message together with the page it is for and when it was made, so that a signed
    message cannot be carried to another page (the login page, say) or replayed later."""
    return _signed(request, path, stamp, *(f"{k}={values.get(k, '')}" for k in FLASH_KEYS))


def flash_url(request: Request, path: str, **messages: str) -> str:
    """Return ``path`` with a message for the next page, signed so that only the service can set
    what a page's message box says (a link cannot make an officer's page show a phishing text)."""
    values = {k: v for k, v in messages.items() if k in FLASH_KEYS and v}
    if not values:
        return path
    stamp = str(int(time.time()))
    signature = _flash_signature(request, unquote(urlsplit(path).path), stamp, values)
    query = urlencode({**values, "ts": stamp, "sig": signature})
    return f"{path}{'&' if '?' in path else '?'}{query}"


def _unsigned_flash_dropped(request: Request, context: dict[str, Any]) -> dict[str, Any]:
    """Drop an error or confirmation that came from the URL without the service's signature for
    this page, or signed more than :data:`FLASH_TTL_S` ago."""
    sent = {k: v for k in FLASH_KEYS if (v := request.query_params.get(k))}
    if not sent:
        return context
    stamp = request.query_params.get("ts", "")
    fresh = _fresh(stamp)
    expected = _flash_signature(request, request.scope["path"], stamp, sent)
    if fresh and hmac.compare_digest(request.query_params.get("sig", ""), expected):
        return context
    return {k: (None if k in sent and v == sent[k] else v) for k, v in context.items()}


# A form posted after its session expired: what was typed waits in a cookie for the form's page.
DRAFT_COOKIE = "xc_draft"
DRAFT_TTL_S = FLASH_TTL_S  # a draft older than this (10 minutes) is not filled back in
DRAFT_MAX_BYTES = 3500  # the cookie's name and value, well under a browser's 4 KB per cookie
DRAFT_MAX_FIELDS = 60


@dataclass(frozen=True)
class Draft:
    """What was typed into a form posted with no valid session, to fill the form's page again.

    ``form`` is the path the form was posted to (a page can hold several forms), ``values`` the
    fields as typed (never a password or the CSRF token), ``cut`` whether long text had to be cut
    to fit the cookie, ``files`` whether a chosen file (a photo) could not be kept.
    """

    form: str
    values: dict[str, str] = field(default_factory=dict)
    cut: bool = False
    files: bool = False

    def for_form(self, action: str) -> dict[str, str]:
        """Return the values typed into the form posted to ``action`` (empty for another form)."""
        return self.values if action == self.form else {}


def _kept_fields(form: Mapping[str, Any]) -> tuple[dict[str, str], bool]:
    """Return the text fields of a posted form worth keeping, and whether a file was left out."""
    values: dict[str, str] = {}
    files = False
    for key, value in form.items():
        if not isinstance(value, str):
            files = files or bool(getattr(value, "filename", None))
            continue
        if key == csrf.FIELD or "password" in key.lower() or len(values) >= DRAFT_MAX_FIELDS:
            continue
        values[key[:100]] = value
    return values, files


def _draft_payload(draft: Draft) -> str:
    data = {"f": draft.form, "v": draft.values, "c": draft.cut, "p": draft.files}
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _draft_cookie(request: Request, path: str, draft: Draft) -> str | None:
    """Return the signed cookie value for ``draft``, cutting the longest text until it fits
    (``None`` if not even an empty draft fits, for a form at an absurdly long path)."""
    values = dict(draft.values)
    stamp = str(int(time.time()))
    while True:
        payload = _draft_payload(Draft(draft.form, values, draft.cut or values != draft.values, draft.files))
        cookie = f"{payload}.{stamp}.{_signed(request, 'draft', path, stamp, payload)}"
        excess = len(DRAFT_COOKIE) + 1 + len(cookie) - DRAFT_MAX_BYTES
        if excess <= 0:
            return cookie
        if not values:
            return None
        longest = max(values, key=lambda k: len(values[k].encode()))
        raw = values[longest].encode()
        if not raw:  # only empty fields left: drop one
            del values[longest]
            continue
        # base64 writes 4 characters per 3 bytes: cut that much, and a little more
        values[longest] = raw[:max(0, len(raw) - excess * 3 // 4 - 4)].decode("utf-8", "ignore")


async def expired_form(request: Request, *, page_path: str, keep_draft: bool = True) -> RedirectResponse:
    """Answer a form posted with no valid session (it expired while the form was open).

    Nothing is stored. The browser goes to the login form, which comes back to ``page_path`` (the
    form's own page) afterwards; what was typed waits there in a cookie signed for that page,
    HttpOnly, SameSite=Strict, for :data:`DRAFT_TTL_S`, and the page fills it back in (see
    :func:`posted_draft`). Not in the URL, so that no link can fill in another person's form; and
    only for a post from this site's own pages (a forged cross-site post keeps nothing). The
    password and the CSRF token are never kept; the form is sent again with a fresh token. With
    ``keep_draft`` false the body is not read at all (an upload form: a file is never kept).
    """
    login = f"/officer/login?next={quote(page_path)}"
    said = text("pages_errors.session_expired" if keep_draft else "pages_errors.session_expired_upload")
    response = RedirectResponse(flash_url(request, login, error=said), status_code=303)
    if keep_draft and csrf.origin_refusal(request) is None:
        form = await request.form()
        values, files = _kept_fields(form)
        await form.close()  # a chosen photo's temporary file
        cookie = _draft_cookie(request, page_path, Draft(request.scope["path"], values, files=files))
        settings = request.app.state.settings
        if cookie is not None:
            response.set_cookie(DRAFT_COOKIE, cookie, max_age=DRAFT_TTL_S, path=quote(page_path, safe="/"),
                                httponly=True, samesite="strict",
                                secure=settings.cookie_secure and not settings.dev_mode)
    return response


def posted_draft(request: Request) -> Draft | None:
    """Return the draft kept for this page by :func:`expired_form`, if signed for it and fresh."""
    raw = request.cookies.get(DRAFT_COOKIE, "")
    payload, _, rest = raw.partition(".")
    stamp, _, signature = rest.partition(".")
    if not payload or not _fresh(stamp):  # DRAFT_TTL_S is FLASH_TTL_S
        return None
    if not hmac.compare_digest(signature, _signed(request, "draft", request.scope["path"], stamp, payload)):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return Draft(str(data["f"]), {str(k): str(v) for k, v in data["v"].items()}, bool(data.get("c")),
                     bool(data.get("p")))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def draft_notice_lines(draft: Draft) -> list[str]:
    """Return the lines the page shows above a draft filled back in."""
    parts = [text("pages_errors.draft_kept")]
    if draft.cut:
        parts.append(text("pages_errors.draft_cut"))
    if draft.files:
        parts.append(text("pages_errors.draft_files"))
    return parts


def active_district(request: Request) -> tuple[str, str] | None:
    """Return the district a page request is for, ``(adcode, "name（adcode）")``, when it is not the
    service's own (the header shows it), else ``None``: the district api.deps.get_store chose."""
    try:
        store = get_store(request)
    except DomainError:
        return None
    if store.adcode == request.app.state.store.adcode:
        return None
    outline = store.select("admin_units", where={"code": f"{store.adcode}000000", "level": "district"}, limit=1)
    return store.adcode, (f"{outline[0]['name']}（{store.adcode}）" if outline else store.adcode)


def render(request: Request, name: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """Return a page whose forms carry the CSRF token of ``request``'s browser.

    A page given a ``draft`` (:func:`posted_draft`) fills it in and says so; a kept draft is
    forgotten once its page has been shown.
    """
    context = _unsigned_flash_dropped(request, context)
    context.setdefault("nav", nav_links(request, context.get("user")))
    if "district" not in context:  # an error page may pass none: it must draw without the database
        active = active_district(request)
        context["district"] = active[1] if active else None
        context.setdefault("district_code", active[0] if active else None)
    context.setdefault("district_code", None)
    context.setdefault("home_district", request.app.state.store.adcode)
    context.setdefault("here", request.url.path)
    context.setdefault("draft", None)
    context.setdefault("draft_notice", draft_notice_lines(context["draft"]) if context["draft"] else None)
    token = csrf.form_token(request)
    response = HTMLResponse(render_text(name, csrf_token=token, csrf_field=csrf.FIELD,
                                        csp_nonce=csp_nonce(request), **context),
                            status_code=status)
    csrf.remember_nonce(request, response)
    if DRAFT_COOKIE in request.cookies:
        settings = request.app.state.settings
        response.delete_cookie(DRAFT_COOKIE, path=quote(request.scope["path"], safe="/"), httponly=True,
                               samesite="strict", secure=settings.cookie_secure and not settings.dev_mode)
    return response


def refused(request: Request, message: str, *, user: dict[str, Any] | None = None) -> HTMLResponse:
    """Return the 403 page for a form refused by the CSRF checks; nothing was stored."""
    return render(request, "officer/message.html", status=403, title_zh="已拒绝",
                  title_en="Refused", user=user, error=message, done=None)


MAX_WHOLE_DIGITS = 18  # a record id, version or page number fits a signed 64-bit integer


def whole_number(raw: object) -> int | None:
    """Return ``raw`` (a form field or an address part) as a whole number from 0, or ``None`` when it is
    not one a record can have (letters, a sign, a fraction, more digits than a 64-bit integer holds)."""
    value = str(raw if raw is not None else "").strip()
    if not value.isascii() or not value.isdigit() or len(value) > MAX_WHOLE_DIGITS:
        return None
    return int(value)


def bad_address(request: Request, user: User | None, value: str, *, key: str = "forms.bad_id") -> HTMLResponse:
    """Return the 网址有误 page (422) for an id or page number in the address that is not a number
    (a form posted to it gets this page too, never the API's JSON)."""
    title = "pages_errors.title_422"
    return message_page(request, messages.zh(title), messages.en(title), user=user, status=422,
                        error=text(key, value=value[:40]))


# Shared by every page router (officer, field, maps): the session cookie, the page frame, the
# login redirect and the 403 pages.
SessionCookie = Annotated[str | None, Cookie(alias=csrf.SESSION_COOKIE)]
User = dict[str, Any]


def page(request: Request, template: str, title_zh: str, title_en: str, *, user: User | None = None,
         status: int = 200, **context: Any) -> HTMLResponse:
    """Return an officer page: ``template`` (under api/templates/) in the officers' frame."""
    return render(request, template, status=status, title_zh=title_zh, title_en=title_en, user=user,
                  **context)


def message_page(request: Request, title_zh: str, title_en: str, *, user: User | None = None,
                 error: str | None = None, done: str | None = None,
                 status: int = 200) -> HTMLResponse:
    """Return an officer page that only says something (an error or a confirmation)."""
    return page(request, "officer/message.html", title_zh, title_en, user=user, error=error,
                done=done, status=status)


def cannot_draw_page(request: Request, user: User, exc: DomainError) -> HTMLResponse:
    """Return the page saying why a map or report cannot be drawn (a layer to load first, a broken settings
    file), Chinese first, with the error's own status: a browser shows it as a page, never as the API's JSON."""
    return message_page(request, "暂时无法生成", "Cannot be drawn yet", user=user, error=exc.message,
                        status=exc.status)


async def refuse_forgery(request: Request, user: User | None = None) -> HTMLResponse | None:
    """Return the 403 page if this cookie-form post is cross-site or lacks its token, else None.

    A refused post's uploads (their spooled temporary files) are closed here: nothing reads them."""
    form = await request.form()
    message = csrf.refusal(request, form)
    if message is None:
        return None
    await form.close()
    return refused(request, message, user=user)


def session_user(store: Store, token: str | None, roles: frozenset[str]) -> User | None:
    """Return the user of a page session cookie if valid and in one of ``roles``; ``None`` when nobody
    is logged in (the caller redirects to the login form with ``next``). A logged-in user of another
    role gets the 403 page, "无权访问 Access denied" (:class:`api.deps.PageRoleRefused`)."""
    return page_user(store, token, roles)


def forbidden_page(request: Request, exc: Exception) -> HTMLResponse:
    """Return the 403 page for a logged-in user whose role may not use the page they opened.

    It names the roles the page needs and the user's own, offers to log in as someone else (the
    login form, coming back to this page afterwards) and links the user's own home. Registered for
    :class:`api.deps.PageRoleRefused` by the app factory, so a page refuses a wrong role by raising
    it (:func:`page_access` does) and never answers with a silent bounce to the login form.
    """
    assert isinstance(exc, PageRoleRefused)
    target = _here(request) if request.method == "GET" else ""
    login_url = f"/officer/login?next={quote(target)}" if target else "/officer/login"
    needed = [(ROLE_ZH.get(r, r), r) for r in sorted(exc.roles)]
    return page(request, "officer/forbidden.html", "无权访问", "Access denied", user=exc.user, status=403,
                needed=needed, role_zh=ROLE_ZH.get(exc.user["role"], exc.user["role"]), login_url=login_url,
                home_url=home_for(request, exc.user["role"]))


def _here(request: Request) -> str:
    """Return the path and query of ``request`` (where to come back to after logging in)."""
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


def login_redirect(request: Request) -> RedirectResponse:
    """Send someone who is not logged in to the login form, coming back here afterwards."""
    return RedirectResponse(f"/officer/login?next={quote(_here(request))}", status_code=303)


def page_access(request: Request, store: Store, token: str | None,
                roles: frozenset[str] | set[str]) -> User | RedirectResponse:
    """Return the session's user when their role is one of ``roles``: the one way a page checks access.

    Nobody logged in (or an expired session): the redirect to the login form, keeping ``next``.
    A logged-in user of another role: :class:`api.deps.PageRoleRefused` is raised and the app
    answers with the 403 page "无权访问 Access denied" (:func:`forbidden_page`). A route does::

        user = page_access(request, store, xc_token, PLANNERS)
        if isinstance(user, RedirectResponse):
            return user
    """
    user = page_user(store, token, roles)
    return login_redirect(request) if user is None else user


def optional_page_user(store: Store, token: str | None) -> User | None:
    """Return the session's user whatever their role, or ``None`` (pages open to everyone)."""
    return page_user(store, token, frozenset(ROLES))


# Role-aware navigation: each link with the roles that may open it; a link shows only to them,
# and only when the app serves the page (parts of the service may be absent from a deployment).
PLANNERS = frozenset({ADMIN, PLANNER})
NAV: tuple[tuple[str, str, str, frozenset[str]], ...] = (
    ("/officer/placenames", "地名信息库", "Gazetteer", OFFICERS),
    ("/officer/placenames/new", "申报新地名", "Propose", OFFICERS),
    ("/officer/plates", "门牌", "Door plates", OFFICERS),
    ("/officer/reports", "群众报告", "Residents' reports", OFFICERS),
    ("/officer/addresses", "标准地址", "Addresses", OFFICERS),
    ("/officer/street-signs", "路牌", "Street signs", OFFICERS),
    ("/officer/heritage", "地名文化遗产", "Heritage list", OFFICERS),
    ("/officer/sync", "年度同步", "National sync", OFFICERS),
    ("/officer/divisions", "区划调整", "Division changes", frozenset({ADMIN})),
    ("/field", "外业巡查", "Field inspection", INSPECTORS),
    ("/field/campaigns", "外业巡查", "Field inspection", INSPECTORS),
    ("/maps", "地图", "Maps", frozenset(ROLES)),
    ("/maps/coverage", "一刻钟覆盖", "Coverage", PLANNERS),
)
ROLE_HOME = {PLACENAME_OFFICER: ("/officer/placenames",), BOUNDARY_INSPECTOR: ("/field", "/field/campaigns"),
             PLANNER: ("/maps/coverage",), ADMIN: ("/",)}
LINKED_PATHS = frozenset({path for path, *_ in NAV} | {p for homes in ROLE_HOME.values() for p in homes}
                         | {"/maps/district", "/maps/markers", "/ogc", "/docs", "/redoc"})


def served_paths(request: Request) -> frozenset[str]:
    """Return which of the paths the navigation and the landing page link to the app serves to GET.

    Asked of the app's router (each route's ``matches``), so it holds however routers are
    included; kept on the app, as the routes do not change once it runs.
    """
    paths = getattr(request.app.state, "page_paths", None)
    if paths is None:
        paths = frozenset(p for p in LINKED_PATHS if _serves(request.app.router.routes, p))
        request.app.state.page_paths = paths
    return paths


def _serves(routes: Iterable[BaseRoute], path: str) -> bool:
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": [],
             "query_string": b""}
    return any(route.matches(scope)[0] == Match.FULL and not isinstance(route, Mount) for route in routes)


def nav_links(request: Request, user: User | None) -> list[tuple[str, str, str]]:
    """Return the navigation links ``(path, zh, en)`` that ``user``'s role may open (none when
    nobody is logged in), one per label, each to a page the app serves."""
    if not user:
        return []
    served, seen, links = served_paths(request), set(), []
    for path, zh, en, roles in NAV:
        if user["role"] in roles and path in served and zh not in seen:
            seen.add(zh)
            links.append((path, zh, en))
    return links


def home_for(request: Request, role: str) -> str:
    """Return the page a user of ``role`` starts from (the landing page if theirs is not served)."""
    served = served_paths(request)
    return next((p for p in ROLE_HOME.get(role, ()) if p in served), "/")


def safe_next(next_path: str | None) -> str | None:
    """Return ``next_path`` if it is a path on this site (not another site, not the login form)."""
    if not next_path or not next_path.startswith("/") or next_path.startswith(("//", "/\\")):
        return None
    if next_path.startswith(("/officer/login", "/officer/logout")):
        return None
    return next_path


async def posted_form(request: Request, store: Store, token: str | None, roles: frozenset[str], *,
                      page_path: str) -> tuple[User, dict[str, str]] | Response:
    """The preamble of every page form post: the session, the role, the CSRF checks, the fields.

    Returns the user and the form's text fields as sent (the CSRF token left out), or the answer
    to send instead: the login form keeping what was typed for ``page_path`` (the form's own page)
    when the session has expired, the 403 page for a forged form (another role: the 403 page too,
    raised by :func:`session_user`).
    """
    user = session_user(store, token, roles)
    if user is None:
        return await expired_form(request, page_path=page_path)
    if (forged := await refuse_forgery(request, user)) is not None:
        return forged
    form = await request.form()
    return user, {k: v for k, v in form.items() if isinstance(v, str) and k != csrf.FIELD}


def back_to(request: Request, path: str, **query: str) -> RedirectResponse:
    """Redirect (303) to ``path`` with a signed error or confirmation for its message box."""
    return RedirectResponse(flash_url(request, path, **query), status_code=303)


PAGE_SIZE = 50  # rows on a list page
PAGE_FIELD = Term("页码 page", "page")


def list_paging(total: int, page_no: int | str | None, *, size: int = PAGE_SIZE) -> dict[str, Any]:
    """Return the numbers a list page shows ("第 1–50 条，共 1,194 条") and its previous/next pages.

    ``page_no`` is the ``page=`` of the address as given. A list always answers with a page of its
    rows, as an officer following an old or mistyped link expects: a number past the end shows the
    last page, one below 1 (``0``, ``-1``) or no number at all (``abc``) the first, and the page then
    says so (``notice``, Chinese first, naming the field) instead of a bare error.
    """
    last = max(1, -(-total // size))
    raw = "" if page_no is None else str(page_no).strip()
    digits = raw[1:] if raw[:1] in "+-" else raw
    if not raw:
        asked: int | None = 1
    elif digits.isascii() and digits.isdigit():
        # more digits than a record count could need: past the end whatever they say
        asked = (last + 1 if len(digits) > MAX_WHOLE_DIGITS else int(digits)) * (-1 if raw[0] == "-" else 1)
    else:
        asked = None
    page_no = min(max(1, asked or 1), last)
    notice = None if asked == page_no else text("pages.page_shown", field=PAGE_FIELD, value=quoted(raw, max_chars=24),
                                                last=last, page=page_no)
    first = (page_no - 1) * size
    return {"page": page_no, "last": last, "offset": first, "size": size, "total": total,
            "first": first + 1 if total else 0, "upto": min(first + size, total), "notice": notice}


def refusal_text(exc: DomainError) -> str:
    """Return what a page says beside a form its use case refused: the message, or every row or
    finding it lists; for a stale version, that the record changed meanwhile and that the page now
    shows it as it is, with its current version (see :func:`refused_draft`)."""
    if isinstance(exc, StaleVersion):
        return text("pages.changed_meanwhile")
    return "；".join(exc.details) if exc.details else exc.message


def is_version_field(name: str) -> bool:
    """Return whether a form field carries a version as read (``version``, ``versions_0`` …)."""
    return name == "version" or name.startswith("versions_")


def refused_draft(form: str, sent: Mapping[str, str], exc: DomainError | None = None) -> Draft:
    """Return a refused form as typed, to show it again beside its reason.

    After a stale version (409) the versions as read are left out, so that the form shown again
    carries the record's current version: what was typed stays, and submitting it once more (after
    a look at the record as it is now) is not refused again for the same stale version.
    """
    stale = isinstance(exc, StaleVersion)
    return Draft(form, {k: v for k, v in sent.items() if not (stale and is_version_field(k))})
