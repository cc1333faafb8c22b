"""Turning a solved search back into answers on the map: which targets lie in a component no source
reaches, and the stretch of street each source reaches within a walking distance.
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra

from geo.planning.network.graph import Attachment, WalkNetwork
from geo.planning.network.nearest import augmented


def in_source_component(network: WalkNetwork, sources: Attachment, targets: Attachment,
                        target_idx: np.ndarray) -> np.ndarray:
    """Return, for each of ``target_idx``, whether it shares a network component with an attached source.

    A target with no source in its component has no route at all; one that shares a component was
    merely beyond the search's cut-off.
    """
    if len(target_idx) == 0:
        return np.zeros(0, dtype=bool)
    _n, label = connected_components(network.graph, directed=False)
    source_components = label[network.edge_u[sources.edge[sources.attached]]]
    return np.isin(label[network.edge_u[targets.edge[target_idx]]], source_components)


def reach_lines(network: WalkNetwork, sources: Attachment, reach_m: float) -> list[np.ndarray | None]:
    """Return, per source, the street pieces (metric linestrings) it reaches within ``reach_m``.

    Each source is searched on its own. On its own edge a source reaches ``reach_m`` less its
    off-network leg in both directions from where it joins, clipped to the edge; every edge is
    also reached from its ends: whole when both ends together cover it, otherwise the part
    reachable from each end. So nothing is drawn beyond the reach (issue #18: a facility halfway
    along a 3 km single-segment street with 900 m drew the whole 3 km). The off-network leg itself
    is not drawn. Unattached sources get ``None``; a source whose leg alone exceeds ``reach_m``
    reaches no street and gets an empty array.
    """
    out: list[np.ndarray | None] = [None] * len(sources.edge)
    idx = np.flatnonzero(sources.attached)
    if len(idx) == 0:
        return out
    graph, virtual = augmented(network, sources, idx)
    dist = dijkstra(graph, directed=True, indices=virtual, limit=reach_m)
    a, b = network.node_xy[network.edge_u], network.node_xy[network.edge_v]
    length = network.edge_len_m
    for row, s in enumerate(idx):
        du, dv = dist[row, network.edge_u], dist[row, network.edge_v]
        reach_u = np.where(np.isfinite(du), np.clip(reach_m - du, 0, None), 0.0)  # metres from u along the edge
        reach_v = np.where(np.isfinite(dv), np.clip(reach_m - dv, 0, None), 0.0)
        seen = np.isfinite(du) | np.isfinite(dv)
        whole = seen & (reach_u + reach_v >= length)
        starts, ends = [a[whole]], [b[whole]]
        for from_u, reach in ((True, reach_u), (False, reach_v)):
            part = seen & ~whole & (reach > 0)
            start = a[part] if from_u else b[part]
            end_pt = b[part] if from_u else a[part]
            starts.append(start)
            ends.append(start + (reach[part] / length[part])[:, None] * (end_pt - start))
        own = _own_edge_piece(network, sources, int(s), reach_m)
        if own is not None:
            starts.append(own[0])
            ends.append(own[1])
        out[s] = _segments(np.concatenate(starts), np.concatenate(ends))
    return out


def _own_edge_piece(network: WalkNetwork, sources: Attachment, s: int,
                    reach_m: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Return the ends, as (1, 2) arrays, of the stretch of source ``s``'s own edge within ``reach_m``, or None.

    The reach left after the off-network leg runs both ways from the attachment point, clipped to
    the edge's two ends; None when the leg alone uses up the reach.
    """
    left_m = reach_m - float(sources.offset_m[s])
    if not left_m > 0:
        return None
    e = int(sources.edge[s])
    length_m = float(network.edge_len_m[e])
    at_m = float(sources.t[s]) * length_m
    t0, t1 = max(at_m - left_m, 0.0) / length_m, min(at_m + left_m, length_m) / length_m
    a, b = network.node_xy[network.edge_u[e]], network.node_xy[network.edge_v[e]]
    return (a + t0 * (b - a))[None, :], (a + t1 * (b - a))[None, :]


def _segments(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Return one two-point linestring per row of ``starts`` and ``ends`` ((k, 2) arrays), as an object array."""
    if len(starts) == 0:
        return np.empty(0, dtype=object)
    return np.asarray(shapely.linestrings(np.stack([starts, ends], axis=1)), dtype=object).reshape(-1)
