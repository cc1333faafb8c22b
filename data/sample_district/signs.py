"""The sample's street name signs (路牌), placed as the bureau places them.

Signs stand at the start, the end and every junction of a road, with extra ones where junctions are
far apart (domain brief §3.1): here one sign per street at each junction it meets, 10 m into the
street and 9 m off its centreline, one at each end of the urban and village streets, one at each
lane's entrance, and more every 300 m where signs would be over 400 m apart on the main streets.
Each sign shows the number range of the block ahead and an arrow the way the numbers increase.
About a third of the arterials' signs and a fifth of the local streets' are smart (QR); a few are
damaged or faded; five junction signs are deliberately missing, so the junction check
(geo.signs.junctions) has something to find.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from datetime import date, timedelta

import numpy as np
import pandas as pd
import shapely

from geo.planning.network.graph import node_vertices

INTO_STREET_M = 10.0
OFF_CENTRE_M = 9.0
GAP_M = 400.0
FILL_EVERY_M = 300.0
MERGE_M = 15.0
UNSIGNED = 5
SMART_SHARE = {"arterial": 0.35, "local": 0.2, "village": 0.05, "rural": 0.05, "lane": 0.02}
WITH_ENDS = ("arterial", "local", "village", "rural")
FIRST_INSTALL, LAST_INSPECTION = date(2016, 3, 1), date(2025, 10, 31)


def _junction_nodes(lines: list[shapely.LineString]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (node of each vertex, line of each vertex, whether each node is a junction)."""
    coords, line_of = shapely.get_coordinates(np.asarray(lines, dtype=object), return_index=True)
    node, node_xy = node_vertices(coords)
    first = np.r_[True, line_of[1:] != line_of[:-1]]
    last = np.r_[line_of[1:] != line_of[:-1], True]
    n = len(node_xy)
    degree = 2 * np.bincount(node, minlength=n) - np.bincount(node[first], minlength=n) \
        - np.bincount(node[last], minlength=n)
    return node, line_of, degree


