"""Cross-site request forgery protection for the cookie-session forms (officer, field, login).

Two checks, both needed for a form post to be acted on:

- **Origin.** The browser's ``Origin`` header (or, when a browser sends none, the origin of its
  ``Referer``) must be this site: the request's own host, or the configured public base URL.
  ``Origin: null`` (sandboxed frames, some redirects) is refused. A client that sends neither header
  (not a browser: curl, a script) is judged by the token alone.
- **Token.** Every form carries a hidden ``csrf_token``. While logged in it is an HMAC of the
  session cookie under the service's secret key; before login (the login form) it is an HMAC of a
  random per-browser cookie (``xc_csrf``) set with the form. Another site can read neither cookie,
  so it cannot make a valid token.

JSON endpoints authenticate with ``Authorization: Bearer`` only (never the cookie), so a browser
never sends their credentials by itself and they need no token.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request, Response

SESSION_COOKIE = "xc_token"
NONCE_COOKIE = "xc_csrf"
FIELD = "csrf_token"
_DEFAULT_PORTS = {"http": 80, "https": 443}

log = logging.getLogger("xincheng.csrf")

CROSS_SITE = ("已拒绝：表单不是从本站页面提交的，未保存任何内容。请打开本站页面重新填写。"
              " · Refused: this form was not sent from this site's own page; nothing was saved. "
              "Open the page on this site and fill it in again.")
BAD_TOKEN = ("已拒绝：表单已过期或缺少安全令牌，未保存任何内容。请刷新页面后重新提交。"
             " · Refused: the form has expired or lacks its security token; nothing was saved. "
             "Reload the page and send it again.")


def _secret(request: Request) -> bytes:
    return request.app.state.settings.secret_key.encode()


def _sign(request: Request, kind: str, value: str) -> str:
    return hmac.new(_secret(request), f"csrf|{kind}|{value}".encode(), hashlib.sha256).hexdigest()


def form_token(request: Request) -> str:
    """Return the token for the forms of the page answering ``request``.

    Bound to the session cookie when there is one; otherwise to the browser's ``xc_csrf`` cookie,
    which is made here if the browser has none yet (:func:`remember_nonce` sets it on the response).
    """
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        return _sign(request, "session", session)
    nonce = request.cookies.get(NONCE_COOKIE) or getattr(request.state, "csrf_new_nonce", None)
    if not nonce:
        nonce = secrets.token_urlsafe(32)
        request.state.csrf_new_nonce = nonce
    return _sign(request, "nonce", nonce)


def remember_nonce(request: Request, response: Response) -> Response:
    """Set the ``xc_csrf`` cookie on ``response`` if :func:`form_token` made a new one."""
    nonce = getattr(request.state, "csrf_new_nonce", None)
    if nonce:
        settings = request.app.state.settings
        response.set_cookie(NONCE_COOKIE, nonce, httponly=True, samesite="strict", path="/",
                            secure=settings.cookie_secure and not settings.dev_mode)
    return response


def _origin(scheme: str, netloc: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port or _DEFAULT_PORTS.get(scheme.lower())
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return scheme.lower(), parts.hostname.lower(), port


def _parse(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.netloc:
        return None
    return _origin(parts.scheme, parts.netloc)


def allowed_origins(request: Request) -> set[tuple[str, str, int | None]]:
    """Return this site's origins: its own host (as served, and as https behind a TLS proxy) and the
    configured public base URL."""
    found: set[tuple[str, str, int | None]] = set()
    host = request.headers.get("host")
    if host:
        for scheme in {request.url.scheme, "https"}:
            own = _origin(scheme, host)
            if own:
                found.add(own)
    public = _parse(request.app.state.settings.public_base_url or "")
    if public:
        found.add(public)
    return found


def origin_refusal(request: Request) -> str | None:
    """Return why the Origin (or Referer) is not this site; ``None`` if it is or both are absent."""
    origin = request.headers.get("origin")
    source = "Origin"
    if origin is None or not origin.strip():
        origin = request.headers.get("referer")
        source = "Referer"
        if origin is None or not origin.strip():
            return None  # not a browser: the token decides
    parsed = None if origin.strip().lower() == "null" else _parse(origin)
    if parsed is None or parsed not in allowed_origins(request):
        return f"{source} {origin[:200]!r} is not this site"
    return None


def token_refusal(request: Request, form: Mapping[str, Any]) -> str | None:
    """Return why the form's token is missing or wrong, or ``None`` if it is right."""
    sent = form.get(FIELD)
    if not isinstance(sent, str) or not sent:
        return "no csrf_token in the form"
    expected = []
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        expected.append(_sign(request, "session", session))
    nonce = request.cookies.get(NONCE_COOKIE)
    if nonce:
        expected.append(_sign(request, "nonce", nonce))
    if not any(hmac.compare_digest(sent, e) for e in expected):
        return "the csrf_token does not belong to this browser's session"
    return None


def cross_site_refusal(request: Request) -> str | None:
    """Return the message (Chinese first) refusing a form posted from another site, logged, or ``None``: from
    the headers alone, so an upload form can refuse before reading its body."""
    why = origin_refusal(request)
    if why is not None:
        log.warning("cross-site form refused", extra={"path": request.url.path, "why": why})
        return CROSS_SITE
    return None


def refusal(request: Request, form: Mapping[str, Any]) -> str | None:
    """Return the message (Chinese first) refusing a cookie-form post, or ``None`` to go ahead."""
    if (cross_site := cross_site_refusal(request)) is not None:
        return cross_site
    why = token_refusal(request, form)
    if why is not None:
        log.warning("form without a valid csrf token refused",
                    extra={"path": request.url.path, "why": why})
        return BAD_TOKEN
    return None
