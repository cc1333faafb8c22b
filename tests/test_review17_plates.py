"""Review of #17, door plates: a replacement takes its buildings, units and rooms along (F11) and stands
where it belongs (F31); ``replaced`` only with a successor (F14); a revocation takes its addresses
with it (F22); the officer page of a plate says all this (F15, F22).

Store tests run on SQLite and PostGIS (tests/conftest.py); the races with :func:`tests.concurrently.at_once`.
"""

from __future__ import annotations

import itertools
import re
import threading
from typing import Any

import httpx
import pytest
import shapely
import sqlalchemy as sa

from geo import crs as C
from geo.addresses import add_building, add_room, add_unit, plate_tree, public_view, retire_address
from geo.addresses.codes import address_code
from geo.containment import containing_part
from geo.errors import Conflict, InputError, StaleVersion
from geo.plates.address_match import load_address_matcher
from geo.plates.codes import PlateSigner
from geo.plates.decisions import decide_plate_status, replace_plate
from geo.store import Store, schema
from tests.concurrently import at_once
from tests.conftest import USERS
from tests.test_officer_pages import _client, form_token

DECISION = {"decision_body": "新城区民政局", "decision_doc_no": "新民发〔2026〕17号", "decision_date": "2026-11-20"}
HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def store_town(store: Store) -> tuple[Store, str]:
    """An empty store with a district, a community, a street in force and one plate on it (7号)."""
    store.insert("admin_units", [
        {"code": "150102000000", "name": "新城区", "level": "district",
         "geometry": shapely.box(111.60, 40.80, 111.80, 40.95)},
        {"code": "150102001000", "name": "海拉尔东路街道", "level": "subdistrict", "parent_code": "150102000000",
         "geometry": shapely.box(111.60, 40.80, 111.80, 40.95)},
        {"code": "150102001001", "name": "东风社区", "level": "community", "parent_code": "150102001000",
         "geometry": shapely.box(111.60, 40.80, 111.80, 40.95)}], actor="setup")
    store.insert("place_names", [{"standard_name": "春晖路", "feature_class": "street", "status": "in_force"}],
                 actor="setup")
    store.insert("streets", [{"name": "春晖路", "geometry": shapely.LineString([(111.70, 40.85), (111.71, 40.85)])}],
                 actor="setup")
    store.insert("door_plates", [{"plate_uid": "AB23CD45", "street_name": "春晖路", "number": 7, "side": "left",
                                  "community_code": "150102001001", "geometry": shapely.Point(111.702, 40.8502)}],
                 actor="setup")
    return store, "AB23CD45"


def _plates_with_addresses(store: Store) -> dict[str, int]:
    """Active plates of the sample with active addresses below them: uid → how many."""
    a, p = schema.addresses, schema.door_plates
    with store.reading() as conn:
        rows = conn.execute(sa.select(a.c.plate_uid, sa.func.count()).join(p, p.c.plate_uid == a.c.plate_uid)
                            .where(a.c.status == "active", p.c.status == "active")
                            .group_by(a.c.plate_uid).order_by(a.c.plate_uid)).all()
    return {uid: int(n) for uid, n in rows}


def _free_plates(store: Store, count: int) -> list[dict[str, Any]]:
    """Active plates with no address below them yet, on streets in force."""
    used = {a["plate_uid"] for a in store.select("addresses")}
    plates = [p for p in store.select("door_plates", where={"status": "active"}, limit=400)
              if p["plate_uid"] not in used and p.get("geometry") is not None]
    return plates[:count]


def _plate(store: Store, uid: str) -> dict[str, Any]:
    return store.select("door_plates", where={"plate_uid": uid})[0]


def _small_tree(store: Store, uid: str) -> dict[str, dict[str, Any]]:
    """A building with a unit and a room, and a retired building, below plate ``uid``."""
    b = add_building(store, uid, "1", actor="setup")
    u = add_unit(store, b["address_uid"], "1", actor="setup")
    r = add_room(store, u["address_uid"], "101", actor="setup")
    gone = add_building(store, uid, "9", actor="setup")
    (gone,) = retire_address(store, gone["address_uid"], reason="拆除", expected_version=gone["version"],
                             actor="setup")
    return {"building": b, "unit": u, "room": r, "retired": gone}


