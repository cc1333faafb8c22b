"""路牌 · Street name signs and unnamed roads: ``xincheng signs list|install|inspect|damage|replace|remove|
queue|junctions|unnamed-roads|print``.

Writes go through the use cases of :mod:`geo.signs.register` (audited, 409 on a stale version);
``print`` writes SVG (one sign) or PDF (a batch, through Chromium so the Mongolian is shaped) and
needs the service's secret key for smart signs' QR codes, as the server signs them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from api.cli.common import CLI_ACTOR, Context, OutputPath, domain_errors, group, step_bar

SIGN_TYPES = ("ordinary", "smart")
DIRECTIONS = ("east", "west", "north", "south", "none")
SIDES = ("left", "right")
CONDITIONS = ("good", "faded", "dirty", "tilted", "damaged", "missing")
STATUSES = ("active", "damaged", "replacement_queued", "replaced", "removed")


@group()
def signs() -> None:
    """路牌 · Street name signs and unnamed roads."""


def _show(sign: dict[str, Any]) -> str:
    point = sign.get("geometry")
    where = f"{point.x:.6f},{point.y:.6f}" if point is not None else "-"
    rng = f"{sign['number_from']}–{sign['number_to']}号" if sign.get("number_from") else ""
    return (f"{sign['sign_uid']}  v{sign['version']}  {sign['status']}  {sign['sign_type']}  {sign['shows_name']}  "
            f"{sign.get('side') or ''} {sign.get('direction') or ''} {rng}  {where}")


@signs.command("list")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="状态 · only signs in this status.")
@click.option("--street-id", type=click.IntRange(1), default=None, help="路段 id · only this street segment.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=200, show_default=True, help="最多 · at most.")
@click.pass_obj
def list_cmd(obj: Context, status: str | None, street_id: int | None, limit: int) -> None:
    """列出路牌 · List this district's signs (id, version, status, type, name, side, arrow, range, lon,lat)."""
    from geo.signs.register import list_signs

    with domain_errors():
        rows, total = list_signs(obj.store, status=status, street_id=street_id, limit=limit)
    for sign in rows:
        click.echo(_show(sign))
    click.echo(f"共 {total} 块 · {total} signs" + (f"（显示前 {len(rows)} · first {len(rows)} shown）"
                                                  if total > len(rows) else ""))


def _point(lonlat: str, crs: str) -> Any:
    import shapely

    from geo.types import LonLat

    where = LonLat.parse(lonlat, crs=crs, field="lonlat")
    return shapely.Point(where.lon, where.lat)


_CRS = click.option("--crs", default="EPSG:4490", show_default=True,
                    help="坐标系 · CRS of --lonlat: EPSG:4490, EPSG:4326, gcj02, bd09, EPSG:4546.")


def _echo_warnings(sign: dict[str, Any]) -> None:
    """Print a stored sign's range warnings (geo.signs.ranges) on stderr, one per line."""
    for warning in sign.get("warnings") or []:
        click.echo("提示 warning: " + str(warning["message"]), err=True)


@signs.command("install")
@click.option("--street-id", type=click.IntRange(1), required=True, help="路段 id · the street segment.")
@click.option("--lonlat", required=True, help="位置 经度,纬度 · position lon,lat.")
@_CRS
@click.option("--type", "sign_type", type=click.Choice(SIGN_TYPES), required=True, help="路牌类型 · sign type.")
@click.option("--side", type=click.Choice(SIDES), default=None, help="所在侧 · side (default: from the position).")
@click.option("--direction", type=click.Choice(DIRECTIONS), default=None, help="箭头方向 · arrow direction.")
@click.option("--from", "number_from", type=click.IntRange(1, 9999), default=None, help="起始门牌号 · first number.")
@click.option("--to", "number_to", type=click.IntRange(1, 9999), default=None, help="终止门牌号 · last number.")
@click.option("--installed-on", default=None, help="设置日期 YYYY-MM-DD · installed on (default today).")
@click.pass_obj
def install_cmd(obj: Context, street_id: int, lonlat: str, crs: str, sign_type: str, side: str | None,
                direction: str | None, number_from: int | None, number_to: int | None,
                installed_on: str | None) -> None:
    """设置路牌 · Register a sign on a street segment; it shows the street's standard name in force."""
    from geo.signs.register import install

    with domain_errors():
        sign = install(obj.store, street_id=street_id, position=_point(lonlat, crs), sign_type=sign_type,
                       actor=CLI_ACTOR, side=side, direction=direction, number_from=number_from,
                       number_to=number_to, installed_on=installed_on)
    click.echo(_show(sign))
    _echo_warnings(sign)


