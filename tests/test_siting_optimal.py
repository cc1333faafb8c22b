"""Proven-optimal siting (MILP, HiGHS) beside greedy: hand cases, premises candidates, capacity, API and CLI.

The hand network is one straight street with nodes at 0, 450, 900 … 5500 m; walking reach 900 m;
plates stand 5 m off the street. Candidates at 450, 1350 and 2250 m (indices 0, 1, 2); the
existing station at 5000 m.

    plate at   0 m  weight 5   reached by candidate 0
    plate at 900 m  weight 6   reached by 0 and 1
    plate at 1800 m weight 6   reached by 1 and 2
    plate at 2700 m weight 5   reached by 2
    plate at 5000 m weight 2   covered by the existing station
    plate at 3900 m weight 1   reached by nobody (1100 m from the station, 1650 m from candidate 2)

Total 25, covered before 2 (8 %). Greedy takes candidate 1 first (+12), then 0 (+5, lower index
of a tie): 19/25 = 76 %. Two stations can cover 2 + 11 + 11 = 24/25 = 96 % (candidates 0 and 2).
"""

from __future__ import annotations

import itertools
import re
from datetime import date

import geopandas as gpd
import httpx
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import crs as C
from geo.errors import InputError
from geo.messages import label
from geo.planning.network import attach_points, build_walk_network
from geo.planning.siting_candidates import available_premises, load_premises
from geo.planning.siting_capacity import Capacity, siting_capacities
from geo.planning.siting_compare import compare_siting, comparison_summary, unreachable_text
from tests.conftest import USERS
from tests.xincheng_cli import invoke

_CJK = re.compile(r"[\u4e00-\u9fff]")
ORIGIN = C.to_metric(shapely.Point(111.70, 40.85))
NODES_M = [0, 450, 900, 1350, 1800, 2250, 2700, 3300, 3900, 4500, 5000, 5500]


def _street():
    lines = np.array([shapely.LineString([(ORIGIN.x + a, ORIGIN.y), (ORIGIN.x + b, ORIGIN.y)])
                      for a, b in itertools.pairwise(NODES_M)], dtype=object)
    return build_walk_network(lines)


def _at(net, *xs_m, off_m=5.0):
    return attach_points(net, np.array([[ORIGIN.x + x, ORIGIN.y + off_m] for x in xs_m]), max_attach_m=50)


@pytest.fixture(scope="module")
def hand():
    net = _street()
    return {"net": net, "plates": _at(net, 0, 900, 1800, 2700, 5000, 3900), "w": np.array([5, 6, 6, 5, 2, 1.0]),
            "existing": _at(net, 5000, off_m=0), "cands": _at(net, 450, 1350, 2250, off_m=0)}


def _ask(h, **kw):
    return compare_siting(h["net"], h["plates"], h["w"], h["existing"], h["cands"], reach_m=900, **kw)


def test_milp_finds_the_optimum_greedy_misses(hand):
    r = _ask(hand, k=2)
    assert list(r.greedy.chosen["candidate"]) == [1, 0]
    assert r.greedy.share_before == pytest.approx(2 / 25) and r.greedy.share_after == pytest.approx(19 / 25)
    assert sorted(r.optimal.chosen["candidate"]) == [0, 2]
    assert list(r.optimal.chosen["gain"]) == [11, 11] and list(r.optimal.chosen["gain_plates"]) == [2, 2]
    assert r.optimal.share_after == pytest.approx(24 / 25) and r.optimal.status == "optimal"
    assert r.optimal.bound_share == pytest.approx(24 / 25, abs=1e-4) and r.optimal.gap < 1e-4
    assert r.greedy_optimal is False and r.share_after == pytest.approx(24 / 25)  # the MILP's answer leads
    assert r.greedy.gap == pytest.approx(5 / 19, abs=1e-4)  # greedy may be (24 − 19)/19 short of the best
    summary = comparison_summary(r)
    assert summary["verdict"].startswith("贪心结果不是最优")
    assert summary["optimal"]["status_text"] == "已证明最优 · proven optimal"


