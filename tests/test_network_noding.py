"""Noding by distance tolerance (issue #18): vertices within 1 cm are one node, wherever the grid lines fall.

Before, vertices were rounded to a 1 cm grid: two 0.2 mm apart stayed apart when a cell edge ran
between them, and two 1.4 cm apart across a cell's diagonal merged. Every case here is small and
checked by hand; the last one checks the KD-tree screening against brute force on awkward points.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra

from geo.planning.network import NODE_SNAP_M, build_walk_network
from geo.planning.network.graph import node_vertices

# Real EPSG:4546 magnitudes (Hohhot: ~480 km east, ~4,520 km north), where float rounding bites.
X0, Y0 = 480_000.0, 4_520_000.0


def _net(*lines):
    return build_walk_network(np.array([shapely.LineString(line) for line in lines], dtype=object))


def _hops_m(net, a_xy, b_xy) -> float:
    """Return the network distance between the nodes at ``a_xy`` and ``b_xy`` (inf when not joined)."""
    a = int(np.argmin(np.hypot(*(net.node_xy - np.asarray(a_xy)).T)))
    b = int(np.argmin(np.hypot(*(net.node_xy - np.asarray(b_xy)).T)))
    return float(dijkstra(net.graph, directed=False, indices=a)[b])


def test_tolerance_is_one_centimetre():
    assert NODE_SNAP_M == 0.01


@pytest.mark.parametrize("origin", [(0.0, 0.0), (X0, Y0)], ids=["small", "epsg4546"])
def test_vertices_0_2_mm_apart_across_the_old_grid_cell_edge_merge(origin):
    x0, y0 = origin
    # 100.0049 rounds to the 1 cm cell 10000 and 100.0051 to 10001: the old rule never joined them.
    west = [(x0, y0), (x0 + 100.0049, y0)]
    east = [(x0 + 100.0051, y0), (x0 + 200.0, y0)]
    net = _net(west, east)
    assert net.n_nodes == 3 and net.n_edges == 2
    assert _hops_m(net, (x0, y0), (x0 + 200, y0)) == pytest.approx(100.0049 + 99.9949, abs=1e-6)


@pytest.mark.parametrize("origin", [(0.0, 0.0), (X0, Y0)], ids=["small", "epsg4546"])
def test_vertices_across_a_screening_cell_edge_merge(origin):
    """The 1 m cells that screen vertices for the KD-tree must not split a pair either (edge at x = 0.5 m)."""
    x0, y0 = origin
    net = _net([(x0 - 100, y0 + 0.5), (x0 + 0.4999, y0 + 0.5)], [(x0 + 0.5001, y0 + 0.5001), (x0 + 100, y0)])
    assert net.n_nodes == 3
    assert np.isfinite(_hops_m(net, (x0 - 100, y0 + 0.5), (x0 + 100, y0)))


@pytest.mark.parametrize("origin", [(0.0, 0.0), (X0, Y0)], ids=["small", "epsg4546"])
def test_vertices_1_4_cm_apart_in_one_old_grid_cell_stay_apart(origin):
    x0, y0 = origin
    # Both round to the same 1 cm cell (10001, 1): the old rule joined streets 1.39 cm apart.
    a, b = (x0 + 100.0051, y0 + 0.0051), (x0 + 100.0149, y0 + 0.0149)
    assert np.hypot(b[0] - a[0], b[1] - a[1]) == pytest.approx(0.01386, abs=1e-5)
    net = _net([(x0, y0), a], [b, (x0 + 200, y0)])
    assert net.n_nodes == 4
    assert connected_components(net.graph, directed=False)[0] == 2


def test_the_tolerance_is_inclusive():
    joined = _net([(0, 0), (50, 0)], [(50.01, 0), (100, 0)])
    apart = _net([(0, 0), (50, 0)], [(50.0101, 0), (100, 0)])
    assert joined.n_nodes == 3 and apart.n_nodes == 4


def test_a_chain_of_close_vertices_is_one_node_single_linkage():
    """0, 0.8 and 1.6 cm: each within 1 cm of the next, so one node (documented), though the ends are 1.6 cm apart."""
    ends = [(X0 + 100.0, Y0), (X0 + 100.008, Y0), (X0 + 100.016, Y0)]
    spokes = [[(X0, Y0), ends[0]], [ends[1], (X0 + 100.008, Y0 + 100)], [ends[2], (X0 + 200, Y0)]]
    net = _net(*spokes)
    assert net.n_nodes == 4 and net.n_edges == 3
    hub = [i for i in range(net.n_nodes) if net.graph[i].nnz == 3]
    assert len(hub) == 1
    np.testing.assert_array_equal(net.node_xy[hub[0]], ends[0])  # at the first vertex in input order
    # Without the middle vertex the two ends (1.6 cm apart) are not joined.
    assert _net(spokes[0], spokes[2]).n_nodes == 4


def test_the_nodes_do_not_depend_on_the_order_of_the_streets():
    a, b, c = ([(0, 0), (10, 0.004)], [(10.006, 0.0), (20, 0)], [(10.003, 0.009), (10, 20)])
    joined = [connected_components(_net(*order).graph, directed=False)[0]
              for order in itertools.permutations([a, b, c])]
    assert joined == [1] * 6
    assert {_net(*order).n_nodes for order in itertools.permutations([a, b, c])} == {4}


def test_a_segment_shorter_than_the_tolerance_is_dropped_and_lengths_are_the_originals():
    net = _net([(0, 0), (30, 0), (30.005, 0.005), (60, 0.008)])  # the middle segment is 0.71 cm long
    assert net.n_nodes == 3 and net.n_edges == 2
    assert sorted(net.edge_len_m) == pytest.approx([np.hypot(29.995, 0.003), 30.0], abs=1e-9)


def test_node_vertices_matches_brute_force_single_linkage():
    """Awkward points near 1 m and 1 cm cell edges and in clumps, against all pairs by brute force."""
    rng = np.random.default_rng(18)
    base = np.column_stack([X0 + rng.integers(0, 40, 300) + rng.choice([0.5, 0.495, 0.505, 0.2], 300),
                            Y0 + rng.integers(0, 40, 300) + rng.choice([0.5, 0.0049, 0.3], 300)])
    near = base[rng.integers(0, 300, 600)] + rng.uniform(-0.012, 0.012, (600, 2))
    pts = np.concatenate([base, near, base[:50]])  # exact duplicates too
    node_of, node_xy = node_vertices(pts)
    d = np.hypot(pts[:, None, 0] - pts[None, :, 0], pts[:, None, 1] - pts[None, :, 1])
    n_ref, ref = connected_components(d <= NODE_SNAP_M, directed=False)
    assert len(node_xy) == n_ref
    # Same partition: each reference cluster is exactly one node, and vice versa.
    pairs = set(zip(ref.tolist(), node_of.tolist(), strict=True))
    assert len(pairs) == n_ref
    # Each node sits on its first vertex.
    first = {}
    for i, n in enumerate(node_of.tolist()):
        first.setdefault(n, i)
    np.testing.assert_array_equal(node_xy[list(first)], pts[list(first.values())])


def test_virtual_rows_never_reuse_a_copied_view_for_other_sources():
    """scipy narrows int64 indices to int32 by copying: a kept view would hold the first search's rows."""
    import scipy.sparse as sp

    from geo.planning.network.graph import VirtualRows

    graph = sp.csr_matrix(np.array([[0.0, 1.0], [1.0, 0.0]]))
    graph.indices = graph.indices.astype(np.int64)
    graph.indptr = graph.indptr.astype(np.int64)
    rows = VirtualRows(graph)
    first = rows.graph(np.array([0]), np.array([1]), np.array([5.0]), np.array([6.0])).toarray()
    second = rows.graph(np.array([1]), np.array([0]), np.array([7.0]), np.array([8.0])).toarray()
    assert first[2].tolist() == [5.0, 6.0, 0.0]
    assert second[2].tolist() == [8.0, 7.0, 0.0]
