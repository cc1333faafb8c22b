"""Floor area norms (FA-02/03), siting, burial-ban zones and the plan's indicators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from geo import crs as C
from geo.errors import InputError
from geo.planning.cemeteries import ban_zones, check_site
from geo.planning.coverage import WalkParams
from geo.planning.floor_area import NORMS, floor_area_by_unit, per_hundred_households, shortfalls
from geo.planning.network import attach_points, build_walk_network
from geo.planning.run import PlanningInputs, run_planning, run_siting, walk_params
from geo.planning.siting import greedy_siting, node_attachment

# One pytest-xdist worker runs this module (scripts/test.sh: --dist loadgroup),
# so the sample's planning run (sample_run) is made once, not once per worker.
pytestmark = pytest.mark.xdist_group("planning_run")


def _units(rows):
    return pd.DataFrame(rows, columns=["code", "name", "level", "parent_code", "households", "residents_60plus"])


UNITS = _units([
    ("D", "区", "district", None, 1500, 300),
    ("S", "街道", "subdistrict", "D", 1500, 300),
    ("A", "甲社区", "community", "S", 1000, 200),
    ("B", "乙社区", "community", "S", 500, 100),
    ("E", "空社区", "community", "S", 0, 0),
])


def test_per_hundred_is_undefined_without_households():
    out = per_hundred_households(np.array([300.0, 50.0]), np.array([1000, 0]))
    assert out[0] == pytest.approx(30.0) and np.isnan(out[1])


def test_community_premises_norm_reports_both_shortfalls():
    facilities = pd.DataFrame({"kind": ["community_service_centre"] * 2, "community_code": ["A", "B"],
                               "floor_area_m2": [320.0, 200.0]})
    table = floor_area_by_unit(facilities, UNITS, NORMS["community_service"]).set_index("code")
    assert table.loc["A", "per100_m2"] == pytest.approx(32.0) and table.loc["A", "meets_norm"] is True
    # 乙: 200 m² for 500 households = 40 per 100, but under the 300 m² total: fails FA-03.
    assert table.loc["B", "per100_m2"] == pytest.approx(40.0)
    assert table.loc["B", "shortfall_ratio_m2"] == 0 and table.loc["B", "shortfall_total_m2"] == pytest.approx(100)
    assert table.loc["B", "meets_norm"] is False
    assert np.isnan(table.loc["E", "per100_m2"]) and table.loc["E", "meets_norm"] is None
    assert table.loc["D", "floor_area_m2"] == pytest.approx(520)
    assert table.loc["D", "per100_m2"] == pytest.approx(520 / 15)
    assert list(shortfalls(table.reset_index())["code"]) == ["B"]


def test_elder_care_norm_counts_stations_and_centres():
    facilities = pd.DataFrame({"kind": ["elder_care_station", "comprehensive_elder_care_centre",
                                        "elder_care_institution"],
                               "community_code": ["A", "A", "A"], "floor_area_m2": [100.0, 50.0, 9999.0]})
    table = floor_area_by_unit(facilities, UNITS, NORMS["elder_care"]).set_index("code")
    assert table.loc["A", "per100_m2"] == pytest.approx(15.0)
    assert table.loc["A", "shortfall_ratio_m2"] == pytest.approx(50.0)


def _line_network():
    o = C.to_metric(shapely.Point(111.70, 40.85))
    lines = np.array([shapely.LineString([(o.x + x, o.y), (o.x + x + 500, o.y)]) for x in range(0, 5000, 500)],
                     dtype=object)
    return build_walk_network(lines), o


def test_greedy_siting_picks_the_biggest_gain_first_and_stops_at_target():
    net, o = _line_network()
    plates_xy = np.array([[o.x + 100, o.y + 5], [o.x + 4900, o.y + 5], [o.x + 4800, o.y + 5]])
    plates = attach_points(net, plates_xy, max_attach_m=50)
    existing = attach_points(net, np.array([[o.x + 0.0, o.y]]), max_attach_m=50)
    nodes = np.arange(net.n_nodes)
    cands = node_attachment(net, nodes)
    res = greedy_siting(net, plates, np.array([10.0, 30.0, 20.0]), existing, cands, reach_m=900, k=3)
    assert res.share_before == pytest.approx(10 / 60)
    assert len(res.chosen) == 1 and res.share_after == pytest.approx(1.0)  # one site covers both far plates
    assert res.chosen["gain"].iloc[0] == pytest.approx(50.0)
    res2 = greedy_siting(net, plates, np.array([10.0, 30.0, 20.0]), existing, cands, reach_m=900, target_share=0.1)
    assert len(res2.chosen) == 0  # already above the target
    with pytest.raises(InputError):
        greedy_siting(net, plates, np.ones(3), existing, cands, reach_m=900, k=2, target_share=0.5)


def test_ban_zones_and_site_check(sample):
    """Zones from the linear features and the 七区 areas; the dense residential zone is built-up areas only."""
    from geo.planning.ban_zone_settings import load_ban_zone_settings

    zones = ban_zones(sample["linear_features"], sample["ban_zone_areas"], settings=load_ban_zone_settings())
    assert {"railway", "expressway", "river", "built_up", "farmland"} <= set(zones["kind"])
    assert set(zones["basis"]) <= {"assumed", "sourced"} and zones["basis_text"].str.len().gt(0).all()
    rail = sample["linear_features"].query("kind == 'railway'").geometry.iloc[0]
    near = C.from_metric(C.to_metric(rail.interpolate(0.5, normalized=True)).buffer(50))
    assert any(c["kind"] == "railway" for c in check_site(near, zones))
    # The built-up zone is not every 街道 wholesale: some point of the sub-districts lies outside it.
    built_up = shapely.union_all(zones.loc[zones["kind"] == "built_up"].geometry.to_numpy())
    subs = shapely.union_all(sample["admin_units"].query("level == 'subdistrict'").geometry.to_numpy())
    assert C.to_metric(subs.difference(built_up)).area > 1e6
    # The plan's 2025 cemetery sites (planned, not yet open) are outside every ban zone.
    planned = sample["facilities"].query("kind == 'public_cemetery' and status != 'active'")
    assert len(planned) >= 2 and all(check_site(g, zones) == [] for g in planned.geometry)


@pytest.fixture(scope="module")
def sample_run(sample):
    inputs = PlanningInputs(units=sample["admin_units"], streets=sample["streets"],
                            plates=sample["door_plates"], facilities=sample["facilities"].assign(
                                id=lambda d: np.arange(1, len(d) + 1)).query("status == 'active'"),
                            linear_features=sample["linear_features"], graves=sample["graves"])
    return run_planning(inputs, WalkParams())


def test_indicators_from_the_sample(sample_run):
    by_no = {i.number: i for i in sample_run.indicators}
    assert set(by_no) >= {"4", "6", "7", "11", "12", "13", "15", "一刻钟"}
    assert by_no["4"].current == pytest.approx(20.0, abs=0.5) and by_no["4"].met is False
    assert by_no["11"].current == pytest.approx(100 * 179 / 398)
    assert by_no["12"].current == pytest.approx(75.0)  # 6 of 8 sub-districts today (3 of 8 in 2020)
    assert "9" in by_no["13"].target_text and "100" in by_no["13"].target_text
    assert len(by_no["12"].by_unit) == 8
    assert 0 < by_no["一刻钟"].current < 100 and "900 m" in by_no["一刻钟"].note
    d = by_no["4"].to_dict()
    assert d["number"] == "4" and d["target_2025"] == 33


def test_siting_on_the_sample_raises_coverage(sample_run):
    result, sites = run_siting(sample_run, k=3, target_share=None)
    assert len(sites) == 3 and result.share_after > result.share_before
    assert (np.diff(result.chosen["share_after"]) > 0).all()
    assert (np.diff(result.chosen["gain"]) <= 0).all()  # greedy gains do not grow
    with pytest.raises(InputError):
        run_siting(sample_run, k=3, target_share=None, weight="cats")


def test_walk_params_from_api_values():
    assert walk_params("elderly").reach_m == pytest.approx(810)
    assert walk_params("default", minutes=10).reach_m == pytest.approx(600)
    assert walk_params("default", speed_m_per_s=1.2).reach_m == pytest.approx(1080)


def test_two_step_floating_catchment_against_a_hand_computed_case():
    """Two facilities on a straight street, four plates; every number below is worked by hand.

    F1 (100 m², at 0 m, 10 m off the street) reaches plates at 150 m and 800 m: demand 10 + 30,
    ratio 100 / 40 = 2.5. F2 (50 m², at 1000 m) reaches 150 m (860 m on foot), 800 m and 1700 m:
    demand 10 + 30 + 20, ratio 50 / 60. Scores: 2.5 + 5/6 for the first two, 5/6, and 0 at 4000 m.
    """
    from geo.planning.accessibility import scores_by_unit, two_step_fca
    from geo.planning.network import reach_matrix

    net, o = _line_network()
    fac = attach_points(net, np.array([[o.x, o.y + 10], [o.x + 1000, o.y + 10]]), max_attach_m=50)
    plates = attach_points(net, np.array([[o.x + x, o.y] for x in (150, 800, 1700, 4000)]), max_attach_m=50)
    reach = reach_matrix(net, fac, plates, 900)
    assert reach.toarray().tolist() == [[1, 1, 0, 0], [1, 1, 1, 0]]
    demand = np.array([10.0, 30.0, 20.0, 5.0])
    scores = two_step_fca(reach, np.array([100.0, 50.0]), demand)
    np.testing.assert_allclose(scores.facility_ratio, [2.5, 50 / 60])
    np.testing.assert_allclose(scores.plate_score, [2.5 + 5 / 6, 2.5 + 5 / 6, 5 / 6, 0.0])
    # Conservation: every m² of a facility with someone in reach is shared out exactly once.
    assert (demand * scores.plate_score).sum() == pytest.approx(150.0)
    table = scores_by_unit(scores, demand, np.array(["A", "A", "B", "B"]), UNITS).set_index("code")
    assert table.loc["A", "score_per100_60plus"] == pytest.approx(100 * (2.5 + 5 / 6))
    assert table.loc["B", "score_per100_60plus"] == pytest.approx(100 * 20 * (5 / 6) / 25)
    assert table.loc["B", "share_in_no_catchment"] == pytest.approx(5 / 25)
    assert np.isnan(table.loc["E", "score_per100_60plus"])  # no residents: undefined, not 0
    assert table.loc["D", "score_per100_60plus"] == pytest.approx(100 * 150 / 65)
    lonely = two_step_fca(reach_matrix(net, fac, attach_points(
        net, np.array([[o.x + 4000, o.y]]), max_attach_m=50), 900), np.array([100.0, 50.0]), np.array([5.0]))
    assert np.isnan(lonely.facility_ratio).all() and lonely.plate_score.tolist() == [0.0]
    with pytest.raises(InputError):
        two_step_fca(reach, np.array([-1.0, 50.0]), demand)


def test_reach_includes_the_direct_way_along_a_shared_edge():
    """On one 500 m edge, 100 m apart: out to either node and back is 500 m, the direct way 100 m."""
    from geo.planning.network import reach_matrix

    net, o = _line_network()
    src = attach_points(net, np.array([[o.x + 1200, o.y]]), max_attach_m=50)
    tgt = attach_points(net, np.array([[o.x + 1300, o.y], [o.x + 1460, o.y]]), max_attach_m=50)
    assert reach_matrix(net, src, tgt, 150).toarray().tolist() == [[1, 0]]


def test_accessibility_on_the_sample(sample_run):
    from geo.planning.run import run_accessibility

    acc = run_accessibility(sample_run)
    district = acc.units.set_index("level").loc["district"]
    assert district["score_per100_60plus"] > 0 and 0 <= district["share_in_no_catchment"] < 1
    f = acc.facilities
    reached = f["residents_60plus_in_reach"] > 0
    # Conservation on real data: the residents' summed share equals the supply of reached facilities.
    assert district["score_per100_60plus"] * district["residents_60plus"] / 100 == pytest.approx(
        f.loc[reached, "floor_area_m2"].sum(), rel=1e-9)
    with pytest.raises(InputError) as err:
        run_accessibility(sample_run, "cats")
    assert err.value.field == "supply"


def _grid_network(n: int):
    o = C.to_metric(shapely.Point(111.70, 40.85))
    lines = [shapely.LineString([(o.x + i * 200, o.y + j * 200), (o.x + (i + 1) * 200, o.y + j * 200)])
             for i in range(n - 1) for j in range(n)]
    lines += [shapely.LineString([(o.x + i * 200, o.y + j * 200), (o.x + i * 200, o.y + (j + 1) * 200)])
              for i in range(n) for j in range(n - 1)]
    return build_walk_network(np.array(lines, dtype=object)), o


def _greedy_by_recomputing(reach, w, covered, k):
    """The textbook greedy: every step recomputes every candidate's gain over the uncovered plates."""
    covered, picks = covered.copy(), []
    for _ in range(k):
        gains = reach @ (w * ~covered)
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        covered[reach[best].indices] = True
        picks.append((best, float(gains[best])))
    return picks


