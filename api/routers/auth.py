"""Password login issuing bearer tokens (throttled), logout revoking them; who am I."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, Field

from api.deps import SettingsDep, SignedInDep, StoreDep, bearer_token, log_in
from api.ratelimit import TooManyRequests
from geo.messages import text
from geo.users import revoke_token

router = APIRouter(prefix="/api/auth", tags=["auth 登录"])


class LoginIn(BaseModel):
    """Username and password."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    """A bearer token and when it expires."""

    access_token: str
    token_type: str = "bearer"
    expires_at: str
    role: str


@router.post("/login", summary="登录 Log in", response_model=TokenOut)
def login(body: LoginIn, request: Request, store: StoreDep, settings: SettingsDep) -> TokenOut:
    """Check the password and return a bearer token (429 after too many failures)."""
    try:
        user, token, expires = log_in(request, store, body.username, body.password)
    except TooManyRequests as exc:  # say how long the pause lasts, not only "later"
        raise TooManyRequests(text("accounts.login_locked", minutes=settings.login_window_minutes),
                              field=exc.field) from None
    return TokenOut(access_token=token, expires_at=expires.isoformat(), role=user["role"])


@router.post("/logout", summary="退出 Log out", status_code=204)
def logout(user: SignedInDep, store: StoreDep, authorization: Annotated[str | None, Header()] = None) -> Response:
    """Revoke the token this request was sent with."""
    revoke_token(store, bearer_token(authorization))
    return Response(status_code=204)


@router.get("/me", summary="当前用户 Who am I")
def me(user: SignedInDep) -> dict[str, Any]:
    """Return the logged-in user."""
    return user
