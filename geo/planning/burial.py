"""Cemetery plot types (CM-02) and burial statistics: the use cases that record them, and their checks.

A cemetery's plot types say how large one plot of each type is (殡葬管理条例 art.11: the province
sets the limits; :mod:`geo.planning.ban_zone_settings` holds them with their sources) and how many
plots it has; eco types (tree, lawn, flower, wall, niche) count toward the eco share. Burial
statistics are one row per year and unit: deaths, cremations, burials and eco burials, from which
the cremation and eco-burial rates are computed (:mod:`geo.planning.burial_indicators`).

Each write is one transaction with its audit rows; a bad value is refused naming the field, a
duplicate answers 409 with the record to update, and an update with a stale version answers 409.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa

from geo.errors import Conflict, InputError, StaleVersion
from geo.layers import TOWNSHIP_LEVELS
from geo.location_rules import current_codes
from geo.messages import Rows, as_term, at_row, label, nth_row, record_label, text, value_label
from geo.planning.ban_zone_settings import PLOT_TYPES, BanZoneSettings, basis_text, plot_label
from geo.store import Store
from geo.types import beijing_today
from geo.validation import check_text

CEMETERY_KIND = "public_cemetery"
PLOT_TABLE = "cemetery_plot_types"
STATS_TABLE = "burial_statistics"
FIRST_YEAR, LAST_YEAR = 1949, 2100
COUNTS = ("deaths", "cremations", "burials", "eco_burials")
STATS_UNIT_LEVELS = ("district", *TOWNSHIP_LEVELS)
MAX_COUNT = 10_000_000   # no count of deaths, burials or plots in one district comes near it
MAX_AREA_M2 = 1_000.0    # one plot: far above any limit; beyond it the figure is a typo


# -- checks (pure) -------------------------------------------------------------------------------

def _whole(value: Any, field_name: str, *, key: str = "cemeteries.count", required: bool = False) -> int | None:
    """Return a whole number ≥ 0, None when empty (refused when ``required``), or raise naming the field."""
    if value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, float)
                                                                         and math.isnan(value)):
        if required:
            raise InputError(text(key, field=field_name, value="—"), field=field_name)
        return None
    if isinstance(value, bool):
        raise InputError(text(key, field=field_name, value=repr(value)), field=field_name)
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise InputError(text(key, field=field_name, value=repr(value)), field=field_name) from None
    if not math.isfinite(number) or number < 0 or number > MAX_COUNT or not number.is_integer():
        raise InputError(text(key, field=field_name, value=repr(value)), field=field_name)
    return int(number)


def check_plot_type(record: Mapping[str, Any]) -> dict[str, Any]:
    """Return a plot-type record with checked values: a known type, area > 0, plots a whole number."""
    plot_type = record.get("plot_type")
    if plot_type not in PLOT_TYPES:
        raise InputError(text("cemeteries.plot_type", value=repr(plot_type), allowed=", ".join(PLOT_TYPES)),
                         field="plot_type")
    area = record.get("area_m2")
    try:
        area_m2 = float(area) if not isinstance(area, bool) and area is not None and area != "" else math.nan
    except (TypeError, ValueError):
        area_m2 = math.nan
    if not math.isfinite(area_m2) or area_m2 <= 0 or area_m2 > MAX_AREA_M2:
        raise InputError(text("cemeteries.area", value=repr(area)), field="area_m2")
    plots = _whole(record.get("plots"), "plots", key="cemeteries.plots")
    return {"plot_type": plot_type, "area_m2": area_m2, "plots": plots}


def over_limit(plot_types: pd.DataFrame, cemeteries: pd.DataFrame, settings: BanZoneSettings
               ) -> list[dict[str, Any]]:
    """Return the plot types larger than their limit (CM-02), each with the limit's basis and source."""
    names = dict(zip(cemeteries["id"], cemeteries["name"], strict=True)) if len(cemeteries) else {}
    out: list[dict[str, Any]] = []
    for rec in plot_types.to_dict("records"):
        plot_type, area_m2, facility_id = str(rec["plot_type"]), float(rec["area_m2"]), int(rec["facility_id"])
        limit = settings.plots.get(plot_type)
        if limit is None or area_m2 <= limit.max_area_m2 + 1e-9:
            continue
        cemetery = str(names.get(facility_id, f"#{facility_id}"))
        out.append({"facility_id": facility_id, "cemetery": cemetery, "plot_type": plot_type,
                    "area_m2": area_m2, "limit_m2": limit.max_area_m2, "basis": limit.basis,
                    "source": limit.source,
                    "message": text("cemeteries.over_limit", cemetery=cemetery,
                                    plot_type=plot_label(plot_type), area_m2=f"{area_m2:g}",
                                    limit_m2=f"{limit.max_area_m2:g}", basis=as_term(basis_text(limit.basis)),
                                    source=limit.source)})
    return out


