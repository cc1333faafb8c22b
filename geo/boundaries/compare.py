"""Another version of a boundary compared with ours, along the line with one neighbour.

The file (features in EPSG:4490, as :func:`geo.io.formats.read_features` returns it) holds one of
three things: our unit's polygon, the neighbour's polygon, or the shared line alone. Which one is
found from the file (its ``adcode``/``code`` attribute, else its overlap with our stored units), and
a file that resembles none of them is refused: an empty or irrelevant file is an error, never
"no dispute". The file passes the import checks first (geometry present, of a boundary type, valid,
inside China, within the vertex limits of :mod:`geo.validation`), so a bow-tie or a 200,000-vertex
polygon is refused before any overlay runs.

Only the ground along the line with the named neighbour is compared (a corridor of
:data:`CORRIDOR_M` either side of our stored line), so our own polygon is never compared with the
neighbour's whole polygon. Each disputed part says which unit the file's version draws it into
(「赛罕区多划」), its area (m², 亩), where it is (lon/lat, the nearest marker), the stretch of the
line it lies on (km from the line's start, between which markers), and the markers within
:data:`MARKER_TOLERANCE_M` with their distance to each version. How much of the line the file covers
(share, km from–to) is always told: a file covering only a stretch is compared there with a warning,
never answered "the versions agree" for the whole line (a surveyor's 1 km resurvey of a 51 km line
is compared on its kilometre), and one covering less than :data:`MIN_COVERAGE_M` is refused. A
near-constant shift of the whole line is reported as a likely CRS mistake. Areas are found in metres
(EPSG:4546) and handed back in EPSG:4490 for files. The comparison informs; it never decides a dispute (BM-09).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo import crs as C
from geo.boundaries.lines import (
    SQM_PER_MU,
    Shift,
    difference_share,
    faces_between_lines,
    ordered_parts,
    stretch_along,
    systematic_shift,
)
from geo.errors import InputError, InvalidGeometry, OutsideChina
from geo.messages import FileRows, Term, as_term, at_row, file_row, text, zh
from geo.store import Store
from geo.validation import MAX_PARTS, MAX_VERTICES, geometry_problems, outside_china

CORRIDOR_M = 1_000.0        # ground compared either side of our line; wider than a GCJ-02 offset (~300–700 m)
MIN_AREA_M2 = 10.0          # smaller differences are drawing noise
MARKER_TOLERANCE_M = 20.0   # markers this close to a disputed part are listed with it
MIN_RESEMBLANCE = 0.5       # a unit's version overlaps the stored unit by at least half (intersection / union)
MIN_LINE_SHARE = 0.8        # a line's version lies mostly within the corridor of the stored line
SHIFT_THRESHOLD_M = 5.0     # versions further apart than this differ at that point
MIN_COVERAGE_M = 200.0      # a version covering less of the line than this many metres is no version of it
FULL_COVERAGE_SHARE = 0.95  # below this the answer says which stretch was compared and which was not
COVERAGE_BIN_M = 50.0       # the line is counted as covered in stretches this long
MAX_FEATURES = MAX_PARTS    # a version of one boundary is a handful of features
MAX_TOTAL_VERTICES = MAX_VERTICES  # all features together: the per-geometry import limit
# A version of one boundary within MAX_TOTAL_VERTICES fits in a few MB even as indented GeoJSON (about
# 40 bytes a vertex); a file many times larger is refused before it is parsed into geometries.
MAX_FILE_BYTES = 32 * 1024 * 1024
BOUNDARY_TYPES = ("Polygon", "MultiPolygon", "LineString", "MultiLineString")
AREA_COLUMNS = ("part", "gains", "gains_label", "area_m2", "area_mu", "lon", "lat", "place", "from_km", "to_km",
                "from_marker", "to_marker", "markers")
_COMPASS = (("北", "north"), ("东北", "north-east"), ("东", "east"), ("东南", "south-east"), ("南", "south"),
            ("西南", "south-west"), ("西", "west"), ("西北", "north-west"))


@dataclass(frozen=True)
class Coverage:
    """How much of our line the file's version covers, counted the way the markers are numbered.

    ``share`` is the covered part of the line (0 to 1), ``covered_m`` its length, ``from_km``/``to_km``
    the first and last covered kilometre, ``stretches`` the covered stretches (km from, km to).
    """

    share: float
    covered_m: float
    line_m: float
    from_km: float
    to_km: float
    stretches: list[tuple[float, float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the coverage for a JSON answer."""
        return {"share": round(self.share, 4), "covered_km": round(self.covered_m / 1000, 2),
                "line_km": round(self.line_m / 1000, 2), "from_km": round(self.from_km, 2),
                "to_km": round(self.to_km, 2), "stretches": [[round(a, 2), round(b, 2)] for a, b in self.stretches]}

    def stretches_term(self, *, limit: int = 5) -> Term:
        """Return the covered stretches as text (``km 0.00–5.12、km 9.00–12.00``), the first ``limit`` of them."""
        shown = [f"km {a:.2f}–{b:.2f}" for a, b in self.stretches[:limit]]
        more = len(self.stretches) - limit
        return Term("、".join(shown) + (f" 等 {len(self.stretches)} 段" if more > 0 else ""),
                    ", ".join(shown) + (f" and {more} more" if more > 0 else ""))


