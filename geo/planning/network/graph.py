"""The walking network: street centrelines noded where their vertices meet, and points attached to it.

Joining rule (noding): vertices within ``NODE_SNAP_M`` = 1 cm of each other (EPSG:4546, distance
≤ 1 cm) are one node, wherever they lie; there is no grid, so two vertices 0.2 mm apart always
merge and two 1.4 cm apart never do (the rule before issue #18 rounded to a 1 cm grid, which split
the first pair when a cell edge ran between them and merged the second when it did not). Merging is
single linkage: the nodes are the connected components of the graph "within 1 cm of", so it does
not depend on the order of the input, and a chain of vertices each within 1 cm of the next (0, 0.8,
1.6 cm) is one node even though its ends are 1.6 cm apart. A node sits at the first of its vertices
in input order; edge lengths are measured between the original vertices. Segments whose two ends
become one node (shorter than 1 cm, or folded by a chain) are dropped.

How: the vertices are binned in 1 m cells; a vertex farther than 1 cm from its cell's edge, in a
cell whose vertices are all exactly equal, can have no other vertex within 1 cm, and its cell is
its node. Only the rest (a few per cent: near a cell edge, or sharing a cell with another vertex)
go through a KD-tree (``scipy.spatial.cKDTree.query_pairs``), so the build costs about what the
grid rounding did.

Streets that cross without a vertex within 1 cm — a bridge, an underpass, an elevated road — are
not joined. Streets marked not walkable are left out. Each segment between two consecutive
vertices is one edge; of parallel edges between the same two nodes the shortest is kept (scipy's
COO→CSR conversion would otherwise add their lengths together).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geo.collection import collecting_rarely

NODE_SNAP_M = 0.01
"""Noding tolerance: vertices this close (metres, inclusive) are one node; see the module."""
SCREEN_CELL_M = 1.0
"""Side of the cells that screen out the vertices with no neighbour within the tolerance (any size is exact)."""
ORDER_M = 0.01
"""Resolution of the node numbering (west to east, then south to north); it decides ties, not joins."""


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
            # scipy may copy what it is given (it narrows int64 indices to int32 when they fit): a copy
            # holds this search's rows only, so it is used once and never kept for the next search.
            if all(np.shares_memory(a, b) for a, b in ((view.data, self.data), (view.indices, self.indices),
                                                         (view.indptr, self.indptr))):
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


def node_vertices(coords: np.ndarray, *, snap_m: float = NODE_SNAP_M) -> tuple[np.ndarray, np.ndarray]:
    """Return (node of each vertex, node coordinates): vertices within ``snap_m`` merged by single linkage.

    See the module for the rule and the screening that keeps the KD-tree to the few vertices that
    need it. Nodes are numbered by their position rounded to ``ORDER_M``, x first, then y.
    Work is column by column: numpy handles (n, 2) arrays along their short axis slowly.
    """
    coords = np.asarray(coords, dtype=float).reshape(-1, 2)
    if not snap_m >= 0:
        raise ValueError(f"snap_m must be >= 0 metres, got {snap_m!r}")
    if len(coords) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 2))
    x, y = np.ascontiguousarray(coords[:, 0]), np.ascontiguousarray(coords[:, 1])
    cell_of, plain_cell = _screen(x, y, snap_m=snap_m)
    plain_rank = np.cumsum(plain_cell) - 1
    n_plain = int(plain_rank[-1]) + 1
    node_of = plain_rank[cell_of]
    idx = np.flatnonzero(~plain_cell[cell_of])
    cluster, n_clusters = _clusters(x[idx], y[idx], snap_m=snap_m)
    node_of[idx] = n_plain + cluster
    node_x, node_y = np.empty(n_plain + n_clusters), np.empty(n_plain + n_clusters)
    node_x[node_of], node_y[node_of] = x, y  # all the vertices of a plain cell are one point
    first = np.full(n_clusters, len(x))
    np.minimum.at(first, cluster, idx)  # a cluster's node sits at its first vertex in input order
    node_x[n_plain:], node_y[n_plain:] = x[first], y[first]
    # Number the nodes west to east, then south to north, at 1 cm: the order the grid rounding before
    # issue #18 gave, so that searches tie-break (and sum equal-length paths) exactly as they did.
    kx, ky = np.round(node_x / ORDER_M).astype(np.int64), np.round(node_y / ORDER_M).astype(np.int64)
    kx -= kx.min()
    ky -= ky.min()
    order = np.argsort(kx * (int(ky.max()) + 1) + ky, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[node_of], np.column_stack([node_x[order], node_y[order]])


def _screen(x: np.ndarray, y: np.ndarray, *, snap_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Return (cell of each vertex, whether each cell is plain) on a grid of ``SCREEN_CELL_M`` cells.

    A cell is plain when its vertices are all the same point and none lies within ``snap_m`` of
    the cell's edge: then no vertex of another cell is within ``snap_m`` of it, and the cell is one
    node. Exact for any cell size; 1 m leaves a few per cent of the vertices to the KD-tree.
    """
    cell_m = max(SCREEN_CELL_M, 4 * snap_m)
    sx, sy = x / cell_m, y / cell_m
    cx, cy = np.round(sx), np.round(sy)
    kx, ky = cx.astype(np.int64), cy.astype(np.int64)
    kx -= kx.min()
    ky -= ky.min()
    cells, cell_of = np.unique(kx * (int(ky.max()) + 1) + ky, return_inverse=True)
    cell_of = cell_of.ravel()
    member = np.empty(len(cells), dtype=np.int64)
    member[cell_of] = np.arange(len(x))
    one = member[cell_of]  # one vertex of the same cell
    edge = 0.5 - (snap_m + 1e-6) / cell_m  # 1 µm more covers the rounding of x / cell_m
    check = (x != x[one]) | (y != y[one]) | (np.abs(sx - cx) >= edge) | (np.abs(sy - cy) >= edge)
    plain = np.ones(len(cells), dtype=bool)
    plain[cell_of[check]] = False
    return cell_of, plain


