"""A record's state and its dates must agree, on every write path (generic API, file import).

The indicators of a date count what stood then (geo.planning.as_of): a facility from ``opened_on``
to ``closed_on``, a grave as cleared from ``cleared_on``. A state without its date, or a date that
contradicts the state, would move a past figure without anyone saying so:

* facilities: planned or under construction → not yet opened (no ``opened_on``/``closed_on``);
  open (``active``) → not closed, and opening a planned one needs its ``opened_on``; ``closed`` →
  its ``closed_on``; closing never before opening.
* graves: ``cleared_on`` only for a cleared grave, and clearing one needs the date.
* new estates (四同步): each side's milestones in order, planned ≤ built ≤ inspected ≤ handed over.
* units: a part of the population is not more than the whole (residents aged 60+ ≤ residents): the
  coverage and floor-area figures per unit divide by them.

Future dates of what happened are refused by :data:`geo.validation.PAST_DATES` beside this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geo.errors import InputError
from geo.messages import at_row, label, text, value_label

NOT_YET_OPEN = ("planned", "under_construction")
ESTATE_STAGES = ("planned", "built", "inspected", "handed_over")


def _given(value: Any) -> bool:
    if value is None or value == "":
        return False
    try:
        return value == value  # NaN is no date
    except (TypeError, ValueError):
        return True


def _refuse(key: str, field: str, row: int | None, **values: Any) -> None:
    raise InputError(at_row(text(f"record_states.{key}", field=label(field), **values), row), field=field)


def _facility(record: Mapping[str, Any], before: Mapping[str, Any] | None, row: int | None) -> None:
    status = record.get("status") or "active"
    opened, closed = record.get("opened_on"), record.get("closed_on")
    shown = value_label(status)
    if status in NOT_YET_OPEN:
        for field, value in (("opened_on", opened), ("closed_on", closed)):
            if _given(value):
                _refuse("not_open_yet", field, row, status=shown)
    if status == "active" and _given(closed):
        _refuse("open_not_closed", "closed_on", row, status=shown)
    if status == "active" and before is not None and before.get("status") in NOT_YET_OPEN and not _given(opened):
        _refuse("opening_needs_date", "opened_on", row, was=value_label(before.get("status")))
    if status == "closed" and not _given(closed):
        _refuse("closing_needs_date", "closed_on", row, status=shown)
    if opened is not None and closed is not None and _given(opened) and _given(closed) and closed < opened:
        _refuse("closed_before_opened", "closed_on", row, closed=closed, opened=opened)


def _grave(record: Mapping[str, Any], before: Mapping[str, Any] | None, row: int | None) -> None:
    status, cleared = record.get("status"), record.get("cleared_on")
    if _given(cleared) and status != "cleared":
        _refuse("cleared_date_needs_state", "cleared_on", row, status=value_label(status))
    if status == "cleared" and before is not None and before.get("status") != "cleared" and not _given(cleared):
        _refuse("clearing_needs_date", "cleared_on", row)


def _estate(record: Mapping[str, Any], row: int | None) -> None:
    for side in ("housing", "care"):
        previous: tuple[str, Any] | None = None
        for stage in ESTATE_STAGES:
            field = f"{side}_{stage}_on"
            value = record.get(field)
            if not _given(value):
                continue
            if previous is not None and value < previous[1]:
                _refuse("estate_order", field, row, value=value, earlier=label(previous[0]), earlier_value=previous[1])
            previous = (field, value)


# (part, whole) counts of a unit: the part can never exceed the whole.
UNIT_PARTS = (("residents_60plus", "residents"), ("residents_60plus", "registered_residents"))


def _unit(record: Mapping[str, Any], row: int | None) -> None:
    for part, whole in UNIT_PARTS:
        have, of = record.get(part), record.get(whole)
        if have is not None and of is not None and _given(have) and _given(of) and float(have) > float(of):
            _refuse("unit_part_exceeds_whole", part, row, value=have, whole=label(whole), whole_value=of)


def check_record_state(layer: str, record: Mapping[str, Any], *, before: Mapping[str, Any] | None = None,
                       row: int | None = None) -> None:
    """Refuse a record (new, or ``before`` with the changes applied) whose state and dates disagree."""
    if layer == "facilities":
        _facility(record, before, row)
    elif layer == "graves":
        _grave(record, before, row)
    elif layer == "new_estates":
        _estate(record, row)
    elif layer == "admin_units":
        _unit(record, row)
