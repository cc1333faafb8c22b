"""One error shape for every failure: ``{"error", "message", "field", "status"}``.

Domain errors carry their status and a safe message; anything unexpected becomes a 500 with a
generic message while the detail goes to the log, and a database that cannot serve now a 503 ("try again
later"). A browser opening a page address that fails (no such page, a malformed id or page number, an
unknown ``?district=`` or record, a value the database cannot hold, an unexpected error or an outage:
:func:`unexpected_error_response`, answered by api/observability.py) gets the same message as an HTML
page instead, with the site's navigation and a link home
(:func:`page_error`); the API (``/api``, ``/ogc``) and any client that does not ask for HTML (the
pages' own scripts fetch with ``Accept: */*``) keep the JSON shape.
"""

from __future__ import annotations

import logging
import re
import traceback
import typing
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match

from api import csrf
from api.headers import is_page_path
from api.pages import User, home_for, optional_page_user, render
from geo import messages
from geo.errors import DomainError
from geo.messages import Term, as_term, catalogue, label, text, value_labels
from geo.store.availability import database_read_only, database_unavailable, outage_summary
from geo.store.store import integrity_problem

log = logging.getLogger("xincheng.api")
_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 415: "unsupported_media_type"}
_CJK = re.compile(r"[\u3400-\u9fff]")
# pydantic's bound errors and the ``ctx`` key that holds their number
_BOUNDS = {"greater_than": "gt", "greater_than_equal": "ge", "less_than": "lt", "less_than_equal": "le"}


class ErrorBody(BaseModel):
    """The body of every error answer."""

    error: str
    message: str
    field: str | None = None
    status: int
    request_id: str | None = None


# Every documented router's error answers, by status, in the OpenAPI schema. They name the ErrorBody schema
# by reference instead of as a ``model``: FastAPI builds a pydantic field for each model of each route in each
# app (~0.2 s of a worker's first requests for these ten on ~140 routes), only to write the same reference.
_ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": _ERROR_BODY} for status, text in (
        (400, "请求有误 Bad input: the field is named"), (401, "未登录 Not logged in or token expired"),
        (403, "无权限 The role may not do this"), (404, "不存在 Not found"),
        (409, "冲突 Stale version or conflicting state"), (413, "过大 Body over the limit"),
        (422, "无效 A parameter or body field is invalid"), (429, "过于频繁 Too many requests"),
        (503, "暂时无法服务 The database cannot be reached or is busy: try again after Retry-After seconds"))
}


