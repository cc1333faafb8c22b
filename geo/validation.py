"""Feature validation before anything is stored: every problem is collected into one message.

Checks: geometry present, non-empty, of a type the layer allows, valid (no self-intersection),
inside China (rule CRS-01); required attributes present; text encodable in GB 18030 (PN-03).
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date
from typing import Any, ParamSpec, TypeVar

import geopandas as gpd
import numpy as np
import shapely

from geo.errors import EncodingProblem, InputError, InvalidGeometry
from geo.layers import Layer
from geo.messages import FileRows, Term, as_term, at_row, file_row, label, layer_label, quoted, text, value_labels
from geo.store import schema
from geo.text import clean_field
from geo.types import CHINA_LAT_MAX, CHINA_LAT_MIN, CHINA_LON_MAX, CHINA_LON_MIN, beijing_today

MAX_LISTED_PROBLEMS = 20


# C0 and C1 controls (tab and line breaks are text), lone surrogates (no UTF-8 form: the database
# driver fails on them), bidirectional overrides, line/paragraph separators and non-characters.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069"
                      "\u2028\u2029\ufffe\uffff]")
MAX_TEXT_CHARS = 10_000  # a name's history is long; nothing a person types is longer
# What check_text refuses in a text of any length: a lone surrogate (no GB 18030 form: the only code
# points GB 18030 lacks), the replacement character, a control character.
_TEXT_SUSPECT = re.compile("[\ud800-\udfff\ufffd]|" + _CONTROL.pattern)


def check_no_control(value: Any, *, field: str) -> None:
    """Refuse a control character (NUL, ESC …; tab and line breaks are text) in ``value`` and, in a
    mapping or a list, in every text it holds, naming the mapping's key as the field."""
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise InputError(text("checks.control_character", field=label(field)), field=field)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            check_no_control(item, field=str(key))
    elif isinstance(value, list | tuple):
        for item in value:
            check_no_control(item, field=field)


def check_one_line(value: Any, *, field: str) -> None:
    """Refuse a line break or tab in a one-line field (a document number, a body's name): it would
    split the field in a file read line by line and print as two lines on a notice."""
    if isinstance(value, str) and re.search(r"[\r\n\t]", value):
        raise InputError(text("checks.line_break", field=label(field)), field=field)


P = ParamSpec("P")
R = TypeVar("R")


def refuses_control_characters(func: Callable[P, R]) -> Callable[P, R]:
    """Make a use case refuse control characters in every text it is given (reasons, notes, decisions,
    justifications, the fields of its records) with a 400 naming the field, before anything is written.

    The one gate for the use cases' free text: a NUL stored on SQLite reaches the audit log (and a
    backup that PostgreSQL cannot restore), while PostgreSQL refuses it with a bare "value out of
    range". Arguments are named by their parameter, a mapping's texts by their key.
    """
    signature = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for name, value in signature.bind_partial(*args, **kwargs).arguments.items():
            check_no_control(value, field=name)
        return func(*args, **kwargs)

    return wrapper


def check_text(value: Any, *, field: str, most_chars: int = MAX_TEXT_CHARS) -> None:
    """Raise if ``value`` cannot be written in GB 18030 (PN-03), holds control characters or is longer than
    ``most_chars`` (a column's own length where it has one)."""
    if isinstance(value, str):
        # measured as it is stored: trimmed and folded (a code cell with a trailing space read "13 chars, at most 12")
        if len(value) > most_chars and len(stored := clean_field(field, value)) > most_chars:
            raise InputError(text("checks.too_long", field=label(field), length=f"{len(stored):,}",
                                  limit=f"{most_chars:,}"), field=field)
        try:
            value.encode("gb18030")
        except UnicodeEncodeError as exc:
            bad = value[exc.start:exc.end]
            raise EncodingProblem(text("checks.gb18030", field=label(field), char=quoted(bad),
                                       code=f"U+{ord(bad[0]):04X}"), field=field) from None
        if "\ufffd" in value:
            raise EncodingProblem(text("checks.replacement_char", field=label(field)), field=field)
        check_no_control(value, field=field)


