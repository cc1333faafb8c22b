"""地名代码、保护名录与国家库同步 · Place-name codes, heritage list, national sync.

``xincheng place-codes categories|scheme|assign|facility-names``, ``place-codes heritage list|add|lift``
and ``place-codes sync export|list|download|sent|ack``. Bad input is a usage error (exit 2) naming the
field; a refused decision (stale version, a name already listed) exits 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from api.cli.common import CLI_ACTOR, Context, OutputPath, domain_errors, group, step_bar

_ACTOR = click.option("--actor", default=CLI_ACTOR, show_default=True,
                      help="操作人（记入审计） · who does it (audited).")
_VERSION = click.option("--version", "version", type=int, default=None,
                        help="记录版本（省略则取当前版本） · the record's version (default: the current one).")


@group()
def place_codes() -> None:
    """地名代码、保护名录与国家库同步 · Place-name codes, heritage list, national sync."""


@place_codes.command("categories")
def categories_cmd() -> None:
    """地名类别代码表 · List the category table (GB/T 18521; data/placenames/categories.csv) with sources."""
    from geo.placenames.categories import load_categories

    with domain_errors():
        table = load_categories()
    click.echo("代码 code\t名称 name\t英文 English\t普查大类 census class\t来源 source")
    for c in table.values():
        click.echo(f"{c.code}\t{c.name_zh}\t{c.name_en}\t{c.census_class}\t{c.source}")


@place_codes.command("scheme")
def scheme_cmd() -> None:
    """地名代码方案 · Show how place codes are built (data/placenames/place_codes.toml)."""
    from geo.placenames.codes import load_scheme

    with domain_errors():
        s = load_scheme()
    click.echo(f"模板 template: {s.template}\n流水号位数 serial digits: {s.serial_digits}\n"
               f"未分类 unclassified: {s.unclassified}\n依据 basis: {s.basis}\n来源 source: {s.source}")


@place_codes.command("assign")
@_ACTOR
@click.pass_obj
def assign_cmd(obj: Context, actor: str) -> None:
    """补充地名代码 · Give a code to every name past approval that has none; existing codes never change."""
    from geo.placenames.codes import assign_missing, names_without_code

    with domain_errors():
        total = len(names_without_code(obj.store))
        with step_bar(total, "地名代码 place codes") as bar:
            done = assign_missing(obj.store, actor=actor, progress=bar.update)
    click.echo(f"待补充 candidates: {done['candidates']}，已赋码 assigned: {done['assigned']}")


@place_codes.command("facility-names")
@click.option("--radius-m", type=float, default=500.0, show_default=True,
              help="周边范围（米） · how far around a facility to look for place names (m).")
@click.pass_obj
def facility_names_cmd(obj: Context, radius_m: float) -> None:
    """设施名称检查（PN-08） · List facilities whose name contains no place name around them (warnings)."""
    from geo.placenames.facility_names import check_facility_names

    with domain_errors():
        result = check_facility_names(obj.store, radius_m=radius_m)
    for f in result["findings"]:
        click.echo(f"{f['facility_id']}\t{f['message']}")
    click.echo(f"检查 checked: {result['checked']}，提示 warnings (PN-08): {len(result['findings'])}")


# -- the heritage protection list -----------------------------------------------------------------

@place_codes.group("heritage")
def heritage() -> None:
    """地名文化遗产保护名录（PN-09） · The place-name heritage protection list."""


@heritage.command("list")
@click.option("--status", type=click.Choice(["listed", "lifted"]), default=None,
              help="只列在册或已解除 · only listed or only lifted entries.")
@click.pass_obj
def heritage_list(obj: Context, status: str | None) -> None:
    """保护名录 · List the entries: id, name, code, status, decision, listed, lifted, reason."""
    from geo.placenames.heritage import protection_list

    with domain_errors():
        rows = protection_list(obj.store, status=status)
    click.echo("条目 entry\t地名 name\t代码 code\t状态 status\t决定 decision\t列入 listed\t解除 lifted\t原因 reason")
    for r in rows:
        decision = " ".join(x for x in (r.get("decision_body"), r.get("decision_doc_no")) if x) or "—"
        lifted = f"{r['lifted_on']} {r.get('lift_doc_no') or ''}".strip() if r.get("lifted_on") else "—"
        reason = r.get("reason") or r.get("lift_reason") or ""
        click.echo(f"{r['id']}\t{r.get('standard_name') or ''}\t{r.get('place_code') or '—'}\t{r['status']}\t"
                   f"{decision}\t{r.get('listed_on') or '—'}\t{lifted}\t{reason}")


def _version(obj: Context, place_id: int, version: int | None) -> int:
    return version if version is not None else int(obj.store.get("place_names", place_id)["version"])


@heritage.command("add")
@click.argument("place_id", type=click.IntRange(1))
@click.option("--body", "decision_body", required=True, help="决定机关 · the body that decided.")
@click.option("--doc", "doc_no", required=True, help="决定文号 · the decision's document number.")
@click.option("--reason", required=True, help="列入理由 · why the name is protected.")
@click.option("--category", default=None, help="名录类别 · the list's category (at most 24 characters).")
@click.option("--date", "listed_on", default=None,
              help="列入日期 YYYY-MM-DD（默认今天） · listing date (default today).")
@_VERSION
@_ACTOR
@click.pass_obj
def heritage_add(obj: Context, place_id: int, decision_body: str, doc_no: str, reason: str, category: str | None,
                 listed_on: str | None, version: int | None, actor: str) -> None:
    """列入保护名录 · Put a name on the list by a decision (it then refuses rename and retirement, PN-09)."""
    from geo.placenames.lifecycle import set_protection

    with domain_errors():
        name = set_protection(obj.store, place_id, True, expected_version=_version(obj, place_id, version),
                              actor=actor, document_ref=doc_no, reason=reason, decision_body=decision_body,
                              decision_date=listed_on, category=category)
    click.echo(f"已列入保护名录 listed: {name['standard_name']} (v{name['version']})")


@heritage.command("lift")
@click.argument("place_id", type=click.IntRange(1))
@click.option("--doc", "doc_no", required=True, help="解除决定文号 · the lifting decision's document number.")
@click.option("--reason", required=True, help="解除理由 · why the protection is lifted.")
@click.option("--date", "lifted_on", required=True, help="解除日期 YYYY-MM-DD · the lifting date.")
@_VERSION
@_ACTOR
@click.pass_obj
def heritage_lift(obj: Context, place_id: int, doc_no: str, reason: str, lifted_on: str, version: int | None,
                  actor: str) -> None:
    """解除保护 · Lift a name's protection by a decision; the list keeps the entry (status lifted)."""
    from geo.placenames.lifecycle import set_protection

    with domain_errors():
        name = set_protection(obj.store, place_id, False, expected_version=_version(obj, place_id, version),
                              actor=actor, document_ref=doc_no, reason=reason, decision_date=lifted_on)
    click.echo(f"已解除保护 lifted: {name['standard_name']} (v{name['version']})")