_UID = click.argument("sign_uid")
_VERSION = click.option("--version", "version", type=click.IntRange(1), required=True,
                        help="所读版本 · the version you read (stale: refused).")


@signs.command("inspect")
@_UID
@_VERSION
@click.option("--condition", type=click.Choice(CONDITIONS), required=True, help="完好状况 · condition seen.")
@click.option("--on", "inspected_on", default=None, help="检查日期 YYYY-MM-DD · inspected on (default today).")
@click.option("--remarks", default=None, help="备注 · remarks.")
@click.pass_obj
def inspect_cmd(obj: Context, sign_uid: str, version: int, condition: str, inspected_on: str | None,
                remarks: str | None) -> None:
    """检查路牌 · Record an inspection (damaged or missing marks the sign damaged)."""
    from geo.signs.register import inspect

    with domain_errors():
        sign = inspect(obj.store, sign_uid, expected_version=version, condition=condition, actor=CLI_ACTOR,
                       inspected_on=inspected_on, remarks=remarks)
    click.echo(_show(sign))


@signs.command("damage")
@_UID
@_VERSION
@click.option("--condition", type=click.Choice(("damaged", "missing")), default="damaged", show_default=True,
              help="损坏或缺失 · damaged or missing.")
@click.option("--on", "damaged_on", default=None, help="损坏日期 YYYY-MM-DD · damaged on (default today).")
@click.pass_obj
def damage_cmd(obj: Context, sign_uid: str, version: int, condition: str, damaged_on: str | None) -> None:
    """登记损坏 · Record a damaged or missing sign."""
    from geo.signs.register import report_damage

    with domain_errors():
        sign = report_damage(obj.store, sign_uid, expected_version=version, actor=CLI_ACTOR, condition=condition,
                             damaged_on=damaged_on)
    click.echo(_show(sign))


@signs.command("replace")
@_UID
@_VERSION
@click.option("--on", "replaced_on", default=None, help="更换日期 YYYY-MM-DD · replaced on (default today).")
@click.option("--type", "sign_type", type=click.Choice(SIGN_TYPES), default=None, help="新路牌类型 · new type.")
@click.pass_obj
def replace_cmd(obj: Context, sign_uid: str, version: int, replaced_on: str | None, sign_type: str | None) -> None:
    """更换路牌 · Replace a sign with a new one showing today's standard name."""
    from geo.signs.register import replace

    with domain_errors():
        done = replace(obj.store, sign_uid, expected_version=version, actor=CLI_ACTOR, replaced_on=replaced_on,
                       sign_type=sign_type)
    click.echo("旧 old: " + _show(done["old"]))
    click.echo("新 new: " + _show(done["new"]))
    _echo_warnings(done["new"])


@signs.command("remove")
@_UID
@_VERSION
@click.option("--reason", required=True, help="拆除原因 · why the sign is taken down.")
@click.option("--on", "removed_on", default=None, help="拆除日期 YYYY-MM-DD · removed on (default today).")
@click.pass_obj
def remove_cmd(obj: Context, sign_uid: str, version: int, reason: str, removed_on: str | None) -> None:
    """拆除路牌 · Take a sign down for good (the record stays)."""
    from geo.signs.register import remove

    with domain_errors():
        sign = remove(obj.store, sign_uid, expected_version=version, actor=CLI_ACTOR, reason=reason,
                      removed_on=removed_on)
    click.echo(_show(sign))


@signs.command("queue")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON · print JSON.")
@click.pass_obj
def queue_cmd(obj: Context, as_json: bool) -> None:
    """待更换路牌 · Signs queued for replacement (after a rename): what each shows and what it should."""
    from geo.signs.replacement import replacement_queue

    with domain_errors():
        queue = replacement_queue(obj.store)
    if as_json:
        click.echo(json.dumps(queue, ensure_ascii=False, default=str, indent=1))
        return
    for s in queue:
        click.echo(f"{s['sign_uid']}  v{s['version']}  路牌所示 shows「{s['shows_name']}」→ 现名 now「"
                   f"{s['standard_name'] or '—'}」  {s['lon']},{s['lat']}")
    click.echo(f"共 {len(queue)} 块待更换 · {len(queue)} signs to replace")


