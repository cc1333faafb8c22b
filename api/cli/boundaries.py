"""``xincheng boundaries``: the district's boundary lines and markers (界线与界桩)."""

from __future__ import annotations

from pathlib import Path

import click

from api.cli.common import Context, InputPath, OutputPath, domain_errors, group
from geo.messages import text, value_label


@group()
def boundaries() -> None:
    """界线与界桩 · Administrative boundary lines and markers."""


@boundaries.command("report")
@click.option("--close", "close_m", default=5.0, show_default=True,
              help="缝隙阈值（米） · slivers narrower than twice this are gaps (m).")
@click.pass_obj
def boundaries_report(obj: Context, close_m: float) -> None:
    """界线报告 · The district's boundary lines with their lengths, and gaps and overlaps with each neighbour."""
    from data.names import NEIGHBOURS
    from data.sample_district import load_boundaries
    from geo.boundaries.report import boundary_report

    polygons = load_boundaries()
    neighbours = {adcode: name for adcode, (name, _letter) in NEIGHBOURS.items()}
    store = obj.store
    with domain_errors():
        lines = boundary_report(store, polygons, neighbours, close_m=close_m)
    click.echo("界线 line\t长度 length km\t重叠 overlaps\t缝隙 gaps\t偏离界线的界桩 markers off the line")
    for r in lines:
        click.echo(f"{r.name}\t{r.length_km:.2f}\t{len(r.overlaps)} ({r.overlap_m2:.0f} m², "
                   f"{r.overlap_mu:.2f} 亩)\t{len(r.gaps)} ({r.gap_m2:.0f} m², "
                   f"{r.gap_mu:.2f} 亩)\t{len(r.markers_off_line)}")
    click.echo("界线示意，非权威界线 · the bundled boundary is not the official boundary drawing")


@boundaries.command("compare")
@click.argument("path", type=InputPath())
@click.option("--crs", required=True,
              help="文件坐标系 · CRS of the file (EPSG:4490, EPSG:4326, GCJ02, BD09, EPSG:4546).")
@click.option("--neighbour", required=True,
              help="相邻区划代码 · adcode of the neighbour whose line or polygon the file holds.")
@click.option("--out", type=OutputPath(".geojson", ".gpkg"), default=None,
              help="写出争议区域 · write the disputed areas (.geojson or .gpkg).")
@click.pass_obj
def boundaries_compare(obj: Context, path: Path, crs: str, neighbour: str, out: Path | None) -> None:
    """界线比对 · Compare another version of a boundary line or unit polygon with ours.

    Prints the disputed areas (m², 亩) and the markers they affect; --out writes the areas.
    """
    from geo.boundaries.compare import compare_boundary
    from geo.io.formats import read_features, write_features

    store = obj.store
    with domain_errors():
        theirs, _info = read_features(path, crs=crs)
        result = compare_boundary(store, theirs, neighbour=neighbour)
    click.echo(f"争议区域 disputed areas: {len(result.areas)}, {result.total_m2:,.0f} m² ({result.total_mu:,.2f} 亩)")
    for a in result.areas[:20]:
        click.echo(f"  {value_label(a['claimed_by'])}\t{a['area_m2']:,.0f} m²\t{a['area_mu']:,.2f} 亩")
    click.echo(f"涉及界桩 markers affected: {', '.join(no for no, _d in result.markers_affected) or '无 none'}")
    if out:
        with domain_errors():
            write_features(result.areas_frame(), out, layer_name="disputed_areas")
        click.echo(text("cli.wrote", path=out))
