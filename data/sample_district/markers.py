"""Boundary lines with the four neighbours (derived from the real polygons) and their markers,
drawn as a surveyor would set them.

- Each line is numbered on its own from 001 along :func:`ordered_parts` (west→east or north→south,
  BM-12), one marker every :data:`MARKER_SPACING_M`.
- Where three units meet stands one same-number triple set (同号三立): markers C, D, E, one in each
  unit a few metres from the junction, C in the unit with the smallest adcode, each managed by the
  unit it stands in. The set is numbered on the line of the smaller neighbour code that ends there;
  the other line meeting there sets no marker of its own at that point.
- A same-number pair (同号双立) stands one marker each side of the line, A on the side with the smaller
  adcode (新城区 150102), B on the neighbour's side, each managed by its own side.
- Single markers stand on the line; the agreement divides them between the sides in turn.
- Every marker has a surveyed elevation (1985 national height datum, higher towards the Daqing
  mountains in the north) and two or three reference objects (方位物) with bearing and distance.
- Each line records its last joint inspection before the service kept campaigns (BM-06); two lines
  are past the five-year cadence on purpose, as in the district's real backlog.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from data import names as N
from data.sample_district.variant import BoundaryLineSpec
from geo import DISTRICT_ADCODE
from geo import crs as C
from geo.boundaries.lines import ordered_parts, shared_boundary

MARKER_SPACING_M = 2_500.0
JUNCTION_TOLERANCE_M = 1.0  # line ends this close are one tri-junction
TRIPLE_OFFSET_M = 5.0  # a triple set's markers stand this far from the junction, one in each unit
PAIR_OFFSET_M = 3.0  # a pair's markers stand this far either side of the line
COORDINATE_SOURCE = "2021年联检 GNSS RTK 测量（CGCS2000，1985国家高程基准）· 样例数据 sample data"

# The last joint inspection of each line before the service (sample; W and Z are past five years).
LAST_INSPECTED = {"H": date(2022, 6, 14), "S": date(2023, 5, 9), "W": date(2021, 8, 20), "Z": date(2020, 10, 12)}

_PLAIN_OBJECTS = ("电杆", "房角", "水渠桥", "路口", "机井", "独立树")
_MOUNTAIN_OBJECTS = ("独立树", "山顶", "冲沟口", "输电塔", "巨石", "三角点")
_FOOTHILL_LAT = 40.88  # north of this the district rises into the Daqing mountains


def _junctions(ends: dict[str, list[shapely.Point]]) -> list[tuple[shapely.Point, str, str]]:
    """Return (point, neighbour a, neighbour b) where two lines' ends meet (a < b)."""
    found = []
    codes = sorted(ends)
    for i, a in enumerate(codes):
        for b in codes[i + 1:]:
            for p in ends[a]:
                if any(p.distance(q) <= JUNCTION_TOLERANCE_M for q in ends[b]):
                    found.append((p, a, b))
    return found


def _into(unit: BaseGeometry, at: shapely.Point, *, metres: float) -> shapely.Point:
    """Return the point ``metres`` from ``at`` towards the inside of ``unit`` (its local sector)."""
    sector = unit.intersection(at.buffer(6 * metres))
    target = sector.centroid if not sector.is_empty else unit.representative_point()
    dx, dy = target.x - at.x, target.y - at.y
    norm = math.hypot(dx, dy) or 1.0
    return shapely.Point(at.x + metres * dx / norm, at.y + metres * dy / norm)


def _across(part: shapely.LineString, d: float, district: BaseGeometry) -> tuple[shapely.Point, shapely.Point]:
    """Return (our side, their side): points :data:`PAIR_OFFSET_M` either side of the line at ``d``."""
    p = part.interpolate(d)
    q = part.interpolate(min(d + 1.0, part.length)) if d + 1.0 <= part.length else part.interpolate(d - 1.0)
    tx, ty = (q.x - p.x, q.y - p.y) if d + 1.0 <= part.length else (p.x - q.x, p.y - q.y)
    norm = math.hypot(tx, ty) or 1.0
    nx, ny = -ty / norm, tx / norm
    left = shapely.Point(p.x + PAIR_OFFSET_M * nx, p.y + PAIR_OFFSET_M * ny)
    right = shapely.Point(p.x - PAIR_OFFSET_M * nx, p.y - PAIR_OFFSET_M * ny)
    return (left, right) if district.contains(left) else (right, left)


def _elevation_m(rng: np.random.Generator, lat: float) -> float:
    """Return a plausible surveyed height: the plain near 1,050 m, rising north into the mountains."""
    plain = 1_048.0 + 40.0 * max(0.0, lat - 40.78) / 0.1
    mountain = 2_600.0 * max(0.0, lat - _FOOTHILL_LAT)  # ≈ 23 m per km of northing
    return round(min(plain + mountain, 2_050.0) + float(rng.normal(0, 2.5)), 2)


