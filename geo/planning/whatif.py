"""Instant what-if for planners: add, move or remove a station, or close a street, and see the change
in covered households and residents 60+ without a full recomputation (rule FA-01, issue #18 item 5).

A :class:`WhatIf` is built once from a planning run (or from arrays: the benchmarks' grid). It keeps,
per plate, the walking distance to its nearest station and which station that is. An edit then
recomputes only the plates it can change, with the network engine's public solvers
(``attach_points``, ``nearest_source``, ``node_distances``):

- **add** a station: one Dijkstra from the new point, cut off at the reach, over the plates within
  straight-line reach of it (walking is never shorter than the straight line); a plate takes the new
  station where it is strictly nearer.
- **remove** a station: only the plates whose nearest it was are searched again, from the remaining
  stations within straight-line reach of them (no other station can cover them).
- **move** = remove, then add at the new point (the station keeps its id).
- **close a street**: its edges leave the network (the plates and stations attached to them join the
  nearest open edge again, as a rebuilt network would join them). Closing only lengthens paths, so
  only covered plates whose path may have used a closed edge can lose coverage: those on edges
  with an end within the reach of a closed edge's end (one bounded Dijkstra from those ends). They
  and the re-joined plates are searched again; a re-joined station then adds what it newly reaches.

Every bounded search runs on the local network around its sources: the open edges with an end
within the reach (in a straight line) of a source, which hold every walk of at most the reach from
it, so the distances are the same sums as on the whole network, and a search on a million edges
costs what its neighbourhood costs (:meth:`WhatIf._local`). Closed edges are simply left out of
these local networks.

Covered means a walking distance of at most the reach, as :func:`geo.planning.coverage.plate_access`
says; the result is the same set of covered plates as a full recomputation on the edited inputs
(tests/test_whatif.py checks random edits against ``run_planning``). Pure: data in, data out.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree

from geo import crs as C
from geo import messages as msg
from geo.errors import InputError
from geo.layers import LEAF_LEVELS
from geo.messages import label
from geo.planning.network import Attachment, WalkNetwork, attach_points, nearest_source, node_distances
from geo.types import LonLat

OPS = ("add", "move", "remove", "close_street")
MAX_EDITS = 20  # edits in one what-if: each is bounded work, and a planner compares a few at a time
# A bounded search looks a little past the reach so that a node exactly at the reach is never missed.
SLACK_M = 1.0


class EditRefused(InputError):
    """An edit that cannot be applied (a missing point or station, a point outside the district): 422."""

    status = 422
    code = "invalid_edit"


@dataclass(frozen=True)
class Edit:
    """One what-if change: ``add`` at ``xy_m``, ``move`` ``facility_id`` to ``xy_m``, ``remove``
    ``facility_id``, or ``close_street`` ``street_id``. Points in metres (EPSG:4546)."""

    op: str
    xy_m: tuple[float, float] | None = None
    facility_id: int | None = None
    street_id: int | None = None


@dataclass(frozen=True)
class Units:
    """The communities, sub-districts and district, with each leaf's ancestors, for per-unit sums."""

    table: pd.DataFrame          # code, name, level, parent_code, households, covered_households, ...
    membership: sp.csr_matrix    # (units × leaves) 1 where a leaf lies in (or is) the unit
    leaf_index: dict[str, int]   # community code → column of ``membership``


@dataclass(frozen=True)
class WhatIfResult:
    """The change an edit list makes: plates gained and lost, and the sums they move."""

    gained: np.ndarray               # plate indices newly covered
    lost: np.ndarray                 # plate indices no longer covered
    households: float                # change in covered households (district)
    residents_60plus: float          # change in covered residents 60+ (district)
    covered_households_before: float
    covered_60plus_before: float
    total_households: float
    total_60plus: float
    units: pd.DataFrame | None       # per unit: before, change and shares after (None without units)
    unattached: list[int] = field(default_factory=list)  # edits (by position) whose point joins no street
    covered_after: np.ndarray | None = None  # per plate, for checks against a full recomputation
    dist_after_m: np.ndarray | None = None

    @property
    def household_share_after(self) -> float:
        """Return the district's covered share of households after the edits (NaN without households)."""
        total = self.total_households
        return (self.covered_households_before + self.households) / total if total > 0 else float("nan")

    @property
    def share_60plus_after(self) -> float:
        """Return the district's covered share of residents 60+ after the edits."""
        total = self.total_60plus
        return (self.covered_60plus_before + self.residents_60plus) / total if total > 0 else float("nan")


