"""What the commands print and write: aligned Chinese-first tables, and files that record their parameters.

Printed numbers show "—" where a value is missing (never ``None`` or ``nan``). In every output
people and households are whole numbers, shares are percentages (0–100) and codes are text.
Every table file names the parameters it was computed with:

- ``.xlsx``: the table on the first sheet (headers Chinese first, unit after), a 参数 parameters sheet;
- ``.json``: ``{"parameters": {...}, "columns": {...}, "rows": [...]}``;
- ``.csv``: the table alone (one header row of field names, UTF-8 with BOM: Excel and QGIS open it
  as is) and beside it ``NAME.parameters.json`` with the parameters and the column labels.

Only click and light modules are imported here; pandas comes in with the table it is given.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from geo.messages import catalogue, en, zh

if TYPE_CHECKING:
    import pandas as pd

TABLE_SUFFIXES = (".csv", ".xlsx", ".json")

# Columns that count people or households: whole numbers in every output.
PEOPLE_COLUMNS = ("households", "covered_households", "residents", "residents_60plus", "covered_60plus",
                  "uncovered_households", "uncovered_60plus", "in_no_catchment")


def missing(value: Any) -> bool:
    """Return whether ``value`` is absent (None, NaN or pandas' NA)."""
    if value is None:
        return True
    try:
        return bool(value != value) or (isinstance(value, float) and math.isnan(value))
    except (TypeError, ValueError):  # pandas.NA refuses bool()
        return True


def number(value: Any, *, digits: int | None = 1) -> str:
    """Return a number for printing: ``digits`` decimals (``None``: as short as exact), "—" if missing."""
    if missing(value):
        return "—"
    if digits is None:
        return f"{float(value):,g}" if isinstance(value, float) else f"{value:,}"
    return f"{float(value):,.{digits}f}"


def percent(share: Any) -> str:
    """Return a share (0–1) as a percentage with one decimal, or "—"."""
    return "—" if missing(share) else f"{100 * float(share):.1f}"


def whole_people(table: pd.DataFrame) -> pd.DataFrame:
    """Return ``table`` with its people and household counts rounded to whole numbers (a copy)."""
    out = table.copy()
    for column in PEOPLE_COLUMNS:
        if column in out.columns:
            out[column] = out[column].round().astype("Int64")
    return out


# Shares (0–1) are written as percentages, as their labels say; codes as text (never 1.5e11).
SHARE_COLUMNS = ("household_share", "share_60plus", "share_after", "share_in_no_catchment")
CODE_COLUMNS = ("code", "parent_code", "community_code", "adcode")


def tidy(table: pd.DataFrame) -> pd.DataFrame:
    """Return ``table`` as files show it: whole people, shares in percent, codes as text (a copy)."""
    out = whole_people(table)
    for column in SHARE_COLUMNS:
        if column in out.columns:
            out[column] = (100 * out[column].astype(float)).round(2)
    for column in CODE_COLUMNS:
        if column in out.columns and out[column].dtype.kind in "fiu":
            out[column] = out[column].astype("Int64").astype("string")
    return out


_LINE_BREAKS = str.maketrans({"\n": "⏎", "\r": "⏎", "\v": "⏎", "\f": "⏎", "\x85": "⏎", "\u2028": "⏎",
                              "\u2029": "⏎", "\t": " "})


def one_line(value: Any) -> str:
    """Return ``value`` as text on one line: a stored line break shows as ⏎ and a tab as a space, so
    text a resident typed can never start a row or a column of its own in a printed table."""
    return str(value).translate(_LINE_BREAKS)


def _width(value: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in value)


def print_table(rows: Sequence[Sequence[Any]], headers: Sequence[str] | None) -> None:
    """Print rows under ``headers`` (none: label/value lines) in aligned columns; Chinese counts double width."""
    cells = ([[one_line(h) for h in headers]] if headers else []) + [["—" if missing(c) else one_line(c) for c in row]
                                                                      for row in rows]
    if not cells:
        return
    widths = [max(_width(row[i]) for row in cells) for i in range(len(cells[0]))]
    for row in cells:
        click.echo("  ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=True)).rstrip())


def _label(kind: str, name: str) -> str:
    """Return the label of a column (``kind="col"``) or a parameter (``"param"``); else the name itself.

    The CLI's own labels (geo/messages/cli.py) first, then the planning outputs' (with units).
    """
    from geo.messages.planning_outputs import header, parameter_label

    key = f"cli.{kind}.{name}"
    if key in catalogue():
        return f"{zh(key)} {en(key)}"
    try:
        return header(name) if kind == "col" else parameter_label(name)
    except KeyError:
        return name


def column_label(column: str) -> str:
    """Return a column's label, Chinese first with the unit (``户数 households``); else the field name."""
    return _label("col", column)


def parameters_path(out: Path) -> Path:
    """Return the sidecar that records a CSV's parameters (``t.csv`` → ``t.parameters.json``)."""
    return out.with_name(f"{out.stem}.parameters.json")


def write_table(table: pd.DataFrame, out: Path, *, parameters: Mapping[str, Any] | None = None) -> list[Path]:
    """Write a table as .csv (UTF-8 with BOM, opens in Excel), .xlsx or .json; return the files written.

    ``parameters`` (what the table was computed with) go into the file as the module says. Cells
    that would run as spreadsheet formulas (stored names such as ``=HYPERLINK(...)``) are made
    inert first, as in every export of the service.
    """
    import pandas as pd

    from geo.spreadsheet import formula_safe

    suffix = out.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        from geo.messages import text

        raise click.UsageError(text("cli.bad_suffix", suffixes=", ".join(TABLE_SUFFIXES), name=out.name))
    params = dict(parameters or {})
    table = tidy(table)
    columns = {c: column_label(str(c)) for c in table.columns}
    safe = formula_safe(table)
    if suffix == ".csv":
        safe.to_csv(out, index=False, encoding="utf-8-sig")
        if not params:
            return [out]
        sidecar = parameters_path(out)
        sidecar.write_text(json.dumps({"table": out.name, "parameters": params, "columns": columns},
                                      ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        return [out, sidecar]
    if suffix == ".xlsx":
        with pd.ExcelWriter(out) as writer:
            safe.rename(columns=columns).to_excel(writer, index=False, sheet_name="数据 data")
            if params:
                sheet = pd.DataFrame({"参数 parameter": [_label("param", k) for k in params],
                                      "取值 value": [str(v) for v in params.values()],
                                      "字段 key": list(params)})
                formula_safe(sheet).to_excel(writer, index=False, sheet_name="参数 parameters")
        return [out]
    rows = json.loads(table.to_json(orient="records", force_ascii=False, double_precision=15))
    body: Any = {"parameters": params, "columns": columns, "rows": rows} if params else rows
    out.write_text(json.dumps(body, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return [out]
