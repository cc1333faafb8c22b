"""Import feature files into a layer, all or nothing, and export layers to files.

An import is one transaction: a bad feature anywhere, or a failure half-way, leaves nothing
of it behind. Values are coerced to the column types and each problem names its field.

An import never duplicates silently. A row that names a stored record, by the ``id`` an export
writes or by the identifier the record carries in the world (:data:`NATURAL_KEYS`), is that
record: mode ``insert`` (the default) refuses the whole file naming the rows; mode ``upsert``
applies such rows as version-checked updates of their rule-free fields and inserts the rest.

:func:`load_layers` stores whole layers (the sample district) into an empty database only.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa

from geo import messages as msg
from geo.addresses.refresh import refresh_standard_addresses
from geo.boundaries.reference_objects import add_reference_objects
from geo.collection import collecting_rarely
from geo.crs import STORAGE_CRS
from geo.divisions.first_load import check_first_units
from geo.errors import Conflict, DomainError, Forbidden, InputError, NotFound, StaleVersion
from geo.io.formats import read_features, shapefile_name, shown_name, write_features
from geo.layers import NEIGHBOUR_STATUS, get_layer
from geo.location_rules import check_layer_locations
from geo.messages import FileRows, as_term, at_row, file_row, label, row_en, row_zh
from geo.placenames.lifecycle import link_streets
from geo.plates.moves import correct_position
from geo.plates.rules import check_plates, load_plate_context, lock_streets, plates_for_write
from geo.record_states import check_record_state
from geo.store import Store, schema
from geo.store.bulk import PreparedRows, bulk_insert, prepare_bulk
from geo.store.contents import refuse_unless_empty
from geo.store.districts import held_districts, other_outlines
from geo.store.partitions import ensure_district_partitions
from geo.store.spatial_sql import lock_natural_keys, one_of
from geo.store.store import integrity_problem, read_across
from geo.text import clean, clean_field
from geo.types import parse_date
from geo.validation import MIN_VALUES, PAST_DATES, any_out_of_range, check_range, validate_frame
from geo.write_rules import (
    FIRST_LOAD_ALLOWED,
    check_generic_change,
    check_generic_create,
    generic_create_refusal,
    starting_state,
)

Progress = Callable[[int], None]
DEFAULT_BATCH = 5_000
IMPORT_MODES = ("insert", "upsert")
# The identifiers a record carries in the world (QR codes, marker stones, statistics codes): a file
# row giving one that is already stored is that record, never a new one.
NATURAL_KEYS: dict[str, str] = {"admin_units": "code", "place_names": "place_code",
                                "door_plates": "plate_uid", "boundary_lines": "line_code",
                                "boundary_markers": "marker_no"}
UPSERT_HINT_ZH = "如要更新这些记录, 请用 --mode upsert (HTTP 用 mode=upsert)"
UPSERT_HINT_EN = "use --mode upsert (HTTP: ?mode=upsert) to update them"
GEOMETRY_TOLERANCE_DEG = 1e-7  # about 1 cm: closer than this, a re-imported geometry is unchanged
# Layers drawn from the bundled, non-authoritative boundary (data/README.md): every export of them
# carries the 示意 label in this column (ignored on import, as any column outside the layer).
BOUNDARY_NOTE_LAYERS = frozenset({"admin_units", "boundary_lines"})
BOUNDARY_NOTE_COLUMN = "boundary_note"
_SHOWN_ROWS = 5
_LOOKUP_CHUNK = 5_000  # values per IN list: few round trips, well under both backends' parameter limits
_MAX_ID = 2**31 - 1


@dataclass
class ImportReport:
    """What an import did: how many features went where, and what it assumed."""

    layer: str
    imported: int  # rows stored: inserted plus updated
    ids: list[int] = field(repr=False, default_factory=list)  # the new records
    source_crs: str = "EPSG:4490"
    encoding: str = "UTF-8"
    format: str = ""
    ignored_columns: list[str] = field(default_factory=list)
    mode: str = "insert"
    updated_ids: list[int] = field(repr=False, default_factory=list)
    unchanged: int = 0  # rows that matched a stored record and changed nothing
    warnings: list[str] = field(default_factory=list)  # accepted, but worth a look (a plate far from its street)

    def summary(self) -> dict[str, Any]:
        """Return the report as JSON-safe data."""
        return {"layer": self.layer, "mode": self.mode, "imported": self.imported,
                "inserted": len(self.ids), "updated": len(self.updated_ids),
                "unchanged": self.unchanged,
                "first_id": self.ids[0] if self.ids else None,
                "last_id": self.ids[-1] if self.ids else None, "updated_ids": self.updated_ids,
                "source_crs": self.source_crs, "encoding": self.encoding, "format": self.format,
                "ignored_columns": self.ignored_columns, "warnings": self.warnings}


def coerce_value(value: Any, column: sa.Column, *, row: int | None = None) -> Any:
    """Return ``value`` converted to the type of ``column``, or raise naming the field and row."""
    if value is None:
        return None
    kind = column.type
    try:
        if isinstance(value, bool) and not isinstance(kind, sa.Boolean | sa.String | sa.Text):
            raise ValueError(value)  # true is not a number of beds
        if isinstance(value, list | tuple | dict | set):
            raise TypeError(value)  # a list or an object is no field's value (the API answers 422)
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
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(value)
            return number
        if isinstance(kind, sa.Date):
            try:
                return parse_date(value, field=column.name)
            except InputError as exc:  # named with its row, as every other value of a file is (review)
                raise InputError(at_row(exc.message, row), field=exc.field) from None
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return clean_field(column.name, str(value))
    except (TypeError, ValueError):
        name = kind.python_type.__name__
        wanted = as_term(msg.text(f"io.kind_{name}" if name in ("int", "float", "bool", "date") else "io.kind_str"))
        raise InputError(at_row(msg.text("io.value_type", field=label(column.name), kind=wanted, value=repr(value)),
                                row), field=column.name) from None


def coerce_column(series: pd.Series, column: sa.Column, *, rows: FileRows = 1) -> list[Any]:
    """Return a column's values as the types ``column`` stores (whole columns if the dtype fits); a value that is
    none of them is named by its file row (``rows``: the first value's, or each one's)."""
    kind = column.type
    types = pd.api.types
    integer = isinstance(kind, sa.Integer) and not isinstance(kind, sa.Boolean)
    if integer and types.is_integer_dtype(series):
        return series.tolist()
    numeric = types.is_numeric_dtype(series) and not types.is_bool_dtype(series)
    if isinstance(kind, sa.Float) and numeric:
        values = [None if v != v else float(v) for v in series.tolist()]
        bad = next((i for i, v in enumerate(values) if v is not None and not math.isfinite(v)), None)
        if bad is not None:
            raise InputError(at_row(msg.text("io.value_type", field=label(column.name),
                                             kind=as_term(msg.text("io.kind_float")), value=repr(values[bad])),
                                    file_row(rows, bad)), field=column.name)
        return values
    values = series.tolist()
    if isinstance(kind, sa.String | sa.Text) and all(v is None or isinstance(v, str)
                                                       for v in values):
        cleaned: dict[Any, Any] = {}  # cleaning is a pure function of the text: once per distinct value
        return [cleaned[v] if v in cleaned else cleaned.setdefault(v, clean_field(column.name, v)) for v in values]
    out = []
    for i, v in enumerate(values):
        if v is not None and not isinstance(v, str | list | tuple | dict | set) and pd.isna(v):
            v = None
        out.append(coerce_value(v, column, row=file_row(rows, i)))
    return out


def prepare_records(frame: gpd.GeoDataFrame, layer_name: str, *, source_crs: str, rows: FileRows = 1
                    ) -> tuple[list[dict], list[str]]:
    """Validate a frame (EPSG:4490) for a layer; return store records and the ignored columns.

    Problems name the file's rows as the program it is opened in numbers them: ``rows`` is the first record's (a GIS
    format's features from 1) or each record's (a spreadsheet's, header row 1: :func:`geo.io.formats.read_features`).
    """
    layer = get_layer(layer_name)
    renames = {shapefile_name(f): f for f in layer.fields if len(f) > 10 and shapefile_name(f) in frame.columns
               and f not in frame.columns}  # a Shapefile's short field names (an export's) read as the fields
    frame = frame.rename(columns=renames)
    validate_frame(frame, layer, source_crs=source_crs, rows=rows)
    table = Store.table(layer.table)
    columns = {c: coerce_column(frame[c], table.c[c], rows=rows) for c in layer.fields if c in frame.columns}
    geoms = list(frame.geometry.values)
    adcodes = frame["adcode"].tolist() if "adcode" in frame.columns else [None] * len(frame)
    for name in layer.required:  # text that was only invisible characters is no value
        for i, value in enumerate(columns.get(name, ())):
            if value is None or value == "":
                raise InputError(at_row(msg.text("io.empty_value", field=label(name)), file_row(rows, i)), field=name)
    for name, values in columns.items():
        if (name in MIN_VALUES or name in PAST_DATES) and any_out_of_range(name, values):
            for i, value in enumerate(values):
                check_range(name, value, row=file_row(rows, i))
    names = ("geometry", *columns)
    values_by_record = zip(geoms, *columns.values(), strict=True)
    records: list[dict[str, Any]] = [dict(zip(names, values, strict=True)) for values in values_by_record]
    for i, adcode in enumerate(adcodes):
        if isinstance(adcode, numbers.Integral) or (isinstance(adcode, float) and adcode.is_integer()):
            adcode = str(int(adcode))  # a number column (GeoJSON, GPKG) was ignored: the rows went to this district
        if isinstance(adcode, str) and adcode.strip():
            if not (adcode.isascii() and adcode.isdigit() and len(adcode) == 6):
                raise InputError(at_row(msg.text("io.adcode", field=label("adcode"), value=repr(adcode)),
                                        file_row(rows, i)),
                                 field="adcode")
            records[i]["adcode"] = adcode
    ignored = sorted(c for c in frame.columns
                     if c not in layer.fields and c not in ("adcode", frame.geometry.name))
    return records, ignored


def write_records(store: Store, layer_name: str, records: Sequence[Mapping[str, Any]], *,
                  actor: str, note: str | None = None, progress: Progress | None = None,
                  batch_size: int = DEFAULT_BATCH, conn: sa.Connection | None = None,
                  prepared: PreparedRows | None = None) -> list[int]:
    """Insert records inside one transaction at the driver's speed (:func:`geo.store.bulk.bulk_insert`:
    executemany on SQLite, COPY on PostgreSQL), one ``bulk_create`` audit row per batch; nothing stays if
    any part fails. ``prepared``: the same records already encoded (:func:`geo.store.bulk.prepare_bulk`)
    before the write lock was taken."""
    layer = get_layer(layer_name)
    if conn is None:
        try:
            with store.writing() as c:
                return write_records(store, layer_name, records, actor=actor, note=note,
                                     progress=progress, batch_size=batch_size, conn=c, prepared=prepared)
        except sa.exc.IntegrityError as exc:
            raise _uniqueness_conflict(layer_name, exc) from None
    rows = prepared if prepared is not None else prepare_bulk(store, layer.table, records)
    return bulk_insert(store, rows, actor=actor, conn=conn, note=note, batch_size=batch_size, progress=progress)


def load_layers(store: Store, frames: Mapping[str, gpd.GeoDataFrame], *, actor: str, note: str | None = None,
                progress: Progress | None = None,
                reference_objects: Iterable[Mapping[str, Any]] = (),
                plot_types: pd.DataFrame | None = None,
                burial_statistics: pd.DataFrame | None = None,
                addresses: pd.DataFrame | None = None,
                street_signs: pd.DataFrame | None = None) -> dict[str, int]:
    """Store whole layers into an empty database in one transaction; return the records per layer.

    Parameters
    ----------
    store
        A migrated store without domain records: :func:`geo.store.contents.refuse_unless_empty` is
        checked in the same transaction, so nothing is written into a database that holds data.
    frames
        Layer name → GeoDataFrame in EPSG:4490, in an order that loads referenced layers first
        (units before the plates and facilities in them), as the sample district gives them.
    actor
        Who loads the layers (one batch audit row per batch of records).
    note
        Recorded with the audit rows, e.g. the sample's seed.
    progress
        Called with the number of records of each batch written.
    reference_objects
        The markers' reference objects (方位物), stored after the markers by
        :func:`geo.boundaries.reference_objects.add_reference_objects`.
    plot_types, burial_statistics
        Cemetery plot types (by cemetery ``name`` in a ``cemetery`` column) and burial statistics,
        stored after the facilities through their use cases (:mod:`geo.planning.burial`), CM-02
        checked with the bundled settings file.
    addresses, street_signs
        The sample's buildings, units and rooms below its plates and its street name signs, stored
        after the plates and streets (:mod:`geo.addresses.sample_load`, :mod:`geo.signs.sample_load`).

    Each layer is validated as an import is (:func:`prepare_records`); after the layers, each
    street is linked to its standard name (:func:`geo.placenames.lifecycle.link_streets`).
    """
    written = {}
    ensure_district_partitions(store.engine, store.adcode)  # its first rows: its own partition (PostgreSQL)
    with store.writing() as conn:
        lock_natural_keys(conn, ["load_layers"])  # a second loader waits here, then is refused as not empty
        refuse_unless_empty(store, conn=conn)
        for name, frame in frames.items():
            records, _ignored = prepare_records(frame, name, source_crs="EPSG:4490")
            write_records(store, name, records, actor=actor, note=note, progress=progress, conn=conn)
            written[name] = len(records)
        references = list(reference_objects)
        if references:
            written["marker_reference_objects"] = add_reference_objects(store, references, actor=actor, conn=conn)
        if plot_types is not None or burial_statistics is not None:
            from geo.planning.ban_zone_settings import load_ban_zone_settings
            from geo.planning.burial import load_sample_records

            written |= load_sample_records(store, plot_types=plot_types, statistics=burial_statistics,
                                           settings=load_ban_zone_settings(), actor=actor, conn=conn)
        link_streets(conn)
        if addresses is not None:
            from geo.addresses.sample_load import load_sample_addresses

            written["addresses"] = load_sample_addresses(store, addresses, actor=actor, conn=conn)
        if street_signs is not None:
            from geo.signs.sample_load import load_sample_signs

            written["street_signs"] = load_sample_signs(store, street_signs, actor=actor, conn=conn)
    return written


def _uniqueness_conflict(layer_name: str, exc: sa.exc.IntegrityError) -> Conflict:
    """Return the import's refusal of a value the database holds already (in this district, or, for a
    QR uid, in any district): naming the field, Chinese first, never another district's other values."""
    problem = integrity_problem(exc)
    return Conflict(msg.text("io.unique", layer=layer_name, reason=as_term(str(problem))),
                    field=problem.field or layer_name)


