"""What a workbook's first sheet holds that pandas does not read: formulas without a trustworthy value, error values.

pandas reads the value Excel saved beside each formula. A workbook a program wrote and no one saved in Excel or WPS
has none (openpyxl: an empty ``<v>``; such cells read as blank: a row of them was dropped, a floor area stored as
none), or a placeholder the writer asks to be recomputed (XlsxWriter saves 0 and sets ``fullCalcOnLoad``: a floor
area stored as 0). An error value (a failed lookup's ``#N/A``) reads as blank too. Each is refused naming the cells.

The sheet's XML is searched as bytes, a megabyte at a time (it can inflate to hundreds of megabytes): a sheet with no
formula and no error value costs one pass of a regular expression; for each formula or error found, its cell is read
from around it, the sheet cut only between cells. A flagged cell without its ``r`` reference (allowed; rare), or
cells under another namespace prefix than the sheet's root, send the sheet to a whole parse.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from geo import messages as msg
from geo.errors import InputError

CHUNK_BYTES = 1 << 20
_LONGEST_TAG = 64  # a closing tag read partly by one read and partly by the next is found whole (a prefix is short)
_AFTER_NAME = (b" ", b"\t", b"\n", b"\r", b">", b"/")
_CELLS_NAMED = 5
_TEXT_TYPES = frozenset({b"str", b"s", b"inlineStr"})  # a formula's cached empty text is a value: ="" shows blank

_ROOT = re.compile(rb"<(?:([\w.-]+):)?worksheet[\s>/]")
_ERROR = re.compile(rb"""\st\s*=\s*(["'])e\1""")
_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(["'])(.*?)\2""", re.S)
_FULL_CALC = re.compile(rb"""fullCalcOnLoad\s*=\s*(["'])(?:1|true)\1""")


class Named:
    """The cells a refusal counts, the first few of them kept to be named ("「B3」、「D3」…")."""

    def __init__(self) -> None:
        self.count = 0
        self.first: list[str] = []

    def add(self, cell: str) -> None:
        """Count ``cell``; keep it to be named if it is among the first few."""
        self.count += 1
        if len(self.first) < _CELLS_NAMED:
            self.first.append(cell)

    def term(self) -> msg.Term:
        """Return the cells kept, as a refusal names them."""
        more = "…" if self.count > len(self.first) else ""
        shown = [msg.quoted(name) for name in self.first]
        return msg.Term("、".join(shown) + more, ", ".join(shown) + more)


def refuse_cells_without_values(workbook: Any, sheet: str | None, *, formulas: bool = True) -> None:
    """Refuse the sheet ``sheet`` of openpyxl's read-only ``workbook`` where a formula has no trustworthy value or a
    cell holds an error value (see the module); ``formulas`` False: error values only (the caller refuses every
    formula itself)."""
    if sheet is None:
        return
    part = getattr(workbook[sheet], "_worksheet_path", None)
    archive = getattr(workbook, "_archive", None)
    if part is None or archive is None:  # not openpyxl's read-only workbook: nothing to scan
        return
    recalculated = formulas and _asks_recalculation(archive)
    found = {kind: Named() for kind in _REFUSALS}
    try:
        for cell in _flagged_cells(archive, part, formulas=formulas):
            kind = _refusal(cell.kind, formula=cell.formula, value=cell.value, recalculated=recalculated)
            if kind is None:
                continue
            if cell.ref is None:
                raise _ParseWhole
            found[kind].add(f"{cell.ref} {cell.value}" if kind == "error" and cell.value else cell.ref)
    except _ParseWhole:  # a flagged cell without its reference, or cells under another prefix than the sheet's
        found = _by_full_parse(archive, part, formulas=formulas, recalculated=recalculated)
    for kind, key in _REFUSALS.items():
        if found[kind].count:
            raise InputError(msg.text(key, count=found[kind].count, cells=found[kind].term()), field="file")


# What a cell is refused for, in the order the refusals are given, and the message of each.
_REFUSALS = {"unsaved": "spreadsheet_rows.formula_without_value",
             "placeholder": "spreadsheet_rows.formula_recalculated", "error": "spreadsheet_rows.error_value"}


def _refusal(kind: bytes, *, formula: bool, value: str | None, recalculated: bool) -> str | None:
    """Return what a cell is refused for (a key of :data:`_REFUSALS`), or None: an error value; a formula without a
    value (blank text, ``t="str"``, is one); a formula whose value is a placeholder in a workbook to be recalculated."""
    if kind == b"e":
        return "error"
    if not formula:
        return None
    if not value and kind not in _TEXT_TYPES:
        return "unsaved"
    return "placeholder" if recalculated else None


class _ParseWhole(Exception):
    """The sheet cannot be read from around its formulas: parse it whole (:func:`_by_full_parse`)."""


# The main namespace bound to a prefix (or as the default) anywhere in the sheet.
_MAIN_BINDING = re.compile(rb"""xmlns(?::([\w.-]+))?\s*=\s*(["'])http://schemas\.openxmlformats\.org/"""
                           rb"""spreadsheetml/2006/main\2""")


class _Cell:
    __slots__ = ("error", "formula", "kind", "ref", "value")

    def __init__(self, *, ref: str | None, kind: bytes, formula: bool, value: str | None) -> None:
        self.ref, self.kind, self.formula, self.value = ref, kind, formula, value
        self.error = kind == b"e"


def _asks_recalculation(archive: Any) -> bool:
    """Return whether the workbook asks to be recomputed when opened (``fullCalcOnLoad``): its writer saved
    placeholders, not values."""
    part = workbook_part(archive)
    return part is not None and _FULL_CALC.search(archive.read(part)) is not None


def workbook_part(archive: Any) -> str | None:
    """Return the archive's workbook part as openpyxl finds it, through ``[Content_Types].xml`` (the part it reads;
    any member called workbook.xml, or the relationships' target read by hand, let a decoy be checked instead:
    reviews), or None when it finds none."""
    from openpyxl.packaging.manifest import Manifest  # type: ignore[import-untyped]
    from openpyxl.reader.excel import _find_workbook_part  # type: ignore[import-untyped]
    from openpyxl.xml.constants import ARC_CONTENT_TYPES  # type: ignore[import-untyped]
    from openpyxl.xml.functions import fromstring  # type: ignore[import-untyped]

    try:
        part = _find_workbook_part(Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES))))
    except (KeyError, OSError, SyntaxError, TypeError, ValueError):
        return None
    name = str(part.PartName).lstrip("/")
    return name if name in archive.namelist() else None


