"""Administrative units: the district, 8 sub-districts (街道) and one town (镇), 62 communities and
24 villages; their household targets, residents, registered residents and people aged 60+ summed
upwards, and each community's and village's settlement type (for the plan's village norms).

Two populations, as the plan keeps them: ``residents`` (常住, about 700,000) and
``registered_residents`` (户籍, 439,575 in November 2020, plan line 117). ``residents_60plus`` is
the *registered* population aged 60+ (83,696 = 19.0% of 439,575, the plan's figure), since the
plan's 60+ count is a registered one; coverage weights plates by it (60+ per household of the unit).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from data import names as N
from data.sample_district.shapes import as_multipolygon, random_points
from geo import DISTRICT_ADCODE

TOTAL_HOUSEHOLDS = 280_000
VILLAGE_HOUSEHOLDS = 12_000
SHARE_60PLUS = 0.19
REGISTERED_RESIDENTS = 439_575     # 户籍人口, November 2020 (plan line 117)
REGISTERED_60PLUS = 83_696         # of them aged 60+ (19.0%, plan line 117)
URBAN_VILLAGES = 2                 # 城中村: the villages nearest the urban core
SUBURBAN_VILLAGES = 3              # 城郊村: the next nearest
CENTRAL_VILLAGES = 3               # 中心村: the most populous of the rest
TRADITIONAL_VILLAGES = 2           # 传统村落: the farthest into the mountains (north) of the rest


def _split_cells(area: BaseGeometry, seeds: np.ndarray) -> list[shapely.MultiPolygon]:
    """Split ``area`` into Voronoi cells around ``seeds``, in seed order."""
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=area.envelope.buffer(1000))
    parts = list(shapely.get_parts(cells))
    ordered = []
    for x, y in seeds:
        pt = shapely.Point(x, y)
        cell = next(c for c in parts if c.covers(pt))
        ordered.append(as_multipolygon(cell.intersection(area)))
    return ordered


def _relaxed_cells(area: BaseGeometry, seeds: np.ndarray, rounds: int = 4) -> list[shapely.MultiPolygon]:
    """Split ``area`` into cells of similar size (Lloyd relaxation of the Voronoi seeds)."""
    cells = _split_cells(area, seeds)
    for _ in range(rounds):
        seeds = np.array([(c.centroid if c.centroid.within(c) else c.point_on_surface()).coords[0]
                          for c in cells])
        cells = _split_cells(area, seeds)
    return cells


def _subdistrict_polygons(urban: BaseGeometry) -> list[shapely.MultiPolygon]:
    """Split the urban core into a 4 x 2 grid: the south row then the north row, west to east."""
    minx, miny, maxx, maxy = urban.bounds
    xs = np.linspace(minx, maxx, 5)
    ys = np.linspace(miny, maxy, 3)
    out = []
    for row in range(2):
        for col in range(4):
            cell = shapely.box(xs[col], ys[row], xs[col + 1], ys[row + 1])
            out.append(as_multipolygon(urban.intersection(cell)))
    return out


def admin_units(rng: np.random.Generator, district: BaseGeometry, urban: BaseGeometry, *,
                adcode: str = DISTRICT_ADCODE, name: str = "新城区") -> tuple[pd.DataFrame, np.ndarray]:
    """Return (units DataFrame in metres, village centres) for district, 街道/镇, communities, villages.

    ``adcode`` and ``name`` are the district's (a synthetic region's districts have their own); every
    unit's 12-digit code starts with the adcode."""
    rows = [{"code": adcode + "000000", "name": name, "level": "district",
             "parent_code": None, "geometry": as_multipolygon(district)}]
    community_seq = 0
    stems = list(N.COMMUNITY_STEMS)
    for i, ((sub_name, count), poly) in enumerate(zip(N.SUBDISTRICTS, _subdistrict_polygons(urban), strict=True)):
        code = f"{adcode}{i + 1:03d}000"
        rows.append({"code": code, "name": sub_name, "level": "subdistrict",
                     "parent_code": rows[0]["code"], "geometry": poly})
        for j, cell in enumerate(_relaxed_cells(poly, random_points(rng, poly, count))):
            rows.append({"code": f"{code[:9]}{j + 1:03d}", "name": stems[community_seq] + "社区",
                         "level": "community", "parent_code": code, "geometry": cell})
            community_seq += 1
    town_name, villages = N.TOWN
    town = as_multipolygon(district.difference(urban))
    town_code = f"{adcode}100000"
    rows.append({"code": town_code, "name": town_name, "level": "town",
                 "parent_code": rows[0]["code"], "geometry": town})
    centres = random_points(rng, town.buffer(-1500), villages, north_bias=1.2)
    village_names = list(N.REAL_VILLAGES) + list(N.GENERATED_VILLAGES)
    for j, cell in enumerate(_split_cells(town, centres)):
        rows.append({"code": f"{town_code[:9]}{200 + j:03d}", "name": village_names[j],
                     "level": "village", "parent_code": town_code, "geometry": cell})
    return pd.DataFrame(rows), centres


