"""Typed request bodies for the records' own fields, generated from the layer registry.

Every layer of :data:`geo.layers.LAYERS` gets a Pydantic model of its properties: each field typed
as the registry says (text, whole number, number, yes/no, date), an enumerated field as the values it
lists, counts and measures within the bounds :mod:`geo.validation` holds them to, text no longer than
its column, and no property the layer does not have. The generic endpoints
``POST``/``PATCH /api/layers/{layer}/features`` publish these models in OpenAPI (one ``anyOf`` member
per layer) and validate a body against the model of the layer its path names. The gazetteer's bodies
(:mod:`api.routers.placenames`) use the same field types.

A wrong value is refused with 422 before the record is read or anything is written. The answer
names the field as the rest of these endpoints do (``field``: the property, e.g. ``beds``; the domain's
own range, code and rule errors name it the same way) and the message names where it sits in the body
(``properties.beds``), Chinese first: ``properties.beds 无效：须为整数 · properties.beds: must be a
whole number; got 'abc'``. Values are converted exactly as a file import converts them (``"12"`` is 12,
``12.0`` is 12, a number sent for a text field is that text), so a request that was accepted before
is still accepted with the same result; what was never a value of the field (``true`` as a number of
beds, a list, an object, NaN, a number beyond the column) is refused here.

Rule fields (:mod:`geo.write_rules`) are in the models with their types, so that the generic path
still refuses them with the 422 that names the endpoint owning the rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, ClassVar, Literal, Union

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    WrapValidator,
    create_model,
)
from pydantic_core import PydanticCustomError

from geo.errors import InputError
from geo.layers import LAYERS, Layer
from geo.store import Store
from geo.text import clean_field
from geo.validation import MAX_TEXT_CHARS, MAX_VALUES, MIN_VALUES

INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # what the store's INTEGER columns hold (PostgreSQL int4)
_TRUE = frozenset({"1", "true", "yes", "是", "t", "y"})   # as a file import reads a yes/no column
_FALSE = frozenset({"0", "false", "no", "否", "f", "n"})


class PropertyInvalid(InputError):
    """A record field of the wrong type, out of its range or unknown (HTTP 422 naming the field)."""

    status = 422
    code = "invalid_input"


# -- one converter per field type: the value as a file import reads it, or a bilingual refusal -------

def _refuse(zh: str, en: str, value: Any) -> PydanticCustomError:
    return PydanticCustomError("xincheng_value", "{zh} · {en}; got {got}",
                               {"zh": zh, "en": en, "got": _shown(value)})


def _shown(value: Any) -> str:
    """Return a short description of a sent value for a message (never the whole of a huge one)."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}…"


def _bounds(field: str, low: float, high: float) -> tuple[float, float]:
    """Return the range of a count or measure: its rule's (geo.validation) within the column's."""
    return max(low, MIN_VALUES.get(field, low)), min(high, MAX_VALUES.get(field, high))