def line_coverage(line: Any, their_line: BaseGeometry, *, within_m: float = CORRIDOR_M,
                  bin_m: float = COVERAGE_BIN_M, max_points: int = 50_000) -> Coverage:
    """Return how much of ``line`` (metres; a LineString or MultiLineString) the version ``their_line`` covers.

    Points along their version (those within ``within_m`` of ours) are projected onto our line; a
    stretch of ``bin_m`` is covered when a point lands in it, or lies between two neighbouring points
    of their version whose projections jump no further than their distance from ours explains (at a
    bend of our line the points of a shifted version project onto the bend and skip the stretch
    beside it). A version shifted by a wrong CRS still covers the line; a version of its first
    kilometre covers about one kilometre of it, whatever it says.
    """
    length = float(line.length)
    bins = max(1, int(np.ceil(length / bin_m)))
    size = length / bins
    counts = np.zeros(bins + 1, dtype=np.int64)
    parts = [p for p in shapely.get_parts(their_line) if p.geom_type in ("LineString", "LinearRing") and p.length > 0]
    total = sum(p.length for p in parts)
    step = max(size / 2, total / max_points) if parts else size
    for part in parts if length > 0 else []:
        points = shapely.line_interpolate_point(part, np.append(np.arange(0.0, part.length, step), part.length))
        away = shapely.distance(points, line)
        usable = away <= within_m
        at = shapely.line_locate_point(line, points)
        lo, hi = at[usable], at[usable]
        # Neighbouring points both near our line: the stretch between their projections is covered too.
        pair = usable[:-1] & usable[1:]
        jump = np.abs(at[1:] - at[:-1])
        explained = pair & (jump <= 2 * np.maximum(away[1:], away[:-1]) + 2 * step)
        lo = np.concatenate([lo, np.minimum(at[:-1], at[1:])[explained]])
        hi = np.concatenate([hi, np.maximum(at[:-1], at[1:])[explained]])
        first = np.clip((lo / size).astype(int), 0, bins - 1)
        last = np.clip((hi / size).astype(int), 0, bins - 1)
        np.add.at(counts, first, 1)
        np.add.at(counts, last + 1, -1)
    hit = np.cumsum(counts)[:bins] > 0
    stretches: list[tuple[float, float]] = []
    start = None
    for i, covered in enumerate([*hit.tolist(), False]):
        if covered and start is None:
            start = i
        elif not covered and start is not None:
            stretches.append((start * size / 1000, i * size / 1000))
            start = None
    covered_m = float(hit.sum() * size)
    return Coverage(share=covered_m / length if length else 0.0, covered_m=covered_m, line_m=length,
                    from_km=stretches[0][0] if stretches else 0.0, to_km=stretches[-1][1] if stretches else 0.0,
                    stretches=stretches)


