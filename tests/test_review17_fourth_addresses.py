"""Fourth review of #17, standard addresses (findings 12, 14a, 14b), on SQLite and PostGIS.

12: the officer's address search finds an address by a street's former name (春光路 → 春晖路), saying
    the street's name now, Chinese first; the former names are those address cleaning reads.
14a: a retirement takes the decision's document number as ``document_ref`` at the top level of the
    body; nested or misnamed, it is refused naming the field and where it belongs, nothing stored.
14b: printing a retired address's 楼牌 or 单元牌 is refused saying it is retired (已废止), naming the
    decision it was retired by and the address in use now, never "不能修改".
"""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from geo.addresses import add_building, add_unit, retire_address, search_addresses
from geo.addresses.printing import printable
from geo.errors import Conflict, InputError
from geo.placenames.lifecycle import rename
from geo.plates.address_match import load_address_matcher
from geo.plates.codes import PlateSigner
from geo.store import Store
from tests.test_api import _assert_error_shape, _token
from tests.test_officer_pages import CSRF, _client

API = "/api/standard-addresses"
APPROVAL = {"approval_authority": "呼和浩特市人民政府", "approval_doc_no": "呼政发〔2026〕7号",
            "approval_date": "2026-11-01"}
DOC = "新城政发〔2026〕12号"


def _free_plate(store: Store) -> dict:
    """An active plate of the sample with no addresses below it yet."""
    used = {a["plate_uid"] for a in store.select("addresses")}
    return next(p for p in store.select("door_plates", where={"status": "active"}, limit=200)
                if p["plate_uid"] not in used)


def _renamed_street_with_a_building(store: Store) -> tuple[str, str, dict, dict]:
    """Rename the street of a free plate (with a building on it) to 春晖路; return the former name, the
    number text ("12号"), the plate and the building after the rename."""
    plate = _free_plate(store)
    building = add_building(store, plate["plate_uid"], "7", actor="o")
    name = next(n for n in store.select("place_names", where={"standard_name": plate["street_name"]})
                if n["status"] == "in_force")
    rename(store, name["id"], "春晖路", expected_version=name["version"], actor="o", approval=APPROVAL,
           justification="测试")
    after = store.select("addresses", where={"address_uid": building["address_uid"]})[0]
    assert "春晖路" in after["standard_address"] and plate["street_name"] not in after["standard_address"]
    return plate["street_name"], f"{plate['number']}号", plate, after


# -- 12: search by a former street name ------------------------------------------------------------------

def test_search_finds_an_address_by_its_streets_former_name(writable_sample_store: Store):
    store = writable_sample_store
    old, number, _plate, building = _renamed_street_with_a_building(store)
    former = load_address_matcher(store).former
    assert former.get(old) == "春晖路"
    for typed in (f"{old}{number}", old, f"{old} {number} 7号楼"):
        total, rows = search_addresses(store, typed, former=former, status=None)
        assert total >= 1 and building["address_uid"] in {r["address_uid"] for r in rows}, typed
    # Without the former names (as before the fix) the old name finds nothing.
    assert search_addresses(store, f"{old}{number}", former={})[0] == 0
    # The current name still finds it, and a query naming no former street is not widened.
    assert search_addresses(store, f"春晖路{number}", former=former)[0] >= 1
    assert search_addresses(store, "没有这条路12号", former=former)[0] == 0


def test_the_list_page_finds_the_former_name_and_says_the_name_now(writable_server, writable_sample_store):
    store = writable_sample_store
    old, number, plate, building = _renamed_street_with_a_building(store)
    with _client(writable_server) as c:
        for typed in (f"{old}{number}", old):
            page = c.get("/officer/addresses", params={"q": typed})
            assert page.status_code == 200
            assert building["address_uid"] in page.text, typed
            assert "没有找到" not in page.text
            note = page.text.index("曾用名")
            assert f"「{old}」 是街路巷的曾用名，现名 「春晖路」" in page.text  # Chinese first …
            assert page.text.index("is a former street name, now") > note  # … English beside
            assert f"/officer/plates/{plate['plate_uid']}/addresses" in page.text
        plain = c.get("/officer/addresses", params={"q": f"春晖路{number}"})
        assert building["address_uid"] in plain.text and "曾用名" not in plain.text