def _chunks(archive: Any, part: str) -> Iterator[tuple[bytes, bytes]]:
    """Yield the member ``part`` cut between cells (:func:`_cut`), each piece with the prefix its cells' tags carry
    (``x:`` for ``<x:c>``; none when the main namespace is the default one). What is held over to the next read
    grows in place: a sheet with no place to cut (one huge cell) is read in linear time."""
    with archive.open(part) as stream:
        buffer = bytearray()
        prefix: bytes | None = None
        while chunk := stream.read(CHUNK_BYTES):
            buffer += chunk
            if prefix is None:
                root = _ROOT.search(buffer)
                if root is None and len(buffer) < 4 * CHUNK_BYTES:
                    continue
                prefix = (root.group(1) + b":") if root is not None and root.group(1) else b""
            cut = _cut(buffer, prefix, since=max(0, len(buffer) - len(chunk) - _LONGEST_TAG))
            if cut is None:
                continue
            yield prefix, bytes(buffer[:cut])
            del buffer[:cut]
        if buffer:
            yield prefix or b"", bytes(buffer)


def _cut(buffer: bytearray, prefix: bytes, *, since: int) -> int | None:
    """Return the last place in ``buffer`` between two cells (after ``</c>``, ``</row>``, or a self-closing cell or
    row: never inside a cell, where ``<v/>`` closes too) at or after ``since``, or None."""
    best = -1
    for end in (b"</" + prefix + b"c>", b"</" + prefix + b"row>"):
        found = buffer.rfind(end, since)
        if found >= 0:
            best = max(best, found + len(end))
    closing = buffer.rfind(b"/>", since)
    if closing >= 0 and closing + 2 > best:
        opening = buffer.rfind(b"<", 0, closing)
        if opening >= 0 and any(_names(buffer, opening + 1, prefix + name) for name in (b"c", b"row")):
            best = closing + 2
    return best if best >= 0 else None


def _names(buffer: bytearray | bytes, at: int, name: bytes) -> bool:
    """Return whether the tag whose name starts at ``at`` is ``name`` (not a longer name beginning so)."""
    return buffer[at:at + len(name)] == name and buffer[at + len(name):at + len(name) + 1] in _AFTER_NAME


_NOT_MARKUP = re.compile(rb"<!\[CDATA\[|<!--|<\?(?!xml[\s?])")  # the XML declaration aside


