"""Review #17 fixes to the street signs (路牌) and the standard addresses (楼/单元/室), on both backends.

F23/F24: a sign installed, or an address added, while the street is renamed ends up consistent with
the rename (queued, or showing the new name); the race is forced deterministically: the rename runs
in another thread while the install/add is inside its transaction, after it read the names.
F34: the junction check does not count a missing sign, nor one queued after a rename.
F8: a rename leaves the Mongolian of the former name: a replacement sign does not show it and a
production sign is refused naming it. F7: one QR-address rule for signs and 楼牌/单元牌.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
import shapely

from geo.errors import InputError
from geo.placenames.lifecycle import rename
from geo.plates.codes import PlateSigner
from geo.signs import _uids
from geo.signs.junctions import unsigned_junctions
from geo.signs.layout import sign_layout
from geo.signs.printed import sign_texts
from geo.signs.register import install, replace, report_damage
from geo.store import Store

MONG = "ᠴᠦᠨᠬᠦᠢ ᠵᠠᠮ"
DAY = date(2026, 6, 1)
APPROVAL = {"approval_authority": "呼和浩特市人民政府", "approval_doc_no": "呼政字〔2026〕30号",
            "approval_date": "2026-06-01"}
PUBLIC = "https://mp.xincheng.example"
SIGNER = PlateSigner.from_setting("", fallback_secret="s" * 40)


def _name(store: Store, name: str, sign_text: str, *, mong: str | None = None) -> int:
    (pid,) = store.insert("place_names", [{
        "standard_name": name, "feature_class": "street", "status": "in_force", "sign_text": sign_text,
        "romanization": sign_text.title(), "name_mong": mong, "approval_date": date(2020, 5, 1),
        "admin_code": "150102001000", "meaning": "取春光之意", "approval_authority": "呼和浩特市人民政府",
        "approval_doc_no": "呼政字〔2020〕1号"}], actor="setup")
    return pid


def _street(store: Store, name: str, coords, place_name_id: int) -> int:
    (sid,) = store.insert("streets", [{"name": name, "place_name_id": place_name_id,
                                       "geometry": shapely.LineString(coords)}], actor="setup")
    return sid


@pytest.fixture
def town(store: Store) -> dict[str, int]:
    """春晖路 (east–west, with Mongolian) crossed by 新华街 (north–south, with Mongolian) at (111.705, 40.85)."""
    chunhui = _name(store, "春晖路", "CHUNHUI LU", mong=MONG)
    xinhua = _name(store, "新华街", "XINHUA JIE", mong="ᠰᠢᠨ᠎ᠡ ᠬᠤᠸᠠ")
    return {"chunhui": chunhui, "xinhua": xinhua,
            "chunhui_street": _street(store, "春晖路", [(111.70, 40.85), (111.705, 40.85), (111.71, 40.85)], chunhui),
            "xinhua_street": _street(store, "新华街", [(111.705, 40.845), (111.705, 40.85), (111.705, 40.855)],
                                     xinhua)}


def _install(store: Store, town: dict[str, int], **kw: Any) -> dict[str, Any]:
    args = {"street_id": town["chunhui_street"], "position": shapely.Point(111.7049, 40.85008),
            "sign_type": "ordinary", "actor": "officer-li", "actor_adcodes": {store.adcode}, "today": DAY}
    return install(store, **{**args, **kw})


def _rename(store: Store, place_id: int, new: str) -> dict[str, Any]:
    version = store.get("place_names", place_id)["version"]
    return rename(store, place_id, new, expected_version=version, actor="officer-wang", approval=APPROVAL,
                  justification="测试")


class _Meanwhile:
    """Run ``action`` in another thread once, from inside a use case's transaction; wait up to 1.5 s for it
    (it may rightly wait for the transaction's locks), then let the use case commit; ``join`` after."""

    def __init__(self, action):
        self.action, self.thread, self.errors = action, None, []

    def __call__(self) -> None:
        if self.thread is not None:
            return

        def run() -> None:
            try:
                self.action()
            except BaseException as exc:  # reported by join
                self.errors.append(exc)

        self.thread = threading.Thread(target=run)
        self.thread.start()
        self.thread.join(1.5)

    def join(self) -> None:
        assert self.thread is not None, "the use case never reached the point of the race"
        self.thread.join(60)
        assert not self.thread.is_alive() and not self.errors, self.errors


def test_f23_a_sign_installed_during_its_streets_rename_is_queued_or_shows_the_new_name(
        store: Store, town, monkeypatch):
    meanwhile = _Meanwhile(lambda: _rename(store, town["chunhui"], "春华路"))
    real = _uids.allocate

    def allocate_then_rename(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)     # the install has read the street's name by now
        meanwhile()
        return out

    monkeypatch.setattr(_uids, "allocate", allocate_then_rename)
    sign = _install(store, town)
    meanwhile.join()
    after = store.select("street_signs", where={"sign_uid": sign["sign_uid"]})[0]
    assert store.get("place_names", town["chunhui"])["standard_name"] == "春华路"
    assert after["status"] == "replacement_queued" or after["shows_name"] == "春华路", after


def test_f23_a_sign_replaced_during_its_streets_rename_is_queued_or_shows_the_new_name(
        store: Store, town, monkeypatch):
    old = _install(store, town)
    meanwhile = _Meanwhile(lambda: _rename(store, town["chunhui"], "春华路"))
    real = _uids.allocate

    def allocate_then_rename(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)     # the replacement has read the street's name by now
        meanwhile()
        return out

    monkeypatch.setattr(_uids, "allocate", allocate_then_rename)
    new = replace(store, old["sign_uid"], expected_version=old["version"], actor="o", today=DAY)["new"]
    meanwhile.join()                    # the rename waited for the replacement: no deadlock, no lost queueing
    after = store.select("street_signs", where={"sign_uid": new["sign_uid"]})[0]
    assert after["status"] == "replacement_queued" or after["shows_name"] == "春华路", after


def test_f34_a_missing_sign_or_one_queued_after_a_rename_does_not_sign_the_junction(store: Store, town):
    chunhui = _install(store, town)
    xinhua = _install(store, town, street_id=town["xinhua_street"], position=shapely.Point(111.70508, 40.8499))
    before = unsigned_junctions(store)
    assert before["unsigned_junctions"] == 0 and before["junctions"] >= 1
    report_damage(store, chunhui["sign_uid"], expected_version=chunhui["version"], actor="o", today=DAY,
                  condition="missing")
    gone = unsigned_junctions(store)
    assert gone["unsigned_junctions"] == 1
    assert [(m["name"], m["to_replace"]) for m in gone["items"][0]["missing"]] == [("春晖路", True)]
    _rename(store, town["xinhua"], "新华大街")
    assert store.select("street_signs", where={"sign_uid": xinhua["sign_uid"]})[0]["status"] == "replacement_queued"
    both = unsigned_junctions(store)["items"][0]["missing"]
    assert sorted((m["name"], m["to_replace"]) for m in both) == [("新华大街", True), ("春晖路", True)]


def test_f8_a_rename_keeps_the_former_mongolian_off_the_replacement_sign(store: Store, town):
    sign = _install(store, town, sign_type="smart")
    assert sign["shows_mong"] == MONG
    (printed,) = sign_texts(store, [sign], signer=SIGNER, base_url=PUBLIC)
    assert sign_layout(printed).sign.name_mong == MONG          # a production sign before the rename
    _rename(store, town["chunhui"], "春华路")
    renamed = store.get("place_names", town["chunhui"])   # the former name's Mongolian is cleared, pending
    assert (renamed["name_mong"], renamed["name_mong_pending"]) == (None, True)
    assert MONG in store.audit_rows("place_names", town["chunhui"])[-1]["before"]  # kept in the trail
    queued = store.select("street_signs", where={"sign_uid": sign["sign_uid"]})[0]
    new = replace(store, sign["sign_uid"], expected_version=queued["version"], actor="o", today=DAY)["new"]
    assert (new["shows_name"], new["shows_mong"]) == ("春华路", None)
    (printed,) = sign_texts(store, [new], signer=SIGNER, base_url=PUBLIC)
    assert printed.name_mong is None
    with pytest.raises(InputError) as err:
        sign_layout(printed)
    assert err.value.message.startswith("SG-01") and "春华路" in err.value.message
    assert sign_layout(printed, proof=True).proof          # the proof may be printed, without the Mongolian
    # The officer records the new name's Mongolian: the sign may be printed with it.
    name = store.get("place_names", town["chunhui"])
    store.update("place_names", town["chunhui"], {"name_mong": "ᠴᠦᠨ ᠬᠤᠸᠠ ᠵᠠᠮ"}, expected_version=name["version"],
                 actor="o")
    (printed,) = sign_texts(store, [new], signer=SIGNER, base_url=PUBLIC)
    assert sign_layout(printed).sign.name_mong == "ᠴᠦᠨ ᠬᠤᠸᠠ ᠵᠠᠮ"


def test_f7_a_loopback_qr_address_prints_a_proof_only_for_signs_and_plates_alike(store: Store, town):
    from geo.addresses.printing import AddressPlate, plate_svg

    sign = _install(store, town, sign_type="smart")
    (printed,) = sign_texts(store, [sign], signer=SIGNER, base_url="http://127.0.0.1:8711")
    assert sign_layout(printed, proof=True).proof                    # a proof on the dev server
    with pytest.raises(InputError) as err:
        sign_layout(printed)
    assert "路牌" in err.value.message and "门牌" not in err.value.message and err.value.field == "public_base_url"
    plate = AddressPlate(address_uid="150102A00000001", level="building", street_name="春晖路", number_text="12号",
                         sign_text="CHUNHUI LU 12", name_mong=MONG, building="3号楼", unit=None,
                         url="http://127.0.0.1:8711/a/ABC")
    assert "<svg" in plate_svg(plate, proof=True)
    with pytest.raises(InputError) as err:
        plate_svg(plate)
    assert "楼牌" in err.value.message and err.value.field == "public_base_url"
    public = AddressPlate(**{**vars(plate), "url": f"{PUBLIC}/a/ABC"})
    assert "<svg" in plate_svg(public)


def test_f24_an_address_added_during_its_streets_rename_carries_the_new_name(writable_sample_store: Store,
                                                                            monkeypatch):
    import geo.addresses._plan as plan_module
    from geo.addresses.lifecycle import add_building

    store = writable_sample_store
    room = store.select("addresses", where={"level": "room", "status": "active"}, limit=1)[0]
    plate = store.select("door_plates", where={"plate_uid": room["plate_uid"]})[0]
    name = next(n for n in store.select("place_names", where={"standard_name": plate["street_name"]})
                if n["status"] == "in_force")
    meanwhile = _Meanwhile(lambda: _rename(store, name["id"], "青城测试大街"))
    real = plan_module.allocate_serials

    def allocate_then_rename(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)     # the plan has read the plate's names by now
        meanwhile()
        return out

    monkeypatch.setattr(plan_module, "allocate_serials", allocate_then_rename)
    added = add_building(store, plate["plate_uid"], "88", actor="o")
    meanwhile.join()
    after = store.select("addresses", where={"address_uid": added["address_uid"]})[0]
    assert " 青城测试大街 " in after["standard_address"], after["standard_address"]
    assert plate["street_name"] not in after["standard_address"]


def test_f4_f2_f3_labels_and_import_rows_are_refused_by_field_and_nothing_stored(writable_sample_store: Store,
                                                                                 tmp_path):
    import openpyxl

    from geo.addresses.lifecycle import add_building, add_room, add_unit
    from geo.addresses.xlsx_import import import_addresses
    from geo.errors import Conflict

    store = writable_sample_store
    plate = next(p for p in store.select("door_plates", where={"status": "active"}, limit=200)
                 if not p["suffix"] and p["street_name"])
    building = add_building(store, plate["plate_uid"], "88", actor="o")
    unit = add_unit(store, building["address_uid"], "1", actor="o")
    room = add_room(store, unit["address_uid"], "101", actor="o")
    count = store.count("addresses")
    with pytest.raises(Conflict) as twin:                       # F4: 0101 is room 101 to a courier
        add_room(store, unit["address_uid"], "0101", actor="o")
    assert room["address_uid"] in twin.value.message and twin.value.field == "room"
    with pytest.raises(InputError) as mong:                     # F4: a Mongolian word is no room number
        add_room(store, unit["address_uid"], "ᠬᠣᠲᠠ", floor=5, actor="o")
    assert mong.value.message.startswith("AD-01：室号 room") and mong.value.field == "room"
    assert store.count("addresses") == count

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["街路巷", "门牌号", "楼号", "单元", "室号", "楼层"])
    street, number = plate["street_name"], str(plate["number"])
    sheet.append([street, number, "88号楼", "1单元", "102", None])                         # row 2: fine
    sheet.append([street, number, "88号楼", "2单元", '=HYPERLINK("http://x","y")', None])  # row 3: F2
    sheet.append([street, number, "=1+1", "1单元", "201", None])                          # row 4: F2
    sheet.append([street, "十一", "1号楼", "2单元", "201", None])                            # row 5: F3
    path = tmp_path / "dev.xlsx"
    book.save(path)
    with pytest.raises(InputError) as refused:
        import_addresses(store, path, actor="o")
    details = refused.value.details
    assert len(details) == 3, details
    assert details[0].startswith("第 3 行") and "室号 room 是公式" in details[0]
    assert details[1].startswith("第 4 行") and "楼号 building 是公式" in details[1]
    assert details[2].startswith("第 5 行") and "门牌号" in details[2] and "须为整数" in details[2] \
        and "十一" in details[2] and street in details[2]
    assert store.count("addresses") == count