def document_error_body(app: FastAPI) -> None:
    """Put the ErrorBody schema that :data:`ERROR_RESPONSES` refers to into ``app``'s OpenAPI components."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = app.openapi_schema
        if schema is None:  # FastAPI's build keeps the schema it returns (app.openapi_schema): added once
            schema = build()
            schema.setdefault("components", {}).setdefault("schemas", {})["ErrorBody"] = (
                ErrorBody.model_json_schema(mode="serialization"))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def error_body(status: int, code: str, message: str, field: str | None = None) -> dict[str, object]:
    """Return the public error body."""
    return {"error": code, "message": message, "field": field, "status": status}


def validation_message(error: dict[str, Any]) -> tuple[str, str | None]:
    """Return the message and field of the first problem FastAPI found in a request, Chinese first.

    The field is named by its Chinese label beside its internal name (the body itself, when no field
    is at fault, as 请求内容); the problem by its Chinese description beside pydantic's own English
    text. A bound says its number (「不得小于 0」), a length its limit, a choice its allowed values
    with their Chinese labels.
    """
    if error.get("type") == "json_invalid":  # its loc is a byte position, not a field
        return text("http.invalid_json", detail=error.get("ctx", {}).get("error", "")), "body"
    loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
    field = ".".join(loc) or None
    named = label(loc[-1]) if loc else Term(messages.zh("http.request"), messages.en("http.request"))
    if field and len(loc) > 1:
        named = Term(f"{named} ({field})", field)
    kind = str(error.get("type", ""))
    if kind == "missing":
        return text("http.missing", field=named), field
    ctx = error.get("ctx") or {}
    bound = _BOUNDS.get(kind)
    if bound and bound in ctx:  # 「不得小于 0」 with its number, not a bare 过小
        return text("http.invalid", field=named, problem=as_term(text(f"http.bound_{kind}", limit=ctx[bound]))), field
    if kind == "string_too_long" and "max_length" in ctx:  # 「过长（最多 2000 个字）」: the limit with it
        return text("http.invalid", field=named,
                    problem=as_term(text("http.max_chars", limit=ctx["max_length"]))), field
    if kind == "too_long" and "max_length" in ctx:  # 「条目过多（最多 20 项，收到 22 项）」
        return text("http.invalid", field=named, problem=as_term(text(
            "http.max_items", limit=ctx["max_length"], actual=ctx.get("actual_length", "?")))), field
    if kind in ("literal_error", "enum") and "expected" in ctx:  # each allowed code with its Chinese label
        allowed = value_labels(re.findall(r"'([^']*)'", str(ctx["expected"])) or [str(ctx["expected"])])
        return text("http.choice", field=named, allowed=allowed), field
    key = f"http.problem_{kind}" if f"http.problem_{kind}" in catalogue() else "http.problem_other"
    described = catalogue()[key]
    problem = Term(described.zh, str(error.get("msg") or described.en))
    return text("http.invalid", field=named, problem=problem), field


def log_unexpected(exc: BaseException, method: str, path: str) -> None:
    """Log an unexpected error with its stack, never with the values of a database statement.

    A database error's message can carry the statement's bound values (a password hash, a name)
    in its own text or in its driver's cause; for those only the error classes, the SQL with its
    placeholders and the stack frames are written.
    """
    if isinstance(exc, sa.exc.StatementError):
        frames = "".join(traceback.format_tb(exc.__traceback__))
        cause = type(exc.orig).__name__ if exc.orig is not None else None
        statement = (exc.statement or "")[:500]
        log.error("unhandled database error on %s %s: %s (%s); SQL: %s; values hidden\n%s",
                  method, path, type(exc).__name__, cause, statement, frames,
                  extra={"method": method, "path": path})
        return
    log.error("unhandled error on %s %s", method, path,
              exc_info=(type(exc), exc, exc.__traceback__), extra={"method": method, "path": path})


def log_failure(exc: BaseException, method: str, path: str) -> None:
    """Log an error no handler answered: a database that could not serve (answered 503) in one line with no
    stack, the driver's class, code and first line, which carry no statement values (an operator reads an
    outage, not a bug); anything else as :func:`log_unexpected`."""
    if database_unavailable(exc):
        log.error("database unavailable on %s %s: %s", method, path, outage_summary(exc),
                  extra={"method": method, "path": path})
    else:
        log_unexpected(exc, method, path)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Return the methods some route answers on this request's path (probed one by one)."""
    return [method for method in _METHODS
            if any(route.matches({**request.scope, "method": method})[0] == Match.FULL
                   for route in request.app.router.routes)]


def is_page_address(request: Request) -> bool:
    """Return whether ``request`` is for a page address, not the JSON API or the OGC API."""
    return is_page_path(request.url.path)


def _accepted(accept: str) -> dict[str, float]:
    """Return each media type of an ``Accept`` header (lower case) with its quality (1 when unsaid)."""
    out: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        if media:
            out[media.lower()] = max(out.get(media.lower(), 0.0), quality)
    return out


def wants_page(request: Request) -> bool:
    """Return whether an error on ``request`` is answered as an HTML page: a browser asking for a page
    address (it names text/html, and prefers it to JSON), not the JSON API or the OGC API.

    A client that names JSON (or ``*/*``) at least as gladly as HTML, or refuses HTML (``q=0``), gets
    JSON; the pages' own scripts fetch with ``*/*`` and get JSON too. A browser names HTML first.
    """
    if not is_page_address(request):
        return False
    accepted = _accepted(request.headers.get("accept", ""))
    html = max(accepted.get("text/html", 0.0), accepted.get("application/xhtml+xml", 0.0))
    json = max((q for media, q in accepted.items() if media == "application/json" or media.endswith("+json")),
               default=0.0)
    anything = max(accepted.get("*/*", 0.0), accepted.get("application/*", 0.0))
    # HTML named as gladly as "anything" is still chosen (a specific type outranks a wildcard: an IE-engine
    # browser, as 360's compatibility mode, sends "text/html, application/xhtml+xml, */*"); JSON is not outranked.
    return html > 0 and html > json and html >= anything


# C0 and C1 controls (but tab and line feed), direction marks, embeddings, overrides and isolates, invisible
# spaces, joiners of words and operators, line and paragraph separators and the BOM. Not the joiners (U+200C,
# U+200D) nor the Mongolian variation selectors and vowel separator (U+180B–180E) that names are written with.
_UNSEEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064"
                     "\u2066-\u2069\ufeff]")


def _shown(message: str) -> str:
    """Return ``message`` with control and direction-changing characters (an echoed value's NUL, ESC or
    U+202E) shown as U+FFFD, so that a link's text cannot hide or reorder the page's words."""
    return _UNSEEN.sub("\ufffd", message)


def _page_user(request: Request) -> tuple[User | None, bool]:
    """Return the session's user for the error page's navigation (``None``: no one logged in) and whether
    that is known: a session the database could not read (it may be what failed) is neither a user nor a
    visitor to offer the login form to. Never fails."""
    token = request.cookies.get(csrf.SESSION_COOKIE)
    try:
        return optional_page_user(request.app.state.store, token), True
    except Exception:  # an error page must not fail for want of its menu
        return None, not token