@dataclass(frozen=True)
class BoundaryComparison:
    """What the file was compared as, the disputed parts (largest first, geometries in metres) and the
    markers near them, with warnings (a likely CRS mistake, differences along other lines).

    ``compared`` is ``"polygon"`` or ``"line"``; ``described`` the adcode of the unit whose polygon the
    file holds (None for a line); ``areas`` hold :data:`AREA_COLUMNS` and ``geometry``;
    ``markers_affected`` holds ``(marker_no, distance_m)`` of the markers within
    :data:`MARKER_TOLERANCE_M` of a disputed part, ``markers`` the same with the distances to each version.
    """

    neighbour: str
    compared: str
    line_code: str = ""
    line_name: str = ""
    line_length_m: float = 0.0
    described: str | None = None
    described_as: str = ""
    areas: list[dict[str, Any]] = field(default_factory=list)
    markers_affected: list[tuple[str, float]] = field(default_factory=list)
    markers: list[dict[str, Any]] = field(default_factory=list)
    shift: Shift | None = None
    warnings: list[str] = field(default_factory=list)
    min_area_m2: float = MIN_AREA_M2
    coverage: Coverage | None = None

    @property
    def partial(self) -> bool:
        """Return whether the file covers only part of the line (so "no difference" holds only there)."""
        return self.coverage is not None and self.coverage.share < FULL_COVERAGE_SHARE

    @property
    def total_m2(self) -> float:
        """Return the disputed area in m²."""
        return float(sum(a["area_m2"] for a in self.areas))

    @property
    def total_mu(self) -> float:
        """Return the disputed area in 亩."""
        return self.total_m2 / SQM_PER_MU

    def areas_frame(self) -> gpd.GeoDataFrame:
        """Return the disputed parts as a table in EPSG:4490 (which unit gains, m², 亩, place, stretch, markers)."""
        rows = [{k: a[k] for k in AREA_COLUMNS} for a in self.areas]
        geoms = gpd.GeoSeries([C.from_metric(a["geometry"]) for a in self.areas], crs="EPSG:4490")
        return gpd.GeoDataFrame(rows, columns=list(AREA_COLUMNS), geometry=geoms, crs="EPSG:4490")


def check_file_size(path: Path, *, limit_bytes: int = MAX_FILE_BYTES) -> None:
    """Refuse a file far larger than any version of one boundary within the vertex limit, before reading it
    (reading 88 MB of polygons took 13 s and 600 MB only to be refused by the vertex count)."""
    size = path.stat().st_size if path.is_file() else 0
    if size > limit_bytes:
        raise InputError(text("boundary_compare.file_too_big", size=f"{size / 1024 / 1024:,.1f}",
                              limit=f"{limit_bytes / 1024 / 1024:,.0f}", vertices=f"{MAX_TOTAL_VERTICES:,}"),
                         field="file")


def _check_file(theirs: gpd.GeoDataFrame, *, source_crs: str = "EPSG:4490", rows: FileRows = 1) -> np.ndarray:
    """Return the file's geometries, or refuse a file the import checks would refuse (and an empty one).

    Cheap checks first: the count of features and each geometry's vertices come before validity, so
    a huge self-intersecting polygon is refused without running GEOS on it.
    """
    if theirs.crs is None or not theirs.crs.equals("EPSG:4490"):
        raise InputError(text("boundaries.their_crs", crs=theirs.crs), field="crs")
    if len(theirs) == 0:
        raise InputError(text("boundary_compare.empty"), field="file")
    if len(theirs) > MAX_FEATURES:
        raise InputError(text("boundary_compare.too_many_features", count=f"{len(theirs):,}",
                              limit=f"{MAX_FEATURES:,}"), field="file")
    geoms = np.asarray(theirs.geometry.values, dtype=object)
    problems = [at_row(p, file_row(rows, i)) for i, p in geometry_problems(geoms, BOUNDARY_TYPES)]
    if problems:
        shown = [as_term(p) for p in problems[:3]]
        first = Term("；".join(shown), "; ".join(t.en for t in shown))
        raise InvalidGeometry(text("boundary_compare.geometry_problems", count=len(problems), problems=first),
                              field="geometry", details=problems[:20])
    total = int(shapely.get_num_coordinates(geoms).sum())
    if total > MAX_TOTAL_VERTICES:
        raise InvalidGeometry(text("boundary_compare.too_many_vertices", count=f"{total:,}",
                                   limit=f"{MAX_TOTAL_VERTICES:,}"), field="geometry")
    far = outside_china(geoms)
    if far:
        raise OutsideChina(text("boundary_compare.outside_china", count=len(far), crs=source_crs),
                           field="geometry")
    kinds = {"polygon" if "Polygon" in g.geom_type else "line" for g in geoms}
    if len(kinds) > 1:
        raise InputError(text("boundary_compare.mixed"), field="geometry")
    return geoms


