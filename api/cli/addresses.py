"""标准地址（楼、单元、室） · Standard addresses below the door plate.

``xincheng addresses add|list|show|tree|edit|retire|import|print``: each write calls its use case
(:mod:`geo.addresses`); a bad input is a usage error (exit 2) naming the field, a conflict (a
duplicate, a stale version, active addresses below) exits 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from api.cli.common import CLI_ACTOR, Context, InputPath, InputRefused, OutputPath, domain_errors, group, step_bar
from api.cli.output import print_table
from geo.errors import NotFound

LEVELS = ("building", "unit", "room")
_IMPORT_HELP = ("列 columns（中文或英文表头 · Chinese or English headers）: 门牌编号 plate_uid"
                "（或 街路巷 street_name + 门牌号 number [+ 附号 suffix]）, 楼号 building, 单元 unit, 室号 room, "
                "楼层 floor（室号不是 302 式时 · only when the room is not numbered floor + two digits）.")


@group()
def addresses() -> None:
    """标准地址（楼、单元、室） · Standard addresses below the door plate."""


def _rows(found: list[dict[str, Any]]) -> list[list[Any]]:
    return [[a["address_uid"], a["level"], a["status"], a["standard_address"], a["version"]] for a in found]


_HEADERS = ["地址编号 id", "层级 level", "状态 status", "标准地址 standard address", "版本 version"]


@addresses.command("add")
@click.argument("level", type=click.Choice(LEVELS))
@click.argument("parent")
@click.argument("label")
@click.option("--floor", type=click.IntRange(-9, 99), default=None,
              help="楼层（室号不是 302 式时） · floor, when the room number does not say it.")
@click.pass_obj
def add_cmd(obj: Context, level: str, parent: str, label: str, floor: int | None) -> None:
    """新增地址 · Add a building, unit or room below PARENT (a plate id; a building id; a unit or building id).

    LABEL: 3 / 3号楼 / A座 for a building, 2 / 2单元 for a unit, 302 / 302室 for a room.
    """
    from geo.addresses import add_building, add_room, add_unit, with_chain

    with domain_errors():
        if level == "building":
            stored = add_building(obj.store, parent, label, actor=CLI_ACTOR)
        elif level == "unit":
            stored = add_unit(obj.store, parent, label, actor=CLI_ACTOR)
        else:
            stored = add_room(obj.store, parent, label, floor=floor, actor=CLI_ACTOR)
        shown = with_chain(obj.store, stored)
    click.echo(f"已新增 added {shown['address_uid']}: {shown['standard_address']}")
    click.echo(f"  {shown['romanized']}")


@addresses.command("list")
@click.option("--plate", "plate_uid", default=None, help="门牌编号 · only below this plate.")
@click.option("--level", type=click.Choice(LEVELS), default=None, help="层级 · only this level.")
@click.option("--status", type=click.Choice(("active", "retired")), default="active", show_default=True,
              help="状态 · status.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=200, show_default=True, help="最多 · at most.")
@click.pass_obj
def list_cmd(obj: Context, plate_uid: str | None, level: str | None, status: str, limit: int) -> None:
    """列出地址 · List this district's standard addresses."""
    from geo.addresses import list_addresses

    with domain_errors():
        found = list_addresses(obj.store, plate_uid=plate_uid, level=level, status=status, limit=limit)
    print_table(_rows(found), _HEADERS)


@addresses.command("show")
@click.argument("address_uid")
@click.pass_obj
def show_cmd(obj: Context, address_uid: str) -> None:
    """查看地址 · Show one address: standard address, pinyin, floor, status and its parent chain."""
    from geo.addresses import get_address, with_chain

    with domain_errors():
        shown = with_chain(obj.store, get_address(obj.store, address_uid))
    print_table([["地址编号 id", shown["address_uid"]], ["层级 level", shown["level"]],
                 ["状态 status", shown["status"]], ["标准地址 standard address", shown["standard_address"]],
                 ["拼音 romanized", shown["romanized"]], ["楼层 floor", shown["floor"] if shown["floor"] else "—"],
                 ["版本 version", shown["version"]]], None)
    click.echo("上级 parents:")
    for p in shown["parents"]:
        click.echo(f"  {p.get('address_uid') or p.get('plate_uid')}  {p.get('standard_address') or ''}")


@addresses.command("tree")
@click.argument("plate_uid")
@click.option("--all", "include_retired", is_flag=True, help="含已注销 · include retired addresses.")
@click.pass_obj
def tree_cmd(obj: Context, plate_uid: str, include_retired: bool) -> None:
    """门牌下的地址树 · Show a plate's buildings, units and rooms as a tree."""
    from geo.addresses import plate_tree

    with domain_errors():
        tree = plate_tree(obj.store, plate_uid, include_retired=include_retired)
    click.echo(f"{plate_uid}  {tree['standard_address']}")

    def walk(nodes: list[dict[str, Any]], depth: int) -> None:
        for n in nodes:
            own = n["room"] if n["level"] == "room" else n["unit"] if n["level"] == "unit" else n["building"]
            mark = "" if n["status"] == "active" else "（已注销 retired）"
            click.echo(f"{'  ' * depth}{own}  {n['address_uid']}{mark}")
            walk(n["children"], depth + 1)

    walk(tree["buildings"], 1)
    counts = tree["counts"]
    click.echo(f"楼 {counts['building']} · 单元 {counts['unit']} · 室 {counts['room']}")


