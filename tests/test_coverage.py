"""Walking coverage: exact against networkx, and the known failures of peer tools."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import crs as C
from geo.errors import InputError
from geo.planning.coverage import (
    ELDER_CARE_KINDS,
    WalkParams,
    coverage_by_unit,
    plate_access,
    service_areas,
    unattached_facilities,
    walk_network_from_streets,
)
from geo.planning.network import attach_points, build_walk_network, edge_lines, nearest_source
from tests.network_reference import reference_distances

ORIGIN = C.to_metric(shapely.Point(111.70, 40.85))


def _m(x: float, y: float) -> tuple[float, float]:
    """A point given in metres east/north of a fixed origin in the district."""
    return (ORIGIN.x + x, ORIGIN.y + y)


def _frame(geoms_m, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries(C.from_metric(np.asarray(geoms_m, dtype=object)),
                                                         crs="EPSG:4490"), crs="EPSG:4490")


def _streets(*lines) -> gpd.GeoDataFrame:
    return _frame([shapely.LineString([_m(*p) for p in line]) for line in lines],
                  name=[f"s{i}" for i in range(len(lines))])


def _points(*pts, **cols) -> gpd.GeoDataFrame:
    return _frame([shapely.Point(_m(*p)) for p in pts], **cols)


def _access(streets, plates_xy, facilities_xy, **params):
    net = walk_network_from_streets(streets)
    plates = _points(*plates_xy, households=[10] * len(plates_xy), community_code=["c"] * len(plates_xy))
    facs = _points(*facilities_xy, id=list(range(1, len(facilities_xy) + 1)), name=["f"] * len(facilities_xy))
    return plate_access(net, plates, facs, WalkParams(**params))


def test_hand_checked_distance_uses_partial_edges_and_both_legs():
    acc = _access(_streets([(0, 0), (1000, 0)]), [(600, -20)], [(100, 10)])
    assert acc["distance_m"].iloc[0] == pytest.approx(10 + 500 + 20, abs=0.01)
    assert acc["minutes"].iloc[0] == pytest.approx(530 / 60, abs=1e-4)
    assert acc["status"].iloc[0] == "covered" and acc["facility"].iloc[0] == 1


def test_same_edge_goes_direct_not_through_a_node():
    acc = _access(_streets([(0, 0), (1000, 0)]), [(480, 5)], [(520, 5)])
    assert acc["distance_m"].iloc[0] == pytest.approx(5 + 40 + 5, abs=0.01)


def test_duplicate_street_is_not_summed_like_scipy_coo():
    once = _access(_streets([(0, 0), (400, 0)], [(400, 0), (400, 400)]), [(400, 390)], [(0, 5)])
    twice = _access(_streets([(0, 0), (400, 0)], [(0, 0), (400, 0)], [(400, 0), (400, 400)]), [(400, 390)],
                    [(0, 5)])
    assert twice["distance_m"].iloc[0] == pytest.approx(once["distance_m"].iloc[0], abs=0.01)
    assert once["distance_m"].iloc[0] == pytest.approx(5 + 400 + 390, abs=0.01)


def test_parallel_edges_keep_the_shortest_not_the_last():
    lines = [shapely.LineString([_m(0, 0), _m(300, 0)]), shapely.LineString([_m(0, 0), _m(300, 0.004)])]
    net = build_walk_network(np.array([C.to_metric(C.from_metric(g)) for g in lines], dtype=object))
    assert net.n_edges == 1 and net.edge_len_m[0] == pytest.approx(300.0, abs=0.01)


def test_crossing_without_a_shared_vertex_is_not_joined():
    bridge = _streets([(-500, 0), (500, 0)], [(0, -500), (0, 500)])
    acc = _access(bridge, [(10, 400)], [(400, 10)])
    assert acc["status"].iloc[0] == "unreachable" and np.isnan(acc["distance_m"].iloc[0])
    junction = _streets([(-500, 0), (0, 0), (500, 0)], [(0, -500), (0, 0), (0, 500)])
    acc = _access(junction, [(10, 400)], [(400, 10)])
    assert acc["distance_m"].iloc[0] == pytest.approx(10 + 400 + 400 + 10, abs=0.01)


def test_point_too_far_from_any_street_is_reported_not_snapped():
    acc = _access(_streets([(0, 0), (1000, 0)]), [(500, 400)], [(100, 10)], max_attach_m=150)
    assert acc["status"].iloc[0] == "unattached" and np.isnan(acc["distance_m"].iloc[0])
    net = walk_network_from_streets(_streets([(0, 0), (1000, 0)]))
    far = _points((500, 900), id=[7], name=["山里的站"])
    assert list(unattached_facilities(net, far)["id"]) == [7]


def test_beyond_the_limit_is_beyond_not_covered():
    acc = _access(_streets([(0, 0), (3000, 0)]), [(2000, 0), (800, 0)], [(0, 0)])
    assert list(acc["status"]) == ["beyond", "covered"]


def test_no_facilities_and_no_plates_and_no_streets():
    assert set(_access(_streets([(0, 0), (100, 0)]), [(50, 1)], [])["status"]) == {"unreachable"}
    assert len(_access(_streets([(0, 0), (100, 0)]), [], [(50, 1)])) == 0
    net = walk_network_from_streets(_streets())
    acc = plate_access(net, _points((0, 0), households=[1], community_code=["c"]), _points((1, 1), id=[1]))
    assert list(acc["status"]) == ["unattached"]


def test_walk_params_presets_and_validation():
    assert WalkParams().reach_m == 900
    assert WalkParams.preset("elderly").reach_m == pytest.approx(810)
    assert "900 m" in WalkParams().describe()
    with pytest.raises(InputError) as err:
        WalkParams.preset("bike")
    assert "default, elderly" in err.value.message
    with pytest.raises(InputError):
        WalkParams(minutes=0)


def test_attachment_matches_a_plain_shapely_loop(sample):
    net = walk_network_from_streets(sample["streets"])
    rng = np.random.default_rng(3)
    pts = net.node_xy[rng.integers(net.n_nodes, size=400)] + rng.normal(0, 40, (400, 2))
    att = attach_points(net, pts, max_attach_m=1e9)
    lines = edge_lines(net)
    tree = shapely.STRtree(lines)
    for i in range(0, 400, 7):
        p = shapely.Point(pts[i])
        nearest = lines[tree.nearest(p)]
        assert att.offset_m[i] == pytest.approx(p.distance(nearest), abs=1e-6)


def test_sample_district_distances_equal_networkx_within_a_centimetre(sample):
    streets = sample["streets"]
    walkable = streets[streets["walkable"]]
    lines = shapely.get_parts(C.to_metric(np.asarray(walkable.geometry.values, dtype=object)))
    net = build_walk_network(lines)
    f = sample["facilities"]
    stations = f[f["kind"].isin(ELDER_CARE_KINDS)]
    plates = sample["door_plates"].iloc[::20]  # every 20th plate: ~1,700 targets

    def to_xy(fr):
        return shapely.get_coordinates(C.to_metric(np.asarray(fr.geometry.values, dtype=object)))

    src = attach_points(net, to_xy(stations), max_attach_m=150)
    tgt = attach_points(net, to_xy(plates), max_attach_m=150)
    ours, _which = nearest_source(net, src, tgt, limit_m=np.inf)
    ref = reference_distances(lines, net, src, tgt)
    assert np.isfinite(ref).sum() > 1000
    assert np.array_equal(np.isfinite(ours), np.isfinite(ref))
    finite = np.isfinite(ref)
    assert np.abs(ours[finite] - ref[finite]).max() < 0.01
    # Coverage shares are identical at the 15-minute reach.
    assert np.array_equal(ours <= 900, ref <= 900)


def test_cut_off_does_not_change_covered_distances(sample):
    net = walk_network_from_streets(sample["streets"])
    f = sample["facilities"]
    stations = f[f["kind"].isin(ELDER_CARE_KINDS)]

    def to_xy(fr):
        return shapely.get_coordinates(C.to_metric(np.asarray(fr.geometry.values, dtype=object)))

    src = attach_points(net, to_xy(stations), max_attach_m=150)
    tgt = attach_points(net, to_xy(sample["door_plates"]), max_attach_m=150)
    full, which_full = nearest_source(net, src, tgt, limit_m=np.inf)
    cut, which_cut = nearest_source(net, src, tgt, limit_m=900)
    inside = full <= 900
    assert np.allclose(cut[inside], full[inside]) and np.array_equal(which_cut[inside], which_full[inside])
    assert (cut[~inside] > 900).all()


def test_coverage_by_unit_sums_and_undefined_shares(sample):
    net = walk_network_from_streets(sample["streets"])
    f = sample["facilities"]
    acc = plate_access(net, sample["door_plates"], f[f["kind"].isin(ELDER_CARE_KINDS)].reset_index(drop=True))
    units = sample["admin_units"].copy()
    table = coverage_by_unit(acc, sample["door_plates"], units)
    district = table[table["level"] == "district"].iloc[0]
    covered = sample["door_plates"]["households"].to_numpy()[acc["status"].to_numpy() == "covered"].sum()
    assert district["covered_households"] == covered
    subs = table[table["level"].isin(["subdistrict", "town"])]
    assert subs["covered_households"].sum() == pytest.approx(district["covered_households"])
    assert 0 < district["household_share"] < 1
    # A community with no households: share undefined (NaN), never a division by zero.
    empty = units[units["level"] == "community"].iloc[:1].copy()
    empty["code"], empty["households"], empty["residents_60plus"] = "150102009001", 0, 0
    table2 = coverage_by_unit(acc, sample["door_plates"], pd.concat([units, empty], ignore_index=True))
    row = table2[table2["code"] == "150102009001"].iloc[0]
    assert row["households"] == 0 and np.isnan(row["household_share"])


def test_service_areas_are_valid_and_contain_covered_plates(sample):
    net = walk_network_from_streets(sample["streets"])
    f = sample["facilities"]
    stations = f[f["kind"] == "elder_care_station"].reset_index(drop=True).assign(id=lambda d: d.index + 1)
    areas = service_areas(net, stations)
    assert len(areas) == len(stations) and areas.geometry.is_valid.all()
    acc = plate_access(net, sample["door_plates"], stations)
    covered = sample["door_plates"][acc["status"].to_numpy() == "covered"].iloc[::50]
    union = shapely.union_all(areas.geometry.values).buffer(1e-6)
    assert shapely.within(covered.geometry.values, union).mean() > 0.99


@pytest.mark.scale
def test_large_grid_matches_networkx():
    """A 200,000-edge grid with 20,000 plates: the same distances as networkx (run with -m scale)."""
    n = 317
    xs = np.arange(n) * 60.0
    lines = np.array([shapely.LineString(np.column_stack([xs, np.full(n, y)])) for y in xs]
                     + [shapely.LineString(np.column_stack([np.full(n, x), xs])) for x in xs], dtype=object)
    net = build_walk_network(lines)
    assert net.n_edges > 190_000
    rng = np.random.default_rng(2)
    src = attach_points(net, rng.uniform(0, xs[-1], (30, 2)), max_attach_m=150)
    tgt = attach_points(net, rng.uniform(0, xs[-1], (20_000, 2)), max_attach_m=150)
    ours, _ = nearest_source(net, src, tgt, limit_m=np.inf)
    ref = reference_distances(lines, net, src, tgt)
    assert np.abs(ours - ref).max() < 0.01


def test_repeated_searches_on_one_network_match_a_fresh_graph(sample):
    """The shared virtual-row buffer must not leak one search's sources into the next."""
    from scipy.sparse.csgraph import dijkstra

    from geo.planning.network import node_distances
    from geo.planning.network.nearest import augmented

    net = walk_network_from_streets(sample["streets"])
    rng = np.random.default_rng(11)
    for k in (5, 3, 5, 200, 1):  # shrink, grow past the first buffer, shrink again
        src = attach_points(net, net.node_xy[rng.integers(net.n_nodes, size=k)] + 5.0, max_attach_m=150)
        idx = np.flatnonzero(src.attached)
        dist, which = node_distances(net, src, idx, limit_m=900)
        dist, which = dist[:net.n_nodes], which[:net.n_nodes]  # the virtual rows follow the nodes
        graph, virtual = augmented(net, src, idx)
        ref_dist, _, ref_src = dijkstra(graph, directed=True, indices=virtual, min_only=True, limit=900,
                                        return_predecessors=True)
        np.testing.assert_allclose(dist, ref_dist[:net.n_nodes])
        reached = np.isfinite(ref_dist[:net.n_nodes])
        assert np.array_equal(which[~reached], np.full((~reached).sum(), -1))
        assert np.array_equal(which[reached], ref_src[:net.n_nodes][reached] - net.n_nodes)


def test_attachment_ties_go_to_the_lower_edge_and_the_radius_is_inclusive():
    net = build_walk_network(np.array([shapely.LineString([(0, 0), (100, 0)]),
                                       shapely.LineString([(0, 20), (100, 20)])], dtype=object))
    att = attach_points(net, np.array([[50.0, 10.0], [50.0, -150.0], [50.0, -150.001]]), max_attach_m=150)
    lower = int(np.argmin([net.node_xy[net.edge_u[e], 1] for e in range(net.n_edges)]))
    assert att.edge[0] == min(range(net.n_edges))  # equidistant: the lower index wins
    assert att.offset_m[0] == pytest.approx(10.0)
    assert att.edge[1] == lower and att.offset_m[1] == pytest.approx(150.0) and att.t[1] == pytest.approx(0.5)
    assert att.edge[2] == -1 and np.isnan(att.offset_m[2])
