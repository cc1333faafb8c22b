"""The planning report: indicators, coverage and floor-area tables, maps; as HTML and as XLSX.

Both forms show the same tables the same way: Chinese headers with English beside and the unit
after (geo/messages/planning_outputs.py), whole numbers for households and people (residents
60+ are estimates per plate, rounded only here), shares as percentages, codes in words, and a
parameters table that says how the run was made (walking time, speed, reach, preset, facility
kinds, data version and time), so a printed or forwarded copy can be reproduced.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from geo.layers import TOWNSHIP_LEVELS
from geo.messages import BEIJING, text
from geo.messages.planning_outputs import code_label, header, parameter_label, sheet_name, yes_no
from geo.planning.coverage import SPEED_PRESETS_M_PER_S
from geo.planning.floor_area import NORMS, Norm, shortfalls
from geo.spreadsheet import formula_safe
from maps.coverage_map import planning_map
from maps.csp import FROM_CONTEXT, page_html, resolve
from maps.report_cemeteries import cemetery_sections, cemetery_sheets
from maps.report_history import history_sections, history_sheets
from maps.report_rural import rural_sections, rural_sheets
from maps.report_siting import siting_sections, siting_sheets
from maps.templating import render

MISSING = "—"
COORDINATE_DIGITS = 6          # decimals of degrees shown for a proposed station (about 0.1 m)
SHORTFALL_ROWS_SHOWN = 40      # rows of each shortfall table on the page; the XLSX has every row
TOP_LEVELS = ("district", *TOWNSHIP_LEVELS)
XLSX_MAX_WIDTH = 60            # characters: a long note wraps in the cell rather than widening the sheet


def _fmt(v: Any, digits: int = 1) -> str:
    """Return a table cell's text (the page template escapes it): ``—`` for what is missing."""
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return MISSING
    if isinstance(v, bool | np.bool_):
        return str(yes_no(bool(v)))
    if isinstance(v, int | np.integer):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return str(v)


def _whole(values: Any) -> pd.Series:
    """Return counts of people or households as whole numbers (missing stays missing)."""
    return pd.Series(pd.to_numeric(pd.Series(values), errors="coerce").round(), dtype="Float64").astype("Int64")


def _percent(shares: Any) -> pd.Series:
    """Return shares (0–1) as percentages to one decimal."""
    return (100 * pd.to_numeric(pd.Series(shares), errors="coerce")).round(1)


def _tenths(values: Any) -> pd.Series:
    """Return areas, distances or minutes to one decimal."""
    return pd.to_numeric(pd.Series(values), errors="coerce").round(1)


def _labelled(columns: dict[str, Iterable[Any]]) -> pd.DataFrame:
    """Return a frame of ``columns`` (frame column name → values) headed for readers."""
    return pd.DataFrame({header(name): pd.Series(values).reset_index(drop=True) for name, values in columns.items()})


def _objects(values: Iterable[Any]) -> pd.Series:
    """Return values as they are (no float coercion: 20 stays 20, None stays None)."""
    return pd.Series(list(values), dtype=object)


def indicators_frame(run) -> pd.DataFrame:
    """Return the plan's indicators as a table (for XLSX and HTML)."""
    ind = run.indicators
    return _labelled({
        "number_no": [i.number for i in ind],
        "indicator": [f"{i.name_zh} {i.name_en}" for i in ind],
        "unit": [i.unit for i in ind],
        "value_2020": _objects(i.value_2020 for i in ind),
        "target_2025": [i.target_text for i in ind],
        "binding": [yes_no(i.binding) for i in ind],
        "current": _objects(None if i.current is None else round(float(i.current), 1) for i in ind),
        "met": _objects(yes_no(i.met) for i in ind),
        "note": [i.note or None for i in ind],
    })


def coverage_frame(run, *, levels: tuple[str, ...] | None = TOP_LEVELS) -> pd.DataFrame:
    """Return households and residents 60+ covered per unit: the district and its sub-districts and
    towns by default, every unit with ``levels=None``."""
    c = run.coverage if levels is None else run.coverage[run.coverage["level"].isin(levels)]
    columns: dict[str, Iterable[Any]] = {"code": c["code"]} if levels is None else {}
    columns |= {"name": c["name"], "level": [code_label("level", v) for v in c["level"]]}
    if levels is None:
        columns["parent_code"] = c["parent_code"]
    return _labelled(columns | {
        "households": _whole(c["households"]), "covered_households": _whole(c["covered_households"]),
        "household_share": _percent(c["household_share"]),
        "residents_60plus": _whole(c["residents_60plus"]), "covered_60plus": _whole(c["covered_60plus"]),
        "share_60plus": _percent(c["share_60plus"]),
    })


