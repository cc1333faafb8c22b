"""Walking distance from every target point to its nearest source point, in one multi-source pass.

Each attached source becomes a virtual node joined to both ends of its edge (weights: its
off-network leg plus the partial edge); one scipy Dijkstra from all virtual nodes, cut off at the
limit, gives every network node its nearest source. A target's distance is its own leg plus the
better of its two edge ends, or the direct way along the edge when a source shares it.
Unreachable targets get ``inf`` and source ``-1``: never a sentinel distance.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from geo.planning.network.graph import Attachment, WalkNetwork


def _virtual_edges(network: WalkNetwork, sources: Attachment, src_idx: np.ndarray):
    """Return (u, v, w_u, w_v): the two ends of each source's edge and the weights joining it to them."""
    e = sources.edge[src_idx]
    length = network.edge_len_m[e]
    off = sources.offset_m[src_idx]
    along = sources.t[src_idx] * length
    # A zero weight would vanish from a sparse matrix; the tiny floor keeps the edge (1e-9 m).
    w_u = np.maximum(off + along, 1e-9)
    w_v = np.maximum(off + length - along, 1e-9)
    return network.edge_u[e], network.edge_v[e], w_u, w_v


def augmented(network: WalkNetwork, sources: Attachment, src_idx: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Return a new CSR graph with one virtual row per source appended, and their node ids."""
    n, g, k = network.n_nodes, network.graph, len(src_idx)
    u, v, w_u, w_v = _virtual_edges(network, sources, src_idx)
    indptr = np.concatenate([g.indptr, g.indptr[-1] + 2 * np.arange(1, k + 1)]).astype(g.indptr.dtype)
    cols = np.column_stack([u, v]).ravel().astype(g.indices.dtype)
    weights = np.column_stack([w_u, w_v]).ravel()
    graph = sp.csr_matrix((np.concatenate([g.data, weights]), np.concatenate([g.indices, cols]), indptr),
                          shape=(n + k, n + k))
    return graph, n + np.arange(k)


def node_distances(network: WalkNetwork, sources: Attachment, src_idx: np.ndarray, *,
                   limit_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Return, per network node, the distance to the nearest source and its index (-1 if none).

    This is the shortest-path core: one scipy multi-source Dijkstra over the augmented graph,
    whose base rows are shared, not copied, between searches.
    """
    n, rows = network.n_nodes, network.virtual_rows
    u, v, w_u, w_v = _virtual_edges(network, sources, src_idx)
    with rows.lock:
        graph = rows.graph(u, v, w_u, w_v)
        node_dist, _pred, node_src = dijkstra(graph, directed=True, indices=np.arange(n, n + len(u)),
                                              min_only=True, limit=limit_m, return_predecessors=True)
    node_src -= n
    node_src[~np.isfinite(node_dist)] = -1
    return node_dist, node_src


def _same_edge_pairs(network: WalkNetwork, sources: Attachment, src_idx: np.ndarray, targets: Attachment,
                     tgt: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (position in ``tgt``, source index, distance without the target's leg) for sources
    sharing a target's edge.

    Along one edge the direct way can be shorter than going out to a node and back.
    """
    e = targets.edge[tgt]
    src_edges = sources.edge[src_idx]
    order = np.argsort(src_edges, kind="stable")
    sorted_edges = src_edges[order]
    lo = np.searchsorted(sorted_edges, e)
    count = np.searchsorted(sorted_edges, e, side="right") - lo
    if not count.any():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    pair_tgt = np.repeat(np.arange(len(tgt)), count)
    starts = np.repeat(lo - np.concatenate([[0], np.cumsum(count)[:-1]]), count)
    pair_src = src_idx[order[np.arange(count.sum()) + starts]]
    length = network.edge_len_m[e[pair_tgt]]
    direct = sources.offset_m[pair_src] + np.abs(sources.t[pair_src] - targets.t[tgt[pair_tgt]]) * length
    return pair_tgt, pair_src, direct


def nearest_source(network: WalkNetwork, sources: Attachment, targets: Attachment, *,
                   limit_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Return (distance in metres, index of the nearest source) for every target.

    Distances include both off-network legs and are exact up to ``limit_m``; beyond it the search
    stops, so a target comes back as ``inf`` or with an upper bound. Unattached targets and sources
    are always ``inf`` / ``-1``.
    """
    n_t = len(targets.edge)
    dist = np.full(n_t, np.inf)
    which = np.full(n_t, -1, dtype=np.int64)
    src_idx = np.flatnonzero(sources.attached)
    if len(src_idx) == 0 or n_t == 0:
        return dist, which
    node_dist, node_src = node_distances(network, sources, src_idx, limit_m=limit_m)
    tgt = np.flatnonzero(targets.attached)
    e = targets.edge[tgt]
    length = network.edge_len_m[e]
    t = targets.t[tgt]
    u, v = network.edge_u[e], network.edge_v[e]
    via_u = node_dist[u] + t * length
    via_v = node_dist[v] + (1 - t) * length
    best = np.where(via_u <= via_v, via_u, via_v)
    best_src = np.where(via_u <= via_v, node_src[u], node_src[v])
    best_src = np.where(np.isfinite(best), src_idx[np.maximum(best_src, 0)], -1)
    # A source on the same edge can be reached directly along it.
    pair_tgt, pair_src, direct = _same_edge_pairs(network, sources, src_idx, targets, tgt)
    if len(pair_tgt):
        by = np.lexsort((direct, pair_tgt))
        first = np.ones(len(by), dtype=bool)
        first[1:] = pair_tgt[by][1:] != pair_tgt[by][:-1]
        j, d_direct, s_direct = pair_tgt[by][first], direct[by][first], pair_src[by][first]
        better = d_direct < best[j]
        best[j[better]], best_src[j[better]] = d_direct[better], s_direct[better]
    total = targets.offset_m[tgt] + best
    dist[tgt] = total
    which[tgt] = np.where(np.isfinite(total), best_src, -1)
    return dist, which


def _grouped(keys: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (order, pointers): positions of ``keys`` sorted by key, and where each key's run starts."""
    order = np.argsort(keys, kind="stable")
    return order, np.searchsorted(keys[order], np.arange(n_groups + 1))


def _expand(items: np.ndarray, pointers: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (position in ``items``, member) for every member of every item's group."""
    start, count = pointers[items], pointers[items + 1] - pointers[items]
    owner = np.repeat(np.arange(len(items)), count)
    offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    return owner, order[np.repeat(start, count) + offsets]


def reach_matrix(network: WalkNetwork, sources: Attachment, targets: Attachment, reach_m: float) -> sp.csr_matrix:
    """Return a (sources × targets) matrix of ones where a target is within ``reach_m`` of a source.

    Every pair, not just the nearest: siting and catchment scores need all of them. One
    Dijkstra per block of 64 sources keeps memory at 64 rows of node distances. Only the targets
    on edges that touch a node within ``reach_m`` are measured (a target is never nearer than the
    nearer end of its edge), so the work follows the pairs found, not sources × targets.
    """
    idx = np.flatnonzero(sources.attached)
    tgt = np.flatnonzero(targets.attached)
    graph, virtual = augmented(network, sources, idx)
    rows, cols = [], []
    n = network.n_nodes
    e = targets.edge[tgt]
    u, v = network.edge_u[e], network.edge_v[e]
    along_u = targets.t[tgt] * network.edge_len_m[e] + targets.offset_m[tgt]
    along_v = (1 - targets.t[tgt]) * network.edge_len_m[e] + targets.offset_m[tgt]
    ends = np.concatenate([network.edge_u, network.edge_v])
    edge_order, edge_ptr = _grouped(ends, n)          # node -> its edges
    edge_order = edge_order % max(network.n_edges, 1)
    tgt_order, tgt_ptr = _grouped(e, network.n_edges)  # edge -> the targets on it
    for start in range(0, len(idx), 64):
        block = dijkstra(graph, directed=True, indices=virtual[start:start + 64], limit=reach_m)
        r_node, node = np.nonzero(block[:, :n] <= reach_m)
        owner, edge = _expand(node, edge_ptr, edge_order)
        pair = np.unique(r_node[owner] * np.int64(max(network.n_edges, 1)) + edge)
        r_edge, edge = pair // max(network.n_edges, 1), pair % max(network.n_edges, 1)
        owner, j = _expand(edge, tgt_ptr, tgt_order)
        r = r_edge[owner]
        d = np.minimum(block[r, u[j]] + along_u[j], block[r, v[j]] + along_v[j])
        near = d <= reach_m
        rows.append(idx[start + r[near]])
        cols.append(tgt[j[near]])
    pair_tgt, pair_src, direct = _same_edge_pairs(network, sources, idx, targets, tgt)
    near = direct + targets.offset_m[tgt[pair_tgt]] <= reach_m
    rows.append(pair_src[near])
    cols.append(tgt[pair_tgt[near]])
    matrix = sp.csr_matrix((np.ones(sum(len(r) for r in rows)), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(len(sources.edge), len(targets.edge)))
    matrix.data[:] = 1.0  # a pair found both ways was summed by the COO→CSR conversion
    return matrix