def _present(value: Any) -> bool:
    """Return whether a cell holds a value (not None, NaN or blank text)."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    try:
        return not bool(pd.isna(value))
    except (TypeError, ValueError):
        return True


def _whole(value: Any) -> int | None:
    """Return a cell as a whole number, or None if it holds none."""
    if not _present(value) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a whole number of hundreds of digits
        return None
    return int(number) if number.is_integer() else None


@dataclass
class FileIdentities:
    """What each row of a file says about which stored record it is."""

    ids: list[int | None]              # the ``id`` an export writes (None: none, or not an id)
    keys: list[Any]                    # the layer's natural key, where the file gives one
    versions: list[int | None] | None  # the ``version`` column, if the file has one
    key: str | None = None             # the natural key's field name
    rows: FileRows = 1                 # the records' file rows, as messages name them (file_row)


def file_identities(frame: pd.DataFrame, records: Sequence[Mapping[str, Any]], layer_name: str, *,
                    rows: FileRows = 1) -> FileIdentities:
    """Return the ids, natural keys and versions a file's rows carry (``records[i]`` is file row
    ``file_row(rows, i)``)."""
    n = len(records)
    ids: list[int | None] = [None] * n
    if "id" in frame.columns:
        ids = [v if v is not None and 1 <= v <= _MAX_ID else None
               for v in map(_whole, frame["id"].tolist())]
    key = NATURAL_KEYS.get(layer_name)
    keys: list[Any] = [None] * n
    if key and key in frame.columns:  # only what the file gives, never a value filled in for it
        given = [_present(v) for v in frame[key].tolist()]
        keys = [records[i].get(key) if given[i] else None for i in range(n)]
    versions = None
    if "version" in frame.columns:
        versions = []
        for i, raw in enumerate(frame["version"].tolist()):
            value = _whole(raw)
            # A record's versions count from 1; one above the largest id was never stored (a float read from a
            # huge number would be quoted as another number than the file's).
            if _present(raw) and (value is None or not 1 <= value <= _MAX_ID):
                raise InputError(at_row(msg.text("io.version_integer", field=label("version"), value=repr(raw),
                                                 most=_MAX_ID), file_row(rows, i)),
                                 field="version")
            versions.append(value)
    return FileIdentities(ids, keys, versions, key, rows)


@dataclass
class Match:
    """A file row that names a stored record."""

    row: int                 # the row of the file, as messages name it
    stored: dict[str, Any]   # the stored record
    by: str                  # the field that named it: the natural key or ``id``
    value: Any
    index: int               # the record's index among the file's records


def _stored_by(conn: sa.Connection, table: sa.Table, column: str, values: Sequence[Any]
               ) -> dict[Any, dict[str, Any]]:
    """Return the stored records whose ``column`` is one of ``values``, keyed by that value (read column by column,
    as :meth:`Store.get` gives them: :func:`geo.store.frames.layer_records`)."""
    from geo.store.frames import layer_records

    wanted = sorted({v for v in values if v is not None})
    found: dict[Any, dict[str, Any]] = {}
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        named = one_of(conn.dialect.name, table.c[column], wanted[start:start + _LOOKUP_CHUNK])
        for record in layer_records(conn, table, [named]):
            found[record[column]] = record
    return found


def match_stored(conn: sa.Connection, layer_name: str, identities: FileIdentities
                 ) -> list[Match | None]:
    """Return, per file row, the stored record it names (or None); refuse a row naming two."""
    table = Store.table(get_layer(layer_name).table)
    if conn.execute(sa.select(table.c.id).limit(1)).first() is None:  # a first load: nothing to name (34,710
        return [None] * len(identities.ids)                           # plate uids looked up in 7 IN lists, 0.28 s)
    key = identities.key
    by_key = _stored_by(conn, table, key, identities.keys) if key else {}
    # A file exported from here gives both: the records its keys found are not read again by id (an upsert of
    # 34,710 plates read and decoded every stored plate twice).
    known = {record["id"]: record for record in by_key.values()}
    by_id = {rid: known[rid] for rid in identities.ids if rid in known}
    by_id.update(_stored_by(conn, table, "id", [rid for rid in identities.ids if rid not in known]))
    matches: list[Match | None] = []
    for i, (rid, value) in enumerate(zip(identities.ids, identities.keys, strict=True)):
        row = file_row(identities.rows, i)
        named_by_key = by_key.get(value) if value is not None else None
        named_by_id = by_id.get(rid) if rid is not None else None
        if named_by_id is not None and key is not None and value is not None and (
                named_by_key is None or named_by_key["id"] != named_by_id["id"]):
            raise Conflict(
                f"{row_zh(row)}: id {rid} 在库中是 {key} {named_by_id[key]}, 文件中却是 {value}。"
                "标识不会被改写, 未导入任何内容 (若文件来自另一个数据库, 请删去 id 列) · "
                f"row {row_en(row)}: id {rid} is stored as {key} {named_by_id[key]} but the file says "
                f"{value}; identifiers are never rewritten and nothing was imported (if the file "
                "comes from another database, drop its id column)",
                field=key)
        if named_by_key is not None and key is not None:
            matches.append(Match(row, named_by_key, key, value, i))
        elif named_by_id is not None:
            matches.append(Match(row, named_by_id, "id", rid, i))
        else:
            matches.append(None)
    return matches


def _rows_text(found: Sequence[Match], zh: str, en: str) -> tuple[str, str]:
    """Return the first few matched rows described in Chinese and in English."""
    shown = found[:_SHOWN_ROWS]
    text_zh = "、".join(f"{row_zh(m.row)}的 {m.by} {m.value} {zh}" for m in shown)
    text_en = "; ".join(f"row {row_en(m.row)}: {m.by} {m.value} {en}" for m in shown)
    if len(found) > len(shown):
        text_zh += f" 等, 共 {len(found)} 行"
        text_en += f" (and {len(found) - len(shown)} more rows)"
    return text_zh, text_en


def _already_stored(found: Sequence[Match]) -> Conflict:
    zh, en = _rows_text(found, "已存在", "is already stored")
    message = f"{zh}。未导入任何内容。{UPSERT_HINT_ZH}"
    english = f"{en}; nothing was imported: {UPSERT_HINT_EN}"
    if any(m.by == "id" for m in found):
        message += "。若文件来自另一个数据库, 删去 id 列即可作为新记录导入"
        english += ("; if the file comes from another database, drop its id column to add the rows "
                    "as new records")
    return Conflict(f"{message} · {english}", field=found[0].by)


def _same_value(new: Any, old: Any) -> bool:
    if not _present(new) and not _present(old):
        return True  # None, NaN and blank text are all "no value"
    if isinstance(new, shapely.Geometry) or isinstance(old, shapely.Geometry):
        if new is None or old is None:
            return False
        return bool(new.equals_exact(old, GEOMETRY_TOLERANCE_DEG)) or (
            new.geom_type.removeprefix("Multi") == old.geom_type.removeprefix("Multi")
            and shapely.hausdorff_distance(new, old) <= GEOMETRY_TOLERANCE_DEG)
    if isinstance(new, float | int) and isinstance(old, float | int) and not isinstance(new, bool):
        return abs(float(new) - float(old)) <= 1e-9 * max(1.0, abs(float(old)))
    return new == old


def changed_fields(record: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """Return the fields of a file row whose values differ from the stored record's."""
    return {k: v for k, v in record.items() if k != "adcode" and not _same_value(v, stored.get(k))}


