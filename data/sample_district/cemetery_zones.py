"""The 七区 of 三沿七区 for the sample (CM-01), the cemetery sites, graves' dates and burial records.

Generated like the rest of the sample (no official 禁葬区 map is published); each polygon says so in
``source``. What is made here, all in metres (EPSG:4546):

- :func:`ban_zone_areas` — built-up areas (the residential zone) from the door plates' density, not
  whole 街道; farmland and grassland in the town, a forest and a nature reserve in the mountains,
  two city parks, a scenic area, a cultural-relic site and a water-source zone round the reservoir;
- :func:`site_cemeteries` — puts the cemeteries to be placed (the plan's 2025 projects and the village
  burial ground) where no ban zone reaches, so the sample's planned sites pass the site check;
- :func:`date_graves` — when each scattered grave was cleared: of the graves in the railway and
  highway zones exactly 20% by the end of 2020 (indicator #7's 2020 value), more each year after;
- :func:`burial_records` — plot types of the open cemeteries (one over its CM-02 limit) and burial
  statistics 2020–2025 per sub-district and town (cremation about 60% → 75%).
"""

from __future__ import annotations

from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from shapely.geometry.base import BaseGeometry

from geo import crs as C
from geo.planning.ban_zone_settings import BanZoneSettings
from geo.planning.cemeteries import TRANSPORT_KINDS, ban_zones

GENERATED = "样例数据：范围为生成，非官方禁葬区图 · sample data: generated extent, not the official ban-zone map"
REAL_NAME = "样例数据：名称真实，范围为生成示意 · sample data: real name, generated extent"
BUILT_UP_RADIUS_M = 100.0    # a door plate makes the land within this distance built up
MIN_BUILT_UP_M2 = 20_000.0   # smaller specks (a lone farmstead) are not a residential area
GRAVES_2020_SHARE = 0.2      # indicator #7's 2020 value (plan line 230)
CLEARED_BY_YEAR_END = {2021: 0.30, 2022: 0.40, 2023: 0.50, 2024: 0.60, 2025: 0.70, 2026: 0.75}


def _blob(rng: np.random.Generator, centre: shapely.Point, radius_m: float) -> BaseGeometry:
    """Return an irregular round patch: a polygon of 12 vertices at 70–100% of the radius."""
    angles = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    radii = radius_m * rng.uniform(0.7, 1.0, len(angles))
    return shapely.Polygon(np.column_stack([centre.x + radii * np.cos(angles), centre.y + radii * np.sin(angles)]))


def _built_up(units: pd.DataFrame, plates: pd.DataFrame) -> list[dict]:
    """Return the built-up areas: land within 100 m of a door plate, in parts of at least 2 ha."""
    pts = np.asarray(plates.geometry.values, dtype=object)
    area = shapely.union_all(shapely.buffer(pts, BUILT_UP_RADIUS_M, quad_segs=2)).simplify(10.0)
    parts = [p for p in shapely.get_parts(area) if p.area >= MIN_BUILT_UP_M2]
    named = units[units["level"].isin(["subdistrict", "village"])]
    subs = np.asarray(units[units["level"] == "subdistrict"].geometry.values, dtype=object)
    district = str(units.loc[units["level"] == "district", "name"].iloc[0])  # 新城区 in the sample
    rows, seen = [], {}
    for part in sorted(parts, key=lambda p: (-p.area, p.centroid.x)):
        where = named[shapely.contains(np.asarray(named.geometry.values, dtype=object), part.representative_point())]
        spans = int((shapely.area(shapely.intersection(subs, part)) > 0.1 * shapely.area(subs)).sum())
        base = f"{district}中心城区" if spans > 1 else where.iloc[0]["name"] if len(where) else district
        seen[base] = seen.get(base, 0) + 1
        suffix = "" if seen[base] == 1 else f"（{seen[base]}）"
        rows.append({"kind": "built_up", "name": f"{base}建成区{suffix}", "geometry": part,
                     "source": "样例数据：由门牌分布生成（门牌 100 米范围）· sample: from door-plate density (100 m)"})
    return rows