def test_f5_a_character_without_a_glyph_is_refused_on_a_production_plate_only():
    from geo.addresses.glyphs import _covered
    from geo.addresses.printing import AddressPlate, plate_svg

    plate = AddressPlate(address_uid="150102A00000001", level="building", street_name="春晖路", number_text="12号",
                         sign_text="CHUNHUI LU 12", name_mong=MONG, building="\U00020000号楼", unit=None,
                         url=f"{PUBLIC}/a/ABC")
    with pytest.raises(InputError) as err:
        plate_svg(plate)
    assert "U+20000" in err.value.message and "楼号 building" in err.value.message and err.value.field == "building"
    assert "<svg" in plate_svg(plate, proof=True)
    if _covered() is not None:                # the plate font is on this machine: 𠀋 is in it
        assert "<svg" in plate_svg(AddressPlate(**{**vars(plate), "building": "\U0002000B号楼"}))


def test_f24_an_address_added_during_its_communitys_split_names_the_new_community(writable_sample_store: Store,
                                                                                  monkeypatch):
    import geo.addresses._plan as plan_module
    from geo.addresses.lifecycle import add_building
    from geo.divisions.changes import split_unit
    from tests.test_divisions import DECISION, _busy_community, _halves

    store = writable_sample_store
    old = _busy_community(store)
    plate = store.select("door_plates", where={"status": "active", "community_code": old["code"]}, limit=1)[0]
    west, east = _halves(old["geometry"])
    parts = [{"name": "锡林西社区", "geometry": west}, {"name": "锡林东社区", "geometry": east}]
    meanwhile = _Meanwhile(lambda: split_unit(store, old["code"], parts, expected_version=old["version"],
                                              decision=DECISION, actor="t-admin"))
    real = plan_module.allocate_serials

    def allocate_then_split(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)     # the plan has read the plate's community by now
        meanwhile()
        return out

    monkeypatch.setattr(plan_module, "allocate_serials", allocate_then_split)
    added = add_building(store, plate["plate_uid"], "88", actor="o")
    meanwhile.join()
    address = store.select("addresses", where={"address_uid": added["address_uid"]})[0]["standard_address"]
    assert old["name"] not in address and ("锡林西社区" in address or "锡林东社区" in address), address
