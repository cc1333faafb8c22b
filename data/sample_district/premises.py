"""Premises available for new elder-care stations (siting candidates) in the sample."""

from __future__ import annotations

import numpy as np
import pandas as pd


def premises(rng: np.random.Generator, *, units: pd.DataFrame, plates: pd.DataFrame,
             streets: pd.DataFrame) -> pd.DataFrame:
    """Return the sample's available premises (metres) with the layer ``premises``'s columns."""
    return pd.DataFrame(columns=["name", "community_code", "floor_area_m2", "owner", "available_from",
                                 "status", "geometry"])
