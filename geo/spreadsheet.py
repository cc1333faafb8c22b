"""Cells a spreadsheet would run as formulas, made inert before any CSV or XLSX is written.

Excel, WPS and LibreOffice treat a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and, after
some imports, a tab or a carriage return) as a formula, so stored text such as
``=HYPERLINK("http://x","y")`` would run when an officer opens an export (OWASP "CSV injection").
Every CSV/XLSX writer passes its table through :func:`formula_safe`, which puts a single quote in
front of such text. Numbers stay numbers: only text is touched, and text that is a plain number
(``-12``, ``+3.5``) is left alone. :func:`formula_unsafe` undoes it when such a file is imported
back, so an export re-imports unchanged.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _is_formula(text: str) -> bool:
    return text[:1] in FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(text)


def safe_cell(value: Any) -> Any:
    """Return ``value`` with a leading ``'`` if it is text a spreadsheet would run, else as is."""
    if isinstance(value, str) and _is_formula(value):
        return "'" + value
    return value


def unsafe_cell(value: Any) -> Any:
    """Undo :func:`safe_cell`: drop the ``'`` in front of text that would otherwise be a formula."""
    if isinstance(value, str) and value[:1] == "'" and _is_formula(value[1:]):
        return value[1:]
    return value


def _text_columns(frame: pd.DataFrame) -> list[Any]:
    return [c for c in frame.columns
            if pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(frame[c])]


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` (headers included) in which no text cell is a live formula."""
    out = pd.DataFrame(frame).copy()
    for col in _text_columns(out):
        out[col] = out[col].map(safe_cell, na_action="ignore")
    out.columns = [safe_cell(c) for c in out.columns]
    return out


def formula_unsafe(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with :func:`formula_safe`'s quotes taken off its text cells and headers."""
    out = frame.copy()
    for col in _text_columns(out):
        out[col] = out[col].map(unsafe_cell, na_action="ignore")
    out.columns = [unsafe_cell(c) for c in out.columns]
    return out
