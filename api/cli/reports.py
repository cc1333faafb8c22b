"""Residents' problem reports from the plate pages: ``xincheng reports list|resolve``."""

from __future__ import annotations

from datetime import datetime

import click

from api.cli.common import CLI_ACTOR, Context, domain_errors, group

KINDS = ("damaged_plate", "wrong_info", "missing_plate", "other")


@group()
def reports() -> None:
    """群众报告 · Residents' problem reports: list them, resolve one with a note."""


@reports.command("list")
@click.option("--status", type=click.Choice(["open", "resolved", "all"]), default="open", show_default=True,
              help="状态：待处理 open、已处理 resolved 或全部 all · status.")
@click.option("--street", default=None,
              help="街路巷名称的一部分（新华 可匹配 新华大街） · part of the plate's street name.")
@click.option("--kind", type=click.Choice(KINDS), default=None, help="问题类型 · kind of problem.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="起始日期（北京时间） · from this day (Beijing time).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="截止日期（含当天） · to this day, inclusive.")
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True, help="每页条数 · rows per page.")
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True, help="跳过条数 · rows to skip.")
@click.pass_obj
def reports_list(obj: Context, status: str, street: str | None, kind: str | None, since: datetime | None,
                 until: datetime | None, limit: int, offset: int) -> None:
    """报告列表 · List reports, newest first: number, time, plate, kind, status, message (tab-separated)."""
    from api.cli.output import one_line
    from geo.messages import beijing_minute
    from geo.plates.resident_reports import REPORT_KIND_ZH, REPORT_STATUS_ZH, ReportFilter, list_reports

    with domain_errors():
        flt = ReportFilter(status=None if status == "all" else status, street=street, kind=kind,
                           since=since.date() if since else None, until=until.date() if until else None)
        rows, total = list_reports(obj.store, flt, limit=limit, offset=offset)
    for r in rows:
        where = f"{r['street_name']}{r['number']}{r.get('suffix') or ''}号" if r.get("street_name") \
            else (r.get("plate_uid") or "")
        note = f"\t处理 resolution: {one_line(r['resolution_note'])}" if r.get("resolution_note") else ""
        click.echo(f"{r['id']}\t{beijing_minute(r['created_at'])}\t{one_line(where)}\t"
                   f"{REPORT_KIND_ZH.get(r['kind'], r['kind'])}\t"
                   f"{REPORT_STATUS_ZH.get(r['status'], r['status'])} {r['status']}\t"
                   f"{one_line(r.get('message') or '')}\tv{r['version']}{note}")
    shown = f"{offset + 1}–{offset + len(rows)}" if rows else "0"
    click.echo(f"第 {shown} 条，共 {total} 条 · {shown} of {total} reports")


@reports.command("resolve")
@click.argument("report_id", type=int)
@click.option("--note", required=True, help="处理说明 · what was done.")
@click.option("--version", "version", type=int, required=True,
              help="报告版本（列表中的 v1） · the report's version as listed: a report changed since is refused.")
@click.option("--actor", default=CLI_ACTOR, show_default=True,
              help="处理人（记入审计） · who resolved it, for the audit trail.")
@click.pass_obj
def reports_resolve(obj: Context, report_id: int, note: str, version: int, actor: str) -> None:
    """处理报告 · Mark report REPORT_ID resolved with a note (audited)."""
    from geo.errors import StaleVersion
    from geo.messages import record_label, text
    from geo.plates.resident_reports import resolve_report

    with domain_errors():
        try:
            resolve_report(obj.store, report_id, note=note, expected_version=version, actor=actor)
        except StaleVersion:  # the store names its table; a person reads 问题报告 3
            current = obj.store.get("problem_reports", report_id)["version"]
            raise StaleVersion(text("cli.stale_record", record=record_label("problem_reports", report_id),
                                    current=current, given=version, command="xincheng reports list"),
                               field="version") from None
    click.echo(text("officer.report_resolved", report_id=report_id))
