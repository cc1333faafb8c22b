"""An independent reference: networkx shortest paths with the attached points inserted as nodes.

Built from the raw line coordinates (not from our deduplicated edges), keeping the shortest of
parallel edges by hand, since networkx's Graph would keep the last one added.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import networkx as nx
import numpy as np
import shapely

from geo.planning.network import NODE_SNAP_M, Attachment, WalkNetwork


def _key(xy) -> tuple[int, int]:
    return tuple(np.round(np.asarray(xy) / NODE_SNAP_M).astype(np.int64).tolist())


def _add_min(g: nx.Graph, a, b, w: float) -> None:
    if a == b:
        return
    if g.has_edge(a, b):
        w = min(w, g[a][b]["weight"])
    g.add_edge(a, b, weight=w)


def reference_distances(lines_m, network: WalkNetwork, sources: Attachment, targets: Attachment) -> np.ndarray:
    """Return each target's distance to the nearest source (inf when none), by networkx."""
    g = nx.Graph()
    for line in lines_m:
        coords = shapely.get_coordinates(line)
        for p, q in itertools.pairwise(coords):
            _add_min(g, _key(p), _key(q), float(np.hypot(*(q - p))))
    on_edge: dict[int, list[tuple[float, object]]] = defaultdict(list)
    for kind, att in (("s", sources), ("t", targets)):
        for i in np.flatnonzero(att.attached):
            on_edge[int(att.edge[i])].append((float(att.t[i]), (kind, int(i))))
    for e, pts in on_edge.items():
        u, v = _key(network.node_xy[network.edge_u[e]]), _key(network.node_xy[network.edge_v[e]])
        length = float(network.edge_len_m[e])
        chain = [(0.0, u)] + [(t, ("on", name)) for t, name in sorted(pts, key=lambda p: p[0])] + [(1.0, v)]
        g.remove_edge(u, v)
        for (ta, a), (tb, b) in itertools.pairwise(chain):
            if a != b and not g.has_edge(a, b):
                g.add_edge(a, b, weight=(tb - ta) * length)
        for _t, name in pts:
            att = sources if name[0] == "s" else targets
            g.add_edge(name, ("on", name), weight=float(att.offset_m[name[1]]))
    src_nodes = [("s", int(i)) for i in np.flatnonzero(sources.attached)]
    out = np.full(len(targets.edge), np.inf)
    if not src_nodes:
        return out
    lengths = nx.multi_source_dijkstra_path_length(g, src_nodes, weight="weight")
    for i in np.flatnonzero(targets.attached):
        out[i] = lengths.get(("t", int(i)), np.inf)
    return out
