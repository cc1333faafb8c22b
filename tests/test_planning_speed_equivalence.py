"""The faster planning run gives the very same answers as the straightforward computation it replaced.

Issue #15 made `siting` and `report` fast by reading the layers column by column, projecting plate
points as coordinate arrays, measuring only the plates near what a source reaches, and summing units
from one walk up the unit tree. Each is checked here against the plain computation (every record
through ``Store.select``, every geometry projected, every source × plate pair measured, every
unit's leaves searched), on the sample in SQLite and PostGIS; and the whole run — indicators,
coverage, siting picks and the report's tables — is compared with a run made the plain way.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

import geo.planning.coverage as coverage_module
import geo.planning.network.nearest as nearest_module
import geo.planning.run as run_module
import geo.planning.siting as siting_module
from geo import crs as C
from geo.planning.coverage import points_xy
from geo.planning.network.nearest import _same_edge_pairs, augmented, reach_matrix
from geo.planning.run import PlanningInputs, run_planning, run_siting, walk_params
from geo.planning.siting import grid_candidates, node_attachment
from geo.store.store import records_to_frame
from maps import report

# One pytest-xdist worker runs this module (scripts/test.sh: --dist loadgroup),
# so the two runs and their sitings are made once, not once per worker.
pytestmark = pytest.mark.xdist_group("planning_equivalence")


def plain_reach_matrix(network, sources, targets, reach_m):
    """Every source × target pair measured: the dense computation the sparse one replaced."""
    idx, tgt = np.flatnonzero(sources.attached), np.flatnonzero(targets.attached)
    graph, virtual = augmented(network, sources, idx)
    e = targets.edge[tgt]
    u, v = network.edge_u[e], network.edge_v[e]
    along_u = targets.t[tgt] * network.edge_len_m[e] + targets.offset_m[tgt]
    along_v = (1 - targets.t[tgt]) * network.edge_len_m[e] + targets.offset_m[tgt]
    dist = dijkstra(graph, directed=True, indices=virtual, limit=reach_m)
    r, c = np.nonzero(np.minimum(dist[:, u] + along_u, dist[:, v] + along_v) <= reach_m)
    rows, cols = [idx[r]], [tgt[c]]
    pair_tgt, pair_src, direct = _same_edge_pairs(network, sources, idx, targets, tgt)
    near = direct + targets.offset_m[tgt[pair_tgt]] <= reach_m
    rows.append(pair_src[near])
    cols.append(tgt[pair_tgt[near]])
    matrix = sp.csr_matrix((np.ones(sum(len(x) for x in rows)), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(len(sources.edge), len(targets.edge)))
    matrix.data[:] = 1.0
    return matrix


def plain_points_xy(frame):
    """Every geometry's point on the surface, projected as a geometry."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    if len(geoms) == 0:
        return np.zeros((0, 2))
    return shapely.get_coordinates(C.to_metric(shapely.point_on_surface(geoms)))


def plain_sum_by_unit(frame, columns, units):
    """Each unit's leaves found by walking up from every leaf, unit by unit."""
    per_leaf = frame.groupby("community_code")[columns].sum()
    own = units[units["level"].isin(["district", "subdistrict", "town", "community", "village"])]
    parent = dict(zip(own["code"], own["parent_code"], strict=True))
    leaves = own[own["level"].isin(["community", "village"])]["code"]
    rows = []
    for _, unit in own.iterrows():
        code = unit["code"]
        mine = [code] if unit["level"] in ("community", "village") else []
        if not mine:
            for leaf in leaves:
                p = leaf
                while p is not None and p != code:
                    p = parent.get(p)
                if p == code:
                    mine.append(leaf)
        sums = per_leaf.reindex(mine).fillna(0.0).sum()
        rows.append({"code": code, "name": unit["name"], "level": unit["level"],
                     "parent_code": unit["parent_code"], **{k: float(sums[k]) for k in columns}})
    return pd.DataFrame(rows, columns=["code", "name", "level", "parent_code", *columns])


def plain_frame(store, name):
    """A layer record by record, as ``Store.select`` gives them (each geometry decoded by itself)."""
    return records_to_frame(store.select(name), store.table(name))