def test_one_station_greedy_is_optimal(hand):
    r = _ask(hand, k=1)
    assert list(r.optimal.chosen["candidate"]) == [1] and r.optimal.share_after == pytest.approx(14 / 25)
    assert r.greedy_optimal is True


def test_set_cover_is_minimal(hand):
    r = _ask(hand, target_share=0.96)   # need 24 of 25: 22 more than the existing station's 2
    assert len(r.greedy.chosen) == 3 and r.greedy.share_after == pytest.approx(24 / 25)
    assert sorted(r.optimal.chosen["candidate"]) == [0, 2] and r.optimal.bound_stations == 2
    assert r.optimal.status == "optimal" and r.greedy_optimal is False
    assert r.greedy.bound_stations == 2 and r.greedy.gap == pytest.approx(1 / 3)
    low = _ask(hand, target_share=0.5)  # one station is enough; the best single one covers 14/25
    assert list(low.optimal.chosen["candidate"]) == [1] and low.optimal.share_after == pytest.approx(14 / 25)
    assert low.greedy_optimal is True
    none = _ask(hand, target_share=0.05)  # the existing station covers 8 % already
    assert len(none.optimal.chosen) == 0 and len(none.greedy.chosen) == 0


def test_unreachable_target_says_the_best_share(hand):
    r = _ask(hand, target_share=1.0)  # the plate at 3900 m is beyond every candidate
    assert r.optimal.status == "unreachable" and not r.optimal.reachable and not r.greedy.reachable
    assert r.optimal.share_after == pytest.approx(24 / 25) and r.greedy_optimal is True  # greedy too reaches 96 %
    message = unreachable_text(r, target_share=1.0)
    assert message.startswith("目标覆盖率 100.0% 不可达") and "96.0%" in message


def test_options_are_checked_naming_the_field(hand):
    for kw, field in [({"k": 2, "method": "best"}, "method"), ({"k": 2, "time_limit_s": 0}, "time_limit_s"),
                      ({"k": None}, "k"), ({"k": 0}, "k"), ({"target_share": 1.5}, "target_share")]:
        with pytest.raises(InputError) as err:
            _ask(hand, **kw)
        assert err.value.field == field


def test_capacity_binds(hand):
    """Plates at 900 m and 1800 m hold 100 residents 60+ each, the plate at 5000 m 50.

    Capacities (0.4 m² a person): existing 10 m² → 25; candidates 40, 44, 28 m² → 100, 110, 70.
    One station: candidate 1 reaches both plates but serves only 110: (25 + 110)/250 = 54 %
    (without capacities it would cover everything). Two: 0 and 1 serve 100 + 100 → (25+200)/250 =
    90 %. Greedy takes 1 (110, serving the 900 m plate first), then 2 (70 of the 90 left at 1800 m):
    (25 + 180)/250 = 82 %.
    """
    net = hand["net"]
    plates, w = _at(net, 900, 1800, 5000), np.array([100, 100, 50.0])
    caps = siting_capacities(pd.DataFrame({"floor_area_m2": [10.0]}),
                             pd.DataFrame({"floor_area_m2": [40.0, 44.0, 28.0]}), n_candidates=3)
    assert caps.existing == pytest.approx([25]) and caps.candidates == pytest.approx([100, 110, 70])
    one = compare_siting(net, plates, w, hand["existing"], hand["cands"], reach_m=900, k=1, capacity=caps)
    assert list(one.optimal.chosen["candidate"]) == [1]
    assert one.optimal.share_before == pytest.approx(25 / 250) and one.optimal.share_after == pytest.approx(135 / 250)
    free = compare_siting(net, plates, w, hand["existing"], hand["cands"], reach_m=900, k=1)
    assert free.optimal.share_after == pytest.approx(1.0)
    two = compare_siting(net, plates, w, hand["existing"], hand["cands"], reach_m=900, k=2, capacity=caps)
    assert sorted(two.optimal.chosen["candidate"]) == [0, 1] and two.optimal.share_after == pytest.approx(0.9)
    assert two.optimal.status == "optimal" and two.optimal.gap < 1e-6
    assert list(two.greedy.chosen["candidate"]) == [1, 2] and two.greedy.share_after == pytest.approx(205 / 250)
    assert list(two.greedy.chosen["gain"]) == pytest.approx([110, 70]) and two.greedy_optimal is False
    given = siting_capacities(pd.DataFrame({"floor_area_m2": [np.nan]}),
                              pd.DataFrame({"floor_area_m2": [40.0, np.nan], "capacity": [np.nan, 7.0]}),
                              n_candidates=2, m2_per_person=0.5)
    assert given.existing == pytest.approx([0]) and given.candidates == pytest.approx([80, 7])
    tight = compare_siting(net, plates, w, hand["existing"], hand["cands"], reach_m=900, target_share=0.9,
                           capacity=Capacity(existing=np.array([25.0]), candidates=np.array([100, 110, 70.0])))
    assert sorted(tight.optimal.chosen["candidate"]) == [0, 1] and tight.optimal.bound_stations == 2


