"""Security over real HTTP: who may write what, token expiry and logout, login throttling, no leaked passwords.

The authorization matrix is written out here by hand (not derived from the code it checks), and
a test fails if the service grows a write endpoint the matrix does not list.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa

from geo.store import schema
from tests.conftest import USERS, report_figure, running_server, server_settings

ADMIN, OFFICER, INSPECTOR, PLANNER = "admin", "placename_officer", "boundary_inspector", "planner"
ROLES = (ADMIN, OFFICER, INSPECTOR, PLANNER)
LAYER_EDITORS = {
    "admin_units": {ADMIN}, "place_names": {ADMIN, OFFICER}, "streets": {ADMIN, OFFICER},
    "facilities": {ADMIN, PLANNER}, "door_plates": {ADMIN, OFFICER}, "boundary_lines": {ADMIN},
    "boundary_markers": {ADMIN}, "linear_features": {ADMIN, PLANNER}, "graves": {ADMIN, PLANNER},
    "ban_zone_areas": {ADMIN}, "premises": {ADMIN, PLANNER}, "new_estates": {ADMIN, PLANNER},
}
# (method, path template) → roles allowed; every other role gets 403 and no login gets 401.
API_WRITES: dict[tuple[str, str], set[str]] = {
    ("POST", "/api/users"): {ADMIN},
    ("PATCH", "/api/placenames/{place_id}"): {ADMIN, OFFICER},
    ("POST", "/api/placenames/validate"): {ADMIN, OFFICER},
    ("POST", "/api/placenames"): {ADMIN, OFFICER},
    ("POST", "/api/placenames/{place_id}/transition"): {ADMIN, OFFICER},
    ("POST", "/api/placenames/{place_id}/rename"): {ADMIN, OFFICER},
    ("POST", "/api/placenames/{place_id}/romanization/confirm"): {ADMIN, OFFICER},
    ("POST", "/api/placenames/{place_id}/filing"): {ADMIN, OFFICER},
    ("POST", "/api/placenames/{place_id}/protection"): {ADMIN, OFFICER},
    ("POST", "/api/plates/{plate_uid}/status"): {ADMIN, OFFICER},
    ("POST", "/api/standard-addresses/buildings"): {ADMIN, OFFICER},  # standard addresses (#17)
    ("POST", "/api/standard-addresses/units"): {ADMIN, OFFICER},
    ("POST", "/api/standard-addresses/rooms"): {ADMIN, OFFICER},
    ("POST", "/api/standard-addresses/import"): {ADMIN, OFFICER},
    ("PATCH", "/api/standard-addresses/{address_uid}"): {ADMIN, OFFICER},
    ("POST", "/api/standard-addresses/{address_uid}/retire"): {ADMIN, OFFICER},
    ("POST", "/api/plates/{plate_uid}/replace"): {ADMIN, OFFICER},
    ("POST", "/api/street-signs"): {ADMIN, OFFICER},  # street signs (#17)
    ("POST", "/api/street-signs/{sign_uid}/inspect"): {ADMIN, OFFICER},
    ("POST", "/api/street-signs/{sign_uid}/damage"): {ADMIN, OFFICER},
    ("POST", "/api/street-signs/{sign_uid}/replace"): {ADMIN, OFFICER},
    ("POST", "/api/street-signs/{sign_uid}/remove"): {ADMIN, OFFICER},
    ("POST", "/api/divisions/create"): {ADMIN},  # division changes are the bureau's decisions (#17)
    ("POST", "/api/divisions/split"): {ADMIN},
    ("POST", "/api/divisions/merge"): {ADMIN},
    ("POST", "/api/divisions/rename"): {ADMIN},
    ("POST", "/api/divisions/recode"): {ADMIN},
    ("POST", "/api/place-codes/assign"): {ADMIN, OFFICER},
    ("POST", "/api/place-codes/heritage"): {ADMIN, OFFICER},
    ("POST", "/api/place-codes/heritage/{place_id}/lift"): {ADMIN, OFFICER},
    ("POST", "/api/place-codes/sync-batches"): {ADMIN, OFFICER},
    ("POST", "/api/place-codes/sync-batches/{batch_id}/sent"): {ADMIN, OFFICER},
    ("POST", "/api/place-codes/sync-batches/{batch_id}/acknowledged"): {ADMIN, OFFICER},
    ("POST", "/api/planning/siting"): {ADMIN, PLANNER},
    ("POST", "/api/planning/cemetery-site-check"): {ADMIN, PLANNER},
    ("POST", "/api/plates/numbering/suggest"): {ADMIN, OFFICER},
    ("POST", "/api/inspections/campaigns"): {ADMIN},
    ("POST", "/api/inspections"): {ADMIN, INSPECTOR},
    ("POST", "/api/inspections/campaigns/{campaign_id}/signoff"): {ADMIN, INSPECTOR},
    ("POST", "/api/markers"): {ADMIN},
    ("POST", "/api/markers/{marker_id}/move"): {ADMIN},
    ("POST", "/api/markers/{marker_id}/decommission"): {ADMIN},
    ("POST", "/api/boundary-compare"): {ADMIN, INSPECTOR},  # reads only: compares an uploaded version
    ("POST", "/api/markers/{marker_id}/repairs"): {ADMIN, INSPECTOR},
    ("POST", "/api/disputes"): {ADMIN, INSPECTOR},
    ("POST", "/api/disputes/{dispute_id}/assign"): {ADMIN, INSPECTOR},
    ("POST", "/api/disputes/{dispute_id}/documents"): {ADMIN, INSPECTOR},
    ("POST", "/api/disputes/{dispute_id}/resolve"): {ADMIN, INSPECTOR},
    ("POST", "/api/disputes/{dispute_id}/withdraw"): {ADMIN, INSPECTOR},
    ("POST", "/api/reports/{report_id}/resolve"): {ADMIN, OFFICER},
    ("POST", "/api/planning/whatif"): {ADMIN, PLANNER},  # reads only: the change a what-if would make
    ("POST", "/api/planning/indicator-snapshots"): {ADMIN, PLANNER},
    ("POST", "/api/cemeteries/plot-types"): {ADMIN, PLANNER},
    ("PATCH", "/api/cemeteries/plot-types/{record_id}"): {ADMIN, PLANNER},
    ("POST", "/api/cemeteries/burial-statistics"): {ADMIN, PLANNER},
    ("PATCH", "/api/cemeteries/burial-statistics/{record_id}"): {ADMIN, PLANNER},
}
PER_LAYER = {("POST", "/api/layers/{layer}/features"), ("PATCH", "/api/layers/{layer}/features/{fid}"),
             ("POST", "/api/layers/{layer}/import")}
OPEN_WRITES = {("POST", "/api/auth/login"), ("POST", "/api/auth/logout")}  # tested on their own below
# Cookie-session page forms: without an officer (or inspector) session they redirect to the login.
PAGE_WRITES = {
    "/officer/placenames/new": {ADMIN, OFFICER},
    "/officer/placenames/999999/step": {ADMIN, OFFICER},
    "/officer/placenames/999999/edit": {ADMIN, OFFICER},
    "/officer/placenames/999999/rename": {ADMIN, OFFICER},
    "/officer/plates/NO-SUCH-PLATE/status": {ADMIN, OFFICER},
    "/officer/placenames/999999/mongolian": {ADMIN, OFFICER},
    "/officer/reports/999999/resolve": {ADMIN, OFFICER},
    "/field/campaigns/999999/markers/NO-SUCH-MARKER": {ADMIN, INSPECTOR},
    "/officer/plates/NO-SUCH-PLATE/addresses/buildings": {ADMIN, OFFICER},
    "/officer/plates/NO-SUCH-PLATE/addresses/NO-SUCH/units": {ADMIN, OFFICER},
    "/officer/plates/NO-SUCH-PLATE/addresses/NO-SUCH/rooms": {ADMIN, OFFICER},
    "/officer/plates/NO-SUCH-PLATE/addresses/NO-SUCH/edit": {ADMIN, OFFICER},
    "/officer/plates/NO-SUCH-PLATE/addresses/NO-SUCH/retire": {ADMIN, OFFICER},
    "/officer/addresses/import": {ADMIN, OFFICER},
    "/officer/heritage/list": {ADMIN, OFFICER},
    "/officer/heritage/999999/lift": {ADMIN, OFFICER},
    "/officer/sync/export": {ADMIN, OFFICER},
    "/officer/sync/999999/sent": {ADMIN, OFFICER},
    "/officer/sync/999999/acknowledged": {ADMIN, OFFICER},
    "/officer/divisions/rename": {ADMIN},
    "/officer/divisions/merge": {ADMIN},
    "/officer/divisions/create": {ADMIN},
    "/officer/divisions/split": {ADMIN},
    "/officer/street-signs/register/install": {ADMIN, OFFICER},
    "/officer/street-signs/NO-SUCH-SIGN/inspect": {ADMIN, OFFICER},
    "/officer/street-signs/NO-SUCH-SIGN/damage": {ADMIN, OFFICER},
    "/officer/street-signs/NO-SUCH-SIGN/replace": {ADMIN, OFFICER},
    "/officer/street-signs/NO-SUCH-SIGN/remove": {ADMIN, OFFICER},
}


def _login(base: str, role: str) -> str:
    name, password = USERS[role]
    r = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def _concrete(path: str) -> str:
    """Fill path parameters with ids that do not exist, so an allowed call writes nothing."""
    return re.sub(r"\{[a-z_]+\}", "999999", path)


def _audit_count(store) -> int:
    with store.reading() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(schema.audit_log)).scalar_one()


def test_the_matrix_lists_every_write_endpoint(live_server):
    spec = httpx.get(f"{live_server}/openapi.json", timeout=60).json()
    writes = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops
              if m in ("post", "put", "patch", "delete")}
    assert writes == set(API_WRITES) | PER_LAYER | OPEN_WRITES


def test_authorization_matrix_every_write_endpoint_for_every_role(live_server, sample_store):
    tokens = {role: _login(live_server, role) for role in ROLES}
    cases: list[tuple[str, str, set[str]]] = [(m, _concrete(p), roles) for (m, p), roles in API_WRITES.items()]
    for layer, editors in LAYER_EDITORS.items():
        cases += [("POST", f"/api/layers/{layer}/features", editors),
                  ("PATCH", f"/api/layers/{layer}/features/999999", editors),
                  ("POST", f"/api/layers/{layer}/import?crs=EPSG:4490&format=geojson", editors)]
    before = _audit_count(sample_store)
    wrong: list[str] = []
    tried = 0
    with httpx.Client(base_url=live_server, timeout=60) as client:
        for method, path, allowed in cases:
            for role in (None, *ROLES):
                headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
                r = client.request(method, path, headers=headers, json={})
                tried += 1
                expected = 401 if role is None else (None if role in allowed else 403)
                if expected is not None and r.status_code != expected:
                    wrong.append(f"{method} {path} as {role}: {r.status_code}, expected {expected}")
                if expected is None and r.status_code in (401, 403):
                    wrong.append(f"{method} {path} as {role}: {r.status_code}, but the role is allowed")
                if r.status_code >= 500:
                    wrong.append(f"{method} {path} as {role}: {r.status_code}")
                if r.status_code in (401, 403):
                    body = r.json()
                    assert body["status"] == r.status_code and body["message"]
        for path, allowed in PAGE_WRITES.items():
            for role in (None, *[r for r in ROLES if r not in allowed]):
                cookie = {"Cookie": f"xc_token={tokens[role]}"} if role else {}
                r = client.post(path, headers=cookie, data={"x": "1"}, follow_redirects=False)
                tried += 1
                if role is None:  # not logged in: to the login page, keeping where they were going
                    if r.status_code != 303 or not r.headers["location"].startswith("/officer/login"):
                        wrong.append(f"POST {path} as nobody: {r.status_code} {r.headers.get('location')}")
                elif r.status_code != 403 or "无权访问" not in r.text:  # the wrong role: a 403 page that says so
                    wrong.append(f"POST {path} as {role}: {r.status_code}, expected the 403 page")
    report_figure(f"authorization matrix [{sample_store.dialect}]: {tried} requests ({len(cases)} API writes × "
                  f"no login + {len(ROLES)} roles, {len(PAGE_WRITES)} page forms), {len(wrong)} unexpected")
    assert wrong == []
    assert _audit_count(sample_store) == before  # nothing was written by any of them


def test_tokens_expire_and_logout_revokes(writable_server, writable_sample_store):
    token = _login(writable_server, PLANNER)
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{writable_server}/api/auth/me", headers=headers).json()["role"] == PLANNER
    with writable_sample_store.writing() as conn:  # the token's lifetime ends, as if its hours had passed
        conn.execute(schema.api_tokens.update().where(schema.api_tokens.c.user_id == sa.select(schema.users.c.id)
                     .where(schema.users.c.username == USERS[PLANNER][0]).scalar_subquery())
                     .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    r = httpx.get(f"{writable_server}/api/auth/me", headers=headers)
    assert r.status_code == 401 and "expired" in r.json()["message"]
    assert r.headers["www-authenticate"] == "Bearer"
    token = _login(writable_server, PLANNER)
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.post(f"{writable_server}/api/auth/logout", headers=headers).status_code == 204
    assert httpx.get(f"{writable_server}/api/auth/me", headers=headers).status_code == 401
    assert httpx.post(f"{writable_server}/api/auth/logout").status_code == 401
    # The officer pages' logout revokes the cookie's token on the server too.
    token = _login(writable_server, OFFICER)
    page = httpx.get(f"{writable_server}/officer/placenames", cookies={"xc_token": token}).text
    form_token = re.search(r"name='csrf_token' value='([^']+)'", page).group(1)  # logout form's
    r = httpx.post(f"{writable_server}/officer/logout", cookies={"xc_token": token},
                   data={"csrf_token": form_token}, follow_redirects=False)
    assert r.status_code == 303
    assert httpx.get(f"{writable_server}/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


@pytest.fixture
def throttled_server(store):
    """A server over an empty store with one admin, allowing 3 failed logins per 15 minutes."""
    from geo.users import create_user

    create_user(store, "chief", "the-right-password-1", ADMIN, actor="test")
    with running_server(server_settings(store, login_max_failures=3, login_window_minutes=15)) as url:
        yield url


def test_login_is_throttled_and_passwords_are_never_logged_or_returned(throttled_server, caplog):
    base = throttled_server
    caplog.set_level(logging.DEBUG)
    bodies: list[str] = []

    def login(username: str, password: str) -> httpx.Response:
        r = httpx.post(f"{base}/api/auth/login", json={"username": username, "password": password})
        bodies.append(r.text)
        return r

    ok = login("chief", "the-right-password-1")
    assert ok.status_code == 200
    admin = {"Authorization": f"Bearer {ok.json()['access_token']}"}
    created = httpx.post(f"{base}/api/users", headers=admin, json={"username": "clerk", "password": "clerk-secret-pw-9",
                                                                    "role": OFFICER})
    assert created.status_code in (200, 201), created.text
    bodies += [created.text, httpx.get(f"{base}/api/users", headers=admin).text,
               httpx.get(f"{base}/api/auth/me", headers=admin).text]
    statuses = [login("chief", f"guess-{i}").status_code for i in range(3)]
    assert statuses == [401, 401, 401]
    locked = login("chief", "the-right-password-1")  # even the right password, while locked
    assert locked.status_code == 429 and locked.json()["field"] == "username"
    assert "too many failed logins" in locked.json()["message"]
    assert login("CHIEF", "guess-x").status_code == 429  # the same name in other case is the same account
    # Another account from the same address still works, and a success clears its own count.
    assert login("clerk", "clerk-secret-pw-9").status_code == 200
    # The officer login form is throttled by the same counts.
    with httpx.Client(base_url=base) as browser:  # the form as shown, with its CSRF token
        form = browser.get("/officer/login").text
        form_token = re.search(r"name='csrf_token' value='([^']+)'", form).group(1)
        r = browser.post("/officer/login", follow_redirects=False,
                         data={"username": "chief", "password": "the-right-password-1",
                               "csrf_token": form_token})
    assert r.status_code == 303 and "login?error=" in r.headers["location"] and "xc_token" not in r.cookies
    # Enough failures from one address lock that address out for every name (4 × 3 = 12).
    for i in range(12):
        login(f"nobody-{i}", "guess")
    r = login("clerk", "clerk-secret-pw-9")
    assert r.status_code == 429 and r.json()["field"] == "client"
    secrets = ("the-right-password-1", "clerk-secret-pw-9", "guess-0", "$argon2")
    logged = "\n".join(f"{rec.getMessage()} {rec.__dict__}" for rec in caplog.records)
    assert any("login refused" in rec.getMessage() for rec in caplog.records)  # failures are logged...
    for secret in secrets:  # ...but never a password or a hash, in the log or any response
        assert secret not in logged
        assert not any(secret in body for body in bodies)
    assert not any("password" in body.lower() and "hash" in body.lower() for body in bodies)
