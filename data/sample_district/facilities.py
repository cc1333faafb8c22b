"""Facilities: community service centres and volunteer stations, elder-care stations, comprehensive
elder-care centres and institutions, social-work stations and the two public cemeteries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
import shapely.ops

from data import names as N

ELDER_CARE_STATIONS = 51
COMPREHENSIVE_CENTRE_SUBDISTRICTS = 3  # of 8: 37.5%, the nearest whole number to the plan's 42%


def _near_plate(rng: np.random.Generator, plates: pd.DataFrame, code: str) -> shapely.Point:
    group = plates[plates["community_code"] == code]
    row = group.iloc[int(rng.integers(len(group)))]
    return shapely.Point(row["x"] + rng.uniform(-4, 4), row["y"] + rng.uniform(-4, 4))


def facilities(rng: np.random.Generator, units: pd.DataFrame, plates: pd.DataFrame) -> pd.DataFrame:
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
    rows += _cemeteries(units)
    return pd.DataFrame(rows)


def _cemeteries(units: pd.DataFrame) -> list[dict]:
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
