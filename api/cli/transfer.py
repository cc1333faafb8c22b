"""Feature files in and out of a layer: ``import``, ``export``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from api.cli.common import CLI_ACTOR, Context, InputPath, OutputPath, command, domain_errors, progress_bar
from geo.layers import LAYERS


@command("import")
@click.argument("path", type=InputPath())
@click.option("--layer", required=True, type=click.Choice(sorted(LAYERS)), help="图层 · layer.")
@click.option("--crs", required=True,
              help="文件坐标系 · CRS of the file: EPSG:4490, EPSG:4326, GCJ02, BD09 or EPSG:4546.")
@click.option("--format", "fmt", default=None,
              help="文件格式（默认按后缀） · geojson, gpkg, shp, csv or xlsx (default: by suffix).")
@click.option("--encoding", default=None,
              help="文字编码（默认自动识别） · text encoding, e.g. gbk for old Shapefiles (default: detect).")
@click.option("--x-col", default=None, help="经度/x 列 · longitude/x column of a CSV/XLSX.")
@click.option("--y-col", default=None, help="纬度/y 列 · latitude/y column of a CSV/XLSX.")
@click.option("--mode", default="insert", show_default=True,
              type=click.Choice(["insert", "upsert"]),
              help="导入方式：insert 仅新增，upsert 更新已有并新增 · "
                   "insert: refuse the file if a row is already stored (by the exported id column "
                   "or by plate_uid, marker_no, code, line_code, place_code). upsert: update those "
                   "records (refused if the file's version column is stale) and insert the rest.")
@click.pass_obj
def import_cmd(obj: Context, path: Path, layer: str, crs: str, fmt: str | None,
               encoding: str | None, x_col: str | None, y_col: str | None, mode: str) -> None:
    """导入 · Import a feature file into a layer: all of it, or nothing if any feature is bad.

    Rows already stored are never added twice: --mode insert (the default) refuses them, naming
    the rows; --mode upsert applies them as updates of the fields that carry no rule.
    """
    from geo.io.importer import import_file

    bar, update = progress_bar(f"导入 importing {path.name}")
    with bar, domain_errors():
        report = import_file(obj.store, layer, path, crs=crs, actor=CLI_ACTOR, fmt=fmt,
                             encoding=encoding, x_col=x_col, y_col=y_col, progress=update,
                             mode=mode)
    from geo.plates.lookup_table import refresh_plate_lookups

    refresh_plate_lookups(obj.store)  # plates' public pages follow the import at once (not at the next server round)
    summary = report.summary()
    # stdout stays the JSON report (scripts read it); people read this line on stderr.
    click.echo(f"已导入 {summary['imported']} 个要素到 {layer}（新增 {summary['inserted']}，更新 {summary['updated']}，"
               f"未变 {summary['unchanged']}） · imported {summary['imported']} features into {layer} "
               f"({summary['inserted']} inserted, {summary['updated']} updated, {summary['unchanged']} unchanged)",
               err=True)
    click.echo(json.dumps(summary, ensure_ascii=False))


@command("export")
@click.argument("path", type=OutputPath())
@click.option("--layer", required=True, type=click.Choice(sorted(LAYERS)), help="图层 · layer.")
@click.option("--format", "fmt", default=None,
              help="文件格式（默认按后缀；shp 也可写为任意名的 .zip） · geojson, gpkg, shp, csv or xlsx "
                   "(default: by suffix; shp also into a .zip of any name).")
@click.option("--crs", default="EPSG:4490", show_default=True, help="输出坐标系 · CRS to write.")
@click.option("--encoding", default="UTF-8", show_default=True,
              help="文字编码 · Shapefile/CSV text encoding (e.g. GBK).")
@click.pass_obj
def export_cmd(obj: Context, path: Path, layer: str, fmt: str | None, crs: str, encoding: str) -> None:
    """导出 · Export a layer to a file (GeoPackage opens in QGIS)."""
    from geo.io.importer import export_layer

    with domain_errors():
        count = export_layer(obj.store, layer, path, fmt=fmt, crs=crs, encoding=encoding)
    click.echo(f"已写入 {layer} 的 {count} 个要素到 {path} · wrote {count} features of {layer} to {path}")
