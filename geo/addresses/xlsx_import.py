"""Bulk import of buildings, units and rooms from a developer's XLSX (or CSV) file.

Columns (the header row; Chinese or English, any order, other columns ignored):

============  =======================================  ========================================
field          accepted headers                          meaning
============  =======================================  ========================================
plate_uid      门牌编号, plate_uid                       the door plate the building stands at
street_name    街路巷, 街路巷名称, 道路, street_name       or: the plate by street and number …
number         门牌号, 号, number                        … (with suffix 附号/副号 when it has one)
suffix         附号, 副号, suffix
building       楼号, 楼, 幢号, 栋号, building             3, 3号楼, 3幢, A座 (required)
unit           单元, 单元号, unit                        2, 2单元 (optional)
room           室号, 房号, 室, 房间号, room               302, 302室 (optional)
floor          楼层, 层, floor                           needed only when the room is not 302-style
============  =======================================  ========================================

Each row names one address path; the deepest level given is the row's new address, and a building
or unit it passes through is reused when stored (or added by an earlier row), created otherwise. So a
developer's room list (one row per room) is enough.

The file is stored whole or not at all, like every import of the service (geo/io/importer.py): if
any row is refused, nothing is stored and the answer lists every refused row with its row number
(as the spreadsheet shows it, the header being row 1), the field and the reason. Rows are checked
by the same rules as the use cases (:class:`geo.addresses._plan.AddressPlan`).
"""

from __future__ import annotations

import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from geo.addresses._plan import AddressPlan
from geo.addresses._read import is_key
from geo.addresses.rules import clean_label, field_label
from geo.errors import DomainError, InputError, NotFound
from geo.messages import Term, as_term, at_row, quoted, text
from geo.spreadsheet import formula_unsafe
from geo.spreadsheet_rows import header_hint, read_csv_rows, read_xlsx_rows, refuse_cut_workbook
from geo.store import Store, schema
from geo.text import clean

MAX_ROWS = 50_000
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024  # the imports' cap on an .xlsx (geo.io.formats): a zip bomb stops here
MAX_MEMBERS = 10_000
HEADERS: dict[str, tuple[str, ...]] = {
    "plate_uid": ("门牌编号", "plate_uid"),
    "street_name": ("街路巷", "街路巷名称", "道路", "street_name", "street"),
    "number": ("门牌号", "号", "number"),
    "suffix": ("附号", "副号", "suffix"),
    "building": ("楼号", "楼", "幢号", "栋号", "building"),
    "unit": ("单元", "单元号", "unit"),
    "room": ("室号", "房号", "室", "房间号", "room"),
    "floor": ("楼层", "层", "floor"),
}


@dataclass(frozen=True)
class RefusedRow:
    """A row the import refused: its spreadsheet row number, the field and the reason."""

    row: int
    field: str | None
    message: str


def _key(header: Any) -> str:
    return unicodedata.normalize("NFKC", str(header)).strip().casefold()


