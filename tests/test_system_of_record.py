"""A system of record: no write skips its rule, through the HTTP API and the CLI, on both backends.

Each test starts from the exact bypass an outside probe found (the issue's list) and checks that it
is refused with a 4xx naming the field and rule, and that nothing was stored.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa

from geo.plates.codes import PlateSigner
from geo.store import Store, schema
from geo.types import beijing_today
from tests.conftest import USERS, running_server, server_settings

COMPLETE = {"admin_code": "150102000000", "meaning": "寓意美好 auspicious", "name_mong_pending": True}


@pytest.fixture
def record_store(writable_sample_store) -> Store:
    """This test's own copy of the sample district, with the test users and an inspector of the neighbour."""
    from geo.users import create_user

    s = writable_sample_store
    create_user(s, "huimin-inspector", "huimin-password-123", "boundary_inspector", actor="test",
                adcodes=["150103"])
    return s


@pytest.fixture
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
    from geo.placenames.romanize import romanize

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
    with record_store.writing() as conn:  # proposed two months ago, so a 30-day-old approval is possible
        conn.execute(sa.update(schema.place_names).where(schema.place_names.c.id == pid)
                     .values(created_at=datetime.now(UTC) - timedelta(days=60)))

    def step(to: str, **data):
        version = record_store.get("place_names", pid)["version"]
        return api.post(f"/api/placenames/{pid}/transition", headers=officer,
                        json={"to": to, "version": version, "data": data})

    for to in ("consultation", "expert_review", "assessment"):
        assert step(to).status_code == 200
    approval = {"approval_authority": "呼和浩特市人民政府", "approval_doc_no": "呼政发〔2026〕9号",
                "approval_date": (beijing_today() - timedelta(days=30)).isoformat()}
    blocked = step("approved", **approval)
    assert blocked.status_code == 409 and "RM-13" in blocked.json()["message"]
    version = record_store.get("place_names", pid)["version"]
    ok = api.post(f"/api/placenames/{pid}/romanization/confirm", headers=officer,
                  json={"version": version, "basis": "内蒙古地名录 p.12"})
    assert ok.status_code == 200, ok.text
    assert step("approved", **approval).status_code == 200
    early = step("filed", filed_date=(beijing_today() - timedelta(days=40)).isoformat())
    _refused(early, "filed_date")
    overdue = {n["id"]: n for n in api.get("/api/gazetteer/overdue", headers=officer).json()}
    assert overdue[pid]["missing"] == ["filed_date", "announce_date"]
    out = _cli(record_store, "gazetteer", "overdue")
    assert out.returncode == 0 and "乌兰巴特尔路" in out.stdout and "未备案" in out.stdout, out.stderr
    from tests.test_officer_pages import _client

    with _client(str(api.base_url)) as officer_page:
        listing = officer_page.get("/officer/placenames").text
    section = listing.split("逾期未备案或公告", 1)[1].split("</section>", 1)[0]
    assert "乌兰巴特尔路" in section and "备案 filing" in section


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
    assert rename.status_code == 409 and rename.json()["field"] == "protected" and "PN-09" in rename.json()["message"]
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
    early = api.post(f"/api/inspections/campaigns/{cid}/signoff", headers=inspector, json={"party_adcode": "150102"})
    _refused(early, "campaign_id", status=(409,))  # nothing inspected yet
    from geo.boundaries.inspections import submit

    for m in record_store.select("boundary_markers", where={"line_code": line["line_code"]}):
        submit(record_store, {"client_id": f"sor-{m['marker_no']}", "campaign_id": cid, "marker_no": m["marker_no"],
                              "condition": "missing", "gnss_accuracy_m": 3.0}, actor="t-boundary_inspector")
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
    from geo.errors import InputError
    from geo.plates.printed import plate_texts

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


def test_review_every_location_unit_and_number_rule_holds(api, record_store):
    """Review findings: streets without a name in force, names, facilities and markers moved out of the
    district, negative counts, plate number 0, unknown community codes."""
    officer, planner, admin = (_token(api, r) for r in ("placename_officer", "planner", "admin"))
    beijing = {"type": "Point", "coordinates": [116.4, 39.9]}
    line_bj = {"type": "LineString", "coordinates": [[116.4, 39.9], [116.41, 39.9]]}
    line_here = {"type": "LineString", "coordinates": [[111.70, 40.86], [111.705, 40.86]]}
    streets = _count(record_store, "streets")
    _refused(api.post("/api/layers/streets/features", headers=officer,
                      json={"properties": {"name": "幽灵路"}, "geometry": line_here}), "name")
    _refused(api.post("/api/layers/streets/features", headers=officer,
                      json={"properties": {"name": "和和路"}, "geometry": line_bj}), "geometry")
    assert _count(record_store, "streets") == streets
    fac = _first(record_store, "facilities", kind="elder_care_station")
    _refused(api.patch(f"/api/layers/facilities/features/{fac['id']}", headers=planner,
                       json={"version": fac["version"], "geometry": beijing}), "geometry")
    for props in ({"floor_area_m2": -50}, {"beds": -3}, {"community_code": "999"}):
        _refused(api.patch(f"/api/layers/facilities/features/{fac['id']}", headers=planner,
                           json={"version": fac["version"], "properties": props}), next(iter(props)))
    assert record_store.get("facilities", fac["id"])["version"] == fac["version"]
    plate = _first(record_store, "door_plates", street_name="新华大街", number=7)
    here = {"type": "Point", "coordinates": list(plate["geometry"].coords[0])}
    _refused(_plate_post(api, officer, street_name="新华大街", number=0, geometry=here), "number")
    _refused(_plate_post(api, officer, street_name="新华大街", number=991, households=-5, geometry=here),
             "households")
    propose_far = api.post("/api/placenames", headers=officer, json={
        "properties": {"standard_name": "远方路", "feature_class": "street", **COMPLETE}, "geometry": line_bj,
        "justification": "测试 test"})
    _refused(propose_far, "geometry")
    marker = _first(record_store, "boundary_markers", status="active")
    moved = api.post(f"/api/markers/{marker['id']}/move", headers=admin, json={
        "version": marker["version"], "position": [116.4, 39.9], "reason": "r", "agreement_doc": "a",
        "survey_ref": "s", "filed_with": "f"})
    _refused(moved, "position")
    assert record_store.get("boundary_markers", marker["id"])["version"] == marker["version"]


def test_review_gazetteer_rules_hold_on_generic_writes_and_steps(api, record_store):
    """Review findings: PN-10/PN-00 broken through generic PATCH, RM-13 skipped by changing the language,
    approval fields recorded at the wrong step, a street name retired under its plates."""
    officer = _token(api, "placename_officer")
    name = _first(record_store, "place_names", standard_name="柳康街")
    for props, field in (({"name_mong": "x"}, "name_mong"), ({"meaning": ""}, "meaning"),
                         ({"name_mong": None, "name_mong_pending": False}, "name_mong")):
        r = api.patch(f"/api/layers/place_names/features/{name['id']}", headers=officer,
                      json={"version": name["version"], "properties": props})
        assert r.status_code == 400 and r.json()["field"] == field, r.text
    assert record_store.get("place_names", name["id"])["version"] == name["version"]
    retire = api.post(f"/api/placenames/{name['id']}/transition", headers=officer,
                      json={"to": "retired", "version": name["version"], "document_ref": "新民发〔2026〕7号"})
    assert retire.status_code == 409 and "柳康街" in retire.json()["message"], retire.text
    r = api.post("/api/placenames", headers=officer, json={
        "properties": {"standard_name": "巴彦路", "feature_class": "street", **COMPLETE, "language_of_origin": "mn"},
        "justification": "测试 test"})
    pid, version = r.json()["id"], r.json()["properties"]["version"]
    skip = api.patch(f"/api/placenames/{pid}", headers=officer,
                     json={"version": version, "properties": {"language_of_origin": "zh"}})
    _refused(skip, "justification")
    early = api.post(f"/api/placenames/{pid}/transition", headers=officer, json={
        "to": "consultation", "version": version, "data": {"approval_date": "2026-11-30"}})
    _refused(early, "approval_date")
    created = api.post("/api/layers/place_names/features", headers=officer, json={
        "properties": {"standard_name": "晨曦路", "feature_class": "street", "admin_code": "150102000000",
                       "meaning": "晨曦 dawn", "name_mong": "ᠴᠢᠨ ᠵᠠᠮ", "romanization": "Anything",
                       "pinyin_toned": "X"},
        "geometry": {"type": "Point", "coordinates": [111.70, 40.85]}})
    assert created.status_code == 201 and created.json()["properties"]["romanization"] == "Chenxi Lu"


