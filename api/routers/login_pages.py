"""The one login page for every role, and logout: cookie session, CSRF token, ``next`` kept.

Place-name officers, boundary inspectors, planners and administrators all log in at
``/officer/login`` (the path every page's redirect already names). The form says who it is for;
a wrong password, a throttled name or a refused form (CSRF) shows the form again with the message,
the name typed and the page to come back to (``next``). Without ``next`` each role goes to its own
home (api/pages.py ``ROLE_HOME``).
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import csrf
from api.deps import DISTRICT_COOKIE, SettingsDep, StoreDep, log_in
from api.pages import SessionCookie, flash_url, home_for, message_page, page, refused, safe_next
from api.ratelimit import TooManyRequests
from geo.errors import DomainError, Forbidden
from geo.messages import text
from geo.store.availability import database_unavailable, outage_summary
from geo.store.districts import district_store, holds_district
from geo.users import account_district, revoke_token, user_for_token

log = logging.getLogger(__name__)
router = APIRouter(prefix="/officer", tags=["login 登录"], include_in_schema=False)


def _form(request: Request, *, next_path: str | None, username: str = "", error: str | None = None,
          status: int = 200) -> HTMLResponse:
    """Return the login form, saying who it is for and where the user goes afterwards."""
    return page(request, "officer/login.html", "工作人员登录", "Staff log in", status=status, next=next_path or "",
                username=username, error=error, login_for=text("pages.login_for"),
                then=text("pages.login_then", target=next_path) if next_path else None)


@router.get("/login")
def login_form(request: Request, next: str = "", username: str = "",
               error: str | None = None) -> HTMLResponse:
    """Show the login form (with the message of a failed attempt, if the service sent one)."""
    return _form(request, next_path=safe_next(next), username=username[:100], error=error)


@router.post("/login")
def login(request: Request, store: StoreDep, settings: SettingsDep,
          username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "",
          csrf_token: Annotated[str | None, Form()] = None) -> Response:
    """Check the password (throttled like the API login), set the session cookie, go on.

    A refused form is shown again (403) with a fresh token, before any password is checked.
    """
    next_path = safe_next(next)
    refusal = csrf.refusal(request, {csrf.FIELD: csrf_token})
    if refusal is not None:  # a login forged by another site is refused before any password check
        return _form(request, next_path=next_path, username=username[:100], error=refusal, status=403)
    kept = urlencode({k: v for k, v in (("next", next_path), ("username", username[:100])) if v})

    def again(message: str) -> RedirectResponse:  # the form once more: the message, next and the name
        return RedirectResponse(f"{flash_url(request, '/officer/login', error=message)}&{kept}".rstrip("&"),
                                status_code=303)

    # An account of another district held in this database logs in to its own district (a page cookie
    # keeps the choice); the password decides as for anyone, and a wrong one reads the same.
    own = account_district(store, username)
    if own is not None and (own == store.adcode or holds_district(store, own)):
        store = store.for_district(own)
    try:
        user, token, _ = log_in(request, store, username, password)
    except TooManyRequests:  # says how long the pause lasts, not only "later"
        return again(text("accounts.login_locked", minutes=settings.login_window_minutes))
    except Forbidden as exc:  # the right password of another district's account: say so
        return again(exc.message)
    except DomainError:
        return again(text("pages.wrong_password"))
    response = RedirectResponse(next_path or home_for(request, user["role"]), status_code=303)
    response.set_cookie(csrf.SESSION_COOKIE, token, httponly=True, samesite="strict",
                        max_age=settings.token_ttl_minutes * 60,
                        secure=settings.cookie_secure and not settings.dev_mode)
    if own is not None:
        response.set_cookie(DISTRICT_COOKIE, store.adcode, httponly=True, samesite="strict",
                            max_age=settings.token_ttl_minutes * 60,
                            secure=settings.cookie_secure and not settings.dev_mode)
    return response


@router.post("/district")
def switch_district(request: Request, store: StoreDep, settings: SettingsDep, xc_token: SessionCookie = None,
                    district: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "",
                    csrf_token: Annotated[str | None, Form()] = None) -> Response:
    """Work in another of the districts the account acts for (a city-level account acts for several):
    the choice is kept in a cookie; a district the account does not act for, or one not held here, is
    refused (403/404 page) and nothing changes."""
    refusal = csrf.refusal(request, {csrf.FIELD: csrf_token})
    if refusal is not None:
        return refused(request, refusal)
    try:
        chosen = district_store(request.app.state.store, district.strip())
        user = user_for_token(chosen, xc_token)  # 403 unless the account acts for it (as on every request)
    except DomainError as exc:
        return message_page(request, "未能切换区县", "District not switched", error=exc.message,
                            status=exc.status)
    response = RedirectResponse(safe_next(next) or home_for(request, user["role"]), status_code=303)
    response.set_cookie(DISTRICT_COOKIE, chosen.adcode, httponly=True, samesite="strict",
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
    response: Response = RedirectResponse("/officer/login", status_code=303)
    try:
        revoke_token(store, xc_token)
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        # The session cannot be ended on the server now (a read-only or unreachable database): this browser
        # forgets it anyway, so the next person at a shared computer is not logged in as this officer (review:
        # the 503 page kept the cookie and showed "退出 Log out" again).
        log.warning("logout: the token could not be revoked (%s); the cookie is forgotten", outage_summary(exc))
        minutes = request.app.state.settings.token_ttl_minutes
        response = message_page(request, "已在本机退出", "Logged out on this device", status=503,
                                error=text("accounts.logout_not_revoked", minutes=minutes))
    response.delete_cookie(csrf.SESSION_COOKIE)
    response.delete_cookie(DISTRICT_COOKIE)
    response.headers["Clear-Site-Data"] = '"cache"'  # pages kept from this session (field pages: queue.js too)
    return response