def check_statistics(record: Mapping[str, Any], *, unit_codes: Iterable[str],
                     retired: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return a burial-statistics record with checked values, or raise naming the first bad field.

    Year 1949 to this year (Beijing); deaths given whenever another count is (a rate needs it);
    counts whole and ≥ 0; cremations and burials no more than deaths, eco burials no
    more than burials; the unit the district or one of its 街道/镇/乡 in force (a code retired by a division
    change is refused naming the code its land is held under now, ``retired``).
    """
    year = _whole(record.get("year"), "year", required=True)
    assert year is not None
    last = min(LAST_YEAR, beijing_today().year)  # a year's figures are counted once it has begun
    if not FIRST_YEAR <= year <= last:
        raise InputError(text("cemeteries.year", low=FIRST_YEAR, high=last, value=year), field="year")
    unit_code = str(record.get("unit_code") or "").strip()
    if unit_code not in set(unit_codes):
        successor = (retired or {}).get(unit_code)
        if successor is not None:  # 撤镇设街道: the same land counted under two codes in one year (review)
            raise InputError(text("cemeteries.unit_retired", value=repr(unit_code), successor=successor),
                             field="unit_code")
        raise InputError(text("cemeteries.unit", value=repr(unit_code)), field="unit_code")
    counts = {name: _whole(record.get(name), name) for name in COUNTS}
    if counts["deaths"] is None and any(counts[n] is not None for n in ("cremations", "burials", "eco_burials")):
        raise InputError(text("cemeteries.deaths_required", field=label("deaths")), field="deaths")
    for part, whole in (("cremations", "deaths"), ("burials", "deaths"), ("eco_burials", "burials")):
        have, limit = counts[part], counts[whole]
        if have is not None and limit is not None and have > limit:
            raise InputError(text("cemeteries.count_exceeds", field=label(part), value=have, other=label(whole),
                                  limit=limit),
                             field=part)
    source = record.get("source")
    if source is not None and not isinstance(source, str):
        source = None if isinstance(source, float) and math.isnan(source) else str(source)
    check_text(source, field="source")
    return {"year": year, "unit_code": unit_code, **counts, "source": source or None}


# -- use cases (store) ---------------------------------------------------------------------------

def _cemetery(store: Store, facility_id: int, conn: sa.Connection) -> dict[str, Any]:
    facility = store.get("facilities", int(facility_id), conn=conn)
    if facility["kind"] != CEMETERY_KIND:
        raise InputError(text("cemeteries.not_cemetery", facility_id=facility_id,
                              kind=value_label(facility["kind"])), field="facility_id")
    return facility


def record_plot_type(store: Store, record: Mapping[str, Any], *, settings: BanZoneSettings, actor: str,
                     conn: sa.Connection | None = None) -> dict[str, Any]:
    """Record one plot type of a public cemetery; return the stored record.

    ``eco`` follows the settings (a tree or niche plot is eco burial whatever the caller says); a
    second record of the same type for the same cemetery answers 409 naming the one to update.
    """
    if conn is None:
        with store.writing() as c:
            return record_plot_type(store, record, settings=settings, actor=actor, conn=c)
    values = check_plot_type(record)
    facility_id = _whole(record.get("facility_id"), "facility_id", required=True)
    assert facility_id is not None
    if facility_id < 1 or facility_id > 2**31 - 1:
        raise InputError(text("cemeteries.count", field="facility_id", value=facility_id), field="facility_id")
    _cemetery(store, facility_id, conn)
    table = store.table(PLOT_TABLE)
    existing = conn.execute(sa.select(table.c.id, table.c.version).where(
        table.c.facility_id == facility_id, table.c.plot_type == values["plot_type"])).first()
    if existing is not None:
        raise Conflict(text("cemeteries.duplicate_plot", facility_id=facility_id, plot_type=values["plot_type"],
                            version=existing.version), field="plot_type")
    limit = settings.plots.get(values["plot_type"])
    row = {"facility_id": facility_id, **values, "eco": bool(limit.eco) if limit else False}
    [new_id] = store.insert(PLOT_TABLE, [row], actor=actor, conn=conn)
    return store.get(PLOT_TABLE, new_id, conn=conn)


def _at_version(store: Store, table: str, record_id: int, expected_version: int, *,
                conn: sa.Connection) -> dict[str, Any]:
    """Return the record if it is still at ``expected_version``, else refuse (409) before judging the change:
    a stale writer is told the row moved on, not that their values break a rule against someone else's."""
    before = store.get(table, record_id, conn=conn)
    if before["version"] != expected_version:
        raise StaleVersion(text("store.stale", record=record_label(table, record_id), current=before["version"],
                                given=expected_version), field="version")
    return before


def update_plot_type(store: Store, record_id: int, changes: Mapping[str, Any], *, expected_version: int,
                     settings: BanZoneSettings, actor: str) -> dict[str, Any]:
    """Change a plot type's area or number of plots (409 when the version is stale)."""
    with store.writing() as conn:
        before = _at_version(store, PLOT_TABLE, record_id, expected_version, conn=conn)
        merged = {**before, **{k: v for k, v in changes.items() if k in ("area_m2", "plots")}}
        values = check_plot_type(merged)
        return store.update(PLOT_TABLE, record_id, {"area_m2": values["area_m2"], "plots": values["plots"]},
                            expected_version=expected_version, actor=actor, conn=conn)


def plot_types_frame(store: Store) -> pd.DataFrame:
    """Return every plot type as a frame (id, facility_id, plot_type, area_m2, plots, eco, version)."""
    rows = store.select(PLOT_TABLE)
    columns = ["id", "facility_id", "plot_type", "area_m2", "plots", "eco", "version"]
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)


