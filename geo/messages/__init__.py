"""One catalogue of what users read: every message Chinese first, English beside it.

Each module of this package holds the messages of one part of the service as ``MESSAGES``, a
mapping from a key to a :class:`Message`; the key starts with the module's name
(``placenames.required`` lives in ``geo/messages/placenames.py``). The package finds its parts by
itself, so adding a part edits no shared file. :func:`text` renders one message as users see it::

    text("common.required", field=label("standard_name"))
    → "缺少必填字段 标准名称 standard_name · 标准名称 standard_name is required"

Placeholders are ``str.format`` fields and must be the same in both languages (tests check it).
A field is named by :func:`label` (its Chinese label beside the internal name, from
``geo/messages/field_names.py``), a stored value such as a lifecycle state by :func:`value_label`;
a rule ID (``PN-00``) leads the message of the rule it cites.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from string import Formatter
from typing import Any

from geo.text import cut

SEPARATOR = " · "
BEIJING = timezone(timedelta(hours=8), "UTC+8")  # China Standard Time: the time every user reads


@dataclass(frozen=True)
class Message:
    """One message in both languages; ``zh`` is shown first."""

    zh: str
    en: str

    def fields(self, language: str) -> frozenset[str]:
        """Return the placeholder names used in ``language`` (``"zh"`` or ``"en"``)."""
        template = self.zh if language == "zh" else self.en
        return frozenset(name for _, name, _, _ in Formatter().parse(template) if name)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Message]:
    """Return every message of every part, keyed; a key outside its part's name is refused."""
    merged: dict[str, Message] = {}
    for info in pkgutil.iter_modules(__path__):
        part = importlib.import_module(f"{__name__}.{info.name}")
        for key, message in getattr(part, "MESSAGES", {}).items():
            if not key.startswith(f"{info.name}."):
                raise ValueError(f"message key {key!r} must start with {info.name!r}.")
            merged[key] = message
    return merged


class Term(str):
    """A field or value named in both languages: the string is the Chinese form, ``en`` the English.

    :func:`text` fills the Chinese half with the string and the English half with ``en``, so a
    message reads "缺少必填字段 标准名称 standard_name · standard_name is required".
    """

    en: str

    def __new__(cls, zh: str, en: str) -> Term:
        term = super().__new__(cls, zh)
        term.en = en
        return term


class TableRow(int):
    """A feature's row in a GeoPackage, named as QGIS shows it where the plain count would mislead: a row of one table
    of several (an export split by kind of geometry, ``facilities_points`` and ``facilities_polygons``), and a feature
    whose ``fid`` is not its row (features deleted or added in QGIS leave the ids apart from the rows).

    The int is its place in the whole file (records are counted and ordered by it); messages name the table's own
    feature number, the table and the fid (:func:`at_row` and :func:`row_zh`: "图层 「facilities_polygons」 第 3 行"
    · "row 3 of layer 「facilities_polygons」", "第 3 行（fid 8）" · "row 3 (fid 8)", and so does a catalogue message
    with the row inside, "第 {row} 行的坐标…", through :func:`text`), where the 225th feature of the file was named
    "第 225 行", a row no table has."""

    number: int
    table: str | None
    fid: int | None
    fid_column: str  # the GeoPackage's own name for its fid column, as QGIS heads it ("fid"; an ArcGIS "OBJECTID")

    def __new__(cls, position: int, *, number: int, table: str | None = None, fid: int | None = None,
                fid_column: str = "fid") -> TableRow:
        row = super().__new__(cls, position)
        row.number, row.table, row.fid, row.fid_column = number, table, fid, fid_column
        return row

    def __format__(self, spec: str) -> str:
        if spec:
            return format(int(self), spec)
        return f"{self.number}" + (f"（图层 {quoted(self.table)}）" if self.table else "") + self.fid_zh

    def __str__(self) -> str:
        return format(self, "")

    @property
    def en(self) -> str:
        """The row as the English half of a message names it."""
        return (f"{self.number}" + (f" of layer {quoted(self.table)}" if self.table else "")
                + (f" ({self.fid_column} {self.fid})" if self.fid is not None else ""))

    @property
    def layer_zh(self) -> str:
        """What a Chinese half names before "第 3 行": "图层 「facilities_polygons」 " (none for a lone table)."""
        return f"图层 {quoted(self.table)} " if self.table else ""

    @property
    def fid_zh(self) -> str:
        """What a Chinese half names after "第 3 行": "（fid 8）" (nothing where the fid is the row)."""
        return f"（{self.fid_column} {self.fid}）" if self.fid is not None else ""