@dataclass
class ImportPlan:
    """What an import will do: records to insert, and (row, stored record, changes) to update."""

    inserts: list[dict[str, Any]]
    updates: list[tuple[int, dict[str, Any], dict[str, Any]]]
    unchanged: int = 0
    insert_rows: list[int] = field(default_factory=list)  # each insert's file row (an upsert's are scattered)


def plan_import(conn: sa.Connection, layer_name: str, records: Sequence[dict[str, Any]],
                identities: FileIdentities, *, mode: str,
                refused: list[tuple[int, dict[str, Any], int]] | None = None, adcode: str | None = None) -> ImportPlan:
    """Decide what each row does, refusing the whole file on the first problem.

    ``insert`` refuses rows that name stored records; ``upsert`` turns them into updates, refused
    when the file's ``version`` is stale (each such row is added to ``refused``) or when they
    change a field that carries a rule.
    """
    matches = match_stored(conn, layer_name, identities)
    found = [m for m in matches if m is not None]
    first_load = layer_name in FIRST_LOAD_ALLOWED and _layer_is_empty(conn, layer_name)
    if first_load and adcode is not None:
        _refuse_own_reference_outline(layer_name, found, adcode=adcode)
    if mode == "insert":
        if found:
            raise _already_stored(found)
        return _checked_plan(layer_name, records, matches, first_load=first_load, rows=identities.rows)
    first_row: dict[int, int] = {}
    for m in found:
        other = first_row.setdefault(m.stored["id"], m.row)
        if other != m.row:
            raise InputError(msg.text("io.same_record_twice", row=other, other=m.row, id=m.stored["id"]),
                             field=m.by)
    versions = identities.versions
    sent_version = {m.row: v for m in found if versions is not None and (v := versions[m.index]) is not None}
    unversioned = [m for m in found if versions is not None and m.row not in sent_version]
    if unversioned:
        m = unversioned[0]
        raise StaleVersion(msg.text("io.version_missing", row=m.row, id=m.stored["id"]), field="version")
    stale = [m for m in found if m.row in sent_version and sent_version[m.row] != m.stored["version"]]
    if stale:
        if refused is not None:
            refused.extend((m.stored["id"], changed_fields(records[m.index], m.stored),
                            sent_version[m.row]) for m in stale)
        m = stale[0]
        sent, now = sent_version[m.row], m.stored["version"]
        # A version above the stored one was never this record's here: the file came from elsewhere (another
        # database, or this one restored from an earlier backup), not from an export overtaken by an edit. The
        # wording is the one every stale row supports; a file holding both kinds names both.
        ahead = sum(1 for m in stale if sent_version[m.row] > m.stored["version"])
        key = ("io.version_ahead" if ahead == len(stale) else "io.version_behind" if not ahead
               else "io.version_mixed")
        raise StaleVersion(msg.text(key, row=m.row, id=m.stored["id"], sent=sent, now=now, count=len(stale),
                                    ahead=ahead, behind=len(stale) - ahead), field="version")
    return _checked_plan(layer_name, records, matches, first_load=first_load, rows=identities.rows)


