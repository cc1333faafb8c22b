"""Place names and addresses: ``xincheng gazetteer ...`` and ``xincheng address``."""

from __future__ import annotations

from pathlib import Path

import click

from api.cli.common import Context, OutputPath, command, domain_errors, group
from api.cli.output import print_table, write_table
from geo.messages import catalogue, text, value_label, zh


@group()
def gazetteer() -> None:
    """地名信息库 · The gazetteer: search, romanize, export, announce, match addresses."""


@gazetteer.command("search")
@click.argument("query")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000),
              help="最多条数 · at most this many names.")
@click.pass_obj
def gazetteer_search(obj: Context, query: str, limit: int) -> None:
    """地名检索 · Search names by Chinese, pinyin, initials (xlglbl → 锡林郭勒北路) or a former name.

    Prints id, name, toned pinyin, status and how the name matched; says so when nothing matches
    (exit status 1, as grep does).
    """
    from geo.placenames.search import search_names

    hits = search_names(obj.store, query, limit=limit)
    if not hits:
        click.echo(text("cli.no_names", query=query), err=True)
        raise SystemExit(1)
    print_table([[hit.id, hit.name, rec.get("pinyin_toned") or "—", value_label(rec["status"]),
                  zh(f"cli.match.{hit.how}") if f"cli.match.{hit.how}" in catalogue() else hit.how]
                 for hit, rec in hits],
                ["编号 id", "名称 name", "拼音 pinyin", "状态 status", "匹配 matched by"])


@gazetteer.command("romanize")
@click.argument("name")
@click.option("--specific", default=None, help="专名 · the specific part; separate words with spaces.")
@click.option("--generic", default=None, help="通名 · the generic part (路, 街, 服务站 ...).")
@click.option("--settlement/--no-settlement", default=None,
              help="聚落名连写 · write the whole name as one word (RM-03).")
def gazetteer_romanize(name: str, specific: str | None, generic: str | None, settlement: bool | None) -> None:
    """罗马字母拼写 · Print the romanization of a name (toned, toneless, sign text)."""
    from geo.placenames.romanize import romanize

    with domain_errors():
        r = romanize(name, specific=specific, generic=generic, settlement=settlement)
    click.echo(f"{r.pinyin_toned}\n{r.romanization}\n{r.sign_text}")


@gazetteer.command("overdue")
@click.pass_obj
def gazetteer_overdue(obj: Context) -> None:
    """逾期未备案公告 · List names approved more than 15 days ago that are not yet filed or announced (PN-11/12)."""
    from geo.placenames.lifecycle import overdue_names

    rows = overdue_names(obj.store)
    what = {"filed_date": "未备案 unfiled", "announce_date": "未公告 unannounced"}
    for r in rows:
        click.echo(f"{r['id']}\t{r['standard_name']}\t批准 approved {r['approval_date'].isoformat()}\t"
                   f"{r['days_since_approval']} 天 days\t" + "，".join(what[m] for m in r["missing"]))
    click.echo(f"逾期 {len(rows)} 个地名 · {len(rows)} names overdue (PN-11/12: 15 days after approval)")


@gazetteer.command("export")
@click.argument("path", type=OutputPath(".csv", ".xlsx", ".gpkg"))
@click.option("--status", default="in_force", show_default=True, help="名称状态 · lifecycle state of the names.")
@click.pass_obj
def gazetteer_export(obj: Context, path: Path, status: str) -> None:
    """导出地名 · Write the national exchange table (.csv/.xlsx) or the gazetteer as GeoPackage (.gpkg)."""
    from geo.io.importer import export_layer
    from geo.placenames.lifecycle import exchange_table_of

    store = obj.store
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        with domain_errors():
            count = export_layer(store, "place_names", path, where={"status": status})
    else:
        with domain_errors():
            table = exchange_table_of(store, status)
        write_table(table, path)
        count = len(table)
    click.echo(f"已写入 {count} 个地名到 {path} · wrote {count} names to {path}")


@command("address")
@click.argument("text")
@click.pass_obj
def address_cmd(obj: Context, text: str) -> None:
    """地址匹配 · Match a free-text address to a door plate (exact, safe, uncertain or none)."""
    from geo.plates.address_match import load_address_matcher

    # The command has always matched against the plates' current street names only.
    result = load_address_matcher(obj.store, former_names=False).match(text)
    plate = result.plate
    grades = {"exact": "精确 exact", "safe": "可靠 safe", "uncertain": "不确定 uncertain", "none": "未匹配 none"}
    print_table([["匹配 match", grades.get(result.grade, result.grade)],
                 ["街路巷 street", result.street or "—"],
                 ["门牌号 number", result.number or "—"],
                 ["门牌编号 plate", plate["plate_uid"] if plate else "—"],
                 ["说明 note", result.note or "—"]], None)
    if result.candidates:
        click.echo("候选门牌 candidates:")
        for c in result.candidates[:5]:
            click.echo(f"  {c['plate_uid']}  {c['street_name']}{c['number']}号")
