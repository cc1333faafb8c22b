"""Request dependencies: settings, store, the logged-in user and role checks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request

from api.settings import Settings
from geo.errors import Forbidden
from geo.store import Store
from geo.users import user_for_token


def get_settings(request: Request) -> Settings:
    """Return the settings of the running app."""
    return request.app.state.settings


def get_store(request: Request) -> Store:
    """Return the store the app opened at start-up."""
    return request.app.state.store


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def optional_user(store: Annotated[Store, Depends(get_store)],
                  authorization: Annotated[str | None, Header()] = None) -> dict[str, Any] | None:
    """Return the logged-in user, or ``None`` when no token was sent."""
    token = _bearer(authorization)
    return user_for_token(store, token) if token else None


def current_user(store: Annotated[Store, Depends(get_store)],
                 authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    """Return the logged-in user or refuse with 401."""
    return user_for_token(store, _bearer(authorization))


def require_role(user: dict[str, Any], roles: frozenset[str] | set[str], *, what: str) -> None:
    """Refuse with 403 unless ``user`` has one of ``roles``."""
    if user["role"] not in roles:
        raise Forbidden(f"{what} needs the role {' or '.join(sorted(roles))}; you are {user['role']}",
                        field="role")


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
UserDep = Annotated[dict[str, Any], Depends(current_user)]
OptionalUserDep = Annotated[dict[str, Any] | None, Depends(optional_user)]
