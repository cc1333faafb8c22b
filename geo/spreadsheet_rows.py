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
import lzma
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo import messages as msg
from geo.errors import InputError
from geo.spreadsheet_cells import refuse_cells_without_values, workbook_part

# The standard library's reader refuses a cell over 131,072 characters by default; a WKT cell of a district's outline
# in a CSV export is longer (pandas read it). Set once for the process: a per-call change would race between threads.
MAX_CELL_CHARS = 1 << 30
csv.field_size_limit(MAX_CELL_CHARS)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or (
        isinstance(value, str) and not value.strip())


# Characters a header cell may carry that no one sees in Excel: byte-order marks (a second one after the file's
# own), zero-width spaces and joiners, the word joiner.
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060"), None)


def _column_names(header: list[str], *, header_row: int) -> list[str]:
    """Return a header's cells as column names, trimmed ("kind " in Excel is the column kind) and without invisible
    characters, an empty one ``Unnamed: j`` as pandas names it. A name given twice, in any case (the coordinate
    columns are found in any case), is refused naming both columns as the spreadsheet letters them: pandas read the
    second as ``name.1`` and listed it as ignored, so the import took one of two columns the officer may have meant
    silently (review)."""
    names: list[str] = []
    keys: list[str] = []
    for j, cell in enumerate(header):
        name = cell.translate(_INVISIBLE).strip() or f"Unnamed: {j}"
        if name.casefold() in keys:
            from openpyxl.utils.cell import get_column_letter  # type: ignore[import-untyped]

            first = keys.index(name.casefold())
            raise InputError(msg.text("spreadsheet_rows.duplicate_header", row=header_row,
                                      name=msg.quoted(f"{names[first]}、{name}" if names[first] != name else name),
                                      first=get_column_letter(first + 1), second=get_column_letter(j + 1)),
                             field="file")
        names.append(name)
        keys.append(name.casefold())
    return names


def _checked_records(table: list[list[str]]) -> tuple[int, list[str], list[tuple[int, list[str]]]] | None:
    """Return ``table``'s header row, its column names and its records (each with its spreadsheet row, as wide as
    the header), or None when every row is blank; refuse a header naming a column twice and a record with more
    cells than the header (unless the cells past it are empty: a trailing comma), naming its row. pandas made the
    first column the index and shifted every cell (a longitude read as a latitude), or failed with a parser error
    (review)."""
    found = _header_and_records(table)
    if found is None:
        return None
    header_row, header, records = found
    names = _column_names(header, header_row=header_row)
    width = len(names)
    for row, cells in records:
        if any(not _is_blank(c) for c in cells[width:]):
            raise InputError(msg.text("spreadsheet_rows.extra_cells", row=row, cells=len(cells), header=width),
                             field="file")
    return header_row, names, [(row, cells[:width] + [""] * (width - len(cells))) for row, cells in records]


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
    """Read CSV ``content`` (cells as text, blanks as ``""``); return the records and each one's spreadsheet row
    (:func:`_checked_records`). A text without a header raises :class:`pandas.errors.EmptyDataError`, as pandas
    does."""
    # one record per spreadsheet row: a blank line is [], a row too; a quoted line break stays inside its cell
    checked = _checked_records(list(csv.reader(io.StringIO(content))))
    if checked is None:
        raise pd.errors.EmptyDataError("No columns to parse from file")
    header_row, names, records = checked
    frame = pd.DataFrame([cells for _, cells in records], columns=names, dtype=str)
    frame.attrs["header_row"] = header_row  # for a refusal naming a column the header lacks
    return frame, [row for row, _ in records]


def read_xlsx_rows(path: Path | str, *, name: str | None = None,
                   formulas_refused_by_caller: bool = False) -> tuple[pd.DataFrame, list[int]]:
    """Read the first worksheet of ``path`` (cells as text, formulas as the values Excel shows); return the records
    and each one's spreadsheet row. A formula without a saved value, or an error value, is refused naming the cells
    (:mod:`geo.spreadsheet_cells`); ``formulas_refused_by_caller``: the caller refuses every formula itself,
    naming its row and field (the address import, F2), so only error values are refused here. A workbook broken
    inside its zip is refused naming the file (``name``: as the officer named it; default: the file's own name).

    The sheet is read whole by pandas (header and all, as rows), then the header found as in a CSV: openpyxl's
    read-only mode trusts the size a sheet says it has, which streaming writers set too small (``A1``), and read a
    header cell's formula, not its value (review: columns past the stated size were dropped without a word).
    pandas' errors (not a workbook, say) pass through for the caller to word."""
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:  # not by its parts' names: xl/book.xml is a workbook
            sheets = [(name, getattr(book.book[name], "sheet_state", "visible") != "visible")
                      for name in book.sheet_names]
            if _is_strict(book.book):  # openpyxl reads no sheet of it, or no cell (pandas: "0 worksheets found")
                raise InputError(msg.text("spreadsheet_rows.strict_ooxml"), field="file")
            if sheets and sheets[0][1]:  # an officer never sees a hidden first sheet: refuse, do not read it (review)
                raise InputError(msg.text("spreadsheet_rows.hidden_first_sheet", sheet=msg.quoted(sheets[0][0])),
                                 field="file")
            refuse_cells_without_values(book.book, str(sheets[0][0]) if sheets else None,
                                        formulas=not formulas_refused_by_caller)
            raw = pd.read_excel(book, sheet_name=0, header=None, dtype=str, keep_default_na=False)
    except Exception as exc:
        if not is_broken_workbook(exc):
            raise
        raise InputError(msg.text("spreadsheet_rows.broken_sheet", name=msg.quoted(name or Path(path).name)),
                         field="file") from None
    raw = raw.fillna("").astype(str)  # by column, not cell by cell: a sheet of 34,710 plates
    raw = raw.apply(_day_only)
    blank = raw.apply(lambda column: column.str.strip().eq("")).all(axis=1).to_numpy() if raw.shape[1] else \
        np.ones(len(raw), dtype=bool)
    filled = np.flatnonzero(~blank)
    if not len(filled):
        out = pd.DataFrame()
        out.attrs.update(header_row=1, sheets=sheets)
        return out, []
    above = int(filled[0])  # the header: the first row with a cell not blank (blank rows above it passed over)
    names = _column_names(raw.iloc[above].tolist(), header_row=above + 1)
    kept = filled[1:]
    out = raw.iloc[kept].reset_index(drop=True)
    out.columns = names
    out.attrs.update(header_row=above + 1, sheets=sheets)  # for a refusal naming a column the header lacks
    return out, [int(i) + 1 for i in kept]