# -- the annual national sync ---------------------------------------------------------------------

@place_codes.group("sync")
def sync() -> None:
    """与国家地名信息库年度同步 · The annual sync with the national place-name database."""


def _show(batch: dict[str, Any]) -> str:
    from geo.messages import beijing_time

    sent = beijing_time(batch["sent_at"]) if batch.get("sent_at") else "未报送 not sent"
    ack = (f"{beijing_time(batch['acknowledged_at'])} {batch.get('ack_ref') or ''}" if batch.get("acknowledged_at")
           else "未回执 no ack")
    return (f"{batch['id']}\t{batch['year']}-{batch['batch_no']:02d}\t{batch['record_count']} 条 names\t"
            f"seq {batch['from_seq']}–{batch['to_seq']}\tSHA-256 {batch['checksum_sha256']}\t{sent}\t{ack}\t"
            f"v{batch['version']}")


@sync.command("export")
@click.option("--year", type=click.IntRange(2000, 9999), required=True, help="年份 · the year whose changes to send.")
@click.option("--out", type=OutputPath(".csv"), default=None, help="写出批次文件 · write the batch file (.csv).")
@_ACTOR
@click.pass_obj
def sync_export(obj: Context, year: int, out: Path | None, actor: str) -> None:
    """导出年度变更批次 · Make the year's batch of changes not yet sent (or show the last one if nothing is new)."""
    from geo.placenames.national_sync import make_batch

    with domain_errors():
        batch, created = make_batch(obj.store, year, actor=actor)
    said = "新批次 new batch: " if created else "没有新变更，沿用上一批次 nothing new, same batch: "
    click.echo(said + _show(batch))
    for warning in batch["warnings"]:
        click.echo("注意 warning: " + warning, err=True)
    if out is not None:
        out.write_bytes(batch["payload"].encode("utf-8"))
        click.echo(f"已写出 written: {out}")


@sync.command("list")
@click.option("--year", type=click.IntRange(2000, 9999), default=None, help="只列该年 · only this year.")
@click.pass_obj
def sync_list(obj: Context, year: int | None) -> None:
    """同步批次列表 · List the batches: id, year-batch, names, seq range, checksum, sent, acknowledged."""
    from geo.placenames.national_sync import list_batches

    with domain_errors():
        for batch in list_batches(obj.store, year=year):
            click.echo(_show(batch))


@sync.command("download")
@click.argument("batch_id", type=click.IntRange(1))
@click.option("--out", type=OutputPath(".csv"), required=True, help="批次文件 · where to write the batch file (.csv).")
@click.pass_obj
def sync_download(obj: Context, batch_id: int, out: Path) -> None:
    """下载批次文件 · Write a batch's file exactly as stored (its SHA-256 is printed to compare)."""
    from geo.placenames.national_sync import get_batch

    with domain_errors():
        batch = get_batch(obj.store, batch_id)
    out.write_bytes(batch["payload"].encode("utf-8"))
    click.echo(f"已写出 written: {out}  SHA-256 {batch['checksum_sha256']}")


def _batch_version(obj: Context, batch_id: int, version: int | None) -> int:
    from geo.placenames.national_sync import get_batch

    return version if version is not None else int(get_batch(obj.store, batch_id)["version"])


@sync.command("sent")
@click.argument("batch_id", type=click.IntRange(1))
@_VERSION
@_ACTOR
@click.pass_obj
def sync_sent(obj: Context, batch_id: int, version: int | None, actor: str) -> None:
    """登记已报送 · Record that a batch was sent to the national database (after every earlier batch)."""
    from geo.placenames.national_sync import mark_sent

    with domain_errors():
        batch = mark_sent(obj.store, batch_id, expected_version=_batch_version(obj, batch_id, version), actor=actor)
    click.echo(_show(batch))


@sync.command("ack")
@click.argument("batch_id", type=click.IntRange(1))
@click.option("--ref", "ack_ref", required=True, help="国家库回执编号 · the national side's reference.")
@_VERSION
@_ACTOR
@click.pass_obj
def sync_ack(obj: Context, batch_id: int, ack_ref: str, version: int | None, actor: str) -> None:
    """登记回执 · Record the national side's acknowledgement of a sent batch."""
    from geo.placenames.national_sync import mark_acknowledged

    with domain_errors():
        batch = mark_acknowledged(obj.store, batch_id, ack_ref=ack_ref,
                                  expected_version=_batch_version(obj, batch_id, version), actor=actor)
    click.echo(_show(batch))
