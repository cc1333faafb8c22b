"""The five-year joint inspection cadence of boundary lines (BM-06, 行政区域界线管理条例 art.12).

A line's last joint periodic inspection is the later of the date the register carries
(``boundary_lines.last_inspected_on``, inspections from before this system) and the filing date of
the newest filed periodic campaign covering the line; the next is due five years after it. A line
never inspected is overdue. :func:`inspection_due` is the pure rule (dates in, due date and days
overdue out); :func:`line_cadence` and :func:`overdue_lines` read the store and apply it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from geo.messages import text
from geo.store import Store
from geo.types import beijing_today

CYCLE_YEARS = 5


def add_years(day: date, years: int) -> date:
    """Return ``day`` moved ``years`` calendar years on; 29 February becomes 28 February in a common year.

    Past the calendar's ends (a restored date in year 9998, say) the answer is its last or first day, never
    an error: such a line is simply not due in any year a page can show."""
    year = day.year + years
    if year > date.max.year:
        return date.max
    if year < date.min.year:
        return date.min
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


@dataclass(frozen=True)
class Due:
    """When a line's next joint inspection is due and how late it is (``days_overdue`` > 0: overdue)."""

    last_inspected_on: date | None
    due_on: date | None
    days_overdue: int | None  # None: never inspected (overdue whatever the date)

    @property
    def overdue(self) -> bool:
        """Return whether the line is overdue: never inspected, or today is past its due date."""
        return self.days_overdue is None or self.days_overdue > 0


def inspection_due(*dates: date | None, today: date, years: int = CYCLE_YEARS) -> Due:
    """Return the due date from the latest of ``dates`` (``None`` ignored): due ``years`` later, overdue
    from the day after. With no date at all the line was never inspected and is overdue."""
    known = [d for d in dates if d is not None]
    if not known:
        return Due(None, None, None)
    last = max(known)
    due = add_years(last, years)
    return Due(last, due, (today - due).days)


def due_text(days_overdue: int | None) -> str:
    """Return how a line stands as people read it: 逾期 N 天, 今天到期, 距到期 N 天 (never a negative
    "days overdue"), or 从未联检 for a line never inspected (``days_overdue`` ``None``)."""
    if days_overdue is None:
        return text("boundary_casework.never")
    if days_overdue > 0:
        return text("boundary_casework.days_overdue", days=days_overdue)
    if days_overdue == 0:
        return text("boundary_casework.due_today")
    return text("boundary_casework.due_in", days=-days_overdue)


def _filed_periodic(store: Store) -> dict[str, date]:
    """Return, per line code, the filing date of the newest filed periodic campaign covering it."""
    out: dict[str, date] = {}
    for c in store.select("inspection_campaigns", where={"campaign_type": "periodic"}):
        filed = c.get("filed_date")
        if filed is None:
            continue
        for code in json.loads(c.get("line_codes") or "[]"):
            if code not in out or filed > out[code]:
                out[code] = filed
    return out


def line_cadence(store: Store, *, today: date | None = None) -> list[dict[str, Any]]:
    """Return every boundary line with its last joint inspection, due date and days overdue, in line order.

    ``days_overdue`` is negative while the line is not yet due and ``None`` for a line never
    inspected; ``status`` is ``never``, ``overdue`` or ``ok``; ``note`` reads 从未联检 for a line never
    inspected.
    """
    today = today or beijing_today()
    campaigns = _filed_periodic(store)
    out = []
    for line in sorted(store.select("boundary_lines"), key=lambda r: r["line_code"]):
        due = inspection_due(line.get("last_inspected_on"), campaigns.get(line["line_code"]), today=today)
        never = due.days_overdue is None
        out.append({"line_code": line["line_code"], "name": line["name"], "left_adcode": line["left_adcode"],
                    "right_adcode": line["right_adcode"], "last_inspected_on": due.last_inspected_on,
                    "due_on": due.due_on, "days_overdue": due.days_overdue,
                    "status": "never" if never else ("overdue" if due.overdue else "ok"),
                    "note": text("boundary_casework.never") if never else None})
    return out


def overdue_lines(store: Store, *, today: date | None = None) -> list[dict[str, Any]]:
    """Return the lines overdue for their joint inspection, most overdue first (never inspected first)."""
    late = [r for r in line_cadence(store, today=today) if r["status"] != "ok"]
    return sorted(late, key=lambda r: (r["days_overdue"] is not None, -(r["days_overdue"] or 0), r["line_code"]))
