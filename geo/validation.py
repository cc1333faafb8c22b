"""Feature validation before anything is stored: every problem is collected into one message.

Checks: geometry present, non-empty, of a type the layer allows, valid (no self-intersection),
inside China (rule CRS-01); required attributes present; text encodable in GB 18030 (PN-03).
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

import geopandas as gpd
import numpy as np
import shapely

from geo.errors import EncodingProblem, InputError, InvalidGeometry
from geo.layers import Layer
from geo.messages import Term, as_term, at_row, label, layer_label, text, value_labels
from geo.types import CHINA_LAT_MAX, CHINA_LAT_MIN, CHINA_LON_MAX, CHINA_LON_MIN

MAX_LISTED_PROBLEMS = 20


# C0 and C1 controls (tab and line breaks are text), lone surrogates (no UTF-8 form: the database
# driver fails on them), bidirectional overrides, line/paragraph separators and non-characters.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069"
                      "\u2028\u2029\ufffe\uffff]")
MAX_TEXT_CHARS = 10_000  # a name's history is long; nothing a person types is longer


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


def check_text(value: Any, *, field: str) -> None:
    """Raise if ``value`` cannot be written in GB 18030 (PN-03), holds control characters or is huge."""
    if isinstance(value, str):
        if len(value) > MAX_TEXT_CHARS:
            raise InputError(text("checks.too_long", field=label(field), length=f"{len(value):,}",
                                  limit=f"{MAX_TEXT_CHARS:,}"), field=field)
        try:
            value.encode("gb18030")
        except UnicodeEncodeError as exc:
            bad = value[exc.start:exc.end]
            raise EncodingProblem(text("checks.gb18030", field=label(field), char=repr(bad),
                                       code=f"U+{ord(bad[0]):04X}"), field=field) from None
        if "\ufffd" in value:
            raise EncodingProblem(text("checks.replacement_char", field=label(field)), field=field)
        check_no_control(value, field=field)


def check_choice(layer: Layer, field: str, value: Any, *, row: int | None = None) -> None:
    """Raise :class:`InputError` if an enumerated field of ``layer`` holds a value it does not list."""
    allowed = layer.allowed_values(field)
    if allowed is None or value is None or value in allowed:
        return
    raise InputError(at_row(text("checks.choice", field=label(field), value=repr(value),
                                 allowed=value_labels(allowed)), row), field=field)


# Counts and measures that cannot be negative (a plate number starts at 1), on every layer that has them.
MIN_VALUES: dict[str, float] = {"floor_area_m2": 0, "beds": 0, "nursing_beds": 0, "households": 0,
                                "residents": 0, "residents_60plus": 0, "number": 1, "grade": -5}


# ... and their largest sensible values (a district has ~250,000 households; no building 100,000 m²).
MAX_VALUES: dict[str, float] = {"floor_area_m2": 200_000, "beds": 20_000, "nursing_beds": 20_000,
                                "households": 2_000_000, "residents": 5_000_000, "residents_60plus": 5_000_000,
                                "number": 99_999, "grade": 5}


def check_range(field: str, value: Any, *, row: int | None = None) -> None:
    """Raise :class:`InputError` if a count or measure is outside its sensible range."""
    low, high = MIN_VALUES.get(field), MAX_VALUES.get(field)
    if low is None or value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return
    if value < low or (high is not None and value > high):
        raise InputError(at_row(text("checks.range", field=label(field), low=f"{low:g}", high=f"{high:g}",
                                     value=repr(value)), row), field=field)


MAX_VERTICES = 100_000   # per geometry: a district street or boundary needs a few thousand at most
MAX_PARTS = 10_000       # per multi-geometry


def geometry_problems(geoms: np.ndarray, allowed: tuple[str, ...]) -> list[tuple[int, str]]:
    """Return ``(index, problem)`` for every geometry that is missing, empty, wrong, too complex or invalid."""
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


def outside_china(geoms: np.ndarray) -> list[int]:
    """Return the indices of geometries whose envelope leaves CGCS2000's area of use."""
    out = []
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        minx, miny, maxx, maxy = g.bounds
        if minx < CHINA_LON_MIN or maxx > CHINA_LON_MAX or miny < CHINA_LAT_MIN or maxy > CHINA_LAT_MAX:
            out.append(i)
    return out


def _raise_collected(kind: type[InputError], key: str, problems: list[str], field: str, **params: Any) -> None:
    """Raise one error whose message (catalogue ``key``) shows the first problems and whose details list them."""
    listed = problems[:MAX_LISTED_PROBLEMS]
    more = len(problems) - len(listed)
    shown = [as_term(p) for p in listed[:3]]
    ellipsis = " …" if len(problems) > 3 else ""
    first = Term("；".join(shown) + ellipsis, "; ".join(t.en for t in shown) + ellipsis)
    if more:
        listed.append(text("checks.and_more", count=more))
    raise kind(text(key, count=len(problems), problems=first, **params), field=field, details=listed)


def validate_frame(frame: gpd.GeoDataFrame, layer: Layer, *, source_crs: str) -> None:
    """Raise one error naming every problem in ``frame`` (EPSG:4490) for ``layer``; else return."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    problems = [text("checks.feature_problem", row=i + 1, problem=as_term(p))
                for i, p in geometry_problems(geoms, layer.geometry_types)]
    if problems:
        _raise_collected(InvalidGeometry, "checks.geometry_problems", problems, "geometry")
    far = outside_china(geoms)
    if far:
        from geo.errors import OutsideChina

        _raise_collected(OutsideChina, "checks.outside_china_features",
                         [text("checks.feature_n", row=i + 1) for i in far], "geometry", crs=source_crs)
    missing = []
    for name in layer.required:
        if name not in frame.columns:
            raise InputError(text("checks.missing_column", field=label(name),
                                  layer=layer_label(layer.name, layer.title_zh)), field=name)
        for i, v in enumerate(frame[name].tolist()):
            if v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip()):
                missing.append(text("checks.missing_value", row=i + 1, field=label(name)))
    if missing:
        _raise_collected(InputError, "checks.missing_values", missing, layer.required[0])
    for name, _allowed in layer.choices:
        if name in frame.columns:
            for i, v in enumerate(frame[name].tolist()):
                if v is None or (isinstance(v, float) and np.isnan(v)) or v == "":
                    continue
                check_choice(layer, name, v, row=i + 1)
    for name in frame.columns:
        if frame[name].dtype == object or str(frame[name].dtype) in ("string", "str"):
            for i, v in enumerate(frame[name].tolist()):
                try:
                    check_text(v, field=name)
                except EncodingProblem as exc:
                    raise EncodingProblem(text("checks.feature", row=i + 1, problem=as_term(exc.message)),
                                          field=name) from None
