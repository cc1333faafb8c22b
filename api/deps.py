"""Request dependencies: settings, store, the logged-in user and role checks."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from api.settings import Settings
from geo.errors import Forbidden, NotAuthenticated
from geo.store import Store
from geo.users import authenticate, user_for_token

log = logging.getLogger("xincheng.auth")


def get_settings(request: Request) -> Settings:
    """Return the settings of the running app."""
    return request.app.state.settings


def get_store(request: Request) -> Store:
    """Return the store the app opened at start-up."""
    return request.app.state.store


def client_address(request: Request) -> str:
    """Return the client's address (behind a proxy, run uvicorn with --proxy-headers so it is the real one)."""
    return request.client.host if request.client else "unknown"


def log_in(request: Request, store: Store, username: str, password: str) -> dict[str, Any]:
    """Check a password with the login throttle in front; the password itself is never logged.

    The attempt counts before the password is checked: concurrent guesses cannot pass the limit.
    """
    throttle, address = request.app.state.login_throttle, client_address(request)
    throttle.attempt(username, address)
    try:
        user = authenticate(store, username, password, dev_mode=request.app.state.settings.dev_mode)
    except NotAuthenticated:
        log.warning("login refused", extra={"username": username, "client": address})
        raise
    throttle.succeeded(username, address)
    log.info("login", extra={"username": username, "client": address})
    return user


def bearer_token(authorization: str | None) -> str | None:
    """Return the token of an ``Authorization: Bearer`` header, if any."""
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def optional_user(store: Annotated[Store, Depends(get_store)],
                  authorization: Annotated[str | None, Header()] = None) -> dict[str, Any] | None:
    """Return the logged-in user, or ``None`` when no token was sent."""
    token = bearer_token(authorization)
    return user_for_token(store, token) if token else None


def current_user(store: Annotated[Store, Depends(get_store)],
                 authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    """Return the logged-in user or refuse with 401."""
    return user_for_token(store, bearer_token(authorization))


ROLE_ZH = {"admin": "管理员", "placename_officer": "地名管理员", "boundary_inspector": "界线联检员",
           "planner": "民政规划"}


def roles_zh(roles: Iterable[str]) -> str:
    """Return roles in Chinese with their codes, e.g. ``管理员 (admin) 或 地名管理员 (placename_officer)``."""
    return " 或 ".join(f"{ROLE_ZH.get(r, r)} ({r})" for r in sorted(roles))


def require_role(user: dict[str, Any], roles: frozenset[str] | set[str], *, what: str) -> None:
    """Refuse with 403 unless ``user`` has one of ``roles``."""
    if user["role"] not in roles:
        raise Forbidden(f"需要角色 {roles_zh(roles)}，您是 {ROLE_ZH.get(user['role'], user['role'])} · "
                        f"{what} needs the role {' or '.join(sorted(roles))}; you are {user['role']}",
                        field="role")


class PageRoleRefused(Forbidden):
    """A logged-in user opened a page (or posted its form) that their role may not use.

    The app answers it with the 403 page "无权访问 Access denied" naming the roles needed and offering
    to log in as someone else (api/templates/officer/forbidden.html), not a bounce to the login form.
    """

    def __init__(self, user: dict[str, Any], roles: Iterable[str]):
        self.user, self.roles = user, frozenset(roles)
        super().__init__(f"无权访问：需要角色 {roles_zh(self.roles)} · access denied: this page needs the role "
                         f"{' or '.join(sorted(self.roles))}; you are {user['role']}", field="role")


def page_user(store: Store, token: str | None, roles: frozenset[str] | set[str]) -> dict[str, Any] | None:
    """Return the user of a page session cookie if they have one of ``roles``.

    ``None`` when nobody is logged in, or the account no longer acts for this district (the page sends
    them to the login form, keeping ``next``, which says why);
    a logged-in user of another role raises :class:`PageRoleRefused` (403 page).
    """
    try:
        user = user_for_token(store, token)
    except (NotAuthenticated, Forbidden):  # no session, or one of an account not acting for this district
        return None
    if user["role"] not in roles:
        raise PageRoleRefused(user, roles)
    return user


def needs_role(roles: frozenset[str] | set[str], what: str) -> Callable[..., dict[str, Any]]:
    """Return a dependency giving the logged-in user if they have one of ``roles`` (401/403 otherwise).

    As a dependency it runs before the request body is read or validated, so a caller without
    the role gets 403 whatever they send.
    """
    def dependency(user: Annotated[dict[str, Any], Depends(current_user)]) -> dict[str, Any]:
        require_role(user, roles, what=what)
        return user

    return dependency


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
UserDep = Annotated[dict[str, Any], Depends(current_user)]
OptionalUserDep = Annotated[dict[str, Any] | None, Depends(optional_user)]
