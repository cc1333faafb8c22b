"""The place-name category table (地名类别代码, GB/T 18521-2001 and the 2nd national census).

The table is data (``data/placenames/categories.csv``: code, 中文名, English, parent, census class,
source, note), as complete as the standard is known here: the full table 2 of GB/T 18521 could not be
retrieved (domain brief §1.5), so the file holds the codes actually seen, each marked with its source,
and the bureau's official list replaces it. A name's ``category_code`` must be in the table; exports
fill 类别名称 from it.

Most names (streets, facilities, buildings) have no sourced 5-digit code, and none is invented. Every
name still gets its census class (普查大类, one of the 2nd census's 12 classes, domain brief §1.5 [R37]):
from its code when it has one, else from its feature class by ``data/placenames/census_classes.csv``.
Exports carry the class beside the code, and a sync batch counts the rows still without a code
(:func:`geo.placenames.national_sync.batch_gaps`), so nobody sends a file believing it complete.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from geo.errors import InputError
from geo.messages import Term, label, quoted, text
from geo.spreadsheet_rows import csv_records

DEFAULT_CATEGORIES_FILE = Path(__file__).resolve().parents[2] / "data" / "placenames" / "categories.csv"
DEFAULT_CENSUS_CLASSES_FILE = DEFAULT_CATEGORIES_FILE.with_name("census_classes.csv")
COLUMNS = ("code", "name_zh", "name_en", "parent", "census_class", "source", "note")
# The 2nd national place-name census's 12 classes (domain brief §1.5, R37).
CENSUS_CLASSES = ("海域", "陆地水系", "陆地地形", "行政区域", "群众自治组织", "非行政区域", "居民点", "交通运输设施",
                  "水利电力通信设施", "纪念地旅游景点", "建筑物", "单位")


@dataclass(frozen=True)
class Category:
    """One row of the category table."""

    code: str
    name_zh: str
    name_en: str
    parent: str
    census_class: str
    source: str
    note: str

    def to_dict(self) -> dict[str, str]:
        """Return the row as JSON-safe data."""
        return {k: getattr(self, k) for k in COLUMNS}


def load_categories(path: str | Path | None = None) -> dict[str, Category]:
    """Return the category table by code (default: the bundled ``data/placenames/categories.csv``)."""
    file = Path(path) if path is not None else DEFAULT_CATEGORIES_FILE
    try:
        stamp = file.stat().st_mtime_ns
    except OSError as exc:
        raise InputError(text("place_codes.categories_unreadable", path=str(file), reason=exc.strerror or exc),
                         field="categories") from None
    return _load(str(file), stamp)


@lru_cache(maxsize=4)
def _load(path: str, _stamp: int) -> dict[str, Category]:
    """Parse one version of the file; a row without a code or a name, or a code twice, is refused."""
    try:  # rows named as a spreadsheet shows them (blank rows counted and skipped)
        rows = csv_records(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(text("place_codes.categories_unreadable", path=path, reason=str(exc).splitlines()[0]),
                         field="categories") from None
    except InputError as exc:  # a header naming a column twice, a row with a cell more: named with the file
        raise InputError(text("place_codes.categories_unreadable", path=path, reason=_settings_reason(exc)),
                         field="categories") from None
    table: dict[str, Category] = {}
    for n, row in rows:
        values = {k: (row.get(k) or "").strip() for k in COLUMNS}
        code = values["code"]
        if not (code.isascii() and code.isdigit() and 1 <= len(code) <= 5) or not values["name_zh"] or code in table:
            raise InputError(text("place_codes.categories_bad_row", path=path, row=n, value=quoted(code)),
                             field="categories")
        table[code] = Category(**values)
    return table


def category_name(code: Any, *, table: Mapping[str, Category] | None = None) -> str | None:
    """Return the Chinese name of a category code (None for a blank or unknown code)."""
    found = (table if table is not None else load_categories()).get(str(code or "").strip())
    return found.name_zh if found else None


def check_category(record: Mapping[str, Any], *, table: Mapping[str, Category] | None = None) -> None:
    """Refuse a ``category_code`` that is not in the category table (GB/T 18521), naming the field."""
    code = record.get("category_code")
    if code in (None, ""):
        return
    known = table if table is not None else load_categories()
    if str(code).strip() not in known:
        raise InputError(text("place_codes.unknown_category", field=label("category_code"), value=quoted(code),
                              count=len(known)), field="category_code")


def load_census_classes(path: str | Path | None = None) -> dict[tuple[str, str], str]:
    """Return the census class by (feature class, generic; "" for any) from ``census_classes.csv``.

    A row naming a class that is not one of the census's 12 is refused, as is a row twice.
    """
    file = Path(path) if path is not None else DEFAULT_CENSUS_CLASSES_FILE
    try:
        stamp = file.stat().st_mtime_ns
    except OSError as exc:
        raise InputError(text("place_codes.categories_unreadable", path=str(file), reason=exc.strerror or exc),
                         field="census_classes") from None
    return _load_classes(str(file), stamp)


def _settings_reason(exc: InputError) -> Term:
    """Return a table refusal's words for a settings file: both halves, without "nothing was imported" (a settings
    file is read, not imported)."""
    zh, _, en = exc.message.partition(" · ")
    return Term(zh.removesuffix("，未导入任何内容"), en.removesuffix("; nothing was imported") or zh)


@lru_cache(maxsize=4)
def _load_classes(path: str, _stamp: int) -> dict[tuple[str, str], str]:
    try:
        rows = csv_records(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(text("place_codes.categories_unreadable", path=path, reason=str(exc).splitlines()[0]),
                         field="census_classes") from None
    except InputError as exc:
        raise InputError(text("place_codes.categories_unreadable", path=path, reason=_settings_reason(exc)),
                         field="census_classes") from None
    table: dict[tuple[str, str], str] = {}
    for n, row in rows:
        key = ((row.get("feature_class") or "").strip(), (row.get("generic") or "").strip())
        census_class = (row.get("census_class") or "").strip()
        if not key[0] or census_class not in CENSUS_CLASSES or key in table:
            raise InputError(text("place_codes.census_class_bad_row", path=path, row=n,
                                  value=quoted(census_class)), field="census_classes")
        table[key] = census_class
    return table


def census_class_of(name: Mapping[str, Any], *, table: Mapping[str, Category] | None = None,
                    classes: Mapping[tuple[str, str], str] | None = None) -> str | None:
    """Return a name's census class (普查大类): its category code's, else its feature class's (by generic
    first: 山 is 陆地地形, 河 is 陆地水系); None when neither says."""
    found = (table if table is not None else load_categories()).get(str(name.get("category_code") or "").strip())
    if found is not None and found.census_class:
        return found.census_class
    by_class = classes if classes is not None else load_census_classes()
    cls, generic = str(name.get("feature_class") or ""), str(name.get("generic") or "")
    return by_class.get((cls, generic)) or by_class.get((cls, ""))