def _compass(dx: float, dy: float) -> str:
    angle = math.degrees(math.atan2(dy, dx)) % 360
    return ("east", "north", "west", "south")[int(((angle + 45) % 360) // 90)]


def _place(line: shapely.LineString, along: float, side: str) -> tuple[shapely.Point, str]:
    """Return the sign's point ``OFF_CENTRE_M`` to ``side`` of ``line`` at ``along`` and its arrow."""
    a, b = line.interpolate(max(along - 1, 0)), line.interpolate(min(along + 1, line.length))
    dx, dy = b.x - a.x, b.y - a.y
    norm = math.hypot(dx, dy) or 1.0
    foot = line.interpolate(along)
    sign = 1.0 if side == "left" else -1.0
    return shapely.Point(foot.x - sign * dy / norm * OFF_CENTRE_M, foot.y + sign * dx / norm * OFF_CENTRE_M), \
        _compass(dx, dy)


def _chainages(line: shapely.LineString, junction_at: list[float], street_class: str) -> list[float]:
    """Return where along ``line`` its signs stand: junctions, ends, and fill-ins on long gaps."""
    length = line.length
    marks = [min(c + INTO_STREET_M, length) if c + INTO_STREET_M <= length else max(c - INTO_STREET_M, 0)
             for c in junction_at]
    if street_class in WITH_ENDS:
        marks += [min(INTO_STREET_M, length / 2), max(length - INTO_STREET_M, length / 2)]
    marks = sorted(marks)
    if street_class in ("arterial", "local"):
        filled = []
        for a, b in itertools.pairwise(marks):
            filled.append(a)
            if b - a > GAP_M:
                steps = int((b - a) // FILL_EVERY_M)
                filled += [a + (b - a) * k / (steps + 1) for k in range(1, steps + 1)]
        marks = [*filled, *marks[-1:]]
    kept: list[float] = []
    for c in marks:
        if not kept or c - kept[-1] > MERGE_M:
            kept.append(c)
    return kept


def _ranges(line: shapely.LineString, marks: list[float], plates: pd.DataFrame) -> list[tuple[int | None, int | None]]:
    """Return the number range of the block ahead of each sign (the plates up to the next sign)."""
    if len(plates) == 0:
        return [(None, None)] * len(marks)
    along = shapely.line_locate_point(line, np.asarray(plates.geometry.values, dtype=object))
    numbers = plates["number"].to_numpy()
    out: list[tuple[int | None, int | None]] = []
    for k, start in enumerate(marks):
        stop = marks[k + 1] if k + 1 < len(marks) else None
        if stop is None:
            out.append((None, None))
            continue
        ahead = numbers[(along >= start) & (along < stop)]
        out.append((int(ahead.min()), int(ahead.max())) if len(ahead) else (None, None))
    return out


def street_signs(rng: np.random.Generator, *, streets: pd.DataFrame, plates: pd.DataFrame) -> pd.DataFrame | None:
    """Return the signs: street ``name``, position in metres (EPSG:4546) as ``geometry``, and their fields."""
    lines = list(streets.geometry.values)
    classes = streets["street_class"].to_numpy()
    node, line_of, degree = _junction_nodes(lines)
    names_at: dict[int, set[str]] = defaultdict(set)
    street_names = [str(n) for n in streets["name"]]
    for k, i in zip(node.tolist(), line_of.tolist(), strict=True):
        names_at[k].add(street_names[i])
    junction_node = {k for k, names in names_at.items() if len(names) >= 2 or degree[k] >= 3}
    at_junctions: dict[int, list[float]] = defaultdict(list)
    coords = shapely.get_coordinates(np.asarray(lines, dtype=object))
    for v, (k, i) in enumerate(zip(node.tolist(), line_of.tolist(), strict=True)):
        if k in junction_node and classes[i] != "expressway":
            at_junctions[i].append(float(lines[i].project(shapely.Point(coords[v]))))
    plates_by_street = {name: group for name, group in plates.groupby("street_name", sort=False)}
    rows = []
    for i, line in enumerate(lines):
        if classes[i] == "expressway":
            continue  # the elevated road carries its own gantry signs, not 路牌
        name = street_names[i]
        junction_marks = sorted(set(at_junctions.get(i, [])))
        marks = _chainages(line, junction_marks, classes[i])
        ranges = _ranges(line, marks, plates_by_street.get(name, plates.iloc[:0]))
        for along, (low, high) in zip(marks, ranges, strict=True):
            side = "right" if rng.random() < 0.5 else "left"
            point, arrow = _place(line, along, side)
            at_junction = any(abs(along - j) <= INTO_STREET_M + 0.01 for j in junction_marks)
            rows.append({"name": name, "street_class": classes[i], "geometry": point, "side": side,
                         "direction": arrow, "number_from": low, "number_to": high, "at_junction": at_junction})
    frame = pd.DataFrame(rows)
    n = len(frame)
    frame["sign_type"] = np.where(rng.random(n) < frame["street_class"].map(SMART_SHARE).fillna(0.02).to_numpy(),
                                  "smart", "ordinary")
    span = (LAST_INSPECTION - FIRST_INSTALL).days
    installed = rng.integers(0, span - 400, n)
    inspected = installed + rng.integers(200, 1 + span - installed)
    frame["installed_on"] = [FIRST_INSTALL + timedelta(days=int(d)) for d in installed]
    frame["inspected_on"] = [FIRST_INSTALL + timedelta(days=int(d)) for d in inspected]
    draw = rng.random(n)
    frame["condition"] = np.where(draw < 0.02, "damaged", np.where(draw < 0.07, "faded", "good"))
    frame["status"] = np.where(draw < 0.02, "damaged", "active")
    frame["damaged_on"] = [d if c == "damaged" else None for d, c in zip(frame["inspected_on"], frame["condition"],
                                                                        strict=True)]
    # Five junction signs of local streets were never put up (or taken and not reported).
    candidates = np.flatnonzero(frame["at_junction"].to_numpy() & (frame["street_class"] == "local").to_numpy())
    gone = rng.choice(candidates, size=min(UNSIGNED, len(candidates)), replace=False)
    frame = frame.drop(index=list(gone)).drop(columns=["at_junction", "street_class"]).reset_index(drop=True)
    for column in ("number_from", "number_to"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame
