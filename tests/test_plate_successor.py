"""A replaced plate links to its successor: one decision revokes the old plate and creates the new one,
and the old plate's QR page says so and links to the new plate's page."""

from __future__ import annotations

import re

import httpx
import pytest
import shapely

from geo.errors import Conflict, InputError, StaleVersion
from geo.plates.codes import PlateSigner
from geo.plates.decisions import decide_plate_status, replace_plate, successor_of
from geo.plates.rules import PLATE_UID_PATTERN
from geo.store import Store
from geo.write_rules import RuleFieldRefused, check_generic_change, check_generic_create
from tests.conftest import USERS
from tests.test_front_door import _as

DECISION = {"decision_body": "新城区民政局", "decision_doc_no": "新民发〔2026〕5号", "decision_date": "2026-11-20"}


def _street_with_plate(store: Store) -> dict:
    store.insert("admin_units", [{"code": "150102000000", "name": "新城区", "level": "district",
                                  "geometry": shapely.box(111.60, 40.80, 111.80, 40.95)}], actor="setup")
    store.insert("place_names", [{"standard_name": "春晖路", "feature_class": "street", "status": "in_force"}],
                 actor="setup")
    store.insert("streets", [{"name": "春晖路", "geometry": shapely.LineString([(111.70, 40.85), (111.71, 40.85)])}],
                 actor="setup")
    (pid,) = store.insert("door_plates", [{"plate_uid": "AB23CD45", "street_name": "春晖路", "number": 7,
                                           "side": "left", "geometry": shapely.Point(111.702, 40.8502)}],
                          actor="setup")
    return store.get("door_plates", pid)


def test_replacing_a_plate_creates_its_successor_and_links_them(store: Store):
    old = _street_with_plate(store)
    with pytest.raises(StaleVersion):
        replace_plate(store, "AB23CD45", DECISION, expected_version=old["version"] + 1, actor="o")
    with pytest.raises(InputError) as err:  # the decision is required
        replace_plate(store, "AB23CD45", {**DECISION, "decision_doc_no": " "}, expected_version=1, actor="o")
    assert err.value.field == "decision_doc_no"
    with pytest.raises(InputError) as err:  # the new plate may not choose its own uid or status
        replace_plate(store, "AB23CD45", DECISION, expected_version=1, actor="o", new_plate={"plate_uid": "ZZZZZZZZ"})
    assert err.value.field == "plate_uid"
    assert len(store.select("door_plates")) == 1  # nothing written by the refusals
    out = replace_plate(store, "AB23CD45", DECISION, expected_version=old["version"], actor="officer-li")
    replaced, new = out["replaced"], out["successor"]
    assert PLATE_UID_PATTERN.match(new["plate_uid"]) and new["plate_uid"] != "AB23CD45"
    assert (replaced["status"], replaced["successor_plate_uid"], replaced["decision_doc_no"]) == (
        "replaced", new["plate_uid"], "新民发〔2026〕5号")
    assert (new["status"], new["street_name"], new["number"], new["side"]) == ("active", "春晖路", 7, "left")
    assert new["geometry"].equals(old["geometry"])  # same address and place unless the decision says otherwise
    assert successor_of(store, "AB23CD45") == new["plate_uid"] and successor_of(store, new["plate_uid"]) is None
    with pytest.raises(Conflict) as conflict:  # a replaced plate is history
        replace_plate(store, "AB23CD45", DECISION, expected_version=replaced["version"], actor="o")
    assert conflict.value.field == "status"
    # The successor may take another number; DP-04 still holds against the plates in use.
    moved = replace_plate(store, new["plate_uid"], DECISION, expected_version=new["version"], actor="o",
                          new_plate={"number": 9})
    assert moved["successor"]["number"] == 9


def test_generic_paths_cannot_set_a_successor():
    with pytest.raises(RuleFieldRefused) as err:
        check_generic_change("door_plates", {"status": "active", "successor_plate_uid": None},
                             {"successor_plate_uid": "ZZZZZZZZ"})
    assert err.value.field == "successor_plate_uid" and "/replace" in err.value.message
    with pytest.raises(RuleFieldRefused):
        check_generic_create("door_plates", {"street_name": "春晖路", "number": 1, "successor_plate_uid": "ZZZZZZZZ"})


def test_old_plates_page_links_to_its_successor(writable_server, writable_sample_store):
    base, store = writable_server, writable_sample_store
    name, password = USERS["placename_officer"]
    token = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password}).json()["access_token"]
    officer = {"Authorization": f"Bearer {token}"}
    plate = store.select("door_plates", where={"status": "active"}, limit=1)[0]
    r = httpx.post(f"{base}/api/plates/{plate['plate_uid']}/replace", headers=officer,
                   json={"version": plate["version"], **DECISION}, timeout=60)
    assert r.status_code == 200, r.text
    new_uid = r.json()["successor"]["properties"]["plate_uid"]
    signer = PlateSigner.from_setting("", fallback_secret="x" * 40)  # the test server's secret (server_settings)
    page = httpx.get(f"{base}/p/{signer.code(plate['plate_uid'])}").text
    assert "此门牌已被新门牌替换" in page
    links = re.findall(r"href='/p/([^']+)'>查看替换后的新门牌", page)
    assert links == [signer.code(new_uid)]
    assert "查看替换后的新门牌" not in httpx.get(f"{base}/p/{links[0]}").text
    # An app reading the JSON learns the same: the old plate names its successor, the successor none (review).
    old = httpx.get(f"{base}/api/plates/lookup/{signer.code(plate['plate_uid'])}").json()
    assert (old["status"], old["successor_code"]) == ("replaced", signer.code(new_uid))
    new = httpx.get(f"{base}/api/plates/lookup/{links[0]}").json()
    assert (new["status"], new["successor_code"]) == ("active", None)