# -- premises as candidates, from a real store ------------------------------------------------------------------

PREMISES = [  # name, status, available_from, floor area (m²), polygon?
    ("可用房", "available", date(2026, 1, 1), 300.0, False),
    ("明年可用", "available", date(2027, 1, 1), 300.0, False),
    ("已占用", "taken", date(2025, 1, 1), 300.0, False),
    ("不适用", "unsuitable", None, 300.0, False),
    ("无日期小房", "available", None, 90.0, True),
    ("今天起可用", "available", date(2026, 12, 2), 150.0, False),
]


def _premises_frame() -> gpd.GeoDataFrame:
    geoms = []
    for i, (*_, polygon) in enumerate(PREMISES):
        p = shapely.Point(111.66 + 0.001 * i, 40.83)
        geoms.append(p.buffer(0.0001, quad_segs=2) if polygon else p)
    return gpd.GeoDataFrame({"name": [p[0] for p in PREMISES], "community_code": ["150102001001"] * len(PREMISES),
                             "floor_area_m2": [p[3] for p in PREMISES], "owner": ["社区居委会"] * len(PREMISES),
                             "available_from": [p[2] for p in PREMISES], "status": [p[1] for p in PREMISES]},
                            geometry=gpd.GeoSeries(geoms, crs="EPSG:4490"), crs="EPSG:4490")


def test_premises_candidates_from_the_store(store):
    from geo.io.importer import load_layers

    load_layers(store, {"premises": _premises_frame()}, actor="test")
    found = load_premises(store, today=date(2026, 12, 2))
    assert list(found["name"]) == ["可用房", "无日期小房", "今天起可用"]
    assert (found.geometry.geom_type == "Point").all() and found.crs.to_epsg() == 4490
    big = load_premises(store, today=date(2026, 12, 2), min_floor_area_m2=100)
    assert list(big["name"]) == ["可用房", "今天起可用"]
    later = load_premises(store, today=date(2027, 1, 1))
    assert list(later["name"]) == ["可用房", "明年可用", "无日期小房", "今天起可用"]
    with pytest.raises(InputError) as err:
        load_premises(store, today=date(2026, 12, 2), min_floor_area_m2=1000)
    assert err.value.field == "candidates" and err.value.message.startswith("选址：截至 2026-12-02 没有可用房源")
    with pytest.raises(InputError) as err:
        load_premises(store, today=date(2026, 12, 2), min_floor_area_m2=-1)
    assert err.value.field == "min_floor_area_m2"


def test_sample_premises_are_a_realistic_register(sample):
    frame = sample.layers["premises"]
    assert 40 <= len(frame) <= 80 and frame["floor_area_m2"].between(80, 600).all()
    assert set(frame["status"]) == {"available", "taken", "unsuitable"}
    communities = sample.layers["admin_units"].set_index("code")["level"]
    assert set(frame["community_code"].map(communities)) == {"community", "village"}
    now = available_premises(frame, today=date(2026, 12, 2))
    assert 0 < len(now) < (frame["status"] == "available").sum()  # some are available only later


