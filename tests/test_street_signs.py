"""Street name signs (路牌): the register's use cases on both backends, as an officer and an attacker would use them.

A small street built in code: 春晖路 runs due east from (111.70, 40.85) to (111.71, 40.85) (about
843 m), with 新华街 crossing it at its middle vertex. Side and arrow are checked by hand: a sign
north of an eastbound street stands on its left, its arrow points east.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
import shapely

from geo.errors import Conflict, Forbidden, InputError, NotFound, StaleVersion
from geo.placenames.lifecycle import rename
from geo.plates.codes import InvalidCode
from geo.signs import _uids
from geo.signs.printed import sign_signer, sign_texts
from geo.signs.register import inspect, install, remove, replace, report_damage
from geo.signs.replacement import replacement_queue
from geo.store import Store

MONG = "ᠴᠦᠨᠬᠦᠢ ᠵᠠᠮ"
DAY = date(2026, 6, 1)


def _name(store: Store, name: str, sign_text: str, *, status: str = "in_force", mong: str | None = None,
          adcode: str | None = None) -> int:
    (pid,) = store.insert("place_names", [{
        "standard_name": name, "feature_class": "street", "status": status, "sign_text": sign_text,
        "romanization": sign_text.title(), "name_mong": mong, "approval_date": date(2020, 5, 1),
        "meaning": "<b>取春光</b>之意 '\"><script>alert(1)</script>", "admin_code": "150102001000",
        "approval_authority": "呼和浩特市人民政府", "approval_doc_no": "呼政字〔2020〕1号",
        **({"adcode": adcode} if adcode else {})}], actor="setup")
    return pid


def _street(store: Store, name: str, coords, place_name_id: int | None, *, adcode: str | None = None) -> int:
    (sid,) = store.insert("streets", [{"name": name, "place_name_id": place_name_id,
                                       "geometry": shapely.LineString(coords),
                                       **({"adcode": adcode} if adcode else {})}], actor="setup")
    return sid


@pytest.fixture
def town(store: Store) -> dict[str, int]:
    """春晖路 (east–west, in force, with Mongolian) crossed by 新华街 (north–south) at a shared vertex."""
    chunhui = _name(store, "春晖路", "CHUNHUI LU", mong=MONG)
    xinhua = _name(store, "新华街", "XINHUA JIE")
    return {"chunhui": chunhui, "xinhua": xinhua,
            "chunhui_street": _street(store, "春晖路", [(111.70, 40.85), (111.705, 40.85), (111.71, 40.85)], chunhui),
            "xinhua_street": _street(store, "新华街", [(111.705, 40.845), (111.705, 40.85), (111.705, 40.855)],
                                     xinhua)}


NORTH_OF_CHUNHUI = shapely.Point(111.7020, 40.85010)   # about 11 m north of the centreline


def _install(store: Store, town, **kw):
    args = {"street_id": town["chunhui_street"], "position": NORTH_OF_CHUNHUI, "sign_type": "smart",
            "actor": "officer-li", "actor_adcodes": {store.adcode}, "today": DAY}
    return install(store, **{**args, **kw})


def test_install_shows_the_standard_name_and_takes_side_and_arrow_from_its_position(store: Store, town):
    sign = _install(store, town, number_from=1, number_to=99)
    assert sign["sign_uid"] == "S2222223" and len(sign["sign_uid"]) == 8   # serial 1 of the never-reused counter
    assert (sign["shows_name"], sign["shows_romanization"], sign["shows_mong"]) == ("春晖路", "CHUNHUI LU", MONG)
    assert (sign["side"], sign["direction"]) == ("left", "east")           # north of an eastbound street
    assert (sign["status"], sign["condition"], sign["installed_on"]) == ("active", "good", DAY)
    assert sign["place_name_id"] == town["chunhui"] and sign["version"] == 1
    (audit,) = store.audit_rows("street_signs", sign["id"])
    assert audit["action"] == "create" and audit["actor"] == "officer-li"
    south = _install(store, town, position=shapely.Point(111.708, 40.84990))
    assert (south["side"], south["direction"]) == ("right", "east")
    on_xinhua = _install(store, town, street_id=town["xinhua_street"], position=shapely.Point(111.70510, 40.8480))
    assert (on_xinhua["side"], on_xinhua["direction"], on_xinhua["shows_name"]) == ("right", "north", "新华街")


@pytest.mark.parametrize(("change", "error", "field", "words"), [
    ({"sign_type": "neon"}, InputError, "sign_type", "普通路牌"),
    ({"side": "middle"}, InputError, "side", "左侧"),
    ({"direction": "up"}, InputError, "direction", "向东"),
    ({"position": shapely.Point(111.702, 40.852)}, InputError, "lonlat", "米"),         # ~220 m off the street
    ({"shows_name": "春辉路"}, Conflict, "shows_name", "条例第十九条"),
    ({"shows_name": "<script>alert(1)</script>"}, Conflict, "shows_name", "标准名称"),
    ({"shows_romanization": "Chunhui Lu"}, Conflict, "shows_romanization", "SG-02"),
    ({"number_from": 99, "number_to": 1}, InputError, "number_from", "门牌号"),
    ({"number_from": 5}, InputError, "number_to", "门牌号"),
    ({"number_from": 0, "number_to": 3}, InputError, "number_from", "门牌号"),
    ({"installed_on": "2999-01-01"}, InputError, "installed_on", "不能晚于今天"),  # not 2030: it comes
    ({"installed_on": "1 May"}, InputError, "installed_on", "installed_on"),
    ({"remarks": "x" * 501}, InputError, "remarks", "500"),
    ({"remarks": "坏\x00了"}, InputError, "remarks", "remarks"),
    ({"street_id": 999_999}, NotFound, "street_id", "路段"),
    ({"actor_adcodes": {"150103"}}, Forbidden, "actor_adcodes", "150103"),
])
def test_a_refused_sign_names_field_and_rule_and_stores_nothing(store: Store, town, change, error, field, words):
    with pytest.raises(error) as err:
        _install(store, town, **change)
    assert err.value.field == field and words in err.value.message
    zh_half = err.value.message.split(" · ")[0]
    assert re.search(r"[\u4e00-\u9fff]", zh_half)   # Chinese first, English after " · "
    assert store.count("street_signs") == 0 and store.count("code_counters") == 0


def test_an_unnamed_road_or_another_districts_street_takes_no_sign(store: Store, town):
    proposed = _name(store, "规划路", "GUIHUA LU", status="proposed")
    new_road = _street(store, "规划路", [(111.70, 40.86), (111.71, 40.86)], proposed)
    bare = _street(store, "新建道路01", [(111.70, 40.87), (111.71, 40.87)], None)
    for street_id in (new_road, bare):
        with pytest.raises(Conflict) as err:
            lat = 40.87 if street_id == bare else 40.86
            _install(store, town, street_id=street_id, position=shapely.Point(111.705, lat))
        assert "条例第十九条" in err.value.message and "未命名道路" in err.value.message
    if store.dialect != "sqlite":  # PostGIS holds many districts; SQLite one (no other district's street there)
        neighbour = store.for_district("150103")
        theirs = _name(neighbour, "春晖路", "CHUNHUI LU")
        foreign = _street(neighbour, "春晖路", [(111.70, 40.85), (111.71, 40.85)], theirs)
        with pytest.raises(NotFound):   # another district's segment is answered as absent
            _install(store, town, street_id=foreign)
    assert store.count("street_signs") == 0


def test_sign_ids_are_never_reused(store: Store, town):
    first = _install(store, town)
    remove(store, first["sign_uid"], expected_version=1, actor="o", reason="道路拓宽 road widened", today=DAY)
    second = _install(store, town)
    assert [first["sign_uid"], second["sign_uid"]] == [_uids.encode(1), _uids.encode(2)]
    assert _uids.encode(31) == "S222222Z" and _uids.encode(32) == "S2222232"   # base 32 without 0, 1, I, O


def test_lifecycle_inspect_damage_replace_remove_with_versions(store: Store, town):
    sign = _install(store, town, number_from=1, number_to=99, direction="west", installed_on="2026-05-01")
    seen = inspect(store, sign["sign_uid"], expected_version=1, condition="faded", actor="o", today=DAY,
                   inspected_on="2026-05-20")
    assert (seen["condition"], seen["inspected_on"], seen["status"], seen["version"]) == (
        "faded", date(2026, 5, 20), "active", 2)
    with pytest.raises(StaleVersion):
        report_damage(store, sign["sign_uid"], expected_version=1, actor="o2", today=DAY)
    refused = [a for a in store.audit_rows("street_signs", sign["id"]) if a["action"] == "refused_stale_version"]
    assert len(refused) == 1 and refused[0]["actor"] == "o2"
    with pytest.raises(InputError) as err:
        inspect(store, sign["sign_uid"], expected_version=2, condition="good", actor="o", today=DAY,
                inspected_on="2026-04-30")   # installed 2026-05-01
    assert err.value.field == "inspected_on" and "设置日期" in err.value.message
    damaged = report_damage(store, sign["sign_uid"], expected_version=2, actor="o", today=DAY, condition="missing")
    assert (damaged["status"], damaged["condition"], damaged["damaged_on"]) == ("damaged", "missing", DAY)
    with pytest.raises(Conflict):
        report_damage(store, sign["sign_uid"], expected_version=3, actor="o", today=DAY)
    done = replace(store, sign["sign_uid"], expected_version=3, actor="o", today=DAY, sign_type="ordinary")
    old, new = done["old"], done["new"]
    assert (old["status"], old["replaced_on"], old["successor_sign_uid"]) == ("replaced", DAY, new["sign_uid"])
    assert new["sign_uid"] != old["sign_uid"] and new["status"] == "active" and new["sign_type"] == "ordinary"
    assert (new["number_from"], new["number_to"], new["direction"], new["side"]) == (1, 99, "west", "left")
    assert new["geometry"].equals(old["geometry"])
    with pytest.raises(Conflict) as err:   # history: a replaced sign takes no more steps
        inspect(store, old["sign_uid"], expected_version=old["version"], condition="good", actor="o", today=DAY)
    assert "已更换" in err.value.message and err.value.field == "status"
    with pytest.raises(InputError) as err:
        remove(store, new["sign_uid"], expected_version=1, actor="o", reason="  ", today=DAY)
    assert err.value.field == "reason"
    gone = remove(store, new["sign_uid"], expected_version=1, actor="o", reason="道路封闭 road closed", today=DAY)
    assert gone["status"] == "removed" and "道路封闭" in gone["remarks"]
    with pytest.raises(NotFound):
        inspect(store, "S9999999", expected_version=1, condition="good", actor="o", today=DAY)
    actions = [a["action"] for a in store.audit_rows("street_signs", sign["id"])]
    assert actions == ["create", "inspect", "refused_stale_version", "damage", "replace"]


def test_hostile_remarks_are_stored_as_text_and_rare_characters_pass(store: Store, town):
    hostile = "'\"></script><script>alert(1)</script> =HYPERLINK(\"http://x\",\"y\") 𠀋 ᠮᠣᠩᠭᠣᠯ"
    sign = _install(store, town, remarks=hostile)
    assert store.get("street_signs", sign["id"])["remarks"] == hostile
    rare = _name(store, "𠀋家巷", "XX JIA XIANG")
    lane = _street(store, "𠀋家巷", [(111.70, 40.853), (111.701, 40.853)], rare)
    on_lane = _install(store, town, street_id=lane, position=shapely.Point(111.7005, 40.8531))
    assert on_lane["shows_name"] == "𠀋家巷" and "𠀋家巷".encode("gb18030").decode("gb18030") == on_lane["shows_name"]


def test_a_rename_queues_the_streets_signs_and_their_text_can_no_longer_be_printed(store: Store, town):
    from geo.plates.codes import PlateSigner

    on_chunhui = [_install(store, town), _install(store, town, position=shapely.Point(111.708, 40.8499))]
    on_xinhua = _install(store, town, street_id=town["xinhua_street"], position=shapely.Point(111.7051, 40.848))
    removed = _install(store, town, position=shapely.Point(111.7030, 40.85010))
    remove(store, removed["sign_uid"], expected_version=1, actor="o", reason="移位 moved", today=DAY)
    name = store.get("place_names", town["chunhui"])
    rename(store, town["chunhui"], "春华路", expected_version=name["version"], actor="officer-wang",
           approval={"approval_authority": "呼和浩特市人民政府", "approval_doc_no": "呼政字〔2026〕30号",
                     "approval_date": "2026-06-01"}, justification="与邻区重名")
    status = {s["sign_uid"]: s["status"] for s in store.select("street_signs")}
    assert [status[s["sign_uid"]] for s in on_chunhui] == ["replacement_queued"] * 2
    assert status[on_xinhua["sign_uid"]] == "active" and status[removed["sign_uid"]] == "removed"
    queue = replacement_queue(store)
    assert [(q["sign_uid"], q["shows_name"], q["standard_name"]) for q in queue] == [
        (s["sign_uid"], "春晖路", "春华路") for s in on_chunhui]
    audit = store.audit_rows("street_signs", on_chunhui[0]["id"])[-1]
    assert audit["action"] == "rename_propagation" and audit["actor"] == "officer-wang" and "春华路" in audit["note"]
    signer = PlateSigner.from_setting("", fallback_secret="s" * 40)
    queued = store.select("street_signs", where={"sign_uid": on_chunhui[0]["sign_uid"]})
    with pytest.raises(Conflict) as err:
        sign_texts(store, queued, signer=signer, base_url="https://mp.xincheng.example")
    assert "春晖路" in err.value.message and "春华路" in err.value.message
    new = replace(store, on_chunhui[0]["sign_uid"], expected_version=queued[0]["version"], actor="o", today=DAY)["new"]
    assert (new["shows_name"], new["status"]) == ("春华路", "active")
    (printed,) = sign_texts(store, [new], signer=signer, base_url="https://mp.xincheng.example")
    code = printed.url.rsplit("/s/", 1)[1]
    assert printed.street_name == "春华路" and printed.url.startswith("https://mp.xincheng.example/s/")
    assert code != signer.code(new["sign_uid"])   # a plate's code for the same id is no sign code, and back
    with pytest.raises(InvalidCode):
        signer.verify(code)
    assert sign_signer(signer).verify(code) == new["sign_uid"]


def test_two_officers_installing_at_once_get_different_ids(store: Store, town):
    """Concurrent installs take turns on the counter: every id distinct, the counter at the count."""
    from concurrent.futures import ThreadPoolExecutor

    def put_up(k: int) -> str:
        return _install(store, town, actor=f"officer-{k}",   # one post each, about 59 m apart
                        position=shapely.Point(111.7005 + 0.0007 * k, 40.85010))["sign_uid"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        uids = list(pool.map(put_up, range(12)))
    assert len(set(uids)) == 12 and set(uids) == {_uids.encode(n) for n in range(1, 13)}
    (counter,) = store.select("code_counters", where={"scheme": "sign"})
    assert counter["last_serial"] == 12
