"""Cemetery zoning and burial records: ``xincheng cemetery check|zones|map|plots|stats``.

``check`` exits 0 when the site is allowed, 1 when it touches a ban zone (the zones listed), 2 for a
bad input (a file or WKT that is not a point or polygon, an unreadable settings file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from api.cli.common import CLI_ACTOR, Context, InputPath, InputRefused, OutputPath, domain_errors, group


@group()
def cemetery() -> None:
    """公墓选址与殡葬记录 · Cemetery siting (CM-01), plot types (CM-02) and burial statistics."""


_SETTINGS = click.option("--settings", "settings_file", type=InputPath(),
                         default=None,
                         help="禁葬区设置文件 · ban-zone settings file (default: data/planning/ban_zones.toml).")


def _site(file: Path | None, wkt: str | None, crs: str) -> Any:
    """Return the site of a GeoJSON file (its first feature) or a WKT text, in EPSG:4490."""
    import shapely

    from geo.errors import InputError
    from geo.features import parse_geometry
    from geo.messages import label, text

    if (file is None) == (wkt is None):
        raise click.UsageError("请给出 FILE 或 --wkt 之一 · give either FILE or --wkt")
    if wkt is not None:
        try:
            geometry = shapely.geometry.mapping(shapely.from_wkt(wkt))
        except shapely.errors.ShapelyError as exc:
            raise InputError(text("cemeteries.wkt", field=label("wkt"), reason=str(exc).splitlines()[0]),
                             field="wkt") from None
    else:
        assert file is not None
        try:
            data = json.loads(file.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(text("cemeteries.file_unreadable", path=str(file), reason=str(exc).splitlines()[0]),
                             field="file") from None
        if isinstance(data, dict) and data.get("type") == "FeatureCollection":
            data = (data.get("features") or [{}])[0]
        geometry = data.get("geometry") if isinstance(data, dict) and data.get("type") == "Feature" else data
    return parse_geometry(geometry, crs=crs, allowed=("Point", "Polygon", "MultiPolygon"), field="site")


@cemetery.command("check")
@click.argument("file", required=False, type=InputPath())
@click.option("--wkt", default=None, help="选址 WKT（如 POINT(111.75 40.95)） · the site as WKT.")
@click.option("--crs", default="EPSG:4490", show_default=True,
              help="坐标系 · the site's CRS: EPSG:4490, EPSG:4326, gcj02, bd09, EPSG:4546.")
@_SETTINGS
@click.pass_obj
def check_cmd(obj: Context, file: Path | None, wkt: str | None, crs: str, settings_file: Path | None) -> None:
    """公墓选址检查 · Check a proposed cemetery site (GeoJSON FILE or --wkt) against every ban zone.

    Lists each zone the site touches (class, name, overlap m², share of the site; for a buffered
    feature the distance and the shortfall), the verdict, and the buffers and sources assumed.
    """
    from geo.planning.ban_zone_settings import load_ban_zone_settings
    from geo.planning.burial import check_site_in_store

    with domain_errors():
        settings = load_ban_zone_settings(settings_file)
        site = _site(file, wkt, crs)
        result = check_site_in_store(obj.store, site, settings=settings)
    click.echo(result["verdict"])
    for c in result["conflicts"]:
        click.echo(f"  ✗ {c['message']}  [{c['basis_text']}]")
    click.echo("依据 · assumptions:")
    for a in result["assumptions"]:
        if a["in_data"]:
            click.echo(f"  {a['kind_label']}: {a['buffer_m']:g} m — {a['basis_text']} — {a['source']}")
    if not result["allowed"]:
        raise SystemExit(1)


@cemetery.command("zones")
@click.option("--out", type=OutputPath(), default=None,
              help="写出 GeoJSON · write the zones as GeoJSON (EPSG:4490).")
@_SETTINGS
@click.pass_obj
def zones_cmd(obj: Context, out: Path | None, settings_file: Path | None) -> None:
    """禁葬区 · List the ban zones by class: count, buffer, basis (assumed or sourced)."""
    from geo.planning.ban_zone_settings import load_ban_zone_settings
    from geo.planning.burial import zones_from_store
    from geo.planning.cemeteries import zones_for_output

    with domain_errors():
        zones = zones_from_store(obj.store, settings=load_ban_zone_settings(settings_file))
    if zones.empty:
        click.echo("没有禁葬区数据 · no ban-zone data")
        return
    for (kind, buffer_m, basis), group_ in zones.groupby(["kind", "buffer_m", "basis_text"], sort=False):
        click.echo(f"{kind}\t{len(group_)}\t{buffer_m:g} m\t{basis}")
    if out is not None:
        out.write_text(zones_for_output(zones).to_json(drop_id=True, ensure_ascii=False), encoding="utf-8")
        click.echo(f"已写出 written: {out}")


@cemetery.command("map")
@click.argument("path", type=OutputPath())
@_SETTINGS
@click.pass_obj
def map_cmd(obj: Context, path: Path, settings_file: Path | None) -> None:
    """禁葬区图 · Write the ban-zone map (zones by class, assumed dashed; cemeteries open and planned) as HTML."""
    from geo.planning.ban_zone_settings import load_ban_zone_settings
    from geo.planning.burial import CEMETERY_KIND, zones_from_store
    from maps.ban_zones import ban_zone_map

    with domain_errors():
        zones = zones_from_store(obj.store, settings=load_ban_zone_settings(settings_file))
        units = obj.store.read_frame("admin_units")
        cemeteries = obj.store.read_frame("facilities", where={"kind": CEMETERY_KIND})
    if units.empty:
        raise InputRefused("没有行政区划，无法绘图 · no administrative units to draw the map on")
    ban_zone_map(zones, units, cemeteries=cemeteries, basemap=obj.settings.basemap).save(str(path))
    click.echo(f"已写出 written: {path}")


@cemetery.group("plots")
def plots() -> None:
    """墓位类型 · Plot types of public cemeteries (CM-02)."""


@plots.command("list")
@click.pass_obj
def plots_list(obj: Context) -> None:
    """墓位类型列表 · List plot types (id, cemetery, type, m², plots, eco, version) and the CM-02 check."""
    from geo.planning.ban_zone_settings import load_ban_zone_settings, plot_label
    from geo.planning.burial import CEMETERY_KIND, over_limit, plot_types_frame

    with domain_errors():
        frame = plot_types_frame(obj.store)
        cemeteries = obj.store.read_frame("facilities", where={"kind": CEMETERY_KIND})
        over = over_limit(frame, cemeteries, load_ban_zone_settings())
    names = dict(zip(cemeteries["id"], cemeteries["name"], strict=True)) if len(cemeteries) else {}
    for r in frame.to_dict("records"):
        click.echo(f"{r['id']}\t{names.get(r['facility_id'], r['facility_id'])}\t{plot_label(r['plot_type'])}\t"
                   f"{r['area_m2']:g} m²\t{r['plots'] if r['plots'] is not None else '—'}\t"
                   f"{'生态 eco' if r['eco'] else '—'}\tv{r['version']}")
    for o in over:
        click.echo(f"  ✗ {o['message']}")
    click.echo(f"共 {len(frame)} 条，超限 {len(over)} 条 · {len(frame)} plot types, {len(over)} over the limit")


@plots.command("add")
@click.option("--cemetery", "facility_id", type=int, required=True, help="公墓设施编号 · the cemetery's facility id.")
@click.option("--type", "plot_type", required=True, help="墓位类型 · plot type (body_single, niche, tree, …).")
@click.option("--area", "area_m2", type=float, required=True, help="每穴面积（平方米） · m² per plot.")
@click.option("--plots", "count", type=int, default=None, help="墓位数 · number of plots.")
@click.option("--actor", default=CLI_ACTOR, show_default=True, help="记录人（记入审计） · who records it.")
@click.pass_obj
def plots_add(obj: Context, facility_id: int, plot_type: str, area_m2: float, count: int | None, actor: str) -> None:
    """记录墓位类型 · Record a plot type of a public cemetery (audited)."""
    from geo.messages import text
    from geo.planning.ban_zone_settings import load_ban_zone_settings
    from geo.planning.burial import record_plot_type

    with domain_errors():
        record = record_plot_type(obj.store, {"facility_id": facility_id, "plot_type": plot_type,
                                              "area_m2": area_m2, "plots": count},
                                  settings=load_ban_zone_settings(), actor=actor)
    click.echo(text("cemeteries.plot_recorded", plot_type=plot_type, id=record["id"]))


@cemetery.group("stats")
def stats() -> None:
    """殡葬统计 · Burial statistics per year and unit (cremation and eco-burial rates)."""


def _whole_cell(value: object) -> str:
    """Return a count or year as a whole number ("205", not "205.0"); "—" where there is none."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


