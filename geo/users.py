"""Users, roles, password hashing (Argon2) and login tokens.

Tokens are random, shown to the client once and stored only as their SHA-256, with an expiry.
Accounts made for development (``dev_only``) cannot log in unless the service runs in dev mode.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from geo import DISTRICT_ADCODE
from geo.adcodes import is_county_code
from geo.errors import Conflict, Forbidden, InputError, NotAuthenticated
from geo.layers import ROLES
from geo.messages import label, quoted, text, value_labels
from geo.store import Store, schema
from geo.text import clean

_HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
_PUBLIC_FIELDS = ("id", "username", "role", "display_name", "active", "dev_only", "adcodes")


def hash_password(password: str) -> str:
    """Return the Argon2id hash of ``password``."""
    return _HASHER.hash(password)


def _public(user: dict[str, Any]) -> dict[str, Any]:
    return {k: user[k] for k in _PUBLIC_FIELDS}


def create_user(store: Store, username: str, password: str, role: str, *, actor: str,
                display_name: str | None = None, dev_only: bool = False,
                adcodes: list[str] | None = None, creator_adcodes: set[str] | None = None,
                conn: sa.Connection | None = None) -> dict[str, Any]:
    """Create a user acting for ``adcodes`` (default: the store's district); the password is hashed.

    ``creator_adcodes``: the districts the creating administrator acts for; a user for any other
    district is refused (403), so one district's administrator cannot make accounts for another. None
    for the command line, run by whoever runs the service.
    With ``conn`` the user is created in the caller's transaction (several accounts, one commit).
    """
    districts = sorted({clean(str(a)) for a in (adcodes or [store.adcode])})
    bad = [a for a in districts if not is_county_code(a)]
    if bad or not districts:
        raise InputError(text("accounts.adcodes", field=label("adcodes"), value=quoted(bad[0] if bad else "")),
                         field="adcodes")
    if creator_adcodes is not None and not set(districts) <= creator_adcodes:
        raise Forbidden(text("accounts.own_districts_only", field=label("adcodes"), user=actor,
                             own="、".join(sorted(creator_adcodes)),
                             asked="、".join(sorted(set(districts) - creator_adcodes))), field="adcodes")
    if role not in ROLES:
        raise InputError(text("accounts.role", field=label("role"), value=quoted(role),
                              allowed=value_labels(ROLES)),
                         field="role")
    name = clean(username or "").casefold()  # one spelling per person: ｄｅｖ-ADMIN is dev-admin
    if not name or len(name) > 64 or any(c.isspace() or c in "<>&\"'" for c in name):
        raise InputError(text("accounts.username", field=label("username")), field="username")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InputError(text("accounts.password_length", field=label("password"), length=MIN_PASSWORD_LENGTH),
                         field="password")
    record = {"username": name, "password_hash": hash_password(password), "role": role,
              "display_name": display_name, "active": True, "dev_only": dev_only,
              "adcodes": ",".join(districts)}
    if conn is None:
        with store.writing() as c:
            return _insert_user(store, c, record, actor=actor)
    return _insert_user(store, conn, record, actor=actor)


def _username_taken(conn: sa.Connection, username: str) -> bool:
    u = schema.users
    return conn.execute(sa.select(u.c.id).where(u.c.username == username).limit(1)).first() is not None


def _insert_user(store: Store, conn: sa.Connection, record: dict[str, Any], *, actor: str) -> dict[str, Any]:
    """Insert a checked user record unless its username is taken; return the public record."""
    name = record["username"]
    if _username_taken(conn, name):
        raise Conflict(text("accounts.taken", value=quoted(name)), field="username")
    (uid,) = store.insert("users", [record], actor=actor, conn=conn)
    return _public(store.get("users", uid, conn=conn))


DEV_PASSWORD_SUFFIX = "-dev-pass"


def dev_account(role: str) -> tuple[str, str]:
    """Return the username and password of the dev-only account of ``role`` (``dev-admin``, ``dev-admin-dev-pass``)."""
    name = f"dev-{role}"
    return name, f"{name}{DEV_PASSWORD_SUFFIX}"


def add_dev_accounts(store: Store, *, actor: str) -> list[dict[str, Any]]:
    """Create the missing dev-only accounts, one per role, in one transaction; return those created.

    Each account is named ``dev-<role>`` with the password of :func:`dev_account`; accounts that
    exist already are left as they are. Dev-only accounts can log in only while the service runs in
    dev mode (:func:`authenticate`); whether to create them at all is the caller's decision.
    """
    created = []
    with store.writing() as conn:
        for role in ROLES:
            name, password = dev_account(role)
            if _username_taken(conn, name):
                continue
            created.append(create_user(store, name, password, role, actor=actor, dev_only=True, conn=conn))
    return created


def acts_for(user: dict[str, Any], *, default: str) -> set[str]:
    """Return the districts (adcodes) a user acts for; users from before migration 5 act for ``default``."""
    return {a for a in str(user.get("adcodes") or default).split(",") if a}


def account_district(store: Store, username: str) -> str | None:
    """Return the first district the account ``username`` acts for when it does not act for the store's
    district (``None`` otherwise, or for no such account): the district its login page session is for.

    Read without the password: the login that follows checks it, and answers the same whatever this says."""
    rows = store.select("users", where={"username": clean(username or "").casefold()})
    if not rows:
        return None
    own = sorted(acts_for(rows[0], default=DISTRICT_ADCODE))
    return None if store.adcode in own or not own else own[0]


def list_users(store: Store) -> list[dict[str, Any]]:
    """Return the accounts that act for this store's district, without password hashes."""
    return [_public(u) for u in store.select("users") if store.adcode in acts_for(u, default=DISTRICT_ADCODE)]


def authenticate(store: Store, username: str, password: str, *, dev_mode: bool) -> dict[str, Any]:
    """Return the user whose password matches, or raise one undistinguished error."""
    refused = NotAuthenticated(text("accounts.wrong_password"), field="password")
    rows = store.select("users", where={"username": clean(username or "").casefold()})
    if not rows:
        _HASHER.hash("timing-equaliser")  # the same work whether or not the user exists
        raise refused
    user = rows[0]
    try:
        _HASHER.verify(user["password_hash"], password or "")
    except (VerificationError, InvalidHashError):
        raise refused from None
    if not user["active"] or (user["dev_only"] and not dev_mode):
        raise refused
    return {**_public(user), "as_neighbour": refuse_other_district(store, user)}


# The one role a neighbouring district's account signs in with: joint boundary work is two-sided (each
# side's inspector signs for its side; the boundary use cases check which side an account acts for).
NEIGHBOUR_ROLE = "boundary_inspector"


def refuse_other_district(store: Store, user: dict[str, Any]) -> bool:
    """Refuse (403) an account that does not act for this store's district, unless it is the boundary
    inspector of a district that shares a boundary line with it (joint inspection is two-sided): an
    officer, planner or admin of another district, or an inspector of a district with no common
    boundary, reads and edits nothing here with a right password. City-level accounts act for all their
    districts (``adcodes`` lists them). Checked at login and on every token's use, so a change of an
    account's districts takes effect at once.

    Return whether the account is let in as such a neighbour: it may then use the joint boundary work
    only (api.deps.require_role keeps it to the inspectors' endpoints and pages)."""
    own = acts_for(user, default=DISTRICT_ADCODE)  # an account from before migration 5 is 新城区's
    if store.adcode in own:
        return False
    if user.get("role") == NEIGHBOUR_ROLE and shares_boundary(store, own):
        return True
    raise Forbidden(text("accounts.other_district", username=user.get("username") or "",
                         own="、".join(sorted(own)), district=store.adcode), field="adcodes")


def shares_boundary(store: Store, districts: Iterable[str]) -> bool:
    """Return whether this store's district has a boundary line with one of ``districts`` (its own lines,
    left or right side)."""
    lines, wanted = schema.boundary_lines, sorted(set(districts))
    query = sa.select(lines.c.id).where(*store.scope(lines), sa.or_(lines.c.left_adcode.in_(wanted),
                                                                    lines.c.right_adcode.in_(wanted))).limit(1)
    with store.reading() as conn:
        return conn.execute(query).first() is not None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(store: Store, user: dict[str, Any], *, ttl_minutes: int) -> tuple[str, datetime]:
    """Return a new login token for ``user`` and when it expires."""
    token = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(minutes=ttl_minutes)
    with store.writing() as conn:
        conn.execute(schema.api_tokens.insert().values(
            adcode=store.adcode, version=1, created_at=datetime.now(UTC), updated_at=datetime.now(UTC),
            token_sha256=_digest(token), user_id=user["id"], expires_at=expires))
    return token, expires


def revoke_token(store: Store, token: str | None) -> None:
    """Make a token invalid at once (logging out); an unknown token is ignored."""
    if token:
        with store.writing() as conn:
            conn.execute(schema.api_tokens.delete().where(schema.api_tokens.c.token_sha256 == _digest(token)))


def user_for_token(store: Store, token: str | None) -> dict[str, Any]:
    """Return the active user a valid, unexpired token belongs to, or raise NotAuthenticated."""
    if not token:
        raise NotAuthenticated(text("accounts.log_in"), field="Authorization")
    tokens, users = schema.api_tokens, schema.users
    query = (sa.select(users, tokens.c.expires_at).join(tokens, tokens.c.user_id == users.c.id)
             .where(tokens.c.token_sha256 == _digest(token)))
    with store.reading() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        raise NotAuthenticated(text("accounts.token_invalid"), field="Authorization")
    expires = row["expires_at"]
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    if expires <= datetime.now(UTC) or not row["active"]:
        raise NotAuthenticated(text("accounts.token_expired"), field="Authorization")
    return {**_public(dict(row)), "as_neighbour": refuse_other_district(store, dict(row))}
