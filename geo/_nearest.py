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


def _augmented(network: WalkNetwork, sources: Attachment, src_idx: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    n = network.n_nodes
    k = len(src_idx)
    e = sources.edge[src_idx]
    length = network.edge_len_m[e]
    off = sources.offset_m[src_idx]
    t = sources.t[src_idx]
    virtual = n + np.arange(k)
    rows = np.concatenate([virtual, virtual])
    cols = np.concatenate([network.edge_u[e], network.edge_v[e]])
    # A zero weight would vanish from a sparse matrix; the tiny floor keeps the edge (1e-9 m).
    w = np.maximum(np.concatenate([off + t * length, off + (1 - t) * length]), 1e-9)
    extra = _min_duplicates(rows, cols, w, n + k)
    g = network.graph
    indptr = np.concatenate([g.indptr, np.full(k, g.indptr[-1], dtype=g.indptr.dtype)])
    base = sp.csr_matrix((g.data, g.indices, indptr), shape=(n + k, n + k))
    # base has rows < n only and extra rows >= n only, so the sum adds no lengths together.
    return (base + extra).tocsr(), virtual


def _min_duplicates(rows: np.ndarray, cols: np.ndarray, w: np.ndarray, size: int) -> sp.csr_matrix:
    """Return a sparse matrix keeping the smallest weight of repeated (row, col) pairs."""
    order = np.lexsort((w, cols, rows))
    rows, cols, w = rows[order], cols[order], w[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return sp.csr_matrix((w[first], (rows[first], cols[first])), shape=(size, size))


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
    graph, virtual = _augmented(network, sources, src_idx)
    node_dist, _pred, node_src = dijkstra(graph, directed=True, indices=virtual, min_only=True,
                                          limit=limit_m, return_predecessors=True)
    node_src = np.where(np.isfinite(node_dist), node_src - network.n_nodes, -1)
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
    src_edges = sources.edge[src_idx]
    shared = np.isin(e, src_edges)
    if shared.any():
        order = np.argsort(src_edges, kind="stable")
        sorted_edges = src_edges[order]
        for j in np.flatnonzero(shared):
            lo, hi = np.searchsorted(sorted_edges, e[j]), np.searchsorted(sorted_edges, e[j], side="right")
            cand = src_idx[order[lo:hi]]
            direct = sources.offset_m[cand] + np.abs(sources.t[cand] - t[j]) * length[j]
            k = int(np.argmin(direct))
            if direct[k] < best[j]:
                best[j], best_src[j] = direct[k], cand[k]
    total = targets.offset_m[tgt] + best
    dist[tgt] = total
    which[tgt] = np.where(np.isfinite(total), best_src, -1)
    return dist, which
