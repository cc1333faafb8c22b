"""The district's boundary lines checked against the unit polygons: length, overlaps, gaps, stray markers,
and their casework: the five-year inspection cadence (BM-06), open disputes (BM-09), repairs done (BM-03).

Each line is derived from the district's polygon and the neighbour's (:func:`shared_boundary`); the
stored line of that neighbour names it and carries the markers that should stand on it.
:func:`casework_summary` is the casework of every line without the polygons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np

from geo import DISTRICT_NAME
from geo import crs as C
from geo.boundaries.cadence import line_cadence, overdue_lines
from geo.boundaries.disputes import list_disputes
from geo.boundaries.lines import SQM_PER_MU, markers_off_line, shared_boundary, topology_report
from geo.boundaries.repairs import repairs_done
from geo.errors import InputError
from geo.messages import text
from geo.store import Store


@dataclass(frozen=True)
class LineReport:
    """One boundary line with a neighbour: its length, the overlaps and gaps along it, stray markers.

    ``overlaps`` and ``gaps`` are the pieces :func:`topology_report` finds (metres, largest first);
    ``markers_off_line`` holds ``(marker_no, distance_m)`` of the line's active markers farther than
    10 m from the derived line.
    """

    neighbour: str
    name: str
    length_m: float
    overlaps: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[dict[str, Any]] = field(default_factory=list)
    markers_off_line: list[tuple[str, float]] = field(default_factory=list)
    last_inspected_on: date | None = None  # the last joint periodic inspection (BM-06)
    inspection_due_on: date | None = None
    days_overdue: int | None = None  # > 0: overdue; None with inspection_status "never": never inspected
    inspection_status: str | None = None  # "ok", "overdue", "never" (None: the store has no such line)
    open_disputes: list[str] = field(default_factory=list)  # case numbers of unresolved disputes (BM-09)
    repairs: list[tuple[str, date]] = field(default_factory=list)  # (marker_no, repaired_on), newest first

    @property
    def overdue(self) -> bool:
        """Return whether the line's five-year joint inspection is overdue (or never happened)."""
        return self.inspection_status in ("overdue", "never")

    @property
    def length_km(self) -> float:
        """Return the line's length in kilometres."""
        return self.length_m / 1000

    @property
    def overlap_m2(self) -> float:
        """Return the area both units claim, in m²."""
        return float(sum(o["area_m2"] for o in self.overlaps))

    @property
    def overlap_mu(self) -> float:
        """Return the area both units claim, in 亩."""
        return self.overlap_m2 / SQM_PER_MU

    @property
    def gap_m2(self) -> float:
        """Return the area of the slivers neither unit claims, in m²."""
        return float(sum(g["area_m2"] for g in self.gaps))

    @property
    def gap_mu(self) -> float:
        """Return the area of the slivers neither unit claims, in 亩."""
        return self.gap_m2 / SQM_PER_MU


def boundary_report(store: Store, polygons: gpd.GeoDataFrame, neighbours: Mapping[str, str], *,
                    close_m: float = 5.0, today: date | None = None) -> list[LineReport]:
    """Return one :class:`LineReport` per neighbour, in the order of ``neighbours``.

    Parameters
    ----------
    store
        The store holding the boundary lines and markers; its ``adcode`` is the district.
    polygons
        Unit polygons in EPSG:4490 with an ``adcode`` column: the district's and each neighbour's.
    neighbours
        The neighbours' adcodes and names (the name labels a line the store does not hold).
    close_m
        Slivers between the polygons narrower than twice this are gaps (metres).
    today
        The day the inspection cadence is judged on (default today).
    """
    metric = dict(zip(polygons["adcode"], C.to_metric(polygons.geometry.values), strict=True))
    missing = [a for a in (store.adcode, *neighbours) if a not in metric]
    if missing:
        raise InputError(text("boundaries.no_polygon", adcodes=", ".join(missing)), field="adcode")
    district = metric[store.adcode]
    lines = {r["right_adcode"]: r for r in store.select("boundary_lines")}
    markers = store.select("boundary_markers", where={"status": "active"})
    cadence = {r["line_code"]: r for r in line_cadence(store, today=today)}
    disputes = [d for d in list_disputes(store) if d["state"] in ("open", "assigned")]
    repairs = repairs_done(store)
    out = []
    for adcode, name in neighbours.items():
        line = shared_boundary(district, metric[adcode])
        topo = topology_report(district, metric[adcode], close_m=close_m)
        stored = lines.get(adcode)
        off: list[tuple[str, float]] = []
        if stored:
            mine = [m for m in markers if m["line_code"] == stored["line_code"]]
            positions = C.to_metric(np.asarray([m["geometry"] for m in mine], dtype=object))
            off = [(mine[i]["marker_no"], d) for i, d in markers_off_line(positions, line)]
        code = stored["line_code"] if stored else None
        due = cadence.get(code or "", {})
        out.append(LineReport(neighbour=adcode, name=stored["name"] if stored else f"{DISTRICT_NAME}—{name}界线",
                              length_m=float(line.length), overlaps=topo["overlaps"], gaps=topo["gaps"],
                              markers_off_line=off, last_inspected_on=due.get("last_inspected_on"),
                              inspection_due_on=due.get("due_on"), days_overdue=due.get("days_overdue"),
                              inspection_status=due.get("status"),
                              open_disputes=[d["case_no"] for d in disputes if d["line_code"] == code],
                              repairs=[(r["marker_no"], r["repaired_on"]) for r in repairs if r["line_code"] == code]))
    return out


@dataclass(frozen=True)
class Casework:
    """The district's boundary casework: lines overdue for joint inspection (most overdue first, BM-06),
    unresolved dispute cases (newest first, BM-09) and repairs done (newest first, BM-03)."""

    overdue: list[dict[str, Any]]
    open_disputes: list[dict[str, Any]]
    repairs: list[dict[str, Any]]


def casework_summary(store: Store, *, today: date | None = None) -> Casework:
    """Return the casework of every stored line (no polygons needed)."""
    return Casework(overdue=overdue_lines(store, today=today),
                    open_disputes=[d for d in list_disputes(store) if d["state"] in ("open", "assigned")],
                    repairs=repairs_done(store))
