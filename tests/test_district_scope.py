"""An account acts for its districts only (#19 item 1, review F21 of #17): an officer of 150103 with the
right password reads and edits nothing of 150102's service, over the API and the pages alike.

The district is checked where every signed-in path starts (login and each use of a token), so no
endpoint can forget it; the write endpoints are walked from the authorization matrix of test_security.
"""

from __future__ import annotations

import httpx
import sqlalchemy as sa

from geo.store import schema
from geo.users import create_user, issue_token
from tests.conftest import USERS
from tests.test_officer_pages import login
from tests.test_security import API_WRITES, LAYER_EDITORS, PAGE_WRITES, _audit_count, _concrete

OTHER = ("t-admin-150103", "other-district-password-1")


def test_an_admin_of_another_district_cannot_log_in_or_use_a_token(writable_sample_store, writable_server):
    store, base = writable_sample_store, writable_server
    assert store.adcode == "150102"
    user = create_user(store, *OTHER, "admin", actor="test", adcodes=["150103"])
    r = httpx.post(f"{base}/api/auth/login", json={"username": OTHER[0], "password": OTHER[1]})
    assert r.status_code == 403, r.text
    message = r.json()["message"]
    assert "150103" in message and "150102" in message and r.json()["field"] == "adcodes"
    assert message.index("不代表本区") < message.index("not for this district")  # Chinese first
    # The page login says the same, instead of "wrong password".
    with httpx.Client(base_url=base, timeout=60, follow_redirects=True) as page:
        r = login(page, {"username": OTHER[0], "password": OTHER[1]})
        assert "不代表本区" in r.text and "用户名或密码错误" not in r.text
        assert "xc_token" not in page.cookies

    # A token such an account holds (issued before its districts changed, or forged in the table) opens
    # nothing: every write endpoint answers 403, every page form sends it to the login, nothing is stored.
    token, _ = issue_token(store, user, ttl_minutes=30)
    cases = [(m, _concrete(p)) for (m, p), roles in API_WRITES.items() if "admin" in roles]
    for layer in LAYER_EDITORS:
        cases += [("POST", f"/api/layers/{layer}/features"), ("PATCH", f"/api/layers/{layer}/features/999999")]
    before = _audit_count(store)
    wrong = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for method, path in cases:
            r = client.request(method, path, headers={"Authorization": f"Bearer {token}"}, json={})
            if r.status_code != 403:
                wrong.append(f"{method} {path}: {r.status_code}")
        for path in ("/api/users", "/api/auth/me", "/api/placenames/overdue"):
            r = client.get(path, headers={"Authorization": f"Bearer {token}"})
            if r.status_code != 403:
                wrong.append(f"GET {path}: {r.status_code}")
        for path, allowed in PAGE_WRITES.items():
            if "admin" not in allowed:
                continue
            r = client.post(path, headers={"Cookie": f"xc_token={token}"}, data={"x": "1"}, follow_redirects=False)
            if r.status_code != 303 or not r.headers["location"].startswith("/officer/login"):
                wrong.append(f"POST {path}: {r.status_code} {r.headers.get('location')}")
        r = client.get("/officer/placenames", headers={"Cookie": f"xc_token={token}"}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/officer/login")
        assert client.get("/", headers={"Cookie": f"xc_token={token}"}).status_code == 200  # public pages still open
    assert wrong == []
    assert _audit_count(store) == before


def test_a_neighbouring_districts_boundary_inspector_still_signs_in_for_joint_work(writable_sample_store,
                                                                                  writable_server):
    """Joint boundary work is two-sided: 150105's inspector signs in to sign for its side (the boundary
    use cases check the side); the same account as a place-name officer would be refused."""
    store, base = writable_sample_store, writable_server
    create_user(store, "saihan-inspector-2", "saihan-password-123", "boundary_inspector", actor="test",
                adcodes=["150105"])
    r = httpx.post(f"{base}/api/auth/login", json={"username": "saihan-inspector-2", "password": "saihan-password-123"})
    assert r.status_code == 200, r.text
    create_user(store, "saihan-officer", "saihan-password-123", "placename_officer", actor="test", adcodes=["150105"])
    r = httpx.post(f"{base}/api/auth/login", json={"username": "saihan-officer", "password": "saihan-password-123"})
    assert r.status_code == 403 and "界线联检员" in r.json()["message"]


def test_a_change_of_an_accounts_districts_takes_effect_at_once(writable_sample_store, writable_server):
    store, base = writable_sample_store, writable_server
    name, password = USERS["placename_officer"]
    r = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password})
    token = r.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{base}/api/auth/me", headers=headers).status_code == 200
    users = schema.users
    with store.writing() as conn:  # the account now acts for the neighbour only
        conn.execute(sa.update(users).where(users.c.username == name).values(adcodes="150105"))
    r = httpx.get(f"{base}/api/auth/me", headers=headers)
    assert r.status_code == 403 and "150105" in r.json()["message"]
    with store.writing() as conn:  # a city-level account acting for both districts works here
        conn.execute(sa.update(users).where(users.c.username == name).values(adcodes="150102,150105"))
    assert httpx.get(f"{base}/api/auth/me", headers=headers).status_code == 200


def test_an_admin_creates_accounts_only_for_the_districts_they_act_for(writable_sample_store, writable_server):
    import pytest

    from geo.errors import Forbidden

    store, live_server = writable_sample_store, writable_server
    with pytest.raises(Forbidden) as refused:  # the use case itself refuses, whoever calls it
        create_user(store, "t-officer-150103", "a-long-password-1", "placename_officer", actor="t-admin",
                    adcodes=["150102", "150103"], creator_adcodes={"150102"})
    assert refused.value.field == "adcodes" and "150103" in refused.value.message
    assert refused.value.message.index("只能为本方区划建立账号") < refused.value.message.index("an admin creates")
    assert not any(u["username"] == "t-officer-150103" for u in store.select("users"))
    made = create_user(store, "t-officer-150102", "a-long-password-1", "placename_officer", actor="t-admin",
                       adcodes=["150102"], creator_adcodes={"150102", "150103"})
    assert made["adcodes"] == "150102"
    # Over HTTP: the sample's admin acts for 150102 only.
    name, password = USERS["admin"]
    token = httpx.post(f"{live_server}/api/auth/login", json={"username": name, "password": password}).json()
    r = httpx.post(f"{live_server}/api/users", headers={"Authorization": f"Bearer {token['access_token']}"},
                   json={"username": "t-other-admin", "password": "a-long-password-1", "role": "admin",
                         "adcodes": ["150103"]})
    assert r.status_code == 403 and r.json()["field"] == "adcodes", r.text