def _refuse_own_reference_outline(layer_name: str, found: Sequence[Match], *, adcode: str) -> None:
    """Refuse district ``adcode``'s first load whose rows name a neighbour's reference outline stored under the
    district's own code (the sample's 回民区 beside 新城区): it was told to use ``--mode upsert``, which is refused
    too (review). No step takes such a row over yet (DEPLOYMENT.md "Adding a district"). Other districts' reference
    outlines an export carries pass as before (unchanged in an upsert)."""
    for m in found:
        stored = m.stored
        if stored.get("status") == NEIGHBOUR_STATUS and stored.get("code") == f"{adcode}000000":
            raise Conflict(at_row(msg.text("io.own_reference_outline", layer=layer_name, code=stored["code"]),
                                  m.row), field="code")


def _layer_is_empty(conn: sa.Connection, layer_name: str) -> bool:
    """Return whether the layer's table holds no record of the district yet (its first load of it): the rows every
    district reads (the neighbours' reference outlines) are nobody's own, so a new district beside them, or a
    database holding only them, still loads its own outline and units (review: DEPLOYMENT.md's step 1 was refused)."""
    table = schema.metadata.tables[get_layer(layer_name).table]
    shared = read_across(table)
    query = sa.select(table.c.id).limit(1)
    if shared is not None:
        query = query.where(sa.not_(sa.func.coalesce(shared, sa.false())))  # a row with no status is one's own
    return conn.execute(query).first() is None