# -- F11: the successor takes the addresses along --------------------------------------------------------------

def test_a_replacement_moves_every_address_to_the_successor(writable_sample_store: Store):
    store = writable_sample_store
    estates = _plates_with_addresses(store)
    uid, count = max(estates.items(), key=lambda kv: kv[1])  # a sample estate: hundreds of rooms
    old = _plate(store, uid)
    before = {a["address_uid"]: a for a in store.select("addresses", where={"plate_uid": uid})}
    number = old["number"] + 1000  # a new number: every string must follow it
    out = replace_plate(store, uid, DECISION, expected_version=old["version"], actor="officer-li",
                        new_plate={"number": number})
    new_uid = out["successor"]["plate_uid"]
    assert out["moved_addresses"] == len(before)
    after = {a["address_uid"]: a for a in store.select("addresses", where={"plate_uid": new_uid})}
    assert set(after) == set(before) and not store.select("addresses", where={"plate_uid": uid})
    for key, moved in after.items():  # ids, QR tokens and the tree kept; strings name the successor's number
        was = before[key]
        assert (moved["qr_token"], moved["parent_uid"], moved["status"]) == (was["qr_token"], was["parent_uid"],
                                                                              was["status"])
        if moved["status"] == "active":
            assert f" {number}号 " in moved["standard_address"] and f" {old['number']}号 " not in \
                moved["standard_address"]
    tree_new, tree_old = plate_tree(store, new_uid), plate_tree(store, uid)
    assert sum(tree_new["counts"].values()) == count and sum(tree_old["counts"].values()) == 0
    some = next(a for a in after.values() if a["level"] == "room" and a["status"] == "active")
    audit = store.audit_rows("addresses", some["id"])[-1]
    assert audit["action"] == "move" and uid in (audit.get("note") or "") and audit["actor"] == "officer-li"
    # The QR of a room still opens a live address, on the successor's street and number.
    view = public_view(store, some["qr_token"])
    assert view is not None and view.status == "active" and f"{number}号" in view.parents[0]["zh"]
    # Address cleaning resolves the room again (it went through the replaced plate to nothing before).
    matched = load_address_matcher(store).match(some["standard_address"].split(" ", 1)[1])
    assert matched.plate is not None and matched.plate["plate_uid"] == new_uid, matched
    assert matched.address is not None and matched.address["address_uid"] == some["address_uid"], matched


def test_a_replacement_keeps_retired_addresses_as_they_were(store_town):
    store, uid = store_town
    tree = _small_tree(store, uid)
    plate = _plate(store, uid)
    out = replace_plate(store, uid, DECISION, expected_version=plate["version"], actor="o", new_plate={"number": 9})
    new_uid = out["successor"]["plate_uid"]
    retired = store.get("addresses", tree["retired"]["id"])
    assert retired["plate_uid"] == new_uid and retired["status"] == "retired"
    assert retired["standard_address"] == tree["retired"]["standard_address"]  # as it was when it was retired
    room = store.get("addresses", tree["room"]["id"])
    assert room["standard_address"].endswith("春晖路 9号 1号楼 1单元 101室")
    with pytest.raises(Conflict, match="AD-05"):  # nothing new below the replaced plate
        add_building(store, uid, "5", actor="o")
    assert add_building(store, new_uid, "5", actor="o")["plate_uid"] == new_uid


# -- F14: replaced only with a successor ------------------------------------------------------------------------

def test_the_status_path_cannot_replace_a_plate(store_town):
    store, uid = store_town
    plate = _plate(store, uid)
    with pytest.raises(InputError) as err:
        decide_plate_status(store, uid, "replaced", DECISION, expected_version=plate["version"], actor="o")
    assert err.value.field == "status" and err.value.message.startswith("门牌")
    assert "/replace" in err.value.message and " · " in err.value.message
    assert _plate(store, uid)["status"] == "active" and _plate(store, uid)["version"] == plate["version"]


