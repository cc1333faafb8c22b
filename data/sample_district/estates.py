"""New estates of the sample with their housing and elder-care milestones (四同步).

Eight estates built 2021–2026 in urban communities: four in sync at every stage (one of them short
of the 20 m² per 100 households norm), three with the elder-care premises late at one stage or more,
one handed over with its elder-care hand-over not recorded, and one still being built (later stages
not recorded). The dates are fixed here; only the communities and positions are drawn.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import shapely

D = date
# name, households, care floor area m², then (housing, care) dates for planned, built, inspected, handed over
ESTATES: tuple[tuple[str, int, float, tuple[tuple[date | None, date | None], ...]], ...] = (
    ("滨河新苑", 640, 140.0, ((D(2020, 3, 1), D(2020, 3, 1)), (D(2022, 5, 30), D(2022, 5, 30)),
                              (D(2022, 8, 15), D(2022, 8, 15)), (D(2022, 10, 1), D(2022, 9, 20)))),
    ("锦绣华庭", 1200, 260.0, ((D(2020, 9, 10), D(2020, 9, 10)), (D(2023, 4, 30), D(2023, 4, 30)),
                               (D(2023, 7, 1), D(2023, 7, 1)), (D(2023, 9, 1), D(2023, 9, 1)))),
    ("金桥花园", 480, 100.0, ((D(2021, 2, 1), D(2021, 2, 1)), (D(2023, 10, 31), D(2023, 10, 20)),
                              (D(2024, 1, 15), D(2024, 1, 15)), (D(2024, 3, 1), D(2024, 3, 1)))),
    ("北垣雅居", 600, 90.0, ((D(2021, 5, 1), D(2021, 5, 1)), (D(2023, 6, 30), D(2023, 6, 30)),
                             (D(2023, 9, 1), D(2023, 9, 1)), (D(2023, 11, 1), D(2023, 11, 1)))),
    ("东岸新城", 900, 200.0, ((D(2021, 3, 1), D(2021, 3, 1)), (D(2023, 8, 31), D(2023, 12, 29)),
                              (D(2023, 11, 1), D(2024, 3, 1)), (D(2024, 1, 10), D(2024, 6, 1)))),
    ("青城御府", 520, 110.0, ((D(2021, 7, 1), D(2021, 7, 1)), (D(2024, 4, 30), D(2024, 4, 30)),
                              (D(2024, 7, 1), D(2024, 7, 1)), (D(2024, 9, 1), D(2025, 3, 1)))),
    ("如意家园", 360, 80.0, ((D(2022, 4, 1), D(2022, 4, 1)), (D(2024, 9, 30), D(2024, 9, 30)),
                             (D(2024, 12, 1), D(2024, 12, 1)), (D(2025, 3, 1), None))),
    ("和园", 750, 160.0, ((D(2023, 6, 1), D(2023, 8, 1)), (None, None), (None, None), (None, None))),
)
STAGES = ("planned", "built", "inspected", "handed_over")


def new_estates(rng: np.random.Generator, *, units: pd.DataFrame, plates: pd.DataFrame) -> pd.DataFrame:
    """Return the sample's new estates (metres) with the layer ``new_estates``'s columns."""
    communities = units[units["level"] == "community"]
    picks = np.sort(rng.choice(len(communities), len(ESTATES), replace=False))
    rows = []
    for (name, households, care_m2, stages), idx in zip(ESTATES, picks, strict=True):
        code = communities.iloc[int(idx)]["code"]
        group = plates[plates["community_code"] == code]
        plate = group.iloc[int(rng.integers(len(group)))]
        x, y = plate["x"] + rng.uniform(-30, 30), plate["y"] + rng.uniform(-30, 30)
        row: dict[str, object] = {"name": name, "community_code": code, "households": households,
                                  "care_floor_area_m2": care_m2,
                                  "geometry": shapely.box(x - 60, y - 40, x + 60, y + 40)}
        for stage, (housing, care) in zip(STAGES, stages, strict=True):
            row[f"housing_{stage}_on"], row[f"care_{stage}_on"] = housing, care
        row["remarks"] = None
        rows.append(row)
    return pd.DataFrame(rows)
