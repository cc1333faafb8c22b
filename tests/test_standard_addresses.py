"""Standard addresses below the plate (#17 item 1): rules, use cases, refresh, import, sample, matching.

Store tests run on SQLite and PostGIS (fixtures in tests/conftest.py).
"""

from __future__ import annotations

import openpyxl
import pytest

from geo.addresses import (
    add_building,
    add_room,
    add_unit,
    edit_address,
    import_addresses,
    plate_tree,
    retire_address,
    with_chain,
)
from geo.addresses.codes import InvalidAddressCode, address_code, token_of, verify_address_code
from geo.addresses.rules import check_floor, clean_label, floor_of_room
from geo.addresses.standard import PlateContext, romanized_address, standard_address
from geo.errors import Conflict, Forbidden, InputError, NotFound, StaleVersion
from geo.placenames.lifecycle import rename
from geo.plates.address_match import load_address_matcher
from geo.plates.codes import PlateSigner
from geo.store import Store
from geo.types import beijing_today

CTX = PlateContext(plate_uid="XCV87EZX", adcode="150102", status="active", street_name="兴安北路",
                   street_pinyin="Xīng'ān Běilù", street_mong=None, number=12, suffix="", community="东风社区",
                   community_mong=None, subdistrict="海拉尔东路街道")


# -- pure rules -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("level", "typed", "stored"), [
    ("building", "3", "3号楼"), ("building", "3号", "3号楼"), ("building", "３幢", "3幢"), ("building", "A座", "A座"),
    ("building", "综合楼", "综合楼"), ("building", "𠀋楼", "𠀋楼"), ("unit", "2", "2单元"),
    ("unit", "东单元", "东单元"),
    ("room", "302", "302室"), ("room", "b102", "B102室"), ("room", " 1201室 ", "1201室"),
])
def test_labels_get_their_standard_form(level, typed, stored):
    assert clean_label(level, typed) == stored


@pytest.mark.parametrize("hostile", ["<img src=x onerror=alert(1)>", "'\"></script>", "${alert(1)}",
                                     "=HYPERLINK(\"http://x\",\"y\")", "3\x00", "", "   ", "号" * 25])
def test_hostile_or_empty_labels_are_refused_naming_the_field_and_rule(hostile):
    with pytest.raises(InputError) as err:
        clean_label("building", hostile)
    assert err.value.field == "building" and err.value.message.startswith("AD-01")
    assert "\x00" not in err.value.message


def test_room_floor_comes_from_its_number_and_must_agree():
    assert (floor_of_room("302室"), floor_of_room("1201室"), floor_of_room("B102室")) == (3, 12, -1)
    assert floor_of_room("12室") is None and floor_of_room("300室") is None  # no room 00
    assert check_floor("302室", None) == 3 and check_floor("302室", "3") == 3
    with pytest.raises(InputError) as err:
        check_floor("302室", 4)
    assert err.value.field == "floor" and err.value.message.startswith("AD-03") and "3 层" in err.value.message
    with pytest.raises(InputError, match="AD-03"):
        check_floor("门卫室", None)  # not numbered floor + two digits: the floor must be given
    assert check_floor("门卫室", 1) == 1
    for bad in (0, 100, "2.5", "三"):
        with pytest.raises(InputError, match="AD-03"):
            check_floor("门卫室", bad)


def test_standard_address_and_its_romanized_form_by_hand():
    labels = ["3号楼", "2单元", "302室"]
    assert standard_address(CTX, labels) == \
        "内蒙古自治区呼和浩特市新城区海拉尔东路街道东风社区 兴安北路 12号 3号楼 2单元 302室"
    rom = romanized_address(CTX, labels)
    assert rom.endswith("Xīng'ān Běilù 12 Hào 3 Hào Lóu 2 Dānyuán 302 Shì") and rom.startswith("Nèiménggǔ")


def test_tokens_never_repeat_and_address_codes_are_not_plate_codes():
    tokens = [token_of(n) for n in range(1, 20_001)]
    assert len(set(tokens)) == len(tokens) and all(len(t) == 8 for t in tokens)
    assert tokens[0] != "22222223"  # not the serial written out: opaque
    signer = PlateSigner.from_setting("", fallback_secret="s" * 40)
    code = address_code(signer, tokens[41])
    assert verify_address_code(signer, code) == tokens[41]
    with pytest.raises(InvalidAddressCode):
        verify_address_code(signer, signer.code("XCV87EZX"))  # a plate's code is no address code
    with pytest.raises(InvalidAddressCode):
        verify_address_code(signer, code[:-1] + ("A" if code[-1] != "A" else "B"))
    other = PlateSigner.from_setting("", fallback_secret="t" * 40)
    with pytest.raises(InvalidAddressCode):
        verify_address_code(other, code)


