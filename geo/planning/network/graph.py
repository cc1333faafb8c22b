"""The walking network: street centrelines noded at shared vertices, and points attached to it.

Joining rule: two streets meet only where they share a vertex (coordinates equal to 1 cm in
EPSG:4546). Streets that cross without a shared vertex — a bridge, an underpass, an elevated
road — are not joined. Streets marked not walkable are left out. Each segment between two
consecutive vertices is one edge; of parallel edges between the same two nodes the shortest is
kept (scipy's COO→CSR conversion would otherwise add their lengths together).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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

    Every virtual row has exactly two entries (the two ends of the source's edge: noding drops
    zero-length edges, so the ends differ). A search writes its rows into the spare tail; the
    matrix viewing the first k rows is made once per k and reused, since its arrays are views of
    the buffers. Callers hold ``lock`` while the returned matrix is in use.
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
        self.indptr[n + 1:] = nnz + 2 * np.arange(1, rows + 1)
        self._views: dict[int, sp.csr_matrix] = {}

    def graph(self, u: np.ndarray, v: np.ndarray, w_u: np.ndarray, w_v: np.ndarray) -> sp.csr_matrix:
        """Return the graph with one virtual row per entry of ``u`` appended (a view; hold ``lock``).

        Row i joins node ``u[i]`` at weight ``w_u[i]`` and node ``v[i]`` at ``w_v[i]``.
        """
        n, nnz, k = self.base.shape[0], self.base.nnz, len(u)
        if k > self.capacity:
            self._grow(max(k, 2 * self.capacity))
        self.indices[nnz:nnz + 2 * k:2] = u
        self.indices[nnz + 1:nnz + 2 * k:2] = v
        self.data[nnz:nnz + 2 * k:2] = w_u
        self.data[nnz + 1:nnz + 2 * k:2] = w_v
        view = self._views.get(k)
        if view is None:
            view = sp.csr_matrix((self.data[:nnz + 2 * k], self.indices[:nnz + 2 * k], self.indptr[:n + k + 1]),
                                 shape=(n + k, n + k), copy=False)
            self._views[k] = view
        return view


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
    lines = shapely.linestrings(pts)
    assert isinstance(lines, np.ndarray)  # an (n, 2, 2) array of coordinates gives an array of lines
    return lines


FIRST_PASS_M = 30.0


@contextmanager
def _collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while bulk temporary geometries exist.

    Each of the 100,000 query points is a GC-tracked object, and creating them triggers full
    collections over the whole heap (a loaded district is hundreds of thousands of objects): about
    a fifth of the attaching time. The points hold no cycles, so nothing is missed by pausing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _nearest_within(network: WalkNetwork, pts: np.ndarray, point_idx: np.ndarray, radius_m: float):
    """Return (point, edge, t, distance) of the nearest edge within ``radius_m`` for each point that has one.

    Candidates come from the edge index by bounding box (a square of side 2 x radius around each
    point, cheaper than GEOS distance predicates); the exact distance to each candidate segment
    is computed here, vectorised, and ties go to the lower edge index.
    """
    x, y = pts[point_idx, 0], pts[point_idx, 1]
    pairs = network.edge_tree.query(shapely.box(x - radius_m, y - radius_m, x + radius_m, y + radius_m))
    if not np.all(pairs[0, 1:] >= pairs[0, :-1]):
        pairs = pairs[:, np.argsort(pairs[0], kind="stable")]
    which, edge = point_idx[pairs[0]], pairs[1]
    a = network.node_xy[network.edge_u[edge]]
    ab = network.node_xy[network.edge_v[edge]] - a
    p = pts[which]
    frac = np.clip(np.einsum("ij,ij->i", p - a, ab) / np.einsum("ij,ij->i", ab, ab), 0.0, 1.0)
    dist = np.hypot(*(p - (a + frac[:, None] * ab)).T)
    near = dist <= radius_m
    which, edge, frac, dist = which[near], edge[near], frac[near], dist[near]
    if len(which) == 0:
        return (np.zeros(0, dtype=np.int64),) * 2 + (np.zeros(0),) * 2
    new_point = np.ones(len(which), dtype=bool)
    new_point[1:] = which[1:] != which[:-1]
    starts = np.flatnonzero(new_point)
    group = np.cumsum(new_point) - 1
    closest = dist == np.minimum.reduceat(dist, starts)[group]
    lowest_edge = np.minimum.reduceat(np.where(closest, edge, np.iinfo(edge.dtype).max), starts)
    chosen = np.flatnonzero(closest & (edge == lowest_edge[group]))  # exactly one per point
    return which[chosen], edge[chosen], frac[chosen], dist[chosen]


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
        with _collection_paused():
            which, e, frac, dist = _nearest_within(network, points_xy, todo, radius)
        edge[which], t[which], offset[which] = e, frac, dist
        todo = todo[edge[todo] < 0]
        if len(todo) == 0 or radius >= max_attach_m:
            break
    return Attachment(edge, t, offset)