def check_choice(layer: Layer, field: str, value: Any, *, row: int | None = None) -> None:
    """Raise :class:`InputError` if an enumerated field of ``layer`` holds a value it does not list."""
    allowed = layer.allowed_values(field)
    if allowed is None or value is None or value in allowed:
        return
    raise InputError(at_row(text("checks.choice", field=label(field), value=quoted(value),
                                 allowed=value_labels(allowed)), row), field=field)


# Counts and measures that cannot be negative (a plate number starts at 1), on every layer that has them.
MIN_VALUES: dict[str, float] = {"floor_area_m2": 0, "beds": 0, "nursing_beds": 0, "households": 0,
                                "residents": 0, "residents_60plus": 0, "number": 1, "grade": -5,
                                "registered_residents": 0, "care_floor_area_m2": 0}


# ... and their largest sensible values (a district has ~250,000 households; no building 100,000 m²).
MAX_VALUES: dict[str, float] = {"floor_area_m2": 200_000, "beds": 20_000, "nursing_beds": 20_000,
                                "households": 2_000_000, "residents": 5_000_000, "residents_60plus": 5_000_000,
                                "number": 99_999, "grade": 5, "registered_residents": 5_000_000,
                                "care_floor_area_m2": 200_000}


# Dates of what has happened (a decision made, a marker installed, a line inspected): never in the future
# (Beijing's date). A future last inspection would hide a line from the BM-06 overdue list.
PAST_DATES = frozenset({"decision_date", "installed_on", "last_inspected_on", "opened_on", "closed_on", "cleared_on",
                        "source_date", *(f"{who}_{stage}_on" for who in ("housing", "care")
                                         for stage in ("built", "inspected", "handed_over"))})


def check_range(field: str, value: Any, *, row: int | None = None) -> None:
    """Raise :class:`InputError` if a count or measure is outside its sensible range, or a date of
    something done lies in the future."""
    if field in PAST_DATES and isinstance(value, date) and value > (today := beijing_today()):
        raise InputError(at_row(text("checks.future_date", field=label(field), value=value.isoformat(),
                                     today=today.isoformat()), row), field=field)
    low, high = MIN_VALUES.get(field), MAX_VALUES.get(field)
    if low is None or value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return
    if value < low or (high is not None and value > high):
        raise InputError(at_row(text("checks.range", field=label(field), low=f"{low:g}", high=f"{high:g}",
                                     value=value), row), field=field)


def any_out_of_range(field: str, values: Sequence[Any]) -> bool:
    """Return whether :func:`check_range` refuses any of ``values``, each distinct value judged once (a column
    of 34,000 plates' numbers holds a few hundred); the caller then checks row by row, naming the row."""
    try:
        distinct: Collection[Any] = {(type(v), v): v for v in values}.values()
    except TypeError:  # a value that is not hashable: each judged on its own
        distinct = values
    for value in distinct:
        try:
            check_range(field, value)
        except InputError:
            return True
    return False


MAX_VERTICES = 100_000   # per geometry: a district street or boundary needs a few thousand at most
MAX_PARTS = 10_000       # per multi-geometry


_TYPE_NAMES = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString",
                        "MultiPolygon", "GeometryCollection"], dtype=object)  # by shapely.get_type_id


def _first_hits(masks: list[np.ndarray]) -> np.ndarray:
    """Return, per element, the index of the first mask that holds it (``len(masks)``: none)."""
    out = np.full(len(masks[0]) if masks else 0, len(masks), dtype=np.int64)
    for k in range(len(masks) - 1, -1, -1):
        out[masks[k]] = k
    return out