def test_the_api_search_finds_the_former_name_and_says_the_name_now(writable_server, writable_sample_store):
    base, store = writable_server, writable_sample_store
    old, number, plate, building = _renamed_street_with_a_building(store)
    h = _token(base, "planner")
    found = httpx.get(f"{base}{API}", headers=h, params={"q": f"{old}{number}"}, timeout=60)
    assert found.status_code == 200, found.text
    body = found.json()
    assert building["address_uid"] in {r["address_uid"] for r in body["addresses"]} and body["total"] >= 1
    (renamed,) = body["former_streets"]
    assert renamed["former"] == old and renamed["current"] == "春晖路" and renamed["note"].startswith(f"「{old}」")
    one_plate = httpx.get(f"{base}{API}", headers=h, params={"q": old, "plate_uid": plate["plate_uid"]}).json()
    assert {r["plate_uid"] for r in one_plate["addresses"]} == {plate["plate_uid"]} and one_plate["total"] == 1
    unsearched = httpx.get(f"{base}{API}", headers=h, params={"plate_uid": plate["plate_uid"]}).json()
    assert "former_streets" not in unsearched and unsearched["count"] == 1


# -- 14a: document_ref at the top level of the body --------------------------------------------------------

@pytest.mark.parametrize(("body", "where"), [
    ({"decision": {"document_ref": DOC}}, "decision.document_ref"),
    ({"decision_doc_no": DOC}, "decision_doc_no"),
    ({"documentRef": DOC}, "documentRef"),
    ({"doc_no": DOC}, "doc_no"),
    ({"meta": [{"x": {"document_ref": DOC}}]}, "meta[0].x.document_ref"),
])
def test_a_misplaced_document_ref_is_refused_saying_where_it_belongs(writable_server, writable_sample_store,
                                                                      body, where):
    base, store = writable_server, writable_sample_store
    h = _token(base, "placename_officer")
    building = add_building(store, _free_plate(store)["plate_uid"], "5", actor="o")
    audit = len(store.audit_rows("addresses", building["id"]))
    refused = _assert_error_shape(
        httpx.post(f"{base}{API}/{building['address_uid']}/retire", headers=h,
                   json={"version": 1, "reason": "拆除", **body}), 400, "document_ref")
    message = refused["message"]
    assert message.startswith("依据文件 document_ref 须写在请求体的顶层")  # the field, Chinese first
    assert f"「{where}」" in message and "required at the top level of the request body" in message
    after = store.select("addresses", where={"address_uid": building["address_uid"]})[0]
    assert after["status"] == "active" and len(store.audit_rows("addresses", building["id"])) == audit


def test_document_ref_at_the_top_level_is_kept_and_a_wrong_type_is_named(writable_server, writable_sample_store):
    base, store = writable_server, writable_sample_store
    h = _token(base, "placename_officer")
    building = add_building(store, _free_plate(store)["plate_uid"], "6", actor="o")
    url = f"{base}{API}/{building['address_uid']}/retire"
    wrong = _assert_error_shape(httpx.post(url, headers=h, json={"version": 1, "reason": "拆除",
                                                                 "document_ref": ["x"]}), 422, "document_ref")
    assert "依据文件" in wrong["message"]
    done = httpx.post(url, headers=h, json={"version": 1, "reason": "拆除", "document_ref": DOC})
    assert done.status_code == 200, done.text
    assert DOC in store.audit_rows("addresses", building["id"])[-1]["note"]


