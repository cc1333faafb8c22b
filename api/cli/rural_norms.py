"""Village norms and 四同步: ``rural-norms`` (each village against its type's norm), ``estates`` (new estates)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from api.cli.common import Context, OutputPath, command, domain_errors
from api.cli.output import TABLE_SUFFIXES, number, print_table, write_table
from geo.messages import text

_NORMS_HELP = "标准设置文件 · norms settings file (TOML; default data/planning/norms.toml, the plan's values)."
_OUT_HELP = "写出表格 · Write the table (.csv, .xlsx or .json)."


def _norms(path: Path | None):
    from geo.planning.norms_settings import load_norms

    return load_norms(path)


def shown_settings_path(path: str) -> str:
    """Return the settings file as the exports record it (never the server's folders)."""
    from geo.planning.norms_settings import shown_settings_path as shown

    return shown(path)


@command("rural-norms")
@click.option("--norms", "norms_path", type=click.Path(path_type=Path), default=None, help=_NORMS_HELP)
@click.option("--out", type=OutputPath(*TABLE_SUFFIXES), default=None, help=_OUT_HELP)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 · Print JSON instead of a table.")
@click.pass_obj
def rural_norms(obj: Context, norms_path: Path | None, out: Path | None, as_json: bool) -> None:
    """村级标准 · Each village's service centre against its settlement type's norm (≥300 / ≥150 m² in ≥90%)."""
    from geo.messages import value_label
    from geo.planning.rural_norms import load_village_norms

    with domain_errors():
        norms = _norms(norms_path)
        table, groups = load_village_norms(obj.store, norms)
    if as_json:
        click.echo(json.dumps({"groups": [{"key": g.norm.key, "title": g.title(), "min_total_m2": g.norm.min_total_m2,
                                           "required_share": g.norm.required_share, "villages": g.total,
                                           "meeting": g.meeting, "share": g.share, "met": g.met} for g in groups],
                               "villages": json.loads(table.to_json(orient="records", force_ascii=False))},
                              ensure_ascii=False, indent=1))
        return
    rows = [[g.title(), g.total, g.meeting, number(None if g.share is None else 100 * g.share),
             f"≥{100 * g.norm.required_share:g}", {True: "达标 met", False: "未达标 not met", None: "—"}[g.met]]
            for g in groups]
    print_table(rows, ["标准 norm", "村数 villages", "达标 meeting", "比例 share %", "要求 required %", "结论 verdict"])
    click.echo("")
    rows = [[r.code, r.name, str(value_label(r.settlement_type, field="settlement_type")) if r.settlement_type else "—",
             number(r.floor_area_m2), number(r.norm_m2, digits=None), number(r.shortfall_m2),
             {True: "达标 met", False: "未达标 not met"}.get(r.meets_norm, "无标准 no norm")]
            for r in table.itertuples()]
    print_table(rows, ["代码 code", "名称 name", "聚落类型 settlement type", "中心面积 centre m²", "标准 norm m²",
                       "缺口 shortfall m²", "结论 verdict"])
    if out is not None:
        shown = table.assign(
            settlement_type=[str(value_label(v, field="settlement_type")) if v else "—"
                             for v in table["settlement_type"]],
            norm_key=[_group_title(norms, k) for k in table["norm_key"]],
            meets_norm=[{True: "达标 met", False: "未达标 not met"}.get(v, "无标准 no norm")
                        for v in table["meets_norm"]])
        for written in write_table(shown, out, parameters={"norms": shown_settings_path(norms.source)}):
            click.echo(text("cli.wrote", path=written))


def _group_title(norms: Any, key: Any) -> str:
    """Return a village norm group's title, Chinese first ("—" for a village the plan sets no norm for)."""
    from geo.planning.rural_norms import RuralGroupResult

    norm = next((n for n in norms.rural if n.key == key), None)
    return "—" if norm is None else RuralGroupResult(norm, 0, 0, None, None).title()


@command("estates")
@click.option("--norms", "norms_path", type=click.Path(path_type=Path), default=None, help=_NORMS_HELP)
@click.option("--out", type=OutputPath(*TABLE_SUFFIXES), default=None, help=_OUT_HELP)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 · Print JSON instead of a table.")
@click.pass_obj
def estates(obj: Context, norms_path: Path | None, out: Path | None, as_json: bool) -> None:
    """四同步 · New estates: elder-care floor area (≥20 m²/100 hh) and each stage in sync with the housing."""
    from geo.planning.estates import STAGES, four_sync, four_sync_summary, load_new_estates, stage_text

    with domain_errors():
        norms = _norms(norms_path)
        table = four_sync(load_new_estates(obj.store), care_per100_m2=norms.estate_care_per100_m2)
        summary = four_sync_summary(table, care_per100_m2=norms.estate_care_per100_m2)
    if as_json:
        click.echo(json.dumps({"summary": summary.to_dict(),
                               "estates": json.loads(table.to_json(orient="records", force_ascii=False))},
                              ensure_ascii=False, indent=1))
        return
    rows = [[r["name"], number(r["households"], digits=0), number(r["required_m2"]), number(r["care_floor_area_m2"]),
             number(r["area_shortfall_m2"]), *[stage_text(r[s]) for s in STAGES],
             "是 yes" if r["all_in_sync"] else "否 no"] for _, r in table.iterrows()]
    print_table(rows, ["小区 estate", "户数 households", "应配 required m²", "已配 provided m²", "缺口 shortfall m²",
                       "规划 planned", "建设 built", "验收 inspected", "交付 handed over", "四同步 all four"])
    click.echo(summary.note())
    if out is not None:
        yes_no = {True: "是 yes", False: "否 no"}
        shown = table.assign(**{s: [stage_text(v) for v in table[s]] for s in STAGES},
                             area_ok=[yes_no.get(v, "—") for v in table["area_ok"]],
                             all_in_sync=[yes_no.get(bool(v), "—") for v in table["all_in_sync"]])
        for written in write_table(shown, out, parameters={"norms": shown_settings_path(norms.source)}):
            click.echo(text("cli.wrote", path=written))