# -- use cases on both backends ---------------------------------------------------------------------

def _free_plate(store: Store) -> dict:
    """An active plate of the sample with no addresses below it yet."""
    used = {a["plate_uid"] for a in store.select("addresses")}
    return next(p for p in store.select("door_plates", where={"status": "active"}, limit=200)
                if p["plate_uid"] not in used)


def test_add_building_unit_room_with_lifetime_ids_and_parent_chain(writable_sample_store: Store):
    store = writable_sample_store
    plate = _free_plate(store)
    before = store.count("addresses")
    b = add_building(store, plate["plate_uid"], "3", actor="officer")
    u = add_unit(store, b["address_uid"], "2", actor="officer")
    r = add_room(store, u["address_uid"], "302", actor="officer")
    assert (b["building"], u["unit"], r["room"], r["floor"]) == ("3号楼", "2单元", "302室", 3)
    assert b["address_uid"].startswith("150102A") and len({b["address_uid"], u["address_uid"], r["address_uid"]}) == 3
    assert r["standard_address"].endswith(f"{plate['street_name']} {plate['number']}号 3号楼 2单元 302室")
    assert r["parent_uid"] == u["address_uid"] and u["parent_uid"] == b["address_uid"] and b["parent_uid"] is None
    chain = with_chain(store, r)["parents"]
    assert [p["level"] for p in chain] == ["plate", "building", "unit"]
    assert store.count("addresses") == before + 3
    assert len(store.audit_rows("addresses", r["id"])) == 1
    tree = plate_tree(store, plate["plate_uid"])
    assert tree["counts"] == {"building": 1, "unit": 1, "room": 1}
    assert tree["buildings"][0]["children"][0]["children"][0]["room"] == "302室"


def test_bad_additions_are_refused_and_store_nothing(writable_sample_store: Store):
    store = writable_sample_store
    plate = _free_plate(store)
    b = add_building(store, plate["plate_uid"], "1号楼", actor="officer")
    u = add_unit(store, b["address_uid"], "1", actor="officer")
    add_room(store, u["address_uid"], "101", actor="officer")
    count = store.count("addresses")
    cases = [
        (lambda: add_building(store, plate["plate_uid"], "1", actor="o"), Conflict, "building", "AD-02"),
        (lambda: add_building(store, plate["plate_uid"], "1号楼", actor="o"), Conflict, "building", "AD-02"),
        (lambda: add_building(store, plate["plate_uid"], "1幢", actor="o"), Conflict, "building", "AD-02"),
        (lambda: add_unit(store, b["address_uid"], "1单元", actor="o"), Conflict, "unit", "AD-02"),
        (lambda: add_room(store, u["address_uid"], "101室", actor="o"), Conflict, "room", "AD-02"),
        (lambda: add_room(store, u["address_uid"], "302", floor=4, actor="o"), InputError, "floor", "AD-03"),
        (lambda: add_room(store, b["address_uid"], "201", actor="o"), Conflict, "parent_uid", "AD-04"),
        (lambda: add_unit(store, u["address_uid"], "3", actor="o"), InputError, "parent_uid", "AD-04"),
        (lambda: add_room(store, "150102A99999999", "101", actor="o"), NotFound, "parent_uid", "AD-04"),
        (lambda: add_building(store, "NOSUCHPL", "2", actor="o"), NotFound, "plate_uid", "AD-05"),
        (lambda: add_building(store, plate["plate_uid"], "<script>", actor="o"), InputError, "building", "AD-01"),
    ]
    for call, kind, field, rule in cases:
        with pytest.raises(kind) as err:
            call()
        assert err.value.field == field and err.value.message.startswith(rule), err.value.message
    assert store.count("addresses") == count


