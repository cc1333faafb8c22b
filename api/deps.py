"""Request dependencies: settings, store, the logged-in user and role checks."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request

from api.settings import Settings
from api.write_marks import USER_STATE, client_mark
from geo.errors import DomainError, Forbidden, NotAuthenticated
from geo.messages import text
from geo.store import Store
from geo.store.districts import district_store
from geo.store.replica import ReadRouter
from geo.users import authenticate, issue_token, user_for_token

log = logging.getLogger("xincheng.auth")
T = TypeVar("T")


def get_settings(request: Request) -> Settings:
    """Return the settings of the running app."""
    return request.app.state.settings


DISTRICT_HEADER = "X-Xincheng-District"
DISTRICT_COOKIE = "xc_district"


def get_store(request: Request) -> Store:
    """Return the store of the district this request is for.

    One database holds many districts (#19): a request names its district by the ``X-Xincheng-District``
    header, the ``district`` query parameter or (pages only: not with a bearer token) the ``xc_district``
    cookie, in that order, and otherwise is for the service's own district. Everything the request reads and writes
    is that district's; whether the logged-in user acts for it is checked with the token
    (:func:`geo.users.refuse_other_district`), so naming a district gives no one rights in it.
    """
    return district_for(request, request.app.state.store)


def district_for(request: Request, home: Store) -> Store:
    """Return the store of the district ``request`` is for over ``home``'s database (the primary's or the
    read replica's: the same choice, see :func:`get_store`)."""
    asked = request.headers.get(DISTRICT_HEADER) or request.query_params.get("district")
    if asked:
        return home if asked == home.adcode else district_store(home, asked.strip())
    # The pages' choice, for the pages (a bearer-token client names its district itself): a cookie that
    # no longer names a district held here is ignored, so no page, login or logout is locked out by it.
    chosen = None if bearer_token(request.headers.get("authorization")) else request.cookies.get(DISTRICT_COOKIE)
    if not chosen or chosen == home.adcode:
        return home
    try:
        return district_store(home, chosen)
    except DomainError:
        return home


@dataclass(frozen=True)
class Reads:
    """Where a request's public reads run: the read replica while it keeps up and has replayed this
    client's last write, else the primary (geo/store/replica.py, api/write_marks.py). The district is
    chosen as :func:`get_store` chooses it, on whichever database serves the read."""

    request: Request

    def run(self, read: Callable[[Store], T]) -> T:
        """Return ``read(store)`` with the replica's district store, or the primary's when the replica
        may not serve this client or fails during the read."""
        state = self.request.app.state
        router: ReadRouter = state.reads

        def on_replica() -> Store:
            assert router.replica is not None  # asked for only when there is one
            return district_for(self.request, router.replica)

        return router.run(read, on_replica=on_replica, on_primary=lambda: get_store(self.request),
                          after_lsn=client_mark(self.request, state.write_marks))


async def get_reads(request: Request) -> Reads:
    """Return where this request's public reads run (see :class:`Reads`). Async: it reads nothing, and a
    plain function would send every public lookup through a worker thread once more (a thread hop costs more
    than matching its route, issue #15)."""
    return Reads(request)


def client_address(request: Request) -> str:
    """Return the client's address (behind a proxy, run uvicorn with --proxy-headers so it is the real one)."""
    return request.client.host if request.client else "unknown"


def log_in(request: Request, store: Store, username: str, password: str) -> tuple[dict[str, Any], str, datetime]:
    """Check a password with the login throttle in front, then issue the session's token; return the user,
    the token and when it expires. The password itself is never logged, and the login is logged once its
    token is stored (a token the database could not store is no login).

    The attempt counts before the password is checked: concurrent guesses cannot pass the limit. An
    attempt the database could not judge is given back.
    """
    throttle, address = request.app.state.login_throttle, client_address(request)
    throttle.attempt(username, address)
    try:
        user = authenticate(store, username, password, dev_mode=request.app.state.settings.dev_mode)
    except NotAuthenticated:
        log.warning("login refused", extra={"username": username, "client": address})
        raise
    except Exception:  # the password was never judged (a database outage): the attempt does not count
        throttle.undecided(username, address)
        raise
    throttle.succeeded(username, address)
    token, expires = issue_token(store, user, ttl_minutes=request.app.state.settings.token_ttl_minutes)
    log.info("login", extra={"username": username, "client": address})
    return user, token, expires


def bearer_token(authorization: str | None) -> str | None:
    """Return the token of an ``Authorization: Bearer`` header, if any."""
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def noted_user(request: Request, user: dict[str, Any]) -> dict[str, Any]:
    """Note on the request whose it is (its writes mark, and its reads wait for, that user's writes:
    api/write_marks.py); return ``user``."""
    setattr(request.state, USER_STATE, user["id"])
    return user


def optional_user(request: Request, store: Annotated[Store, Depends(get_store)],
                  authorization: Annotated[str | None, Header()] = None) -> dict[str, Any] | None:
    """Return the logged-in user, or ``None`` when no token was sent (or it is a neighbouring district's
    inspector's, who reads here what anyone reads)."""
    token = bearer_token(authorization)
    user = noted_user(request, user_for_token(store, token)) if token else None
    return None if user is not None and user.get("as_neighbour") else user


def signed_in_user(request: Request, store: Annotated[Store, Depends(get_store)],
                   authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    """Return the logged-in user (a neighbouring district's inspector too) or refuse with 401."""
    return noted_user(request, user_for_token(store, bearer_token(authorization)))


def current_user(user: Annotated[dict[str, Any], Depends(signed_in_user)]) -> dict[str, Any]:
    """Return the logged-in user of this district or refuse with 401 (403 for a neighbouring district's
    inspector: endpoints open to every signed-in user are not joint boundary work)."""
    refuse_neighbour(user, None, what="this endpoint")
    return user


ROLE_ZH = {"admin": "管理员", "placename_officer": "地名管理员", "boundary_inspector": "界线联检员",
           "planner": "民政规划"}


def roles_zh(roles: Iterable[str]) -> str:
    """Return roles in Chinese with their codes, e.g. ``管理员 (admin) 或 地名管理员 (placename_officer)``."""
    return " 或 ".join(f"{ROLE_ZH.get(r, r)} ({r})" for r in sorted(roles))


# What a neighbouring district's boundary inspector may use here: the joint boundary work only.
NEIGHBOUR_ROLES = frozenset({"admin", "boundary_inspector"})


def refuse_neighbour(user: dict[str, Any], roles: frozenset[str] | set[str] | None, *, what: str) -> None:
    """Refuse (403) a neighbouring district's inspector (``as_neighbour``) anything but the inspectors'
    endpoints and pages (``roles`` within :data:`NEIGHBOUR_ROLES`; ``None``: open to every signed-in user)."""
    if user.get("as_neighbour") and (roles is None or not set(roles) <= NEIGHBOUR_ROLES):
        raise Forbidden(text("accounts.neighbour_scope", username=user["username"], what=what), field="adcodes")


def require_role(user: dict[str, Any], roles: frozenset[str] | set[str], *, what: str) -> None:
    """Refuse with 403 unless ``user`` has one of ``roles`` (and, for a neighbouring district's
    inspector, unless they are the inspectors' roles)."""
    refuse_neighbour(user, roles, what=what)
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
    if user["role"] not in roles or (user.get("as_neighbour") and not set(roles) <= NEIGHBOUR_ROLES):
        raise PageRoleRefused(user, roles)
    return user


def needs_role(roles: frozenset[str] | set[str], what: str) -> Callable[..., dict[str, Any]]:
    """Return a dependency giving the logged-in user if they have one of ``roles`` (401/403 otherwise).

    As a dependency it runs before the request body is read or validated, so a caller without
    the role gets 403 whatever they send.
    """
    def dependency(user: Annotated[dict[str, Any], Depends(signed_in_user)]) -> dict[str, Any]:
        require_role(user, roles, what=what)
        return user

    return dependency


StoreDep = Annotated[Store, Depends(get_store)]
ReadsDep = Annotated[Reads, Depends(get_reads)]  # public lookups, search and OGC reads: the replica when it may
SettingsDep = Annotated[Settings, Depends(get_settings)]
UserDep = Annotated[dict[str, Any], Depends(current_user)]
SignedInDep = Annotated[dict[str, Any], Depends(signed_in_user)]  # a neighbouring district's inspector too
OptionalUserDep = Annotated[dict[str, Any] | None, Depends(optional_user)]
