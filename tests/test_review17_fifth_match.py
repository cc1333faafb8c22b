"""Review 17, fourth round, finding 1: address cleaning reads the service's own form of a plate with a
sub-number (3之1号, 3附1号, 12-1号; DP-04) as that plate, and never grades another plate exact.

The sub-number is read as DP-04 keys it (之一 = 之1, 之1 and 附1 apart), written before 号 as the
service prints it or after it as people write it (3号之一, 3号附1); a number typed without one is the
plate without one.
"""

from __future__ import annotations

import html
import re

import httpx
import pytest

from geo.plates.address_match import AddressMatcher
from tests.test_standard_addresses_api import _token

PLATES = [{"plate_uid": "A", "street_name": "宁安街", "number": 3, "suffix": None},
          {"plate_uid": "B", "street_name": "宁安街", "number": 3, "suffix": "之1"},
          {"plate_uid": "C", "street_name": "宁安街", "number": 1, "suffix": None},
          {"plate_uid": "D", "street_name": "宁安街", "number": 5, "suffix": "附1"},
          {"plate_uid": "E", "street_name": "宁安街", "number": 7, "suffix": "1"}]
BUILDING = {"address_uid": "X1", "plate_uid": "B", "parent_uid": "B", "level": "building", "building": "5号楼"}


@pytest.mark.parametrize(("typed", "plate"), [
    ("宁安街3之1号", "B"), ("宁安街 3之1号", "B"), ("宁安街3号之一", "B"), ("宁安街3号之1", "B"),
    ("宁安街3号", "A"), ("宁安街三号", "A"), ("宁安街1号", "C"),
    ("宁安街5附1号", "D"), ("宁安街5号附1", "D"), ("宁安街7-1号", "E"),
])
def test_a_plates_own_form_finds_it_exactly(typed, plate):
    found = AddressMatcher(PLATES).match(typed)
    assert (found.grade, found.plate["plate_uid"]) == ("exact", plate), typed


@pytest.mark.parametrize(("typed", "candidates"), [
    ("宁安街3附1号", {"A", "B"}),   # 附1 is not 之1 (DP-04 keeps them apart), and not plate 1 either
    ("宁安街3号附1", {"A", "B"}),
    ("宁安街3-1号", {"A", "B"}),
    ("宁安街5号", {"D"}),           # only 5附1 exists: 5号 is not it
])
def test_a_sub_number_no_plate_has_is_uncertain_never_exact_on_another(typed, candidates):
    found = AddressMatcher(PLATES).match(typed)
    assert found.grade == "uncertain" and found.plate is None, typed
    assert {c["plate_uid"] for c in found.candidates} == candidates
    assert found.note.index("没有") < found.note.index("no plate")  # Chinese first


def test_the_stored_address_string_reaches_its_building():
    found = AddressMatcher(PLATES, addresses=[BUILDING]).match("新城区康乐社区 宁安街 3之1号 5号楼")
    assert (found.grade, found.plate["plate_uid"], found.level, found.unmatched) == ("exact", "B", "building", [])


def test_a_plate_with_a_sub_number_and_its_building_round_trip_through_the_service(writable_server,
                                                                                   writable_sample_store):
    base, store = writable_server, writable_sample_store
    h = _token(base, "placename_officer")
    admin = _token(base, "admin")
    plate = next(p for p in store.select("door_plates", where={"status": "active"}, limit=200)
                 if not p.get("suffix"))
    body = {"properties": {"street_name": plate["street_name"], "number": plate["number"], "suffix": "之1",
                           "side": plate.get("side"), "households": 2},
            "geometry": {"type": "Point", "coordinates": [plate["geometry"].x, plate["geometry"].y]}}
    made = httpx.post(f"{base}/api/layers/door_plates/features", json=body, headers=admin, timeout=60)
    assert made.status_code == 201, made.text
    uid = made.json()["properties"]["plate_uid"]
    building = httpx.post(f"{base}/api/standard-addresses/buildings", headers=h, timeout=60,
                          json={"plate_uid": uid, "building": "5"})
    assert building.status_code in (200, 201), building.text
    stored = building.json()["standard_address"]
    assert f"{plate['number']}之1号" in stored
    m = httpx.get(f"{base}/api/addresses/match", headers=h, params={"q": stored}, timeout=120).json()
    assert (m["grade"], m["plate"]["plate_uid"], m["level"]) == ("exact", uid, "building"), m
    bare = httpx.get(f"{base}/api/addresses/match", headers=h, timeout=120,
                     params={"q": f"{plate['street_name']}{plate['number']}号"}).json()
    assert bare["grade"] == "exact" and bare["plate"]["plate_uid"] == plate["plate_uid"], bare


def test_a_retired_addresss_public_page_points_to_the_one_that_took_its_place(writable_server,
                                                                             writable_sample_store):
    """Finding 9: the QR of a retired building opens a page that names the active building rebuilt in
    its place (same plate, same label), and printing it names it too."""
    from geo.addresses.codes import address_code
    from geo.plates.codes import PlateSigner

    base, store = writable_server, writable_sample_store
    h = _token(base, "placename_officer")
    plate = next(p for p in store.select("door_plates", where={"status": "active"}, limit=300)
                 if not store.select("addresses", where={"plate_uid": p["plate_uid"]}, limit=1))
    old = httpx.post(f"{base}/api/standard-addresses/buildings", headers=h, timeout=60,
                     json={"plate_uid": plate["plate_uid"], "building": "8"}).json()
    retired = httpx.post(f"{base}/api/standard-addresses/{old['address_uid']}/retire", headers=h, timeout=60,
                         json={"version": old["version"], "reason": "拆除重建"})
    assert retired.status_code == 200, retired.text
    new = httpx.post(f"{base}/api/standard-addresses/buildings", headers=h, timeout=60,
                     json={"plate_uid": plate["plate_uid"], "building": "8"}).json()
    (stored,) = store.select("addresses", where={"address_uid": old["address_uid"]})
    signer = PlateSigner.from_setting("", fallback_secret="x" * 40)  # the test server's secret
    page = httpx.get(f"{base}/a/{address_code(signer, stored['qr_token'])}", timeout=60)
    assert page.status_code == 200 and "此地址已注销" in page.text
    shown = re.search(r"<span id='current-address'>(.*?)</span>", page.text)
    assert shown is not None and html.unescape(shown.group(1)) == new["standard_address"]
    printed = httpx.get(f"{base}/api/standard-addresses/{old['address_uid']}/plate.svg", headers=h, timeout=60,
                        params={"proof": True})
    assert printed.status_code == 409 and new["address_uid"] in printed.json()["message"]
