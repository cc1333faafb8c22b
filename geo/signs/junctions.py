"""Junctions without their street name signs: where a named street meets others and has no sign near.

Placement (domain brief §3.1, an Inner Mongolia league rule): signs stand at the start, the end and
every junction of a road. A junction is a node of the street network (vertices within 1 cm are one
node, as the walking network nodes them: :func:`geo.planning.network.graph.node_vertices`) where
at least two named streets meet, or at least three segment ends or passes meet (degree ≥ 3). Each
named street meeting there should have a standing sign of its own name within ``distance_m`` of the
node: one that is there (not reported missing) and shows the name in force (not one queued for
replacement after a rename). The check lists every junction where one does not, with the streets
missing a sign (``to_replace`` when a sign of theirs stands there but does not count: missing, or
showing a former name) and where the junction lies. Streets crossing without a shared vertex (a
bridge over a road) do not meet. Metric work in EPSG:4546.

A junction whose street is covered only by signs to replace looks covered on the ground (a sign
stands there) but is not (finding 13): the answer keeps those apart from streets with no sign at all,
item by item (``without_sign`` and ``to_replace``, the latter with the signs' ids) and in its totals
(``junctions_without_sign``/``streets_without_sign`` and ``junctions_to_replace``/``streets_to_replace``;
``junctions_to_replace_only`` counts the junctions whose every missing street has a sign to replace).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import shapely
from scipy.spatial import cKDTree

from geo import crs as C
from geo.errors import InputError
from geo.messages import text
from geo.planning.network.graph import node_vertices
from geo.signs._units import units_at
from geo.signs.rules import STANDING, sign_label
from geo.store import Store

DEFAULT_DISTANCE_M = 30.0
MAX_DISTANCE_M = 500.0


def check_distance(distance_m: Any) -> float:
    """Return the search distance in metres, refusing one outside 1..MAX_DISTANCE_M."""
    try:
        value = float(distance_m)
    except (TypeError, ValueError):
        value = float("nan")
    if isinstance(distance_m, bool) or not (1.0 <= value <= MAX_DISTANCE_M):
        raise InputError(text("signs.distance", field=sign_label("distance_m"), most=f"{MAX_DISTANCE_M:g}",
                              value=repr(distance_m)), field="distance_m")
    return value


def junctions(street_lines_m: list[Any], street_names: list[int | None]) -> list[dict[str, Any]]:
    """Return the junctions of metric street lines: node position, degree and the named streets there.

    ``street_names`` gives each line's name id (None for an unnamed line). Pure: no store.
    """
    lines = np.asarray(street_lines_m, dtype=object)
    if len(lines) == 0:
        return []
    coords, line_of = shapely.get_coordinates(lines, return_index=True)
    node, node_xy = node_vertices(coords)
    first = np.r_[True, line_of[1:] != line_of[:-1]]
    last = np.r_[line_of[1:] != line_of[:-1], True]
    n = len(node_xy)
    degree = 2 * np.bincount(node, minlength=n) - np.bincount(node[first], minlength=n) \
        - np.bincount(node[last], minlength=n)
    names_at: dict[int, set[int]] = defaultdict(set)
    for k, line in zip(node.tolist(), line_of.tolist(), strict=True):
        if street_names[line] is not None:
            names_at[k].add(int(street_names[line]))
    out = []
    for k in range(n):
        named = names_at.get(k, set())
        if len(named) >= 2 or degree[k] >= 3:
            out.append({"x": float(node_xy[k, 0]), "y": float(node_xy[k, 1]), "degree": int(degree[k]),
                        "names": sorted(named)})
    return out


def signs_its_street(sign: dict[str, Any], names: dict[int, dict[str, Any]]) -> bool:
    """Return whether a standing sign signs its street: it is there (not reported missing) and shows the
    standard name in force (a sign queued after a rename shows the former one: it is to replace, F34)."""
    name = names.get(int(sign["place_name_id"]))
    return (name is not None and sign.get("condition") != "missing" and sign["status"] != "replacement_queued"
            and sign.get("shows_name") == name["standard_name"])


def _trees(signs: list[dict[str, Any]]) -> dict[int, tuple[cKDTree, list[str]]]:
    """Return a KD-tree (EPSG:4546) of the signs of each name id, with the signs' ids in the tree's order."""
    by_name: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for g in signs:
        by_name[int(g["place_name_id"])].append(g)
    return {name_id: (cKDTree(shapely.get_coordinates(C.to_metric(np.asarray([g["geometry"] for g in group],
                                                                             dtype=object)))),
                      [str(g["sign_uid"]) for g in group])
            for name_id, group in by_name.items()}


def _nearest(trees: dict[int, tuple[cKDTree, list[str]]], name_id: int, xy: list[float]) -> float:
    """Return the distance (m) from ``xy`` to the nearest sign of ``name_id`` in ``trees`` (inf: none)."""
    found = trees.get(name_id)
    return float(found[0].query(xy)[0]) if found is not None else float("inf")


def _within(trees: dict[int, tuple[cKDTree, list[str]]], name_id: int, xy: list[float], metres: float) -> list[str]:
    """Return the ids of the signs of ``name_id`` within ``metres`` of ``xy``, sorted."""
    found = trees.get(name_id)
    if found is None:
        return []
    tree, uids = found
    return sorted(uids[k] for k in tree.query_ball_point(xy, metres))


def _totals(items: list[dict[str, Any]]) -> dict[str, int]:
    """Return the check's totals, streets with no sign at all apart from those with only signs to replace."""
    return {"unsigned_junctions": len(items), "unsigned_streets": sum(len(j["missing"]) for j in items),
            "junctions_without_sign": sum(1 for j in items if j["without_sign"]),
            "streets_without_sign": sum(len(j["without_sign"]) for j in items),
            "junctions_to_replace": sum(1 for j in items if j["to_replace"]),
            "junctions_to_replace_only": sum(1 for j in items if j["to_replace"] and not j["without_sign"]),
            "streets_to_replace": sum(len(j["to_replace"]) for j in items)}


