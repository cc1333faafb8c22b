"""The walking network: street centrelines noded at shared vertices, and points attached to it.

Joining rule: two streets meet only where they share a vertex (coordinates equal to 1 cm in
EPSG:4546). Streets that cross without a shared vertex — a bridge, an underpass, an elevated
road — are not joined. Streets marked not walkable are left out. Each segment between two
consecutive vertices is one edge; of parallel edges between the same two nodes the shortest is
kept (scipy's COO→CSR conversion would otherwise add their lengths together).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
import shapely

NODE_SNAP_M = 0.01


@dataclass(frozen=True)
class WalkNetwork:
    """An undirected walking graph in metres (EPSG:4546)."""

    node_xy: np.ndarray      # (n, 2)
    edge_u: np.ndarray       # (m,) node index
    edge_v: np.ndarray       # (m,)
    edge_len_m: np.ndarray   # (m,)
    edge_line: np.ndarray    # (m,) index of the input line the edge came from
    graph: sp.csr_matrix     # (n, n) symmetric, edge lengths as weights

    @property
    def n_nodes(self) -> int:
        """Return the number of nodes."""
        return len(self.node_xy)

    @property
    def n_edges(self) -> int:
        """Return the number of (undirected) edges."""
        return len(self.edge_u)

    @cached_property
    def virtual_rows(self) -> VirtualRows:
        """Return the reusable buffer for adding virtual source rows to the graph."""
        return VirtualRows(self.graph)

    @cached_property
    def edge_tree(self) -> shapely.STRtree:
        """Return the spatial index of the edges, built once per network."""
        return shapely.STRtree(edge_lines(self))


class VirtualRows:
    """The network's CSR arrays copied once, with spare room for virtual rows appended per search.

    A search writes its virtual rows into the spare tail and views the arrays without copying the
    millions of base entries again; callers hold ``lock`` while the returned matrix is in use.
    """

    def __init__(self, graph: sp.csr_matrix):
        self.base = graph
        self.lock = threading.Lock()
        self.capacity = 0
        self._grow(64)

    def _grow(self, rows: int) -> None:
        g, n, nnz = self.base, self.base.shape[0], self.base.nnz
        self.capacity = rows
        self.data = np.empty(nnz + 2 * rows)
        self.data[:nnz] = g.data
        self.indices = np.empty(nnz + 2 * rows, dtype=g.indices.dtype)
        self.indices[:nnz] = g.indices
        self.indptr = np.empty(n + rows + 1, dtype=g.indptr.dtype)
        self.indptr[:n + 1] = g.indptr

    def graph(self, cols: np.ndarray, weights: np.ndarray, per_row: np.ndarray) -> sp.csr_matrix:
        """Return the graph with ``len(per_row)`` virtual rows appended (a view; hold ``lock``)."""
        n, nnz, k, m = self.base.shape[0], self.base.nnz, len(per_row), len(cols)
        if k > self.capacity:
            self._grow(max(k, 2 * self.capacity))
        self.data[nnz:nnz + m] = weights
        self.indices[nnz:nnz + m] = cols
        self.indptr[n + 1:n + k + 1] = nnz + np.cumsum(per_row)
        return sp.csr_matrix((self.data[:nnz + m], self.indices[:nnz + m], self.indptr[:n + k + 1]),
                             shape=(n + k, n + k), copy=False)


@dataclass(frozen=True)
class Attachment:
    """Where each point joins the network: edge, fraction along it, and the off-network leg."""

    edge: np.ndarray        # (k,) edge index, -1 when the point is too far from any street
    t: np.ndarray           # (k,) fraction from edge_u to edge_v
    offset_m: np.ndarray    # (k,) straight-line leg from the point to the network (NaN if unattached)

    @property
    def attached(self) -> np.ndarray:
        """Return a mask of the points that joined the network."""
        return self.edge >= 0


def build_walk_network(lines_m: np.ndarray, *, snap_m: float = NODE_SNAP_M) -> WalkNetwork:
    """Build the graph from metric LineStrings (one per street part); see the module for the rule."""
    lines = np.asarray(lines_m, dtype=object)
    coords, line_idx = shapely.get_coordinates(lines, return_index=True)
    if len(coords) < 2:
        empty = np.zeros(0, dtype=np.int64)
        return WalkNetwork(np.zeros((0, 2)), empty, empty, np.zeros(0), empty, sp.csr_matrix((0, 0)))
    keys = np.round(coords / snap_m).astype(np.int64)
    keys -= keys.min(axis=0)
    span = int(keys[:, 1].max()) + 1
    uniq, node_of = np.unique(keys[:, 0] * span + keys[:, 1], return_inverse=True)  # one 1-D key per vertex
    node_of = node_of.ravel()
    node_xy = np.zeros((len(uniq), 2))
    node_xy[node_of] = coords
    same_line = line_idx[:-1] == line_idx[1:]
    u = node_of[:-1][same_line]
    v = node_of[1:][same_line]
    length = np.hypot(*(coords[1:][same_line] - coords[:-1][same_line]).T)
    src_line = line_idx[:-1][same_line]
    keep = u != v
    u, v, length, src_line = u[keep], v[keep], length[keep], src_line[keep]
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((length, hi, lo))  # by pair, then shortest first
    lo, hi, length, src_line = lo[order], hi[order], length[order], src_line[order]
    first = np.ones(len(lo), dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    lo, hi, length, src_line = lo[first], hi[first], length[first], src_line[first]
    n = len(uniq)
    graph = sp.csr_matrix((np.concatenate([length, length]), (np.concatenate([lo, hi]), np.concatenate([hi, lo]))),
                          shape=(n, n))
    return WalkNetwork(node_xy, lo, hi, length, src_line, graph)


def edge_lines(network: WalkNetwork) -> np.ndarray:
    """Return each edge as a two-point LineString (metres)."""
    pts = np.stack([network.node_xy[network.edge_u], network.node_xy[network.edge_v]], axis=1)
    return shapely.linestrings(pts)


FIRST_PASS_M = 30.0


def _nearest_within(network: WalkNetwork, pts: np.ndarray, point_idx: np.ndarray, radius_m: float):
    """Return (point, edge, t, distance) of the nearest edge within ``radius_m`` for each point that has one."""
    tree = network.edge_tree
    pairs = tree.query(shapely.points(pts[point_idx]), predicate="dwithin", distance=radius_m)
    if pairs.shape[1] == 0:
        return (np.zeros(0, dtype=np.int64),) * 2 + (np.zeros(0),) * 2
    which, edge = point_idx[pairs[0]], pairs[1]
    a = network.node_xy[network.edge_u[edge]]
    ab = network.node_xy[network.edge_v[edge]] - a
    p = pts[which]
    frac = np.clip(np.einsum("ij,ij->i", p - a, ab) / np.einsum("ij,ij->i", ab, ab), 0.0, 1.0)
    dist = np.hypot(*(p - (a + frac[:, None] * ab)).T)
    order = np.lexsort((edge, dist, which))  # per point: nearest first, ties by the lower edge index
    first = np.ones(len(order), dtype=bool)
    first[1:] = which[order][1:] != which[order][:-1]
    keep = order[first]
    return which[keep], edge[keep], frac[keep], dist[keep]


def attach_points(network: WalkNetwork, points_xy: np.ndarray, *, max_attach_m: float) -> Attachment:
    """Attach each point to the nearest point of the nearest edge within ``max_attach_m``.

    The foot of the perpendicular is interpolated along the edge (never snapped to a node); a
    point farther than ``max_attach_m`` from every edge stays unattached and is reported as such.
    Exact: a first pass looks within a short radius, a second within ``max_attach_m`` for the rest.
    """
    points_xy = np.asarray(points_xy, dtype=float).reshape(-1, 2)
    k = len(points_xy)
    edge = np.full(k, -1, dtype=np.int64)
    t = np.full(k, np.nan)
    offset = np.full(k, np.nan)
    if k == 0 or network.n_edges == 0:
        return Attachment(edge, t, offset)
    todo = np.arange(k)
    for radius in (min(FIRST_PASS_M, max_attach_m), max_attach_m):
        which, e, frac, dist = _nearest_within(network, points_xy, todo, radius)
        edge[which], t[which], offset[which] = e, frac, dist
        todo = todo[edge[todo] < 0]
        if len(todo) == 0 or radius >= max_attach_m:
            break
    return Attachment(edge, t, offset)
