"""``xincheng whatif``: the change one or more edits make to 15-minute coverage, recomputed incrementally."""

from __future__ import annotations

import json

import click

from api.cli.common import Context, command, domain_errors
from api.cli.output import print_table
from geo.layers import LEAF_LEVELS, TOWNSHIP_LEVELS

_EPILOG = ("Edits are applied in this order: streets closed, stations removed, stations moved, stations added. "
           "Nothing is stored. Example: xincheng whatif --add 111.70,40.83 --remove 12 --close-street 40")


@command(epilog=_EPILOG)
@click.option("--add", "adds", multiple=True, metavar="LON,LAT",
              help="在此处新增站点（可重复） · Add a station at this point (repeatable).")
@click.option("--move", "moves", multiple=True, metavar="ID:LON,LAT",
              help="将站点 ID 移到此处（可重复） · Move station ID to this point (repeatable).")
@click.option("--remove", "removes", multiple=True, type=int, metavar="ID",
              help="移除站点 ID（可重复） · Remove station ID (repeatable).")
@click.option("--close-street", "closes", multiple=True, type=int, metavar="ID",
              help="封闭街路 ID，不可步行（可重复） · Close street ID to walking (repeatable).")
@click.option("--crs", default="EPSG:4490", show_default=True,
              help="坐标参照系 · CRS of the points: EPSG:4490 (CGCS2000), EPSG:4326 (WGS84), GCJ-02 or BD-09.")
@click.option("--preset", default="default", show_default=True, type=click.Choice(["default", "elderly"]),
              help="步行速度预设 · Walking speed preset: 1.0 m/s, or 0.9 m/s for older people.")
@click.option("--json", "as_json", is_flag=True,
              help="以 JSON 输出 · Print the answer as JSON (as POST /api/planning/whatif).")
@click.pass_obj
def whatif(obj: Context, adds: tuple[str, ...], moves: tuple[str, ...], removes: tuple[int, ...],
           closes: tuple[int, ...], crs: str, preset: str, as_json: bool) -> None:
    """即时推演 · What-if: households and residents 60+ gained or lost by adding, moving or removing
    elder-care stations or closing streets (FA-01, incremental; nothing is stored)."""
    from geo.errors import InputError
    from geo.messages import text
    from geo.planning.coverage import ELDER_CARE_KINDS
    from geo.planning.run import PlanningInputs, run_planning, walk_params
    from geo.planning.whatif import WhatIf
    from geo.types import LonLat

    def point(raw: str, option: str) -> tuple[float, float]:
        p = LonLat.parse(raw, crs=crs, field=option)
        return p.lon, p.lat

    with domain_errors():
        items: list[dict] = [{"op": "close_street", "street_id": s} for s in closes]
        items += [{"op": "remove", "facility_id": f} for f in removes]
        for raw in moves:
            fid, sep, where = raw.partition(":")
            if not sep or not fid.strip().isdigit():
                raise InputError(text("whatif.cli_move", value=raw), field="move")
            lon, lat = point(where, "move")
            items.append({"op": "move", "facility_id": int(fid), "lon": lon, "lat": lat})
        for raw in adds:
            lon, lat = point(raw, "add")
            items.append({"op": "add", "lon": lon, "lat": lat})
        if not items:
            raise InputError(text("whatif.cli_nothing"), field="edits")
        params = walk_params(preset)
        run = run_planning(PlanningInputs.load(obj.store), params, ELDER_CARE_KINDS)
        w = WhatIf.from_run(run)
        result = w.apply(w.parse_edits(items))
    from api.routers.planning_whatif import answer

    out = answer(run, w, result, list_plates=0 if not as_json else 200)
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    d = out["district"]
    click.echo(f"步行参数 walking: {run.params.describe()}")

    def pct(v: float | None) -> str:
        return "—" if v is None else f"{100 * v:.2f}%"

    def shares(key: str) -> str:
        return f"{pct(d[f'{key}_before'])} → {pct(d[f'{key}_after'])}"

    print_table([["覆盖户数变化 covered households, change", f"{d['delta_households']:+,.0f}"],
                 ["覆盖60岁以上老人变化 covered residents 60+, change", f"{d['delta_60plus']:+,.0f}"],
                 ["户数覆盖率 household share", shares("household_share")],
                 ["老人覆盖率 residents 60+ share", shares("share_60plus")],
                 ["门牌 新覆盖/失去覆盖 plates gained/lost", f"{out['plates_gained']:,} / {out['plates_lost']:,}"]],
                None)
    if out["unattached_edits"]:
        click.echo(text("whatif.cli_unattached", edits=", ".join(map(str, out["unattached_edits"]))))
    changed = [u for u in out["units"] if u["level"] in (*TOWNSHIP_LEVELS, *LEAF_LEVELS)]
    if changed:
        print_table([[u["name"], u["code"], f"{u['delta_households']:+,.0f}", f"{u['delta_60plus']:+,.0f}",
                      pct(u["household_share_after"])] for u in changed],
                    ["单位 unit", "代码 code", "户数变化 households", "老人变化 60+", "推演后户数覆盖率 share after"])
