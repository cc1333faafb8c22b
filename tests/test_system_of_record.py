"""A system of record: no write skips its rule, through the HTTP API and the CLI, on both backends.

Each test starts from the exact bypass an outside probe found (the issue's list) and checks that it
is refused with a 4xx naming the field and rule, and that nothing was stored.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta

import httpx
import pytest
import sqlalchemy as sa

from geo.plate_codes import PlateSigner
from geo.store import Store, schema
from tests.conftest import USERS, _fresh_url, load_sample, running_server, server_settings

COMPLETE = {"admin_code": "150102000000", "meaning": "寓意美好 auspicious", "name_mong_pending": True}


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def record_store(request, tmp_path_factory, sample) -> Iterator[Store]:
    """A writable store holding the sample district, shared by this module's tests (they write apart)."""
    from geo.users import create_user

    url, drop = _fresh_url(request.param, request, tmp_path_factory)
    s = Store.open(url)
    s.migrate()
    load_sample(s, sample)
    for role, (name, password) in USERS.items():
        create_user(s, name, password, role, actor="test")
    create_user(s, "huimin-inspector", "huimin-password-123", "boundary_inspector", actor="test",
                adcodes=["150103"])
    yield s
    s.close()
    drop()


@pytest.fixture(scope="module")
def api(record_store) -> Iterator[httpx.Client]:
    with running_server(server_settings(record_store)) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield client


def _token(api: httpx.Client, role: str) -> dict[str, str]:
    name, password = USERS[role]
    r = api.post("/api/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _count(store: Store, table: str) -> int:
    with store.reading() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(schema.metadata.tables[table])).scalar_one()


def _refused(r: httpx.Response, field: str, *, status: tuple[int, ...] = (400, 409, 422)) -> dict:
    assert r.status_code in status, (r.status_code, r.text)
    body = r.json()
    assert body["field"] == field, body
    assert any("\u4e00" <= c <= "\u9fff" for c in body["message"].split("·")[0]), body["message"]  # Chinese first
    return body