@addresses.command("edit")
@click.argument("address_uid")
@click.option("--version", "expected_version", type=click.IntRange(1), required=True,
              help="所改版本 · the version you are editing (409 if it changed meanwhile).")
@click.option("--label", default=None, help="新编号 · the address's new label (3号楼, 2单元, 302室).")
@click.option("--floor", type=click.IntRange(-9, 99), default=None, help="楼层（室） · a room's floor.")
@click.pass_obj
def edit_cmd(obj: Context, address_uid: str, expected_version: int, label: str | None, floor: int | None) -> None:
    """修改地址编号 · Renumber an address; the addresses below it follow."""
    from geo.addresses import edit_address, get_address

    with domain_errors():
        level = get_address(obj.store, address_uid)["level"]
        changes: dict[str, Any] = {}
        if label is not None:
            changes[level] = label
        if floor is not None:
            changes["floor"] = floor
        after = edit_address(obj.store, address_uid, changes, expected_version=expected_version, actor=CLI_ACTOR)
    click.echo(f"已修改 changed {after['address_uid']} (版本 version {after['version']}): {after['standard_address']}")


@addresses.command("retire")
@click.argument("address_uid")
@click.option("--version", "expected_version", type=click.IntRange(1), required=True,
              help="所改版本 · the version you are retiring (409 if it changed meanwhile).")
@click.option("--reason", required=True, help="注销理由 · why (e.g. 拆除 demolished, 合并 merged).")
@click.option("--with-children", is_flag=True,
              help="连同下级一并注销 · retire the units and rooms below it too (AD-06).")
@click.pass_obj
def retire_cmd(obj: Context, address_uid: str, expected_version: int, reason: str, with_children: bool) -> None:
    """注销地址 · Retire an address; it keeps its id for good."""
    from geo.addresses import retire_address

    with domain_errors():
        retired = retire_address(obj.store, address_uid, reason=reason, expected_version=expected_version,
                                 actor=CLI_ACTOR, with_children=with_children)
    click.echo(f"已注销 {len(retired)} 个地址 · retired {len(retired)} addresses")


@addresses.command("import", help="批量导入楼、单元、室 · Import buildings, units and rooms from a developer's XLSX "
                                  "FILE, whole or not at all (every refused row listed). " + _IMPORT_HELP)
@click.argument("file", type=InputPath(".xlsx", ".csv"))
@click.pass_obj
def import_cmd(obj: Context, file: Path) -> None:
    from geo.addresses import import_addresses
    from geo.messages import text

    with domain_errors(), step_bar(1, "导入 importing") as bar:
        counts = import_addresses(obj.store, file, actor=CLI_ACTOR, source=f"xlsx {file.name}")
        bar.update(1)
    click.echo(text("addresses.imported", count=counts["imported"], buildings=counts["building"],
                    units=counts["unit"], rooms=counts["room"]))


@addresses.command("print")
@click.argument("path", type=OutputPath(".pdf", ".svg"))
@click.option("--plate", "plate_uid", default=None, help="门牌编号 · every building and unit below this plate.")
@click.option("--address", "address_uid", default=None, help="地址编号 · one building or unit.")
@click.option("--proof", is_flag=True, help="校样 · a marked proof: allowed without the Mongolian name (SG-01).")
@click.pass_obj
def print_cmd(obj: Context, path: Path, plate_uid: str | None, address_uid: str | None, proof: bool) -> None:
    """打印楼牌、单元牌 · Print building plates (900 x 500 mm) and unit plates (270 x 170 mm) with signed QR codes.

    PATH ending in .pdf: one plate per page (Chromium); .svg: one address (--address) as SVG.
    """
    from geo.addresses import get_address, list_addresses
    from geo.addresses.printing import batch_html, plate_svg, printable
    from geo.messages import text
    from geo.plates.codes import PlateSigner, check_public_base_url

    if (plate_uid is None) == (address_uid is None):
        raise click.UsageError(text("cli.choose_plate_or_address"))
    with domain_errors():
        settings = obj.settings.validated(require_secret=True)  # the codes are signed: a real key
        signer = PlateSigner.from_setting(settings.qr_keys, fallback_secret=settings.secret_key)
        if address_uid is not None:
            try:
                chosen = [get_address(obj.store, address_uid)]
            except NotFound as exc:  # the value given is what is wrong: status 2, as for a plate naming nothing
                raise InputRefused(exc.message) from None
        else:
            chosen = [a for level in ("building", "unit")
                      for a in list_addresses(obj.store, plate_uid=plate_uid, level=level, limit=10_000)]
            chosen = [get_address(obj.store, a["address_uid"]) for a in chosen]
        if not chosen:
            raise InputRefused(text("cli.no_plates_match"))
        base_url = settings.public_base_url
        if not settings.dev_mode:  # printed codes must reach the public server
            base_url = check_public_base_url(base_url)
        printed = [printable(obj.store, a, signer=signer, base_url=base_url) for a in chosen]
        if path.suffix.lower() == ".svg":
            if len(printed) != 1:  # a plate with several building or unit addresses: the file holds one
                raise InputRefused(text("cli.svg_one_address", count=len(printed)))
            path.write_text(plate_svg(printed[0], proof=proof), encoding="utf-8")
        else:
            from maps.plate_print import print_pdf

            document = batch_html(printed, proof=proof)
            with step_bar(1, "排版打印 printing (Chromium)") as bar:
                print_pdf(document, path)
                bar.update(1)
    click.echo(f"已写入 {len(printed)} 块牌到 {path} · wrote {len(printed)} plates to {path}")
