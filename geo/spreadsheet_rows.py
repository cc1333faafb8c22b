"""Read a CSV or XLSX table so that each record keeps the row a spreadsheet shows it on.

An officer reads a refusal's "第 n 行" in Excel or WPS. There the header is row 1 (or lower, under blank rows left
above it), each record is a row, and a blank row is a row too. pandas skips blank lines of a CSV (so every later
record was named a row too early) and takes a blank first line for the header (so a file with one was refused as
having no columns). Here blank rows above the header are passed over, blank rows among the records (cells empty or
only spaces, or ``,,,`` as Excel leaves after formatted cells) are dropped, and the rest keep their numbers.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo import messages as msg
from geo.errors import InputError

# The standard library's reader refuses a cell over 131,072 characters by default; a WKT cell of a district's outline
# in a CSV export is longer (pandas read it). Set once for the process: a per-call change would race between threads.
MAX_CELL_CHARS = 1 << 30
csv.field_size_limit(MAX_CELL_CHARS)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or (
        isinstance(value, str) and not value.strip())


def blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Return, per row of ``frame``, whether every cell is empty (None, NaN, or text of spaces only).

    Only rows whose first cell is empty are looked at whole: a table of tens of thousands of plates has few."""
    out = np.zeros(len(frame), dtype=bool)
    if frame.empty or not len(frame.columns):
        return out
    values = frame.to_numpy(dtype=object)
    for i in np.flatnonzero([_is_blank(v) for v in values[:, 0]]):
        out[i] = all(_is_blank(v) for v in values[i])
    return out


def _column_names(header: list[str], *, header_row: int) -> list[str]:
    """Return a header's cells as column names, trimmed ("kind " in Excel is the column kind), an empty one
    ``Unnamed: j`` as pandas names it. A name given twice is refused naming both columns as the spreadsheet letters
    them: pandas read the second as ``name.1`` and listed it as ignored, so the import took one of two columns the
    officer may have meant silently (review)."""
    names: list[str] = []
    for j, cell in enumerate(header):
        name = cell.strip() or f"Unnamed: {j}"
        if name in names:
            from openpyxl.utils.cell import get_column_letter  # type: ignore[import-untyped]

            raise InputError(msg.text("spreadsheet_rows.duplicate_header", row=header_row, name=msg.quoted(name),
                                      first=get_column_letter(names.index(name) + 1), second=get_column_letter(j + 1)),
                             field="file")
        names.append(name)
    return names


def _header_and_records(table: list[list[str]]) -> tuple[int, list[str], list[tuple[int, list[str]]]] | None:
    """Find the header of ``table`` (CSV records, one per spreadsheet row): the first row with a cell not blank.

    Return its spreadsheet row, its cells, and each row below it that is not blank with its spreadsheet row; None
    when every row is blank. The one reading of a CSV table's rows for the layer import and the settings tables."""
    above = next((i for i, cells in enumerate(table) if not all(_is_blank(c) for c in cells)), len(table))
    if above == len(table):
        return None
    records = [(i + 1, table[i]) for i in range(above + 1, len(table)) if not all(_is_blank(c) for c in table[i])]
    return above + 1, table[above], records


def read_csv_rows(content: str) -> tuple[pd.DataFrame, list[int]]:
    """Read CSV ``content`` (cells as text, blanks as ``""``); return the records and each one's spreadsheet row.

    A record with more cells than the header is refused naming its row, unless the cells past the header are empty
    (a trailing comma): pandas made the first column the index and shifted every cell (a longitude read as a
    latitude), or failed with a parser error (review). A text without a header raises
    :class:`pandas.errors.EmptyDataError`, as pandas does."""
    # one record per spreadsheet row: a blank line is [], a row too; a quoted line break stays inside its cell
    found = _header_and_records(list(csv.reader(io.StringIO(content))))
    if found is None:
        raise pd.errors.EmptyDataError("No columns to parse from file")
    header_row, header, records = found
    names = _column_names(header, header_row=header_row)
    width = len(names)
    for row, cells in records:
        if any(not _is_blank(c) for c in cells[width:]):
            raise InputError(msg.text("spreadsheet_rows.extra_cells", row=row, cells=len(cells), header=width),
                             field="file")
    frame = pd.DataFrame([cells[:width] + [""] * (width - len(cells)) for _, cells in records], columns=names,
                         dtype=str)
    frame.attrs["header_row"] = header_row  # for a refusal naming a column the header lacks
    return frame, [row for row, _ in records]


def read_xlsx_rows(path: Path | str) -> tuple[pd.DataFrame, list[int]]:
    """Read the first worksheet of ``path`` (cells as text); return the records and each one's spreadsheet row.

    pandas' errors (not a workbook, say) pass through for the caller to word."""
    import openpyxl  # type: ignore[import-untyped]

    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        above, header = next(((i, cells) for i, cells in enumerate(book.worksheets[0].iter_rows(values_only=True))
                              if not all(_is_blank(v) for v in cells)), (0, ()))  # blank rows above the header
        sheets = list(book.sheetnames)
    finally:
        book.close()
    frame = pd.read_excel(path, dtype=str, keep_default_na=False, header=above)
    names = _column_names(["" if v is None else str(v) for v in header], header_row=above + 1)
    frame.columns = names[:len(frame.columns)] + [f"Unnamed: {j}" for j in range(len(names), len(frame.columns))]
    keep = ~blank_rows(frame)
    out = frame[keep].reset_index(drop=True)
    out.attrs.update(header_row=above + 1, sheets=sheets)  # for a refusal naming a column the header lacks
    return out, [above + 2 + int(i) for i in np.flatnonzero(keep)]


def header_hint(frame: pd.DataFrame) -> msg.Term:
    """Return, for a refusal naming a column a table lacks, which row was read as its header with the names found
    there, and for a workbook of several sheets that only the first is read: a title row merged above the header,
    or the data on the second sheet, was otherwise refused as "no x column" with nothing to say why. Empty for a
    table not read here."""
    if "header_row" not in frame.attrs:
        return msg.Term("", "")
    names = [str(c) for c in frame.columns if not str(c).startswith("Unnamed: ")]
    shown = "、".join(msg.quoted(n[:30]) for n in names[:8]) + ("…" if len(names) > 8 else "")
    hint = msg.as_term(msg.text("spreadsheet_rows.header_hint", row=frame.attrs["header_row"],
                                columns=shown or "—"))
    sheets = frame.attrs.get("sheets") or []
    if len(sheets) > 1:
        more = msg.as_term(msg.text("spreadsheet_rows.first_sheet_only", first=msg.quoted(sheets[0]),
                                    others="、".join(msg.quoted(s) for s in sheets[1:6])))
        hint = msg.Term(hint + more, hint.en + more.en)
    return hint


def csv_records(text: str) -> list[tuple[int, dict[str, str]]]:
    """Return each record of CSV ``text`` as its spreadsheet row and its cells by (trimmed) header, blank rows
    skipped (the standard library's reader alone: for the small settings tables read where pandas is not)."""
    found = _header_and_records(list(csv.reader(io.StringIO(text))))
    if found is None:
        return []
    _, header, records = found
    names = [cell.strip() for cell in header]
    return [(row, dict(zip(names, cells, strict=False))) for row, cells in records]
