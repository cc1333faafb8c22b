"""Review 17, fourth pass on street signs, on both backends.

Finding 10: a sign's number range and arrow are checked against the active door plates along its street
(geo/signs/ranges.py): a range that does not exist there, one on the wrong side of the sign for its arrow,
one of a parity the street has not, or an arrow across the street is refused (4xx, nothing stored, the
message naming the field and what the plates say); a range slightly past the last plate is kept with a warning.
Finding 13: the junction check keeps junctions covered only by signs to replace apart, in its JSON answer and
on its page, with counts.

春晖路 runs due east from (111.70, 40.85) to (111.71, 40.85) (about 843 m), crossed by 新华街 at its middle
vertex; numbering starts at the west end, odd plates 1–87 on the north (left) side, even 2–88 on the south,
spread evenly from 111.7001 to 111.7095 (the last about 42 m before the end). 新华街 has odd plates 1–9 only.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import httpx
import pytest
import shapely

from geo.errors import Conflict, InputError
from geo.placenames.lifecycle import rename
from geo.signs.junctions import unsigned_junctions
from geo.signs.register import install, replace
from geo.store import Store
from tests.test_division_sign_pages import _post
from tests.test_officer_pages import _client

DAY = date(2026, 6, 1)
APPROVAL = {"approval_authority": "呼和浩特市人民政府", "approval_doc_no": "呼政字〔2026〕31号",
            "approval_date": "2026-06-01"}


def _name(store: Store, name: str, sign_text: str) -> int:
    (pid,) = store.insert("place_names", [{
        "standard_name": name, "feature_class": "street", "status": "in_force", "sign_text": sign_text,
        "romanization": sign_text.title(), "approval_date": date(2020, 5, 1), "admin_code": "150102001000",
        "meaning": "取春光之意", "name_mong": "ᠴᠦᠨᠬᠦᠢ ᠵᠠᠮ",
        "approval_authority": "呼和浩特市人民政府", "approval_doc_no": "呼政字〔2020〕1号"}], actor="setup")
    return pid


def _street(store: Store, name: str, coords, place_name_id: int) -> int:
    (sid,) = store.insert("streets", [{"name": name, "place_name_id": place_name_id,
                                       "geometry": shapely.LineString(coords)}], actor="setup")
    return sid


def _plates(store: Store, street: str, numbers: list[int], points: list[shapely.Point], prefix: str) -> None:
    store.insert("door_plates", [{"plate_uid": f"{prefix}{n:04d}", "street_name": street, "number": n,
                                  "status": "active", "geometry": p} for n, p in zip(numbers, points, strict=True)],
                 actor="setup")


def _town(store: Store, *, x0: float = 111.70, y0: float = 40.85, suffix: str = "") -> dict[str, Any]:
    """春晖路 with plates 1–88, 新华街 (north–south, crossing at the middle) with odd plates 1–9."""
    chunhui_name, xinhua_name = f"春晖{suffix}路", f"新华{suffix}街"
    chunhui, xinhua = _name(store, chunhui_name, "CHUNHUI LU"), _name(store, xinhua_name, "XINHUA JIE")
    town = {"chunhui": chunhui, "xinhua": xinhua, "x0": x0, "y0": y0,
            "chunhui_street": _street(store, chunhui_name, [(x0, y0), (x0 + 0.005, y0), (x0 + 0.01, y0)], chunhui),
            "xinhua_street": _street(store, xinhua_name, [(x0 + 0.005, y0 - 0.005), (x0 + 0.005, y0),
                                                          (x0 + 0.005, y0 + 0.005)], xinhua)}
    xs = [x0 + 0.0001 + k * 0.0094 / 43 for k in range(44)]
    code = "P" + (suffix or "T")
    _plates(store, chunhui_name, [2 * k + 1 for k in range(44)], [shapely.Point(x, y0 + 0.00008) for x in xs],
            code + "O")
    _plates(store, chunhui_name, [2 * k + 2 for k in range(44)], [shapely.Point(x, y0 - 0.00008) for x in xs],
            code + "E")
    _plates(store, xinhua_name, [1, 3, 5, 7, 9],
            [shapely.Point(x0 + 0.00492, y0 + 0.0005 + k * 0.0008) for k in range(5)], code + "X")
    return town


@pytest.fixture
def town(store: Store) -> dict[str, Any]:
    return _town(store)


def _install(store: Store, town: dict[str, Any], **kw: Any) -> dict[str, Any]:
    args = {"street_id": town["chunhui_street"], "position": shapely.Point(town["x0"] + 0.0002, town["y0"] + 0.0001),
            "sign_type": "ordinary", "actor": "officer-li", "actor_adcodes": {store.adcode}, "today": DAY}
    return install(store, **{**args, **kw})


def test_a_range_that_does_not_exist_on_the_street_is_refused_naming_what_the_plates_say(store: Store, town):
    with pytest.raises(Conflict) as err:
        _install(store, town, number_from=500, number_to=900, direction="east")
    assert err.value.field == "number_from" and err.value.status == 409
    assert "起始门牌号 number_from" in err.value.message and "500–900" in err.value.message
    assert "该方向（向东 east）门牌号为 1–88 号" in err.value.message
    assert store.count("street_signs") == 0


def test_a_range_past_the_street_left_is_refused_and_one_just_past_the_last_plate_is_a_warning(store: Store, town):
    with pytest.raises(Conflict) as err:
        _install(store, town, number_from=1, number_to=120)   # 7 numbers fit the 42 m left
    assert err.value.field == "number_to" and "该方向门牌号为 1–88 号" in err.value.message
    assert store.count("street_signs") == 0
    sign = _install(store, town, number_from=1, number_to=90)     # reserved for the few metres left
    assert (sign["number_from"], sign["number_to"], sign["direction"]) == (1, 90, "east")
    assert [w["rule"] for w in sign["warnings"]] == ["range_reserved"]
    assert sign["warnings"][0]["field"] == "number_to" and "88" in sign["warnings"][0]["message"]
    (row,) = store.audit_rows("street_signs", sign["id"])
    assert "提示" in row["note"] and "1–90" in row["note"]
    exact = _install(store, town, number_from=1, number_to=88,   # west of plate 1, 13 m from the first sign
                     position=shapely.Point(town["x0"] + 0.00005, town["y0"] + 0.0001))
    assert exact["warnings"] == []


def test_a_range_behind_the_sign_for_its_arrow_is_refused(store: Store, town):
    middle = shapely.Point(town["x0"] + 0.0052, town["y0"] + 0.0001)     # just east of the crossing
    with pytest.raises(Conflict) as err:   # the arrow points back west: numbers 60–88 stand behind it
        _install(store, town, position=middle, direction="west", number_from=60, number_to=88)
    assert err.value.field == "number_from" and "向西 west" in err.value.message and "背后" in err.value.message
    east = _install(store, town, position=middle, direction="east", number_from=60, number_to=88)
    assert east["direction"] == "east"
    west = _install(store, town, position=shapely.Point(town["x0"] + 0.0053, town["y0"] + 0.0001),
                    direction="west", number_from=1, number_to=45)   # its own post, 8 m on
    assert west["number_from"] == 1
    end = shapely.Point(town["x0"] + 0.00995, town["y0"] + 0.0001)
    with pytest.raises(Conflict) as err:   # at the east end pointing off the street: nothing ahead
        _install(store, town, position=end, direction="east", number_from=1, number_to=88)
    assert err.value.field == "direction" and "没有" in err.value.message
    assert store.count("street_signs") == 2


def test_an_arrow_across_the_street_and_a_parity_the_street_has_not_are_refused(store: Store, town):
    with pytest.raises(InputError) as err:
        _install(store, town, direction="north", number_from=1, number_to=88)
    assert err.value.field == "direction" and "箭头方向 direction" in err.value.message
    on_xinhua = {"street_id": town["xinhua_street"], "position": shapely.Point(town["x0"] + 0.00492,
                                                                               town["y0"] + 0.0002)}
    with pytest.raises(Conflict) as err:   # 新华街 has odd plates only
        _install(store, town, **on_xinhua, number_from=2, number_to=8)
    assert "单双号" in err.value.message and "双号" in err.value.message and "1–9" in err.value.message
    assert store.count("street_signs") == 0
    sign = _install(store, town, **on_xinhua, number_from=1, number_to=9)
    assert sign["direction"] == "north" and sign["warnings"] == []


def test_a_replacement_range_is_checked_and_a_street_without_plates_only_warns(store: Store, town):
    sign = _install(store, town, number_from=1, number_to=88)
    with pytest.raises(Conflict):
        replace(store, sign["sign_uid"], expected_version=sign["version"], actor="o", today=DAY,
                number_from=300, number_to=400)
    assert store.get("street_signs", sign["id"])["status"] == "active"
    bare = _street(store, "无牌路", [(111.70, 40.86), (111.71, 40.86)], _name(store, "无牌路", "WUPAI LU"))
    lone = _install(store, town, street_id=bare, position=shapely.Point(111.7002, 40.8601), number_from=1,
                    number_to=99)
    assert [w["rule"] for w in lone["warnings"]] == ["range_unchecked"]


def _rename(store: Store, place_id: int, new: str) -> None:
    version = store.get("place_names", place_id)["version"]
    rename(store, place_id, new, expected_version=version, actor="officer-wang", approval=APPROVAL,
           justification="测试")


def _signed_crossing(store: Store, town: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A sign of each street at the crossing; then 新华街 renamed, its sign queued for replacement."""
    x, y = town["x0"] + 0.005, town["y0"]
    chunhui = _install(store, town, position=shapely.Point(x - 0.0001, y + 0.00008))
    xinhua = _install(store, town, street_id=town["xinhua_street"], position=shapely.Point(x + 0.00008, y - 0.0001))
    _rename(store, town["xinhua"], store.get("place_names", town["xinhua"])["standard_name"][:-1] + "大街")
    return chunhui, xinhua


