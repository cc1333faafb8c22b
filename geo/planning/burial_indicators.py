"""The plan's burial indicators (十四五 §5 殡葬改革, ../shared/seed lines 534, 542), from the records.

- 火化率 cremation rate: cremations / deaths in the latest year with statistics; target 80% in the
  cremation zone (taken as the units that report statistics).
- 生态安葬率 eco-burial rate: eco burials / burials, latest year; target ≥ 50%.
- 新建公益性安葬设施节地生态安葬率: the share of public cemeteries opened since 2021 (and open) that
  are eco burial; target 100%. Planned and under-construction facilities are not counted.
- 生态墓位占比 eco plots: the share of plots in open cemeteries of an eco type (no plan target).

The plan prints no 2020 value for these, so ``value_2020`` is None; the note gives the year counted.
Pure: frames in, :class:`~geo.planning.indicators.Indicator` objects out.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from geo.messages import text
from geo.planning.ban_zone_settings import BanZoneSettings, plot_labels
from geo.planning.indicators import Indicator

NEW_SINCE = date(2021, 1, 1)    # the plan's period starts in 2021: facilities opened since are "new"
OPEN_STATUSES = ("active", "closed")  # as geo.planning.as_of counts: a closed one served until it closed


def _share(part: float, whole: float) -> float | None:
    return None if whole <= 0 else 100.0 * part / whole


def _met(value: float | None, target: float) -> bool | None:
    return None if value is None else bool(value >= target - 1e-9)


def _latest(statistics: pd.DataFrame) -> tuple[int | None, pd.DataFrame]:
    """Return the latest year with statistics and that year's rows without double counting.

    A district-wide row (unit ``<adcode>000000``, e.g. ``150102000000``) stands for the year when given; otherwise the
    sub-districts' and the town's rows are summed.
    """
    if statistics.empty:
        return None, statistics
    year = int(statistics["year"].max())
    rows = statistics[statistics["year"] == year]
    district = rows[rows["unit_code"].astype(str).str.endswith("000000")]  # <adcode>000000: the whole district
    return year, (district if len(district) else rows)


def _by_unit(rows: pd.DataFrame, part: str, whole: str, names: dict[str, str]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for rec in rows.to_dict("records"):
        value = _share(float(rec[part] or 0), float(rec[whole] or 0))
        code = str(rec["unit_code"])
        out.append({"code": code, "name": names.get(code, code), "value": None if value is None else round(value, 1)})
    return out


def _rate(statistics: pd.DataFrame, *, part: str, whole: str) -> tuple[int | None, float | None, int, int,
                                                                       pd.DataFrame]:
    year, rows = _latest(statistics)
    rows = rows.dropna(subset=[part, whole]) if len(rows) else rows
    p = int(rows[part].sum()) if len(rows) else 0
    w = int(rows[whole].sum()) if len(rows) else 0
    return year, _share(p, w), p, w, rows


def burial_indicators(*, facilities: pd.DataFrame, statistics: pd.DataFrame, plot_types: pd.DataFrame,
                      settings: BanZoneSettings, all_facilities: pd.DataFrame | None = None,
                      unit_names: dict[str, str] | None = None) -> list[Indicator]:
    """Return the cremation, eco-burial, new-facility-eco and eco-plot indicators.

    Parameters
    ----------
    facilities
        The facilities open on the day the indicators are for (kind, status, opened_on, eco_burial, id):
        today's active ones, or those of :func:`geo.planning.as_of.inputs_as_of`.
    all_facilities
        Every facility whatever its status, to count the planned and under-construction cemeteries
        (default: ``facilities``).
    statistics
        Burial statistics (year, unit_code, deaths, cremations, burials, eco_burials).
    plot_types
        Cemetery plot types (facility_id, plot_type, plots, eco).
    settings
        Which plot types are eco (the settings file).
    unit_names
        Unit code → name, for the per-unit values.
    """
    names = unit_names or {}
    out = []
    year, value, cremations, deaths, rows = _rate(statistics, part="cremations", whole="deaths")
    note = (text("cemeteries.note.cremation", year=year, cremations=cremations, deaths=deaths) if year is not None
            else text("cemeteries.note.no_statistics"))
    by_unit = _by_unit(rows, "cremations", "deaths", names)
    out.append(Indicator("火化率", "火葬区火化率", "Cremation rate in the cremation zone", "%", None, 80, "80",
                         False, value, _met(value, 80), note=note, by_unit=by_unit))
    year, value, eco, burials, rows = _rate(statistics, part="eco_burials", whole="burials")
    note = (text("cemeteries.note.eco", year=year, eco_burials=eco, burials=burials) if year is not None
            else text("cemeteries.note.no_statistics"))
    by_unit = _by_unit(rows, "eco_burials", "burials", names)
    out.append(Indicator("生态安葬率", "节地生态安葬率", "Eco-burial rate", "%", None, 50, "≥50", False, value,
                         _met(value, 50), note=note, by_unit=by_unit))
    cemeteries = facilities[facilities["kind"] == "public_cemetery"] if len(facilities) else facilities
    every = all_facilities if all_facilities is not None else facilities
    planned = int(((every["kind"] == "public_cemetery") & every["status"].isin(["planned", "under_construction"])
                   ).sum()) if len(every) else 0
    if len(cemeteries) and "opened_on" in cemeteries:
        opened = cemeteries["opened_on"].map(lambda v: v is not None and not pd.isna(v) and v >= NEW_SINCE)
        new = cemeteries[opened & cemeteries["status"].isin(OPEN_STATUSES)]
    else:
        new = cemeteries.iloc[0:0]
    eco_new = int(new["eco_burial"].fillna(False).astype(bool).sum()) if len(new) else 0
    value = _share(eco_new, len(new))
    out.append(Indicator("新建生态", "新建公益性安葬设施节地生态安葬率",
                         "New public burial facilities built for eco burial", "%", None, 100, "100", False, value,
                         _met(value, 100),
                         note=text("cemeteries.note.new_eco", opened=len(new), eco=eco_new, planned=planned)))
    open_ids = set(cemeteries.loc[cemeteries["status"].isin(OPEN_STATUSES), "id"]) \
        if len(cemeteries) and "id" in cemeteries else set()
    counted = plot_types[plot_types["facility_id"].isin(open_ids)] if len(plot_types) else plot_types
    total = int(counted["plots"].fillna(0).sum()) if len(counted) else 0
    eco_types = settings.eco_plot_types
    eco_plots = int(counted.loc[counted["plot_type"].isin(eco_types), "plots"].fillna(0).sum()) if len(counted) else 0
    value = _share(eco_plots, total)
    out.append(Indicator("生态墓位", "在用公墓生态墓位占比", "Eco plots in open cemeteries", "%", None, None, "—",
                         False, value, None,
                         note=text("cemeteries.note.plots", eco=eco_plots, total=total,
                                   types=plot_labels(eco_types))))
    return out
