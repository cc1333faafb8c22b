"""Review 17, fifth pass on street signs, on both backends.

1. The same sign posted twice (a double-posted form, ten officers at once) is one sign: a second standing sign
   of the same street on the same side within SAME_SPOT_M is refused (409) naming the sign already there.
2. A sign's side is the side its position is on (as door plates read it, from where numbering starts), on
   install and on replace; a typed side that contradicts the position is refused naming the field.
3. A sign cannot be installed before the name it shows was approved.
4. The refusal for an unnamed segment quotes its name once.

The town is that of tests/test_review17_fourth_signs.py: 春晖路 due east from (x0, y0), numbering from the
west end, odd plates on the north (left) side.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import httpx
import pytest
import shapely

from geo.errors import Conflict, DomainError, InputError
from geo.signs.register import install, remove, replace
from geo.signs.siting import SAME_SPOT_M
from geo.store import Store
from tests.test_review17_fourth_signs import DAY, _auth, _install, _name, _street, _town

METRE = 1 / 84_300   # degrees of longitude per metre at 40.85° N, near enough for test spacing


@pytest.fixture
def town(store: Store) -> dict[str, Any]:
    return _town(store)


def _at(town: dict[str, Any], east_m: float, north_m: float = 11.0) -> shapely.Point:
    return shapely.Point(town["x0"] + 0.0002 + east_m * METRE, town["y0"] + north_m / 111_000)


def test_the_same_sign_twice_is_refused_naming_the_sign_already_there(store: Store, town):
    first = _install(store, town)
    with pytest.raises(Conflict) as err:
        _install(store, town)
    assert err.value.status == 409 and err.value.field == "lonlat"
    assert err.value.message.startswith("该处已有路牌") and first["sign_uid"] in err.value.message
    with pytest.raises(Conflict):   # a few metres off is the same post read twice
        _install(store, town, position=_at(town, SAME_SPOT_M - 2))
    assert store.count("street_signs") == 1
    across = _install(store, town, position=_at(town, 0, -11))   # the other side of the street
    along = _install(store, town, position=_at(town, SAME_SPOT_M + 5))
    assert (across["side"], along["side"]) == ("right", "left") and store.count("street_signs") == 3


def test_a_removed_or_replaced_sign_does_not_hold_its_spot(store: Store, town):
    first = _install(store, town)
    remove(store, first["sign_uid"], expected_version=1, actor="o", reason="移位 moved", today=DAY)
    again = _install(store, town)
    new = replace(store, again["sign_uid"], expected_version=1, actor="o", today=DAY)["new"]   # in place
    assert new["geometry"].equals(again["geometry"]) and new["status"] == "active"
    with pytest.raises(Conflict) as err:   # but the successor holds it
        _install(store, town)
    assert new["sign_uid"] in err.value.message
    other = _install(store, town, position=_at(town, 30))
    with pytest.raises(Conflict) as err:   # a replacement moved onto another standing sign's spot
        replace(store, other["sign_uid"], expected_version=1, actor="o", today=DAY, position=_at(town, 1))
    assert new["sign_uid"] in err.value.message
    assert store.get("street_signs", other["id"])["status"] == "active"


def test_ten_officers_posting_the_same_sign_at_once_store_one(store: Store, town):
    def put_up(k: int) -> str:
        try:
            return _install(store, town, actor=f"officer-{k}")["sign_uid"]
        except DomainError as exc:
            return f"{exc.status}:{exc.field}"

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(put_up, range(10)))
    made = [a for a in answers if a.startswith("S")]
    assert len(made) == 1 and sorted(set(answers) - set(made)) == ["409:lonlat"], answers
    assert store.count("street_signs") == 1


def test_the_side_is_read_from_the_position_and_a_contradicting_side_is_refused(store: Store, town):
    with pytest.raises(InputError) as err:
        _install(store, town, side="right")   # the default position is north of the street: left
    assert err.value.field == "side" and err.value.message.startswith("所在侧 side")
    assert "左侧 left" in err.value.message and store.count("street_signs") == 0
    assert _install(store, town, side="left")["side"] == "left"


def test_install_and_replace_read_the_side_from_where_numbering_starts(store: Store):
    """A street drawn west to east but numbered from its east end has its left side to the south."""
    pid = _name(store, "倒序路", "DAOXU LU")
    (sid,) = store.insert("streets", [{"name": "倒序路", "place_name_id": pid, "numbering_start": "end",
                                       "geometry": shapely.LineString([(111.80, 40.85), (111.81, 40.85)])}],
                          actor="setup")
    north = {"street_id": sid, "position": shapely.Point(111.802, 40.8501), "sign_type": "ordinary",
             "actor": "o", "today": DAY}
    sign = install(store, **north)
    assert sign["side"] == "right"
    with pytest.raises(InputError) as err:
        install(store, **{**north, "position": shapely.Point(111.805, 40.8501), "side": "left"})
    assert err.value.field == "side"
    new = replace(store, sign["sign_uid"], expected_version=1, actor="o", today=DAY,
                  position=shapely.Point(111.803, 40.8499))["new"]
    assert new["side"] == "left"


def test_a_sign_cannot_be_installed_before_its_name_was_approved(store: Store):
    today = date(2026, 12, 3)
    pid = _name(store, "新批路", "XINPI LU")
    store.update("place_names", pid, {"approval_date": date(2026, 12, 2)}, expected_version=1, actor="setup")
    sid = _street(store, "新批路", [(111.80, 40.86), (111.81, 40.86)], pid)
    args = {"street_id": sid, "sign_type": "smart", "actor": "o", "today": today}
    for day in ("1900-01-01", "2026-12-01"):
        with pytest.raises(InputError) as err:
            install(store, **args, position=shapely.Point(111.802, 40.8601), installed_on=day)
        assert err.value.field == "installed_on" and err.value.message.startswith("设置日期 installed_on")
        assert "2026-12-02" in err.value.message and day in err.value.message
    assert store.count("street_signs") == 0
    made = install(store, **args, position=shapely.Point(111.802, 40.8601), installed_on="2026-12-02")
    assert made["installed_on"] == date(2026, 12, 2)
    store.update("place_names", pid, {"approval_date": None}, expected_version=2, actor="setup")
    old = install(store, **args, position=shapely.Point(111.806, 40.8601), installed_on="1990-01-01")
    assert old["installed_on"] == date(1990, 1, 1)   # no approval date recorded: nothing to check against


def test_an_unnamed_segment_is_quoted_once(store: Store):
    sid = _street(store, "规划纬一路", [(111.80, 40.87), (111.81, 40.87)], None)
    with pytest.raises(Conflict) as err:
        install(store, street_id=sid, position=shapely.Point(111.802, 40.8701), sign_type="ordinary",
                actor="o", today=DAY)
    assert "「规划纬一路」" in err.value.message and "「「" not in err.value.message


def test_the_api_refuses_the_second_post_of_the_same_sign(writable_server, writable_sample_store):
    store, base = writable_sample_store, writable_server
    town = _town(store, x0=111.62, y0=40.72, suffix="乙")
    officer = _auth(base)
    body = {"street_id": town["chunhui_street"], "lonlat": "111.6203,40.7201", "sign_type": "smart"}
    made = httpx.post(f"{base}/api/street-signs", json=body, headers=officer)
    assert made.status_code == 201, made.text
    again = httpx.post(f"{base}/api/street-signs", json=body, headers=officer)
    assert again.status_code == 409 and again.json()["field"] == "lonlat"
    assert made.json()["sign_uid"] in again.json()["message"]
    wrong = httpx.post(f"{base}/api/street-signs", json={**body, "lonlat": "111.6210,40.7201", "side": "right"},
                       headers=officer)
    assert wrong.status_code == 400 and wrong.json()["field"] == "side"