# -- F22: a revocation takes its addresses with it ---------------------------------------------------------------

def test_revoking_a_plate_with_addresses_needs_them_retired_with_it(store_town):
    store, uid = store_town
    tree = _small_tree(store, uid)
    plate = _plate(store, uid)
    with pytest.raises(StaleVersion):
        decide_plate_status(store, uid, "revoked", DECISION, expected_version=plate["version"] + 1, actor="o",
                            with_addresses=True)
    with pytest.raises(Conflict) as err:
        decide_plate_status(store, uid, "revoked", DECISION, expected_version=plate["version"], actor="o")
    assert err.value.field == "with_addresses" and "3 个" in err.value.message and "AD-06" in err.value.message
    assert _plate(store, uid)["status"] == "active"
    assert store.get("addresses", tree["room"]["id"])["status"] == "active"  # nothing stored by the refusal
    revoked = decide_plate_status(store, uid, "revoked", DECISION, expected_version=plate["version"], actor="o",
                                  with_addresses=True)
    assert revoked["status"] == "revoked"
    for key in ("building", "unit", "room"):
        rec = store.get("addresses", tree[key]["id"])
        assert (rec["status"], str(rec["retired_on"])) == ("retired", DECISION["decision_date"])
        audit = store.audit_rows("addresses", rec["id"])[-1]
        assert audit["action"] == "retire" and uid in audit["note"]
    view = public_view(store, tree["unit"]["qr_token"])  # the 单元牌's page says it is retired
    assert view is not None and view.status == "retired"
    retired_before = store.get("addresses", tree["retired"]["id"])
    assert retired_before["version"] == tree["retired"]["version"]  # already retired: untouched


def test_a_plate_without_addresses_is_revoked_as_before(store_town):
    store, uid = store_town
    plate = _plate(store, uid)
    assert decide_plate_status(store, uid, "revoked", DECISION, expected_version=plate["version"],
                               actor="o")["status"] == "revoked"


# -- F31: the successor stands where it belongs -----------------------------------------------------------------

def _communities(store: Store) -> list[dict[str, Any]]:
    return [u for u in store.select("admin_units") if u.get("level") in ("community", "village")
            and (u.get("status") or "active") == "active" and u.get("geometry") is not None]


def _point_on_street_in_other_community(store: Store) -> tuple[dict[str, Any], shapely.Point, str] | None:
    """An active plate and a point on its own street that lies in another community than the plate's."""
    units = _communities(store)
    geoms = [u["geometry"] for u in units]
    streets: dict[str, list[Any]] = {}
    for s in store.select("streets"):
        if s.get("geometry") is not None:
            streets.setdefault(s["name"], []).append(s["geometry"])
    for plate in store.select("door_plates", where={"status": "active"}, limit=300):
        for line in streets.get(plate["street_name"], []):
            points = [line.interpolate(f, normalized=True) for f in (0.02, 0.25, 0.5, 0.75, 0.98)]
            for point, i in zip(points, containing_part(points, geoms, inside_only=True), strict=True):
                if i >= 0 and units[i]["code"] != plate.get("community_code"):
                    return plate, point, units[i]["code"]
    return None


def test_a_moved_successor_takes_its_community_and_stays_by_its_street(writable_sample_store: Store):
    store = writable_sample_store
    found = _point_on_street_in_other_community(store)
    assert found is not None, "the sample has streets crossing community boundaries"
    plate, point, code = found
    # Far from its street (another plate's place, hundreds of metres away): refused, nothing stored.
    line = shapely.union_all([s["geometry"] for s in store.select("streets", where={"name": plate["street_name"]})])
    far = next(p["geometry"] for p in store.select("door_plates", limit=2000) if p.get("geometry") is not None
               and shapely.distance(C.to_metric(p["geometry"]), C.to_metric(line)) > 1000)
    count = store.count("door_plates")
    with pytest.raises(InputError) as err:
        replace_plate(store, plate["plate_uid"], DECISION, expected_version=plate["version"], actor="o",
                      new_plate={"geometry": far})
    assert err.value.field == "lonlat" and "DP-01" in err.value.message and plate["street_name"] in err.value.message
    assert store.count("door_plates") == count and _plate(store, plate["plate_uid"])["status"] == "active"
    out = replace_plate(store, plate["plate_uid"], DECISION, expected_version=plate["version"], actor="o",
                        new_plate={"geometry": point})
    assert out["successor"]["community_code"] == code != plate.get("community_code")
    assert any(code in w for w in out["warnings"])  # said, not silent
    # Not moved: the community stays what it was.
    same = _free_plates(store, 1)[0]
    kept = replace_plate(store, same["plate_uid"], DECISION, expected_version=same["version"], actor="o")
    assert kept["successor"]["community_code"] == same.get("community_code")


