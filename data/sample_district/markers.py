"""Boundary lines with the four neighbours (derived from the real polygons) and their markers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from data import names as N
from geo import DISTRICT_ADCODE
from geo.boundaries.lines import ordered_parts, shared_boundary

MARKER_SPACING_M = 2_500.0


def lines_and_markers(rng: np.random.Generator, district: BaseGeometry,
                      neighbours: dict[str, BaseGeometry]) -> tuple[pd.DataFrame, pd.DataFrame]:
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