def test_another_districts_plate_and_a_revoked_plate_take_no_addresses(writable_sample_store: Store):
    store = writable_sample_store
    plate = _free_plate(store)
    row = {"plate_uid": "XY23ABCD", "street_name": plate["street_name"], "number": 9999, "status": "active"}
    if store.dialect == "sqlite":  # SQLite holds one district: another's plate cannot even be stored
        with pytest.raises(Forbidden):
            store.insert("door_plates", [{**row, "adcode": "150103"}], actor="t")
    else:  # PostGIS holds many: 150103's plate is there, and 新城区's use cases do not see it
        assert store.for_district("150103").insert("door_plates", [row], actor="t")
    with pytest.raises(NotFound) as err:
        add_building(store, "XY23ABCD", "1", actor="o")
    expected = "AD-05" if store.dialect == "sqlite" else "150102"  # no such plate here / another district's
    assert expected in err.value.message and err.value.field == "plate_uid"
    store.update("door_plates", plate["id"], {"status": "revoked"}, expected_version=plate["version"], actor="t")
    with pytest.raises(Conflict, match="AD-05"):
        add_building(store, plate["plate_uid"], "1", actor="o")


def test_renumbering_moves_the_subtree_and_a_stale_version_is_refused(writable_sample_store: Store):
    store = writable_sample_store
    plate = _free_plate(store)
    b = add_building(store, plate["plate_uid"], "5", actor="o")
    u = add_unit(store, b["address_uid"], "1", actor="o")
    r = add_room(store, u["address_uid"], "601", actor="o")
    after = edit_address(store, b["address_uid"], {"building": "6"}, expected_version=1, actor="o")
    assert after["building"] == "6号楼" and after["version"] == 2
    room = with_chain(store, store.get("addresses", r["id"]))
    assert room["building"] == "6号楼" and " 6号楼 1单元 601室" in room["standard_address"]
    assert room["address_uid"] == r["address_uid"]  # the id never changes
    with pytest.raises(StaleVersion):
        edit_address(store, b["address_uid"], {"building": "7"}, expected_version=1, actor="o")
    assert store.audit_rows("addresses", b["id"])[-1]["action"] == "refused_stale_version"
    with pytest.raises(InputError) as err:
        edit_address(store, r["address_uid"], {"building": "9"}, expected_version=r["version"] + 1, actor="o")
    assert err.value.field == "building"
    moved = edit_address(store, r["address_uid"], {"room": "702"}, expected_version=2, actor="o")
    assert (moved["room"], moved["floor"]) == ("702室", 7)


def test_retiring_needs_the_children_gone_or_with_it_and_ids_are_never_reused(writable_sample_store: Store):
    store = writable_sample_store
    plate = _free_plate(store)
    b = add_building(store, plate["plate_uid"], "8", actor="o")
    u = add_unit(store, b["address_uid"], "1", actor="o")
    add_room(store, u["address_uid"], "101", actor="o")
    with pytest.raises(Conflict) as err:
        retire_address(store, b["address_uid"], reason="拆除", expected_version=1, actor="o")
    assert err.value.field == "with_children" and err.value.message.startswith("AD-06")
    with pytest.raises(InputError):
        retire_address(store, b["address_uid"], reason=" ", expected_version=1, actor="o")
    before = beijing_today()
    retired = retire_address(store, b["address_uid"], reason="拆除 demolished", expected_version=1, actor="o",
                             with_children=True)
    assert len(retired) == 3 and {r["status"] for r in retired} == {"retired"}
    assert {r["retired_on"] for r in retired} <= {before, beijing_today()}  # the code's day, read in between
    with pytest.raises(Conflict):
        add_unit(store, b["address_uid"], "2", actor="o")  # nothing goes below a retired address
    again = add_building(store, plate["plate_uid"], "8", actor="o")  # rebuilt: same label, new id
    assert again["address_uid"] > max(r["address_uid"] for r in retired)
    assert store.select("addresses", where={"address_uid": b["address_uid"]})[0]["status"] == "retired"


def test_a_street_rename_rewrites_the_standard_addresses_below_its_plates(writable_sample_store: Store):
    store = writable_sample_store
    room = store.select("addresses", where={"level": "room"}, limit=1)[0]
    plate = store.select("door_plates", where={"plate_uid": room["plate_uid"]})[0]
    name = next(n for n in store.select("place_names", where={"standard_name": plate["street_name"]})
                if n["status"] == "in_force")
    rename(store, name["id"], "青城测试大街", expected_version=name["version"], actor="o",
           approval={"approval_authority": "呼和浩特市人民政府", "approval_doc_no": "呼政发〔2026〕1号",
                     "approval_date": "2026-11-01"}, justification="测试")
    after = store.select("addresses", where={"address_uid": room["address_uid"]})[0]
    assert " 青城测试大街 " in after["standard_address"] and plate["street_name"] not in after["standard_address"]
    assert "Qīngchéng" in after["romanized"] and after["qr_token"] == room["qr_token"]
    assert store.audit_rows("addresses", after["id"])[-1]["action"] == "readdress"