def _unit(store: Store, adcode: str) -> dict[str, Any] | None:
    rows = store.select("admin_units", where={"code": f"{adcode}000000"})
    return rows[0] if rows else None


def _named(adcode: str, names: dict[str, str]) -> Term:
    name = names.get(adcode, adcode)
    return Term(f"{name}（{adcode}）", f"{adcode} {name}")


def _overlap(a: BaseGeometry, b: BaseGeometry) -> float:
    """Return how alike two polygons are: their intersection over their union (0 to 1)."""
    inter = shapely.intersection(a, b).area
    union = a.area + b.area - inter
    return float(inter / union) if union > 0 else 0.0


def _file_adcode(theirs: gpd.GeoDataFrame) -> tuple[str, str] | None:
    """Return (column, 6-digit adcode) the file's ``adcode`` or ``code`` attribute names, if it has one."""
    for column in ("adcode", "code", "ADCODE", "CODE"):
        if column not in theirs.columns:
            continue
        values = {str(v).strip() for v in theirs[column].tolist() if v is not None and str(v).strip()
                  and str(v).strip().lower() != "nan"}
        codes = {v[:6] for v in values if v[:6].isdigit() and len(v) >= 6}
        if len(codes) > 1:
            raise InputError(text("boundary_compare.several_units", field=column, adcodes=", ".join(sorted(codes))),
                             field=column)
        if codes:
            return column, codes.pop()
    return None


def _which_unit(theirs: gpd.GeoDataFrame, merged: BaseGeometry, units: dict[str, BaseGeometry],
                others: dict[str, BaseGeometry], names: dict[str, str], *, ours: str, neighbour: str
                ) -> tuple[str, str]:
    """Return the adcode of the unit (ours or the neighbour) whose polygon the file holds, and how it was known."""
    declared = _file_adcode(theirs)
    if declared is not None:
        column, adcode = declared
        if adcode not in units:
            raise InputError(text("boundary_compare.other_unit", field=column, adcode=adcode,
                                  ours=_named(ours, names), theirs=_named(neighbour, names)), field=column)
        share = _overlap(merged, units[adcode])
        if share < MIN_RESEMBLANCE:
            raise InputError(text("boundary_compare.unlike_unit", field=column, adcode=adcode,
                                  name=names.get(adcode, adcode), share=f"{share * 100:.0f}"), field=column)
        return adcode, text("boundary_compare.by_attribute", field=column)
    shares = {adcode: _overlap(merged, geom) for adcode, geom in units.items()}
    best = max(shares, key=lambda a: shares[a])
    if shares[best] >= MIN_RESEMBLANCE:
        return best, text("boundary_compare.by_overlap", share=f"{shares[best] * 100:.0f}")
    for adcode, geom in others.items():
        if _overlap(merged, geom) >= MIN_RESEMBLANCE:
            raise InputError(text("boundary_compare.other_neighbour_unit", name=names.get(adcode, adcode),
                                  adcode=adcode), field="neighbour")
    raise InputError(text("boundary_compare.resembles_neither", ours=_named(ours, names),
                          theirs=_named(neighbour, names), ours_share=f"{shares.get(ours, 0) * 100:.0f}",
                          theirs_share=f"{shares.get(neighbour, 0) * 100:.0f}"), field="file")


def _line_share(line: BaseGeometry, merged: BaseGeometry) -> float:
    corridor = shapely.buffer(line, CORRIDOR_M)
    return float(shapely.intersection(merged, corridor).length / merged.length) if merged.length else 0.0


