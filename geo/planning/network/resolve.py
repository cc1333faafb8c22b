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

    Each source is searched on its own; an edge is taken whole when both ends together cover it,
    otherwise the part reachable from each end. The source's own edge is always included.
    Unattached sources get ``None``.
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
        pieces = [shapely.linestrings(np.stack([a[whole], b[whole]], axis=1))] if whole.any() else []
        for from_u, reach in ((True, reach_u), (False, reach_v)):
            part = seen & ~whole & (reach > 0)
            if part.any():
                start = a[part] if from_u else b[part]
                end_pt = b[part] if from_u else a[part]
                frac = (reach[part] / length[part])[:, None]
                pieces.append(shapely.linestrings(np.stack([start, start + frac * (end_pt - start)], axis=1)))
        e = sources.edge[s]
        own = shapely.linestrings([[a[e], b[e]]])
        out[s] = np.concatenate([*pieces, own]) if pieces else own
    return out
