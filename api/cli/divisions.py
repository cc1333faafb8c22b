"""区划调整 · Division changes: ``xincheng divisions create|split|merge|rename|recode|changes|history|search``.

Each change rests on a decision (``--decision-body``, ``--doc-no``, ``--decision-date``, optional
``--effective-on``) and the version of each unit read (``xincheng divisions history CODE`` shows it);
a split reads its parts from a GeoJSON FeatureCollection (one polygon per part, property ``name``,
optional ``code``, ``name_mong``), a create its polygon from a GeoJSON file. Bad input is a usage
error (exit 2) naming the field; a conflict (a stale version, a code used before) exits 1.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from api.cli.common import CLI_ACTOR, Context, InputPath, domain_errors, group, step_bar
from geo.layers import LEAF_LEVELS, TOWNSHIP_LEVELS

LEVEL_CHOICES = (*LEAF_LEVELS, *TOWNSHIP_LEVELS)


@group()
def divisions() -> None:
    """区划调整 · Division changes (create, split, merge, rename, re-code; history and search)."""


_FILE = InputPath()


def _decision_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed((
        click.option("--decision-body", required=True, help="决定机关 · the deciding body (e.g. 区人民政府)."),
        click.option("--doc-no", "decision_doc_no", required=True, help="决定文号 · the decision's document number."),
        click.option("--decision-date", required=True, help="决定日期 YYYY-MM-DD · the decision date."),
        click.option("--effective-on", default=None, help="生效日期 YYYY-MM-DD，不晚于今天（须在生效当日登记） · "
                                                          "when it takes effect, not after today: record the change "
                                                          "on that day (default: the decision date)."),
    )):
        func = option(func)
    return func


_CRS = click.option("--crs", default="EPSG:4490", show_default=True,
                    help="文件坐标系 · the GeoJSON file's CRS: EPSG:4490, EPSG:4326, gcj02, bd09, EPSG:4546.")


def _decision(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: kwargs[k] for k in ("decision_body", "decision_doc_no", "decision_date", "effective_on")}


def _features(path: Path, *, crs: str, field: str) -> list[dict[str, Any]]:
    """Return the polygons of a GeoJSON file with their properties (geometry in EPSG:4490)."""
    from geo.errors import InputError
    from geo.features import parse_geometry
    from geo.layers import AREA
    from geo.messages import label, text

    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(text("divisions.file_unreadable", path=str(path), reason=str(exc).splitlines()[0]),
                         field=field) from None
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = {"type": "FeatureCollection", "features": [data]}
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list) or not features or not all(isinstance(f, dict) for f in features):
        raise InputError(text("divisions.file_features", field=label(field)), field=field)
    out = []
    for i, feature in enumerate(features):
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise InputError(text("divisions.file_features", field=label(field)), field=field)
        out.append({**{k: props.get(k) for k in ("name", "code", "name_mong", "meaning")},
                    "geometry": parse_geometry(feature.get("geometry"), crs=crs, allowed=AREA,
                                               field=f"{field}[{i}]")})
    return out


def _echo_change(change: dict[str, Any]) -> None:
    click.echo(f"区划调整 division change #{change['id']} ({change['change_type']}): {change['summary']}")
    click.echo(f"  决定 decision: {change['decision_body']} {change['decision_doc_no']} "
               f"{change['decision_date']}，生效 effective {change.get('effective_on') or change['decision_date']}")
    click.echo(f"  原区划 before: {', '.join(change['units_before']) or '—'}；"
               f"新区划 after: {', '.join(change['units_after'])}")
    if "plates_moved" in change:
        click.echo(f"  门牌改属 plates moved: {change['plates_moved']}")
    for code, figures in (change.get("figures") or {}).items():
        shown = "，".join(f"{k}={v}" for k, v in figures.items())
        click.echo(f"  {code}: {shown}")
    if change.get("addresses_refreshed"):
        click.echo(f"  标准地址更新 standard addresses rewritten: {change['addresses_refreshed']}")


@divisions.command("create")
@click.option("--parent", "parent_code", required=True, help="上级区划代码 · the parent unit's code.")
@click.option("--level", required=True, type=click.Choice(LEVEL_CHOICES),
              help="级别 · community 社区, village 村/嘎查, subdistrict 街道, town 镇, township 乡/苏木.")
@click.option("--name", required=True, help="名称 · the new unit's name (…社区, …村/嘎查, …街道, …镇, …乡/苏木).")
@click.option("--geometry", "geometry_file", required=True, type=_FILE, help="范围 GeoJSON 文件 · its polygon.")
@click.option("--code", default=None, help="指定代码（默认自动取下一个） · a code (default: the next free one).")
@_decision_options
@_CRS
@click.pass_obj
def create_cmd(obj: Context, parent_code: str, level: str, name: str, geometry_file: Path, code: str | None,
               crs: str, **kwargs: Any) -> None:
    """新设区划 · Create a unit on land inside its parent that no active unit holds (PN-13 code)."""
    from geo.divisions.changes import create_unit

    with domain_errors():
        (feature,) = _features(geometry_file, crs=crs, field="geometry")[:1]
        change = create_unit(obj.store, parent_code=parent_code, level=level, name=name,
                             geometry=feature["geometry"], decision=_decision(kwargs), actor=CLI_ACTOR, code=code)
    _echo_change(change)


@divisions.command("split")
@click.argument("code")
@click.option("--version", "version", required=True, type=click.IntRange(min=1),
              help="读取时的版本 · the unit's version as read.")
@click.option("--parts", "parts_file", required=True, type=_FILE,
              help="各部分 GeoJSON FeatureCollection（每个面要素带 name，可带 code） · the parts.")
@_decision_options
@_CRS
@click.pass_obj
def split_cmd(obj: Context, code: str, version: int, parts_file: Path, crs: str, **kwargs: Any) -> None:
    """拆分社区或村 · Split a community or village into the parts of a GeoJSON file (they must tile it)."""
    from geo.divisions.changes import split_unit

    with domain_errors():
        parts = _features(parts_file, crs=crs, field="parts")
        bar = step_bar(1, "拆分 split")
        change = split_unit(obj.store, code, parts, expected_version=version, decision=_decision(kwargs),
                            actor=CLI_ACTOR)
        bar.update(1)
        bar.close()
    _echo_change(change)


def _versions(values: tuple[str, ...]) -> dict[str, int]:
    from geo.messages import label, text

    out = {}
    for value in values:
        code, _, version = value.partition("=")
        if not code.strip() or not version.strip().isdigit():
            raise click.UsageError(text("divisions.versions_format", field=label("versions"), value=repr(value)))
        out[code.strip()] = int(version)
    return out


@divisions.command("merge")
@click.argument("codes", nargs=-1, required=True)
@click.option("--version", "versions", multiple=True, required=True,
              help="每个区划读取时的版本，写作 代码=版本（可重复） · each unit's version as code=version (repeat).")
@click.option("--name", required=True, help="合并后的名称 · the merged unit's name.")
@click.option("--code", "new_code", default=None, help="指定新代码 · a code for the new unit (default: next free).")
@_decision_options
@click.pass_obj
def merge_cmd(obj: Context, codes: tuple[str, ...], versions: tuple[str, ...], name: str, new_code: str | None,
              **kwargs: Any) -> None:
    """合并社区或村 · Merge adjoining communities or villages of one parent into a new unit."""
    from geo.divisions.changes import merge_units

    given = _versions(versions)
    with domain_errors():
        change = merge_units(obj.store, list(codes), name=name, expected_versions=given, decision=_decision(kwargs),
                             actor=CLI_ACTOR, code=new_code)
    _echo_change(change)


@divisions.command("rename")
@click.argument("code")
@click.argument("new_name")
@click.option("--version", "version", required=True, type=click.IntRange(min=1),
              help="读取时的版本 · the unit's version as read.")
@_decision_options
@click.pass_obj
def rename_cmd(obj: Context, code: str, new_name: str, version: int,
               **kwargs: Any) -> None:
    """区划更名 · Rename a unit; its place name follows, the former name is kept."""
    from geo.divisions.changes import rename_unit

    with domain_errors():
        change = rename_unit(obj.store, code, new_name, expected_version=version, decision=_decision(kwargs),
                             actor=CLI_ACTOR)
    _echo_change(change)


@divisions.command("recode")
@click.argument("code")
@click.option("--version", "version", required=True, type=click.IntRange(min=1),
              help="读取时的版本 · the unit's version as read.")
@click.option("--new-code", default=None, help="新代码（默认自动取下一个） · the new code (default: next free).")
@click.option("--level", default=None, type=click.Choice(LEVEL_CHOICES),
              help="新级别（村改居 village→community，乡改镇 township→town，撤镇设街道 town→subdistrict；"
                   "其下社区和村随之重新编码） · a new level (a 街道/镇/乡's communities and villages are re-coded "
                   "with it).")
@click.option("--parent", "parent_code", default=None, help="新上级代码 · a new parent.")
@click.option("--new-name", default=None, help="新名称（级别改变时） · a new name (with a new level).")
@_decision_options
@click.pass_obj
def recode_cmd(obj: Context, code: str, version: int, new_code: str | None, level: str | None,
               parent_code: str | None, new_name: str | None, **kwargs: Any) -> None:
    """区划重新编码 · Give a unit a new code; the old code is retired and never reused."""
    from geo.divisions.changes import recode_unit

    with domain_errors():
        change = recode_unit(obj.store, code, expected_version=version, decision=_decision(kwargs), actor=CLI_ACTOR,
                             new_code=new_code, level=level, parent_code=parent_code, new_name=new_name)
    _echo_change(change)


@divisions.command("changes")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500), help="条数 · how many.")
@click.pass_obj
def changes_cmd(obj: Context, limit: int) -> None:
    """区划调整记录 · List division changes, newest decision first."""
    from geo.divisions.queries import list_changes

    rows = list_changes(obj.store, limit=limit)
    if not rows:
        click.echo("没有区划调整记录 · no division changes")
    for c in rows:
        click.echo(f"#{c['id']}\t{c['decision_date']}\t{c['change_type']}\t{c['decision_doc_no']}\t{c['summary']}")


@divisions.command("history")
@click.argument("code")
@click.pass_obj
def history_cmd(obj: Context, code: str) -> None:
    """代码沿革 · Show a unit (its version) and its code chain both ways."""
    from geo.divisions.queries import unit_history

    with domain_errors():
        found = unit_history(obj.store, code)
    unit = found["unit"]
    if unit:
        click.echo(f"{unit['code']}\t{unit['name']}\t{unit['level']}\t{unit['status']}\t版本 version {unit['version']}"
                   f"\t{unit['valid_from'] or ''}–{unit['valid_to'] or ''}")
    for title, rows in (("此前 earlier", found["earlier"]), ("此后 later", found["later"])):
        click.echo(f"{title}:")
        for r in rows:
            click.echo(f"  {r['changed_on']}\t{r['old_code'] or '—'} {r['old_name'] or ''} → {r['new_code']} "
                       f"{r['new_name']}\t{r['decision_doc_no']}（{r['decision_body']}）")


@divisions.command("search")
@click.argument("query")
@click.pass_obj
def search_cmd(obj: Context, query: str) -> None:
    """检索区划 · Find units by current or former name or code."""
    from geo.divisions.queries import search_units

    with domain_errors():
        hits = search_units(obj.store, query)
    if not hits:
        click.echo("未找到 · nothing found")
    for h in hits:
        click.echo(f"{h['code']}\t{h['name']}\t{h['level']}\t{h['status']}")
        for said in h["formerly"]:
            click.echo(f"  {said}")