def floor_frame(table: pd.DataFrame, norm: Norm, *, full: bool = True) -> pd.DataFrame:
    """Return a floor-area table (:func:`geo.planning.floor_area.floor_area_by_unit`) for readers.

    ``full`` keeps codes, levels and the norm; without it (the page's shortfall lists) the
    columns are the name and the figures, and the minimum-total column only where the norm sets one.
    """
    columns: dict[str, Iterable[Any]] = {}
    if full:
        columns |= {"code": table["code"], "name": table["name"],
                    "level": [code_label("level", v) for v in table["level"]], "parent_code": table["parent_code"]}
    else:
        columns["name"] = table["name"]
    columns |= {"households": _whole(table["households"]), "floor_area_m2": _tenths(table["floor_area_m2"]),
                "per100_m2": _tenths(table["per100_m2"])}
    if full:
        columns["norm_per100_m2"] = table["norm_per100_m2"]
    columns["shortfall_ratio_m2"] = _tenths(table["shortfall_ratio_m2"])
    if full or norm.min_total_m2 is not None:
        columns["shortfall_total_m2"] = _tenths(table["shortfall_total_m2"])
    columns["shortfall_m2"] = _tenths(table["shortfall_m2"])
    if full:
        columns["meets_norm"] = _objects(yes_no(v) for v in table["meets_norm"])
    return _labelled(columns)


def uncovered_frame(run) -> pd.DataFrame:
    """Return the plates outside the walk, with their status in words, distance and time."""
    uncovered = run.access[run.access["status"] != "covered"]
    plates = run.inputs.plates.iloc[uncovered["plate_index"].to_numpy()]
    return _labelled({
        "plate_uid": plates["plate_uid"], "street_name": plates["street_name"], "number": _whole(plates["number"]),
        "status": [code_label("status", v) for v in uncovered["status"]],
        "distance_m": _tenths(uncovered["distance_m"]), "minutes": _tenths(uncovered["minutes"]),
    })


def siting_frame(siting, sites=None) -> pd.DataFrame:
    """Return the proposed stations in order, with what each adds (and where, given ``sites``)."""
    chosen = siting.chosen
    columns: dict[str, Iterable[Any]] = {
        "order": chosen["order"].astype(int), "gain": _whole(chosen["gain"]),
        "gain_plates": chosen["gain_plates"].astype(int), "share_after": _percent(chosen["share_after"])}
    if sites is not None and len(sites) == len(chosen):
        columns |= {"lon": sites.geometry.x.round(COORDINATE_DIGITS), "lat": sites.geometry.y.round(COORDINATE_DIGITS)}
    else:
        columns["candidate"] = chosen["candidate"].astype(int)
    return _labelled(columns)


def _preset(speed_m_per_s: float) -> str:
    """Return the preset a speed belongs to, or ``custom`` (a run keeps the speed, not its name)."""
    names = [name for name, speed in SPEED_PRESETS_M_PER_S.items() if abs(speed - speed_m_per_s) < 1e-9]
    return names[0] if names else "custom"


def parameters(run, *, siting=None, written_at: datetime | None = None) -> list[tuple[str, Any]]:
    """Return every parameter the run used, labelled: walking, kinds, data version and times (UTC)."""
    p, inputs = run.params, run.inputs
    computed_at = getattr(inputs, "loaded_at", None)
    written_at = written_at or datetime.now(UTC)
    rows: list[tuple[str, Any]] = [
        ("minutes", p.minutes), ("speed_m_per_s", p.speed_m_per_s), ("reach_m", p.reach_m),
        ("max_attach_m", p.max_attach_m), ("preset", code_label("preset", _preset(p.speed_m_per_s))),
        ("kinds", "；".join(f"{code_label('kind', k)} ({k})" for k in run.kinds)),
        ("data_version", getattr(inputs, "data_version", None)),
        ("computed_at", None if computed_at is None else f"{computed_at.astimezone(BEIJING):%Y-%m-%d %H:%M:%S}"),
        ("written_at", f"{written_at.astimezone(BEIJING):%Y-%m-%d %H:%M:%S}"),
    ]
    if siting is not None:
        rows += [("siting_stations", len(siting.chosen)), ("siting_candidates", siting.candidates)]
    return [(parameter_label(name), value) for name, value in rows]


def parameters_frame(run, *, siting=None, written_at: datetime | None = None) -> pd.DataFrame:
    """Return :func:`parameters` as a two-column table (numbers stay numbers, for the XLSX)."""
    rows = parameters(run, siting=siting, written_at=written_at)
    return _labelled({"parameter": [name for name, _ in rows], "value": _objects(value for _, value in rows)})


def _param_text(value: Any) -> str:
    """Return a parameter's value as the page shows it (15, not 15.0; a data version without commas)."""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value) if isinstance(value, int) else _fmt(value)


def _norm_text(norm: Norm) -> str:
    bound = "" if norm.min_total_m2 is None else f", ≥{norm.min_total_m2:g} m²"
    return f"{norm.per100_m2:g} m²/100户{bound}"