def statistics_frame(store: Store) -> pd.DataFrame:
    """Return every burial-statistics row as a frame."""
    rows = store.select(STATS_TABLE)
    columns = ["id", "year", "unit_code", *COUNTS, "source", "version"]
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)


def statistics_units(store: Store, *, conn: sa.Connection | None = None) -> list[str]:
    """Return the codes statistics may be recorded for: the district and its 街道, 镇 and 乡 in force."""
    table = store.table("admin_units")
    query = sa.select(table.c.code).where(table.c.level.in_(STATS_UNIT_LEVELS),
                                          table.c.code.like(f"{store.adcode}%"),
                                          sa.func.coalesce(table.c.status, "active") == "active")
    if conn is None:
        with store.reading() as c:
            return [r[0] for r in c.execute(query)]
    return [r[0] for r in conn.execute(query)]


@dataclass
class StatisticsImport:
    """What an import of burial statistics did: the records written and the rows refused (with why)."""

    written: list[int] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)


def record_statistics(store: Store, rows: Sequence[Mapping[str, Any]], *, actor: str, first_row: Rows = None,
                      all_or_nothing: bool = True, conn: sa.Connection | None = None) -> StatisticsImport:
    """Record burial statistics (one per year and unit) in one transaction.

    ``all_or_nothing`` (the API, one record): the first bad row refuses the lot. Otherwise (a CSV
    import) bad rows are refused one by one, named by their file row (``first_row``: the first row's, or each
    row's; :func:`geo.messages.nth_row`), and the good ones written together.
    """
    if conn is None:
        with store.writing() as c:
            return record_statistics(store, rows, actor=actor, first_row=first_row, all_or_nothing=all_or_nothing,
                                     conn=c)
    units = statistics_units(store, conn=conn)
    history = store.table("unit_code_history")
    retired = current_codes([dict(r) for r in conn.execute(sa.select(
        history.c.id, history.c.old_code, history.c.new_code, history.c.changed_on)).mappings()])
    table = store.table(STATS_TABLE)
    held = {(r.year, r.unit_code): r.version for r in conn.execute(
        sa.select(table.c.year, table.c.unit_code, table.c.version))}
    result, good = StatisticsImport(), []
    for index, row in enumerate(rows):
        where = nth_row(first_row, index)
        try:
            values = check_statistics(row, unit_codes=units, retired=retired)
            key = (values["year"], values["unit_code"])
            if key in held:
                raise Conflict(text("cemeteries.duplicate_year", year=key[0], unit_code=key[1],
                                    version=held[key] if held[key] else "—"), field="year")
            former = next((old for old, new in retired.items() if new == key[1] and (key[0], old) in held), None)
            if former is not None:  # the same land's year under its code before 撤镇设街道 (review: counted twice)
                raise Conflict(text("cemeteries.year_under_former_code", year=key[0], unit_code=key[1], former=former,
                                    version=held[(key[0], former)] or "—"), field="year")
            _refuse_mixed_levels(key, held)
            held[key] = 0
        except (InputError, Conflict) as exc:
            if all_or_nothing:
                raise type(exc)(at_row(exc.message, where), field=exc.field) from None
            result.refused.append({"row": where, "field": exc.field, "message": at_row(exc.message, where)})
            continue
        good.append(values)
    result.written = store.insert(STATS_TABLE, good, actor=actor, conn=conn) if good else []
    return result


