"""Elder-care planning: ``coverage``, ``accessibility``, ``indicators``, ``siting``, ``report``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from api.cli.common import Choices, Context, OutputPath, PositiveNumber, command, domain_errors, group, step_bar
from api.cli.output import TABLE_SUFFIXES, number, percent, print_table, whole_people, write_table
from geo.layers import FACILITY_KINDS, TOWNSHIP_LEVELS
from geo.messages import text

F = TypeVar("F", bound=Callable[..., Any])

_WALK_OPTIONS = [
    click.option("--preset", default="default", show_default=True, type=click.Choice(["default", "elderly"]),
                 help="步速预设 · Walking speed preset: 1.0 m/s, or 0.9 m/s for older people."),
    click.option("--minutes", default=None, type=PositiveNumber(), help="步行时间（分钟） · "
                                                                        "Walking time in minutes (default 15)."),
    click.option("--speed", "speed_m_per_s", default=None, type=PositiveNumber(), help="步速（米/秒） · "
                                                                                       "Walking speed in m/s."),
    click.option("--kinds", default=None, type=Choices(FACILITY_KINDS),
                 help="设施类别，逗号分隔 · "
                      "Facility kinds, comma-separated (default: elder-care stations and comprehensive centres): "
                      + ", ".join(FACILITY_KINDS) + "."),
]


def _walk_options(func: F) -> F:
    for option in reversed(_WALK_OPTIONS):
        func = option(func)
    return func


def _planning_run(obj: Context, preset: str, minutes: float | None, speed_m_per_s: float | None,
                  kinds: str | None, *, norms_path: Path | None = None):
    from geo.planning.norms_settings import load_norms
    from geo.planning.run import PlanningInputs, parse_kinds, run_planning, walk_params

    with domain_errors(), step_bar(2, "规划计算 planning") as bar:
        params = walk_params(preset, minutes, speed_m_per_s)
        chosen = parse_kinds(kinds)
        norms = load_norms(norms_path)  # a missing or wrong file is refused before the data is read
        inputs = PlanningInputs.load(obj.store)
        bar.update(1)
        run = run_planning(inputs, params, chosen, norms=norms)
        bar.update(1)
    return run


_OUT_HELP = ("写出表格及所用参数 · Write the table (.csv, .xlsx or .json) with the parameters used: "
             "a 参数 parameters sheet in XLSX, a top-level \"parameters\" object in JSON, "
             "and beside a CSV a NAME.parameters.json sidecar (so the CSV itself stays one header row "
             "that Excel and QGIS read as is).")


def _parameters(obj: Context, run: Any, preset: str) -> dict[str, Any]:
    """Return what a result depends on: the walking parameters, the kinds and the data version."""
    from datetime import UTC, datetime

    p = run.params
    return {"preset": preset, "minutes": p.minutes, "speed_m_per_s": p.speed_m_per_s, "reach_m": p.reach_m,
            "max_attach_m": p.max_attach_m, "kinds": ",".join(run.kinds),
            "data_version": obj.store.data_version(),
            "computed_at": datetime.now(UTC).replace(microsecond=0).isoformat()}


def _per_plate(run: Any) -> Any:
    """Return one row per door plate: where it is, which facility is nearest on foot, how far (unrounded)."""
    import numpy as np
    import pandas as pd

    plates = run.inputs.plates.reset_index(drop=True)
    access = run.access.set_index("plate_index").reindex(range(len(plates)))
    communities = dict(zip(run.inputs.units["code"], run.inputs.units["name"], strict=True))
    facilities = run.inputs.facilities.set_index("id")
    suffix = plates["suffix"].fillna("").astype(str) if "suffix" in plates else ""
    facility = access["facility"]
    known = facility.isin(facilities.index)
    return pd.DataFrame({
        "plate_uid": plates["plate_uid"],
        "address": plates["street_name"].astype(str) + plates["number"].astype(str) + suffix + "号",
        "community_code": plates["community_code"],
        "community": plates["community_code"].map(communities),
        "plate_status": plates["status"],
        "coverage_status": access["status"].to_numpy(),
        "facility_id": pd.array(facility.where(known).to_numpy(), dtype="Int64"),
        "facility_name": facility.map(facilities["name"]).where(known).to_numpy(),
        "facility_kind": facility.map(facilities["kind"]).where(known).to_numpy(),
        "distance_m": access["distance_m"].to_numpy(dtype=float),
        "minutes": access["minutes"].to_numpy(dtype=float),
        "offset_m": access["offset_m"].to_numpy(dtype=float),
        "lon": np.asarray(plates.geometry.x), "lat": np.asarray(plates.geometry.y),
    })


# Per-plate columns that hold codes, and the field whose value labels name them.
_CODED_COLUMNS = {"plate_status": "status", "coverage_status": "coverage_status", "facility_kind": "kind"}


def _for_readers(frame: Any, path: Path) -> Any:
    """Return the per-plate table as planners open it: codes in words, Chinese-first headers.

    Codes read ``在用 active``, ``15分钟内可达 covered`` (Chinese label, then the code itself, so a
    filter on the code still works). A CSV or XLSX is headed ``门牌编号 plate_uid`` (Chinese, then
    the field); JSON keeps the fields as keys (its ``columns`` object names them in Chinese) with
    the same cells. Distances and minutes stay unrounded.
    """
    from geo.messages import catalogue, value_label, zh

    out = frame.copy()
    for column, field in _CODED_COLUMNS.items():
        out[column] = [v if not isinstance(v, str) else str(value_label(v, field=field)) for v in out[column]]
    if path.suffix.lower() == ".json":
        return out
    found = catalogue()

    def heading(column: str) -> str:
        key = next(k for k in (f"cli.col.{column}", f"planning_outputs.col.{column}") if k in found)
        return f"{zh(key)} {column}"

    return out.rename(columns={c: heading(c) for c in out.columns})


@command()
@_walk_options
@click.option("--out", type=OutputPath(*TABLE_SUFFIXES), default=None,
              help="按街道与社区 · per sub-district and community. " + _OUT_HELP.split(" · ", 1)[1])
@click.option("--plates", "plates_out", type=OutputPath(*TABLE_SUFFIXES), default=None,
              help="每块门牌一行 · One row per door plate: plate id, address, community, status, the nearest facility, "
                   "the network distance in metres (unrounded) and the minutes; headed in Chinese with the "
                   "field beside it (门牌编号 plate_uid), codes in words (在用 active), a CSV in UTF-8 with a BOM "
                   "for Excel. Parameters as for --out.")
@click.pass_obj
def coverage(obj: Context, preset: str, minutes: float | None, speed_m_per_s: float | None, kinds: str | None,
             out: Path | None, plates_out: Path | None) -> None:
    """步行覆盖 · 15-minute walking coverage per sub-district (per community and per plate with --out, --plates)."""
    run = _planning_run(obj, preset, minutes, speed_m_per_s, kinds)
    click.echo(f"步行参数 walking: {run.params.describe()}")
    table = whole_people(run.coverage)
    top = table[table["level"].isin(["district", *TOWNSHIP_LEVELS])]
    print_table([[r.name, f"{r.covered_households:,}", f"{r.households:,}", percent(r.household_share),
                  percent(r.share_60plus)] for r in top.itertuples()],
                ["名称 name", "覆盖户数 households covered", "户数 households",
                 "户数覆盖率 households covered (%)", "60岁以上覆盖率 residents 60+ covered (%)"])
    counts = run.access["status"].value_counts()
    covered, beyond = int(counts.get("covered", 0)), int(counts.get("beyond", 0))
    click.echo(text("cli.plate_counts", covered=f"{covered:,}", beyond=f"{beyond:,}",
                    other=f"{int(counts.sum()) - covered - beyond:,}"))
    if run.unattached_facilities:
        click.echo(text("cli.unattached_facilities", ids=", ".join(map(str, run.unattached_facilities))))
    parameters = _parameters(obj, run, preset) if (out or plates_out) else {}
    for path, frame in ((out, table), (plates_out, _for_readers(_per_plate(run), plates_out) if plates_out else None)):
        if path is not None and frame is not None:
            for written in write_table(frame, path, parameters=parameters):
                click.echo(text("cli.wrote", path=written))


@command()
@_walk_options
@click.option("--supply", default="floor_area_m2", show_default=True, type=click.Choice(["floor_area_m2", "beds"]),
              help="设施供给量 · What each facility offers.")
@click.option("--out", type=OutputPath(*TABLE_SUFFIXES), default=None, help=_OUT_HELP)
@click.pass_obj
def accessibility(obj: Context, preset: str, minutes: float | None, speed_m_per_s: float | None, kinds: str | None,
                  supply: str, out: Path | None) -> None:
    """可达性 · Capacity-aware accessibility (2SFCA): supply on foot per 100 residents 60+, per sub-district."""
    from geo.planning.run import run_accessibility

    run = _planning_run(obj, preset, minutes, speed_m_per_s, kinds)
    with domain_errors():
        acc = run_accessibility(run, supply)
    unit = {"floor_area_m2": "m²", "beds": "床 beds"}[supply]
    supply_label = {"floor_area_m2": "建筑面积 floor area", "beds": "床位 beds"}[supply]
    click.echo(f"步行参数 walking: {run.params.describe()}; 供给 supply: {supply_label}")
    if acc.missing_supply:
        click.echo(text("cli.missing_supply", supply=supply, count=acc.missing_supply))
    table = whole_people(acc.units)
    top = table[table["level"].isin(["district", *TOWNSHIP_LEVELS])]
    print_table([[r.name, number(r.score_per100_60plus, digits=2)] for r in top.itertuples()],
                ["名称 name", f"每百名60岁以上老人 per 100 residents 60+ ({unit})"])
    click.echo(f"({unit} / 100 老年人 residents 60+)")
    if out:
        for written in write_table(table, out, parameters={**_parameters(obj, run, preset), "supply": supply}):
            click.echo(text("cli.wrote", path=written))


@group(invoke_without_command=True)
@_walk_options
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="按日期计算（不保存） · "
                   "Compute (not store) the indicators for the facilities open on this date (not after today, "
                   "Beijing time). Subcommands: snapshot, history, compare.")
@click.option("--norms", "norms_path", type=click.Path(path_type=Path), default=None,
              help="标准设置文件 · norms settings file (TOML; default data/planning/norms.toml, the plan's values).")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 · Print JSON instead of a table.")
@click.pass_context
def indicators(ctx: click.Context, preset: str, minutes: float | None, speed_m_per_s: float | None,
               kinds: str | None, as_of: str | None, norms_path: Path | None, as_json: bool) -> None:
    """规划指标 · The plan's indicators: 2020 value, 2025 target, current value, met or not.

    `indicators snapshot|history|compare` store dated snapshots and show them side by side
    (api/cli/indicator_history.py; `--as-of` in api/cli/indicator_dates.py).
    """
    if ctx.invoked_subcommand is not None:
        return
    obj: Context = ctx.obj
    if as_of is None:
        run = _planning_run(obj, preset, minutes, speed_m_per_s, kinds, norms_path=norms_path)
    else:
        from api.cli.indicator_dates import run_as_of

        run = run_as_of(obj, as_of, preset=preset, minutes=minutes, speed_m_per_s=speed_m_per_s, kinds=kinds,
                        norms_path=norms_path)
    if as_json:
        click.echo(json.dumps([i.to_dict() for i in run.indicators], ensure_ascii=False, indent=1))
        return
    click.echo(f"步行参数 walking: {run.params.describe()}")
    if run.norms is not None:
        from geo.planning.norms_settings import shown_settings_path

        click.echo(f"标准设置 norms: {shown_settings_path(run.norms.source)}")
    rows, notes = [], []
    for i in run.indicators:
        met = {True: "达标 met", False: "未达标 not met", None: "—"}[i.met]
        target = i.target_text or "—"
        if len(target) > 12:  # a target in words: the number in the table, the words under it
            notes.append(f"#{i.number} 2025年目标 2025 target: {target}")
            target = f"{number(i.target_2025, digits=None)} *"
        if i.note:
            notes.append(f"#{i.number} {i.note}")
        rows.append([i.number, f"{i.name_zh} {i.name_en}", i.unit or "—", number(i.value_2020, digits=None),
                     target, number(i.current, digits=1), met])
    print_table(rows, ["序号 No.", "指标 indicator", "单位 unit", "2020年 2020", "2025年目标 2025 target",
                       "当前 current", "达标 met"])
    if notes:
        click.echo("注 notes:")
        for note in notes:
            click.echo(f"  {note}")


@command()
@_walk_options
@click.option("--k", type=int, default=None, help="新增站点数 · How many new stations.")
@click.option("--target-share", type=float, default=None,
              help="或：达到此覆盖比例（0–1）所需的最少站点 · Or: the fewest stations reaching this share (0-1).")
@click.option("--weight", default=None, type=click.Choice(["households", "residents_60plus"]),
              help="覆盖对象（默认户数；按容量时为60岁以上人口） · What to cover (default households; "
                   "residents_60plus with --capacity).")
@click.option("--method", default="both", show_default=True, type=click.Choice(["both", "milp", "greedy"]),
              help="整数规划（HiGHS，证明最优并给出差距）、贪心，或两者并列 · MILP (HiGHS, proven optimal with "
                   "its gap), greedy, or both side by side.")
@click.option("--candidates", "candidate_source", default="nodes", show_default=True,
              help="候选点：nodes（网格上的路网节点）、premises（库中可用房源）或点文件 · Where stations could go: "
                   "nodes (street nodes on a grid), premises (available premises in the database), or a file of "
                   "points (GeoJSON, GeoPackage, Shapefile, CSV).")
@click.option("--candidates-crs", default="EPSG:4490", show_default=True,
              help="候选点文件的坐标系 · Coordinate system of a candidates file (EPSG:4490, EPSG:4326, gcj02, bd09).")
@click.option("--min-floor-area", "min_floor_area_m2", type=float, default=None,
              help="房源最小建筑面积（平方米） · With --candidates premises: only premises of at least this floor "
                   "area (m²).")
@click.option("--capacity/--no-capacity", default=False, show_default=True,
              help="按容量：每站最多服务其容量的步行可达60岁以上居民 · Capacitated: each station serves at most its "
                   "capacity of residents 60+ within walking reach.")
@click.option("--m2-per-person", "m2_per_person", default=0.4, show_default=True, type=PositiveNumber(),
              help="按容量时每位60岁以上居民所需面积（平方米） · With --capacity: floor area per resident 60+ "
                   "served (m²).")
@click.option("--time-limit", "time_limit_s", default=30.0, show_default=True, type=PositiveNumber(),
              help="整数规划每次求解的时限（秒，至多 600） · The MILP's time limit per solve, in seconds (at most "
                   "600).")
@click.option("--spacing", "spacing_m", default=250.0, show_default=True, type=PositiveNumber(),
              help="候选网格间距（米） · Candidate grid spacing in metres.")
@click.pass_obj
def siting(obj: Context, preset: str, minutes: float | None, speed_m_per_s: float | None, kinds: str | None,
           k: int | None, target_share: float | None, weight: str | None, method: str, candidate_source: str,
           candidates_crs: str, min_floor_area_m2: float | None, capacity: bool, m2_per_person: float,
           time_limit_s: float, spacing_m: float) -> None:
    """选址 · Where to add elder-care stations (existing ones fixed): proven-optimal MILP beside greedy."""
    from geo.errors import InputError
    from geo.io.siting_candidates import read_candidate_file
    from geo.planning.run import run_siting
    from geo.planning.siting_candidates import load_premises
    from geo.planning.siting_compare import comparison_frame, unreachable_text, verdict
    from geo.types import beijing_today

    run = _planning_run(obj, preset, minutes, speed_m_per_s, kinds)
    with domain_errors():
        candidates = None
        if candidate_source == "premises":
            candidates = load_premises(obj.store, today=beijing_today(),
                                       min_floor_area_m2=min_floor_area_m2)
        elif candidate_source != "nodes":
            path = Path(candidate_source)
            if not path.is_file():
                raise InputError(text("siting.candidate_source", field="--candidates", value=repr(candidate_source),
                                      allowed="nodes, premises, FILE"), field="candidates")
            candidates = read_candidate_file(obj.store, path, crs=candidates_crs)
        result, sites = run_siting(run, k=k, target_share=target_share, weight=weight, spacing_m=spacing_m,
                                   candidates=candidates, method=method, time_limit_s=time_limit_s,
                                   capacity=capacity, m2_per_person=m2_per_person)
    weight = weight or ("residents_60plus" if capacity else "households")
    weight_label = {"households": "户数 households", "residents_60plus": "60岁以上人口 residents 60+"}[weight]
    click.echo(f"{weight_label}: {100 * result.share_before:.1f}% → {100 * result.share_after:.1f}%，"
               f"新增 {len(sites)} 个站点 · with {len(sites)} new stations "
               f"(候选点 {result.candidates} candidates; {run.params.describe()})")
    if capacity:
        click.echo(text("siting.capacity_note", m2_per_person=f"{m2_per_person:g}"))
    frame = comparison_frame(result)
    print_table(frame.values.tolist(), list(frame.columns))
    if result.greedy is not None and result.optimal is not None:
        click.echo(verdict(result))
    unreachable = unreachable_text(result, target_share=target_share)
    if unreachable:
        click.echo(unreachable)
    named = "name" in sites
    print_table([[row.order, f"{row.geometry.x:.6f}", f"{row.geometry.y:.6f}", f"+{row.gain:,.0f}",
                  percent(row.share_after), *([row.name] if named else [])] for row in sites.itertuples()],
                ["序号 No.", "经度 lon", "纬度 lat", f"新增覆盖 gained ({weight_label})", "累计覆盖率 share after (%)",
                 *(["房源 premises"] if named else [])])


@command()
@click.argument("path", type=OutputPath(".html", ".xlsx"))
@_walk_options
@click.option("--k", type=int, default=5, show_default=True, help="报告中建议新增站点数 · "
                                                                  "Proposed new stations to include (0: none).")
@click.option("--siting-method", default="both", show_default=True, type=click.Choice(["both", "milp", "greedy"]),
              help="建议站点的选法：整数规划与贪心并列，或其一 · How the proposed stations are chosen: MILP beside "
                   "greedy, or one of them.")
@click.option("--time-limit", "time_limit_s", default=30.0, show_default=True, type=PositiveNumber(),
              help="选址整数规划每次求解的时限（秒） · The siting MILP's time limit per solve, in seconds.")
@click.pass_obj
def report(obj: Context, path: Path, preset: str, minutes: float | None, speed_m_per_s: float | None,
           kinds: str | None, k: int, siting_method: str, time_limit_s: float) -> None:
    """规划报告 · Write the planning report: PATH.html (tables and maps) or PATH.xlsx (tables)."""
    from geo.planning.report_sections import report_sections
    from geo.planning.run import siting_in_background

    run = _planning_run(obj, preset, minutes, speed_m_per_s, kinds)
    with domain_errors():
        # The solver runs beside what follows (it holds no Python lock); its answer is awaited last.
        siting = siting_in_background(run, k=k, target_share=None, method=siting_method,
                                      time_limit_s=time_limit_s) if k else None
        sections = report_sections(obj.store)  # 指标历史 Indicator history, 四同步 new estates
        if path.suffix.lower() == ".xlsx":
            from maps.report import write_report_xlsx

            result, sites = siting.result() if siting else (None, None)
            write_report_xlsx(run, path, siting=result, sites=sites, history=sections.history,
                              estates=sections.estates)
        else:
            from geo.planning.coverage import service_areas
            from maps.report import report_html
            from maps.report_cemeteries import cemetery_sections

            areas = service_areas(run.network, run.care_facilities, run.params)
            cemetery = cemetery_sections(run, basemap=obj.settings.basemap, nonce=None)
            result, sites = siting.result() if siting else (None, None)
            path.write_text(report_html(run, sites=sites, areas=areas, siting=result, basemap=obj.settings.basemap,
                                        history=sections.history, estates=sections.estates, cemetery=cemetery,
                                        nonce=None),
                            encoding="utf-8")
    click.echo(text("cli.wrote", path=path))