def _in_range(value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise _refuse(f"须在 {low:g} 到 {high:g} 之间", f"must be between {low:g} and {high:g}", value)


def _whole(low: float, high: float) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _refuse("须为整数", "must be a whole number", value)
        if isinstance(value, int):
            _in_range(value, low, high)
            return value
        try:
            number = float(value)
        except (ValueError, OverflowError):
            raise _refuse("须为整数", "must be a whole number", value) from None
        if not math.isfinite(number) or not number.is_integer():
            raise _refuse("须为整数", "must be a whole number", value)
        _in_range(number, low, high)
        return int(number)

    return convert


def _finite(low: float, high: float) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _refuse("须为有限数值", "must be a finite number", value)
        try:
            number = float(value)
        except (ValueError, OverflowError):
            raise _refuse("须为有限数值", "must be a finite number", value) from None
        if not math.isfinite(number):
            raise _refuse("须为有限数值", "must be a finite number", value)
        _in_range(number, low, high)
        return number

    return convert


def _yes_no(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
    raise _refuse("须为是/否（true/false）", "must be true or false", value)


def _day(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise _refuse("须为日期（YYYY-MM-DD）", "must be a date (YYYY-MM-DD)", value)


def _text(field: str, max_chars: int) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _refuse("须为文本", "must be text", value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise _refuse("须为文本", "must be text", value)
            value = str(int(value)) if value.is_integer() else str(value)
        elif isinstance(value, int):
            value = str(value)
        length = len(clean_field(field, value))
        if length > max_chars:
            raise _refuse(f"过长（{length:,} 字，最多 {max_chars:,} 字）",
                          f"is {length:,} characters long; the limit is {max_chars:,}", f"{value[:20]}…")
        return value

    return convert


def _choice(field: str, values: tuple[str, ...]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        cleaned = clean_field(field, value) if isinstance(value, str) else value
        if cleaned is None or cleaned in values:
            return cleaned
        raise _refuse("取值不在允许范围内", f"must be one of {', '.join(values)}", value)

    return convert


def _column_chars(table: str, field: str) -> int:
    length = getattr(Store.table(table).c[field].type, "length", None)
    return min(length or MAX_TEXT_CHARS, MAX_TEXT_CHARS)


def field_annotation(layer: Layer, field: str, *, table: str | None = None, kind: type | None = None) -> Any:
    """Return the annotated type of one field of ``layer`` (its column in ``table``, default the layer's)."""
    table = table or layer.table
    kind = kind or layer.field_type(field)
    values = layer.allowed_values(field)
    if values is not None:
        return Annotated[Literal[values] | None, BeforeValidator(_choice(field, values))]
    if kind is int:
        low, high = _bounds(field, INT_MIN, INT_MAX)
        return Annotated[Annotated[int, Field(ge=int(low), le=int(high))] | None, BeforeValidator(_whole(low, high))]
    if kind is float:
        low, high = _bounds(field, -math.inf, math.inf)
        limits = {k: v for k, v in (("ge", low), ("le", high)) if math.isfinite(v)}
        return Annotated[Annotated[float, Field(allow_inf_nan=False, **limits)] | None,
                         BeforeValidator(_finite(low, high))]
    if kind is bool:
        return Annotated[bool | None, BeforeValidator(_yes_no)]
    if kind is date:
        return Annotated[date | None, BeforeValidator(_day)]
    chars = _column_chars(table, field)
    return Annotated[Annotated[str, WithJsonSchema({"type": "string", "maxLength": chars})] | None,
                     BeforeValidator(_text(field, chars))]


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def record_model(name: str, layer: Layer, fields: Iterable[str], *, title: str, required: Iterable[str] = (),
                 table: str | None = None, types: Mapping[str, type] | None = None) -> type[BaseModel]:
    """Return a model of some of ``layer``'s fields: typed, all optional, nothing else accepted.

    ``required`` is published in the schema; whether a value is present is the domain's check (its
    message says what the record needs).
    """
    extra: dict[str, Any] = {"title": title}
    needed = list(required)
    if needed:
        extra["required"] = needed
    config = ConfigDict(extra="forbid", json_schema_extra=extra)
    types = types or {}
    definitions: dict[str, Any] = {f: (field_annotation(layer, f, table=table, kind=types.get(f)), None)
                                   for f in fields}
    return create_model(name, __config__=config, **definitions)


GEOJSON_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
                 "GeometryCollection")


def _geojson_type(value: dict[str, Any]) -> dict[str, Any]:
    """Refuse a geometry whose ``type`` is no GeoJSON geometry type (the rest is checked where it is parsed)."""
    kind = value.get("type")
    if not isinstance(kind, str) or kind.lower() not in {t.lower() for t in GEOJSON_TYPES}:
        raise _refuse("不是 GeoJSON 几何类型", f"type must be one of {', '.join(GEOJSON_TYPES)}", kind)
    return value


# A GeoJSON geometry object: its type checked here, its coordinates where it is parsed (geo.features).
GeoJSONGeometry = Annotated[dict[str, Any], AfterValidator(_geojson_type)]


def _geometry_schema(layer: Layer) -> dict[str, Any]:
    return {"description": f"GeoJSON 几何 geometry: {', '.join(layer.geometry_types)}（坐标参考见 crs 参数 "
                           "coordinates in the crs parameter）",
            "required": ["type", "coordinates"],
            "properties": {"type": {"type": "string", "enum": list(layer.geometry_types)},
                           "coordinates": {"type": "array"}}}


Version = Annotated[int, Field(ge=1, le=INT_MAX, description="读取时的版本 the version the client read"),
                    BeforeValidator(_whole(1, INT_MAX))]


def _layer_models(layer: Layer) -> tuple[type[BaseModel], type[BaseModel]]:
    label = f"{layer.name} {layer.title_zh} {layer.title_en}"
    base = _camel(layer.name)
    props_in = record_model(f"{base}Properties", layer, layer.fields, required=layer.required,
                            title=f"{label}: properties")
    props_patch = record_model(f"{base}PropertyChanges", layer, layer.fields, title=f"{label}: changed properties")
    geometry = Field(json_schema_extra=_geometry_schema(layer))
    feature_in = create_model(
        f"{base}FeatureIn", __config__=ConfigDict(json_schema_extra={"title": f"{label}: new feature"}),
        type=(Literal["Feature"], "Feature"), properties=(props_in, Field(default_factory=props_in)),
        geometry=(GeoJSONGeometry, geometry))
    feature_patch = create_model(
        f"{base}FeaturePatch",
        __config__=ConfigDict(json_schema_extra={"title": f"{label}: changes, based on the version read"}),
        version=(Version, ...), properties=(props_patch | None, None),
        geometry=(GeoJSONGeometry | None, Field(default=None, json_schema_extra=_geometry_schema(layer))))
    return feature_in, feature_patch


_MODELS = {name: _layer_models(layer) for name, layer in LAYERS.items()}
FEATURE_IN: dict[str, type[BaseModel]] = {name: pair[0] for name, pair in _MODELS.items()}
FEATURE_PATCH: dict[str, type[BaseModel]] = {name: pair[1] for name, pair in _MODELS.items()}


def _as_sent(value: Any, _handler: Any) -> Any:
    return value  # validated by the handler against the model of the layer in the path


# What OpenAPI publishes for the generic endpoints (every layer's model); the handler validates.
AnyFeatureIn = Annotated[Union[tuple(FEATURE_IN.values())], WrapValidator(_as_sent)]  # noqa: UP007
AnyFeaturePatch = Annotated[Union[tuple(FEATURE_PATCH.values())], WrapValidator(_as_sent)]  # noqa: UP007


# -- errors: a record field named as the record names it; everything else as FastAPI does ------------

@dataclass(frozen=True)
class RecordFields:
    """A body member whose keys are a record's fields: what to call it, and which fields it takes."""

    zh: str
    en: str
    fields: tuple[str, ...]
    note_zh: str = ""  # why a field is not among them (said when an unknown one is sent)
    note_en: str = ""


def property_error(error: Mapping[str, Any], record: RecordFields) -> PropertyInvalid:
    """Return the 422 for one Pydantic error at ``(member, field, …)`` of a body."""
    member, name = str(error["loc"][0]), str(error["loc"][1])
    where = f"{member}.{name}"
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "xincheng_value":
        zh, en = ctx["zh"], f"{ctx['en']}; got {ctx['got']}"
    elif kind == "extra_forbidden":
        zh = f"{record.zh}没有字段 {name}{record.note_zh}"
        en = f"{record.en} has no field {name!r}{record.note_en}; its fields: {', '.join(record.fields)}"
    elif kind == "literal_error":
        zh, en = "取值不在允许范围内", f"must be {ctx.get('expected', '')}; got {_shown(error.get('input'))}"
    else:
        zh, en = "无效", str(error.get("msg", "invalid value"))
    return PropertyInvalid(f"{where} 无效：{zh} · {where}: {en}", field=name)


def _record_error(errors: list[Any], records: Mapping[str, RecordFields]) -> PropertyInvalid | None:
    """Return the 422 for the first of ``errors`` (locations inside the body) if it is a record field's."""
    loc = tuple(errors[0]["loc"]) if errors else ()
    if len(loc) >= 2 and loc[0] in records:
        return property_error({**errors[0], "loc": loc}, records[str(loc[0])])
    return None


def validate_body(model: type[BaseModel], body: Any, records: Mapping[str, RecordFields]) -> Any:
    """Return ``body`` validated by ``model``, or raise for its first problem, as :mod:`api.errors` reports
    FastAPI's: a field of one of ``records`` by its own name (:func:`property_error`), anything else
    (``version``, ``geometry``) as FastAPI names it."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        errors = list(exc.errors())
        raise _record_error(errors, records) or RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in errors]) from None


def layer_fields(layer: Layer) -> dict[str, RecordFields]:
    """Return how a generic body's ``properties`` are named in errors: the layer's fields."""
    return {"properties": RecordFields(f"图层 {layer.name} ", f"layer {layer.name}", layer.fields)}


def sent(model: BaseModel | None) -> dict[str, Any] | None:
    """Return the fields a client sent (explicit nulls included), as JSON values (dates as text)."""
    return None if model is None else model.model_dump(mode="json", exclude_unset=True)


class RecordFieldErrors(APIRoute):
    """A route whose body's record fields (:attr:`records`) are named as the record names them when a
    value is wrong, like the domain's own errors for the same fields; other errors as FastAPI's."""

    records: ClassVar[Mapping[str, RecordFields]] = {}

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {}
                loc = tuple(first.get("loc", ()))
                found = _record_error([{**first, "loc": loc[1:]}], self.records) if loc[:1] == ("body",) else None
                if found is None:
                    raise
                raise found from None

        return route