# -- HTTP and the CLI over the sample district ------------------------------------------------------------------


def _token(base: str, role: str) -> dict[str, str]:
    name, password = USERS[role]
    r = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_api_siting_milp_beside_greedy(live_server):
    h, url = _token(live_server, "planner"), f"{live_server}/api/planning/siting"
    r = httpx.post(url, headers=h, json={"k": 3, "candidate_source": "premises", "capacity": True}, timeout=120)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["weight"] == "residents_60plus" and body["capacity"] is True and body["question"] == "max_coverage"
    assert body["optimal"]["status"] == "optimal" and body["optimal"]["stations"] == 3
    assert body["optimal"]["share_after"] >= body["greedy"]["share_after"] - 1e-9
    assert body["optimal"]["gap"] < 1e-4 and body["verdict"]
    assert len(body["sites"]["features"]) == 3 and all(f["properties"]["name"] for f in body["sites"]["features"])
    for bad, field in [({"k": 2, "time_limit_s": 0}, "time_limit_s"), ({"k": 2, "time_limit_s": 21}, "time_limit_s"),
                       ({"k": 2, "method": "best"}, "method"),
                       ({"k": 2, "candidate_source": "shops"}, "candidate_source"),
                       ({"k": 2, "min_floor_area_m2": -5}, "min_floor_area_m2")]:
        r = httpx.post(url, headers=h, json=bad, timeout=60)
        assert r.status_code == 422 and r.json()["field"] == field, r.text
        message = r.json()["message"]  # the field's label (Chinese where field_names has one), the problem in Chinese
        assert message.startswith(str(label(field))) and _CJK.search(message.partition(" · ")[0])
    r = httpx.post(url, headers=h, json={"k": 2, "candidate_source": "file"}, timeout=120)
    assert r.status_code == 400 and r.json()["field"] == "candidates"
    assert r.json()["message"].startswith("选址：候选点来源为文件时须给出候选点")
    r = httpx.post(url, headers=h, json={"k": 2, "capacity": True, "weight": "households"}, timeout=120)
    assert r.status_code == 400 and r.json()["field"] == "weight"


def test_cli_siting_prints_the_comparison(sample_store, tmp_path):
    db = ["--database-url", sample_store.engine.url.render_as_string(hide_password=False)]
    out = invoke([*db, "siting", "--k", "2", "--candidates", "premises", "--time-limit", "20"])
    assert out.returncode == 0, out.stderr
    assert "整数规划（HiGHS） · MILP (HiGHS)" in out.stdout and "已证明最优 · proven optimal" in out.stdout
    assert "最优性差距（%） optimality gap (%)" in out.stdout and "贪心结果" in out.stdout
    assert "房源 premises" in out.stdout
    points = gpd.GeoDataFrame({"name": ["甲", "乙"]}, geometry=[shapely.Point(111.67, 40.83),
                                                              shapely.Point(111.69, 40.84)], crs="EPSG:4490")
    path = tmp_path / "candidates.geojson"
    points.to_file(path, driver="GeoJSON")
    out = invoke([*db, "siting", "--target-share", "0.99", "--candidates", str(path), "--method", "milp"])
    assert out.returncode == 0, out.stderr
    assert "目标覆盖率 99.0% 不可达" in out.stdout
    far = tmp_path / "far.csv"  # a candidate far outside the district, on the spreadsheet's row 4 (review)
    far.write_text("name,lon,lat\n甲,111.67,40.83\n\n乙,112.50,40.84\n", encoding="utf-8")
    out = invoke([*db, "siting", "--k", "2", "--candidates", str(far)])
    assert out.returncode == 2 and "第 4 行" in out.stderr and "本区" in out.stderr, out.stderr
    for args in (["--k", "2", "--time-limit", "9999"], ["--k", "2", "--candidates", str(tmp_path / "none.geojson")],
                 ["--k", "2", "--capacity", "--weight", "households"]):
        out = invoke([*db, "siting", *args])
        assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
        assert _CJK.search(out.stderr)