@stats.command("list")
@click.pass_obj
def stats_list(obj: Context) -> None:
    """殡葬统计列表 · List statistics: year, unit, deaths, cremations, burials, eco burials, version."""
    from geo.planning.burial import statistics_frame

    with domain_errors():
        frame = statistics_frame(obj.store)
    click.echo("年份 year\t单位 unit\t死亡 deaths\t火化 cremations\t安葬 burials\t生态安葬 eco\t版本 version")
    for r in frame.to_dict("records"):
        cells = [_whole_cell(r[c]) for c in ("year", "unit_code", "deaths", "cremations", "burials", "eco_burials")]
        click.echo("\t".join(cells) + f"\tv{r['version']}")


@stats.command("import")
@click.argument("file", type=InputPath())
@click.option("--actor", default=CLI_ACTOR, show_default=True, help="导入人（记入审计） · who imports it.")
@click.pass_obj
def stats_import(obj: Context, file: Path, actor: str) -> None:
    """导入殡葬统计 CSV · Import a CSV (year, unit_code, deaths, cremations, burials, eco_burials, source).

    Good rows are stored together; each bad row is refused with its row number and reason. Exit 1 when
    any row was refused, 2 when the file itself is wrong (no rows, missing columns).
    """
    import pandas as pd

    from geo.errors import InputError
    from geo.messages import text
    from geo.planning.burial import record_statistics
    from geo.spreadsheet_rows import read_csv_rows

    with domain_errors():
        try:  # each record keeps its row as a spreadsheet shows it (blank rows counted and skipped)
            table, file_rows = read_csv_rows(file.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise InputError(text("cemeteries.file_unreadable", path=str(file), reason=str(exc).splitlines()[0]),
                             field="file") from None
        except pd.errors.EmptyDataError:
            raise InputError(text("cemeteries.csv_empty"), field="file") from None
        rows = table.to_dict("records")
        if not rows:
            raise InputError(text("cemeteries.csv_empty"), field="file")
        missing = [c for c in ("year", "unit_code") if c not in table.columns]
        if missing:
            raise InputError(text("cemeteries.csv_columns", columns=", ".join(missing)), field="file")
        done = record_statistics(obj.store, rows, actor=actor, first_row=file_rows, all_or_nothing=False)
    for refusal in done.refused:
        click.echo(f"  ✗ {refusal['message']}", err=True)
    click.echo(text("cemeteries.csv_summary", written=len(done.written), refused=len(done.refused)))
    if done.refused:
        raise SystemExit(1)