_NOTHING_KEPT = ("/officer/login", "/officer/logout", "/officer/district")


# Seconds a client is told to wait when the database cannot serve (a restart, a long import's lock).
UNAVAILABLE_RETRY_AFTER_S = 30


def unexpected_error_response(request: Request, exc: Exception, request_id: str) -> Response:
    """Answer an error no handler answered, with its request id: a page to a browser opening a page
    address, JSON to anyone else.

    A database that cannot serve now (down, refusing connections, busy or locked past its timeout, no
    connection free: :func:`geo.store.availability.database_unavailable`) is 503 with ``Retry-After``, "try
    again later"; anything else is 500, the service's own fault. The caller logs it.
    """
    unavailable = database_unavailable(exc)
    read_only = unavailable and database_read_only(exc)  # not "busy, try again": nothing can be saved for now
    status, code = ((503, "database_read_only") if read_only else (503, "database_unavailable") if unavailable
                    else (500, "internal_error"))
    # read-only: no time to wait is known (an administrator makes it writable), so none is said
    headers = {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_S)} if unavailable and not read_only else {}
    stem = "http.read_only" if read_only else "http.unavailable" if unavailable else "http.internal"
    if wants_page(request):
        # After a form that keeps something, the way back to what was typed; logging in or out keeps nothing,
        # and a form is not reloaded (the browser would offer to send the password again) but sent again.
        posted = request.method not in ("GET", "HEAD")
        key = (f"{stem}_page_form" if posted and request.url.path not in _NOTHING_KEPT
               else f"{stem}_page_again" if posted and unavailable else f"{stem}_page")
        try:
            return page_error(request, status, text(key, request_id=request_id, wait_s=UNAVAILABLE_RETRY_AFTER_S),
                              headers=headers)
        except Exception:  # the page failed too: the JSON answer stands
            log.exception("the %s page itself failed on %s %s", status, request.method, request.url.path)
    return JSONResponse({**error_body(status, code, text(f"{stem}_logged", wait_s=UNAVAILABLE_RETRY_AFTER_S)),
                         "request_id": request_id}, status_code=status, headers=headers)


def page_error(request: Request, status: int, message: str, *,
               headers: dict[str, str] | None = None) -> HTMLResponse:
    """Return the HTML page for a failed page address: ``message`` (Chinese first), the status kept.

    The page is titled by its status (a server's fault is not called the user's bad request); a 401 links
    to the login that returns here. It is drawn without the district's banner when the database cannot
    say which district that is (the error may be the database's).
    """
    key = f"pages_errors.title_{status}"
    key = key if key in catalogue() else ("pages_errors.title_500" if status >= 500 else "pages_errors.title_other")
    user, user_known = _page_user(request)
    back: dict[str, Any] = {}
    if status == 401:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        back = {"back_url": f"/officer/login?next={quote(here, safe='/')}",
                "back": (messages.zh("pages_errors.log_in"), messages.en("pages_errors.log_in"))}
    context = dict(status=status, title_zh=messages.zh(key), title_en=messages.en(key), user=user,
                   session_unread=not user_known,
                   message=_shown(message), status_code=status, **back,
                   home_zh=messages.zh("pages_errors.go_home"), home_en=messages.en("pages_errors.go_home"),
                   user_home=home_for(request, user["role"]) if user else "/",
                   my_home=(messages.zh("pages_errors.my_home"), messages.en("pages_errors.my_home")))
    try:
        response = render(request, "home/error.html", **context)
    except Exception:  # the district's banner needs the database, which may be what failed
        log.warning("error page drawn without the district banner on %s %s", request.method, request.url.path)
        response = render(request, "home/error.html", **{**context, "district": None, "district_code": None})
    response.headers.update(headers or {})
    return response


def _integer_parameters(request: Request) -> set[str] | None:
    """Return the names of the matched route's parameters declared as integers (``None``: unknown)."""
    endpoint = getattr(request.scope.get("route"), "endpoint", None)
    if endpoint is None:
        return None
    try:
        hints = typing.get_type_hints(endpoint)
    except Exception:  # an annotation that cannot be resolved here: fall back to every parameter
        return None
    return {name for name, hint in hints.items() if hint is int or int in typing.get_args(hint)}


def out_of_range_field(request: Request) -> str | None:
    """Return the parameter whose number the database could not hold: among the route's integer
    parameters beyond PostgreSQL's ``integer`` (the narrowest id column), the largest; ``None`` if none is."""
    integers = _integer_parameters(request)
    beyond = {k: abs(int(v)) for k, v in [*request.path_params.items(), *request.query_params.items()]
              if (integers is None or k in integers) and str(v).lstrip("+-").isdigit() and abs(int(v)) > 2**31 - 1}
    return max(beyond, key=beyond.__getitem__) if beyond else None


