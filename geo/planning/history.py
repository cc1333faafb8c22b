"""Indicator history: the plan's indicators as of a date, stored as dated snapshots and compared.

The plan is evaluated at three dates (十四五: baseline 2020-12-31, mid-term 2023-12-31, final
2025-12-31); a planner may also take a snapshot for any date on demand. A snapshot stores the
indicators computed from the layers as they stood on that date (:func:`geo.planning.as_of.inputs_as_of`:
facilities open then, graves cleared by then), the walking parameters and norms used, and the data
version read before the layers (``data_seq``), so a snapshot shows later whether the planning data
changed after it. One baseline, mid-term or final snapshot per date: a second is refused (409) unless
an admin replaces it, and the audit keeps the replaced one. On-demand snapshots may repeat.

:func:`indicators_on` computes a date's indicators without storing them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from geo.errors import Conflict, Forbidden, InputError, NotFound
from geo.layers import ADMIN
from geo.location_rules import current_codes
from geo.messages import Term, beijing_minute, catalogue, text
from geo.planning.as_of import inputs_as_of
from geo.planning.coverage import ELDER_CARE_KINDS, WalkParams
from geo.planning.floor_area import norms_from_settings
from geo.planning.history_compare import Comparison, side_by_side
from geo.planning.history_facilities import status_by_unit, still_to_come
from geo.planning.norms_settings import PlanningNorms, load_norms
from geo.planning.run import PlanningInputs, PlanningRun, run_planning
from geo.store import Store, schema
from geo.store.spatial_sql import lock_natural_keys
from geo.types import beijing_today, parse_date

TABLE = "indicator_snapshots"
# The plan's evaluation dates; an on-demand snapshot takes any date.
KIND_DATES: dict[str, date | None] = {"baseline": date(2020, 12, 31), "midterm": date(2023, 12, 31),
                                      "final": date(2025, 12, 31), "on_demand": None}
KINDS = tuple(KIND_DATES)
EARLIEST = date(2016, 1, 1)  # the 13th plan's start: before it the service has no meaningful data
MAX_LABEL_CHARS = 200
MAX_COMPARED = 12            # snapshots one comparison shows side by side
MAX_LISTED = 500             # snapshots one listing returns
# The tables the indicators read; a change to any of them after a snapshot marks it "data changed since".
# (Taking a snapshot writes an audit row too: counting it would mark every older snapshot as changed.)
SOURCE_TABLES = ("admin_units", "streets", "door_plates", "facilities", "linear_features", "graves",
                 "ban_zone_areas", "new_estates", "premises", "cemetery_plot_types", "burial_statistics")


def kind_label(kind: str) -> Term:
    """Return a snapshot kind in words, Chinese first (``基期 baseline``; English half ``baseline``)."""
    message = catalogue()[f"indicator_history.kind.{kind}"]
    return Term(f"{message.zh} {message.en}", message.en)


def check_kind(kind: str) -> str:
    """Return ``kind`` (``on-demand`` accepted for ``on_demand``) or refuse it naming the allowed kinds."""
    kind = kind.replace("-", "_")
    if kind not in KIND_DATES:
        raise InputError(text("indicator_history.kind", allowed=", ".join(KINDS), value=repr(kind)), field="kind")
    return kind


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def check_as_of(value: object, *, today: date | None = None) -> date:
    """Return the date indicators may be computed for: not after today (Beijing), not before 2016.

    Text must be written ``YYYY-MM-DD`` (``20201231`` and ``2020-1-1`` are refused alike).
    """
    if isinstance(value, str) and value.strip() and not ISO_DAY.fullmatch(value.strip()):
        raise InputError(text("indicator_history.date_form", value=repr(value[:20])), field="as_of")
    day = parse_date(value, field="as_of")
    today = today or beijing_today()
    if day is None:
        return today
    if day > today:
        raise InputError(text("indicator_history.future", today=today.isoformat(), value=day.isoformat()),
                         field="as_of")
    if day < EARLIEST:
        raise InputError(text("indicator_history.too_early", earliest=EARLIEST.isoformat(), value=day.isoformat()),
                         field="as_of")
    return day


def snapshot_date(kind: str, as_of: object, *, today: date | None = None) -> date:
    """Return a snapshot's date: the plan's date for baseline/midterm/final, ``as_of`` (default today) else."""
    fixed = KIND_DATES[kind]
    if fixed is not None:
        given = parse_date(as_of, field="as_of")
        if given is not None and given != fixed:
            raise InputError(text("indicator_history.kind_date", kind=kind_label(kind), expected=fixed.isoformat(),
                                  value=given.isoformat()), field="as_of")
        return check_as_of(fixed, today=today)
    return check_as_of(as_of, today=today)


def indicators_on(inputs: PlanningInputs, day: date, params: WalkParams,
                  kinds: tuple[str, ...] = ELDER_CARE_KINDS, *, norms: PlanningNorms | None = None) -> PlanningRun:
    """Return the planning run (indicators included) of the layers as they stood on ``day``.

    ``norms``: the norms settings (default: the plan's file, geo.planning.norms_settings).
    """
    dated = inputs_as_of(inputs, day)
    if dated.facilities.empty:
        raise InputError(text("indicator_history.no_facilities", date=day.isoformat()), field="as_of")
    return run_planning(dated, params, kinds, norms=norms)


def run_parameters(run: PlanningRun) -> dict[str, Any]:
    """Return what a snapshot's figures depend on: walking parameters, facility kinds and norms."""
    p = run.params
    norms = run.norms or load_norms()
    return {"minutes": p.minutes, "speed_m_per_s": p.speed_m_per_s, "reach_m": p.reach_m,
            "max_attach_m": p.max_attach_m, "kinds": list(run.kinds), "described": p.describe(),
            "norms": {key: {"per100_m2": n.per100_m2, "min_total_m2": n.min_total_m2,
                            "district_target_per100_m2": n.district_target_per100_m2}
                      for key, n in norms_from_settings(norms).items()},
            "norms_settings": norms.describe()}  # the village norms, shares and scopes judged by


def _check_label(label: str | None, kind: str, day: date) -> str:
    chosen = (label or "").strip() or f"{kind_label(kind)} {day.isoformat()}"
    if len(chosen) > MAX_LABEL_CHARS:
        raise InputError(text("indicator_history.label", limit=MAX_LABEL_CHARS, count=len(chosen)), field="label")
    return chosen


def _same_date(conn: sa.Connection, store: Store, kind: str, day: date) -> dict[str, Any] | None:
    t = schema.indicator_snapshots
    row = conn.execute(sa.select(t).where(t.c.adcode == store.adcode, t.c.kind == kind, t.c.as_of == day)
                       .order_by(t.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row is not None else None


def _duplicate(existing: dict[str, Any], kind: str, day: date) -> Conflict:
    taken = f"{beijing_minute(existing['taken_at'])} UTC+8"
    return Conflict(text("indicator_history.duplicate", kind=kind_label(kind), date=day.isoformat(),
                         id=existing["id"], taken_at=taken, seq=existing["data_seq"]), field="kind")


def planning_data_seq(store: Store, *, conn: sa.Connection | None = None) -> int:
    """Return the newest commit sequence of a change to the layers the indicators read (0: none)."""
    if conn is None:
        with store.reading() as c:
            return planning_data_seq(store, conn=c)
    log = schema.audit_log
    # a restore's own rows are no change to the data: the snapshots restored with it were taken of the same data
    value = conn.execute(sa.select(sa.func.max(log.c.seq)).where(log.c.table_name.in_(SOURCE_TABLES),
                                                                 log.c.action != schema.RESTORE_ACTION)).scalar()
    return int(value or 0)


def take_snapshot(store: Store, *, kind: str, actor: str, role: str, as_of: object = None, label: str | None = None,
                  params: WalkParams | None = None, kinds: tuple[str, ...] = ELDER_CARE_KINDS,
                  replace: bool = False, inputs: PlanningInputs | None = None,
                  today: date | None = None) -> dict[str, Any]:
    """Compute the indicators as of the snapshot's date and store them with the data version; return it.

    ``kind`` is one of :data:`KINDS`; baseline, midterm and final take the plan's dates. A second
    snapshot of those kinds for the same date is refused (:class:`Conflict`, 409) unless ``replace``
    is given by an admin: the record is then updated, so the audit keeps the old figures. ``inputs``
    (loaded once) lets several snapshots share one read of the layers.
    """
    kind = check_kind(kind)
    day = snapshot_date(kind, as_of, today=today)
    chosen_label = _check_label(label, kind, day)
    if replace and role != ADMIN:
        raise Forbidden(text("indicator_history.replace_admin", kind=kind_label(kind)), field="replace")
    if KIND_DATES[kind] is not None and not replace:  # refused before the computation; checked again below
        with store.reading() as conn:
            earlier = _same_date(conn, store, kind, day)
        if earlier is not None:
            raise _duplicate(earlier, kind, day)
    inputs = inputs if inputs is not None else PlanningInputs.load(store)
    run = indicators_on(inputs, day, params or WalkParams(), kinds)
    record = {"label": chosen_label, "kind": kind, "as_of": day, "taken_at": datetime.now(UTC), "taken_by": actor,
              "data_seq": inputs.data_version, "params": json.dumps(run_parameters(run), ensure_ascii=False),
              "indicators": json.dumps([i.to_dict() for i in run.indicators], ensure_ascii=False)}
    with store.writing() as conn:
        # Two requests for the same baseline at once: the second waits here, then finds the first's row.
        lock_natural_keys(conn, [f"indicator_snapshot:{kind}:{day.isoformat()}"])
        existing = None if KIND_DATES[kind] is None else _same_date(conn, store, kind, day)
        if existing is not None and not replace:
            raise _duplicate(existing, kind, day)
        if existing is not None:
            store.update(TABLE, existing["id"], record, expected_version=existing["version"], actor=actor,
                         action="replace", note=f"{kind} {day.isoformat()} recomputed", conn=conn)
            snapshot_id = int(existing["id"])
        else:
            snapshot_id = store.insert(TABLE, [record], actor=actor, conn=conn, note=f"{kind} {day.isoformat()}")[0]
        stored = store.get(TABLE, snapshot_id, conn=conn)
        current = planning_data_seq(store, conn=conn)
    out = _view(stored, current)
    out["replaced"] = existing is not None
    return out


def _view(row: dict[str, Any], current_seq: int, *, full: bool = True) -> dict[str, Any]:
    """Return a stored snapshot as JSON-safe data, marked where the planning data changed after it."""
    seq = row.get("data_seq")
    out: dict[str, Any] = {
        "id": int(row["id"]), "version": int(row["version"]), "label": row["label"], "kind": row["kind"],
        "kind_label": kind_label(row["kind"]), "as_of": row["as_of"].isoformat(),
        "taken_at": row["taken_at"].isoformat(), "taken_by": row["taken_by"], "data_seq": seq,
        "changed_since": seq is None or current_seq > int(seq),
        "params": json.loads(row["params"]) if row.get("params") else {},
    }
    if full:
        out["indicators"] = json.loads(row["indicators"])
    return out


def list_snapshots(store: Store, *, limit: int = MAX_LISTED) -> list[dict[str, Any]]:
    """Return the stored snapshots (without their indicators), by date then by when taken."""
    t = schema.indicator_snapshots
    with store.reading() as conn:
        current = planning_data_seq(store, conn=conn)
        rows = conn.execute(sa.select(t).where(t.c.adcode == store.adcode).order_by(t.c.as_of, t.c.taken_at, t.c.id)
                            .limit(min(limit, MAX_LISTED))).mappings().all()
    return [_view(dict(r), current, full=False) for r in rows]


def get_snapshot(store: Store, snapshot_id: int) -> dict[str, Any]:
    """Return one stored snapshot with its indicators, or raise :class:`NotFound`."""
    t = schema.indicator_snapshots
    with store.reading() as conn:
        row = conn.execute(sa.select(t).where(t.c.id == snapshot_id, t.c.adcode == store.adcode)).mappings().first()
        if row is None:
            raise NotFound(text("indicator_history.no_snapshot", id=snapshot_id), field="id")
        return _view(dict(row), planning_data_seq(store, conn=conn))


def _check_count(count: int) -> None:
    if not 2 <= count <= MAX_COMPARED:
        raise InputError(text("indicator_history.ids", limit=MAX_COMPARED, count=count), field="ids")


def compare(store: Store, *, ids: Sequence[int] = (), dates: Sequence[object] = (),
            params: WalkParams | None = None, today: date | None = None) -> Comparison:
    """Return snapshots side by side: stored ones by id, and for each date the newest stored snapshot
    of that date or, where none is stored, the indicators computed now for it (marked not stored)."""
    days = [check_as_of(d, today=today) for d in dates]
    _check_count(len(ids) + len(days))
    if len(set(ids)) != len(ids) or len(set(days)) != len(days):
        raise InputError(text("indicator_history.repeated"), field="ids" if len(set(ids)) != len(ids) else "dates")
    snapshots = [get_snapshot(store, int(i)) for i in ids]
    current = planning_data_seq(store)
    stored_by_date = {s["as_of"]: s for s in list_snapshots(store)}  # ordered by taken: the newest wins
    for day in days:  # a date whose stored snapshot was also named by its id (review)
        found = stored_by_date.get(day.isoformat())
        if found is not None and found["id"] in ids:
            raise InputError(text("indicator_history.date_is_id", date=day.isoformat(), id=found["id"]),
                             field="dates")
    inputs: PlanningInputs | None = None
    for day in days:
        found = stored_by_date.get(day.isoformat())
        if found is not None:
            snapshots.append(get_snapshot(store, found["id"]))
            continue
        inputs = inputs or PlanningInputs.load(store)
        run = indicators_on(inputs, day, params or WalkParams())
        snapshots.append({"id": None, "label": text("indicator_history.note.unsaved"), "kind": "on_demand",
                          "as_of": day.isoformat(), "data_seq": inputs.data_version, "changed_since": False,
                          "stored": False, "indicators": [i.to_dict() for i in run.indicators]})
    return side_by_side(snapshots, current_data_seq=current, **_units_known(store))


def _units_known(store: Store) -> dict[str, dict[str, str]]:
    """Return what a comparison needs to tell units apart: each code a re-code replaced with the code its unit
    holds today (the same land under another code is no change of the units counted; a merge or a split is: its
    history is not followed, review) and every unit's name by code (retired ones too)."""
    recodes = {c["id"] for c in store.select("division_changes", where={"change_type": "recode"})}
    return {"unit_codes": current_codes([r for r in store.select("unit_code_history") if r["change_id"] in recodes]),
            "unit_names": {u["code"]: u["name"] for u in store.select("admin_units") if u.get("name")}}


def history(store: Store) -> Comparison | None:
    """Return every stored snapshot side by side (the newest :data:`MAX_COMPARED` dates), or None if none."""
    listed = list_snapshots(store)
    if not listed:
        return None
    chosen = listed[-MAX_COMPARED:]
    return side_by_side([get_snapshot(store, s["id"]) for s in chosen], current_data_seq=planning_data_seq(store),
                        **_units_known(store))


@dataclass(frozen=True)
class FacilityStatus:
    """Planned versus existing facilities on a day: counts per unit and kind, and those still to come."""

    day: date
    by_unit: pd.DataFrame
    to_come: pd.DataFrame


def facility_status(store: Store, *, today: date | None = None) -> FacilityStatus:
    """Return the facilities' states today (Beijing): open, under construction, planned, closed."""
    day = today or beijing_today()
    facilities, units = store.read_frame("facilities"), store.read_frame("admin_units")
    return FacilityStatus(day=day, by_unit=status_by_unit(facilities, units, day=day),
                          to_come=still_to_come(facilities, units, day=day))


@dataclass(frozen=True)
class ReportHistory:
    """What the planning report shows of the history: the snapshots side by side and the facility states."""

    comparison: Comparison | None
    facilities: FacilityStatus


def report_history(store: Store) -> ReportHistory:
    """Return the report's history section data (read from the store; the report only formats it)."""
    return ReportHistory(comparison=history(store), facilities=facility_status(store))


def take_plan_snapshots(store: Store, *, actor: str, kinds: Sequence[str] = ("baseline", "midterm"),
                        today: date | None = None) -> list[dict[str, Any]]:
    """Take the plan's snapshots (by default baseline and mid-term) from one read of the layers.

    Used after loading the sample district, where they are what the bureau would have recorded.
    """
    inputs = PlanningInputs.load(store)
    return [take_snapshot(store, kind=kind, actor=actor, role=ADMIN, inputs=inputs, today=today) for kind in kinds]
