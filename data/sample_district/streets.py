"""Streets: the urban grid (real arterials, generated local streets and lanes, the elevated ring
road), village lanes and rural roads, each with the numbering fields the door plates follow."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from data import names as N
from geo import crs as C

_CN_ORDINALS = "一二三四五六七八九十"


def ordinal(n: int) -> str:
    """Return the Chinese numeral for 1..99 (一巷, 十二巷); geo.placenames.romanize.chinese_number reads it back."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN_ORDINALS[tens - 1] + "十")
    return head + ("" if ones == 0 else _CN_ORDINALS[ones - 1])


def _grid_positions(lo: float, hi: float, spacing: float, arterials: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Return grid line positions with each arterial replacing the nearest local line."""
    pos = np.arange(lo + spacing / 2, hi, spacing)
    is_arterial = np.zeros(len(pos), dtype=bool)
    for a in arterials:
        k = int(np.argmin(np.abs(pos - a)))
        pos[k] = a
        is_arterial[k] = True
    return pos, is_arterial


def _street_rows(geom: BaseGeometry, name: str, street_class: str, area: BaseGeometry, **extra) -> list[dict]:
    clipped = geom.intersection(area)
    return [{"name": name, "street_class": street_class, "geometry": part, **extra}
            for part in shapely.get_parts(clipped)
            if part.geom_type == "LineString" and part.length > 30]


def _urban_streets(rng: np.random.Generator, urban: BaseGeometry) -> list[dict]:
    """Build the urban grid: real arterials, jittered local streets sharing every crossing, lanes."""
    minx, miny, maxx, maxy = urban.bounds
    ew_m = {name: C.to_metric(shapely.Point(111.7, lat)).y for name, lat in N.EW_ARTERIALS}
    ns_m = {name: C.to_metric(shapely.Point(lon, 40.84)).x for name, lon in N.NS_ARTERIALS}
    xs, x_art = _grid_positions(minx, maxx, 310.0, list(ns_m.values()))
    ys, y_art = _grid_positions(miny, maxy, 290.0, list(ew_m.values()))
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    gx = gx + rng.uniform(-25, 25, gx.shape) * ~x_art[:, None]
    gy = gy + rng.uniform(-25, 25, gy.shape) * ~y_art[None, :]
    ew_names = {v: k for k, v in ew_m.items()}
    ns_names = {v: k for k, v in ns_m.items()}
    pool = _local_street_names(rng)
    rows: list[dict] = []
    # East-west streets run east to west, north-south streets south to north (numbering start).
    lines = [(np.column_stack([gx[::-1, j], gy[::-1, j]]), ew_names.get(ys[j]) if y_art[j] else None)
             for j in range(len(ys))]
    lines += [(np.column_stack([gx[i, :], gy[i, :]]), ns_names.get(xs[i]) if x_art[i] else None)
              for i in range(len(xs))]
    for coords, arterial_name in lines:
        if arterial_name:
            rows += _street_rows(shapely.LineString(coords), arterial_name, "arterial", urban)
            continue
        # A local street runs four to six blocks, then the next one takes over at a shared node.
        start = 0
        while start < len(coords) - 1:
            stop = min(start + int(rng.integers(4, 7)), len(coords) - 1)
            rows += _street_rows(shapely.LineString(coords[start:stop + 1]), next(pool), "local", urban)
            start = stop
    rows += _lanes(rng, rows, urban)
    elevated_y = C.to_metric(shapely.Point(111.7, N.ELEVATED_ROAD[1])).y
    # The elevated ring road crosses the grid without sharing a vertex: no junction at crossings.
    ex = np.linspace(minx + 40, maxx - 40, 9) + 13.0
    rows += _street_rows(shapely.LineString(np.column_stack([ex, np.full(9, elevated_y)])),
                         N.ELEVATED_ROAD[0], "expressway", urban, grade=1, walkable=False)
    return rows


def _local_street_names(rng: np.random.Generator) -> Iterator[str]:
    """Yield distinct generated names for local streets (stem + character + 街/路)."""
    middles = "园苑林和华兴安平福泰康乐"
    names = [f"{a}{b}{c}" for a in N.LANE_STEMS for b in middles for c in "街路"]
    yield from (names[k] for k in rng.permutation(len(names)))


def _lanes(rng: np.random.Generator, streets: list[dict], urban: BaseGeometry) -> list[dict]:
    """Add dead-end lanes (巷) off local streets, named after the street with an ordinal."""
    lanes: list[dict] = []
    for street in streets:
        if street["street_class"] != "local":
            continue
        line = street["geometry"]
        coords = np.asarray(line.coords)
        count = 0
        for a, b in itertools.pairwise(coords):
            if rng.uniform() > 0.45:
                continue
            mid = (a + b) / 2
            d = b - a
            n = np.array([-d[1], d[0]]) / np.hypot(*d) * rng.choice([-1, 1])
            end = mid + n * rng.uniform(70, 120)
            # The lane starts at a new vertex inserted into the street, so it is noded there.
            count += 1
            lanes += _street_rows(shapely.LineString([mid, end]),
                                  f"{street['name']}{ordinal(count)}巷", "lane", urban)
        # NB: a lane the area's edge cuts off entirely still counts here, so lanes[-count:] then reaches
        # back to an earlier street's lane (once in the sample; kept so that the sample stays as it is).
        if count and lanes:
            street["geometry"] = _insert_vertices(line, [ln["geometry"].coords[0] for ln in lanes[-count:]])
    return lanes


def _insert_vertices(line: shapely.LineString, points: list[tuple[float, float]]) -> shapely.LineString:
    """Return ``line`` with ``points`` (which lie on it) inserted as vertices in chainage order."""
    coords = list(line.coords)
    chain = shapely.line_locate_point(line, shapely.points(coords))
    extra = shapely.line_locate_point(line, shapely.points(points))
    merged = sorted([(c, tuple(p)) for c, p in zip(chain, coords, strict=True)]
                    + [(c, tuple(p)) for c, p in zip(extra, points, strict=True)])
    return shapely.LineString([p for _, p in merged])


def _village_streets(village_names: list[str], centres: np.ndarray, town: BaseGeometry) -> list[dict]:
    """Build a small lane grid around each village centre, named after the village."""
    rows: list[dict] = []
    offsets = np.array([-300.0, -150.0, 0.0, 150.0, 300.0])
    for name, (cx, cy) in zip(village_names, centres, strict=True):
        stem = name[:-1]
        for k, dy in enumerate(offsets):
            line = shapely.LineString([(cx + dx, cy + dy) for dx in offsets[::-1]])
            rows += _street_rows(line, f"{stem}{ordinal(k + 1)}街", "village", town)
        for k, dx in enumerate(offsets):
            line = shapely.LineString([(cx + dx, cy + dy) for dy in offsets])
            rows += _street_rows(line, f"{stem}{ordinal(k + 1)}巷", "village", town)
    return rows


def _minimum_spanning_edges(points: np.ndarray) -> list[tuple[int, int]]:
    """Return the edges of the Euclidean minimum spanning tree (Prim, O(n^2); n is small)."""
    n = len(points)
    in_tree = np.zeros(n, dtype=bool)
    in_tree[0] = True
    best = np.hypot(*(points - points[0]).T)
    parent = np.zeros(n, dtype=int)
    edges = []
    for _ in range(n - 1):
        cand = np.where(in_tree, np.inf, best)
        k = int(np.argmin(cand))
        edges.append((int(parent[k]), k))
        in_tree[k] = True
        d = np.hypot(*(points - points[k]).T)
        closer = d < best
        best[closer] = d[closer]
        parent[closer] = k
    return edges


def _rural_roads(rng: np.random.Generator, village_names: list[str], centres: np.ndarray,
                 urban_streets: list[dict], district: BaseGeometry) -> list[dict]:
    """Connect the villages to each other and to the urban grid's northern edge (sparse roads)."""
    ends = [p for s in urban_streets if s["street_class"] == "arterial"
            for p in (s["geometry"].coords[0], s["geometry"].coords[-1])]
    ends_arr = np.asarray(ends)
    north = ends_arr[np.argsort(-ends_arr[:, 1])[:3]]
    nodes = np.vstack([north, centres])
    labels = ["城区"] * len(north) + village_names
    rows = []
    for a, b in _minimum_spanning_edges(nodes):
        if labels[a] == labels[b] == "城区":
            continue  # the urban grid already joins these
        pa, pb = nodes[a], nodes[b]
        t = np.linspace(0, 1, 6)[1:-1]
        d = pb - pa
        normal = np.array([-d[1], d[0]]) / max(np.hypot(*d), 1.0)
        mids = pa + np.outer(t, d) + np.outer(rng.normal(0, 0.04, len(t)) * np.hypot(*d), normal)
        line = shapely.LineString(np.vstack([pa, mids, pb]))
        target = labels[b] if labels[b] != "城区" else labels[a]
        rows += _street_rows(line, f"{target[:-1]}路", "rural", district)
    return rows


def street_network(rng: np.random.Generator, *, urban: BaseGeometry, district: BaseGeometry, town: BaseGeometry,
                   village_names: list[str], centres: np.ndarray) -> pd.DataFrame:
    """Return every street segment (metres), numbered from its first vertex with odd numbers on the left."""
    urban_rows = _urban_streets(rng, urban)
    rows = urban_rows + _village_streets(village_names, centres, town)
    rows += _rural_roads(rng, village_names, centres, urban_rows, district)
    streets = pd.DataFrame(rows)
    streets["grade"] = streets.get("grade", pd.Series(0, index=streets.index)).fillna(0).astype(int)
    streets["walkable"] = streets.get("walkable", pd.Series(True, index=streets.index)).fillna(True).astype(bool)
    streets["numbering_start"] = "start"
    streets["odd_side"] = "left"
    return streets


# New roads east of 哈拉沁沟, north of the urban grid, built before they were named: two north-south
# roads leaving the grid's top street, an east-west road joining their ends and reaching the river, an
# estate road between them, and the bridge under construction that carries the east-west road over
# the river to the rural road on the west bank. They carry working labels, so the unnamed-roads
# worklist lists them; no plate or sign stands on them yet.
WORKING_ROADS = {"north_west": "规划经一路", "north_east": "规划经二路", "east_west": "规划纬一路",
                 "estate": "未命名道路", "bridge": "在建哈拉沁沟桥"}
_WORKING_RIVER = "哈拉沁沟"
_PLATE_CLEARANCE_M = 5.0   # a new road runs over no door plate


def working_roads(rng: np.random.Generator, streets: pd.DataFrame, features: pd.DataFrame,
                  district: BaseGeometry, plates: pd.DataFrame) -> pd.DataFrame:
    """Return ``streets`` with the new roads under working labels (metres), joined to the network.

    The two north-south roads leave vertices of the grid's top street (junctions where no street goes
    north, passing no plate within ``_PLATE_CLEARANCE_M``); the bridge's west approach ends on a vertex
    of the rural road west of the river; so the network nodes them all, and no street already there
    changes. The planned roads and the bridge are not open yet (not walkable: no plate's walk
    changes); the estate road is. ``streets`` is returned unchanged when the district has no room.
    """
    river = features.loc[features["name"] == _WORKING_RIVER, "geometry"]
    local = streets[streets["street_class"] == "local"]
    if river.empty or local.empty:
        return streets
    top_y = max(max(y for _x, y in g.coords) for g in local["geometry"])
    y_road = top_y + float(rng.uniform(1300.0, 1500.0))
    minx, _miny, maxx, _maxy = shapely.total_bounds(np.asarray(local["geometry"].to_numpy(), dtype=object))
    crossing = shapely.LineString([(minx - 5000.0, y_road), (maxx + 5000.0, y_road)])
    hits = [p for p in shapely.get_parts(crossing.intersection(river.iloc[0])) if p.geom_type == "Point"]
    if len(hits) != 1:
        return streets
    river_x = hits[0].x
    starts = _clear_starts(streets, plates, top_y=top_y, y_road=y_road, x_range=(river_x + 500.0, river_x + 2500.0))
    if not starts:
        return streets
    a_xy = min(starts, key=lambda e: abs(e[0] - (river_x + 700.0)))
    b_xy = min((e for e in starts if e[0] - a_xy[0] >= 400.0), key=lambda e: abs(e[0] - (a_xy[0] + 600.0)),
               default=None)
    if b_xy is None:
        return streets
    a_top = (a_xy[0] + float(rng.uniform(-15.0, 15.0)), y_road)
    b_top = (b_xy[0] + float(rng.uniform(-15.0, 15.0)), y_road)
    a_mid = _point_at(a_xy, a_top, 0.5)
    b_mid = _point_at(b_xy, b_top, float(rng.uniform(0.45, 0.55)))
    half_span = float(rng.uniform(45.0, 60.0))
    east_bank, west_bank = (river_x + half_span, y_road), (river_x - half_span, y_road)
    closed = {"walkable": False}  # planned and under construction: not open to walkers yet
    rows = [
        {"name": WORKING_ROADS["north_west"], "geometry": shapely.LineString([a_xy, a_mid, a_top]), **closed},
        {"name": WORKING_ROADS["north_east"], "geometry": shapely.LineString([b_xy, b_mid, b_top]), **closed},
        {"name": WORKING_ROADS["east_west"], "geometry": shapely.LineString([b_top, a_top, east_bank]), **closed},
        {"name": WORKING_ROADS["estate"], "geometry": shapely.LineString([a_mid, b_mid]), "walkable": True},
        {"name": WORKING_ROADS["bridge"], "geometry": shapely.LineString([east_bank, west_bank]), "grade": 1,
         **closed},
    ]
    west = [(west_bank[0] - hit.x, i) for i, g in streets[streets["street_class"] == "rural"]["geometry"].items()
            for hit in [g.intersection(crossing)] if hit.geom_type == "Point" and hit.x < west_bank[0]]
    if west:  # the west approach ends on the nearest rural road west of the river, at its nearest vertex
        _gap, i = min(west)
        meet = min(streets.at[i, "geometry"].coords, key=lambda c: np.hypot(c[0] - west_bank[0], c[1] - y_road))
        rows.append({"name": WORKING_ROADS["east_west"], "geometry": shapely.LineString([west_bank, meet]),
                     **closed})
    new = pd.DataFrame(rows)
    new["street_class"], new["numbering_start"], new["odd_side"] = "local", "start", "left"
    new["grade"] = new["grade"].fillna(0).astype(int)
    new["walkable"] = new["walkable"].astype(bool)
    if not all(district.contains(g) for g in new["geometry"]):
        return streets
    return pd.concat([streets, new], ignore_index=True)


def _clear_starts(streets: pd.DataFrame, plates: pd.DataFrame, *, top_y: float, y_road: float,
                  x_range: tuple[float, float]) -> list[tuple[float, float]]:
    """Return the vertices of the grid's top street (x in ``x_range``) where a road north to ``y_road``
    would pass every plate at ``_PLATE_CLEARANCE_M`` or more and cross no other street."""
    top_row = streets[(streets["street_class"] == "local")
                      & streets["geometry"].map(lambda g: min(y for _x, y in g.coords) > top_y - 60.0)]
    plate_tree = shapely.STRtree(np.asarray(plates["geometry"].to_numpy(), dtype=object))
    street_tree = shapely.STRtree(np.asarray(streets["geometry"].to_numpy(), dtype=object))
    vertices = sorted({(float(x), float(y)) for g in top_row["geometry"] for x, y in g.coords
                       if x_range[0] < x < x_range[1]})
    starts = []
    for x, y in vertices:
        road = shapely.LineString([(x, y), (x, y_road)])
        if len(plate_tree.query(road.buffer(_PLATE_CLEARANCE_M), predicate="intersects")):
            continue
        if len(street_tree.query(shapely.LineString([(x, y + 1.0), (x, y_road)]), predicate="intersects")):
            continue
        starts.append((x, y))
    return starts


def _point_at(start: tuple[float, float], end: tuple[float, float], fraction: float) -> tuple[float, float]:
    return (start[0] + (end[0] - start[0]) * fraction, start[1] + (end[1] - start[1]) * fraction)