@dataclass
class _State:
    """One edit list's working copy: the closed edges, what is attached where, and per-plate nearest."""

    closed: np.ndarray | None         # per edge of the base network, closed so far
    plate_att: Attachment
    src_xy: np.ndarray
    src_att: Attachment
    src_ids: np.ndarray
    active: np.ndarray
    dist: np.ndarray
    which: np.ndarray


def _field(position: int, name: str) -> str:
    """Return the field of the edit at 1-based ``position`` as the request body names it (``edits.0.lon``)."""
    return f"edits.{position - 1}.{name}"


def _solo(network: WalkNetwork) -> WalkNetwork:
    """Return the network as a new instance, so a search gets a scratch buffer of its own.

    ``WalkNetwork.virtual_rows`` keeps one CSR matrix per number of sources, but scipy copies the
    buffers it is given, so a second search with as many sources (different ones) on the same
    instance reuses the first search's virtual rows (reported to the network's owner; in HEAD as of
    2026-12-02). A new instance costs one copy of the CSR arrays.
    """
    return replace(network)


class _EdgeMap:
    """Base edge → local edge of a local network (its sorted base edges); -1 for an edge left out."""

    def __init__(self, edges: np.ndarray):
        self.edges = edges

    def __getitem__(self, base_edges: np.ndarray) -> np.ndarray:
        base_edges = np.asarray(base_edges)
        if len(self.edges) == 0:
            return np.full(base_edges.shape, -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.edges, base_edges), len(self.edges) - 1)
        return np.where((self.edges[at] == base_edges) & (base_edges >= 0), at, -1)


def _remap(att: Attachment, edge_map: _EdgeMap) -> Attachment:
    """Return ``att`` on a local network: its edges through ``edge_map``; off it, unattached."""
    return Attachment(edge_map[att.edge], att.t, att.offset_m)


def _sub(att: Attachment, idx: np.ndarray) -> Attachment:
    return Attachment(att.edge[idx], att.t[idx], att.offset_m[idx])


def _set(att: Attachment, idx: np.ndarray, new: Attachment) -> Attachment:
    edge, t, off = att.edge.copy(), att.t.copy(), att.offset_m.copy()
    edge[idx], t[idx], off[idx] = new.edge, new.t, new.offset_m
    return Attachment(edge, t, off)


def _append(att: Attachment, new: Attachment) -> Attachment:
    return Attachment(np.concatenate([att.edge, new.edge]), np.concatenate([att.t, new.t]),
                      np.concatenate([att.offset_m, new.offset_m]))