def _clusters(x: np.ndarray, y: np.ndarray, *, snap_m: float) -> tuple[np.ndarray, int]:
    """Return (cluster of each point, number of clusters): single linkage at ``snap_m``, by KD-tree.

    Equal points are grouped first (as complex numbers: one sortable value per point), then the
    pairs within ``snap_m`` (inclusive) join clusters as connected components, numbered in
    coordinate order.
    """
    if len(x) == 0:
        return np.zeros(0, dtype=np.int64), 0
    point, same = np.unique(x + 1j * y, return_inverse=True)
    pairs = cKDTree(np.column_stack([point.real, point.imag])).query_pairs(snap_m, output_type="ndarray")
    if len(pairs) == 0:
        return same.ravel(), len(point)
    n_clusters, label = connected_components(
        sp.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(point), len(point))),
        directed=False)
    return label[same.ravel()], int(n_clusters)


def build_walk_network(lines_m: np.ndarray, *, snap_m: float = NODE_SNAP_M) -> WalkNetwork:
    """Build the graph from metric LineStrings (one per street part); ``snap_m`` is the noding tolerance.

    See the module for the rule.
    """
    lines = np.asarray(lines_m, dtype=object)
    coords, line_idx = shapely.get_coordinates(lines, return_index=True)
    if len(coords) < 2:
        empty = np.zeros(0, dtype=np.int64)
        return WalkNetwork(np.zeros((0, 2)), empty, empty, np.zeros(0), empty, sp.csr_matrix((0, 0)))
    node_of, node_xy = node_vertices(coords, snap_m=snap_m)
    same_line = line_idx[:-1] == line_idx[1:]
    u = node_of[:-1][same_line]
    v = node_of[1:][same_line]
    length = np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1]))[same_line]
    src_line = line_idx[:-1][same_line]
    keep = u != v
    u, v, length, src_line = u[keep], v[keep], length[keep], src_line[keep]
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    n = len(node_xy)
    pair = lo * np.int64(n) + hi
    order = np.argsort(pair, kind="stable")  # by pair
    if np.any(pair[order][1:] == pair[order][:-1]):
        order = np.lexsort((length, pair))  # parallel edges: by pair, then shortest first
    lo, hi, length, src_line, pair = lo[order], hi[order], length[order], src_line[order], pair[order]
    first = np.ones(len(lo), dtype=bool)
    first[1:] = pair[1:] != pair[:-1]
    lo, hi, length, src_line = lo[first], hi[first], length[first], src_line[first]
    # Each row's entries come in column order (below the diagonal, then above) and are unique, so
    # the conversion from coordinates finds the matrix already canonical and sorts nothing.
    graph = sp.csr_matrix((np.concatenate([length, length]), (np.concatenate([hi, lo]), np.concatenate([lo, hi]))),
                          shape=(n, n))
    return WalkNetwork(node_xy, lo, hi, length, src_line, graph)


def edge_lines(network: WalkNetwork) -> np.ndarray:
    """Return each edge as a two-point LineString (metres)."""
    pts = np.stack([network.node_xy[network.edge_u], network.node_xy[network.edge_v]], axis=1)
    lines = shapely.linestrings(pts)
    assert isinstance(lines, np.ndarray)  # an (n, 2, 2) array of coordinates gives an array of lines
    return lines


FIRST_PASS_M = 30.0


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
        with collecting_rarely():
            which, e, frac, dist = _nearest_within(network, points_xy, todo, radius)
        edge[which], t[which], offset[which] = e, frac, dist
        todo = todo[edge[todo] < 0]
        if len(todo) == 0 or radius >= max_attach_m:
            break
    return Attachment(edge, t, offset)