def test_a_successor_across_the_street_takes_that_side_and_dp02_is_said(store_town):
    store, uid = store_town  # 春晖路 runs east; odd numbers on the left (north) side
    plate = _plate(store, uid)
    out = replace_plate(store, uid, DECISION, expected_version=plate["version"], actor="o",
                        new_plate={"geometry": shapely.Point(111.705, 40.8498)})  # south of the street, 7号
    assert out["successor"]["side"] == "right"
    assert [w for w in out["warnings"] if w.startswith("DP-02")], out["warnings"]
    again = _plate(store, out["successor"]["plate_uid"])
    fixed = replace_plate(store, again["plate_uid"], DECISION, expected_version=again["version"], actor="o",
                          new_plate={"number": 8})  # an even number on the even side: nothing to say
    assert not [w for w in fixed["warnings"] if "DP-02" in w], fixed["warnings"]


# -- races: a building added while its plate is replaced or revoked ---------------------------------------------

def _one_of(*actions):
    """An action for :func:`at_once` that runs each of ``actions`` once, one per thread."""
    queue = iter(actions)
    guard = threading.Lock()

    def run():
        with guard:
            action = next(queue)
        return action()
    return run


def _race(store: Store, plate: dict[str, Any], decision: str) -> list[Any]:
    """Decide the plate (replace or revoke with its addresses) while a building is added below it."""
    uid, version = plate["plate_uid"], plate["version"]
    if decision == "replace":
        def decide() -> Any:
            return replace_plate(store, uid, DECISION, expected_version=version, actor="o")
    else:
        def decide() -> Any:
            return decide_plate_status(store, uid, "revoked", DECISION, expected_version=version, actor="o",
                                       with_addresses=True)
    return at_once(_one_of(decide, lambda: add_building(store, uid, "2", actor="o")), times=2)


def test_an_address_added_during_a_replacement_or_revocation_is_never_left_behind(writable_sample_store: Store):
    store = writable_sample_store
    for decision, plate in zip(itertools.cycle(("replace", "revoke")), _free_plates(store, 4), strict=False):
        uid = plate["plate_uid"]
        add_building(store, uid, "1", actor="setup")
        outcomes = _race(store, plate, decision)
        assert all(isinstance(o, dict) or (isinstance(o, Conflict) and "AD-05" in str(o)) for o in outcomes), outcomes
        assert _plate(store, uid)["status"] in ("replaced", "revoked")
        left = store.select("addresses", where={"plate_uid": uid, "status": "active"})
        assert left == [], f"active addresses below a {_plate(store, uid)['status']} plate: {left}"


# -- the officer page (F14, F15, F22) -----------------------------------------------------------------------------

VERSION = re.compile(r"name='version' value='(\d+)'")