def _reference_objects(rng: np.random.Generator, marker_no: str, lat: float) -> list[dict[str, object]]:
    """Return two or three reference objects of a marker, typical of its terrain."""
    names = _MOUNTAIN_OBJECTS if lat > _FOOTHILL_LAT else _PLAIN_OBJECTS
    picks = rng.choice(len(names), size=int(rng.integers(2, 4)), replace=False)
    # Rounded first, then taken modulo 360: a draw of 359.96 is 0.0, never the 360.0 the store refuses.
    return [{"marker_no": marker_no, "name": names[i], "bearing_deg": round(float(rng.uniform(0, 360)), 1) % 360,
             "distance_m": round(float(rng.uniform(15, 250)), 1), "description": None} for i in picks]


_LINE_COLUMNS = ["line_code", "name", "left_adcode", "right_adcode", "length_m", "geometry", "last_inspected_on"]
_MARKER_COLUMNS = ["line_code", "seq", "status", "material", "marker_no", "type_code", "marker_type",
                   "managing_adcode", "geometry", "elevation_m", "coordinate_source"]


def sample_lines() -> dict[str, BoundaryLineSpec]:
    """Return the sample's four lines by neighbour adcode: codes ``X<letter>01``, their last inspections."""
    return {adcode: BoundaryLineSpec(name, f"X{letter}01", LAST_INSPECTED[letter])
            for adcode, (name, letter) in N.NEIGHBOURS.items()}


def lines_and_markers(rng: np.random.Generator, district: BaseGeometry, neighbours: dict[str, BaseGeometry], *,
                      adcode: str = DISTRICT_ADCODE, name: str = "新城区",
                      lines: Mapping[str, BoundaryLineSpec] | None = None
                      ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (lines, markers, reference objects); geometries in metres (EPSG:4546).

    ``adcode`` and ``name`` are the district's; ``lines`` gives each neighbour's line (by the
    neighbour's adcode; default the sample's four, :func:`sample_lines`). A neighbour that shares
    no line with the district (it touches at a point only) gets no line."""
    specs = sample_lines() if lines is None else dict(lines)
    shared = {a: shared_boundary(district, neighbours[a]) for a in specs}
    shared = {a: line for a, line in shared.items() if not line.is_empty}
    parts = {a: ordered_parts(line) for a, line in shared.items()}
    ends = {a: [shapely.Point(p.coords[k]) for p in ps for k in (0, -1)] for a, ps in parts.items()}
    junctions = _junctions(ends)
    units = {adcode: district, **neighbours}
    lines_out, markers = [], []
    for neighbour, spec in specs.items():
        if neighbour not in shared:
            continue
        line = shared[neighbour]
        code = spec.line_code
        lines_out.append({"line_code": code, "name": f"{name}—{spec.neighbour_name}界线", "left_adcode": adcode,
                          "right_adcode": neighbour, "length_m": round(float(line.length), 1), "geometry": line,
                          "last_inspected_on": spec.last_inspected_on})
        seq = 0
        for part in parts[neighbour]:
            count = max(int(part.length // MARKER_SPACING_M), 1)
            for d in np.linspace(0, part.length, count + 1):
                p = part.interpolate(d)
                here = [(a, b) for j, a, b in junctions if j.distance(p) <= JUNCTION_TOLERANCE_M]
                if here and neighbour != here[0][0]:
                    continue  # the junction's triple set is numbered on the other line
                seq += 1
                base = {"line_code": code, "seq": seq, "status": "active", "material": "花岗岩"}
                if here:  # one marker in each of the three units
                    sides = sorted({adcode, *here[0]})
                    for t, unit in zip("CDE", sides, strict=True):
                        markers.append({**base, "marker_no": f"{code}{seq:03d}{t}", "type_code": t,
                                        "marker_type": "triple", "managing_adcode": unit,
                                        "geometry": _into(units[unit], p, metres=TRIPLE_OFFSET_M)})
                elif seq % 5 == 0:  # A on our side (the sample's is the smaller adcode), B on the neighbour's
                    ours, theirs = _across(part, float(d), district)
                    for t, unit, point in (("A", adcode, ours), ("B", neighbour, theirs)):
                        markers.append({**base, "marker_no": f"{code}{seq:03d}{t}", "type_code": t,
                                        "marker_type": "paired", "managing_adcode": unit, "geometry": point})
                else:
                    markers.append({**base, "marker_no": f"{code}{seq:03d}Q", "type_code": "Q",
                                    "marker_type": "single",
                                    "managing_adcode": adcode if seq % 2 else neighbour,
                                    "geometry": shapely.Point(p.x + rng.normal(0, 0.05), p.y + rng.normal(0, 0.05))})
    if not markers:  # a district without neighbours (a region of one)
        return pd.DataFrame(lines_out, columns=_LINE_COLUMNS), pd.DataFrame(columns=_MARKER_COLUMNS), pd.DataFrame()
    frame = pd.DataFrame(markers)
    lonlat = C.from_metric(np.asarray(frame["geometry"].values, dtype=object))
    lats = [float(g.y) for g in lonlat]
    frame["elevation_m"] = [_elevation_m(rng, lat) for lat in lats]
    frame["coordinate_source"] = COORDINATE_SOURCE
    references = [obj for number, lat in zip(frame["marker_no"], lats, strict=True)
                  for obj in _reference_objects(rng, number, lat)]
    return pd.DataFrame(lines_out), frame, pd.DataFrame(references)