def _checked_plan(layer_name: str, records: Sequence[dict[str, Any]], matches, *, first_load: bool,
                  rows: FileRows) -> ImportPlan:
    """Sort rows into inserts and updates through the generic-path rules (geo.write_rules); ``records[i]`` is file
    row ``file_row(rows, i)``."""
    plan = ImportPlan([], [])
    creates = [i for i, match in enumerate(matches) if match is None]
    refused = generic_create_refusal(layer_name, [records[i] for i in creates], first_load=first_load)
    refused_index = None if refused is None else creates[refused]
    start = starting_state(layer_name)
    for i, (record, match) in enumerate(zip(records, matches, strict=True)):
        row = file_row(rows, i)
        if match is None:
            if i == refused_index:  # raises the refusal, naming the row
                check_generic_create(layer_name, record, row=row, first_load=first_load)
            started = start(record)
            check_record_state(layer_name, started, row=row)
            plan.inserts.append(started)
            plan.insert_rows.append(row)
            continue
        if record.get("adcode") not in (None, match.stored.get("adcode")):  # was left out of the changes silently
            raise Forbidden(at_row(msg.text("io.adcode_changed", record=msg.record_label(get_layer(layer_name).table,
                                                                                        match.stored["id"]),
                                            district=match.stored.get("adcode"), value=record["adcode"]), match.row),
                            field="adcode")
        changes = changed_fields(record, match.stored)
        if not changes:
            plan.unchanged += 1
            continue
        if match.stored.get("status") == NEIGHBOUR_STATUS:  # before the rule that names the endpoint owning a field
            raise _reference_row_changed(match.stored, changes, match.row)
        check_generic_change(layer_name, match.stored, changes, row=match.row)
        check_record_state(layer_name, {**match.stored, **changes}, before=match.stored, row=match.row)
        plan.updates.append((match.row, match.stored, changes))
    return plan


def _lock_scopes(conn: sa.Connection, layer_name: str, plan: ImportPlan) -> None:
    """Lock the PN-07 scope of every name and the DP-04 scope of every street the import writes."""
    records = [*plan.inserts, *({**stored, **changes} for _row, stored, changes in plan.updates)]
    if layer_name == "place_names":
        from geo.placenames.romanize import toneless_key

        lock_natural_keys(conn, ["name:" + toneless_key(str(clean(str(r.get("standard_name") or ""))))
                                 for r in records if r.get("standard_name")])
    elif layer_name == "door_plates":
        lock_streets(conn, records)