def test_review_plate_decisions_are_final_and_addresses_are_not_patched(api, record_store):
    officer = _token(api, "placename_officer")
    plate = _first(record_store, "door_plates", street_name="新华大街", number=9)
    renumber = api.patch(f"/api/layers/door_plates/features/{plate['id']}", headers=officer,
                         json={"version": plate["version"], "properties": {"number": 907}})
    assert renumber.status_code == 422 and "/status" in renumber.json()["message"]
    decision = {"decision_body": "新城区民政局", "decision_doc_no": "新民发〔2026〕20号", "decision_date": "2026-11-20"}
    path = f"/api/plates/{plate['plate_uid']}/status"
    assert api.post(path, headers=officer, json={"version": plate["version"], "status": "revoked",
                                                 **decision}).status_code == 200
    back = api.post(path, headers=officer, json={"version": plate["version"] + 1, "status": "active", **decision})
    _refused(back, "status", status=(409,))
    assert record_store.get("door_plates", plate["id"])["status"] == "revoked"


def test_review_users_carry_districts_over_http_and_loopback_in_any_spelling_is_refused(api, record_store):
    from geo.errors import InputError
    from geo.plates.codes import check_public_base_url

    r = api.post("/api/users", headers=_token(api, "admin"), json={
        "username": "Xincheng-Inspector", "password": "xc-inspector-password-1", "role": "boundary_inspector",
        "adcodes": ["１５０１０２"]})
    assert r.status_code == 201 and r.json()["adcodes"] == "150102", r.text
    assert r.json()["username"] == "xincheng-inspector"  # one spelling per person
    assert api.post("/api/auth/login", json={"username": "XINCHENG-INSPECTOR",
                                             "password": "xc-inspector-password-1"}).status_code == 200
    bad = api.post("/api/users", headers=_token(api, "admin"), json={
        "username": "<script>", "password": "script-password-123", "role": "planner"})
    _refused(bad, "username")
    for url in ("http://2130706433/", "http://127.1", "http://0x7f.1", "https://10.1.2.3", "http://localhost."):
        with pytest.raises(InputError):
            check_public_base_url(url)
    assert check_public_base_url("https://mp.xincheng.gov.cn") == "https://mp.xincheng.gov.cn"


# -- second review: invisible, look-alike and out-of-range input -----------------------------------

def test_second_review_invisible_and_equivalent_text_is_one_value(api, record_store):
    officer = _token(api, "placename_officer")
    plate = _first(record_store, "door_plates", street_name="新华大街", number=11)
    here = {"type": "Point", "coordinates": list(plate["geometry"].coords[0])}
    before = _count(record_store, "door_plates")
    for suffix in ("\u200b", "\ufeff", "\u3164"):
        _refused(_plate_post(api, officer, street_name="新华大街", number=11, suffix=suffix, geometry=here),
                 "number", status=(409,))
    for suffix in ("附", "-", "А", "<img src=x onerror=alert(1)>", "x" * 500):
        _refused(_plate_post(api, officer, street_name="新华大街", number=11, suffix=suffix, geometry=here), "suffix")
    assert _plate_post(api, officer, street_name="新华大街", number=11, suffix="之一", geometry=here).status_code == 201
    for twin in ("之1", "之１", "之一\u200b"):
        _refused(_plate_post(api, officer, street_name="新华大街", number=11, suffix=twin, geometry=here), "number",
                 status=(409,))
    assert _count(record_store, "door_plates") == before + 1
    name = _first(record_store, "place_names", standard_name="杏福路")
    for props, field in (({"meaning": "\u200b"}, "meaning"), ({"name_mong": "\u180b"}, "name_mong"),
                         ({"name_mong": "ᠰᠢᠨ abc <script>"}, "name_mong")):
        r = api.patch(f"/api/layers/place_names/features/{name['id']}", headers=officer,
                      json={"version": name["version"], "properties": props})
        assert r.status_code == 400 and r.json()["field"] == field, r.text
    for bad, rule in (("新华⼤街", "PN-07"), ("ABC路", "PN-03")):  # a Kangxi radical; letters
        r = api.post("/api/placenames", headers=officer, json={
            "properties": {"standard_name": bad, "feature_class": "street", **COMPLETE}, "justification": "t"})
        assert r.status_code == 400 and rule in r.json()["message"], r.text
    decision = {"decision_body": "新城区民政局", "decision_doc_no": "\u200b", "decision_date": "2026-11-20"}
    r = api.post(f"/api/plates/{plate['plate_uid']}/status", headers=officer,
                 json={"version": plate["version"], "status": "revoked", **decision})
    _refused(r, "decision_doc_no")
    protect = _first(record_store, "place_names", standard_name="月和街")
    r = api.post(f"/api/placenames/{protect['id']}/protection", headers=officer, json={
        "version": protect["version"], "protected": True, "document_ref": "\u2060", "reason": "\u180e"})
    assert r.status_code == 400 and r.json()["field"] == "document_ref", r.text
    streets = api.post("/api/layers/streets/features", headers=officer, json={
        "properties": {"name": "杏福路 \u200b"}, "geometry": {"type": "LineString",
                                                             "coordinates": [[111.70, 40.86], [111.705, 40.86]]}})
    assert streets.status_code == 201 and streets.json()["properties"]["name"] == "杏福路", streets.text


