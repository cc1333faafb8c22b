"""``xincheng boundaries overdue|repairs|disputes``: the boundary casework (BM-06, BM-03, BM-09).

Importing this module adds its commands to the ``boundaries`` group (api/cli/__init__.py imports it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from api.cli.boundaries import boundaries
from api.cli.common import BadParameter, Context, domain_errors
from geo.errors import InputError
from geo.messages import text


class DisputeState(click.ParamType):
    """A dispute case's state; a wrong one is refused naming every state with its Chinese label."""

    name = "state"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from geo.boundaries.disputes import STATES, states_named

        if value in STATES:
            return str(value)
        raise BadParameter(text("cli.not_one_of", got=value, allowed=states_named()), ctx=ctx, param=param)


def _refuse_line(exc: InputError) -> BadParameter:
    """Say an unknown line as a bad ``--line`` (exit status 2, no traceback)."""
    return BadParameter(exc.message, param_hint="'--line'")


@boundaries.command("overdue")
@click.option("--all", "every", is_flag=True, default=False, help="列出全部界线 · every line, not only overdue ones.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="按此日期判断（默认今天） · judge on this day (default today).")
@click.pass_obj
def boundaries_overdue(obj: Context, every: bool, today: datetime | None) -> None:
    """联检到期 · Lines overdue for their five-yearly joint inspection (BM-06), most overdue first."""
    from api.cli.output import one_line
    from geo.boundaries.cadence import due_text, line_cadence, overdue_lines

    with domain_errors():
        day = today.date() if today else None
        rows = line_cadence(obj.store, today=day) if every else overdue_lines(obj.store, today=day)
    click.echo("界线 line\t名称 name\t上次联检 last joint inspection\t应检日期 due\t状态 standing")
    for r in rows:
        last = r["last_inspected_on"].isoformat() if r["last_inspected_on"] else "—"
        due = r["due_on"].isoformat() if r["due_on"] else "—"
        late = due_text(r["days_overdue"])
        click.echo(f"{r['line_code']}\t{one_line(r['name'])}\t{last}\t{due}\t{late}")
    click.echo(f"共 {len(rows)} 条 · {len(rows)} lines")


@boundaries.command("repairs")
@click.option("--line", "line_code", default=None, help="界线编号 · only this line's markers.")
@click.pass_obj
def boundaries_repairs(obj: Context, line_code: str | None) -> None:
    """界桩修复 · Repairs done (BM-03), newest first: date, marker, sides, representatives, work."""
    from api.cli.output import one_line
    from geo.boundaries.repairs import repairs_done

    try:
        rows = repairs_done(obj.store, line_code=line_code)
    except InputError as exc:
        if exc.field != "line_code":
            with domain_errors():
                raise
        raise _refuse_line(exc) from None
    click.echo("日期 date\t界桩 marker\t修复方 repairing\t相邻方 neighbour\t代表 representatives\t内容 work\t"
               "重新埋设 re-set")
    for r in rows:
        click.echo(f"{r['repaired_on'].isoformat()}\t{r['marker_no']}\t{r['repairing_adcode']}\t"
                   f"{r['neighbour_adcode']}\t{one_line(r['our_representative'])} / "
                   f"{one_line(r['neighbour_representative'])}\t{one_line(r['work'])}\t"
                   f"{'是 yes' if r['reset'] else '否 no'}")
    click.echo(f"共 {len(rows)} 条 · {len(rows)} repairs")


@boundaries.command("disputes")
@click.option("--state", type=DisputeState(), default=None,
              help="案件状态（已立案 open、已交办 assigned、已结案 resolved、已撤回 withdrawn） · only cases in this "
                   "state.")
@click.option("--line", "line_code", default=None, help="界线编号 · only this line's cases.")
@click.pass_obj
def boundaries_disputes(obj: Context, state: str | None, line_code: str | None) -> None:
    """界线争议 · Dispute cases (BM-09), newest first: number, line, state, area, title, decision."""
    from api.cli.output import one_line
    from geo.boundaries.disputes import list_disputes, state_label

    try:
        rows = list_disputes(obj.store, state=state, line_code=line_code)
    except InputError as exc:
        if exc.field != "line_code":
            with domain_errors():
                raise
        raise _refuse_line(exc) from None
    click.echo("案号 case\t界线 line\t状态 state\t面积 m²\t标题 title\t承办 assigned to\t决定 decision")
    for r in rows:
        click.echo(f"{r['case_no']}\t{r['line_code']}\t{state_label(r['state'])}\t{r['area_m2'] or 0:,.0f}\t"
                   f"{one_line(r['title'])}\t{one_line(r.get('assigned_to') or '—')}\t"
                   f"{one_line(r.get('decision_doc') or '—')}")
    click.echo(f"共 {len(rows)} 件 · {len(rows)} cases")