class WhatIf:
    """The baseline of one planning run, ready to answer edit lists (see the module)."""

    def __init__(self, network: WalkNetwork, *, plate_xy: np.ndarray, plate_att: Attachment, fac_xy: np.ndarray,
                 fac_att: Attachment, fac_ids: np.ndarray, reach_m: float, max_attach_m: float,
                 households: np.ndarray, residents_60plus: np.ndarray, edge_street: np.ndarray | None = None,
                 plate_community: np.ndarray | None = None, units: pd.DataFrame | None = None,
                 district: shapely.Geometry | None = None):
        self.network = network
        self.plate_xy = np.asarray(plate_xy, dtype=float).reshape(-1, 2)
        self.plate_att = plate_att
        self.fac_xy = np.asarray(fac_xy, dtype=float).reshape(-1, 2)
        self.fac_att = fac_att
        self.fac_ids = np.asarray(fac_ids, dtype=np.int64)
        self.reach_m = float(reach_m)
        self.max_attach_m = float(max_attach_m)
        self.households = np.asarray(households, dtype=float)
        self.residents_60plus = np.asarray(residents_60plus, dtype=float)
        self.edge_street = edge_street
        self.plate_tree = cKDTree(self.plate_xy) if len(self.plate_xy) else None
        self.dist, self.which = nearest_source(_solo(network), fac_att, plate_att, limit_m=self.reach_m)
        self.covered = plate_att.attached & (self.dist <= self.reach_m)
        self.units = _units(units, plate_community) if units is not None and plate_community is not None else None
        self.plate_leaf = (np.array([self.units.leaf_index.get(c, -1) for c in plate_community], dtype=np.int64)
                           if self.units is not None and plate_community is not None else None)
        self._street_edges: dict[int, np.ndarray] | None = None
        self._lock = threading.Lock()
        self._node_tree: cKDTree | None = None   # the base network's nodes and edges by node, for local searches
        self._incident = np.zeros(0, dtype=np.int64)
        self._incident_ptr = np.zeros(1, dtype=np.int64)
        self.district = district  # the district's area (EPSG:4490): edit points outside it are refused

    @classmethod
    def from_run(cls, run) -> WhatIf:
        """Return the what-if baseline of a :class:`geo.planning.run.PlanningRun` (its network and attachments)."""
        from geo.planning.coverage import plate_households, plate_residents_60plus, points_xy

        plates, care = run.inputs.plates, run.care_facilities
        plate_xy = run.plate_xy if run.plate_xy is not None else points_xy(plates)
        return cls(run.network, plate_xy=plate_xy, plate_att=run.plate_att, fac_xy=points_xy(care),
                   fac_att=run.care_att, fac_ids=care["id"].to_numpy(dtype=np.int64), reach_m=run.params.reach_m,
                   max_attach_m=run.params.max_attach_m, households=plate_households(plates),
                   residents_60plus=plate_residents_60plus(plates, run.inputs.units),
                   edge_street=edge_streets(run.network, run.inputs.streets),
                   plate_community=plates["community_code"].to_numpy(), units=run.coverage,
                   district=_district_area(run.inputs.units))

    def parse_edits(self, items: list[dict], *, crs: str = C.STORAGE_CRS) -> list[Edit]:
        """Return edits from plain items (``op``, ``lon``, ``lat`` in ``crs``, ``facility_id``, ``street_id``).

        Points are converted to EPSG:4490 and must lie in the district; each problem names the
        edit's position and its field (422, nothing computed).
        """
        if len(items) > MAX_EDITS:
            raise EditRefused(msg.text("whatif.too_many", limit=MAX_EDITS, count=len(items)), field="edits")
        out = []
        for position, item in enumerate(items, start=1):
            op = item.get("op")
            if op not in OPS:
                raise EditRefused(msg.text("whatif.op", field=label("op"), position=position, value=repr(op),
                                           allowed=", ".join(OPS)), field=_field(position, "op"))
            xy = None
            if op in ("add", "move"):
                lon, lat = item.get("lon"), item.get("lat")
                if lon is None or lat is None:
                    raise EditRefused(msg.text("whatif.needs_point", position=position, op=op),
                                      field=_field(position, "lon" if lon is None else "lat"))
                try:
                    point = LonLat.from_xy(float(lon), float(lat), crs=crs, field="lon")
                except InputError as exc:  # a foreign CRS stays 400 (its own field); a bad point is the edit's 422
                    if exc.field == "crs":
                        raise
                    raise EditRefused(exc.message, field=_field(position, "lon")) from exc
                if self.district is not None and not shapely.covers(self.district, shapely.Point(point.lon, point.lat)):
                    raise EditRefused(msg.text("whatif.outside", position=position, lon=f"{point.lon:.6f}",
                                               lat=f"{point.lat:.6f}"), field=_field(position, "lon"))
                x, y = C.from_storage([point.lon], [point.lat], C.METRIC_CRS)
                xy = (float(x[0]), float(y[0]))
            fid, sid = item.get("facility_id"), item.get("street_id")
            if op in ("move", "remove") and fid is None:
                raise EditRefused(msg.text("whatif.needs_facility", position=position, op=op),
                                  field=_field(position, "facility_id"))
            if op == "close_street" and sid is None:
                raise EditRefused(msg.text("whatif.needs_street", position=position, op=op),
                                  field=_field(position, "street_id"))
            out.append(Edit(op, xy_m=xy, facility_id=None if fid is None else int(fid),
                            street_id=None if sid is None else int(sid)))
        return out

    # -- the edits ------------------------------------------------------------------------------------

    def apply(self, edits: list[Edit] | tuple[Edit, ...], *, keep_plates: bool = False) -> WhatIfResult:
        """Return the change ``edits`` (applied in order, from the baseline) make to coverage.

        ``keep_plates`` adds the per-plate covered mask and distances after the edits to the result.
        """
        state = _State(closed=None, plate_att=self.plate_att, src_xy=self.fac_xy,
                       src_att=self.fac_att, src_ids=self.fac_ids, active=np.ones(len(self.fac_ids), dtype=bool),
                       dist=self.dist.copy(), which=self.which.copy())
        unattached = []
        closed_by: dict[int, int] = {}  # street id → the edit that closed it
        for position, edit in enumerate(edits):
            if edit.op == "add":
                if not self._add(state, self._xy(edit, position), new_id=-(position + 1)):
                    unattached.append(position)
            elif edit.op == "remove":
                self._remove(state, self._source(state, edit, position))
            elif edit.op == "move":
                s = self._source(state, edit, position)
                xy = self._xy(edit, position)
                self._remove(state, s)
                if not self._add(state, xy, new_id=int(state.src_ids[s])):
                    unattached.append(position)
            elif edit.op == "close_street":
                if edit.street_id is not None and int(edit.street_id) in closed_by:
                    raise EditRefused(msg.text("whatif.closed_twice", position=position + 1, value=edit.street_id,
                                               first=closed_by[int(edit.street_id)] + 1),
                                      field=_field(position + 1, "street_id"))
                self._close(state, edit, position)
                closed_by[int(edit.street_id or 0)] = position
            else:
                raise EditRefused(msg.text("whatif.op", field=label("op"), position=position + 1, value=repr(edit.op),
                                          allowed=", ".join(OPS)), field=_field(position + 1, "op"))
        covered = state.plate_att.attached & (state.dist <= self.reach_m)
        return self._result(covered, state.dist if keep_plates else None, unattached, keep_plates)

    def _xy(self, edit: Edit, position: int) -> np.ndarray:
        if edit.xy_m is None or not np.all(np.isfinite(edit.xy_m)):
            raise EditRefused(msg.text("whatif.needs_point", position=position + 1, op=edit.op),
                              field=_field(position + 1, "lon"))
        return np.asarray(edit.xy_m, dtype=float).reshape(1, 2)

    def _source(self, state: _State, edit: Edit, position: int) -> int:
        if edit.facility_id is None:
            raise EditRefused(msg.text("whatif.needs_facility", position=position + 1, op=edit.op),
                              field=_field(position + 1, "facility_id"))
        hit = np.flatnonzero((state.src_ids == edit.facility_id) & state.active)
        if len(hit) == 0:
            raise EditRefused(msg.text("whatif.no_station", position=position + 1, value=edit.facility_id),
                              field=_field(position + 1, "facility_id"))
        return int(hit[0])

    def _attach(self, state: _State, xy: np.ndarray) -> Attachment:
        """Attach points to the nearest open edge within the limit, as a network without the closed edges would."""
        att = attach_points(self.network, xy, max_attach_m=self.max_attach_m)
        if state.closed is None:
            return att
        bad = np.flatnonzero(att.attached & state.closed[np.maximum(att.edge, 0)])
        if len(bad) == 0:
            return att
        r = self.max_attach_m
        x, y = xy[bad, 0], xy[bad, 1]
        near = np.unique(self.network.edge_tree.query(shapely.box(x - r, y - r, x + r, y + r))[1])
        near = near[~state.closed[near]]
        if len(near) == 0:  # no open street within reach of them: unattached
            n = len(bad)
            return _set(att, bad, Attachment(np.full(n, -1, dtype=np.int64), np.full(n, np.nan), np.full(n, np.nan)))
        net = self.network
        sub = WalkNetwork(net.node_xy, net.edge_u[near], net.edge_v[near], net.edge_len_m[near], net.edge_line[near],
                          net.graph)
        again = attach_points(sub, xy[bad], max_attach_m=r)
        mapped = Attachment(np.where(again.attached, near[np.maximum(again.edge, 0)], -1), again.t, again.offset_m)
        return _set(att, bad, mapped)

    def _near_plates(self, xy: np.ndarray) -> np.ndarray:
        """Return the plates within straight-line reach of any of ``xy`` (no walk is shorter)."""
        if self.plate_tree is None or len(xy) == 0:
            return np.zeros(0, dtype=np.int64)
        hits = self.plate_tree.query_ball_point(xy, self.reach_m + SLACK_M)
        return np.unique(np.concatenate([np.asarray(h, dtype=np.int64) for h in hits]))

    def _add(self, state: _State, xy: np.ndarray, *, new_id: int) -> bool:
        att = self._attach(state, xy)
        state.src_xy = np.vstack([state.src_xy, xy])
        state.src_att = _append(state.src_att, att)
        state.src_ids = np.append(state.src_ids, new_id)
        state.active = np.append(state.active, True)
        if not att.attached[0]:
            return False
        self._gain_from(state, len(state.src_ids) - 1)
        return True

    def _gain_from(self, state: _State, s: int) -> None:
        """Give the plates within reach of source ``s`` that source where it is strictly nearer."""
        idx = self._near_plates(state.src_xy[s:s + 1])
        if len(idx) == 0:
            return
        local, edge_map, _nodes = self._local(state, state.src_xy[s:s + 1], state.src_att.edge[s:s + 1])
        d, _w = nearest_source(local, _remap(_sub(state.src_att, np.array([s])), edge_map),
                               _remap(_sub(state.plate_att, idx), edge_map), limit_m=self.reach_m)
        better = d < state.dist[idx]
        state.dist[idx[better]] = d[better]
        state.which[idx[better]] = s

    def _remove(self, state: _State, s: int) -> None:
        state.active = state.active.copy()
        state.active[s] = False
        self._recompute(state, np.flatnonzero(state.which == s))

    def _recompute(self, state: _State, idx: np.ndarray) -> None:
        """Search plates ``idx`` again from the active stations within straight-line reach of them."""
        if len(idx) == 0:
            return
        state.dist[idx], state.which[idx] = np.inf, -1
        live = np.flatnonzero(state.active & state.src_att.attached)
        if len(live) == 0:
            return
        gap, _ = cKDTree(self.plate_xy[idx]).query(state.src_xy[live], distance_upper_bound=self.reach_m + SLACK_M)
        live = live[np.isfinite(gap)]
        if len(live) == 0:
            return
        local, edge_map, _nodes = self._local(state, state.src_xy[live], state.src_att.edge[live])
        d, w = nearest_source(local, _remap(_sub(state.src_att, live), edge_map),
                              _remap(_sub(state.plate_att, idx), edge_map), limit_m=self.reach_m)
        state.dist[idx] = d
        state.which[idx] = np.where(w >= 0, live[np.maximum(w, 0)], -1)

    def _local(self, state: _State, centres_xy: np.ndarray, own_edges: np.ndarray, *,
               radius_m: float | None = None) -> tuple[WalkNetwork, _EdgeMap, np.ndarray]:
        """Return the open network around ``centres_xy``, the map from base edges to its edges (-1: left
        out) and its nodes' base indices.

        A walk of at most the reach from a centre never leaves the disc of that radius around it (no
        walk is shorter than the straight line), so the edges with an end in the discs (and the
        sources' own edges) hold every path a bounded search can take; searching them alone gives the
        same distances, in the same sums, without copying the whole graph per search.
        """
        base = self.network
        with self._lock:  # one baseline serves concurrent requests: the index is built once
            if self._node_tree is None:
                ends = np.concatenate([base.edge_u, base.edge_v])
                order = np.argsort(ends, kind="stable")
                self._incident = order % max(base.n_edges, 1)
                self._incident_ptr = np.searchsorted(ends[order], np.arange(base.n_nodes + 1))
                self._node_tree = cKDTree(base.node_xy)
        hits = self._node_tree.query_ball_point(np.asarray(centres_xy).reshape(-1, 2),
                                                (radius_m or self.reach_m) + SLACK_M)
        nodes = np.unique(np.concatenate([np.asarray(h, dtype=np.int64) for h in hits] + [np.zeros(0, np.int64)]))
        start, count = self._incident_ptr[nodes], self._incident_ptr[nodes + 1] - self._incident_ptr[nodes]
        offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        edges = self._incident[np.repeat(start, count) + offsets]
        own = np.asarray(own_edges, dtype=np.int64)
        edges = np.unique(np.concatenate([edges, own[own >= 0]]))
        if state.closed is not None:
            edges = edges[~state.closed[edges]]
        local_nodes = np.unique(np.concatenate([base.edge_u[edges], base.edge_v[edges]]))
        # sorted lookups, not base-sized arrays: a search touches a few hundred of a million edges
        u, v = np.searchsorted(local_nodes, base.edge_u[edges]), np.searchsorted(local_nodes, base.edge_v[edges])
        length = base.edge_len_m[edges]
        k = len(local_nodes)
        graph = sp.csr_matrix((np.concatenate([length, length]), (np.concatenate([u, v]), np.concatenate([v, u]))),
                              shape=(k, k))
        edge_map = _EdgeMap(edges)
        return WalkNetwork(base.node_xy[local_nodes], u, v, length, base.edge_line[edges], graph), edge_map, local_nodes

    def street_edges(self, street_id: int) -> np.ndarray:
        """Return the base network's edges that came from street ``street_id`` (empty when none)."""
        if self._street_edges is None:
            if self.edge_street is None:
                self._street_edges = {}
            else:
                order = np.argsort(self.edge_street, kind="stable")
                keys, starts = np.unique(self.edge_street[order], return_index=True)
                ends = np.append(starts[1:], len(order))
                self._street_edges = {int(k): order[a:b] for k, a, b in zip(keys, starts, ends, strict=True)}
        return self._street_edges.get(int(street_id), np.zeros(0, dtype=np.int64))

    def _close(self, state: _State, edit: Edit, position: int) -> None:
        if edit.street_id is None:
            raise EditRefused(msg.text("whatif.needs_street", position=position + 1, op=edit.op),
                              field=_field(position + 1, "street_id"))
        edges = self.street_edges(edit.street_id)
        if len(edges) == 0:
            raise EditRefused(msg.text("whatif.no_street", position=position + 1, value=edit.street_id),
                              field=_field(position + 1, "street_id"))
        if state.closed is not None:
            edges = edges[~state.closed[edges]]
        if len(edges) == 0:
            return  # nothing walkable left of it: closing changes no path
        # 1. Which covered plates may lose: those on an edge with an end within reach of a closed edge's end.
        base = self.network
        ends_xy = base.node_xy[np.unique(np.concatenate([base.edge_u[edges], base.edge_v[edges]]))]
        local, edge_map, local_nodes = self._local(state, ends_xy, edges, radius_m=self.reach_m + 2 * SLACK_M)
        probes = Attachment(np.concatenate([edge_map[edges], edge_map[edges]]),
                            np.concatenate([np.zeros(len(edges)), np.ones(len(edges))]), np.zeros(2 * len(edges)))
        local_dist, _src = node_distances(local, probes, np.arange(2 * len(edges)), limit_m=self.reach_m + SLACK_M)
        node_dist = np.full(base.n_nodes, np.inf)
        node_dist[local_nodes] = local_dist[:len(local_nodes)]  # the virtual rows come after the nodes
        pe = state.plate_att.edge
        ok = pe >= 0
        near = np.zeros(len(pe), dtype=bool)
        near[ok] = np.isfinite(node_dist[base.edge_u[pe[ok]]]) | np.isfinite(node_dist[base.edge_v[pe[ok]]])
        closed = np.zeros(self.network.n_edges, dtype=bool) if state.closed is None else state.closed.copy()
        closed[edges] = True
        on_closed = ok & closed[np.maximum(pe, 0)]
        # 2. Without the closed edges (every later search leaves them out); plates and stations on them
        #    join the nearest open edge.
        state.closed = closed
        moved_plates = np.flatnonzero(on_closed)
        if len(moved_plates):
            state.plate_att = _set(state.plate_att, moved_plates, self._attach(state, self.plate_xy[moved_plates]))
        se = state.src_att.edge
        moved_src = np.flatnonzero((se >= 0) & closed[np.maximum(se, 0)] & state.active)
        if len(moved_src):
            state.src_att = _set(state.src_att, moved_src, self._attach(state, state.src_xy[moved_src]))
        # 3. Search again the covered plates near the closure, the re-joined plates, and those of re-joined stations.
        covered = state.dist <= self.reach_m
        todo = np.flatnonzero((near & covered) | on_closed | np.isin(state.which, moved_src))
        self._recompute(state, todo)
        for s in moved_src:
            if state.src_att.attached[s]:
                self._gain_from(state, int(s))

    # -- the answer -----------------------------------------------------------------------------------

    def _result(self, covered: np.ndarray, dist: np.ndarray | None, unattached: list[int],
                keep_plates: bool) -> WhatIfResult:
        gained = np.flatnonzero(covered & ~self.covered)
        lost = np.flatnonzero(~covered & self.covered)
        hh, old = self.households, self.residents_60plus
        units = None
        if self.units is not None and self.plate_leaf is not None:
            units = self._unit_changes(gained, lost)
        return WhatIfResult(
            gained=gained, lost=lost, households=float(hh[gained].sum() - hh[lost].sum()),
            residents_60plus=float(old[gained].sum() - old[lost].sum()),
            covered_households_before=float(hh[self.covered].sum()),
            covered_60plus_before=float(old[self.covered].sum()), total_households=float(hh.sum()),
            total_60plus=float(old.sum()), units=units, unattached=unattached,
            covered_after=covered if keep_plates else None, dist_after_m=dist)

    def _unit_changes(self, gained: np.ndarray, lost: np.ndarray) -> pd.DataFrame:
        assert self.units is not None and self.plate_leaf is not None
        n_leaves = self.units.membership.shape[1]
        delta = np.zeros((n_leaves, 2))
        for idx, sign in ((gained, 1.0), (lost, -1.0)):
            leaf = self.plate_leaf[idx]
            keep = leaf >= 0
            np.add.at(delta, leaf[keep], sign * np.column_stack([self.households[idx[keep]],
                                                                 self.residents_60plus[idx[keep]]]))
        per_unit = self.units.membership @ delta
        t = self.units.table
        out = t[["code", "name", "level", "parent_code", "households", "covered_households", "residents_60plus",
                 "covered_60plus"]].copy()
        out["delta_households"] = per_unit[:, 0]
        out["delta_60plus"] = per_unit[:, 1]
        hh = out["households"].where(out["households"] > 0)
        old = out["residents_60plus"].where(out["residents_60plus"] > 0)
        out["household_share_after"] = (out["covered_households"] + out["delta_households"]) / hh
        out["share_60plus_after"] = (out["covered_60plus"] + out["delta_60plus"]) / old
        return out


