"""Indicator snapshots side by side: one row per indicator, one column group per snapshot.

Pure: takes snapshots as plain dicts (as :func:`geo.planning.history.get_snapshot` returns them, or
computed for a date without storing) and returns a table. Each cell holds the snapshot's value, the
2025 target, whether it is met, and the change from the snapshot to its left (snapshots run in date
order). A snapshot whose planning data changed after it was taken is marked, so a reader knows a
recomputation could differ; an indicator whose share is counted over other units than in the stored snapshot to its
left (the 一刻钟 circle's urban scope or #12's 街道 once a 镇 became a 街道, 专栏8-2's villages once two merged) is
marked † with the units that came and went, so a change is not read as progress.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from geo.messages import text
from geo.planning.indicators import SCOPE_DETAIL, URBAN_SCOPE_DETAIL

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
    added: list[str]          # unit codes, as held today
    removed: list[str]
    names: dict[str, str] = field(default_factory=dict)  # the units' names by code, where known

    def to_dict(self) -> dict[str, Any]:
        """Return the change as JSON-safe data."""
        return {"number": self.number, "column": self.column, "added": self.added, "removed": self.removed,
                "names": self.names}

    def units(self, codes: Sequence[str]) -> str:
        """Return units as a note names them: "保合少街道（150102009000）", or the code alone; "—" for none."""
        return "、".join(f"{self.names[c]}（{c}）" if c in self.names else c for c in codes) or "—"


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


def _scope(indicator: Mapping[str, Any], unit_codes: Mapping[str, str]) -> set[str] | None:
    """Return the units an indicator's headline is counted over, each by the code its unit holds today (a re-code
    alone is no other unit), or None where the snapshot does not say (taken before it was recorded)."""
    detail = indicator.get("detail") or {}
    codes = detail.get(SCOPE_DETAIL, detail.get(URBAN_SCOPE_DETAIL))
    return None if codes is None else {unit_codes.get(str(code), str(code)) for code in codes}


def _change(value: Any, before: Any) -> float | None:
    if not isinstance(value, int | float) or not isinstance(before, int | float):
        return None
    if isinstance(value, bool) or isinstance(before, bool):
        return None
    return round(float(value) - float(before), CHANGE_DIGITS)


def side_by_side(snapshots: Sequence[Mapping[str, Any]], *, current_data_seq: int | None = None,
                 unit_codes: Mapping[str, str] | None = None,
                 unit_names: Mapping[str, str] | None = None) -> Comparison:
    """Return the snapshots' indicators side by side, in date order (then in the order given).

    Each snapshot is a mapping with ``id``, ``label``, ``kind``, ``as_of`` (ISO date), ``data_seq``,
    ``changed_since``, ``stored`` (optional, default True) and ``indicators`` (Indicator dicts). An
    indicator present in some snapshots only (added to the service later) has ``None`` cells elsewhere;
    the change is taken from the nearest snapshot to the left that has the indicator. ``unit_codes``: each code a
    re-code replaced with the code its unit holds today (:func:`geo.location_rules.current_codes` over the re-codes'
    history), so a re-code alone changes no indicator's units; ``unit_names``: names for the notes, by code.
    """
    codes_now = unit_codes or {}
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
                                            "scope_changed": False,
                                            # a date computed now counts today's division: its units say nothing
                                            # of that date's, so no † is drawn to or from it (fourth review)
                                            "scope": _scope(indicator, codes_now) if snapshot.get("stored", True)
                                            else None}
    changes: list[ScopeChange] = []
    names = unit_names or {}
    for row in rows.values():
        before: Any = None
        scope_before: set[str] | None = None
        for position, cell in enumerate(row.cells):
            if cell is None:
                continue
            cell["change"] = _change(cell["value"], before)
            before = cell["value"]
            scope = cell.pop("scope")
            if scope is not None and scope_before is not None and scope != scope_before:
                added, removed = sorted(scope - scope_before), sorted(scope_before - scope)
                changes.append(ScopeChange(row.number, position, added, removed,
                                           {c: names[c] for c in added + removed if c in names}))
                cell["scope_changed"] = True
            scope_before = scope  # a snapshot that does not say its units ends the comparison (review)
    return Comparison(columns=columns, rows=list(rows.values()), current_data_seq=current_data_seq,
                      scope_changes=changes)


def scope_notes(comparison: Comparison) -> list[str]:
    """Return a note per :class:`ScopeChange`: which indicator, at which snapshot, which units came and went."""
    notes = []
    for change in comparison.scope_changes:
        column = comparison.columns[change.column]
        name = f"{column.as_of} #{column.id}" if column.id is not None else column.as_of
        notes.append(text("indicator_history.note.scope_changed", number=change.number, column=name,
                          added=change.units(change.added), removed=change.units(change.removed)))
    return notes


def scope_cell(comparison: Comparison, number: str, column: int) -> str | None:
    """Return what a table shows in an indicator's "units counted" cell of a snapshot: "† 新增 …；移出 …" where
    its units differ from the snapshot before, else None."""
    for change in comparison.scope_changes:
        if change.number == number and change.column == column:
            return text("indicator_history.scope_cell", added=change.units(change.added),
                        removed=change.units(change.removed))
    return None
