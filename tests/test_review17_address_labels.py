"""Standard-address labels (#17 review findings 2 and 3): siblings compared as address cleaning reads
them (AD-02), and a label must carry its own level's number or name and no other level (AD-01).

Store tests run on SQLite and PostGIS (fixtures in tests/conftest.py).
"""

from __future__ import annotations

import httpx
import pytest

from geo.addresses import add_building, add_unit, edit_address, import_addresses
from geo.addresses.rules import clean_label, same_label
from geo.errors import Conflict, InputError
from geo.plates.address_match import load_address_matcher
from geo.store import Store
from tests.test_api import _assert_error_shape, _token
from tests.test_standard_addresses import _xlsx

API = "/api/standard-addresses"


def _free_plate(store: Store) -> dict:
    """An active plate of the sample with no addresses below it yet."""
    used = {a["plate_uid"] for a in store.select("addresses")}
    return next(p for p in store.select("door_plates", where={"status": "active"}, limit=200)
                if p["plate_uid"] not in used)


# -- AD-01: the label's number -----------------------------------------------------------------------------

ZERO = "不能为 0 或负数"


@pytest.mark.parametrize(("level", "typed", "words"), [
    ("building", "号楼", "没有编号"), ("building", "楼", "没有编号"), ("building", "#楼", "没有编号"),
    ("unit", "单元", "没有编号"), ("room", "室", "没有编号"),
    ("building", "0号楼", ZERO), ("building", "0", ZERO), ("building", "零号楼", ZERO),
    ("building", "-1号楼", ZERO), ("unit", "00单元", ZERO), ("room", "000", ZERO),
    ("building", "1号楼1单元", "另一级"), ("building", "1号楼302室", "另一级"), ("building", "1号楼2", "另一级"),
    ("unit", "1号楼", "另一级"), ("unit", "1单元302", "另一级"), ("room", "1单元302室", "另一级"),
    ("room", "3号楼302", "另一级"), ("building", "1號樓1單元", "另一级"), ("building", "號樓", "没有编号"),
])
def test_a_label_without_its_number_or_with_another_level_is_refused(level, typed, words):
    with pytest.raises(InputError) as err:
        clean_label(level, typed)
    message = err.value.message
    assert err.value.field == level and message.startswith("AD-01") and words in message.split(" · ")[0]
    assert f"{level} " in message  # the field named in both languages


@pytest.mark.parametrize(("level", "typed", "stored"), [
    ("building", "#1", "1号楼"), ("building", "(1)", "1号楼"), ("building", "（12）", "12号楼"),
    ("unit", "#2", "2单元"), ("building", "1#楼", "1#楼"), ("building", "10号楼", "10号楼"),
    ("building", "3-1号楼", "3-1号楼"), ("room", "101", "101室"),
])
def test_a_numbered_label_written_with_sign_or_brackets_is_stored_in_standard_form(level, typed, stored):
    assert clean_label(level, typed) == stored


# -- AD-02: siblings read as address cleaning reads them ---------------------------------------------------

@pytest.mark.parametrize(("a", "b"), [("1号楼", "1#楼"), ("1号楼", "1＃楼"), ("1号楼", "1栋"), ("1号楼", "1#"),
                                      ("1号楼", "一号楼"), ("33号楼", "33#楼"), ("1单元", "一单元"),
                                      ("12单元", "十二单元"), ("1单元", "01单元"), ("101室", "0101"),
                                      ("1号楼", "1號樓"), ("B0102", "B102室"), ("A01座", "A1座")])
def test_siblings_that_address_cleaning_reads_as_one_are_one(a, b):
    assert same_label(a, b) and same_label(b, a)


def test_siblings_with_different_numbers_stay_apart():
    assert not same_label("1号楼", "11号楼") and not same_label("1单元", "十一单元") and not same_label("A座", "B座")
    assert not same_label("B102", "B1020") and not same_label("B0102", "A0102") and not same_label("10", "1")