def geometry_problems(geoms: np.ndarray, allowed: tuple[str, ...]) -> list[tuple[int, str]]:
    """Return ``(index, problem)`` for every geometry that is missing, empty, wrong, too complex or invalid.

    Each geometry gets its first problem in that order. Whole arrays at once (shapely's vectorised
    functions); the costly checks (coordinates, validity) only on geometries that passed the cheaper ones.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    if not n:
        return []
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    present = ~missing & ~empty
    types = np.full(n, None, dtype=object)
    type_ids = shapely.get_type_id(geoms)
    types[present] = _TYPE_NAMES[type_ids[present]]
    wrong = present & ~np.isin(types, np.array(allowed, dtype=object))
    ok = present & ~wrong
    vertices = np.zeros(n, dtype=np.int64)
    vertices[ok] = shapely.get_num_coordinates(geoms[ok])
    many_vertices = ok & (vertices > MAX_VERTICES)
    ok &= ~many_vertices
    parts = np.zeros(n, dtype=np.int64)
    parts[ok] = shapely.get_num_geometries(geoms[ok])
    many_parts = ok & (parts > MAX_PARTS)
    ok &= ~many_parts
    nonfinite = np.zeros(n, dtype=bool)
    idx = np.flatnonzero(ok)
    if len(idx):
        coords, where = shapely.get_coordinates(geoms[idx], return_index=True)
        np.logical_or.at(nonfinite, idx[where], ~np.isfinite(coords).all(axis=1))
        with_z = idx[shapely.has_z(geoms[idx])]
        if len(with_z):
            coords, where = shapely.get_coordinates(geoms[with_z], include_z=True, return_index=True)
            np.logical_or.at(nonfinite, with_z[where], ~np.isfinite(coords).all(axis=1))
    ok &= ~nonfinite
    invalid = np.zeros(n, dtype=bool)
    invalid[ok] = ~shapely.is_valid(geoms[ok])
    first = _first_hits([missing, empty, wrong, many_vertices, many_parts, nonfinite, invalid])
    problems: list[tuple[int, str]] = []
    for i in np.flatnonzero(first < 7).tolist():
        kind, g = int(first[i]), geoms[i]
        if kind == 0:
            problems.append((i, text("checks.no_geometry")))
        elif kind == 1:
            problems.append((i, text("checks.empty_geometry")))
        elif kind == 2:
            problems.append((i, text("checks.wrong_geometry", type=g.geom_type, allowed=", ".join(allowed))))
        elif kind == 3:
            problems.append((i, text("checks.too_many_vertices", count=f"{int(vertices[i]):,}",
                                     limit=f"{MAX_VERTICES:,}")))
        elif kind == 4:
            problems.append((i, text("checks.too_many_parts", count=f"{int(parts[i]):,}", limit=f"{MAX_PARTS:,}")))
        elif kind == 5:
            problems.append((i, text("checks.nonfinite_coordinate")))
        else:
            problems.append((i, text("checks.invalid_geometry", reason=shapely.is_valid_reason(g))))
    return problems


def outside_china(geoms: np.ndarray) -> list[int]:
    """Return the indices of geometries whose envelope leaves CGCS2000's area of use (none: missing or empty)."""
    geoms = np.asarray(geoms, dtype=object)
    if not len(geoms):
        return []
    bounds = shapely.bounds(geoms)  # NaN for a missing or empty geometry: no comparison holds
    with np.errstate(invalid="ignore"):
        far = ((bounds[:, 0] < CHINA_LON_MIN) | (bounds[:, 2] > CHINA_LON_MAX)
               | (bounds[:, 1] < CHINA_LAT_MIN) | (bounds[:, 3] > CHINA_LAT_MAX))
    return np.flatnonzero(far).tolist()


def raise_collected(kind: type[InputError], key: str, problems: list[str], field: str, **params: Any) -> None:
    """Raise one error whose message (catalogue ``key``) shows the first problems and whose details list them."""
    listed = problems[:MAX_LISTED_PROBLEMS]
    more = len(problems) - len(listed)
    shown = [as_term(p) for p in listed[:3]]
    ellipsis = " …" if len(problems) > 3 else ""
    first = Term("；".join(shown) + ellipsis, "; ".join(t.en for t in shown) + ellipsis)
    if more:
        listed.append(text("checks.and_more", count=more))
    raise kind(text(key, count=len(problems), problems=first, **params), field=field, details=listed)


