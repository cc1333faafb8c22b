"""The column-wise import checks refuse exactly what the row-by-row checks refused, with the same words.

geo/validation.py (geometry, area of use, required fields, enumerations, text) and geo/write_rules.py
(rule fields on create) judge whole columns at once for speed. Each case puts a bad value at row 1, at
the last row, and at several rows, and compares the error (type, message, field, listed details) with
the one the row-by-row reference below raises: the checks as they were written before, kept here.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.errors import InputError, InvalidGeometry, OutsideChina
from geo.layers import Layer, get_layer
from geo.messages import at_row, label, layer_label, text
from geo.store import schema
from geo.types import CHINA_LAT_MAX, CHINA_LAT_MIN, CHINA_LON_MAX, CHINA_LON_MIN
from geo.validation import (
    MAX_PARTS,
    MAX_TEXT_CHARS,
    MAX_VERTICES,
    check_choice,
    check_text,
    geometry_problems,
    outside_china,
    raise_collected,
    validate_frame,
)
from geo.write_rules import check_generic_create, generic_create_refusal, starting_state

N = 40  # rows per frame: row 1, row N and rows between


# -- the row-by-row reference (the checks before they went column-wise) ---------------------------


def ref_geometry_problems(geoms: np.ndarray, allowed: tuple[str, ...]) -> list[tuple[int, str]]:
    problems: list[tuple[int, str]] = []
    for i, g in enumerate(geoms):
        if g is None:
            problems.append((i, text("checks.no_geometry")))
        elif g.is_empty:
            problems.append((i, text("checks.empty_geometry")))
        elif g.geom_type not in allowed:
            problems.append((i, text("checks.wrong_geometry", type=g.geom_type, allowed=", ".join(allowed))))
        elif shapely.get_num_coordinates(g) > MAX_VERTICES:
            problems.append((i, text("checks.too_many_vertices", count=f"{shapely.get_num_coordinates(g):,}",
                                     limit=f"{MAX_VERTICES:,}")))
        elif shapely.get_num_geometries(g) > MAX_PARTS:
            problems.append((i, text("checks.too_many_parts", count=f"{shapely.get_num_geometries(g):,}",
                                     limit=f"{MAX_PARTS:,}")))
        elif not np.isfinite(shapely.get_coordinates(g, include_z=bool(shapely.has_z(g)))).all():
            problems.append((i, text("checks.nonfinite_coordinate")))
        elif not g.is_valid:
            problems.append((i, text("checks.invalid_geometry", reason=shapely.is_valid_reason(g))))
    return problems


def ref_outside_china(geoms: np.ndarray) -> list[int]:
    out = []
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        minx, miny, maxx, maxy = g.bounds
        if minx < CHINA_LON_MIN or maxx > CHINA_LON_MAX or miny < CHINA_LAT_MIN or maxy > CHINA_LAT_MAX:
            out.append(i)
    return out


def ref_validate_frame(frame: gpd.GeoDataFrame, layer: Layer, *, source_crs: str) -> None:
    geoms = np.asarray(frame.geometry.values, dtype=object)
    problems = [at_row(p, i + 1)
                for i, p in ref_geometry_problems(geoms, layer.geometry_types)]
    if problems:
        raise_collected(InvalidGeometry, "checks.geometry_problems", problems, "geometry")
    far = ref_outside_china(geoms)
    if far:
        raise_collected(OutsideChina, "checks.outside_china_features",
                         [text("checks.row_n", row=i + 1) for i in far], "geometry", crs=source_crs)
    for name in layer.required:
        if name not in frame.columns:
            raise InputError(text("checks.missing_column", field=label(name),
                                  layer=layer_label(layer.name, layer.title_zh)), field=name)
    found = [(i, name) for i in range(len(frame)) for name in layer.required
             if (v := frame[name].iloc[i]) is None or (isinstance(v, float) and np.isnan(v))
             or (isinstance(v, str) and not v.strip())]
    if found:
        raise_collected(InputError, "checks.missing_values",
                        [text("checks.missing_value", row=i + 1, field=label(name)) for i, name in found], found[0][1])
    for name, _allowed in layer.choices:
        if name in frame.columns:
            for i, v in enumerate(frame[name].tolist()):
                if v is None or (isinstance(v, float) and np.isnan(v)) or v == "":
                    continue
                check_choice(layer, name, v, row=i + 1)
    columns = schema.metadata.tables[layer.table].c
    for name in frame.columns:
        if frame[name].dtype == object or str(frame[name].dtype) in ("string", "str"):
            length = getattr(columns[name].type, "length", None) if name in columns else None
            for i, v in enumerate(frame[name].tolist()):
                try:
                    check_text(v, field=name, most_chars=min(length or MAX_TEXT_CHARS, MAX_TEXT_CHARS))
                except InputError as exc:
                    raise type(exc)(at_row(exc.message, i + 1),
                                    field=name) from None


# -- helpers --------------------------------------------------------------------------------------


def _plates() -> gpd.GeoDataFrame:
    """Return N good door plates (street names repeat, as in a real file)."""
    return gpd.GeoDataFrame(
        {"street_name": [f"锡林郭勒北路{i % 3}" for i in range(N)], "number": list(range(1, N + 1)),
         "status": ["active"] * N, "side": [None, "left", "right", ""] * (N // 4),
         "building_name": [f"{i}号楼" for i in range(N)], "households": [float(i) for i in range(N)]},
        geometry=[shapely.Point(111.68 + i * 1e-4, 40.85) for i in range(N)], crs="EPSG:4490")


def _outcome(check, *args, **kwargs) -> tuple[Any, ...] | None:
    """Return what a check raised (type, message, field, details), or None if it passed."""
    try:
        check(*args, **kwargs)
    except InputError as exc:
        return type(exc), exc.message, exc.field, exc.details
    return None


def _same_refusal(frame: gpd.GeoDataFrame, layer: str = "door_plates") -> tuple[Any, ...] | None:
    """Assert the column-wise and the row-by-row validation refuse ``frame`` alike; return the refusal."""
    got = _outcome(validate_frame, frame, get_layer(layer), source_crs="EPSG:4490")
    assert got == _outcome(ref_validate_frame, frame, get_layer(layer), source_crs="EPSG:4490")
    return got


PLACES = [[0], [N - 1], [3, 17, N - 1], list(range(N))]  # row 1, row N, several rows, every row


def _with(frame: gpd.GeoDataFrame, column: str, rows: list[int], value: Any) -> gpd.GeoDataFrame:
    out = frame.copy()
    values = out[column].astype(object).tolist()
    for i in rows:
        values[i] = value
    out[column] = values
    return out


# -- geometry and area of use ---------------------------------------------------------------------

BOWTIE = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
BAD_GEOMETRIES = {
    "missing": None,
    "empty": shapely.Point(),
    "wrong type": shapely.LineString([(111.6, 40.8), (111.7, 40.9)]),
    "too many vertices": shapely.LineString(np.c_[np.linspace(0, 1, MAX_VERTICES + 1), np.zeros(MAX_VERTICES + 1)]),
    "too many parts": shapely.MultiPoint(np.c_[np.arange(MAX_PARTS + 1), np.zeros(MAX_PARTS + 1)]),
    "not finite": shapely.LineString([(111.6, 40.8), (np.inf, 40.9)]),
    "not finite z": shapely.LineString([(111.6, 40.8, 1.0), (111.7, 40.9, np.nan)]),
    "invalid": BOWTIE,
}


@pytest.mark.parametrize("kind", sorted(BAD_GEOMETRIES))
def test_geometry_problems_match_row_by_row(kind):
    allowed = ("Point", "MultiPoint", "Polygon") if kind in ("too many parts", "invalid") else ("Point",)
    if kind in ("too many vertices", "not finite", "not finite z"):
        allowed = ("LineString",)
    good = shapely.Point(111.68, 40.85) if allowed[0] == "Point" else shapely.LineString([(111.6, 40.8), (111.7, 40.9)])
    for rows in PLACES:
        geoms = np.array([BAD_GEOMETRIES[kind] if i in rows else good for i in range(N)], dtype=object)
        got = geometry_problems(geoms, allowed)
        assert got == ref_geometry_problems(geoms, allowed)
        assert [i for i, _ in got] == rows


def test_mixed_geometry_problems_each_name_their_first_problem():
    geoms = np.array([BAD_GEOMETRIES[k] for k in sorted(BAD_GEOMETRIES)] * 3 + [shapely.Point(1, 2)], dtype=object)
    got = geometry_problems(geoms, ("Point", "LineString", "MultiPoint"))
    assert got == ref_geometry_problems(geoms, ("Point", "LineString", "MultiPoint"))
    assert len(got) == 3 * (len(BAD_GEOMETRIES) - 1)  # the LineString is allowed here


def test_features_outside_china_match_row_by_row():
    for rows in PLACES:
        geoms = np.array([shapely.Point(2.35, 48.85) if i in rows else shapely.Point(111.68, 40.85)
                          for i in range(N)] + [None, shapely.Point()], dtype=object)
        assert outside_china(geoms) == ref_outside_china(geoms) == rows
        frame = gpd.GeoDataFrame(_plates(), geometry=list(geoms[:N]), crs="EPSG:4490")
        assert _same_refusal(frame)[0] is OutsideChina


def test_frame_geometry_refusal_is_the_same():
    for rows in PLACES:
        frame = _plates()
        geoms = [BOWTIE if i in rows else g for i, g in enumerate(frame.geometry)]
        frame = gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4490")
        refusal = _same_refusal(frame)
        assert refusal[0] is InvalidGeometry and f"第 {rows[0] + 1} 行" in refusal[1]


# -- required fields, enumerations, text ---------------------------------------------------------


@pytest.mark.parametrize("value", [None, float("nan"), "", "  \t"])
def test_missing_required_values_are_listed_alike(value):
    for rows in PLACES:
        refusal = _same_refusal(_with(_plates(), "street_name", rows, value))
        assert refusal is not None and refusal[2] == "street_name" and len(refusal[3]) == min(len(rows), 20) + (
            len(rows) > 20)


@pytest.mark.parametrize("value", ["demolished", 3, "Active"])
def test_a_value_outside_an_enumeration_is_refused_at_its_first_row(value):
    for rows in PLACES:
        refusal = _same_refusal(_with(_plates(), "status", rows, value))
        assert refusal is not None and refusal[2] == "status"
        assert f"第 {rows[0] + 1} 行" in refusal[1] and f"row {rows[0] + 1}" in refusal[1]


BAD_TEXTS = {"control": "东\x1b二环", "surrogate": "东\ud800路", "replacement": "东\ufffd路",
             "bidi": "东\u202e路", "too long": "长" * 10_001}


@pytest.mark.parametrize("kind", sorted(BAD_TEXTS))
def test_text_problems_are_refused_at_their_first_row(kind):
    for rows in PLACES:
        refusal = _same_refusal(_with(_plates(), "building_name", rows, BAD_TEXTS[kind]))
        assert refusal is not None and refusal[2] == "building_name"
        assert f"第 {rows[0] + 1} " in refusal[1]  # every text problem names its row (review: too long did not)


def test_the_first_column_with_a_bad_text_is_named_and_good_frames_pass():
    assert _same_refusal(_plates()) is None
    frame = _with(_with(_plates(), "building_name", [30], "东\ufffd路"), "street_name", [35], "东\ud800路")
    frame["note"] = [1.5, "ok", None, {"a": 1}] * (N // 4)  # numbers and objects among texts: not text
    refusal = _same_refusal(frame)
    assert refusal[2] == "street_name"  # columns in the frame's order, before building_name


# -- rule fields on create ------------------------------------------------------------------------


def _ref_first_refused(layer: str, records: list[dict]) -> tuple[int, str] | None:
    for row, record in enumerate(records, start=1):
        try:
            check_generic_create(layer, record, row=row)
        except InputError as exc:
            return row, exc.message
    return None


def _first_refused(layer: str, records: list[dict]) -> tuple[int, str] | None:
    index = generic_create_refusal(layer, records)
    if index is None:
        for record in records:
            assert starting_state(layer)(record) == check_generic_create(layer, record)
        return None
    with pytest.raises(InputError) as err:
        check_generic_create(layer, records[index], row=index + 1)
    return index + 1, err.value.message


@pytest.mark.parametrize("layer,field,value", [
    ("door_plates", "status", "revoked"), ("door_plates", "decision_body", "新城区民政局"),
    ("place_names", "status", "approved"), ("place_names", "protected", True),
    ("boundary_markers", "marker_no", "X-1"),
])
def test_rule_fields_on_create_are_refused_at_the_same_row(layer, field, value):
    base = [{"street_name": "锡林郭勒北路", "number": i, "status": "active" if layer == "door_plates" else None,
             "romanization": "Xilinguole", "decision_body": "", field: None} for i in range(N)]
    assert _first_refused(layer, base) == _ref_first_refused(layer, base)
    for rows in PLACES:
        records = [{**r, field: value} if i in rows else dict(r) for i, r in enumerate(base)]
        got = _first_refused(layer, records)
        assert got == _ref_first_refused(layer, records)
        assert got[0] == (1 if layer == "boundary_markers" else rows[0] + 1)


def test_the_first_row_refused_in_any_guarded_field_is_found_whatever_the_values():
    """generic_create_refusal judges each column's distinct values once: the row it finds is still the first
    row refused in any field (a later field refused earlier wins), a field a record lacks is no refusal, and an
    unhashable value (a list from JSON) is judged on its own."""
    base = [{"street_name": "锡林郭勒北路", "number": i, "status": "active"} for i in range(N)]
    cases = [
        {7: {"decision_body": "新城区民政局"}, 3: {"status": "revoked"}},   # status (listed first) is refused later
        {3: {"decision_body": "新城区民政局"}, 7: {"status": "revoked"}},
        {5: {"decision_body": ["新城区民政局"]}},                           # unhashable, refused
        {5: {"decision_body": []}, 9: {"status": "revoked"}},               # unhashable, refused too
    ]
    for changes in cases:
        records = [{**r, **changes.get(i, {})} for i, r in enumerate(base)]
        assert _first_refused("door_plates", records) == _ref_first_refused("door_plates", records)
    lacking = [{k: v for k, v in r.items() if k != "status"} for r in base]  # no status field at all
    assert generic_create_refusal("door_plates", lacking) is None
    with_none = [{**r, "decision_body": None, "decision_date": ""} for r in base]
    assert generic_create_refusal("door_plates", with_none) is None


def _ref_containing_part(points: list, parts: list, *, inside_only: bool = False) -> list[int]:
    """The rule row by row: the lowest part covering a point (or a line's or area's point on its surface), else
    the nearest part, else -1."""
    out = []
    for p in points:
        if p is None or p.is_empty:
            out.append(-1)
            continue
        q = p if p.geom_type == "Point" else p.point_on_surface()
        covering = [k for k, part in enumerate(parts) if part.covers(q)]
        if covering:
            out.append(covering[0])
        elif inside_only:
            out.append(-1)
        else:
            gaps = [part.distance(q) for part in parts]
            out.append(int(np.argmin(gaps)))
    return out


@pytest.mark.parametrize("inside_only", [False, True])
def test_containing_part_places_every_kind_of_geometry_as_row_by_row(inside_only):
    """geo.containment reads geometry types and emptiness in one call for all points: None, empty points,
    lines, polygons and multi-geometries are placed as the rule places them one by one."""
    from geo.containment import containing_part

    parts = [shapely.box(0, 0, 10, 10), shapely.box(8, 0, 20, 10), shapely.box(30, 30, 40, 40)]
    rng = np.random.default_rng(4)
    points: list[Any] = [shapely.Point(x, y) for x, y in rng.uniform(-5, 45, (40, 2))]
    points += [None, shapely.Point(), shapely.LineString([(1, 1), (3, 3)]), shapely.Polygon(),
               shapely.box(31, 31, 33, 33), shapely.MultiPoint([(9, 5), (50, 50)]), shapely.Point(9, 5),
               shapely.LineString([(21, 21), (25, 25)]), shapely.GeometryCollection()]
    assert containing_part(points, parts, inside_only=inside_only) == \
        _ref_containing_part(points, parts, inside_only=inside_only)
    assert containing_part([None, shapely.Point()], parts) == [-1, -1]
    # Review of #15: a point with NaN coordinates is near no part; it was given index 2**63 - 1.
    nan = shapely.Point(float("nan"), float("nan"))
    assert containing_part([nan, shapely.Point(5, 5)], parts, inside_only=inside_only) == [-1, 0]


@pytest.mark.parametrize("field,values", [
    ("number", [1, 2, 3, 0, 5]), ("number", [1, 2, 100_000]), ("number", [1.0, 2, None, float("nan")]),
    ("households", [3, -1, 3]), ("grade", [-5, 5, 6]), ("beds", [True, 10]),
    ("opened_on", [__import__("datetime").date(2020, 1, 1), __import__("datetime").date(2999, 1, 1)]),
    ("number", [[1], 2]),
])
def test_a_range_refusal_is_found_by_distinct_values_as_row_by_row(field, values):
    """geo.validation.any_out_of_range judges each distinct value once; it answers as check_range row by row."""
    from geo.validation import any_out_of_range, check_range

    def refused(value: Any) -> bool:
        try:
            check_range(field, value)
        except InputError:
            return True
        return False

    assert any_out_of_range(field, values) == any(refused(v) for v in values)


def test_plate_sub_numbers_read_once_per_value_still_refuse_at_their_rows():
    """check_plates keys each distinct sub-number once: a twin written another way (之1 after 之一) is still the
    same address, refused at its own row naming the first; an unknown form is refused at its first row."""
    from geo.errors import Conflict
    from geo.plates.rules import PlateContext, check_plates

    ctx = PlateContext(streets_m={"新华大街": shapely.LineString([(0, 0), (100, 0)])}, in_force_names={"新华大街"},
                       addresses={}, uids=set(), district=None)
    rows = [{"street_name": "新华大街", "number": n, "suffix": s}
            for n, s in [(3, "之一"), (4, None), (5, "A"), (3, "附1"), (3, "之1"), (6, "a")]]
    with pytest.raises(Conflict) as err:
        check_plates(rows, ctx, first_row=1)
    assert "第 5 行" in err.value.message and "第 1 行" in err.value.message, err.value.message
    bad = [{"street_name": "新华大街", "number": n, "suffix": s} for n, s in [(1, "之一"), (2, "X1"), (3, "X1")]]
    with pytest.raises(InputError) as err:
        check_plates(bad, ctx, first_row=1)
    assert err.value.field == "suffix" and "第 2 行" in err.value.message, err.value.message
    assert check_plates([{"street_name": "新华大街", "number": 1, "suffix": s} for s in ("之一", "附1", "A", "")],
                        ctx, first_row=1) == [text("plates.no_district")]  # four sub-numbers, four addresses
