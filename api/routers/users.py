"""User administration (admins only); the first admin is created with the CLI."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import StoreDep, needs_role
from geo.layers import ADMIN
from geo.users import acts_for, create_user, list_users

router = APIRouter(prefix="/api/users", tags=["users 用户"])


class UserIn(BaseModel):
    """A new user."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    role: str
    display_name: str | None = None
    adcodes: list[str] | None = Field(default=None, max_length=200,
                                      description="6-digit adcodes the user acts for; default: this district")


@router.get("", summary="用户列表 List users")
def get_users(store: StoreDep,
              user: Annotated[dict[str, Any], Depends(needs_role({ADMIN}, "listing users"))]) -> list[dict[str, Any]]:
    """Return every user (no password hashes)."""
    return list_users(store)


@router.post("", status_code=201, summary="新建用户 Create a user")
def post_user(body: UserIn, store: StoreDep,
              user: Annotated[dict[str, Any], Depends(needs_role({ADMIN}, "creating users"))]) -> dict[str, Any]:
    """Create a user with a role."""
    return create_user(store, body.username, body.password, body.role, actor=user["username"],
                       display_name=body.display_name, adcodes=body.adcodes,
                       creator_adcodes=acts_for(user, default=store.adcode))
