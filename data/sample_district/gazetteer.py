"""The sample gazetteer: one in-force standard name per unit, street and named facility, romanized by
:mod:`geo.placenames.romanize`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from data import names as N
from geo import DISTRICT_ADCODE

SAMPLE_MEANING = "样例数据：含义待登记 · sample data: meaning to be registered"


def place_names(units: pd.DataFrame, streets: pd.DataFrame, facilities: pd.DataFrame) -> pd.DataFrame:
    """Return one in-force standard name per street, unit and named facility (sample register)."""
    from geo.placenames.romanize import romanize, split_name, toneless_key  # here: pypinyin takes a while to load

    rows = []

    def add(name: str, cls: str, admin_code: str, geometry, *, meaning: str = SAMPLE_MEANING,
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
    district_code = str(own.loc[own["level"] == "district", "code"].iloc[0])  # 150102000000 in the sample
    for unit in own.itertuples():
        cls = {"community": "community", "village": "village"}.get(unit.level, "admin_unit")
        # The naming story is 新城区's own; a district generated like it (data.synthetic_region) has none.
        meaning = N.DISTRICT_STORY if unit.code == DISTRICT_ADCODE + "000000" else SAMPLE_MEANING
        add(unit.name, cls, unit.code, unit.geometry, meaning=meaning,
            category={"community": "21620", "village": "22200"}.get(unit.level))
    subs = own[own["level"].isin(["subdistrict", "town"])]
    sub_shapes, sub_codes = np.asarray(subs.geometry.values, dtype=object), subs["code"].to_numpy()
    for name, group in streets.groupby("name", sort=False):
        geom = shapely.line_merge(shapely.union_all(np.asarray(group.geometry.values, dtype=object)))
        mid = geom.interpolate(0.5, normalized=True) if geom.geom_type == "LineString" else geom.centroid
        holders = sub_codes[shapely.intersects(sub_shapes, mid.buffer(1))]
        code = holders[0] if len(holders) else district_code
        story, language = N.STREET_STORIES.get(name, (SAMPLE_MEANING, None))
        add(name, "street", code, geom, meaning=story, language=language)
    named = facilities[facilities["kind"].isin(["community_service_centre", "elder_care_station",
                                                "comprehensive_elder_care_centre", "elder_care_institution",
                                                "public_cemetery"])]
    for f in named.itertuples():
        add(f.name, "facility", f.community_code or district_code, f.geometry)
    return pd.DataFrame(rows)
