"""Indicator snapshots side by side: one row per indicator, one column group per snapshot.

Pure: takes snapshots as plain dicts (as :func:`geo.planning.history.get_snapshot` returns them, or
computed for a date without storing) and returns a table. Each cell holds the snapshot's value, the
2025 target, whether it is met, and the change from the snapshot to its left (snapshots run in date
order). A snapshot whose planning data changed after it was taken is marked, so a reader knows a
recomputation could differ; an indicator counted over other units than in the snapshot to its left (the 一刻钟
circle's urban scope, once a 镇 became a 街道) says which units came and went, so a change is not read as progress.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from geo.messages import text

CHANGE_DIGITS = 1  # the change between two snapshots, to one decimal as the indicators are shown


@dataclass(frozen=True)
class Column:
    """One snapshot in the comparison: which it is and which data version it used."""

    id: int | None            # None: computed for a date now, not stored
    label: str
    kind: str
    as_of: str                # ISO date
    data_seq: int | None
    changed_since: bool       # the planning data changed after data_seq
    stored: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Return the column as JSON-safe data."""
        return {"id": self.id, "label": self.label, "kind": self.kind, "as_of": self.as_of,
                "data_seq": self.data_seq, "changed_since": self.changed_since, "stored": self.stored}


@dataclass(frozen=True)
class Row:
    """One indicator across the snapshots: ``cells[i]`` belongs to ``columns[i]`` (None: not in it)."""

    number: str
    name_zh: str
    name_en: str
    unit: str
    target_2025: float | None
    target_text: str
    cells: list[dict[str, Any] | None] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the row as JSON-safe data."""
        return {"number": self.number, "name_zh": self.name_zh, "name_en": self.name_en, "unit": self.unit,
                "target_2025": self.target_2025, "target_text": self.target_text, "cells": self.cells}


@dataclass(frozen=True)
class ScopeChange:
    """An indicator counted over other units than in the snapshot before: the units added and removed."""

    number: str
    column: int               # index into Comparison.columns
    added: list[str]
    removed: list[str]

    def to_dict(self) -> dict[str, Any]:
        """Return the change as JSON-safe data."""
        return {"number": self.number, "column": self.column, "added": self.added, "removed": self.removed}


@dataclass(frozen=True)
class Comparison:
    """Snapshots side by side, oldest date first."""

    columns: list[Column]
    rows: list[Row]
    current_data_seq: int | None
    scope_changes: list[ScopeChange] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the comparison as JSON-safe data."""
        return {"current_data_seq": self.current_data_seq, "snapshots": [c.to_dict() for c in self.columns],
                "indicators": [r.to_dict() for r in self.rows],
                "scope_changes": [change.to_dict() for change in self.scope_changes]}


# The detail key naming the units an indicator is counted over (geo.planning.indicators.circle_indicator).
SCOPE_DETAIL = "urban_scope_codes"


def _scope(indicator: Mapping[str, Any]) -> list[str] | None:
    codes = (indicator.get("detail") or {}).get(SCOPE_DETAIL)
    return None if codes is None else [str(code) for code in codes]


def _change(value: Any, before: Any) -> float | None:
    if not isinstance(value, int | float) or not isinstance(before, int | float):
        return None
    if isinstance(value, bool) or isinstance(before, bool):
        return None
    return round(float(value) - float(before), CHANGE_DIGITS)


def side_by_side(snapshots: Sequence[Mapping[str, Any]], *, current_data_seq: int | None = None) -> Comparison:
    """Return the snapshots' indicators side by side, in date order (then in the order given).

    Each snapshot is a mapping with ``id``, ``label``, ``kind``, ``as_of`` (ISO date), ``data_seq``,
    ``changed_since``, ``stored`` (optional, default True) and ``indicators`` (Indicator dicts). An
    indicator present in some snapshots only (added to the service later) has ``None`` cells elsewhere;
    the change is taken from the nearest snapshot to the left that has the indicator.
    """
    ordered = sorted(enumerate(snapshots), key=lambda pair: (str(pair[1]["as_of"]), pair[0]))
    columns = [Column(id=s.get("id"), label=str(s.get("label") or ""), kind=str(s["kind"]), as_of=str(s["as_of"]),
                      data_seq=s.get("data_seq"), changed_since=bool(s.get("changed_since")),
                      stored=bool(s.get("stored", True))) for _, s in ordered]
    rows: dict[str, Row] = {}
    for position, (_, snapshot) in enumerate(ordered):
        for indicator in snapshot["indicators"]:
            number = str(indicator["number"])
            if number not in rows:
                rows[number] = Row(number=number, name_zh=indicator["name_zh"], name_en=indicator["name_en"],
                                   unit=indicator.get("unit") or "", target_2025=indicator.get("target_2025"),
                                   target_text=indicator.get("target_text") or "",
                                   cells=[None] * len(columns))
            rows[number].cells[position] = {"value": indicator.get("current"), "met": indicator.get("met"),
                                            "target_2025": indicator.get("target_2025"), "change": None,
                                            "scope": _scope(indicator)}
    changes: list[ScopeChange] = []
    for row in rows.values():
        before: Any = None
        scope_before: list[str] | None = None
        for position, cell in enumerate(row.cells):
            if cell is None:
                continue
            cell["change"] = _change(cell["value"], before)
            before = cell["value"]
            scope = cell.pop("scope")
            if scope is not None and scope_before is not None and set(scope) != set(scope_before):
                changes.append(ScopeChange(row.number, position, sorted(set(scope) - set(scope_before)),
                                           sorted(set(scope_before) - set(scope))))
            scope_before = scope if scope is not None else scope_before
    return Comparison(columns=columns, rows=list(rows.values()), current_data_seq=current_data_seq,
                      scope_changes=changes)


def scope_notes(comparison: Comparison) -> list[str]:
    """Return a note per :class:`ScopeChange`: which indicator, at which snapshot, which units came and went."""
    notes = []
    for change in comparison.scope_changes:
        column = comparison.columns[change.column]
        name = f"{column.as_of} #{column.id}" if column.id is not None else column.as_of
        notes.append(text("indicator_history.note.scope_changed", number=change.number, column=name,
                          added="、".join(change.added) or "—", removed="、".join(change.removed) or "—"))
    return notes