def row_zh(row: object) -> str:
    """Return a file row as a Chinese half names it ("第 3 行"; a :class:`TableRow` "图层 「x」 第 3 行（fid 8）"), for
    a message built outside :func:`text`."""
    return f"{row.layer_zh}第 {row.number} 行{row.fid_zh}" if isinstance(row, TableRow) else f"第 {row} 行"


def row_en(row: object) -> object:
    """Return a file row as an English half names it (a :class:`TableRow` with its table; a number as it is), for
    a message built outside :func:`text`."""
    return row.en if isinstance(row, TableRow) else row


def _english(params: dict[str, Any]) -> dict[str, Any]:
    return {name: value.en if isinstance(value, Term | TableRow) else value for name, value in params.items()}


def _chinese(template: str, params: dict[str, Any]) -> str:
    """Return the Chinese half's template with a :class:`TableRow` inside "第 {row} 行" named after its table first and
    its fid after, "{row.layer_zh}第 {row.number} 行{row.fid_zh}" (it read "第 3（图层 「x」） 行…")."""
    for name, value in params.items():
        if isinstance(value, TableRow):
            before, number, after = f"{{{name}.layer_zh}}", f"{{{name}.number}}", f"{{{name}.fid_zh}}"
            template = template.replace(f"第 {{{name}}} 行", f"{before}第 {number} 行{after}")
            template = template.replace(f"第 {{{name}}}", f"{before}第 {number}{after}")
    return template


def text(key: str, /, **params: Any) -> str:
    """Return message ``key`` with ``params`` filled in: Chinese, the separator, English."""
    message = catalogue()[key]
    return f"{_chinese(message.zh, params).format(**params)}{SEPARATOR}{message.en.format(**_english(params))}"


def as_term(message: str) -> Term:
    """Return a rendered message as a :class:`Term`, to nest it in another (``common.row``'s ``problem``)."""
    zh_half, _, en_half = message.partition(SEPARATOR)
    return Term(zh_half, en_half or zh_half)


def in_beijing(moment: datetime) -> datetime:
    """Return a stored moment (UTC; a naive one is read as UTC, as the store keeps them) in Beijing time.

    Raises ``OverflowError`` past 9999-12-31 16:00 UTC (no Beijing time a datetime can hold)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(BEIJING)


def has_beijing_time(moment: datetime) -> bool:
    """Return whether a moment can be stored (in UTC; a naive one is read as UTC) and shown (in Beijing time):
    from 0001-01-01 00:00 UTC to 9999-12-31 15:59:59.999999 UTC. Restores and field records refuse others."""
    try:
        in_beijing(moment.astimezone(UTC) if moment.tzinfo else moment)  # UTC first: year 0 there is no moment
    except (OverflowError, ValueError):
        return False
    return True


def beijing_minute(moment: datetime) -> str:
    """Return a stored moment (UTC) as Beijing's ``YYYY-MM-DD HH:MM``, the year always in four digits (``%Y``
    writes year 1 as "1" on this platform's C library)."""
    local = in_beijing(moment)
    return f"{local.year:04d}-{local:%m-%d %H:%M}"


def beijing_time(moment: datetime) -> str:
    """Return a stored time (UTC) as a person reads it: Beijing time, marked so ("2026-12-02 08:30（北京时间）").

    Times are stored in UTC; every page, file and message a person reads shows them with this
    helper, so no page says UTC while another says 北京时间.
    """
    return text("common.beijing_time", time=beijing_minute(moment))


#: Where a file's records came from: the file row of the first (the rest follow it) or each one's file row (an
#: upsert's inserts, scattered among its updates; a spreadsheet's rows, its blank rows skipped).
FileRows = int | Sequence[int]
#: The same, or None (a form or API record: messages name no row).
Rows = FileRows | None


def file_row(rows: FileRows, index: int) -> int:
    """Return the file row of the ``index``-th record of records from ``rows``."""
    return rows + index if isinstance(rows, int) else rows[index]


def nth_row(first_row: Rows, index: int) -> int | None:
    """Return the file row of the ``index``-th record when records come from rows starting at
    ``first_row`` (or from the rows listed); None for a single form or API record (its message then names no row)."""
    return None if first_row is None else file_row(first_row, index)