def validate_frame(frame: gpd.GeoDataFrame, layer: Layer, *, source_crs: str, rows: FileRows = 1) -> None:
    """Raise one error naming every problem in ``frame`` (EPSG:4490) for ``layer``; else return.

    Problems name the file's rows: ``rows`` is the first record's, or each record's (a spreadsheet's as it shows
    them, :func:`geo.io.formats.read_features`).
    """
    geoms = np.asarray(frame.geometry.values, dtype=object)
    problems = [at_row(p, file_row(rows, i))
                for i, p in geometry_problems(geoms, layer.geometry_types)]
    if problems:
        raise_collected(InvalidGeometry, "checks.geometry_problems", problems, "geometry")
    far = outside_china(geoms)
    if far:
        from geo.errors import OutsideChina

        raise_collected(OutsideChina, "checks.outside_china_features",
                         [text("checks.row_n", row=file_row(rows, i)) for i in far], "geometry", crs=source_crs)
    missing: list[tuple[int, int, str]] = []  # (record, field's place, field): listed by row, as the file is read
    for place, name in enumerate(layer.required):
        if name not in frame.columns:
            raise InputError(text("checks.missing_column", field=label(name),
                                  layer=layer_label(layer.name, layer.title_zh)), field=name)
        missing += [(i, place, name) for i in np.flatnonzero(_per_value(frame[name].tolist(), _is_missing)).tolist()]
    if missing:  # the answer's field is the first row's (it named the layer's first required field, review)
        missing.sort()
        listed = [text("checks.missing_value", row=file_row(rows, i), field=label(name)) for i, _, name in missing]
        raise_collected(InputError, "checks.missing_values", listed, missing[0][2])
    for name, _allowed in layer.choices:
        if name in frame.columns:
            allowed = layer.allowed_values(name)
            if allowed is None:
                continue
            values = frame[name].tolist()
            bad = _per_value(values, _outside(allowed))
            if bad.any():
                i = int(np.argmax(bad))
                check_choice(layer, name, values[i], row=file_row(rows, i))
    columns = schema.metadata.tables[layer.table].c
    for name in frame.columns:
        if frame[name].dtype == object or str(frame[name].dtype) in ("string", "str"):
            values = frame[name].tolist()
            length = getattr(columns[name].type, "length", None) if name in columns else None
            most = min(length or MAX_TEXT_CHARS, MAX_TEXT_CHARS)  # a varchar(n) column's own, named with its row
            start = first_text_problem(values, most_chars=most)
            for i in range(start, len(values)) if start is not None else ():
                try:
                    check_text(values[i], field=name, most_chars=most)
                except InputError as exc:  # which row: as every other problem of a file is named
                    raise type(exc)(at_row(exc.message, file_row(rows, i)), field=name) from None


def _is_missing(value: Any) -> bool:
    """Return whether a required cell holds nothing: None, NaN or blank text."""
    return value is None or (isinstance(value, float) and bool(np.isnan(value))) or (
        isinstance(value, str) and not value.strip())


def _outside(allowed: Collection[Any]) -> Callable[[Any], bool]:
    """Return a test of whether an enumerated cell holds a value ``allowed`` does not list (an empty
    cell, None, NaN or '', holds no choice)."""
    def test(value: Any) -> bool:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
            return False
        return value not in allowed
    return test


def _per_value(values: list[Any], test: Callable[[Any], bool]) -> np.ndarray:
    """Return ``test`` of each value as a boolean array, computed once per distinct value (a column of
    34,000 plates holds a few hundred street names); unhashable values are tested one by one."""
    try:
        distinct = {(type(v), v): None for v in values}
    except TypeError:
        return np.fromiter((test(v) for v in values), dtype=bool, count=len(values))
    failing = {key for key in distinct if test(key[1])}
    if not failing:
        return np.zeros(len(values), dtype=bool)
    return np.fromiter(((type(v), v) in failing for v in values), dtype=bool, count=len(values))


def first_text_problem(values: list[Any], *, most_chars: int = MAX_TEXT_CHARS) -> int | None:
    """Return the index of the first text :func:`check_text` may refuse in ``values`` (None: none).

    One search over the column's texts joined by line breaks (which are text) for what
    :func:`check_text` refuses: a control character, a replacement character, or a lone surrogate
    (the only code points GB 18030 cannot hold), and one look at the longest text. A hit points to
    the first text holding a problem, from which :func:`check_text` runs row by row, so the message
    and the row are those of the row-by-row check.
    """
    texts = [v for v in values if isinstance(v, str)]
    if not texts:
        return None
    if not _TEXT_SUSPECT.search("\n".join(texts)) and max(map(len, texts)) <= most_chars:
        return None
    return next((i for i, v in enumerate(values) if isinstance(v, str) and _text_refused(v, most_chars=most_chars)),
                None)


def _text_refused(value: str, *, most_chars: int) -> bool:
    try:
        check_text(value, field="", most_chars=most_chars)
    except InputError:
        return True
    return False
