"""Elder-care planning: ``coverage``, ``accessibility``, ``indicators``, ``siting``, ``report``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from api.cli.common import Context, command, domain_errors, step_bar, write_table

F = TypeVar("F", bound=Callable[..., Any])

_WALK_OPTIONS = [
    click.option("--preset", default="default", show_default=True, type=click.Choice(["default", "elderly"]),
                 help="Walking speed preset: 1.0 m/s, or 0.9 m/s for older people."),
    click.option("--minutes", default=None, type=float, help="Walking time (default 15)."),
    click.option("--speed", "speed_m_per_s", default=None, type=float, help="Walking speed in m/s."),
    click.option("--kinds", default=None, help="Facility kinds, comma-separated (default: elder-care stations "
                                               "and comprehensive centres)."),
]


def _walk_options(func: F) -> F:
    for option in reversed(_WALK_OPTIONS):
        func = option(func)
    return func


def _planning_run(obj: Context, preset: str, minutes: float | None, speed_m_per_s: float | None,
                  kinds: str | None):
    from geo.planning.run import PlanningInputs, parse_kinds, run_planning, walk_params

    with domain_errors(), step_bar(2, "规划计算 planning") as bar:
        params = walk_params(preset, minutes, speed_m_per_s)
        chosen = parse_kinds(kinds)
        inputs = PlanningInputs.load(obj.store)
        bar.update(1)
        run = run_planning(inputs, params, chosen)
        bar.update(1)
    return run


@command()
@_walk_options
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write the table (.csv, .xlsx or .json).")
@click.pass_obj
def coverage(obj: Context, preset: str, minutes: float | None, speed_m_per_s: float | None, kinds: str | None,
             out: Path | None) -> None:
    """15-minute walking coverage per sub-district (and per community with --out)."""
    run = _planning_run(obj, preset, minutes, speed_m_per_s, kinds)
    click.echo(f"步行参数 walking: {run.params.describe()}")
    table = run.coverage
    for r in table[table["level"].isin(["district", "subdistrict", "town"])].itertuples():
        share = "—" if r.household_share != r.household_share else f"{100 * r.household_share:5.1f}%"
        click.echo(f"  {r.name}\t{int(r.covered_households):>7,} / {int(r.households):>7,} 户 households  {share}")
    counts = run.access["status"].value_counts().to_dict()
    click.echo(f"门牌 plates: {counts}")
    if run.unattached_facilities:
        click.echo(f"facilities too far from any street: {run.unattached_facilities}")
    if out:
        write_table(table, out)
        click.echo(f"wrote {out}")


@command()
@_walk_options
@click.option("--supply", default="floor_area_m2", show_default=True, type=click.Choice(["floor_area_m2", "beds"]),
              help="What each facility offers.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write the table (.csv, .xlsx or .json).")
@click.pass_obj
def accessibility(obj: Context, preset: str, minutes: float | None, speed_m_per_s: float | None, kinds: str | None,
                  supply: str, out: Path | None) -> None:
    """Capacity-aware accessibility (2SFCA): supply on foot per 100 residents 60+, per sub-district."""
    from geo.planning.run import run_accessibility

    run = _planning_run(obj, preset, minutes, speed_m_per_s, kinds)
    with domain_errors():
        acc = run_accessibility(run, supply)
    unit = {"floor_area_m2": "m²", "beds": "床 beds"}[supply]
    click.echo(f"步行参数 walking: {run.params.describe()}; supply {supply}")
    if acc.missing_supply:
        click.echo(f"facilities without a {supply} value (counted as 0): {acc.missing_supply}")
    table = acc.units
    for r in table[table["level"].isin(["district", "subdistrict", "town"])].itertuples():
        score = "—" if r.score_per100_60plus != r.score_per100_60plus else f"{r.score_per100_60plus:7.2f}"
        click.echo(f"  {r.name}\t{score} {unit} / 100 老年人 residents 60+")
    if out:
        write_table(table, out)
        click.echo(f"wrote {out}")


@command()
@_walk_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def indicators(obj: Context, preset: str, minutes: float | None, speed_m_per_s: float | None, kinds: str | None,
               as_json: bool) -> None:
    """The plan's indicators: 2020 value, 2025 target, current value, met or not."""
    run = _planning_run(obj, preset, minutes, speed_m_per_s, kinds)
    if as_json:
        click.echo(json.dumps([i.to_dict() for i in run.indicators], ensure_ascii=False, indent=1))
        return
    click.echo(f"步行参数 walking: {run.params.describe()}")
    for i in run.indicators:
        current = "—" if i.current is None else f"{i.current:.1f}"
        met = {True: "达标 met", False: "未达标 not met", None: "—"}[i.met]
        click.echo(f"#{i.number:>4} {i.name_zh}: {current} {i.unit} "
                   f"(2020: {i.value_2020}, 2025: {i.target_text}) {met}")


@command()
@_walk_options
@click.option("--k", type=int, default=None, help="How many new stations.")
@click.option("--target-share", type=float, default=None, help="Or: the fewest stations reaching this share (0-1).")
@click.option("--weight", default="households", show_default=True,
              type=click.Choice(["households", "residents_60plus"]))
@click.option("--spacing", "spacing_m", default=250.0, show_default=True, help="Candidate grid spacing in metres.")
@click.pass_obj
def siting(obj: Context, preset: str, minutes: float | None, speed_m_per_s: float | None, kinds: str | None,
           k: int | None, target_share: float | None, weight: str, spacing_m: float) -> None:
    """Where to add elder-care stations (existing ones fixed), with each one's gain."""
    from geo.planning.run import run_siting

    run = _planning_run(obj, preset, minutes, speed_m_per_s, kinds)
    with domain_errors():
        result, sites = run_siting(run, k=k, target_share=target_share, weight=weight, spacing_m=spacing_m)
    click.echo(f"{weight}: {100 * result.share_before:.1f}% → {100 * result.share_after:.1f}% "
               f"with {len(sites)} new stations ({result.candidates} candidates; {run.params.describe()})")
    for row in sites.itertuples():
        click.echo(f"  #{row.order}  {row.geometry.x:.6f},{row.geometry.y:.6f}  +{row.gain:,.0f}  "
                   f"→ {100 * row.share_after:.1f}%")


@command()
@click.argument("path", type=click.Path(path_type=Path))
@_walk_options
@click.option("--k", type=int, default=5, show_default=True, help="Proposed new stations to include (0: none).")
@click.pass_obj
def report(obj: Context, path: Path, preset: str, minutes: float | None, speed_m_per_s: float | None,
           kinds: str | None, k: int) -> None:
    """Write the planning report: PATH.html (tables and maps) or PATH.xlsx (tables)."""
    from geo.planning.coverage import service_areas
    from geo.planning.run import run_siting
    from maps.report import report_html, write_report_xlsx

    if path.suffix.lower() not in (".html", ".xlsx"):
        raise click.UsageError("the report path must end in .html or .xlsx")
    run = _planning_run(obj, preset, minutes, speed_m_per_s, kinds)
    with domain_errors():
        result, sites = run_siting(run, k=k, target_share=None) if k else (None, None)
    if path.suffix.lower() == ".xlsx":
        write_report_xlsx(run, path, siting=result)
    else:
        areas = service_areas(run.network, run.care_facilities, run.params)
        path.write_text(report_html(run, sites=sites, areas=areas, siting=result, basemap=obj.settings.basemap),
                        encoding="utf-8")
    click.echo(f"wrote {path}")