def report_html(run, *, sites=None, areas=None, siting=None, basemap=None, nonce=FROM_CONTEXT, history=None,
                estates=None, cemetery: dict[str, Any] | Literal[False] | None = None) -> str:
    """Return the whole report as one HTML page (maps embedded; no external tiles).

    The page is maps/templates/planning_report.html, autoescaped; the map is its own document in
    a sandboxed iframe. Its style and the map's scripts carry ``nonce`` (maps/csp.py; by default the
    current response's, none in a file the CLI writes). ``history``
    (:func:`geo.planning.history.report_history`) adds the section "指标历史 Indicator history".
    The village norms always follow the floor-area shortfalls; ``estates`` (the table of
    :func:`geo.planning.estates.four_sync`) adds the section "四同步" (maps/report_rural.py).
    ``cemetery`` is the section 殡葬 as :func:`maps.report_cemeteries.cemetery_sections` returns it when the
    caller drew it already (with the same ``basemap`` and ``nonce``: the CLI draws it while the siting
    solver runs); ``None`` draws it here; ``False`` leaves it out (the coverage map page).
    """
    nonce = resolve(nonce)
    shortfall_tables = []
    for key, norm in NORMS.items():
        short = shortfalls(run.floor[key])
        more = (text("planning_outputs.shortfall.more", shown=SHORTFALL_ROWS_SHOWN)
                if len(short) > SHORTFALL_ROWS_SHOWN else None)
        empty = text("planning_outputs.shortfall.none") if short.empty else None
        table = floor_frame(short.head(SHORTFALL_ROWS_SHOWN), norm, full=False)
        shortfall_tables.append((norm.title, _norm_text(norm), len(short), table, more, empty))
    document = page_html(planning_map(run, sites=sites, areas=areas, basemap=basemap), nonce)
    digits = {header("lon"): COORDINATE_DIGITS, header("lat"): COORDINATE_DIGITS}
    return render("planning_report.html", fmt=_fmt, digits=digits, walking=run.params.describe(), nonce=nonce,
                  parameters=[(name, _param_text(v)) for name, v in parameters(run, siting=siting)],
                  indicators=indicators_frame(run), coverage=coverage_frame(run),
                  unattached=[str(f) for f in run.unattached_facilities or []],
                  shortfalls=shortfall_tables, siting=siting,
                  siting_table=None if siting is None else siting_frame(siting, sites), document=document,
                  siting_compare=None if siting is None else siting_sections(siting),
                  history=None if history is None else history_sections(history),
                  rural=rural_sections(run, estates=estates),
                  cemetery=None if cemetery is False else cemetery if cemetery is not None
                  else cemetery_sections(run, basemap=basemap, nonce=nonce))


def write_report_xlsx(run, path: Path | str, *, siting=None, sites=None, history=None, estates=None) -> Path:
    """Write indicators, coverage, floor area, uncovered plates, siting and the parameters to one workbook.

    ``sites`` (from :func:`geo.planning.run.run_siting`) adds each proposed station's position.
    Every sheet goes through ``formula_safe`` (names are typed by people); empty cells read ``—``.
    """
    path = Path(path)
    sheets = {"indicators": indicators_frame(run), "coverage": coverage_frame(run, levels=None)}
    sheets |= {f"floor.{key}": floor_frame(run.floor[key], norm) for key, norm in NORMS.items()}
    sheets["uncovered"] = uncovered_frame(run)
    if siting is not None:
        sheets["siting"] = siting_frame(siting, sites)
    sheets["parameters"] = parameters_frame(run, siting=siting)
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for name, frame in sheets.items():
            title = sheet_name(name)
            formula_safe(frame).to_excel(xw, sheet_name=title, index=False, na_rep=MISSING)
            _readable(xw.sheets[title], frame)
        for title, frame in siting_sheets(siting).items():  # 选址比较: MILP beside greedy (maps/report_siting.py)
            formula_safe(frame).to_excel(xw, sheet_name=title[:31], index=False, na_rep=MISSING)
            _readable(xw.sheets[title[:31]], frame)
        for title, frame in rural_sheets(run, estates=estates).items():  # 村级标准, 四同步 (maps/report_rural.py)
            formula_safe(frame).to_excel(xw, sheet_name=title[:31], index=False, na_rep=MISSING)
            _readable(xw.sheets[title[:31]], frame)
        for title, frame in cemetery_sheets(run).items():  # 禁葬区, 公墓, 殡葬统计 (maps/report_cemeteries.py)
            formula_safe(frame).to_excel(xw, sheet_name=title[:31], index=False, na_rep=MISSING)
            _readable(xw.sheets[title[:31]], frame)
        for title, frame in ({} if history is None else history_sheets(history)).items():  # 指标历史
            formula_safe(frame).to_excel(xw, sheet_name=title, index=False, na_rep=MISSING)
            _readable(xw.sheets[title], frame)
    return path


def _readable(sheet, frame: pd.DataFrame) -> None:
    """Widen each column to its header (within bounds) and keep the header row in view."""
    from openpyxl.utils import get_column_letter  # here: the HTML report never needs openpyxl

    for i, column in enumerate(frame.columns, start=1):
        width = max(len(str(column)), *(len(str(v)) for v in frame[column].head(50))) if len(frame) else len(column)
        sheet.column_dimensions[get_column_letter(i)].width = min(max(width * 1.1, 8), XLSX_MAX_WIDTH)
    sheet.freeze_panes = "A2"
