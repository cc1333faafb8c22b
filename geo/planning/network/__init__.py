"""The walking network engine, in three steps every planning computation takes in this order.

- **attach**: :func:`build_walk_network` nodes the street centrelines (vertices within
  ``NODE_SNAP_M`` = 1 cm are one node, by single linkage: :func:`node_vertices`); :func:`attach_points`
  joins plates, facilities or candidate sites to their nearest walkable edge (an :class:`Attachment`).
- **solve**: :func:`nearest_source` (each target's nearest source, one multi-source Dijkstra) and
  :func:`reach_matrix` (every source-target pair within a distance).
- **resolve**: :func:`in_source_component` tells "no route at all" from "beyond the cut-off";
  :func:`reach_lines` gives the streets each source reaches, clipped to the reach (its own edge
  included), for service-area maps.

Everything is in metres (EPSG:4546) on arrays; nothing here reads the database or knows what a
plate or a facility is.
"""

from geo.planning.network.graph import (
           NODE_SNAP_M,
           Attachment,
           WalkNetwork,
           attach_points,
           build_walk_network,
           edge_lines,
           node_vertices,
)
from geo.planning.network.nearest import nearest_source, node_distances, reach_matrix
from geo.planning.network.resolve import in_source_component, reach_lines

__all__ = ["NODE_SNAP_M", "Attachment", "WalkNetwork", "attach_points", "build_walk_network", "edge_lines",
           "in_source_component", "nearest_source", "node_distances", "node_vertices", "reach_lines", "reach_matrix"]
