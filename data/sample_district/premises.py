"""Premises available for new elder-care stations (siting candidates) in the sample.

Vacant ground floors, community rooms and former shops, the kind a sub-district offers the
civil-affairs bureau for a community elder-care station: about 60 in all, one or two in a
spread of urban communities and a few in the villages, each beside a door plate of its
community (so it lies on a street), 80–600 m². About three in four are ``available`` (some
only from a date still to come), the rest ``taken`` or ``unsuitable`` (upper floor, no lift),
as a real register would hold. Dates are fixed calendar dates, so the sample does not change
with the day it is built. About one in five is drawn as its footprint (a small rectangle).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import shapely

URBAN_PREMISES = 52
VILLAGE_PREMISES = 8
FLOOR_AREA_M2 = (80.0, 600.0)
KINDS = (("社区用房", "社区居委会"), ("原商铺", "私人业主"), ("底商", "区国有资产运营公司"),
         ("闲置门面房", "街道办事处"), ("原幼儿园用房", "区教育局"))
VILLAGE_KINDS = (("村委会闲置用房", "村民委员会"), ("原村小学校舍", "保合少镇人民政府"))
STATUSES = ("available", "taken", "unsuitable")
STATUS_WEIGHTS = (0.74, 0.16, 0.10)
AVAILABLE_FROM = (date(2025, 3, 1), date(2025, 9, 1), date(2026, 1, 15), date(2026, 6, 1),
                  date(2026, 10, 1), date(2027, 3, 1), date(2027, 7, 1))
SETBACK_M = 12.0        # a premises stands back from its plate's street point, as a house front does


def premises(rng: np.random.Generator, *, units: pd.DataFrame, plates: pd.DataFrame,
             streets: pd.DataFrame) -> pd.DataFrame:
    """Return the sample's available premises (metres) with the layer ``premises``'s columns."""
    level = units.set_index("code")["level"]
    names = units.set_index("code")["name"]
    plate_level = plates["community_code"].map(level)
    rows = []
    for count, lvl, kinds in ((URBAN_PREMISES, "community", KINDS), (VILLAGE_PREMISES, "village", VILLAGE_KINDS)):
        pool = plates[plate_level == lvl]
        codes = np.sort(pool["community_code"].unique())
        picked = rng.choice(codes, size=min(count, len(codes)), replace=False)
        for code in np.sort(picked):
            here = pool[pool["community_code"] == code]
            plate = here.iloc[int(rng.integers(len(here)))]
            kind, owner = kinds[int(rng.integers(len(kinds)))]
            angle = rng.uniform(0, 2 * np.pi)
            x = float(plate.geometry.x) + SETBACK_M * np.cos(angle)
            y = float(plate.geometry.y) + SETBACK_M * np.sin(angle)
            area = float(np.round(rng.uniform(*FLOOR_AREA_M2) / 5) * 5)
            if rng.random() < 0.2:
                side = float(np.sqrt(area))
                geom = shapely.box(x - side / 2, y - side / 2, x + side / 2, y + side / 2)
            else:
                geom = shapely.Point(x, y)
            status = STATUSES[int(rng.choice(len(STATUSES), p=STATUS_WEIGHTS))]
            number = plate.get("number")
            where = f"{plate['street_name']}{int(number)}号" if pd.notna(number) else str(plate["street_name"])
            rows.append({"name": f"{names[code]}{where}{kind}", "community_code": code, "floor_area_m2": area,
                         "owner": owner, "status": status,
                         "available_from": AVAILABLE_FROM[int(rng.integers(len(AVAILABLE_FROM)))],
                         "remarks": "二层以上，无电梯 upper floor, no lift" if status == "unsuitable" else None,
                         "geometry": geom})
    return pd.DataFrame(rows, columns=["name", "community_code", "floor_area_m2", "owner", "available_from",
                                       "status", "remarks", "geometry"])