def _futai_renamed_and_filed(api, record_store, officer) -> dict:
    """Rename 福泰路 to 福泰北路 (approved 2026-11-01, filed and announced) as the rename test above does."""
    name = _first(record_store, "place_names", standard_name="福泰路")
    approval = {"approval_authority": "呼和浩特市人民政府", "approval_doc_no": "呼政发〔2026〕3号",
                "approval_date": "2026-11-01"}
    r = api.post(f"/api/placenames/{name['id']}/rename", headers=officer,
                 json={"new_name": "福泰北路", "version": name["version"], "approval": approval,
                       "justification": "测试 test"})
    assert r.status_code == 200, r.text
    version = record_store.get("place_names", name["id"])["version"]
    filed = api.post(f"/api/placenames/{name['id']}/filing", headers=officer,
                     json={"version": version, "filed_date": "2026-11-10", "announce_date": "2026-11-12"})
    assert filed.status_code == 200, filed.text
    return record_store.get("place_names", name["id"])


def test_second_review_numbers_dates_and_origins(api, record_store):
    planner, officer, admin = (_token(api, r) for r in ("planner", "placename_officer", "admin"))
    before = _count(record_store, "facilities")
    for body in ('{"properties": {"kind": "elder_care_station", "name": "z站"}, "geometry": '
                 '{"type": "Point", "coordinates": [111.656, 40.8266, 1e999]}}',
                 '{"properties": {"kind": "elder_care_station", "name": "n站", "floor_area_m2": NaN}, "geometry": '
                 '{"type": "Point", "coordinates": [111.70, 40.85]}}'):
        r = api.post("/api/layers/facilities/features", headers={**planner, "Content-Type": "application/json"},
                     content=body)
        assert r.status_code in (400, 422), r.text
    for props in ({"floor_area_m2": 1e308}, {"floor_area_m2": True}, {"beds": 10**9}):
        r = api.post("/api/layers/facilities/features", headers=planner, json={
            "properties": {"kind": "elder_care_station", "name": "大站", **props},
            "geometry": {"type": "Point", "coordinates": [111.70, 40.85]}})
        _refused(r, next(iter(props)))
    assert _count(record_store, "facilities") == before
    assert api.get("/api/layers/facilities/features", params={"limit": 500}).status_code == 200
    r = api.post("/api/placenames", headers=officer, json={
        "properties": {"standard_name": "巴彦淖尔东路", "feature_class": "street", **COMPLETE,
                       "language_of_origin": "蒙古语"}, "justification": "测试 test"})
    assert r.status_code == 201
    assert api.get("/api/placenames/romanize", params={"name": "巴彦路", "language_of_origin": "ｍｎ"}
                   ).json()["needs_confirmation"] is True
    pid = r.json()["id"]
    with record_store.writing() as conn:
        conn.execute(sa.update(schema.place_names).where(schema.place_names.c.id == pid)
                     .values(created_at=datetime.now(UTC) - timedelta(days=60)))
    for to in ("consultation", "expert_review", "assessment"):
        v = record_store.get("place_names", pid)["version"]
        assert api.post(f"/api/placenames/{pid}/transition", headers=officer,
                        json={"to": to, "version": v}).status_code == 200
    v = record_store.get("place_names", pid)["version"]
    blocked = api.post(f"/api/placenames/{pid}/transition", headers=officer, json={
        "to": "approved", "version": v, "data": {"approval_authority": "市政府", "approval_doc_no": "x9",
                                                 "approval_date": beijing_today().isoformat()}})
    assert blocked.status_code == 409 and "RM-13" in blocked.json()["message"]
    renamed = _futai_renamed_and_filed(api, record_store, officer)
    r = api.post(f"/api/placenames/{renamed['id']}/rename", headers=officer, json={
        "new_name": "福泰南路", "version": renamed["version"], "justification": "t",
        "approval": {"approval_authority": "市政府", "approval_doc_no": "x2", "approval_date": "2026-10-01"}})
    _refused(r, "approval_date")
    r = api.post(f"/api/placenames/{renamed['id']}/rename", headers=officer, json={
        "new_name": "福泰北路", "version": renamed["version"], "justification": "t",
        "approval": {"approval_authority": "市政府", "approval_doc_no": "x2", "approval_date": "2026-11-20"}})
    _refused(r, "new_name")
    r = api.post("/api/users", headers=admin, json={"username": "fake-huimin", "password": "fake-huimin-pass-1",
                                                    "role": "boundary_inspector", "adcodes": ["150103"]})
    _refused(r, "adcodes", status=(403,))