def plain_inputs(store):
    """The layers record by record (:func:`plain_frame`)."""
    plates, facilities = plain_frame(store, "door_plates"), plain_frame(store, "facilities")
    return PlanningInputs(units=plain_frame(store, "admin_units"), streets=plain_frame(store, "streets"),
                          plates=plates[plates["status"] == "active"].reset_index(drop=True),
                          facilities=facilities[facilities["status"] == "active"].reset_index(drop=True),
                          linear_features=plain_frame(store, "linear_features"), graves=plain_frame(store, "graves"),
                          data_version=store.data_version(), all_facilities=facilities,
                          ban_zone_areas=plain_frame(store, "ban_zone_areas"),
                          plot_types=plain_frame(store, "cemetery_plot_types"),
                          burial_statistics=plain_frame(store, "burial_statistics"))


@pytest.fixture(scope="module")
def runs(sample_store):
    """The run made the fast way and the plain way, on the same data, with their 5-station sitings."""
    fast = run_planning(PlanningInputs.load(sample_store), walk_params())
    patch = pytest.MonkeyPatch()
    for module in (run_module, siting_module):
        patch.setattr(module, "reach_matrix", plain_reach_matrix)
    patch.setattr(nearest_module, "reach_matrix", plain_reach_matrix)
    patch.setattr(run_module, "points_xy", plain_points_xy)
    patch.setattr(coverage_module, "sum_by_unit", plain_sum_by_unit)
    try:
        plain = run_planning(plain_inputs(sample_store), walk_params())
        plain_siting = run_siting(dataclasses.replace(plain, plate_xy=None), k=5, target_share=None)
    finally:
        patch.undo()
    return fast, run_siting(fast, k=5, target_share=None), plain, plain_siting


def test_points_are_projected_as_arrays_to_the_same_metres(sample):
    plates = sample["door_plates"]
    assert np.array_equal(points_xy(plates), plain_points_xy(plates))
    polygons = sample["admin_units"]  # not points: the general way, unchanged
    assert np.array_equal(points_xy(polygons), plain_points_xy(polygons))


def test_reach_matrix_finds_exactly_the_pairs_of_measuring_every_pair(runs):
    fast, *_ = runs
    net = fast.network
    candidates = node_attachment(net, grid_candidates(net, fast.plate_xy, spacing_m=250.0))
    for sources, reach_m in ((candidates, 900.0), (fast.care_att, 810.0), (candidates, 1500.0)):
        got, want = reach_matrix(net, sources, fast.plate_att, reach_m), plain_reach_matrix(
            net, sources, fast.plate_att, reach_m)
        assert got.nnz > 1000 and got.nnz == want.nnz
        assert np.array_equal(got.indptr, want.indptr) and np.array_equal(got.indices, want.indices)


def test_the_whole_run_answers_as_the_plain_run(runs):
    fast, (fast_result, fast_sites), plain, (plain_result, plain_sites) = runs
    assert [i.to_dict() for i in fast.indicators] == [i.to_dict() for i in plain.indicators]
    pd.testing.assert_frame_equal(fast.coverage, plain.coverage, check_exact=True)
    pd.testing.assert_frame_equal(fast.access, plain.access, check_exact=True)
    for key in fast.floor:
        pd.testing.assert_frame_equal(fast.floor[key], plain.floor[key], check_exact=True)
    pd.testing.assert_frame_equal(fast_result.chosen, plain_result.chosen, check_exact=True)
    assert (fast_result.share_before, fast_result.share_after, fast_result.candidates) == (
        plain_result.share_before, plain_result.share_after, plain_result.candidates)
    assert len(fast_result.chosen) == 5
    assert shapely.equals_exact(fast_sites.geometry.values, plain_sites.geometry.values, 0).all()
    tables = (report.indicators_frame, report.coverage_frame, report.uncovered_frame)
    for table in tables:
        pd.testing.assert_frame_equal(table(fast), table(plain), check_exact=True)
    for key, norm in report.NORMS.items():
        pd.testing.assert_frame_equal(report.floor_frame(fast.floor[key], norm),
                                      report.floor_frame(plain.floor[key], norm), check_exact=True)
    pd.testing.assert_frame_equal(report.siting_frame(fast_result, fast_sites),
                                  report.siting_frame(plain_result, plain_sites), check_exact=True)