def test_the_plate_page_revokes_with_its_addresses_and_links_a_successor(writable_server, writable_sample_store):
    base, store = writable_server, writable_sample_store
    estates = _plates_with_addresses(store)
    uid, replaced_uid = sorted(estates)[:2]
    path = f"/officer/plates/{uid}"
    with httpx.Client(base_url=base, follow_redirects=False) as anon:
        assert anon.get(path).status_code == 303
    with _client(base, "planner", expect_ok=False) as planner:
        assert planner.get(path).status_code == 403
    with _client(base) as c:
        page = c.get(path)
        assert page.status_code == 200
        options = re.findall(r"<option value='([^']+)'", page.text)
        assert options == ["revoked"]  # replaced comes with a successor, not from this form
        assert f"连同其下 {estates[uid]} 个楼、单元、室地址一并注销" in page.text
        assert "id='replace'" in page.text and "替换为新门牌" in page.text
        version = VERSION.search(page.text).group(1)
        token = form_token(c, path)
        form = {**DECISION, "decision_body": HOSTILE, "status": "revoked", "version": version, "csrf_token": token}
        assert c.post(f"{path}/status", data={k: v for k, v in form.items() if k != "csrf_token"}).status_code == 403
        assert c.post(f"{path}/status", data=form, headers={"Origin": "https://evil.example"}).status_code == 403
        refused = c.post(f"{path}/status", data=form)  # addresses below, box not ticked: 409, typed values kept
        assert refused.status_code == 409 and "一并注销其下地址" in refused.text and "AD-06" in refused.text
        assert HOSTILE not in refused.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in refused.text
        stale = c.post(f"{path}/status", data={**form, "with_addresses": "1", "version": str(int(version) + 5)})
        assert stale.status_code == 409 and "记录已被他人修改" in stale.text
        assert _plate(store, uid)["status"] == "active"
        assert len(store.select("addresses", where={"plate_uid": uid, "status": "active"})) == estates[uid]
        done = c.post(f"{path}/status", data={**form, "decision_body": "新城区民政局", "with_addresses": "1"})
        assert done.status_code == 200 and done.url.path == path and "已保存" in done.text
        assert "status-final" in done.text and "已撤销" in done.text
        assert _plate(store, uid)["status"] == "revoked"
        assert store.select("addresses", where={"plate_uid": uid, "status": "active"}) == []
        room = store.select("addresses", where={"plate_uid": uid, "level": "room"}, limit=1)[0]
        signer = PlateSigner.from_setting("", fallback_secret="x" * 40)  # the test server's secret
        public = httpx.get(f"{base}/a/{address_code(signer, room['qr_token'])}")
        assert public.status_code == 200 and "此地址已注销" in public.text
        # The API's status path refuses "replaced"; the replace call moves the addresses along.
        plate = _plate(store, replaced_uid)
        name, password = USERS["placename_officer"]
        bearer = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password}).json()
        officer = {"Authorization": f"Bearer {bearer['access_token']}"}
        bad = httpx.post(f"{base}/api/plates/{replaced_uid}/status", headers=officer,
                         json={"version": plate["version"], "status": "replaced", **DECISION})
        assert bad.status_code == 400 and "/replace" in bad.text
        # The page's replace form: a bad number is refused with what was typed kept; then the successor.
        old_path = f"/officer/plates/{replaced_uid}"
        replace = {**DECISION, "status": "replaced", "version": str(plate["version"]), "csrf_token": token}
        bad_number = c.post(f"{old_path}/status", data={**replace, "number": "12a"})
        assert bad_number.status_code == 400 and "门牌号 number" in bad_number.text and "12a" in bad_number.text
        assert f"value='{DECISION['decision_doc_no']}'" in bad_number.text.split("id='replace'")[1]
        assert _plate(store, replaced_uid)["status"] == "active"
        moved = c.post(f"{old_path}/status", data={**replace, "number": str(plate["number"])})
        assert moved.status_code == 200 and f"其下 {estates[replaced_uid]} 个楼、单元、室地址随迁" in moved.text
        new_uid = moved.url.path.rsplit("/", 1)[1]
        assert _plate(store, replaced_uid)["successor_plate_uid"] == new_uid != replaced_uid
        assert len(store.select("addresses", where={"plate_uid": new_uid})) >= estates[replaced_uid]
        old_page = c.get(f"/officer/plates/{replaced_uid}").text
        assert f"href='/officer/plates/{new_uid}'" in old_page
        final = re.search(r"id='status-final'>([^<]+)<", old_page).group(1)
        assert "已已" not in final and final.startswith("此门牌已替换")
        assert re.search("[\u4e00-\u9fff]", final.split(" · ", 1)[1]) is None  # no Chinese in the English half