def _cli(store: Store, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the real CLI on ``store`` in its own process."""
    url = store.engine.url.render_as_string(hide_password=False)
    base = {k: v for k, v in os.environ.items() if not k.startswith("XINCHENG_")}
    return subprocess.run([sys.executable, "-m", "api.cli", "--database-url", url, *args], capture_output=True,
                          text=True, env={**base, **(env or {})}, timeout=120)


def _first(store: Store, table: str, **where) -> dict:
    return store.select(table, where=where, limit=1)[0]


# -- 1. the generic path refuses rule fields; new records start where their use case starts ------

def test_generic_path_refuses_lifecycle_identity_and_decision_fields(api, record_store):
    officer, admin = _token(api, "placename_officer"), _token(api, "admin")
    name = _first(record_store, "place_names", feature_class="street", status="in_force")
    plate = _first(record_store, "door_plates", status="active")
    street = _first(record_store, "streets")
    marker = _first(record_store, "boundary_markers")
    audit_before = _count(record_store, "audit_log")
    cases = [
        ("place_names", name, {"status": "retired"}, officer, "status", "/transition"),
        ("place_names", name, {"protected": True}, officer, "protected", "/protection"),
        ("place_names", name, {"standard_name": "春晖北路"}, officer, "standard_name", "/rename"),
        ("place_names", name, {"romanization": "Anything Goes"}, officer, "romanization", "romanization"),
        ("door_plates", plate, {"status": "revoked"}, officer, "status", "/api/plates/{plate_uid}/status"),
        ("door_plates", plate, {"plate_uid": "KILL0001"}, officer, "plate_uid", "plate_uid"),
        ("streets", street, {"name": "改名路"}, officer, "name", "/rename"),
        ("boundary_markers", marker, {"status": "decommissioned"}, admin, "status", "/decommission"),
        ("boundary_markers", marker, {"marker_no": "X001Q"}, admin, "marker_no", "/api/markers"),
    ]
    for layer, rec, props, headers, field, use in cases:
        r = api.patch(f"/api/layers/{layer}/features/{rec['id']}", headers=headers,
                      json={"version": rec["version"], "properties": props})
        body = _refused(r, field, status=(422,))
        assert use in body["message"], (layer, field, body["message"])
        assert record_store.get(layer, rec["id"])["version"] == rec["version"]
    moved = api.patch(f"/api/layers/boundary_markers/features/{marker['id']}", headers=admin,
                      json={"version": marker["version"],
                            "geometry": {"type": "Point", "coordinates": [111.70, 40.85]}})
    _refused(moved, "geometry", status=(422,))
    new_marker = api.post("/api/layers/boundary_markers/features", headers=admin, json={
        "properties": {"marker_no": "Z999Q"}, "geometry": {"type": "Point", "coordinates": [111.7, 40.85]}})
    assert new_marker.status_code == 422 and "/api/markers" in new_marker.json()["message"]
    assert _count(record_store, "audit_log") == audit_before


def test_a_free_field_still_changes_through_the_generic_path(api, record_store):
    name = _first(record_store, "place_names", feature_class="street", status="in_force")
    r = api.patch(f"/api/layers/place_names/features/{name['id']}", headers=_token(api, "placename_officer"),
                  json={"version": name["version"], "properties": {"meaning": "以春晖命名 named after spring light"}})
    assert r.status_code == 200, r.text
    assert record_store.get("place_names", name["id"])["meaning"].startswith("以春晖命名")


def test_a_name_created_through_the_generic_path_is_proposed_and_passes_the_gazetteer_rules(api, record_store):
    officer = _token(api, "placename_officer")
    before = _count(record_store, "place_names")
    point = {"type": "Point", "coordinates": [111.70, 40.85]}
    in_force = api.post("/api/layers/place_names/features", headers=officer, json={
        "properties": {"standard_name": "晨光路", "feature_class": "street", "status": "in_force"},
        "geometry": point})
    _refused(in_force, "status", status=(422,))
    for bad in ("帝豪路", "毛泽东路"):  # PN-01, PN-04
        r = api.post("/api/layers/place_names/features", headers=officer, json={
            "properties": {"standard_name": bad, "feature_class": "street", **COMPLETE}, "geometry": point})
        assert r.status_code == 400 and r.json()["field"] == "standard_name", r.text
    assert _count(record_store, "place_names") == before
    ok = api.post("/api/layers/place_names/features", headers=officer, json={
        "properties": {"standard_name": "晨光路", "feature_class": "street", "admin_code": "150102000000",
                       "meaning": "晨光 morning light", "name_mong": "ᠴᠢᠨᠭᠤᠸᠠᠩ ᠵᠠᠮ"}, "geometry": point})
    assert ok.status_code == 201, ok.text
    assert ok.json()["properties"]["status"] == "proposed"
    assert ok.json()["properties"]["romanization"] == "Chenguang Lu"
    public = api.get("/api/placenames/search", params={"q": "晨光路"}).json()
    assert all(h["standard_name"] != "晨光路" for h in public)
    events = record_store.select("place_name_events", where={"place_name_id": ok.json()["id"]})
    assert [e["to_status"] for e in events] == ["proposed"]


def test_enumerations_are_validated_on_every_generic_write(api, record_store):
    planner = _token(api, "planner")
    before = _count(record_store, "facilities")
    point = {"type": "Point", "coordinates": [111.70, 40.85]}
    r = api.post("/api/layers/facilities/features", headers=planner, json={
        "properties": {"kind": "elder_care_statoin", "name": "拼错的站"}, "geometry": point})
    assert "elder_care_station" in _refused(r, "kind")["message"]
    fac = _first(record_store, "facilities", kind="elder_care_station")
    r = api.patch(f"/api/layers/facilities/features/{fac['id']}", headers=planner,
                  json={"version": fac["version"], "properties": {"status": "bogus"}})
    _refused(r, "status")
    assert _count(record_store, "facilities") == before
    assert record_store.get("facilities", fac["id"])["status"] == "active"
    spec = api.get("/openapi.json").json()
    text = spec["paths"]["/api/layers/{layer}/features"]["post"]["description"]
    assert "facilities.kind: community_service_centre | elder_care_station" in text
    assert "door_plates: plate_uid, status" in text


# -- 2/3. plate uids, and plates checked when written ---------------------------------------------

def _plate_post(api, headers, **props):
    geometry = props.pop("geometry", None)
    return api.post("/api/layers/door_plates/features", headers=headers,
                    json={"properties": props, "geometry": geometry})


def test_plates_are_checked_when_written(api, record_store):
    officer = _token(api, "placename_officer")
    xinhua_1 = _first(record_store, "door_plates", street_name="新华大街", number=1)
    here = {"type": "Point", "coordinates": list(xinhua_1["geometry"].coords[0])}
    before = _count(record_store, "door_plates")
    for uid in ("P1", "KILL000001", "kill0001", "OOOOOOOO"):
        _refused(_plate_post(api, officer, plate_uid=uid, street_name="新华大街", number=901, geometry=here),
                 "plate_uid")
    _refused(_plate_post(api, officer, plate_uid=xinhua_1["plate_uid"], street_name="新华大街", number=903,
                         geometry=here), "plate_uid", status=(409,))
    dup = _refused(_plate_post(api, officer, street_name="新华大街", number=1, geometry=here), "number",
                   status=(409,))
    assert "DP-04" in dup["message"]
    _refused(_plate_post(api, officer, street_name="不存在大街", number=1, geometry=here), "street_name")
    beijing = {"type": "Point", "coordinates": [116.397, 39.909]}
    _refused(_plate_post(api, officer, street_name="新华大街", number=905, geometry=beijing), "geometry")
    _refused(_plate_post(api, officer, street_name="新华大街", number=907, status="revoked", geometry=here),
             "status", status=(422,))
    assert _count(record_store, "door_plates") == before
    ok = _plate_post(api, officer, street_name="新华大街", number=1, suffix="之一", geometry=here)
    assert ok.status_code == 201, ok.text
    uid = ok.json()["properties"]["plate_uid"]
    signer = PlateSigner.from_setting("", fallback_secret="x" * 40)
    assert signer.verify(signer.code(uid)) == uid
    assert ok.json()["properties"]["status"] == "active"
    far_point = {"type": "Point", "coordinates": [here["coordinates"][0], here["coordinates"][1] + 0.01]}
    far = _plate_post(api, officer, street_name="新华大街", number=1, suffix="之二", geometry=far_point)
    assert far.status_code == 201 and any("新华大街" in w for w in far.json()["warnings"]), far.text


def test_a_plate_status_is_a_decision_through_its_endpoint(api, record_store):
    officer = _token(api, "placename_officer")
    plate = _first(record_store, "door_plates", street_name="新华大街", number=3)
    path = f"/api/plates/{plate['plate_uid']}/status"
    missing = api.post(path, headers=officer, json={"version": plate["version"], "status": "revoked",
                                                    "decision_body": "新城区民政局", "decision_doc_no": " ",
                                                    "decision_date": "2026-11-20"})
    _refused(missing, "decision_doc_no")
    assert record_store.get("door_plates", plate["id"])["status"] == "active"
    ok = api.post(path, headers=officer, json={"version": plate["version"], "status": "revoked",
                                               "decision_body": "新城区民政局", "decision_doc_no": "新民发〔2026〕12号",
                                               "decision_date": "2026-11-20"})
    assert ok.status_code == 200, ok.text
    stored = record_store.get("door_plates", plate["id"])
    assert stored["status"] == "revoked" and stored["decision_doc_no"] == "新民发〔2026〕12号"
    assert any(a["action"] == "status:revoked" for a in record_store.audit_rows("door_plates", plate["id"]))


# -- 4. romanization through the API is exactly romanize() ----------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("春晖北路", "Chunhui Beilu"), ("锡林南路", "Xilin Nanlu"), ("兴安北大街", "Xing'an Beidajie"),
    ("经五路", "Jing 5 Lu"), ("王家村", "Wangjiacun"),
])
def test_proposed_names_store_the_romanizer_answer(api, name, expected):
    from geo.romanize import romanize

    feature_class = "village" if name.endswith("村") else "street"
    r = api.post("/api/placenames", headers=_token(api, "placename_officer"), json={
        "properties": {"standard_name": name, "feature_class": feature_class, **COMPLETE},
        "justification": "测试 test"})
    assert r.status_code == 201, r.text
    props = r.json()["properties"]
    assert props["romanization"] == expected == romanize(name).romanization
    assert not props["romanization"].replace(" ", "").isupper()


def test_a_rename_with_a_direction_word_stores_the_right_romanization_and_its_dates(api, record_store):
    officer = _token(api, "placename_officer")
    name = _first(record_store, "place_names", standard_name="福泰路")
    approval = {"approval_authority": "呼和浩特市人民政府", "approval_doc_no": "呼政发〔2026〕3号",
                "approval_date": "2026-11-01"}
    early = api.post(f"/api/placenames/{name['id']}/rename", headers=officer, json={
        "new_name": "福泰北路", "version": name["version"], "justification": "测试 test",
        "approval": {**approval, "filed_date": "2026-10-01"}})
    _refused(early, "filed_date")
    r = api.post(f"/api/placenames/{name['id']}/rename", headers=officer,
                 json={"new_name": "福泰北路", "version": name["version"], "approval": approval,
                       "justification": "测试 test"})
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["romanization"] == "Futai Beilu"
    assert r.json()["properties"]["generic"] == "北路"
    plates = record_store.select("door_plates", where={"street_name": "福泰北路"})
    assert plates and all(p["street_name"] == "福泰北路" for p in plates)
    assert name["id"] in {n["id"] for n in api.get("/api/gazetteer/overdue", headers=officer).json()}
    after = record_store.get("place_names", name["id"])
    filed = api.post(f"/api/placenames/{name['id']}/filing", headers=officer,
                     json={"version": after["version"], "filed_date": "2026-11-10", "announce_date": "2026-11-12"})
    assert filed.status_code == 200, filed.text
    assert name["id"] not in {n["id"] for n in api.get("/api/gazetteer/overdue", headers=officer).json()}


def test_mongolian_origin_names_need_confirmation_before_approval(api, record_store):
    officer = _token(api, "placename_officer")
    r = api.post("/api/placenames", headers=officer, json={
        "properties": {"standard_name": "乌兰巴特尔路", "feature_class": "street", **COMPLETE,
                       "language_of_origin": "mn"}, "justification": "测试 test"})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]

    def step(to: str, **data):
        version = record_store.get("place_names", pid)["version"]
        return api.post(f"/api/placenames/{pid}/transition", headers=officer,
                        json={"to": to, "version": version, "data": data})

    for to in ("consultation", "expert_review", "assessment"):
        assert step(to).status_code == 200
    approval = {"approval_authority": "呼和浩特市人民政府", "approval_doc_no": "呼政发〔2026〕9号",
                "approval_date": (date.today() - timedelta(days=30)).isoformat()}
    blocked = step("approved", **approval)
    assert blocked.status_code == 409 and "RM-13" in blocked.json()["message"]
    version = record_store.get("place_names", pid)["version"]
    ok = api.post(f"/api/placenames/{pid}/romanization/confirm", headers=officer,
                  json={"version": version, "basis": "内蒙古地名录 p.12"})
    assert ok.status_code == 200, ok.text
    assert step("approved", **approval).status_code == 200
    early = step("filed", filed_date=(date.today() - timedelta(days=40)).isoformat())
    _refused(early, "filed_date")
    overdue = {n["id"]: n for n in api.get("/api/gazetteer/overdue", headers=officer).json()}
    assert overdue[pid]["missing"] == ["filed_date", "announce_date"]
    out = _cli(record_store, "gazetteer", "overdue")
    assert out.returncode == 0 and "乌兰巴特尔路" in out.stdout and "未备案" in out.stdout, out.stderr


def test_clearing_protection_is_a_decision_with_document_and_reason(api, record_store):
    officer = _token(api, "placename_officer")
    name = _first(record_store, "place_names", standard_name="和安路")
    path = f"/api/placenames/{name['id']}/protection"
    on = api.post(path, headers=officer, json={"version": name["version"], "protected": True,
                                               "document_ref": "新政发〔2026〕1号", "reason": "老街名 historic"})
    assert on.status_code == 200, on.text
    version = record_store.get("place_names", name["id"])["version"]
    rename = api.post(f"/api/placenames/{name['id']}/rename", headers=officer, json={
        "new_name": "和平新路", "version": version, "approval": {
            "approval_authority": "市政府", "approval_doc_no": "x1", "approval_date": "2026-11-01"}})
    assert rename.status_code == 409 and rename.json()["field"] == "protection_override"
    no_doc = api.post(path, headers=officer, json={"version": version, "protected": False,
                                                   "document_ref": "", "reason": "no"})
    assert no_doc.status_code in (400, 422)
    assert record_store.get("place_names", name["id"])["protected"] is True
    events = record_store.select("place_name_events", where={"place_name_id": name["id"]})
    assert any("PN-09" in (e["comment"] or "") for e in events)


# -- 6. sign-off belongs to a district ------------------------------------------------------------

def test_a_signer_signs_only_for_their_own_district(api, record_store):
    admin = _token(api, "admin")
    line = _first(record_store, "boundary_lines", right_adcode="150103")
    r = api.post("/api/inspections/campaigns", headers=admin,
                 json={"name": "新城—回民联检", "line_codes": [line["line_code"]], "required_accuracy_m": 5.0})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    inspector = _token(api, "boundary_inspector")
    other = _refused(api.post(f"/api/inspections/campaigns/{cid}/signoff", headers=inspector,
                              json={"party_adcode": "150103"}), "party_adcode", status=(403,))
    assert "150103" in other["message"]
    assert not record_store.select("campaign_signoffs", where={"campaign_id": cid})
    ours = api.post(f"/api/inspections/campaigns/{cid}/signoff", headers=inspector, json={"party_adcode": "150102"})
    assert ours.status_code == 200 and ours.json()["waiting_for"] == ["150103"]
    login = api.post("/api/auth/login", json={"username": "huimin-inspector", "password": "huimin-password-123"})
    huimin = {"Authorization": f"Bearer {login.json()['access_token']}"}
    _refused(api.post(f"/api/inspections/campaigns/{cid}/signoff", headers=huimin,
                      json={"party_adcode": "150102"}), "party_adcode", status=(403, 409))
    theirs = api.post(f"/api/inspections/campaigns/{cid}/signoff", headers=huimin, json={"party_adcode": "150103"})
    assert theirs.status_code == 200 and theirs.json()["waiting_for"] == []
    assert record_store.get("inspection_campaigns", cid)["status"] == "signed_off"


# -- 2. QR keys and printing ----------------------------------------------------------------------

def test_rotating_keys_keeps_the_default_key_codes_when_listed():
    secret = "s" * 40
    old = PlateSigner.from_setting("", fallback_secret=secret)
    code = old.code("XCV87EZX")
    rotated = PlateSigner.from_setting("B:a-new-secret-of-enough-length,A", fallback_secret=secret)
    assert rotated.verify(code) == "XCV87EZX"
    assert rotated.code("XCV87EZX")[8] == "B"
    from geo.errors import DomainError

    retired = PlateSigner.from_setting("B:a-new-secret-of-enough-length", fallback_secret=secret)
    with pytest.raises(DomainError):
        retired.verify(code)


def test_production_printing_refuses_a_loopback_base_url_and_unsignable_uids(record_store, tmp_path):
    for base in (None, "http://127.0.0.1:8000", "http://localhost"):
        env = {"XINCHENG_SECRET_KEY": "k" * 40, **({"XINCHENG_PUBLIC_BASE_URL": base} if base else {})}
        out = _cli(record_store, "plates", "qr", str(tmp_path / "qr"), "--street", "新华大街", env=env)
        assert out.returncode == 2 and "XINCHENG_PUBLIC_BASE_URL" in out.stderr, out.stderr
        assert not (tmp_path / "qr").exists()
    ok = _cli(record_store, "plates", "qr", str(tmp_path / "qr"), "--street", "新华大街",
              env={"XINCHENG_SECRET_KEY": "k" * 40, "XINCHENG_PUBLIC_BASE_URL": "https://mp.xincheng.example"})
    assert ok.returncode == 0 and list((tmp_path / "qr").glob("*.svg")), ok.stderr
    from api.plate_texts import plate_texts
    from geo.errors import InputError

    signer = PlateSigner.from_setting("", fallback_secret="k" * 40)
    legacy = {**_first(record_store, "door_plates", street_name="新华大街"), "plate_uid": "P1"}
    with pytest.raises(InputError) as err:
        plate_texts(record_store, [legacy], signer=signer, base_url="https://mp.xincheng.example")
    assert err.value.field == "plate_uid"


# -- review findings ------------------------------------------------------------------------------

def test_look_alike_sub_numbers_do_not_get_round_dp04(api, record_store):
    """Review finding: " ", "A"/"a" and 附1/附１ were stored as different sub-numbers of one address."""
    officer = _token(api, "placename_officer")
    plate = _first(record_store, "door_plates", street_name="新华大街", number=5)
    here = {"type": "Point", "coordinates": list(plate["geometry"].coords[0])}
    before = _count(record_store, "door_plates")
    _refused(_plate_post(api, officer, street_name="新华大街", number=5, suffix=" ", geometry=here), "number",
             status=(409,))
    assert _plate_post(api, officer, street_name="新华大街", number=5, suffix="附1", geometry=here).status_code == 201
    for twin in ("附１", " 附1 "):
        _refused(_plate_post(api, officer, street_name="新华大街", number=5, suffix=twin, geometry=here), "number",
                 status=(409,))
    assert _plate_post(api, officer, street_name="新华大街", number=5, suffix="A", geometry=here).status_code == 201
    _refused(_plate_post(api, officer, street_name="新华大街", number=5, suffix="a", geometry=here), "number",
             status=(409,))
    assert _count(record_store, "door_plates") == before + 2


def test_a_non_finite_number_is_refused_and_stores_nothing(api, record_store):
    """Review finding: floor_area_m2 = 1e999 was a 500 after the row was committed, then broke the layer."""
    planner = _token(api, "planner")
    before = _count(record_store, "facilities")
    body = ('{"properties": {"kind": "elder_care_station", "name": "无穷站", "floor_area_m2": 1e999},'
            ' "geometry": {"type": "Point", "coordinates": [111.70, 40.85]}}')
    r = api.post("/api/layers/facilities/features", headers={**planner, "Content-Type": "application/json"},
                 content=body)
    assert r.status_code in (400, 422), r.text
    r = api.post("/api/layers/facilities/features", headers=planner, json={
        "properties": {"kind": "elder_care_station", "name": "非数站", "floor_area_m2": "NaN"},
        "geometry": {"type": "Point", "coordinates": [111.70, 40.85]}})
    _refused(r, "floor_area_m2")
    assert _count(record_store, "facilities") == before
    assert api.get("/api/layers/facilities/features", params={"limit": 500}).status_code == 200