def test_the_page_form_takes_document_ref_and_refuses_a_misnamed_one(writable_server, writable_sample_store):
    store = writable_sample_store
    plate = _free_plate(store)
    building = add_building(store, plate["plate_uid"], "4", actor="o")
    base = f"/officer/plates/{plate['plate_uid']}/addresses"
    retire = f"{base}/{building['address_uid']}/retire"
    with _client(writable_server) as c:
        tree = c.get(base).text
        assert "name='document_ref'" in tree
        token = CSRF.search(tree).group(1)
        bad = c.post(retire, data={"version": "1", "reason": "拆除", "decision_doc_no": DOC, "csrf_token": token})
        assert bad.status_code == 400 and "依据文件 document_ref 须写在请求体的顶层" in bad.text
        assert store.select("addresses", where={"address_uid": building["address_uid"]})[0]["status"] == "active"
        gone = c.post(retire, data={"version": "1", "reason": "拆除", "document_ref": DOC, "csrf_token": token})
        assert gone.status_code == 200 and "已注销 1 个地址" in gone.text
    assert DOC in store.audit_rows("addresses", building["id"])[-1]["note"]


def test_the_use_case_keeps_the_document_and_refuses_a_bad_one(writable_sample_store: Store):
    store = writable_sample_store
    building = add_building(store, _free_plate(store)["plate_uid"], "3", actor="o")
    with pytest.raises(InputError) as err:
        retire_address(store, building["address_uid"], reason="拆除", expected_version=1, actor="o",
                       document_ref="文" * 201)
    assert err.value.field == "document_ref"
    retire_address(store, building["address_uid"], reason="拆除", expected_version=1, actor="o",
                   document_ref=f"  {DOC} ")
    assert store.audit_rows("addresses", building["id"])[-1]["note"].endswith(f"依据文件 document: {DOC}")


# -- 14b: printing a retired address ---------------------------------------------------------------------

SIGNER = PlateSigner.from_setting("", fallback_secret="s" * 40)


def test_printing_a_retired_plate_says_it_is_retired_with_its_decision_and_successor(writable_sample_store):
    store = writable_sample_store
    plate = _free_plate(store)
    building = add_building(store, plate["plate_uid"], "9", actor="o")
    unit = add_unit(store, building["address_uid"], "1", actor="o")
    retire_address(store, building["address_uid"], reason="拆除", expected_version=1, actor="o",
                   with_children=True, document_ref=DOC, on=date(2026, 11, 2))
    rebuilt = add_building(store, plate["plate_uid"], "9", actor="o")
    for address, plate_zh in ((building, "楼牌"), (unit, "单元牌")):
        stored = store.select("addresses", where={"address_uid": address["address_uid"]})[0]
        with pytest.raises(Conflict) as err:
            printable(store, stored, signer=SIGNER, base_url="https://mp.xincheng.example")
        message = err.value.message
        assert "不能修改" not in message and "cannot be edited" not in message
        assert message.startswith(f"地址 「{address['address_uid']}」 已废止（2026-11-02 注销），不能打印{plate_zh}")
        assert "拆除" in message and DOC in message
    stored = store.select("addresses", where={"address_uid": building["address_uid"]})[0]
    with pytest.raises(Conflict) as err:
        printable(store, stored, signer=SIGNER, base_url="https://mp.xincheng.example")
    assert rebuilt["address_uid"] in err.value.message and "现用地址" in err.value.message


def test_the_print_endpoints_refuse_a_retired_plate_as_retired(writable_server, writable_sample_store):
    base, store = writable_server, writable_sample_store
    plate = _free_plate(store)
    building = add_building(store, plate["plate_uid"], "8", actor="o")
    retire_address(store, building["address_uid"], reason="拆除", expected_version=1, actor="o", document_ref=DOC)
    h = _token(base, "placename_officer")
    api = _assert_error_shape(httpx.get(f"{base}{API}/{building['address_uid']}/plate.svg", headers=h,
                                        params={"proof": True}), 409, "status")
    assert "已废止" in api["message"] and "不能打印楼牌" in api["message"] and DOC in api["message"]
    assert "不能修改" not in api["message"]
    with _client(base) as c:
        page = c.get(f"/officer/plates/{plate['plate_uid']}/addresses/{building['address_uid']}/plate.svg",
                     params={"proof": "1"})
        assert page.status_code == 409 and "已废止" in page.text and "不能打印楼牌" in page.text
        assert "不能修改" not in page.text and DOC in page.text