def households(rng: np.random.Generator, units: pd.DataFrame, *, total: int = TOTAL_HOUSEHOLDS) -> pd.DataFrame:
    """Set each community's and village's target households (the plates share them out): ``total`` in
    all, the villages' share of it as in the sample (12,000 of 280,000)."""
    village_total = VILLAGE_HOUSEHOLDS * total // TOTAL_HOUSEHOLDS
    comm = units["level"] == "community"
    vill = units["level"] == "village"
    units["target_households"] = 0
    # Urban households follow area (fairly even density) with some spread.
    w = shapely.area(units.loc[comm, "geometry"].to_numpy()) * rng.lognormal(0, 0.25, comm.sum())
    units.loc[comm, "target_households"] = np.round(w / w.sum() * (total - village_total)).astype(int)
    w = rng.lognormal(0, 0.4, vill.sum())
    units.loc[vill, "target_households"] = np.round(w / w.sum() * village_total).astype(int)
    return units


def roll_up(rng: np.random.Generator, units: pd.DataFrame, plates: pd.DataFrame, *,
            registered_total: int = REGISTERED_RESIDENTS, registered_60plus: int = REGISTERED_60PLUS) -> pd.DataFrame:
    """Set households from the plates, residents and 60+ per leaf unit, and sum them upwards; the
    registered population (and its 60+) sums to ``registered_total`` (``registered_60plus``)."""
    hh = plates.groupby("community_code")["households"].sum()
    units["households"] = units["code"].map(hh).fillna(0).astype(int)
    units["residents"] = 0
    units["residents_60plus"] = 0
    leaf = units["level"].isin(["community", "village"])
    size = rng.uniform(2.3, 2.7, leaf.sum())
    units.loc[leaf, "residents"] = np.round(units.loc[leaf, "households"] * size)
    share = np.clip(rng.normal(SHARE_60PLUS, 0.035, leaf.sum()), 0.10, 0.30)
    registered = _apportion(units.loc[leaf, "residents"].to_numpy(dtype=float), registered_total)
    units["registered_residents"] = 0
    units.loc[leaf, "registered_residents"] = registered
    units.loc[leaf, "residents_60plus"] = _apportion(registered * share, registered_60plus)
    for level in ("subdistrict", "town", "district"):
        for idx, unit in units[units["level"] == level].iterrows():
            kids = units["parent_code"] == unit["code"]
            for col in ("households", "residents", "residents_60plus", "registered_residents"):
                units.loc[idx, col] = units.loc[kids, col].sum()
    for col in ("residents", "residents_60plus", "registered_residents"):
        units[col] = units[col].astype(int)
    units["settlement_type"] = settlement_types(units)
    return units


def _apportion(weights: np.ndarray, total: int) -> np.ndarray:
    """Split ``total`` into whole numbers in proportion to ``weights`` (largest remainders; sums exactly)."""
    exact = weights / weights.sum() * total
    out = np.floor(exact).astype(int)
    order = np.argsort(-(exact - out), kind="stable")
    out[order[:total - out.sum()]] += 1
    return out


def settlement_types(units: pd.DataFrame) -> pd.Series:
    """Return each unit's settlement type: communities urban; villages by place and size (no draws).

    The villages nearest the urban core are 城中村 then 城郊村, the most populous of the rest 中心村,
    the northernmost of the rest (the Daqing mountains) 传统村落, the others ordinary villages.
    """
    out = pd.Series([None] * len(units), index=units.index, dtype=object)
    out[units["level"] == "community"] = "urban_community"
    villages = units[units["level"] == "village"]
    core = shapely.union_all(units.loc[units["level"] == "subdistrict", "geometry"].to_numpy())
    near = villages.assign(d=shapely.distance(villages["geometry"].to_numpy(), core)).sort_values(["d", "code"])
    order = list(near.index)
    urban_v, suburban = order[:URBAN_VILLAGES], order[URBAN_VILLAGES:URBAN_VILLAGES + SUBURBAN_VILLAGES]
    rest = villages.drop(index=urban_v + suburban)
    central = list(rest.sort_values(["households", "code"], ascending=[False, True]).index[:CENTRAL_VILLAGES])
    rest = rest.drop(index=central)
    north = rest.assign(y=[g.centroid.y for g in rest["geometry"]]).sort_values(["y", "code"], ascending=[False, True])
    traditional = list(north.index[:TRADITIONAL_VILLAGES])
    out[villages.index] = "ordinary_village"
    for idx_list, kind in ((urban_v, "urban_village"), (suburban, "suburban_village"),
                           (central, "central_village"), (traditional, "traditional_village")):
        out[idx_list] = kind
    return out


def neighbour_units(metric: dict[str, BaseGeometry]) -> pd.DataFrame:
    """Return the four neighbouring counties as units of level ``county`` (status ``neighbour``)."""
    return pd.DataFrame([
        {"code": f"{a}000000", "name": n, "level": "county", "parent_code": None,
         "status": "neighbour", "geometry": as_multipolygon(metric[a])}
        for a, (n, _letter) in N.NEIGHBOURS.items()])