# -- import -----------------------------------------------------------------------------------------

def _xlsx(path, header, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_import_stores_a_developers_room_list_with_chinese_headers(writable_sample_store: Store, tmp_path):
    store = writable_sample_store
    plate = _free_plate(store)
    uid = plate["plate_uid"]
    rows = [[uid, "1", "1", "101", None], [uid, "1", "1", "102", ""], [uid, "1", "2", "101", None],
            [uid, "𠀋楼", None, "门卫室", 1], [None, None, None, None, None],
            [None, "2", None, None, None]]
    rows[-1][0] = uid
    path = _xlsx(tmp_path / "开发商.xlsx", ["门牌编号", "楼号", "单元", "室号", "楼层"], rows)
    result = import_addresses(store, path, actor="o")
    assert result == {"imported": 9, "building": 3, "unit": 2, "room": 4}
    tree = plate_tree(store, uid)
    assert tree["counts"] == {"building": 3, "unit": 2, "room": 4}
    gate = store.select("addresses", where={"plate_uid": uid, "room": "门卫室"})[0]
    assert gate["floor"] == 1 and gate["parent_uid"] is not None and " 𠀋楼 门卫室" in gate["standard_address"]


def test_import_refuses_the_whole_file_listing_every_bad_row(writable_sample_store: Store, tmp_path):
    store = writable_sample_store
    plate = _free_plate(store)
    uid = plate["plate_uid"]
    rows = [[plate["street_name"], plate["number"], "1", "1", "101", None],
            [plate["street_name"], plate["number"], "1", "1", "101", None],      # row 3: duplicate of row 2
            [plate["street_name"], plate["number"], "1", "1", "302", 4],         # row 4: floor
            [plate["street_name"], 99999, "1", "1", "101", None],                # row 5: no such plate
            [plate["street_name"], plate["number"], "<b>x</b>", None, None, None],  # row 6: hostile
            [plate["street_name"], plate["number"], "x" * 5000, None, None, None]]  # row 7: huge cell
    path = _xlsx(tmp_path / "bad.xlsx", ["街路巷", "门牌号", "楼号", "单元号", "房号", "楼层"], rows)
    before = store.count("addresses")
    with pytest.raises(InputError) as err:
        import_addresses(store, path, actor="o")
    details = err.value.details
    assert [d.split("：")[0] for d in details] == ["第 3 行", "第 4 行", "第 5 行", "第 6 行", "第 7 行"]
    assert "AD-02" in details[0] and "第 2 行" in details[0] and "AD-03" in details[1] and "AD-05" in details[2]
    assert "AD-01" in details[3] and "AD-01" in details[4] and len(details[4]) < 300
    assert err.value.message.startswith("导入未完成") and store.count("addresses") == before
    assert not store.select("addresses", where={"plate_uid": uid})


def test_import_reads_a_gb18030_csv_and_refuses_a_file_without_its_columns(writable_sample_store: Store, tmp_path):
    store = writable_sample_store
    uid = _free_plate(store)["plate_uid"]
    csv = tmp_path / "rooms.csv"
    csv.write_bytes(f"门牌编号,楼号,单元,室号\n{uid},7,1,101\n{uid},7,1,102\n".encode("gb18030"))
    assert import_addresses(store, csv, actor="o")["room"] == 2
    with pytest.raises(InputError) as err:
        import_addresses(store, _xlsx(tmp_path / "x.xlsx", ["名称", "备注"], [["a", "b"]]), actor="o")
    assert err.value.field == "file" and "楼号" in err.value.message
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(InputError):
        import_addresses(store, broken, actor="o")
    for name, content in (("empty.csv", b""), ("blank.csv", b"\n\n"), ("nul.csv", "门牌编号,楼号\n\x00,1\n".encode())):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(InputError):  # refused, never a server error
            import_addresses(store, tmp_path / name, actor="o")


# -- the sample and address cleaning ----------------------------------------------------------------

def test_the_sample_holds_realistic_estates(sample_store: Store):
    rows = sample_store.select("addresses")
    by_uid = {r["address_uid"]: r for r in rows}
    levels = {lv: [r for r in rows if r["level"] == lv] for lv in ("building", "unit", "room")}
    assert 5 <= len({r["plate_uid"] for r in rows}) <= 8 and len(levels["building"]) >= 10
    assert len(by_uid) == len(rows) and len({r["qr_token"] for r in rows}) == len(rows)
    for room in levels["room"]:
        assert room["floor"] == floor_of_room(room["room"]) and 1 <= room["floor"] <= 18
        assert by_uid[room["parent_uid"]]["level"] in ("unit", "building")
    for unit in levels["unit"]:
        assert by_uid[unit["parent_uid"]]["level"] == "building"
    assert all(r["standard_address"].startswith("内蒙古自治区呼和浩特市新城区") for r in rows)


def test_address_cleaning_reaches_the_deepest_level_and_grades_it(sample_store: Store):
    matcher = load_address_matcher(sample_store)
    room = next(r for r in sample_store.select("addresses", where={"level": "room"}) if r["unit"])
    plate = sample_store.select("door_plates", where={"plate_uid": room["plate_uid"]})[0]
    head = f"新城区{plate['street_name']}{plate['number']}号"
    full = matcher.match(f"{head}{room['building']}{room['unit']}{room['room']}")
    assert (full.grade, full.level, full.address_grade, full.unmatched) == ("exact", "room", "exact", [])
    assert full.address["address_uid"] == room["address_uid"]
    b, u = room["building"].removesuffix("号楼"), room["unit"].removesuffix("单元")
    short = matcher.match(f"{head}{b}-{u}-{room['room'].removesuffix('室')}")
    assert short.level == "room" and short.address["address_uid"] == room["address_uid"]
    wrong_unit = matcher.match(f"{head}{room['building']}9单元101室")
    assert (wrong_unit.level, wrong_unit.address_grade, wrong_unit.unmatched) == ("building", "partial",
                                                                                  ["9单元", "101室"])
    plate_only = matcher.match(head)
    assert (plate_only.level, plate_only.address_grade, plate_only.address) == ("plate", "exact", None)
    assert matcher.match("不存在的路1号").level is None


def test_the_plate_constants_repeated_in_the_domain_layer_stay_equal():
    from geo.addresses import codes as acodes
    from geo.addresses import standard
    from geo.plates import codes, lookup, rules

    assert (standard.PROVINCE_CITY, standard.DISTRICT) == (lookup.PROVINCE_CITY, lookup.DISTRICT)
    for number, suffix in ((12, ""), (12, "1"), (7, "甲"), (3, None)):
        assert standard.number_text(number, suffix) == lookup.number_text(number, suffix)
    assert (acodes.PLATE_UID_ALPHABET, acodes.SIG_LENGTH) == (rules.PLATE_UID_ALPHABET, codes.SIG_LENGTH)


def test_an_xlsx_that_unpacks_too_far_is_refused_before_it_is_read(store: Store, tmp_path, monkeypatch):
    from geo.addresses import xlsx_import

    path = _xlsx(tmp_path / "big.xlsx", ["门牌编号", "楼号"], [["XCV87EZX", "1"]] * 50)
    monkeypatch.setattr(xlsx_import, "MAX_UNZIPPED_BYTES", 1_000)
    with pytest.raises(InputError) as err:
        import_addresses(store, path, actor="o")
    assert err.value.field == "file" and "MB" in err.value.message


def test_two_officers_adding_the_same_building_at_once_store_it_once(writable_sample_store: Store):
    import threading

    store = writable_sample_store
    plate = _free_plate(store)
    barrier, results = threading.Barrier(2), []

    def add() -> None:
        barrier.wait()
        try:
            add_building(store, plate["plate_uid"], "1", actor="o")
            results.append("stored")
        except Conflict:
            results.append("refused")

    threads = [threading.Thread(target=add) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == ["refused", "stored"]
    assert store.count("addresses", where={"plate_uid": plate["plate_uid"]}) == 1


def test_a_sheet_with_too_many_rows_is_refused_whole(store: Store, tmp_path, monkeypatch):
    from geo.addresses import xlsx_import

    monkeypatch.setattr(xlsx_import, "MAX_ROWS", 2)
    path = _xlsx(tmp_path / "many.xlsx", ["门牌编号", "楼号"], [["XCV87EZX", str(n)] for n in range(3)])
    with pytest.raises(InputError) as err:
        import_addresses(store, path, actor="o")
    assert err.value.field == "file" and "分批" in err.value.message
