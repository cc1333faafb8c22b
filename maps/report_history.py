"""The planning report's indicator-history section: stored snapshots side by side with their data
versions, and planned versus existing facilities; as tables for the page and the workbook.

Takes :class:`geo.planning.history.ReportHistory` (read by the caller) and only formats it: Chinese
headers with English beside, codes in words, ``—`` where a snapshot lacks an indicator.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from geo.messages import text, zh
from geo.messages.indicator_history import MESSAGES
from geo.messages.planning_outputs import code_label, yes_no
from geo.planning.history_compare import scope_cell, scope_notes
from geo.planning.history_facilities import STATES

PART = "indicator_history"


def _h(column: str) -> str:
    """Return a column header, Chinese then English (``统计日期 as of``)."""
    message = MESSAGES[f"{PART}.col.{column}"]
    return f"{message.zh} {message.en}"


def _kind(kind: str) -> str:
    message = MESSAGES[f"{PART}.kind.{kind}"]
    return f"{message.zh} {message.en}"


def snapshots_frame(comparison: Any) -> pd.DataFrame:
    """Return one row per snapshot compared: id, kind, date, label, data version, data changed since."""
    cols = comparison.columns
    return pd.DataFrame({
        _h("id"): pd.Series([c.id if c.id is not None else text(f"{PART}.note.unsaved") for c in cols], dtype=object),
        _h("kind"): [_kind(c.kind) for c in cols], _h("as_of"): [c.as_of for c in cols],
        _h("label"): [c.label for c in cols], _h("data_seq"): pd.Series([c.data_seq for c in cols], dtype=object),
        _h("changed_since"): [yes_no(c.changed_since) for c in cols]})


def side_by_side_frame(comparison: Any) -> pd.DataFrame:
    """Return indicator × snapshot: for each snapshot its value, whether met, the change from the one before, and
    † with the units added and removed where it is counted over other units than the one before."""
    data: dict[str, list[Any]] = {"序号 No.": [], _h("indicator"): [], _h("unit"): [], _h("target"): []}
    heads = [f"{c.as_of} #{c.id if c.id is not None else '—'}" for c in comparison.columns]
    for head in heads:
        for part in ("value", "met", "change", "scope"):
            data[f"{head} {_h(part)}"] = []
    for row in comparison.rows:
        data["序号 No."].append(row.number)
        data[_h("indicator")].append(f"{row.name_zh} {row.name_en}")
        data[_h("unit")].append(row.unit or None)
        data[_h("target")].append(row.target_text or None)
        for column, (head, cell) in enumerate(zip(heads, row.cells, strict=True)):
            value = None if cell is None or cell["value"] is None else round(float(cell["value"]), 1)
            data[f"{head} {_h('value')}"].append(value)
            data[f"{head} {_h('met')}"].append(None if cell is None else yes_no(cell["met"]))
            data[f"{head} {_h('change')}"].append(None if cell is None else cell["change"])
            data[f"{head} {_h('scope')}"].append(scope_cell(comparison, row.number, column))
    return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in data.items()})


def facility_status_frame(by_unit: pd.DataFrame) -> pd.DataFrame:
    """Return facilities per sub-district/town and kind: open, under construction, planned, closed."""
    return pd.DataFrame({
        _h("unit_name"): by_unit["unit_name"].to_numpy(dtype=object),
        _h("facility_kind"): [code_label("kind", k) for k in by_unit["kind"]],
        **{_h(state): by_unit[state].astype(int).to_numpy() for state in STATES}})


def to_come_frame(to_come: pd.DataFrame) -> pd.DataFrame:
    """Return the planned and under-construction facilities with their planned opening dates."""
    return pd.DataFrame({
        _h("id"): to_come["id"].astype(int).to_numpy(), _h("name"): to_come["name"].to_numpy(dtype=object),
        _h("facility_kind"): [code_label("kind", k) for k in to_come["kind"]],
        _h("community"): to_come["community"].to_numpy(dtype=object),
        _h("status"): [text(f"{PART}.state.{s}").replace(" · ", " ") for s in to_come["state"]],
        _h("planned_open_on"): [None if v is None else v.isoformat() for v in to_come["planned_open_on"]],
        _h("overdue"): ["逾期 overdue" if late else "—" for late in to_come.get("overdue", [False] * len(to_come))]})


def history_sections(history: Any) -> dict[str, Any]:
    """Return what the page's section shows (maps/templates/indicator_history.html)."""
    comparison = history.comparison
    changed = [] if comparison is None else [
        f"#{c.id}: {text(f'{PART}.note.changed', seq=c.data_seq)}" for c in comparison.columns if c.changed_since
    ] + scope_notes(comparison)
    to_come = history.facilities.to_come
    return {"note": text(f"{PART}.note.open_only"), "empty": text(f"{PART}.note.none"),
            "snapshots": None if comparison is None else snapshots_frame(comparison),
            "side_by_side": None if comparison is None else side_by_side_frame(comparison), "changed": changed,
            "day": history.facilities.day.isoformat(),
            "facility_status": facility_status_frame(history.facilities.by_unit),
            "to_come": None if to_come.empty else to_come_frame(to_come)}


def history_sheets(history: Any) -> dict[str, pd.DataFrame]:
    """Return the workbook's history sheets, keyed by their titles (≤ 31 characters)."""
    sheets: dict[str, pd.DataFrame] = {}
    if history.comparison is not None:
        sheets[f"{zh(f'{PART}.sheet.history')} history"] = side_by_side_frame(history.comparison)
        sheets[f"{zh(f'{PART}.sheet.snapshots')} snapshots"] = snapshots_frame(history.comparison)
    sheets[f"{zh(f'{PART}.sheet.facility_status')} facility status"] = facility_status_frame(history.facilities.by_unit)
    sheets[f"{zh(f'{PART}.sheet.planned')} planned"] = to_come_frame(history.facilities.to_come)
    return {title[:31]: frame for title, frame in sheets.items()}
