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

from geo._walk_network import Attachment, WalkNetwork


def _virtual_entries(network: WalkNetwork, sources: Attachment, src_idx: np.ndarray):
    """Return (columns, weights, entries per row) joining each source to both ends of its edge."""
    e = sources.edge[src_idx]
    length = network.edge_len_m[e]
    off = sources.offset_m[src_idx]
    t = sources.t[src_idx]
    u, v = network.edge_u[e], network.edge_v[e]
    # A zero weight would vanish from a sparse matrix; the tiny floor keeps the edge (1e-9 m).
    w_u = np.maximum(off + t * length, 1e-9)
    w_v = np.maximum(off + (1 - t) * length, 1e-9)
    loop = u == v  # cannot happen after noding, but keep one entry per (row, column)
    cols = np.column_stack([u, v]).ravel()
    weights = np.column_stack([np.where(loop, np.minimum(w_u, w_v), w_u), w_v]).ravel()
    keep = np.ones(2 * len(e), dtype=bool)
    keep[1::2] = ~loop
    return cols[keep].astype(network.graph.indices.dtype), weights[keep], np.where(loop, 1, 2)


def _augmented(network: WalkNetwork, sources: Attachment, src_idx: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Return a new CSR graph with one virtual row per source appended, and their node ids."""
    n, g = network.n_nodes, network.graph
    cols, weights, per_row = _virtual_entries(network, sources, src_idx)
    indptr = np.concatenate([g.indptr, g.indptr[-1] + np.cumsum(per_row)]).astype(g.indptr.dtype)
    graph = sp.csr_matrix((np.concatenate([g.data, weights]), np.concatenate([g.indices, cols]), indptr),
                          shape=(n + len(per_row), n + len(per_row)))
    return graph, n + np.arange(len(per_row))


def node_distances(network: WalkNetwork, sources: Attachment, src_idx: np.ndarray, *,
                   limit_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Return, per network node, the distance to the nearest source and its index (-1 if none).

    This is the shortest-path core: one scipy multi-source Dijkstra over the augmented graph.
    """
    cols, weights, per_row = _virtual_entries(network, sources, src_idx)
    rows = network.virtual_rows
    with rows.lock:
        graph = rows.graph(cols, weights, per_row)
        node_dist, _pred, node_src = dijkstra(graph, directed=True, indices=network.n_nodes + np.arange(len(per_row)),
                                              min_only=True, limit=limit_m, return_predecessors=True)
    node_src = np.where(np.isfinite(node_dist), node_src - network.n_nodes, -1)
    return node_dist, node_src


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
    # A source on the same edge can be reached directly along it (vectorised over all such pairs).
    src_edges = sources.edge[src_idx]
    order = np.argsort(src_edges, kind="stable")
    sorted_edges = src_edges[order]
    lo = np.searchsorted(sorted_edges, e)
    hi = np.searchsorted(sorted_edges, e, side="right")
    count = hi - lo
    if count.any():
        pair_tgt = np.repeat(np.arange(len(tgt)), count)
        starts = np.repeat(lo - np.concatenate([[0], np.cumsum(count)[:-1]]), count)
        pair_src = src_idx[order[np.arange(count.sum()) + starts]]
        direct = sources.offset_m[pair_src] + np.abs(sources.t[pair_src] - t[pair_tgt]) * length[pair_tgt]
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