def test_second_review_history_stays_put(api, record_store, tmp_path):
    officer = _token(api, "placename_officer")
    plate = _first(record_store, "door_plates", street_name="新华大街", number=13)
    decision = {"decision_body": "新城区民政局", "decision_doc_no": "新民发〔2026〕30号", "decision_date": "2026-11-20"}
    assert api.post(f"/api/plates/{plate['plate_uid']}/status", headers=officer,
                    json={"version": plate["version"], "status": "revoked", **decision}).status_code == 200
    after = record_store.get("door_plates", plate["id"])
    r = api.patch(f"/api/layers/door_plates/features/{plate['id']}", headers=officer,
                  json={"version": after["version"], "properties": {"households": 50}})
    _refused(r, "status", status=(422,))
    from geo.errors import InputError
    from geo.plates.codes import check_public_base_url

    for url in ("http://127。0。0。1", "http://１２７.0.0.1", "http://%31%32%37.0.0.1", "http://ip6-localhost",
                "http://x.gov.cn:99999", "https://mp.xincheng.gov.cn/?next=x"):
        with pytest.raises(InputError):
            check_public_base_url(url)


def test_a_link_cannot_set_what_an_officer_page_message_box_says(api):
    """Third review: ?error=… from any link was shown in the officer pages' message box (phishing)."""
    from tests.test_officer_pages import login

    with httpx.Client(base_url=str(api.base_url), follow_redirects=True) as browser:
        forged = browser.get("/officer/login", params={"error": "会话已过期：请到 http://evil.example 登录"}).text
        assert "evil.example" not in forged
        wrong = login(browser, {"username": "t-admin", "password": "not-the-password", "next": "/officer/placenames"})
        assert "sig=" in str(wrong.url) and "用户名或密码错误" in wrong.text  # the service's own message shows


def test_third_review_control_characters_ranges_and_no_op_updates(api, record_store, tmp_path):
    """Third review: a NUL through typed bodies broke every XLSX export; marker seq −1; campaigns ending
    before they start; an unchanged PATCH bumped the version; an .xlsx zip bomb was inflated."""
    admin, officer, planner = (_token(api, r) for r in ("admin", "placename_officer", "planner"))
    line = _first(record_store, "boundary_lines", right_adcode="150103")
    r = api.post("/api/inspections/campaigns", headers=admin, json={
        "name": "坏\u0000名", "line_codes": [line["line_code"]], "required_accuracy_m": 5.0})
    assert r.status_code == 400 and r.json()["field"] == "name", r.text
    r = api.post("/api/users", headers=admin, json={"username": "nul-user", "password": "nul-user-password-1",
                                                    "role": "planner", "display_name": "a\u0000b"})
    assert r.status_code == 400 and r.json()["field"] == "display_name", r.text
    assert api.get("/api/layers/place_names/export", headers=officer, params={"format": "xlsx"}).status_code == 200
    r = api.post("/api/inspections/campaigns", headers=admin, json={
        "name": "倒序", "line_codes": [line["line_code"]], "required_accuracy_m": 5.0,
        "start_date": "2027-01-01", "end_date": "2026-01-01"})
    _refused(r, "end_date")
    marker = _first(record_store, "boundary_markers", line_code=line["line_code"])
    r = api.post("/api/markers", headers=admin, json={
        "line_code": line["line_code"], "seq": -1, "position": list(marker["geometry"].coords[0]), "reason": "r",
        "agreement_doc": "a", "survey_ref": "s", "filed_with": "f"})
    assert r.status_code == 422, r.text
    fac = _first(record_store, "facilities", kind="volunteer_station")
    same = api.patch(f"/api/layers/facilities/features/{fac['id']}", headers=planner,
                     json={"version": fac["version"], "properties": {"name": fac["name"]}})
    assert same.status_code == 200 and record_store.get("facilities", fac["id"])["version"] == fac["version"]
    import zipfile

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"<row>" + b"0" * 50_000_000 + b"</row>")
    before = _count(record_store, "facilities")
    r = api.post("/api/layers/facilities/import", headers=planner, content=bomb.read_bytes(),
                 params={"crs": "EPSG:4490", "format": "xlsx", "x_col": "x", "y_col": "y"})
    assert r.status_code == 400 and r.json()["field"] == "file" and "压缩" in r.json()["message"], r.text
    assert _count(record_store, "facilities") == before