@signs.command("junctions")
@click.option("--distance-m", type=click.FloatRange(1, 500), default=30.0, show_default=True,
              help="路牌距路口最远距离（米） · farthest a junction's sign may stand (m).")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON · print JSON.")
@click.pass_obj
def junctions_cmd(obj: Context, distance_m: float, as_json: bool) -> None:
    """路口路牌检查 · Junctions where a named street has no sign within the distance."""
    from geo.signs.junctions import unsigned_junctions

    bar = step_bar(1, "路口检查 junction check")
    with domain_errors():
        result = unsigned_junctions(obj.store, distance_m=distance_m)
    bar.update(1)
    bar.close()
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    for j in result["items"]:
        lacking = "、".join(m["name"] for m in j["missing"])
        click.echo(f"{j['lon']},{j['lat']}  {j['subdistrict'] or ''} {j['community'] or ''}  "
                   f"缺 missing: {lacking}  （路口 junction of {'、'.join(j['streets'])}）")
    click.echo(f"路口 {result['junctions']} 个，其中 {result['unsigned_junctions']} 个缺路牌"
               f"（{result['unsigned_streets']} 条街）；距离 {result['distance_m']:g} 米 · "
               f"{result['junctions']} junctions, {result['unsigned_junctions']} lack signs "
               f"({result['unsigned_streets']} streets) within "
               f"{result['distance_m']:g} m")
    if result["junctions_to_replace"]:
        only, streets = result["junctions_to_replace_only"], result["streets_to_replace"]
        click.echo(f"其中 {only} 个路口仅有待更换路牌（共 {streets} 条街的路牌待更换）· {only} junctions have only "
                   f"signs to replace ({streets} streets)")


@signs.command("unnamed-roads")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON · print JSON.")
@click.pass_obj
def unnamed_cmd(obj: Context, as_json: bool) -> None:
    """未命名道路清单 · Roads with no standard name in force: length, location, proposal link."""
    from geo.signs.unnamed import unnamed_roads

    with domain_errors():
        roads = unnamed_roads(obj.store)
    if as_json:
        click.echo(json.dumps(roads, ensure_ascii=False, indent=1))
        return
    for r in roads:
        click.echo(f"{r['label']}  {r['length_m']:.0f} 米 m  {r['subdistrict'] or ''} {r['community'] or ''}  "
                   f"{r['lon']},{r['lat']}  {r['reason']}  申报 propose: {r['propose_url']}")
    click.echo(f"共 {len(roads)} 条未命名道路 · {len(roads)} unnamed roads")


@signs.command("print")
@click.argument("sign_uids", nargs=-1, required=True)
@click.option("--out", type=OutputPath(".svg", ".pdf"), required=True,
              help="输出文件 .svg（一块）或 .pdf · output file: .svg (one sign) or .pdf.")
@click.option("--proof", is_flag=True, help="校样（可无蒙古文） · proof (Mongolian not required).")
@click.pass_obj
def print_cmd(obj: Context, sign_uids: tuple[str, ...], out: Path, proof: bool) -> None:
    """印制路牌 · Print signs: SVG for one, PDF (Chromium) for a batch; smart signs carry their QR."""
    suffix = out.suffix.lower()
    if suffix not in (".svg", ".pdf") or (suffix == ".svg" and len(sign_uids) != 1):
        raise click.BadParameter("输出须为 .pdf，或一块路牌的 .svg · give a .pdf, or an .svg for one sign",
                                 param_hint="--out")
    from api.routers.street_signs import batch_html, sign_svg
    from geo.plates.codes import PlateSigner
    from geo.signs.printed import sign_texts
    from geo.signs.register import get_sign
    from maps.plate_print import print_pdf

    with domain_errors():
        store = obj.store
        rows = [get_sign(store, uid) for uid in sign_uids]
        signer, base_url = None, obj.settings.public_base_url
        if any(r["sign_type"] == "smart" for r in rows):
            settings = obj.settings.validated(require_secret=True)  # the server's key, or the QR will not verify
            signer = PlateSigner.from_setting(settings.qr_keys, fallback_secret=settings.secret_key)
        printed = sign_texts(store, rows, signer=signer or PlateSigner.from_setting("", fallback_secret="-"),
                             base_url=base_url)
        if suffix == ".svg":
            out.write_text(sign_svg(printed[0], proof=proof), encoding="utf-8")
        else:
            print_pdf(batch_html(printed, proof=proof), out)
    click.echo(f"{out}  {len(printed)} 块 · signs")