# Starlette's refusals of a form over its limits (starlette.formparsers), said in its English only
_FORM_LIMITS = ((re.compile(r"(?:Field|Part) exceeded maximum size of (\d+)KB"), "http.form_field_size"),
                (re.compile(r"Too many fields\. Maximum number of fields is (\d+)"), "http.form_fields"),
                (re.compile(r"Too many files\. Maximum number of files is (\d+)"), "http.form_files"))


def form_limit_message(detail: str) -> str | None:
    """Return a form-limit refusal of Starlette's (a field over 1 MB, too many fields or files) in Chinese
    first with its limit and what to do, or ``None`` for any other detail."""
    for pattern, key in _FORM_LIMITS:
        found = pattern.search(detail)
        if found:
            return text(key, limit=found.group(1))
    return None


CLIENT_CLOSED_REQUEST = 499  # the status logged and counted for a client gone before its request was read (nginx's)


def install(app: FastAPI) -> None:
    """Register the handlers that render every error in the one shape, and document that shape."""
    document_error_body(app)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        retry = ({"Retry-After": str(getattr(exc, "retry_after_s", 10))} if exc.status == 429
                 else {"Retry-After": str(exc.retry_after_s)} if exc.status == 503 and hasattr(exc, "retry_after_s")
                 else None)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else retry
        if wants_page(request):  # an unknown ?district=, campaign or record opened in a browser: a page
            return page_error(request, exc.status, exc.message, headers=headers)
        return JSONResponse(exc.to_dict(), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        message, field = validation_message(first)
        if wants_page(request):
            return page_error(request, 422, message)
        return JSONResponse(error_body(422, "invalid_input", message, field), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if isinstance(exc.__cause__, ClientDisconnect):  # FastAPI's 400 for a body the client left unsent
            return Response(status_code=CLIENT_CLOSED_REQUEST)  # no one reads it: logged and counted as 499
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        detail = str(exc.detail)
        # a router's own message is bilingual already; a framework's bare detail gets the Chinese; its phrase for no
        # route ("Not Found") is said for the address ("不存在：Not Found · not found: Not Found" before)
        message = detail if _CJK.search(detail) or code == "http_error" else text(f"http.{code}", detail=detail)
        if code in ("not_found", "method_not_allowed") and detail == HTTPStatus(exc.status_code).phrase:
            message = (text("http.no_route", path=request.url.path[:200]) if code == "not_found"
                       else text("http.no_method", method=request.method[:20]))
        message = form_limit_message(detail) or message
        headers = dict(exc.headers or {})
        allowed = allowed_methods(request) if exc.status_code == 405 else []
        if allowed:  # Allow names every method the path takes, not only the first route's
            headers["Allow"] = ", ".join(allowed)
        if wants_page(request) and 400 <= exc.status_code < 500:
            if code == "not_found" and not _CJK.search(detail):
                message = text("pages_errors.not_found", path=request.url.path[:200])
            elif code == "method_not_allowed":
                message = text("pages_errors.method", method=request.method)
            return page_error(request, exc.status_code, message, headers=headers)
        return JSONResponse(error_body(exc.status_code, code, message), status_code=exc.status_code,
                            headers=headers or None)

    @app.exception_handler(sa.exc.IntegrityError)
    async def _constraint(request: Request, exc: sa.exc.IntegrityError) -> Response:
        # A unique value taken (409) or a required/linked value missing (400), on either backend.
        problem = integrity_problem(exc)
        log.info("refused by a database constraint: %s on %s", problem.code, problem.field)
        if wants_page(request):
            return page_error(request, problem.status, problem.message)
        return JSONResponse(problem.to_dict(), status_code=problem.status)

    @app.exception_handler(OverflowError)
    @app.exception_handler(sa.exc.DataError)
    async def _out_of_range(request: Request, exc: Exception) -> Response:
        # A number or text the database cannot hold (an id beyond 64 bits, say): the caller's mistake.
        log.info("value out of the database's range: %s", type(exc).__name__)
        field = out_of_range_field(request)
        message = text("http.out_of_range_named", field=label(field)) if field else text("http.out_of_range_db")
        if wants_page(request):
            return page_error(request, 400, message)
        return JSONResponse(error_body(400, "out_of_range", message, field), status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The service's own 500 answer (JSON, or a page to a browser) is api.observability's, which sees every reply.
        log_unexpected(exc, request.method, request.url.path)
        return JSONResponse(error_body(500, "internal_error", text("http.internal")),
                            status_code=500)