def _check_layer_rules(store: Store, conn: sa.Connection, layer_name: str, plan: ImportPlan, *,
                       source_crs: str = STORAGE_CRS) -> list[str]:
    """Apply the rules a layer's records must pass when written: where they lie, which units and
    streets they name, the gazetteer rules on changed names, and the door-plate rules.

    The uniqueness scopes the import touches (every name, every street) are locked first, all in one
    sorted call, so two imports never take them in different orders (no deadlock on PostgreSQL).
    """
    _lock_scopes(conn, layer_name, plan)
    if layer_name == "admin_units" and plan.inserts:  # only a first load inserts units (geo.write_rules)
        alone = set(held_districts(store)) <= {store.adcode}
        check_first_units(plan.inserts, adcode=store.adcode, rows=plan.insert_rows, alone=alone,
                          other_outlines=None if alone else other_outlines(store), source_crs=source_crs)
    _refuse_changes_not_ours(store, layer_name, plan)
    check_layer_locations(conn, layer_name, plan.inserts, adcode=store.adcode,
                          first_row=plan.insert_rows)  # messages name file rows
    for row, stored, changes in plan.updates:
        check_layer_locations(conn, layer_name, [changes], adcode=store.adcode, first_row=row, creating=False)
        if layer_name == "place_names":
            from geo.placenames.lifecycle import check_name_change

            check_name_change(store, conn, stored, changes, row=row)
    if layer_name != "door_plates":
        return []
    warnings = plates_for_write(conn, plan.inserts, adcode=store.adcode, first_row=plan.insert_rows)
    for row, stored, changes in plan.updates:  # a position corrected by its street, or refused
        correct_position(conn, stored, changes, row=row)
    moved = [(row, {**stored, **changes}, stored["plate_uid"]) for row, stored, changes in plan.updates
             if any(k in changes for k in ("street_name", "number", "suffix", "geometry", "status"))]
    if moved:
        ctx = load_plate_context(conn, adcode=store.adcode)
        for row, rec, uid in moved:
            warnings += check_plates([rec], ctx, first_row=row, replacing={0: uid})
    return warnings


def _refuse_changes_not_ours(store: Store, layer_name: str, plan: ImportPlan) -> None:
    """Refuse, naming its row, a new record of another district (refused only when written, naming no row) and a
    change to a record that is not this district's: a neighbour's reference outline an export of the units carries
    (read by every district, changed by none). It was refused only when written, after the progress bar, as a
    record "not found" naming no row (an unchanged such row still passes, as unchanged)."""
    table = get_layer(layer_name).table
    for row, new in zip(plan.insert_rows, plan.inserts, strict=True):
        if not store.owns(table, new) and new.get("status") != NEIGHBOUR_STATUS:  # first load: geo.divisions
            raise Forbidden(at_row(msg.text("store.other_district", field=label("adcode"), value=new["adcode"],
                                            district=store.adcode), row), field="adcode")
    for row, stored, changes in plan.updates:
        if store.owns(table, stored):
            continue
        if stored.get("status") == NEIGHBOUR_STATUS:
            raise _reference_row_changed(stored, changes, row)
        raise NotFound(at_row(msg.text("store.no_record", record=msg.record_label(table, stored["id"])), row),
                       field="id")


def _reference_row_changed(stored: Mapping[str, Any], changes: Mapping[str, Any], row: int) -> Forbidden:
    """The refusal of a change to a neighbour's reference outline, named by its code (its id told the officer
    nothing), whatever field the row changes (a name was sent to the rename endpoint, which is no neighbour's)."""
    record = msg.Term(f"{stored.get('code')} {stored.get('name')}", f"{stored.get('code')} {stored.get('name')}")
    return Forbidden(at_row(msg.text("io.reference_row", record=record, what=msg.value_label(NEIGHBOUR_STATUS),
                                     fields=msg.labels(sorted(changes))), row), field="id")


def _proposed(store: Store, conn: sa.Connection, record: Mapping[str, Any], row: int, *, actor: str) -> int:
    """Propose one imported name inside the import's transaction; a refusal names its row."""
    from geo.placenames.lifecycle import ValidationFailed, propose

    if record.get("adcode") not in (None, store.adcode):  # another district's name is not proposed here
        raise Forbidden(at_row(msg.text("store.other_district", field=label("adcode"), value=record["adcode"],
                                    district=store.adcode), row), field="adcode")
    fields = {k: v for k, v in record.items() if k not in ("geometry", "status", "status_date", "adcode")}
    try:
        return int(propose(store, fields, actor=actor, geometry=record.get("geometry"), conn=conn)["id"])
    except ValidationFailed as exc:  # the PN findings, the first one's message with its row
        raise InputError(at_row(exc.message, row), field=exc.field, details=exc.details) from None
    except DomainError as exc:
        raise type(exc)(at_row(exc.message, row), field=exc.field, details=exc.details) from None


# What the rule checks of an import read besides the layer itself: units (district, unit codes), streets
# and the gazetteer (street names), plates (DP-04 numbers, uids), boundary lines and markers.
_RULE_TABLES = ("admin_units", "streets", "place_names", "door_plates", "boundary_lines", "boundary_markers")


def rule_tables(layer_name: str) -> list[str]:
    """Return the tables whose records an import into ``layer_name`` is checked against."""
    return sorted({get_layer(layer_name).table, *_RULE_TABLES})


def changed_since(conn: sa.Connection, horizon: int, tables: Sequence[str]) -> bool:
    """Return whether a change to any of ``tables`` was committed after commit number ``horizon``.

    Every write to a record writes its audit rows in the same transaction, numbered in commit order
    (:meth:`Store.commit_horizon`), so no such row means the tables read as they did at ``horizon``.
    """
    log = Store.table("audit_log")
    found = conn.execute(sa.select(log.c.id).where(log.c.seq > horizon, log.c.table_name.in_(list(tables)))
                         .limit(1)).first()
    return found is not None