def _units(coverage: pd.DataFrame, plate_community: np.ndarray) -> Units:
    """Return the unit table (a run's coverage table) with which leaves roll up into which unit."""
    table = coverage.reset_index(drop=True)
    leaves = [c for c, lv in zip(table["code"], table["level"], strict=True) if lv in LEAF_LEVELS]
    leaf_index = {c: i for i, c in enumerate(leaves)}
    parent = dict(zip(table["code"], table["parent_code"], strict=True))
    row_of = {c: i for i, c in enumerate(table["code"])}
    rows, cols = [], []
    for leaf, j in leaf_index.items():
        p, seen = leaf, set()
        while p is not None and p in row_of and p not in seen:
            seen.add(p)
            rows.append(row_of[p])
            cols.append(j)
            p = parent.get(p)
    membership = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(table), max(len(leaves), 1)))
    return Units(table=table, membership=membership, leaf_index=leaf_index)


def edge_streets(network: WalkNetwork, streets: pd.DataFrame) -> np.ndarray:
    """Return, per network edge, the id of the street it came from (as ``walk_network_from_streets``
    numbers the walkable streets' parts)."""
    walkable = streets
    if "walkable" in streets.columns:
        walkable = streets[streets["walkable"].fillna(True).astype(bool)]
    geoms = np.asarray(walkable.geometry.values, dtype=object)
    present = np.array([g is not None for g in geoms], dtype=bool)
    ids = walkable["id"].to_numpy(dtype=np.int64)[present] if len(geoms) else np.zeros(0, dtype=np.int64)
    _parts, part_of = shapely.get_parts(geoms[present], return_index=True) if len(geoms) else (None, np.zeros(0, int))
    part_street = ids[part_of]
    if network.n_edges and int(network.edge_line.max()) >= len(part_street):
        raise ValueError("the network's edges do not come from these streets")
    return part_street[network.edge_line] if network.n_edges else np.zeros(0, dtype=np.int64)


def _district_area(units: pd.DataFrame) -> shapely.Geometry | None:
    """Return the district's area (EPSG:4490, prepared for point tests), or None when the units lack it."""
    own = units[units["level"] == "district"] if "level" in units.columns else units.iloc[0:0]
    geoms = [g for g in getattr(own, "geometry", []) if g is not None]
    if not geoms:
        return None
    area = shapely.union_all(geoms)
    shapely.prepare(area)
    return area
