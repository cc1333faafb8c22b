"""Residents' problem reports from the plate pages: ``xincheng reports list|resolve``."""

from __future__ import annotations

from datetime import datetime

import click

from api.cli.common import CLI_ACTOR, Context, domain_errors, group

KINDS = ("damaged_plate", "wrong_info", "missing_plate", "other")


@group()
def reports() -> None:
    """群众报告 Residents' problem reports: list them, resolve one with a note."""


@reports.command("list")
@click.option("--status", type=click.Choice(["open", "resolved", "all"]), default="open", show_default=True,
              help="待处理 open, 已处理 resolved, or all.")
@click.option("--street", default=None, help="Part of the plate's street name (新华 matches 新华大街).")
@click.option("--kind", type=click.Choice(KINDS), default=None)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None, help="From this day (Beijing time).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), default=None, help="To this day, inclusive.")
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@click.pass_obj
def reports_list(obj: Context, status: str, street: str | None, kind: str | None, since: datetime | None,
                 until: datetime | None, limit: int, offset: int) -> None:
    """List reports, newest first: number, time, plate, kind, status, message (tab-separated)."""
    from api.cli.output import one_line
    from geo.plates.resident_reports import BEIJING, REPORT_KIND_ZH, REPORT_STATUS_ZH, ReportFilter, list_reports

    with domain_errors():
        flt = ReportFilter(status=None if status == "all" else status, street=street, kind=kind,
                           since=since.date() if since else None, until=until.date() if until else None)
        rows, total = list_reports(obj.store, flt, limit=limit, offset=offset)
    for r in rows:
        where = f"{r['street_name']}{r['number']}{r.get('suffix') or ''}号" if r.get("street_name") \
            else (r.get("plate_uid") or "")
        note = f"\t处理 resolution: {one_line(r['resolution_note'])}" if r.get("resolution_note") else ""
        click.echo(f"{r['id']}\t{r['created_at'].astimezone(BEIJING):%Y-%m-%d %H:%M}\t{one_line(where)}\t"
                   f"{REPORT_KIND_ZH.get(r['kind'], r['kind'])}\t"
                   f"{REPORT_STATUS_ZH.get(r['status'], r['status'])} {r['status']}\t"
                   f"{one_line(r.get('message') or '')}\tv{r['version']}{note}")
    shown = f"{offset + 1}–{offset + len(rows)}" if rows else "0"
    click.echo(f"第 {shown} 条，共 {total} 条 · {shown} of {total} reports")


@reports.command("resolve")
@click.argument("report_id", type=int)
@click.option("--note", required=True, help="What was done (处理说明).")
@click.option("--version", "version", type=int, required=True,
              help="The report's version as listed (v1): a report changed since is refused.")
@click.option("--actor", default=CLI_ACTOR, show_default=True, help="Who resolved it, for the audit trail.")
@click.pass_obj
def reports_resolve(obj: Context, report_id: int, note: str, version: int, actor: str) -> None:
    """Mark report REPORT_ID resolved with a note (audited)."""
    from geo.messages import text
    from geo.plates.resident_reports import resolve_report

    with domain_errors():
        resolve_report(obj.store, report_id, note=note, expected_version=version, actor=actor)
    click.echo(text("officer.report_resolved", report_id=report_id))