@pytest.mark.parametrize("fractional", [False, True], ids=["households", "residents_60plus"])
def test_greedy_with_running_gains_chooses_as_the_textbook_greedy_does(fractional):
    """Random weights on a 12 x 12 grid: the running update picks the same sites with the same gains.

    Fractional weights (residents 60+ are a share of each plate's people) and many equal gains: the
    running sums differ from fresh ones in the last bits, and the choice must still be the textbook's.
    """
    from geo.planning.network import nearest_source
    from geo.planning.siting import reach_matrix

    net, o = _grid_network(12)
    rng = np.random.default_rng(7)
    for trial in range(5):
        xy = np.column_stack([o.x + rng.uniform(0, 2200, 300), o.y + rng.uniform(0, 2200, 300)])
        plates = attach_points(net, xy, max_attach_m=150)
        existing = attach_points(net, xy[:2], max_attach_m=150)
        cands = node_attachment(net, np.arange(0, net.n_nodes, 3))
        w = rng.integers(1, 40, len(xy)).astype(float)
        if fractional:
            w = w * 0.1937  # as the sample's 60+ share makes them: sums that round differently by order
        res = greedy_siting(net, plates, w, existing, cands, reach_m=450, k=25)
        dist, _ = nearest_source(net, existing, plates, limit_m=450)
        expected = _greedy_by_recomputing(reach_matrix(net, cands, plates, 450), w, dist <= 450, 25)
        assert [int(c) for c in res.chosen["candidate"]] == [c for c, _ in expected], trial
        assert res.chosen["gain"].tolist() == pytest.approx([g for _, g in expected]), trial


def test_greedy_stops_at_its_time_limit_and_says_so():
    net, o = _grid_network(8)
    xy = np.column_stack([o.x + np.arange(0, 1400, 50.0), np.full(28, o.y + 10.0)])
    plates = attach_points(net, xy, max_attach_m=150)
    existing = attach_points(net, xy[:1], max_attach_m=150)
    cands = node_attachment(net, np.arange(net.n_nodes))
    spent = greedy_siting(net, plates, np.ones(len(xy)), existing, cands, reach_m=300, k=5, time_limit_s=1e-9)
    assert spent.status == "time_limit" and len(spent.chosen) == 0
    everywhere = attach_points(net, xy, max_attach_m=150)  # a station at every plate: nothing left to add
    done = greedy_siting(net, plates, np.ones(len(xy)), everywhere, cands, reach_m=300, k=5, time_limit_s=1e-9)
    assert done.status == "heuristic" and len(done.chosen) == 0 and done.share_before == 1.0
    free = greedy_siting(net, plates, np.ones(len(xy)), existing, cands, reach_m=300, k=5, time_limit_s=60)
    assert free.status == "heuristic" and len(free.chosen) > 0