def _check_line(merged: BaseGeometry, line: BaseGeometry, line_name: str, other_lines: list[dict[str, Any]],
                names: dict[str, str], neighbour: str) -> None:
    """Refuse a line that is no version of our line with the neighbour (another line's, or far away)."""
    share = _line_share(line, merged)
    if share >= MIN_LINE_SHARE:
        return
    for other in other_lines:
        if _line_share(other["metric"], merged) >= MIN_LINE_SHARE:
            raise InputError(text("boundary_compare.other_line", line=other["name"], adcode=other["right_adcode"],
                                  theirs=_named(neighbour, names)), field="neighbour")
    raise InputError(text("boundary_compare.far_line", share=f"{share * 100:.0f}", corridor=f"{CORRIDOR_M:,.0f}",
                          line=line_name, distance=f"{merged.distance(line):,.0f}"), field="geometry")


def _nearest_line_is(piece: BaseGeometry, line: BaseGeometry, other_lines: list[dict[str, Any]]) -> bool:
    point = piece.representative_point()
    here = point.distance(line)
    return all(here <= o["metric"].distance(point) for o in other_lines)


def _direction(shift: Shift) -> Term:
    zh_name, en_name = _COMPASS[int(((shift.bearing_deg + 22.5) % 360) // 45)]
    return Term(zh_name, en_name)


def compare_boundary(store: Store, theirs: gpd.GeoDataFrame, *, neighbour: str,
                     min_area_m2: float = MIN_AREA_M2, source_crs: str = "EPSG:4490",
                     rows: FileRows = 1) -> BoundaryComparison:
    """Compare another version of a boundary with ours along the line with ``neighbour``.

    Parameters
    ----------
    store
        The store holding our unit polygons, boundary lines and markers.
    theirs
        The version's features in EPSG:4490 (as :func:`geo.io.formats.read_features` returns a file):
        our unit's polygon, the neighbour's polygon, or the shared line.
    neighbour
        The 6-digit adcode of the neighbour whose shared line is compared.
    min_area_m2
        Differences smaller than this are left out (drawing noise: a version resampled from ours
        cuts the corners of our line by a few square metres).
    source_crs
        The CRS the file was read in (``--crs``), named when its coordinates fall outside China.
    rows
        The file rows of the features, as problems name them (a CSV's as a spreadsheet shows them: ``file_rows``
        of :func:`geo.io.formats.read_features`; default: from 1).

    Raises :class:`InputError` (naming the field) for a file that the import checks refuse, that is
    empty, that resembles neither unit nor the line, or that covers less than :data:`MIN_COVERAGE_M` of the
    line, and for a neighbour with no stored line. A file covering
    only part of the line is compared there, with a warning naming the stretch (:class:`Coverage`).
    """
    geoms = _check_file(theirs, source_crs=source_crs, rows=rows)
    lines = store.select("boundary_lines")
    stored_units = {adcode: _unit(store, adcode) for adcode in
                    sorted({r["left_adcode"] for r in lines} | {r["right_adcode"] for r in lines} | {neighbour})}
    names = {adcode: u["name"] for adcode, u in stored_units.items() if u is not None}
    for row in lines:
        row["metric"] = C.to_metric(row["geometry"])
    mine = [r for r in lines if r["right_adcode"] == neighbour]
    if not mine:
        known = Term("、".join(_named(r["right_adcode"], names) for r in lines),
                     ", ".join(_named(r["right_adcode"], names).en for r in lines))
        raise InputError(text("boundary_compare.unknown_neighbour", adcode=neighbour, known=known), field="neighbour")
    row, other_lines = mine[0], [r for r in lines if r["right_adcode"] != neighbour]
    line, ours = row["metric"], row["left_adcode"]
    for adcode in (ours, neighbour):
        names.setdefault(adcode, adcode)
    merged = C.to_metric(shapely.union_all(geoms))
    if merged.geom_type in ("Polygon", "MultiPolygon"):
        units, others = {}, {}
        for adcode in (ours, neighbour):
            unit = stored_units.get(adcode)
            if unit is None:
                raise InputError(text("boundary_compare.no_unit", adcode=adcode), field="neighbour")
            units[adcode] = C.to_metric(unit["geometry"])
        for other in other_lines:
            unit = stored_units.get(other["right_adcode"])
            if unit is not None:
                others[other["right_adcode"]] = C.to_metric(unit["geometry"])
        described, how = _which_unit(theirs, merged, units, others, names, ours=ours, neighbour=neighbour)
        other_side = neighbour if described == ours else ours
        stored = units[described]
        corridor = shapely.buffer(line, CORRIDOR_M, cap_style="flat")
        sides = ((shapely.intersection(shapely.difference(merged, stored), corridor), described),
                 (shapely.intersection(shapely.difference(stored, merged), corridor), other_side))
        pieces = [(p, gains) for geom, gains in sides for p in shapely.get_parts(geom)
                  if p.geom_type == "Polygon" and p.area >= min_area_m2 and _nearest_line_is(p, line, other_lines)]
        their_line = shapely.intersection(merged.boundary, corridor)
        compared, described_as = "polygon", text("boundary_compare.described_unit", name=names[described],
                                                 adcode=described, how=as_term(how))
        warnings = _elsewhere(merged, stored, line, other_lines, described == ours, min_area_m2=min_area_m2)
    else:
        _check_line(merged, line, row["name"], other_lines, names, neighbour)
        described, their_line, warnings = None, merged, []
        our_unit = stored_units.get(ours)
        our_polygon = C.to_metric(our_unit["geometry"]) if our_unit else None
        pieces = []
        for face in faces_between_lines(line, merged, min_area_m2=min_area_m2):
            ours_side = our_polygon is not None and shapely.intersection(face, our_polygon).area > face.area / 2
            pieces.append((face, neighbour if ours_side else ours))  # our ground drawn to them, or theirs to us
        compared, described_as = "line", text("boundary_compare.described_line", line=row["name"])
    # Kilometres count the way the markers are numbered (west→east or north→south, BM-12), not the
    # way the line happens to be stored, so "km 2.1–4.0" lies between markers 001 and 002.
    parts = ordered_parts(line)
    numbered = parts[0] if len(parts) == 1 else shapely.MultiLineString(parts) if parts else line
    coverage = line_coverage(numbered, their_line)
    if coverage.covered_m < MIN_COVERAGE_M:
        raise InputError(text("boundary_compare.too_little_of_line", line=row["name"],
                              covered=f"{coverage.covered_m / 1000:,.2f}", share=f"{coverage.share * 100:.1f}",
                              length=f"{line.length / 1000:,.2f}", min_m=f"{MIN_COVERAGE_M:,.0f}"),
                         field="file")
    if coverage.share < FULL_COVERAGE_SHARE:
        warnings.insert(0, text("boundary_compare.partial", share=f"{coverage.share * 100:.0f}",
                                covered=f"{coverage.covered_m / 1000:,.2f}", length=f"{line.length / 1000:,.2f}",
                                stretches=coverage.stretches_term(), line=row["name"]))
    shift = systematic_shift(line, their_line, threshold_m=SHIFT_THRESHOLD_M) if not their_line.is_empty else None
    if shift is not None:
        warnings.insert(0, text("boundary_compare.shift", distance=f"{shift.distance_m:,.0f}",
                                direction=_direction(shift), east=f"{shift.east_m:,.0f}", north=f"{shift.north_m:,.0f}",
                                share=f"{shift.differing * 100:.0f}", threshold=f"{SHIFT_THRESHOLD_M:g}"))
    elif not their_line.is_empty:
        share, median = difference_share(line, their_line, threshold_m=SHIFT_THRESHOLD_M)
        if share >= MIN_LINE_SHARE:
            warnings.insert(0, text("boundary_compare.differ_everywhere", share=f"{share * 100:.0f}",
                                    threshold=f"{SHIFT_THRESHOLD_M:g}", median=f"{median:,.0f}"))
    markers = [m for m in store.select("boundary_markers", where={"status": "active"})]
    areas, near = _describe(sorted(pieces, key=lambda pg: -pg[0].area), numbered, their_line, row["line_code"],
                            markers, names)
    return BoundaryComparison(
        neighbour=neighbour, compared=compared, line_code=row["line_code"], line_name=row["name"],
        line_length_m=float(line.length), described=described, described_as=described_as, areas=areas,
        markers_affected=_closest(near), markers=near, shift=shift, warnings=warnings, min_area_m2=min_area_m2,
        coverage=coverage)


def _closest(near: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """Return each marker near a disputed part once, with its distance to the nearest part, nearest first."""
    best: dict[str, float] = {}
    for m in near:
        best[m["marker_no"]] = min(best.get(m["marker_no"], m["to_area_m"]), m["to_area_m"])
    return sorted(best.items(), key=lambda kv: (kv[1], kv[0]))


def _elsewhere(merged: BaseGeometry, stored: BaseGeometry, line: BaseGeometry,
               other_lines: list[dict[str, Any]], is_ours: bool, *, min_area_m2: float) -> list[str]:
    """Warn when our polygon's version differs from ours beyond this line (the wrong --neighbour, maybe)."""
    if not is_ours or not other_lines:
        return []
    corridor = shapely.buffer(line, CORRIDOR_M, cap_style="flat")
    rest = [p for p in shapely.get_parts(shapely.difference(shapely.symmetric_difference(merged, stored), corridor))
            if p.geom_type == "Polygon" and p.area >= min_area_m2]
    if not rest:
        return []
    weight: dict[str, float] = {}
    for p in rest:
        point = p.representative_point()
        nearest = min(other_lines, key=lambda o: o["metric"].distance(point))
        weight[nearest["name"]] = weight.get(nearest["name"], 0.0) + p.area
    main = max(weight, key=lambda k: weight[k])
    return [text("boundary_compare.elsewhere", area=f"{sum(p.area for p in rest):,.0f}", line=main)]


def _describe(pieces: list[tuple[BaseGeometry, str]], line: Any, their_line: BaseGeometry,
              line_code: str, markers: list[dict[str, Any]], names: dict[str, str]
              ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return each disputed part described (see :data:`AREA_COLUMNS`) and the markers near any part."""
    if not pieces:
        return [], []
    points = C.to_metric(np.asarray([m["geometry"] for m in markers], dtype=object)) if markers \
        else np.zeros(0, dtype=object)
    on_line = [i for i, m in enumerate(markers) if m.get("line_code") == line_code]
    along = shapely.line_locate_point(line, points[on_line]) if on_line else np.zeros(0)
    order = np.argsort(along)
    sorted_idx, sorted_at = [on_line[i] for i in order], along[order]
    to_ours = shapely.distance(points, line) if len(points) else np.zeros(0)
    to_theirs = shapely.distance(points, their_line) if len(points) and not their_line.is_empty \
        else np.full(len(points), np.nan)
    areas, near = [], []
    for n, (piece, gains) in enumerate(pieces, start=1):
        start_m, end_m = stretch_along(line, piece)
        before = [i for i, at in zip(sorted_idx, sorted_at, strict=True) if at <= start_m]
        after = [i for i, at in zip(sorted_idx, sorted_at, strict=True) if at >= end_m]
        centre = C.from_metric(piece.centroid)
        place = ""
        if on_line:
            d = shapely.distance(points[on_line], piece)
            k = int(np.argmin(d))
            place = zh("boundary_compare.place", marker=markers[on_line[k]]["marker_no"], distance=f"{d[k]:,.0f}")
        listed = []
        if len(points):
            d_piece = shapely.distance(points, piece)
            for i in np.flatnonzero(d_piece <= MARKER_TOLERANCE_M).tolist():
                entry = {"marker_no": markers[i]["marker_no"], "part": n, "to_area_m": round(float(d_piece[i]), 2),
                         "to_ours_m": round(float(to_ours[i]), 2), "to_theirs_m": round(float(to_theirs[i]), 2)}
                near.append(entry)
                listed.append(zh("boundary_compare.marker_distances", marker=entry["marker_no"],
                                 ours=f"{entry['to_ours_m']:.1f}", theirs=f"{entry['to_theirs_m']:.1f}"))
        areas.append({
            "part": n, "gains": gains, "gains_label": zh("boundary_compare.gains", unit=names.get(gains, gains)),
            "area_m2": round(piece.area, 1), "area_mu": round(piece.area / SQM_PER_MU, 3),
            "lon": round(centre.x, 6), "lat": round(centre.y, 6), "place": place,
            "from_km": round(start_m / 1000, 2), "to_km": round(end_m / 1000, 2),
            "from_marker": markers[before[-1]]["marker_no"] if before else zh("boundary_compare.line_start"),
            "to_marker": markers[after[0]]["marker_no"] if after else zh("boundary_compare.line_end"),
            "markers": "；".join(listed), "geometry": piece})
    return areas, near