def test_a_plate_no_longer_in_use_names_no_services_on_its_page(writable_server, writable_sample_store):
    """A revoked or replaced plate's page says it is no longer in use and shows no nearby services (they were the
    old address's; a replaced plate's successor has its own page), and its JSON says ``in_use: false`` with no
    services; a plate in use shows them (review)."""
    base, store = writable_server, writable_sample_store
    signer = PlateSigner.from_setting("", fallback_secret="x" * 40)  # the test server's secret (server_settings)
    revoked, replaced, kept = store.select("door_plates", where={"status": "active"}, limit=3)
    decide_plate_status(store, revoked["plate_uid"], "revoked", DECISION, expected_version=revoked["version"],
                        actor="officer")
    out = replace_plate(store, replaced["plate_uid"], DECISION, expected_version=replaced["version"], actor="officer")
    new_uid = out["successor"]["plate_uid"]
    pages = {uid: httpx.get(f"{base}/p/{signer.code(uid)}").text
             for uid in (revoked["plate_uid"], replaced["plate_uid"], kept["plate_uid"], new_uid)}
    for uid in (revoked["plate_uid"], replaced["plate_uid"]):
        assert "最近的养老服务站" not in pages[uid] and "社区综合服务中心" not in pages[uid]
        assert "此门牌已不再使用，不显示附近服务" in pages[uid]
    assert "此门牌已撤销" in pages[revoked["plate_uid"]]
    assert "请查看新门牌" in pages[replaced["plate_uid"]] and "请查看新门牌" not in pages[revoked["plate_uid"]]
    for uid in (kept["plate_uid"], new_uid):
        assert "最近的养老服务站" in pages[uid] and "社区综合服务中心" in pages[uid]
        assert "不再使用" not in pages[uid]
    # The JSON for apps says the same (review: it carried the old address's services with ``status: revoked``).
    answers = {uid: httpx.get(f"{base}/api/plates/lookup/{signer.code(uid)}").json()
               for uid in (revoked["plate_uid"], replaced["plate_uid"], kept["plate_uid"], new_uid)}
    for uid in (revoked["plate_uid"], replaced["plate_uid"]):
        one = answers[uid]
        assert (one["in_use"], one["nearest_elder_care"], one["nearest_service_centre"]) == (False, None, None), one
        assert one["services_stale"] is False, one  # nothing is being brought up to date for it (review)
    for uid in (kept["plate_uid"], new_uid):
        assert (answers[uid]["in_use"], answers[uid]["status"]) == (True, "active"), answers[uid]
    kept_answer = answers[kept["plate_uid"]]
    assert kept_answer["nearest_elder_care"]["name"] and kept_answer["nearest_service_centre"]["name"], kept_answer
    # A plate no longer in use is not printed for production (its QR says so when scanned); a proof may be seen.
    name, password = USERS["placename_officer"]
    token = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password}).json()["access_token"]
    officer = {"Authorization": f"Bearer {token}"}
    for uid, status_zh in ((revoked["plate_uid"], "已撤销"), (replaced["plate_uid"], "已替换")):
        production = httpx.get(f"{base}/api/plates/{uid}/plate.svg", headers=officer)
        assert production.status_code == 409 and production.json()["field"] == "status", production.text
        message = production.json()["message"]
        assert message.startswith(f"门牌 「{uid}」 的状态为 {status_zh}"), production.text
        # a replaced plate's refusal names the plate to print instead; a revoked one has none (second review)
        assert (f"替换它的新门牌是 「{new_uid}」" in message) == (uid == replaced["plate_uid"]), message
        proof = httpx.get(f"{base}/api/plates/{uid}/plate.svg", params={"proof": "true"}, headers=officer)
        assert proof.status_code == 200 and proof.headers["content-type"].startswith("image/svg+xml"), proof.text
    # A successor replaced in turn: the refusal names the plate at the end of the chain, the one to print (review)
    (successor,) = store.select("door_plates", where={"plate_uid": new_uid})
    newest = replace_plate(store, new_uid, DECISION, expected_version=successor["version"],
                           actor="officer")["successor"]["plate_uid"]
    chained = httpx.get(f"{base}/api/plates/{replaced['plate_uid']}/plate.svg", headers=officer).json()["message"]
    assert f"替换它的新门牌是 「{newest}」" in chained and new_uid not in chained, chained
    # Its officer page shows the plate as a proof (watermarked), even where its street has the Mongolian name a
    # production plate needs; a plate in use there shows the plate itself (second review).
    for street in {revoked["street_name"], kept["street_name"]}:
        (name,) = store.select("place_names", where={"standard_name": street, "feature_class": "street"})
        store.update("place_names", name["id"], {"name_mong": "ᠬᠣᠲᠠ"}, expected_version=name["version"], actor="t")
    with _as(base, "placename_officer") as browser:
        faces = {uid: browser.get(f"/officer/plates/{uid}").text for uid in (revoked["plate_uid"], kept["plate_uid"])}
    assert "校样 PROOF 不得生产" in faces[revoked["plate_uid"]]
    assert "校样 PROOF 不得生产" not in faces[kept["plate_uid"]] and "<svg" in faces[kept["plate_uid"]]
