"""Password login issuing bearer tokens; who am I."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import SettingsDep, StoreDep, UserDep
from geo.users import authenticate, issue_token

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
def login(body: LoginIn, store: StoreDep, settings: SettingsDep) -> TokenOut:
    """Check the password and return a bearer token."""
    user = authenticate(store, body.username, body.password, dev_mode=settings.dev_mode)
    token, expires = issue_token(store, user, ttl_minutes=settings.token_ttl_minutes)
    return TokenOut(access_token=token, expires_at=expires.isoformat(), role=user["role"])


@router.get("/me", summary="当前用户 Who am I")
def me(user: UserDep) -> dict[str, Any]:
    """Return the logged-in user."""
    return user
