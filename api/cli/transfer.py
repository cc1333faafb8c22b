"""Feature files in and out of a layer: ``import``, ``export``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from api.cli.common import CLI_ACTOR, Context, InputPath, OutputPath, command, domain_errors, progress_bar
from geo.layers import LAYERS


@command("import")
@click.argument("path", type=InputPath())
@click.option("--layer", required=True, type=click.Choice(sorted(LAYERS)))
@click.option("--crs", required=True,
              help="CRS of the file: EPSG:4490, EPSG:4326, GCJ02, BD09 or EPSG:4546.")
@click.option("--format", "fmt", default=None,
              help="geojson, gpkg, shp, csv or xlsx (default: by suffix).")
@click.option("--encoding", default=None,
              help="Text encoding, e.g. gbk for old Shapefiles (default: detect).")
@click.option("--x-col", default=None, help="Longitude/x column of a CSV/XLSX.")
@click.option("--y-col", default=None, help="Latitude/y column of a CSV/XLSX.")
@click.option("--mode", default="insert", show_default=True,
              type=click.Choice(["insert", "upsert"]),
              help="insert: refuse the file if a row is already stored (by the exported id column "
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
    summary = report.summary()
    # stdout stays the JSON report (scripts read it); people read this line on stderr.
    click.echo(f"已导入 {summary['imported']} 个要素到 {layer}（新增 {summary['inserted']}，更新 {summary['updated']}，"
               f"未变 {summary['unchanged']}） · imported {summary['imported']} features into {layer} "
               f"({summary['inserted']} inserted, {summary['updated']} updated, {summary['unchanged']} unchanged)",
               err=True)
    click.echo(json.dumps(summary, ensure_ascii=False))


@command("export")
@click.argument("path", type=OutputPath())
@click.option("--layer", required=True, type=click.Choice(sorted(LAYERS)))
@click.option("--format", "fmt", default=None, help="geojson, gpkg, shp, csv or xlsx (default: by suffix).")
@click.option("--crs", default="EPSG:4490", show_default=True, help="CRS to write.")
@click.option("--encoding", default="UTF-8", show_default=True, help="Shapefile/CSV text encoding (e.g. GBK).")
@click.pass_obj
def export_cmd(obj: Context, path: Path, layer: str, fmt: str | None, crs: str, encoding: str) -> None:
    """导出 · Export a layer to a file (GeoPackage opens in QGIS)."""
    from geo.io.importer import export_layer

    with domain_errors():
        count = export_layer(obj.store, layer, path, fmt=fmt, crs=crs, encoding=encoding)
    click.echo(f"已写入 {layer} 的 {count} 个要素到 {path} · wrote {count} features of {layer} to {path}")