_STRICT_NAMESPACE = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
# What a workbook broken inside its zip raises as it is read (reviews: each was a 500, or English): ElementTree's
# ParseError and lxml's XMLSyntaxError (SyntaxError), zlib's and lzma's errors, a bad CRC or a cut archive
# (BadZipFile, EOFError), a part missing (KeyError), a shared string or sheet index past its table (IndexError,
# ValueError: "0 worksheets found").
_BROKEN = (SyntaxError, zlib.error, lzma.LZMAError, zipfile.BadZipFile, EOFError, KeyError, IndexError, ValueError)


def is_broken_workbook(exc: BaseException) -> bool:
    """Return whether ``exc``, raised reading a workbook, says the workbook is broken inside (not the program, not
    the machine): besides :data:`_BROKEN`, a compression method or an encryption zipfile cannot read, and an
    ``OSError`` a library raised (bzip2's "Invalid data stream", openpyxl's "no valid workbook part") rather than the
    system (those carry an errno: a missing file, a full disc)."""
    if isinstance(exc, _BROKEN):
        return True
    if isinstance(exc, NotImplementedError):
        return "compression" in str(exc)
    if isinstance(exc, RuntimeError) and not isinstance(exc, RecursionError):
        return "encrypted" in str(exc)
    return isinstance(exc, OSError) and exc.errno is None


def refuse_cut_workbook(path: Path, *, name: str) -> None:
    """Refuse, naming the file, a file that zipfile cannot open but that begins as a zip: a workbook cut short (a
    download stopped half-way) is broken, to be saved again, not a file of another kind (the caller says that)."""
    with path.open("rb") as head:
        if head.read(4) == b"PK\x03\x04":
            raise InputError(msg.text("spreadsheet_rows.broken_sheet", name=msg.quoted(name)), field="file")


def _is_strict(workbook: Any) -> bool:
    """Return whether the workbook is Strict Open XML (Excel's "Strict Open XML Spreadsheet"), which openpyxl reads
    as holding no sheet (or sheets without cells)."""
    archive = getattr(workbook, "_archive", None)
    if archive is None:
        return False
    part = workbook_part(archive)
    return part is not None and _STRICT_NAMESPACE in archive.read(part)[:4096]


# A day Excel holds as a date reads "2024-01-02 00:00:00" as text; the officer sees 2024-01-02.
_MIDNIGHT = " 00:00:00"


def _day_only(column: pd.Series) -> pd.Series:
    """Return ``column`` with a date cell at midnight as the day Excel shows ("2024-01-02")."""
    at_midnight = column.str.endswith(_MIDNIGHT)
    if not at_midnight.any():
        return column
    return column.where(~at_midnight, column.str.slice(stop=-len(_MIDNIGHT)))


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
        def named(sheet: tuple[str, bool]) -> msg.Term:
            shown = msg.quoted(sheet[0])
            return msg.Term(f"{shown}（隐藏）", f"{shown} (hidden)") if sheet[1] else msg.Term(shown, shown)

        others = [named(sheet) for sheet in sheets[1:6]]
        rest = msg.Term(f" 等共 {len(sheets) - 1} 个", f" and {len(sheets) - 6} more") if len(sheets) > 6 \
            else msg.Term("", "")
        more = msg.as_term(msg.text("spreadsheet_rows.first_sheet_only", first=named(sheets[0]),
                                    others=msg.Term("、".join(others) + rest, ", ".join(o.en for o in others)
                                                    + rest.en)))
        hint = msg.Term(hint + more, hint.en + more.en)
    return hint


def csv_records(text: str) -> list[tuple[int, dict[str, str]]]:
    """Return each record of CSV ``text`` as its spreadsheet row and its cells by (trimmed) header, blank rows
    skipped, refused as the layer import refuses (:func:`_checked_records`): the standard library's reader alone,
    for the small settings tables read where pandas is not."""
    checked = _checked_records(list(csv.reader(io.StringIO(text))))
    if checked is None:
        return []
    _, names, records = checked
    return [(row, dict(zip(names, cells, strict=True))) for row, cells in records]
