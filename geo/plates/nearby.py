"""The services near many door plates at once: nearest elder-care station and community service centre.

What a resident's page shows under each plate, for every plate in one pass: the walking network
and the active facilities are attached once, then one multi-source Dijkstra per kind of service
(:func:`geo.planning.network.nearest_source`) gives every plate its nearest facility. The answer
per plate is exactly :func:`geo.planning.coverage.nearest_by_walking`'s (same attachment, same
search, same rounding), which a test checks on the whole sample. Pure: frames in, answers out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo import crs as C
from geo.planning.coverage import (
    ELDER_CARE_KINDS,
    SPEED_PRESETS_M_PER_S,
    WalkParams,
    attach_facilities,
    walk_network_from_streets,
)
from geo.planning.network import Attachment, WalkNetwork, attach_points, nearest_source

PUBLIC_LIMIT_M = 5000.0  # the public page lists a service only within this walk
PUBLIC_WALK = WalkParams()  # 1.0 m/s, at most 150 m off the street: what the public page has always used
CENTRE_KIND = "community_service_centre"
SERVICES = ("care", "centre")  # nearest elder-care station, community service centre


@dataclass(frozen=True)
class ServiceSources:
    """The walking network and, per service, its active facilities and their attachment."""

    network: WalkNetwork
    facilities: dict[str, gpd.GeoDataFrame]
    attached: dict[str, Attachment]


def service_sources(streets: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, *,
                    params: WalkParams = PUBLIC_WALK) -> ServiceSources:
    """Build the network from ``streets`` and attach the active facilities of each service once."""
    network = walk_network_from_streets(streets)
    active = facilities[facilities["status"] == "active"]
    chosen = {"care": active[active["kind"].isin(ELDER_CARE_KINDS)].reset_index(drop=True),
              "centre": active[active["kind"] == CENTRE_KIND].reset_index(drop=True)}
    return ServiceSources(network, chosen, {k: attach_facilities(network, f, params) for k, f in chosen.items()})


def _answers(frame: gpd.GeoDataFrame, which: np.ndarray, dist_m: np.ndarray,
             params: WalkParams) -> list[dict[str, Any]]:
    """Return each found facility's answer, rounded as :func:`nearest_by_walking` rounds it (Python's
    ``round`` on each value, not numpy's), plus the facility's kind."""
    ids = frame["id"].to_numpy() if "id" in frame.columns else np.arange(len(frame))
    names, kinds = frame["name"].to_numpy(), frame["kind"].to_numpy()
    elderly = SPEED_PRESETS_M_PER_S["elderly"]
    return [{"id": int(ids[w]), "name": names[w], "kind": kinds[w], "distance_m": round(d),
             "minutes": round(d / params.speed_m_per_s / 60.0, 1), "minutes_elderly": round(d / elderly / 60.0, 1)}
            for w, d in zip(which.tolist(), dist_m.tolist(), strict=True)]


def nearest_services(sources: ServiceSources, points: Sequence[shapely.Geometry | None], *,
                     limit_m: float = PUBLIC_LIMIT_M,
                     params: WalkParams = PUBLIC_WALK) -> dict[str, list[dict[str, Any] | None]]:
    """Return, per service, each point's nearest facility on foot (``None``: none within ``limit_m``,
    the point off the network, or no point).

    ``points`` are EPSG:4490 points (door plates). Each answer is ``id, name, kind, distance_m,
    minutes, minutes_elderly``.
    """
    geoms = np.asarray(points, dtype=object).reshape(-1)
    present = np.flatnonzero([g is not None and not g.is_empty for g in geoms])
    xy = np.zeros((0, 2))
    if len(present):  # a point's own coordinates; of any other shape its first vertex, as one lookup takes it
        coords, index = shapely.get_coordinates(C.to_metric(geoms[present]), return_index=True)
        xy = coords[np.unique(index, return_index=True)[1]]
    targets = attach_points(sources.network, xy, max_attach_m=params.max_attach_m)
    out: dict[str, list[dict[str, Any] | None]] = {}
    for service in SERVICES:
        frame = sources.facilities[service]
        answers: list[dict[str, Any] | None] = [None] * len(geoms)
        if len(frame) and len(present):
            dist, which = nearest_source(sources.network, sources.attached[service], targets, limit_m=limit_m)
            found = np.flatnonzero(np.isfinite(dist) & (dist <= limit_m))
            for pos, answer in zip(present[found].tolist(), _answers(frame, which[found], dist[found], params),
                                   strict=True):
                answers[pos] = answer
        out[service] = answers
    return out