def test_a_junction_covered_only_by_a_sign_to_replace_is_listed_apart(store: Store, town):
    _, xinhua = _signed_crossing(store, town)
    check = unsigned_junctions(store)
    (item,) = [j for j in check["items"] if j["to_replace"]]
    assert item["to_replace"] == ["新华大街"] and item["without_sign"] == []
    (entry,) = item["missing"]
    assert entry["to_replace"] and entry["to_replace_signs"] == [xinhua["sign_uid"]]
    assert (check["junctions_to_replace"], check["junctions_to_replace_only"], check["streets_to_replace"]) == (1, 1, 1)
    assert check["junctions_without_sign"] == sum(1 for j in check["items"] if j["without_sign"])
    assert check["unsigned_junctions"] == check["junctions_without_sign"] + check["junctions_to_replace_only"]


def _auth(server: str) -> dict[str, str]:
    from tests.conftest import USERS

    name, password = USERS["placename_officer"]
    token = httpx.post(f"{server}/api/auth/login", json={"username": name, "password": password}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_the_api_the_form_and_the_junction_page_through_the_server(writable_server, writable_sample_store):
    store, base = writable_sample_store, writable_server
    town = _town(store, x0=111.60, y0=40.70, suffix="甲")
    officer = _auth(base)
    body = {"street_id": town["chunhui_street"], "lonlat": "111.6002,40.7001", "sign_type": "ordinary",
            "direction": "east", "number_from": 500, "number_to": 900}
    count = store.count("street_signs")
    refused = httpx.post(f"{base}/api/street-signs", json=body, headers=officer)
    assert refused.status_code == 409 and refused.json()["field"] == "number_from"
    assert "门牌号为 1–88 号" in refused.json()["message"] and store.count("street_signs") == count
    made = httpx.post(f"{base}/api/street-signs", json={**body, "number_from": 1, "number_to": 90}, headers=officer)
    assert made.status_code == 201 and [w["rule"] for w in made.json()["warnings"]] == ["range_reserved"]
    with _client(base) as page:
        form = {"street_id": str(town["chunhui_street"]), "lonlat": "111.60005,40.7001", "crs": "EPSG:4490",
                "sign_type": "ordinary", "direction": "east", "number_from": "500", "number_to": "900"}
        r = _post(page, "/officer/street-signs/register/install", "/officer/street-signs/register", form)
        assert r.status_code == 409 and "门牌号为 1–88 号" in r.text and "value='500'" in r.text
        assert store.count("street_signs") == count + 1
        # A warning is shown at once after the form stores the sign, not only in its history.
        stored = _post(page, "/officer/street-signs/register/install", "/officer/street-signs/register",
                       {**form, "number_from": "1", "number_to": "90"})
        shown = page.get(stored.headers["location"]) if stored.is_redirect else stored
        assert shown.status_code == 200 and "提示 warnings:" in shown.text and store.count("street_signs") == count + 2
        _signed_crossing(store, town)
        worklist = page.get("/officer/street-signs")
        assert worklist.status_code == 200
        section = worklist.text.split("id='to-replace'")[1].split("</table>")[0]
        assert "新华甲大街" in section and re.search(r"href='/officer/street-signs/S\w+'", section)
        assert "仅有待更换路牌的路口" in worklist.text
        without = worklist.text.split("id='without-sign'")[1].split("</table>")[0]
        assert "新华甲大街" not in without
    check = httpx.get(f"{base}/api/street-signs/junction-check", headers=officer, timeout=120).json()
    ours = [j for j in check["items"] if "新华甲大街" in j["to_replace"]]
    assert len(ours) == 1 and check["junctions_to_replace"] >= 1 and "streets_to_replace" in check


def test_the_cli_prints_a_signs_range_warnings_and_refuses_a_range_not_on_the_street(tmp_path):
    from tests.xincheng_cli import run

    db = tmp_path / "x.db"
    store = Store.open(f"sqlite:///{db}")
    store.migrate()
    town = _town(store)
    store.close()
    base = ["signs", "install", "--street-id", str(town["chunhui_street"]), "--lonlat", "111.7002,40.8501",
            "--type", "ordinary", "--direction", "east"]
    refused = run(*base, "--from", "500", "--to", "900", db=db)
    assert refused.returncode != 0 and "门牌号为 1–88 号" in refused.stderr, (refused.stdout, refused.stderr)
    warned = run(*base, "--from", "1", "--to", "90", db=db)
    assert warned.returncode == 0, warned.stderr
    assert "提示 warning:" in warned.stderr and warned.stdout.strip()
