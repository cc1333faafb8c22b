"""``xincheng indicators snapshot|history|compare``: the indicator history (``--as-of``: api/cli/indicator_dates.py).

Importing this module adds its commands to the ``indicators`` group (api/cli/__init__.py imports it).
"""

from __future__ import annotations

from typing import Any

import click

from api.cli.common import CLI_ACTOR, Choices, Context, InputRefused, PositiveNumber, domain_errors, step_bar
from api.cli.output import number, print_table
from api.cli.planning import indicators
from geo.layers import FACILITY_KINDS
from geo.messages import text


@indicators.command("snapshot")
@click.option("--preset", default="default", show_default=True, type=click.Choice(["default", "elderly"]),
              help="步行速度预设 · Walking speed preset: 1.0 m/s, or 0.9 m/s for older people.")
@click.option("--minutes", default=None, type=PositiveNumber(),
              help="步行时间（分钟） · Walking time in minutes (default 15).")
@click.option("--speed", "speed_m_per_s", default=None, type=PositiveNumber(),
              help="步行速度（米/秒） · Walking speed in m/s.")
@click.option("--kinds", default=None, type=Choices(FACILITY_KINDS),
              help="设施类别，逗号分隔 · Facility kinds, comma-separated (default: elder-care stations and "
                   "comprehensive centres): " + ", ".join(FACILITY_KINDS) + ".")
@click.option("--kind", required=True, type=click.Choice(["baseline", "midterm", "final", "on-demand"]),
              help="快照类型 · baseline (2020-12-31), midterm (2023-12-31), final (2025-12-31), "
                   "or on-demand (--as-of).")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="按需快照的统计日期 · The date of an on-demand snapshot (default today, Beijing time).")
@click.option("--label", default=None, help="快照名称 · A name for the snapshot (default: its kind and date).")
@click.option("--replace", is_flag=True,
              help="重新计算已存在的快照（仅管理员；审计保留旧值） · Recompute an existing baseline, mid-term or final "
                   "snapshot of that date (the audit keeps the old).")
@click.pass_obj
def snapshot(obj: Context, preset: str, minutes: float | None, speed_m_per_s: float | None, kinds: str | None,
             kind: str, as_of: str | None, label: str | None, replace: bool) -> None:
    """保存指标快照 · Compute the indicators as of a date and store them with the data version used."""
    from geo.layers import ADMIN
    from geo.planning.history import take_snapshot
    from geo.planning.run import parse_kinds, walk_params

    with domain_errors(), step_bar(1, "指标快照 indicator snapshot") as bar:
        stored = take_snapshot(obj.store, kind=kind, as_of=as_of, label=label, actor=CLI_ACTOR, role=ADMIN,
                               params=walk_params(preset, minutes, speed_m_per_s), kinds=parse_kinds(kinds),
                               replace=replace)
        bar.update(1)
    key = "indicator_history.replaced" if stored["replaced"] else "indicator_history.stored"
    click.echo(text(key, id=stored["id"], kind=stored["kind_label"], as_of=stored["as_of"], seq=stored["data_seq"]))


def _cell(cell: dict[str, Any] | None) -> str:
    if cell is None:
        return "—"
    met = {True: "✓", False: "✗", None: ""}[cell["met"]]
    change = "" if cell["change"] is None else f" ({cell['change']:+.1f})"
    counted = " †" if cell.get("scope_changed") else ""  # counted over other units than the snapshot before
    return f"{number(cell['value'], digits=1)}{met}{change}{counted}"


def _print_comparison(comparison: Any) -> None:
    """Print snapshots side by side: one column per snapshot, the change from the one before in brackets."""
    from geo.planning.history_compare import scope_notes

    columns = comparison.columns
    heads = []
    for c in columns:
        star = " *" if c.changed_since else ""
        ident = f"#{c.id}" if c.id is not None else text("indicator_history.note.unsaved")
        heads.append(f"{c.as_of} {ident} v{c.data_seq}{star}")
    rows, targets = [], []
    for r in comparison.rows:
        target = r.target_text or "—"
        if len(target) > 12:  # a target in words: the number in the table, the words under it (as `indicators`)
            targets.append(f"  #{r.number} 2025年目标 2025 target: {target}")
            target = f"{number(r.target_2025, digits=None)} *"
        rows.append([r.number, f"{r.name_zh} {r.name_en}", r.unit or "—", target, *map(_cell, r.cells)])
    print_table(rows, ["序号 No.", "指标 indicator", "单位 unit", "2025年目标 2025 target", *heads])
    click.echo("注 notes: ✓ 达标 met, ✗ 未达标 not met, (±) 较前一快照的变化 change from the snapshot before; "
               "vN 数据版本 data version N")
    for line in targets:
        click.echo(line)
    for c in columns:
        if c.changed_since:
            click.echo(f"  #{c.id}: {text('indicator_history.note.changed', seq=c.data_seq)}")
    for note in scope_notes(comparison):
        click.echo(f"  {note}")
    click.echo(f"  {text('indicator_history.note.open_only')}")


@indicators.command("history")
@click.pass_obj
def history_cmd(obj: Context) -> None:
    """指标历史 · Every stored snapshot side by side (the newest 12 dates), with their data versions."""
    from geo.planning.history import history, list_snapshots

    with domain_errors():
        listed = list_snapshots(obj.store)
        comparison = history(obj.store)
    if comparison is None:
        click.echo(text("indicator_history.nothing_stored"))
        return
    print_table([[s["id"], s["kind_label"], s["as_of"], s["label"], s["data_seq"], s["taken_by"],
                  "是 yes" if s["changed_since"] else "否 no"] for s in listed],
                ["编号 id", "类型 kind", "统计日期 as of", "名称 label", "数据版本 data version", "计算人 taken by",
                 "之后数据有变更 data changed since"])
    _print_comparison(comparison)


@indicators.command("compare")
@click.argument("refs", nargs=-1, required=True, metavar="ID|DATE ...")
@click.pass_obj
def compare_cmd(obj: Context, refs: tuple[str, ...]) -> None:
    """指标快照比较 · Snapshots side by side: give snapshot ids or dates (a date with none stored is computed)."""
    from geo.planning.history import compare

    ids = [int(r) for r in refs if r.isdigit()]
    dates = [r for r in refs if not r.isdigit()]
    from geo.errors import NotFound

    with domain_errors():
        try:
            comparison = compare(obj.store, ids=ids, dates=dates)
        except NotFound as exc:  # an id given on the command line that names no snapshot: bad input (status 2)
            raise InputRefused(exc.message) from None
    _print_comparison(comparison)


def take_sample_snapshots(store: Any) -> None:
    """Take the plan's baseline and mid-term snapshots of a freshly loaded sample district (about 1 s).

    They are what the bureau would have recorded at those dates, so the report shows a history out of
    the box. The sample's facilities carry their opening dates; the snapshots count those open then.
    """
    from geo.planning.history import take_plan_snapshots

    click.echo("保存基期与中期指标快照… · taking the baseline and mid-term indicator snapshots…", err=True)
    with domain_errors():
        for stored in take_plan_snapshots(store, actor=CLI_ACTOR):
            click.echo(text("indicator_history.stored", id=stored["id"], kind=stored["kind_label"],
                            as_of=stored["as_of"], seq=stored["data_seq"]))