def test_a_second_building_or_unit_written_another_way_is_refused_and_stores_nothing(writable_sample_store: Store):
    store = writable_sample_store
    plate = _free_plate(store)
    b = add_building(store, plate["plate_uid"], "1号楼", actor="officer")
    add_unit(store, b["address_uid"], "1单元", actor="officer")
    count = store.count("addresses")
    for typed in ("1#楼", "1＃楼", "#1", "(1)", "1栋", "一号楼"):
        with pytest.raises(Conflict) as err:
            add_building(store, plate["plate_uid"], typed, actor="o")
        assert err.value.field == "building" and err.value.message.startswith("AD-02"), typed
        # It names the building that is there, not only what was typed (fourth review, finding 7).
        assert "已有楼 「1号楼」" in err.value.message and "视为同一" in err.value.message, err.value.message
    for typed in ("一单元", "01单元", "#1"):
        with pytest.raises(Conflict) as err:
            add_unit(store, b["address_uid"], typed, actor="o")
        assert err.value.field == "unit" and err.value.message.startswith("AD-02"), typed
    for typed in ("号楼", "0号楼", "-1号楼", "1号楼1单元"):
        with pytest.raises(InputError) as err:
            add_building(store, plate["plate_uid"], typed, actor="o")
        assert err.value.field == "building" and err.value.message.startswith("AD-01"), typed
    assert store.count("addresses") == count
    # What AD-02 refuses is what address cleaning finds: "1#楼" reaches the stored 1号楼.
    found = load_address_matcher(store, former_names=False).match(
        f"{plate['street_name']}{plate['number']}号1#楼一单元")
    assert found.level == "unit" and found.address is not None and found.address["building"] == "1号楼"


def test_editing_to_a_bad_label_or_a_siblings_label_is_refused(writable_sample_store: Store):
    store = writable_sample_store
    plate = _free_plate(store)
    add_building(store, plate["plate_uid"], "2号楼", actor="o")
    b = add_building(store, plate["plate_uid"], "3号楼", actor="o")
    u = add_unit(store, b["address_uid"], "1", actor="o")
    for changes, kind, field, rule in [({"building": "2#楼"}, Conflict, "building", "AD-02"),
                                       ({"building": "0号楼"}, InputError, "building", "AD-01"),
                                       ({"building": "号楼"}, InputError, "building", "AD-01"),
                                       ({"building": "3号楼1单元"}, InputError, "building", "AD-01")]:
        with pytest.raises(kind) as err:
            edit_address(store, b["address_uid"], changes, expected_version=b["version"], actor="o")
        assert err.value.field == field and err.value.message.startswith(rule), changes
    with pytest.raises(InputError, match=r"^AD-01"):
        edit_address(store, u["address_uid"], {"unit": "单元"}, expected_version=u["version"], actor="o")
    assert store.get("addresses", b["id"])["building"] == "3号楼"
    assert store.get("addresses", u["id"])["unit"] == "1单元"


def test_import_refuses_rows_repeating_a_sibling_or_without_a_number(writable_sample_store: Store, tmp_path):
    store = writable_sample_store
    uid = _free_plate(store)["plate_uid"]
    rows = [[uid, "33号楼", None, None],           # row 2
            [uid, "33#楼", None, None],            # row 3: building 33 again
            [uid, "5号楼", "1单元", None],          # row 4
            [uid, "5号楼", "一单元", None],         # row 5: unit 1 again
            [uid, "号楼", None, None],             # row 6: no number
            [uid, "1号楼1单元", None, None],        # row 7: two levels in one
            [uid, "0", None, None]]               # row 8: building 0
    path = _xlsx(tmp_path / "labels.xlsx", ["门牌编号", "楼号", "单元", "室号"], rows)
    before = store.count("addresses")
    with pytest.raises(InputError) as err:
        import_addresses(store, path, actor="o")
    details = err.value.details
    assert [d.split("：")[0] for d in details] == ["第 3 行", "第 5 行", "第 6 行", "第 7 行", "第 8 行"]
    assert "AD-02" in details[0] and "第 2 行" in details[0] and "AD-02" in details[1] and "第 4 行" in details[1]
    assert all("AD-01" in d for d in details[2:])
    assert store.count("addresses") == before


def test_api_refuses_a_duplicate_written_another_way_and_a_label_without_number(writable_server,
                                                                                writable_sample_store: Store):
    base, store = writable_server, writable_sample_store
    h = _token(base, "placename_officer")
    uid = _free_plate(store)["plate_uid"]
    first = httpx.post(f"{base}{API}/buildings", headers=h, json={"plate_uid": uid, "building": "1号楼"})
    assert first.status_code == 200, first.text
    for typed in ("1#楼", "#1", "(1)"):
        body = _assert_error_shape(httpx.post(f"{base}{API}/buildings", headers=h,
                                              json={"plate_uid": uid, "building": typed}), 409, "building")
        assert body["message"].startswith("AD-02"), typed
    for typed in ("号楼", "0号楼", "-1号楼", "1号楼1单元"):
        body = _assert_error_shape(httpx.post(f"{base}{API}/buildings", headers=h,
                                              json={"plate_uid": uid, "building": typed}), 400, "building")
        assert body["message"].startswith("AD-01"), typed
    assert store.count("addresses", where={"plate_uid": uid}) == 1