def unsigned_junctions(store: Store, *, distance_m: float | str = DEFAULT_DISTANCE_M) -> dict[str, Any]:
    """Return the junctions where a named street has no standing sign within ``distance_m``, and totals.

    ``items`` lists every such junction; in each, ``without_sign`` names the streets with no sign of
    theirs near at all and ``to_replace`` those whose only signs near are to replace (each in
    ``missing`` with ``to_replace_signs``, the ids): the page shows the two apart, with their counts.
    """
    metres = check_distance(distance_m)
    names = {n["id"]: n for n in store.select("place_names", where={"status": "in_force", "adcode": store.adcode})}
    streets = [s for s in store.select("streets", where={"adcode": store.adcode})
               if s.get("geometry") is not None and not s["geometry"].is_empty]
    metric = list(C.to_metric(np.asarray([s["geometry"] for s in streets], dtype=object)))
    name_ids = [s["place_name_id"] if s.get("place_name_id") in names else None for s in streets]
    found = junctions(metric, name_ids)
    standing = [g for g in store.select("street_signs", where={"status": list(STANDING), "adcode": store.adcode})
                if g.get("geometry") is not None and g.get("place_name_id") is not None]
    signing = [g for g in standing if signs_its_street(g, names)]
    trees = _trees(signing)
    to_replace = _trees([g for g in standing if g not in signing])
    missing = []
    pairs = 0
    for j in found:
        lacking = []
        xy = [j["x"], j["y"]]
        for name_id in j["names"]:
            pairs += 1
            nearest = _nearest(trees, name_id, xy)
            if nearest > metres:
                stale = _within(to_replace, name_id, xy, metres)
                lacking.append({"place_name_id": name_id, "name": names[name_id]["standard_name"],
                                "nearest_sign_m": None if not np.isfinite(nearest) else round(float(nearest), 1),
                                "to_replace": bool(stale), "to_replace_signs": stale})
        if lacking:
            missing.append({**j, "missing": lacking,
                            "without_sign": [m["name"] for m in lacking if not m["to_replace"]],
                            "to_replace": [m["name"] for m in lacking if m["to_replace"]]})
    points = [C.from_metric(shapely.Point(j["x"], j["y"])) for j in missing]
    for j, point, place in zip(missing, points, units_at(store, points), strict=True):
        j.update(place, lon=round(point.x, 6), lat=round(point.y, 6),
                 streets=[names[i]["standard_name"] for i in j.pop("names")])
        del j["x"], j["y"]
    missing.sort(key=lambda j: (j["subdistrict"] or "\uffff", -len(j["missing"]), j["lon"], j["lat"]))
    return {"distance_m": metres, "junctions": len(found), "street_junctions": pairs, **_totals(missing),
            "items": missing}