def _flagged_cells(archive: Any, part: str, *, formulas: bool) -> Iterator[_Cell]:
    """Yield each cell of the sheet that holds a formula (when ``formulas``) or is of the error type."""
    patterns: dict[bytes, re.Pattern[bytes]] = {}
    for prefix, piece in _chunks(archive, part):
        if any((b.group(1) or b"") + (b":" if b.group(1) else b"") != prefix for b in _MAIN_BINDING.finditer(piece)):
            raise _ParseWhole  # <x:c> in a sheet whose root is <worksheet>, or the other way round (review)
        if _NOT_MARKUP.search(piece):  # CDATA, a comment or an instruction may hold "<f>" as text (Excel writes
            raise _ParseWhole            # none of them in a sheet; another program might): the parser tells
        formula = patterns.setdefault(prefix, re.compile(b"<" + re.escape(prefix) + rb"f[\s>/]"))
        hits = [(m.start(), True) for m in _ERROR.finditer(piece)]
        if formulas:
            hits += [(m.start(), False) for m in formula.finditer(piece)]
        done: set[int] = set()
        for hit, in_tag in sorted(hits):
            start = _cell_start(piece, prefix, hit)
            if start is None or start in done:
                continue
            cell = _read_cell(piece, prefix, start, formula, hit=hit, in_tag=in_tag)
            if cell is not None:
                done.add(start)
                yield cell


def _cell_start(piece: bytes, prefix: bytes, at: int) -> int | None:
    """Return where the cell around position ``at`` starts (cells do not nest; text holds no ``<``)."""
    opening = b"<" + prefix + b"c"
    end = at + 1
    while (found := piece.rfind(opening, 0, end)) >= 0:
        if _names(piece, found + 1, prefix + b"c"):
            return found
        end = found  # <col…>, <cfRule…>: another element's tag
    return None


def _read_cell(piece: bytes, prefix: bytes, start: int, formula: re.Pattern[bytes], *, hit: int,
               in_tag: bool) -> _Cell | None:
    """Return the cell starting at ``start``, or None when the ``hit`` that led to it is not the cell's own (an
    error type in another element's tag, a formula after the cell's end)."""
    tag_end = piece.find(b">", start)
    if tag_end < 0:
        return None
    tag = piece[start:tag_end + 1]
    if tag.endswith(b"/>"):
        close, body = tag_end, b""
    else:
        close = piece.find(b"</" + prefix + b"c>", tag_end)
        close = len(piece) if close < 0 else close
        body = piece[tag_end + 1:close]
    if not (start < hit < tag_end if in_tag else tag_end < hit < close):
        return None
    attributes = {name: value for name, _q, value in _ATTRIBUTE.findall(tag)}
    escaped = re.escape(prefix)
    value_tag = re.search(b"<" + escaped + rb"v(?:\s[^>]*)?>(.*?)</" + escaped + b"v>", body, re.S)
    value = html.unescape(value_tag.group(1).decode("utf-8", "replace")) if value_tag else None
    ref = attributes.get(b"r")
    return _Cell(ref=ref.decode("utf-8", "replace") if ref else None, kind=attributes.get(b"t", b"n"),
                 formula=formula.search(body) is not None, value=value)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _by_full_parse(archive: Any, part: str, *, formulas: bool, recalculated: bool) -> dict[str, Named]:
    """Return the cells to refuse, named by their place where a cell carries no reference (rows and cells without
    ``r`` follow the one before, as Excel and openpyxl read them)."""
    from openpyxl.utils.cell import (  # type: ignore[import-untyped]
        column_index_from_string,
        coordinate_from_string,
        get_column_letter,
    )

    found = {kind: Named() for kind in _REFUSALS}
    row_number, column = 0, 0
    with archive.open(part) as stream:
        for event, element in ET.iterparse(stream, events=("start", "end")):
            tag = _local(element.tag)
            if event == "start":
                if tag == "row":
                    row_number = int(element.get("r") or row_number + 1)
                    column = 0
                continue
            if tag == "row":
                element.clear()
            if tag != "c":
                continue
            ref = element.get("r")
            if ref:
                letters, _row = coordinate_from_string(ref)
                column = column_index_from_string(letters)
            else:
                column += 1
                ref = f"{get_column_letter(column)}{row_number}"
            children = {_local(child.tag): child for child in element}
            value = children["v"].text if "v" in children else None
            refused = _refusal(element.get("t", "n").encode(), formula=formulas and "f" in children, value=value,
                               recalculated=recalculated)
            if refused is not None:
                found[refused].add(f"{ref} {value}" if refused == "error" and value else ref)
            element.clear()
    return found