def ban_zone_areas(rng: np.random.Generator, *, district: BaseGeometry, units: pd.DataFrame,
                   plates: pd.DataFrame, streets: pd.DataFrame, features: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the sample's ban-zone polygons (metres): kind, name, source, source_date, geometry."""
    town = units[units["level"] == "town"].iloc[0].geometry
    urban = shapely.union_all(np.asarray(units[units["level"] == "subdistrict"].geometry.values, dtype=object))
    rows = _built_up(units, plates)
    built = shapely.union_all([r["geometry"] for r in rows]) if rows else shapely.Polygon()
    minx, miny, maxx, maxy = town.bounds
    south = town.intersection(shapely.box(minx, miny, maxx, miny + 9000))
    middle = town.intersection(shapely.box(minx, miny + 9000, maxx, miny + 20000))
    north = town.intersection(shapely.box(minx, maxy - 9000, maxx, maxy))

    def patch(area: BaseGeometry, radius_m: float) -> BaseGeometry:
        x0, y0, x1, y1 = area.bounds
        while True:
            p = shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
            if area.contains(p) and p.distance(built) > radius_m * 0.5:
                return _blob(rng, p, radius_m).intersection(area).difference(built)

    for n in range(4):
        rows.append({"kind": "farmland", "name": f"保合少镇基本农田 {n + 1} 号地块", "source": GENERATED,
                     "geometry": patch(south, float(rng.uniform(500, 900)))})
    for n in range(2):
        rows.append({"kind": "grassland", "name": f"保合少镇草原 {n + 1} 号", "source": GENERATED,
                     "geometry": patch(middle, float(rng.uniform(1000, 1500)))})
    rows.append({"kind": "forest", "name": "大青山前坡生态林", "source": GENERATED,
                 "geometry": patch(middle, 2000.0)})
    rows.append({"kind": "nature_reserve", "name": "大青山国家级自然保护区（区内部分）", "source": REAL_NAME,
                 "geometry": north})
    for name, size in (("新城公园", (420.0, 300.0)), ("东河滨河公园", (260.0, 240.0))):
        x0, y0, x1, y1 = urban.bounds
        while True:
            c = shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
            if urban.buffer(-400).contains(c):
                break
        rows.append({"kind": "park", "name": name, "source": GENERATED,
                     "geometry": shapely.box(c.x - size[0] / 2, c.y - size[1] / 2, c.x + size[0] / 2,
                                             c.y + size[1] / 2)})
    west = units[units["name"] == "西街街道"].iloc[0].geometry.representative_point()
    rows.append({"kind": "cultural_relic", "name": "绥远城将军衙署", "source": REAL_NAME,
                 "geometry": shapely.box(west.x - 110, west.y - 80, west.x + 110, west.y + 80)})
    reservoir = None if features is None else features[features["kind"] == "reservoir"]
    if reservoir is not None and len(reservoir):
        res = reservoir.iloc[0]
        rows.append({"kind": "water_source", "name": f"{res['name']}水源保护区", "source": GENERATED,
                     "geometry": res.geometry.buffer(1000.0).intersection(district)})
        rows.append({"kind": "scenic_area", "name": "哈拉沁风景区", "source": GENERATED,
                     "geometry": _blob(rng, shapely.Point(res.geometry.centroid.x + 1500, res.geometry.centroid.y),
                                       900.0).intersection(town)})
    out = pd.DataFrame(rows)
    out["source_date"] = date(2026, 1, 1)
    out = out[[not g.is_empty for g in out["geometry"]]].reset_index(drop=True)
    return out[["kind", "name", "source", "source_date", "geometry"]]


def zones_metric(features: pd.DataFrame, areas: pd.DataFrame, settings: BanZoneSettings) -> gpd.GeoDataFrame:
    """Return the ban zones of metric sample frames (as the service computes them), in EPSG:4490."""
    def frame(df: pd.DataFrame) -> gpd.GeoDataFrame:
        geoms = C.from_metric(np.asarray(df["geometry"].values, dtype=object))
        return gpd.GeoDataFrame(df.drop(columns=["geometry"]), geometry=gpd.GeoSeries(geoms, crs="EPSG:4490"),
                                crs="EPSG:4490")
    return ban_zones(frame(features), frame(areas), settings=settings)


MIN_FREE_M2 = 1_000.0  # less free land than this in a unit is no room for a cemetery


def _free_land(unit: BaseGeometry, banned: BaseGeometry, taken: list[BaseGeometry]) -> BaseGeometry:
    """Return the land of ``unit`` outside every ban zone and 50 m clear of the cemeteries already sited."""
    free = unit.difference(banned)
    if taken:
        free = free.difference(shapely.union_all(taken).buffer(50.0))
    return free


def site_cemeteries(rows: pd.DataFrame, *, units: pd.DataFrame, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """Place the cemeteries marked ``site_radius_m`` outside every ban zone (and apart from each other).

    Each goes as near its unit's north-east as the free land allows, as a round footprint of the given
    radius; where no such room is left, in the largest free circle, 10 m inside its edge.
    """
    out = rows.copy()
    banned = shapely.union_all(C.to_metric(np.asarray(zones.geometry.values, dtype=object)))
    taken: list[BaseGeometry] = []
    for idx in out.index[out["site_radius_m"].notna()] if "site_radius_m" in out else []:
        row = out.loc[idx]
        unit_row = units[units["name"] == row["site_unit"]].iloc[0]
        unit = unit_row.geometry
        free = _free_land(unit, banned, taken)
        if free.area < MIN_FREE_M2 and unit_row["parent_code"] is not None:
            # No room in the unit at all (a district generated like the sample can put a village wholly
            # in the nature reserve): the cemetery goes on its parent's free land (the sample never does).
            unit = units[units["code"] == unit_row["parent_code"]].iloc[0].geometry
            free = _free_land(unit, banned, taken)
        radius = float(row["site_radius_m"])
        room = free.buffer(-(radius + 5.0))
        x0, y0, x1, y1 = unit.bounds
        target = shapely.Point(x1 - 0.2 * (x1 - x0), y1 - 0.2 * (y1 - y0))
        if not room.is_empty:
            centre = shapely.ops.nearest_points(room, target)[0]
        else:
            circle = shapely.maximum_inscribed_circle(free)
            centre = shapely.Point(circle.coords[0])
            radius = max(circle.length - 10.0, 10.0)
        footprint = centre.buffer(radius, quad_segs=8)
        taken.append(footprint)
        out.at[idx, "geometry"] = footprint
        child = units[units["parent_code"] == units[units["name"] == row["site_unit"]].iloc[0]["code"]]
        code = child[shapely.intersects(np.asarray(child.geometry.values, dtype=object), centre)]["code"]
        out.at[idx, "community_code"] = code.iloc[0] if len(code) else out.at[idx, "community_code"]
    return out.drop(columns=["site_radius_m", "site_unit"], errors="ignore")


def _day(rng: np.random.Generator, year: int, *, last: date | None = None) -> date:
    start = date(year, 1, 1)
    end = min(date(year, 12, 31), last) if last else date(year, 12, 31)
    return start + timedelta(days=int(rng.integers(0, (end - start).days + 1)))


def date_graves(rng: np.random.Generator, graves: pd.DataFrame, *, zones: gpd.GeoDataFrame,
                features: pd.DataFrame, town: BaseGeometry) -> pd.DataFrame:
    """Return the graves with ``status`` and ``cleared_on``: 20% of those in transport zones by 2020.

    Graves are added near the railway until the graves in the railway and highway zones number a
    multiple of five, so that 20% is a whole number of graves (indicator #7 at exactly its 2020 value).
    """
    transport = zones[zones["kind"].isin(TRANSPORT_KINDS)]
    area = shapely.union_all(C.to_metric(np.asarray(transport.geometry.values, dtype=object)))
    out = graves.copy().reset_index(drop=True)
    inside = shapely.intersects(np.asarray(out.geometry.values, dtype=object), area)
    rail = features[features["kind"] == "railway"].iloc[0]
    buffer_m = float(transport.loc[transport["kind"] == "railway", "buffer_m"].iloc[0]) if len(transport) else 300.0
    extra = []
    while (int(inside.sum()) + len(extra)) % 5:
        p = rail.geometry.interpolate(rng.uniform(0, rail.geometry.length))
        ang, dist = rng.uniform(0, 2 * np.pi), rng.uniform(30, buffer_m - 30)
        q = shapely.Point(p.x + dist * np.cos(ang), p.y + dist * np.sin(ang))
        if town.contains(q) and area.contains(q):
            extra.append({"status": "scattered", "near_feature": rail["name"], "geometry": q})
    if extra:
        out = pd.concat([out, pd.DataFrame(extra)], ignore_index=True)
        inside = np.concatenate([inside, np.ones(len(extra), dtype=bool)])
    out["status"], out["cleared_on"] = "scattered", None
    zone_idx = np.flatnonzero(inside)[rng.permutation(int(inside.sum()))]
    n = len(zone_idx)
    done = round(GRAVES_2020_SHARE * n)
    for i in zone_idx[:done]:
        out.at[i, "status"], out.at[i, "cleared_on"] = "cleared", _day(rng, int(rng.integers(2018, 2021)))
    for year, share in CLEARED_BY_YEAR_END.items():
        upto = round(share * n)
        for i in zone_idx[done:upto]:
            out.at[i, "status"] = "cleared"
            out.at[i, "cleared_on"] = _day(rng, year, last=date(2026, 11, 15))
        done = max(done, upto)
    for i in np.flatnonzero(~inside):
        if rng.uniform() < 0.25:
            out.at[i, "status"], out.at[i, "cleared_on"] = "cleared", _day(rng, int(rng.integers(2019, 2026)))
    return out


# Plot types of the open cemeteries: (cemetery, type, m² per plot, plots). The village ground's double
# body graves are 6.5 m², over the 6 m² limit, for the CM-02 check to show.
PLOT_TYPES = (
    ("保合少村公益性公墓", "body_single", 4.0, 320), ("保合少村公益性公墓", "body_double", 6.5, 110),
    ("保合少村公益性公墓", "ashes_single", 1.0, 240),
    ("东风路街道公益性骨灰堂", "niche", 0.2, 3000), ("东风路街道公益性骨灰堂", "wall", 0.2, 400),
    ("锡林南路街道公益性骨灰堂", "niche", 0.25, 2400),
    ("海拉尔东路街道节地生态骨灰堂", "niche", 0.2, 1800), ("海拉尔东路街道节地生态骨灰堂", "wall", 0.2, 600),
    ("海拉尔东路街道节地生态骨灰堂", "tree", 0.8, 300),
)
DEATHS_PER_1000 = 6.0
CREMATION_2020, CREMATION_2025 = 0.60, 0.75  # district-wide, rising evenly
ECO_2020, ECO_2025 = 0.15, 0.40               # eco burials among burials
BURIED_SHARE = 0.85                           # burials (graves, niches, eco) among deaths


def burial_records(rng: np.random.Generator, units: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the sample's plot types (by cemetery name) and burial statistics 2020–2025 per unit.

    Deaths at 6 per 1,000 residents; the town cremates less than the city (about 25 points lower),
    weighted so that the district's rate runs about 60% (2020) to 75% (2025).
    """
    plots = pd.DataFrame(PLOT_TYPES, columns=["cemetery", "plot_type", "area_m2", "plots"])
    towns = units[units["level"].isin(["subdistrict", "town"])]
    residents = towns["residents"].to_numpy(dtype=float)
    is_town = (towns["level"] == "town").to_numpy()
    rows = []
    for k, year in enumerate(range(2020, 2026)):
        step = k / 5
        district_rate = CREMATION_2020 + step * (CREMATION_2025 - CREMATION_2020)
        deaths = np.rint(residents * DEATHS_PER_1000 / 1000 * rng.uniform(0.95, 1.05, len(residents))).astype(int)
        offset = np.where(is_town, -0.25, 0.0)
        # Shift the city's rate so the deaths-weighted district rate is the year's figure.
        city = district_rate - float((deaths * offset).sum()) / float(deaths.sum())
        rate = np.clip(city + offset + rng.normal(0, 0.01, len(deaths)), 0, 1)
        cremations = np.rint(deaths * rate).astype(int)
        burials = np.rint(deaths * BURIED_SHARE).astype(int)
        eco = np.rint(burials * np.clip(ECO_2020 + step * (ECO_2025 - ECO_2020) + rng.normal(0, 0.02, len(deaths)),
                                        0, 1)).astype(int)
        for code, d, c, b, e in zip(towns["code"], deaths, cremations, burials, eco, strict=True):
            rows.append({"year": year, "unit_code": code, "deaths": int(d), "cremations": int(c),
                         "burials": int(b), "eco_burials": int(e),
                         "source": "样例数据：生成 · sample data: generated"})
    return plots, pd.DataFrame(rows)