def at_row(message: str, row: int | None) -> str:
    """Return ``message`` with the row of a file or form it is about in both halves (unchanged for None); a row of
    one table of several is named after its table, as every message names it ("图层 「facilities_polygons」 第 3 行"
    · "row 3 of layer 「facilities_polygons」")."""
    return message if row is None else text("common.row", row=row, problem=as_term(message))


def label(field: str) -> Term:
    """Return a field as messages name it: the Chinese label, then the internal name.

    ``label("standard_name")`` → ``"标准名称 standard_name"`` (English half: ``standard_name``); a
    field with no label is named as given (a column of a user's own file, say).
    """
    message = catalogue().get(f"field_names.{field}")
    return Term(f"{message.zh} {field}" if message else field, field)


def labels(fields: Iterable[str]) -> Term:
    """Return several fields as :func:`label` names them, joined by "、" (", " in English)."""
    named = [label(field) for field in fields]
    return Term("、".join(named), ", ".join(term.en for term in named))


def layer_label(name: str, title_zh: str) -> Term:
    """Return a layer as messages name it: ``"标准地名 place_names"`` (English half: ``place_names``)."""
    return Term(f"{title_zh} {name}", name)


def value_label(value: object, *, field: str | None = None) -> Term:
    """Return a stored value as messages show it: ``"已批准 approved"``, or the value alone if unlabelled.

    ``field`` picks the label of a code that means different things in different fields
    (``value_label("expressway", field="street_class")`` → ``"快速路 expressway"``).
    """
    found = catalogue()
    message = (found.get(f"field_names.value.{field}.{value}") if field else None) \
        or found.get(f"field_names.value.{value}")
    return Term(f"{message.zh} {value}" if message else str(value), str(value))


def value_labels(values: Iterable[object], *, field: str | None = None) -> Term:
    """Return several values as :func:`value_label` shows them, joined by "、" (", " in English)."""
    named = [value_label(value, field=field) for value in values]
    return Term("、".join(named), ", ".join(term.en for term in named))


QUOTE_MAX_CHARS = 80  # an echoed input longer than this is cut (a 10,000-character name must not fill the page)


# Characters an echo shows as their code: control characters (a header cell's ESC sequences set a terminal's title
# and cleared the screen when the CLI printed the refusal: review) and the bidirectional overrides that make text
# read in another order than it is stored.
_SHOWN_AS_CODES = {c: f"\\u{c:04x}" for c in (*range(0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F),
                                                 *range(0x2066, 0x206A),
                                                 *range(0xD800, 0xE000))}  # a lone surrogate: unencodable, a 500


def quoted(value: object, *, max_chars: int = QUOTE_MAX_CHARS) -> str:
    """Return what a user typed as a message echoes it: in 「」, cut to ``max_chars`` with …

    Not Python's repr (``'\\'"></script>'`` reads as code to an officer): the text itself, with
    line breaks shown as spaces so one message stays one line, and control characters as their codes (``\\u001b``).
    """
    if isinstance(value, Term):  # a name in both languages ("上传的文件" · "the uploaded file") stays so (review)
        return Term(quoted(str(value), max_chars=max_chars), quoted(value.en, max_chars=max_chars))
    one_line = " ".join(str(value).splitlines())
    if len(one_line) <= max_chars:
        return f"「{one_line.translate(_SHOWN_AS_CODES)}」"
    return f"「{cut(one_line, max_chars).translate(_SHOWN_AS_CODES)}…」"  # cut first: never inside a code it shows


def record_label(table: str, record_id: object) -> Term:
    """Return a stored record as a person names it: ``"问题报告 3"`` (English half ``problem report 3``).

    A table without a label is named by its internal name (``"streets 3"``).
    """
    message = catalogue().get(f"field_names.record.{table}")
    if message is None:
        return Term(f"{table} {record_id}", f"{table} {record_id}")
    return Term(f"{message.zh} {record_id}", f"{message.en} {record_id}")


def zh(key: str, /, **params: Any) -> str:
    """Return the Chinese half alone (a page title, a table header, a short label)."""
    return catalogue()[key].zh.format(**params)


def en(key: str, /, **params: Any) -> str:
    """Return the English half alone (shown beside the Chinese in smaller type)."""
    return catalogue()[key].en.format(**_english(params))