@dataclass
class CheckedPlan:
    """An import plan whose rule checks passed on the data as of commit number ``horizon``."""

    plan: ImportPlan
    warnings: list[str]
    horizon: int
    rows: PreparedRows | None = None  # the plan's inserts encoded for the driver


def _plan_and_check(store: Store, conn: sa.Connection, layer_name: str, records: Sequence[dict[str, Any]],
                    identities: FileIdentities, *, mode: str, refused: list[tuple[int, dict[str, Any], int]],
                    source_crs: str = STORAGE_CRS) -> tuple[ImportPlan, list[str]]:
    """Plan the import and apply every rule check; ``records`` stay as they are (a check may fill in a value,
    but only in the plan's own records: each insert is a new record (:func:`geo.write_rules.starting_state`),
    each update's changes a new mapping (:func:`changed_fields`), so a second check under the lock starts afresh)."""
    plan = plan_import(conn, layer_name, records, identities, mode=mode, refused=refused, adcode=store.adcode)
    return plan, _check_layer_rules(store, conn, layer_name, plan, source_crs=source_crs)


def _checked_beforehand(store: Store, layer_name: str, records: Sequence[dict[str, Any]],
                        identities: FileIdentities, *, mode: str, refused: list[tuple[int, dict[str, Any], int]],
                        source_crs: str = STORAGE_CRS) -> CheckedPlan | None:
    """On SQLite, plan and check the import in a read transaction, before the write lock is taken.

    SQLite has one write lock for the whole database: checking tens of thousands of rows while holding
    it would make every other writer wait seconds (up to its busy timeout). Read transactions run beside
    writers (WAL) and see one snapshot, so the checks run there; the write transaction then only writes,
    after :func:`changed_since` confirms that nothing the checks read was changed since (otherwise it checks
    again under the lock). PostgreSQL locks what the checks read (the street and name scopes) inside the
    write transaction and never blocks other writers on the whole database, so it checks there (None).
    Gazetteer imports propose each name through its use case, which checks inside the write (None).
    """
    if store.dialect != "sqlite" or layer_name == "place_names":
        return None
    with store.reading() as conn:
        horizon = store.commit_horizon(conn)  # first read: the snapshot the checks see
        plan, warnings = _plan_and_check(store, conn, layer_name, records, identities, mode=mode, refused=refused,
                                         source_crs=source_crs)
    return CheckedPlan(plan, warnings, horizon, prepare_bulk(store, get_layer(layer_name).table, plan.inserts))


def _apply_updates(store: Store, conn: sa.Connection, table_name: str,
                   updates: Sequence[tuple[int, dict[str, Any], dict[str, Any]]], *, actor: str, note: str,
                   progress: Progress | None) -> list[int]:
    """Apply an upsert's updates in the import's transaction; return the updated ids in file order.

    Updates that change the same fields, geometry aside, go through :meth:`Store.update_each` together
    (locked, version- and district-checked, one statement per chunk, one batched audit insert): a file
    correcting the households of 34,710 plates was 34,710 statements, each with its reads and its audit
    insert, 60–200 s (review). An update that moves a geometry goes through :meth:`Store.update`, as does one of a
    record that is not this district's to change (a neighbour's outline: refused there, naming it; in a group it was
    told "changed meanwhile, try again", second review).

    Every record updated is locked first, in id order (PostgreSQL), so two imports lock what they share in the same
    order (the geometry updates first, then the groups, deadlocked two imports that each moved one: second review).
    """
    store.lock_records(table_name, (stored["id"] for _row, stored, _changes in updates), conn=conn)
    groups: dict[tuple[str, ...], dict[int, dict[str, Any]]] = {}
    for _row, stored, changes in updates:
        if "geometry" in changes or not store.owns(table_name, stored):
            store.update(table_name, stored["id"], changes, expected_version=stored["version"], actor=actor,
                         note=note, conn=conn)
            if progress:
                progress(1)
        else:
            groups.setdefault(tuple(sorted(changes)), {})[stored["id"]] = changes
    records = {stored["id"]: stored for _row, stored, _changes in updates}
    for changes_by_id in groups.values():
        store.update_each(table_name, changes_by_id, actor=actor, conn=conn, note=note, stored=records,
                          expected_versions={i: records[i]["version"] for i in changes_by_id})
        if progress:
            progress(len(changes_by_id))
    return [stored["id"] for _row, stored, _changes in updates]


def import_file(store: Store, layer_name: str, path: Path | str, *, crs: str, actor: str,
                fmt: str | None = None, encoding: str | None = None, x_col: str | None = None,
                y_col: str | None = None, progress: Progress | None = None,
                batch_size: int = DEFAULT_BATCH, mode: str = "insert", name: str | None = None) -> ImportReport:
    """Read, validate and store a feature file in one transaction; return what was done.

    ``mode="insert"`` (the default) refuses a file with rows naming stored records (by ``id`` or by
    natural key); ``mode="upsert"`` updates those records (version-checked) and inserts the rest.
    Messages and the audit note name the file ``name`` (an upload's own name; default: the request's
    :data:`geo.io.formats.UPLOAD_NAME`, else the file's name), never the server's path to it.
    """
    if mode not in IMPORT_MODES:
        raise InputError(msg.text("io.mode", field=label("mode"), allowed=", ".join(IMPORT_MODES), value=repr(mode)),
                         field="mode")
    shown = shown_name(Path(path), name)
    with collecting_rarely():  # tens of thousands of geometries and records, no cycles (geo.collection)
        frame, info = read_features(path, crs=crs, fmt=fmt, encoding=encoding, x_col=x_col, y_col=y_col,
                                    name=shown)
        return import_frame(store, layer_name, frame, info, actor=actor, name=shown, progress=progress,
                            batch_size=batch_size, mode=mode)


