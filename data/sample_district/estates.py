"""New estates of the sample with their housing and elder-care milestones (四同步)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def new_estates(rng: np.random.Generator, *, units: pd.DataFrame, plates: pd.DataFrame) -> pd.DataFrame:
    """Return the sample's new estates (metres) with the layer ``new_estates``'s columns."""
    return pd.DataFrame(columns=["name", "community_code", "households", "care_floor_area_m2", "geometry"])