def read_table(path: Path | str, *, name: str | None = None) -> pd.DataFrame:
    """Return the sheet (first worksheet of an .xlsx, or a UTF-8/GB 18030 CSV) as text cells, headers mapped;
    ``name``: the file as the officer named it, for a refusal (default: the file's own name)."""
    path = Path(path)
    shown = name or path.name
    if not path.is_file() or path.stat().st_size == 0:
        raise InputError(text("addresses.import_empty", field=field_label("file")), field="file")
    formulas: list[tuple[int, int, str]] = []
    if path.suffix.lower() == ".csv":
        raw = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                decoded = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise InputError(text("addresses.import_not_xlsx", field=field_label("file")), field="file")
        try:  # the rows keep the numbers a spreadsheet shows (geo.spreadsheet_rows)
            frame, file_rows = read_csv_rows(decoded)
        except (ValueError, pd.errors.ParserError):  # empty, or not a table
            raise InputError(text("addresses.import_not_xlsx", field=field_label("file")), field="file") from None
    else:
        try:  # an .xlsx is a zip: capped before openpyxl inflates it (the imports' own cap)
            with zipfile.ZipFile(path) as zf:
                members = zf.infolist()
        except (zipfile.BadZipFile, OSError):  # a cut download is a zip broken; a file of another kind is no .xlsx
            refuse_cut_workbook(path, name=shown)
            raise InputError(text("addresses.import_not_xlsx", field=field_label("file")), field="file") from None
        try:
            if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
                raise InputError(text("addresses.import_too_big", limit=MAX_UNZIPPED_BYTES // 2**20), field="file")
            frame, file_rows = read_xlsx_rows(path, name=shown,
                                              formulas_refused_by_caller=True)  # each refused by row (F2)
            formulas = _formula_cells(path)
        except (zipfile.BadZipFile, ValueError, KeyError, OSError, IndexError):
            raise InputError(text("addresses.import_not_xlsx", field=field_label("file")), field="file") from None
    hint = header_hint(frame)  # which row was read as the header, and the sheets not read (before the copy)
    frame = formula_unsafe(frame.replace({"": None}))
    wanted = {_key(h): field for field, names in HEADERS.items() for h in names}
    mapped = {c: wanted[_key(c)] for c in frame.columns if _key(c) in wanted}
    seen: dict[str, str] = {}
    for column, field in mapped.items():  # 楼号 and 楼, 室号 and 房号: which one? (the first was kept: review)
        if field in seen:
            from openpyxl.utils.cell import get_column_letter  # type: ignore[import-untyped]

            columns = list(frame.columns)
            raise InputError(text("addresses.import_same_field", first=quoted(seen[field]), second=quoted(column),
                                  letters=f"{get_column_letter(columns.index(seen[field]) + 1)}、"
                                          f"{get_column_letter(columns.index(column) + 1)}",
                                  field=field_label(field)), field="file")
        seen[field] = column
    field_at = {i: mapped[c] for i, c in enumerate(frame.columns) if c in mapped}
    formula_rows = [(row, field_at[col], formula) for row, col, formula in formulas if col in field_at]
    frame = frame[list(mapped)].rename(columns=mapped)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    if "building" not in frame.columns or not ({"plate_uid"} <= set(frame.columns)
                                                or {"street_name", "number"} <= set(frame.columns)):
        accepted = Term("；".join(f"{f}: {'/'.join(n)}" for f, n in HEADERS.items()),
                        "; ".join(f"{f}: {'/'.join(n)}" for f, n in HEADERS.items()))
        raise InputError(text("addresses.import_columns", columns=Term("楼号 + 门牌编号（或 街路巷 + 门牌号）",
                                                                       "building + plate_uid (or street_name + "
                                                                       "number)"),
                              header=hint, accepted=accepted), field="file")
    if len(frame) > MAX_ROWS:
        raise InputError(text("addresses.import_too_many", count=len(frame), limit=MAX_ROWS), field="file")
    if frame.dropna(how="all").empty:
        raise InputError(text("addresses.import_empty", field=field_label("file")), field="file")
    frame.attrs["formulas"] = formula_rows
    frame.attrs["rows"] = file_rows  # each record's row as the spreadsheet shows it
    return frame


def _formula_cells(path: Path) -> list[tuple[int, int, str]]:
    """Return the formula cells of the first worksheet: (sheet row, 0-based column, formula) (F2).

    pandas reads a formula cell as its cached value, and a file written by a script has none: the
    cell comes back empty and the row would be stored as something else (a room read as a unit).
    The import reads no formulas: each is refused by row instead.
    """
    import openpyxl  # type: ignore[import-untyped]

    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # the size a sheet states may be too small (A1: POI, EasyExcel): read every cell
        out = []
        for r, row in enumerate(sheet.iter_rows(), start=1):
            for c, cell in enumerate(row):
                if getattr(cell, "data_type", None) == "f":
                    row_number = getattr(cell, "row", None) or r
                    column = (getattr(cell, "column", None) or c + 1) - 1
                    out.append((int(row_number), int(column), str(cell.value)))
        return out
    finally:
        book.close()


def _cell(row: Mapping[str, Any], key: str) -> str | None:
    value = row.get(key)
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    shown = clean(str(value))
    return shown or None


def _plates_by_number(conn: sa.Connection, store: Store, streets: set[str]) -> dict[tuple[str, int, str], list[str]]:
    streets = {s for s in streets if is_key(s)}  # a NUL never reaches the database (PostgreSQL refuses it)
    if not streets:
        return {}
    p = schema.door_plates
    rows = conn.execute(sa.select(p.c.plate_uid, p.c.street_name, p.c.number, p.c.suffix)
                        .where(p.c.adcode == store.adcode, p.c.status == "active",
                               p.c.street_name.in_(sorted(streets)))).mappings()
    out: dict[tuple[str, int, str], list[str]] = {}
    for r in rows:
        out.setdefault((r["street_name"], int(r["number"]), r["suffix"] or ""), []).append(r["plate_uid"])
    return out


def _plate_of(row: Mapping[str, Any], by_number: Mapping[tuple[str, int, str], list[str]]) -> str:
    uid = _cell(row, "plate_uid")
    if uid:
        return uid.upper()
    street, number = _cell(row, "street_name"), _cell(row, "number")
    digits = (number or "").removesuffix("号")
    if street and number and not (digits.isascii() and digits.isdigit()):  # 十一, 11.5: the number is wrong (F3)
        raise InputError(text("printed_names.number_not_whole", field=field_label("number"),
                              street=quoted(street), value=quoted(number)), field="number")
    if street and not number:
        raise InputError(text("addresses.import_row_empty", field=field_label("number")), field="number")
    if not street or not digits.isdigit():
        raise InputError(text("addresses.import_row_empty", field=field_label("plate_uid")), field="plate_uid")
    found = by_number.get((street, int(digits), _cell(row, "suffix") or ""), [])
    if len(found) != 1:
        raise NotFound(text("addresses.no_plate", value=quoted(f"{street}{digits}号{_cell(row, 'suffix') or ''}"),
                            field=field_label("plate_uid")), field="plate_uid")
    return found[0]


def _plan_row(plan: AddressPlan, plate_uid: str, row: Mapping[str, Any], number: int) -> None:
    building, unit, room = _cell(row, "building"), _cell(row, "unit"), _cell(row, "room")
    if not building:
        if unit or room:
            raise InputError(text("addresses.import_unit_without_building", field=field_label("building")),
                             field="building")
        raise InputError(text("addresses.import_row_empty", field=field_label("building")), field="building")
    deepest = "room" if room else "unit" if unit else "building"
    b_label = clean_label("building", building)
    node = plan.find_child(f"plate:{plate_uid}", "building", b_label) if deepest != "building" else None
    if node is None:
        node = plan.add_building(plate_uid, b_label, row=number)
    if unit:
        u_label = clean_label("unit", unit)
        child = plan.find_child(node.key, "unit", u_label) if deepest == "room" else None
        node = child or plan.add_unit(node.key, u_label, row=number)
    if room:
        plan.add_room(node.key, room, _cell(row, "floor"), row=number)


def import_addresses(store: Store, path: Path | str, *, actor: str, source: str | None = None,
                     name: str | None = None) -> dict[str, Any]:
    """Import the file's buildings, units and rooms in one transaction; refuse it whole, listing every bad row.

    Returns the counts stored per level. Raises :class:`InputError` (400) whose ``details`` hold one
    line per refused row ("第 3 行：…") when any row is refused; nothing is stored then. ``name``: the upload's
    own name, which a refusal of the whole file names (the page stores it under another).
    """
    frame = read_table(path, name=name)
    records: list[dict[str, Any]] = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
    rows: list[int] = frame.attrs["rows"]
    refused: list[RefusedRow] = []
    with store.writing() as conn:
        streets = {s for s in (_cell(r, "street_name") for r in records) if s}
        by_number = _plates_by_number(conn, store, streets)
        plate_of: dict[int, str] = {}
        formula_rows = {row for row, _f, _v in frame.attrs.get("formulas", [])}
        for row_number, field, formula in frame.attrs.get("formulas", []):
            refused.append(RefusedRow(row_number, field, at_row(text(
                "printed_names.formula", field=field_label(field), value=quoted(formula, max_chars=30)),
                row_number)))
        for i, row in enumerate(records):
            if all(_cell(row, k) is None for k in HEADERS) or rows[i] in formula_rows:
                continue  # a row of other columns only, or one refused for its formula
            try:
                plate_of[i] = _plate_of(row, by_number)
            except DomainError as exc:
                refused.append(RefusedRow(rows[i], exc.field, at_row(exc.message, rows[i])))
        plan = AddressPlan(store, conn, plate_of.values())
        for i, row in enumerate(records):
            if i not in plate_of:
                continue
            try:
                _plan_row(plan, plate_of[i], row, rows[i])
            except DomainError as exc:
                refused.append(RefusedRow(rows[i], exc.field, at_row(exc.message, rows[i])))
        if refused:
            refused.sort(key=lambda r: r.row)
            more = " …" if len(refused) > 3 else ""
            terms = [as_term(r.message) for r in refused[:3]]
            listed = Term("；".join(terms) + more, "; ".join(t.en for t in terms) + more)
            raise InputError(text("addresses.import_refused", count=len(refused), rows=listed),
                             field=refused[0].field or "file", details=[r.message for r in refused])
        if not plan.new:
            raise InputError(text("addresses.import_empty", field=field_label("file")), field="file")
        stored = plan.records(actor=actor, source=source)
        store.insert("addresses", stored, actor=actor, conn=conn, note=source)
    counts = {level: sum(1 for r in stored if r["level"] == level) for level in ("building", "unit", "room")}
    return {"imported": len(stored), **counts}