def _is_district_row(unit_code: str) -> bool:
    """Return whether a statistics unit is a whole district (``<adcode>000000``), not one of its parts."""
    return unit_code.endswith("000000")


def _refuse_mixed_levels(key: tuple[int, str], held: Mapping[tuple[int, str], int]) -> None:
    """Refuse a district-wide row for a year that has sub-district rows, and the other way round.

    The indicators take one or the other (a district row stands for the year); holding both would
    leave one set unread without anyone seeing it.
    """
    year, unit = key
    others = [u for (y, u) in held if y == year and _is_district_row(u) != _is_district_row(unit)]
    if others:
        raise Conflict(text("cemeteries.mixed_levels", year=year, unit_code=unit, other=others[0]),
                       field="unit_code")


def update_statistics(store: Store, record_id: int, changes: Mapping[str, Any], *, expected_version: int,
                      actor: str) -> dict[str, Any]:
    """Change one statistics row's counts or source (409 when the version is stale)."""
    with store.writing() as conn:
        before = _at_version(store, STATS_TABLE, record_id, expected_version, conn=conn)
        merged = {**before, **{k: v for k, v in changes.items() if k in (*COUNTS, "source")}}
        values = check_statistics(merged, unit_codes=[before["unit_code"]])
        return store.update(STATS_TABLE, record_id, {k: values[k] for k in (*COUNTS, "source")},
                            expected_version=expected_version, actor=actor, conn=conn)


def load_sample_records(store: Store, *, plot_types: pd.DataFrame | None, statistics: pd.DataFrame | None,
                        settings: BanZoneSettings, actor: str, conn: sa.Connection) -> dict[str, int]:
    """Store the sample's plot types (cemeteries named, not numbered) and statistics in ``conn``'s transaction."""
    written: dict[str, int] = {}
    if plot_types is not None and len(plot_types):
        table = store.table("facilities")
        ids = {r.name: r.id for r in conn.execute(sa.select(table.c.id, table.c.name).where(
            table.c.kind == CEMETERY_KIND))}
        for row in plot_types.to_dict("records"):
            record = {str(k): v for k, v in row.items()}
            record_plot_type(store, {**record, "facility_id": ids[record["cemetery"]]}, settings=settings, actor=actor,
                             conn=conn)
        written[PLOT_TABLE] = len(plot_types)
    if statistics is not None and len(statistics):
        rows = [{str(k): v for k, v in row.items()} for row in statistics.to_dict("records")]
        done = record_statistics(store, rows, actor=actor, conn=conn)
        written[STATS_TABLE] = len(done.written)
    return written


def zones_from_store(store: Store, *, settings: BanZoneSettings) -> Any:
    """Return the ban zones (CM-01) of the stored linear features and ban-zone areas, without a planning run."""
    from geo.planning.cemeteries import ban_zones

    return ban_zones(store.read_frame("linear_features"), store.read_frame("ban_zone_areas"), settings=settings)


MIN_SITE_AREA_M2 = 1.0  # a cemetery site drawn smaller than this is a slip of the mouse, not a site


def check_site_in_store(store: Store, site: Any, *, settings: BanZoneSettings) -> dict[str, Any]:
    """Check a proposed cemetery site against the stored zones; a site outside the district is refused.

    The zones are the district's only: outside it there is no data, and "可以选址" would be a guess.
    """
    from geo import crs as C
    from geo.location_rules import POINT_SLACK_DEG, district_boundary
    from geo.planning.cemeteries import site_verdict

    if site.geom_type != "Point" and float(C.to_metric(site).area) < MIN_SITE_AREA_M2:
        raise InputError(text("cemeteries.site_degenerate", most=f"{MIN_SITE_AREA_M2:g}"), field="geometry")
    with store.reading() as conn:
        district = district_boundary(conn, adcode=store.adcode)
    if district is not None and not district.buffer(POINT_SLACK_DEG).covers(site):
        raise InputError(text("cemeteries.site_outside"), field="geometry")  # whole site, not a corner of it
    return site_verdict(site, zones_from_store(store, settings=settings), settings)
