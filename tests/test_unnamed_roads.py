"""The unnamed-roads worklist (#17 item 3) and the junction check for street signs, on both backends.

Lengths by hand: 0.01° of longitude at 40.87° N on CGCS2000 is N·cosφ·π/180·0.01 = 6 387 284 m ×
0.75626 × 0.000174533 ≈ 843.1 m; Gauss-Krüger scale 0.7° from CM 111° E adds 4·10⁻⁵ (0.04 m).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import shapely

from geo.errors import InputError
from geo.signs.junctions import unsigned_junctions
from geo.signs.register import install
from geo.signs.unnamed import unnamed_roads
from geo.store import Store


def _name(store: Store, name: str, *, status: str = "in_force") -> int:
    (pid,) = store.insert("place_names", [{"standard_name": name, "feature_class": "street", "status": status,
                                            "sign_text": name}], actor="setup")
    return pid


def _street(store: Store, name: str, coords, place_name_id: int | None, **extra) -> int:
    (sid,) = store.insert("streets", [{"name": name, "place_name_id": place_name_id,
                                       "geometry": shapely.LineString(coords), **extra}], actor="setup")
    return sid


@pytest.fixture
def roads(store: Store) -> dict[str, int]:
    """春晖路 (east–west) and 新华街 (north–south) share a vertex; new roads north of them, one a bridge."""
    store.insert("admin_units", [
        {"code": "150102001000", "name": "海拉尔东路街道", "level": "subdistrict",
         "geometry": shapely.box(111.69, 40.84, 111.73, 40.89)},
        {"code": "150102001001", "name": "<i>锡林</i>社区", "level": "community", "parent_code": "150102001000",
         "geometry": shapely.box(111.69, 40.865, 111.73, 40.89)}], actor="setup")
    chunhui, xinhua = _name(store, "春晖路"), _name(store, "新华街")
    proposed = _name(store, "敕勒川路", status="proposed")
    ids = {"chunhui": _street(store, "春晖路", [(111.70, 40.85), (111.705, 40.85), (111.71, 40.85)], chunhui),
           "xinhua": _street(store, "新华街", [(111.705, 40.845), (111.705, 40.85), (111.705, 40.855)], xinhua),
           # two new roads meet 春晖路's east end: a junction of degree 3 with one named street
           "spur_n": _street(store, "规划一路", [(111.71, 40.85), (111.71, 40.855)], None),
           "spur_e": _street(store, "规划一路", [(111.71, 40.85), (111.715, 40.85)], None),
           "bare": _street(store, "新建道路01", [(111.70, 40.87), (111.71, 40.87)], None),
           "pending": _street(store, "敕勒川路", [(111.70, 40.88), (111.705, 40.88)], proposed),
           "bridge": _street(store, "'\"><script>alert(1)</script>桥", [(111.72, 40.86), (111.7205, 40.86)], None,
                             grade=1),
           # crosses 新华街 with no shared vertex (an overpass): no junction there
           "over": _street(store, "高架路", [(111.70, 40.852), (111.71, 40.852)], _name(store, "高架路"))}
    return ids


def test_the_worklist_lists_each_unnamed_line_with_length_place_and_proposal_link(store: Store, roads):
    got = {r["label"]: r for r in unnamed_roads(store)}
    assert set(got) == {"规划一路", "新建道路01", "敕勒川路", "'\"><script>alert(1)</script>桥"}
    bare = got["新建道路01"]
    assert bare["length_m"] == pytest.approx(843.1, abs=1.0) and bare["segments"] == 1
    assert (bare["subdistrict"], bare["community"], bare["community_code"]) == (
        "海拉尔东路街道", "<i>锡林</i>社区", "150102001001")
    assert (bare["lon"], bare["lat"]) == pytest.approx((111.705, 40.87), abs=1e-6)
    assert bare["bbox"] == pytest.approx([111.70, 40.87, 111.71, 40.87])
    assert "未命名" in bare["reason"]
    spur = got["规划一路"]   # two segments of one line: one entry, lengths added (5 + 5 thousandths of a degree)
    assert spur["segments"] == 2 and spur["length_m"] == pytest.approx(421.6 + 555.3, abs=2.0)
    assert "proposed" in got["敕勒川路"]["reason"] and "敕勒川路" in got["敕勒川路"]["reason"]
    assert got["'\"><script>alert(1)</script>桥"]["above_grade"] is True
    link = urlsplit(bare["propose_url"])
    assert link.path == "/officer/placenames/new"
    assert parse_qs(link.query) == {"feature_class": ["street"], "loc_mode": ["street"], "street": ["新建道路01"],
                                    "admin_code": ["150102001001"]}
    # sorted for the officer: by sub-district, longest first
    lengths = [r["length_m"] for r in unnamed_roads(store) if r["subdistrict"] == "海拉尔东路街道"]
    assert lengths == sorted(lengths, reverse=True)


def test_naming_a_road_takes_it_off_the_worklist(store: Store, roads):
    store.update("place_names", store.get("streets", roads["pending"])["place_name_id"], {"status": "in_force"},
                 expected_version=1, actor="setup")
    assert "敕勒川路" not in {r["label"] for r in unnamed_roads(store)}


def test_junction_check_finds_the_streets_without_a_sign_near_each_junction(store: Store, roads):
    result = unsigned_junctions(store)
    # junctions: 春晖路 × 新华街 (2 named streets, degree 4); 春晖路's end with two new roads (degree 3)
    assert (result["junctions"], result["street_junctions"]) == (2, 3)
    assert {(tuple(j["streets"]), tuple(m["name"] for m in j["missing"])) for j in result["items"]} == {
        (("春晖路", "新华街"), ("春晖路", "新华街")), (("春晖路",), ("春晖路",))}
    install(store, street_id=roads["chunhui"], position=shapely.Point(111.70512, 40.85008), sign_type="ordinary",
            actor="o", today=date(2026, 6, 1))   # about 13 m from the crossing
    result = unsigned_junctions(store, distance_m=30)
    crossing = next(j for j in result["items"] if "新华街" in j["streets"])
    assert [m["name"] for m in crossing["missing"]] == ["新华街"] and crossing["missing"][0]["nearest_sign_m"] is None
    assert (crossing["lon"], crossing["lat"]) == pytest.approx((111.705, 40.85), abs=1e-6)
    assert crossing["subdistrict"] == "海拉尔东路街道" and crossing["degree"] == 4
    tight = unsigned_junctions(store, distance_m=5)
    crossing = next(j for j in tight["items"] if "新华街" in j["streets"])
    assert {m["name"] for m in crossing["missing"]} == {"新华街", "春晖路"}
    assert next(m for m in crossing["missing"] if m["name"] == "春晖路")["nearest_sign_m"] == pytest.approx(13.0, abs=1)


@pytest.mark.parametrize("distance", [0, -5, 501, "abc", float("nan"), float("inf"), True, None])
def test_junction_check_refuses_a_distance_out_of_range(store: Store, distance):
    with pytest.raises(InputError) as err:
        unsigned_junctions(store, distance_m=distance)
    assert err.value.field == "distance_m" and "米" in err.value.message


def test_a_new_road_enters_under_a_working_label_and_waits_on_the_worklist(writable_sample_store):
    """Review of #17, F6: a surveyed road not yet named is added through the generic path (and so an
    import) under a working label (规划…, 未命名…, 在建…) and appears on the worklist; any other name
    not in force is refused, saying how to enter such a road."""
    from geo.generic_writes import create_feature

    store = writable_sample_store
    some = store.select("streets", limit=1)[0]["geometry"]
    x, y = some.coords[0]
    line = shapely.LineString([(x + 0.001, y + 0.001), (x + 0.001, y + 0.005)])
    created = create_feature(store, "streets", {"name": "规划五路", "geometry": line}, actor="t-placename_officer")
    assert created.record["name"] == "规划五路" and created.record["place_name_id"] is None
    (road,) = [r for r in unnamed_roads(store) if r["label"] == "规划五路"]
    assert 430 < road["length_m"] < 460 and road["propose_url"].startswith("/officer/placenames/new?")
    before = store.count("streets")
    with pytest.raises(InputError) as err:
        create_feature(store, "streets", {"name": "新建路甲", "geometry": line}, actor="t-placename_officer")
    assert "规划三路" in err.value.message and "unnamed-roads worklist" in err.value.message
    assert store.count("streets") == before
