"""Import feature files into a layer, all or nothing, and export layers to files.

An import is one transaction: a bad feature anywhere, or a failure half-way, leaves nothing
of it behind. Values are coerced to the column types and each problem names its field.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa

from geo.errors import Conflict, InputError
from geo.io.formats import read_features, write_features
from geo.layers import get_layer
from geo.store import Store
from geo.types import parse_date
from geo.validation import validate_frame

Progress = Callable[[int], None]
DEFAULT_BATCH = 5_000
PLATE_UID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass
class ImportReport:
    """What an import did: how many features went where, and what it assumed."""

    layer: str
    imported: int
    ids: list[int] = field(repr=False, default_factory=list)
    source_crs: str = "EPSG:4490"
    encoding: str = "UTF-8"
    format: str = ""
    ignored_columns: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Return the report as JSON-safe data."""
        return {"layer": self.layer, "imported": self.imported,
                "first_id": self.ids[0] if self.ids else None,
                "last_id": self.ids[-1] if self.ids else None, "source_crs": self.source_crs,
                "encoding": self.encoding, "format": self.format,
                "ignored_columns": self.ignored_columns}


def new_plate_uid() -> str:
    """Return a fresh random plate id (8 characters without 0/O/1/I)."""
    return "".join(secrets.choice(PLATE_UID_ALPHABET) for _ in range(8))


def coerce_value(value: Any, column: sa.Column, *, row: int | None = None) -> Any:
    """Return ``value`` converted to the type of ``column``, or raise naming the field and row."""
    if value is None:
        return None
    kind = column.type
    try:
        if isinstance(kind, sa.Boolean):
            if isinstance(value, str):
                text = value.strip().lower()
                if text in ("1", "true", "yes", "是", "t", "y"):
                    return True
                if text in ("0", "false", "no", "否", "f", "n"):
                    return False
                raise ValueError(value)
            return bool(value)
        if isinstance(kind, sa.Integer):
            number = float(value)
            if not number.is_integer():
                raise ValueError(value)
            return int(number)
        if isinstance(kind, sa.Float):
            return float(value)
        if isinstance(kind, sa.Date):
            return parse_date(value, field=column.name)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    except (TypeError, ValueError):
        where = f"feature {row}: " if row is not None else ""
        raise InputError(f"{where}{column.name} must be {kind.python_type.__name__}; got {value!r}",
                         field=column.name) from None


def coerce_column(series: pd.Series, column: sa.Column) -> list[Any]:
    """Return a column's values as the types ``column`` stores; whole columns when the dtype fits."""
    kind = column.type
    if isinstance(kind, sa.Integer) and not isinstance(kind, sa.Boolean) and pd.api.types.is_integer_dtype(series):
        return series.tolist()
    if isinstance(kind, sa.Float) and pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return [None if v != v else float(v) for v in series.tolist()]
    values = series.tolist()
    if isinstance(kind, sa.String | sa.Text) and all(v is None or isinstance(v, str) for v in values):
        return values
    out = []
    for i, v in enumerate(values, start=1):
        if v is not None and not isinstance(v, str) and pd.isna(v):
            v = None
        out.append(coerce_value(v, column, row=i))
    return out


def prepare_records(frame: gpd.GeoDataFrame, layer_name: str, *, source_crs: str) -> tuple[list[dict], list[str]]:
    """Validate a frame (EPSG:4490) for a layer; return store records and the ignored columns."""
    layer = get_layer(layer_name)
    renames = {f[:10]: f for f in layer.fields if len(f) > 10 and f[:10] in frame.columns
               and f not in frame.columns}
    frame = frame.rename(columns=renames)
    validate_frame(frame, layer, source_crs=source_crs)
    table = Store.table(layer.table)
    columns = {c: coerce_column(frame[c], table.c[c]) for c in layer.fields if c in frame.columns}
    geoms = list(frame.geometry.values)
    adcodes = frame["adcode"].tolist() if "adcode" in frame.columns else [None] * len(frame)
    records = []
    for i in range(len(frame)):
        out: dict[str, Any] = {"geometry": geoms[i]}
        out.update((c, values[i]) for c, values in columns.items())
        adcode = adcodes[i]
        if isinstance(adcode, str) and adcode.strip():
            if not (adcode.isdigit() and len(adcode) == 6):
                raise InputError(f"feature {i + 1}: adcode must be 6 digits; got {adcode!r}", field="adcode")
            out["adcode"] = adcode
        if layer_name == "door_plates" and not out.get("plate_uid"):
            out["plate_uid"] = new_plate_uid()
        records.append(out)
    ignored = sorted(c for c in frame.columns
                     if c not in layer.fields and c not in ("adcode", frame.geometry.name))
    return records, ignored


def write_records(store: Store, layer_name: str, records: Sequence[Mapping[str, Any]], *, actor: str,
                  note: str | None = None, progress: Progress | None = None,
                  batch_size: int = DEFAULT_BATCH, conn: sa.Connection | None = None) -> list[int]:
    """Insert records in batches inside one transaction; nothing stays if any batch fails."""
    layer = get_layer(layer_name)
    if conn is None:
        try:
            with store.writing() as c:
                return write_records(store, layer_name, records, actor=actor, note=note,
                                     progress=progress, batch_size=batch_size, conn=c)
        except sa.exc.IntegrityError as exc:
            raise Conflict(f"the import breaks a uniqueness rule of {layer_name}: "
                           f"{str(exc.orig).splitlines()[0]}", field=layer_name) from None
    ids: list[int] = []
    for start in range(0, len(records), batch_size):
        batch = records[start:start + batch_size]
        ids += store.insert(layer.table, batch, actor=actor, conn=conn, audit="batch", note=note)
        if progress:
            progress(len(batch))
    return ids


def import_file(store: Store, layer_name: str, path: Path | str, *, crs: str, actor: str,
                fmt: str | None = None, encoding: str | None = None, x_col: str | None = None,
                y_col: str | None = None, progress: Progress | None = None,
                batch_size: int = DEFAULT_BATCH) -> ImportReport:
    """Read, validate and store a feature file in one transaction; return what was done."""
    get_layer(layer_name)
    frame, info = read_features(path, crs=crs, fmt=fmt, encoding=encoding, x_col=x_col, y_col=y_col)
    records, ignored = prepare_records(frame, layer_name, source_crs=info["source_crs"])
    note = f"import {Path(path).name} ({info['format']}, {info['source_crs']}, {info['encoding']})"
    ids = write_records(store, layer_name, records, actor=actor, note=note, progress=progress,
                        batch_size=batch_size)
    return ImportReport(layer=layer_name, imported=len(ids), ids=ids, source_crs=info["source_crs"],
                        encoding=info["encoding"], format=info["format"], ignored_columns=ignored)


def export_layer(store: Store, layer_name: str, path: Path | str, *, fmt: str | None = None,
                 crs: str = "EPSG:4490", bbox=None, encoding: str = "UTF-8") -> int:
    """Write a layer (optionally within ``bbox``) to a file; return the feature count."""
    layer = get_layer(layer_name)
    frame = store.read_frame(layer.table, bbox=bbox)
    write_features(frame, path, fmt=fmt, crs=crs, layer_name=layer_name, encoding=encoding)
    return len(frame)