def import_frame(store: Store, layer_name: str, frame: gpd.GeoDataFrame, info: Mapping[str, Any], *, actor: str,
                 name: str, progress: Progress | None = None, batch_size: int = DEFAULT_BATCH,
                 mode: str = "insert") -> ImportReport:
    """Validate and store a frame already in EPSG:4490, as :func:`import_file` does after reading a file.

    ``info`` is what :func:`geo.io.formats.read_features` reports (``format``, ``source_crs``,
    ``encoding``); other readers (legacy survey grids, :mod:`geo.io.legacy_import`) convert first and
    store through here, so every import passes the same checks. The garbage collector runs rarely meanwhile
    (:func:`geo.collection.collecting_rarely`: its collections were up to a sixth of a large import's time).
    """
    with collecting_rarely():
        return _import_frame(store, layer_name, frame, info, actor=actor, name=name, progress=progress,
                             batch_size=batch_size, mode=mode)


def _import_frame(store: Store, layer_name: str, frame: gpd.GeoDataFrame, info: Mapping[str, Any], *, actor: str,
                  name: str, progress: Progress | None, batch_size: int, mode: str) -> ImportReport:
    """Do :func:`import_frame`'s work."""
    if mode not in IMPORT_MODES:
        raise InputError(msg.text("io.mode", field=label("mode"), allowed=", ".join(IMPORT_MODES), value=repr(mode)),
                         field="mode")
    layer = get_layer(layer_name)
    shown = name
    rows = info.get("file_rows") or 1  # a spreadsheet's rows as it shows them; a GIS format's features from 1
    if frame.empty:  # a header alone, or only blank rows: most likely the wrong sheet or file, never "0 imported"
        raise InputError(msg.text("io.no_records", name=msg.quoted(shown)), field="file")
    records, ignored = prepare_records(frame, layer_name, source_crs=info["source_crs"], rows=rows)
    identities = file_identities(frame, records, layer_name, rows=rows)
    used = {"id"} | ({"version"} if mode == "upsert" else set())
    ignored = [c for c in ignored if c not in used]
    note = (f"import {shown} ({info['format']}, {info['source_crs']}, "
            f"{info['encoding']}, {mode})")
    refused: list[tuple[int, dict[str, Any], int]] = []
    try:
        checked = _checked_beforehand(store, layer_name, records, identities, mode=mode, refused=refused,
                                      source_crs=info["source_crs"])
        ensure_district_partitions(store.engine, store.adcode)  # its first rows: its own partition (PostgreSQL)
        with store.writing() as conn:
            prepared = None
            if checked is not None and not changed_since(conn, checked.horizon, rule_tables(layer_name)):
                plan, warnings, prepared = checked.plan, checked.warnings, checked.rows
            else:  # checked here, under the write lock: PostgreSQL, gazetteer imports, or the data changed
                refused.clear()
                plan, warnings = _plan_and_check(store, conn, layer_name, records, identities, mode=mode,
                                                 refused=refused, source_crs=info["source_crs"])
            if layer_name == "place_names":  # every new name is proposed, through the PN rules
                ids = [_proposed(store, conn, rec, row, actor=actor)
                       for row, rec in zip(plan.insert_rows, plan.inserts, strict=True)]
            else:
                ids = write_records(store, layer_name, plan.inserts, actor=actor, note=note,
                                    progress=progress, batch_size=batch_size, conn=conn, prepared=prepared)
            updated = _apply_updates(store, conn, layer.table, plan.updates, actor=actor, note=note,
                                     progress=progress)
            if layer_name == "door_plates":  # a moved plate's addresses name its new community
                refresh_standard_addresses(store, conn, actor=actor, plate_uids=[
                    stored["plate_uid"] for _row, stored, changes in plan.updates if "community_code" in changes])
    except sa.exc.IntegrityError as exc:
        raise _uniqueness_conflict(layer_name, exc) from None
    except StaleVersion:
        store.record_refused_many(layer.table, refused, actor=actor)  # the refused rows stay in the audit trail
        raise
    return ImportReport(layer=layer_name, imported=len(ids) + len(updated), ids=ids, warnings=warnings,
                        source_crs=info["source_crs"], encoding=info["encoding"],
                        format=info["format"], ignored_columns=ignored, mode=mode,
                        updated_ids=updated, unchanged=plan.unchanged)


def export_layer(store: Store, layer_name: str, path: Path | str, *, fmt: str | None = None,
                 crs: str = "EPSG:4490", bbox=None, encoding: str = "UTF-8",
                 where: Mapping[str, Any] | None = None) -> int:
    """Write a layer (optionally within ``bbox``, or only the records matching ``where``) to a file;
    return the feature count.

    A GeoPackage holds one table per kind of geometry of a layer that mixes kinds
    (:func:`geo.io.formats.kind_tables`); admin units and boundary lines carry the 示意 note
    (:data:`BOUNDARY_NOTE_COLUMN`).

    ``encoding`` must be UTF-8 or of the GB 18030 family (GBK, GB2312, GB18030); it is checked
    before anything is read. ``where`` maps fields to a value or a list of values, as
    :meth:`Store.select` takes them (e.g. ``{"status": "in_force"}`` for the gazetteer in force).
    """
    from geo.io.formats import export_encoding

    layer = get_layer(layer_name)
    encoding = export_encoding(encoding)
    frame = store.read_frame(layer.table, bbox=bbox, where=where)
    table = Store.table(layer.table)
    integers = [c.name for c in table.c if isinstance(c.type, sa.Integer) and not isinstance(c.type, sa.Boolean)]
    if layer_name in BOUNDARY_NOTE_LAYERS:  # the same label the maps and the OGC API show
        frame[BOUNDARY_NOTE_COLUMN] = msg.text("ogc.boundary_note")
    write_features(frame, path, fmt=fmt, crs=crs, layer_name=layer_name, encoding=encoding,
                   integer_columns=integers, geometry_types=layer.geometry_types)
    return len(frame)
