"""``xincheng boundaries``: the district's boundary lines and markers (界线与界桩)."""

from __future__ import annotations

from pathlib import Path

import click

from api.cli.common import Context, InputPath, OutputPath, PositiveNumber, domain_errors, group
from geo.messages import text


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
        due = "从未联检 never" if r.inspection_status == "never" else (
            f"{r.inspection_due_on} ({'逾期 overdue ' + str(r.days_overdue) + ' d' if r.overdue else 'ok'})")
        click.echo(f"  联检到期 inspection due (BM-06): {due}\t未结争议 open disputes (BM-09): "
                   f"{', '.join(r.open_disputes) or '—'}\t已修复界桩 repairs (BM-03): {len(r.repairs)}")
    click.echo("界线示意，非权威界线 · the bundled boundary is not the official boundary drawing")


COMPARE_SUFFIXES = (".geojson", ".json", ".gpkg", ".csv", ".xlsx", ".shp")


@boundaries.command("compare")
@click.argument("path", type=InputPath())
@click.option("--crs", required=True,
              help="文件坐标系 · CRS of the file (EPSG:4490, EPSG:4326, GCJ02, BD09, EPSG:4546).")
@click.option("--neighbour", required=True,
              help="相邻区划代码 · adcode of the neighbour whose shared line is compared (e.g. 150105).")
@click.option("--out", type=OutputPath(*COMPARE_SUFFIXES), default=None,
              help="写出争议区域 · write the disputed parts (.geojson, .json, .gpkg, .csv, .xlsx or .shp).")
@click.option("--min-area", "min_area_m2", type=PositiveNumber(), default=10.0, show_default=True,
              help="最小差异面积（平方米） · leave out differences smaller than this (m²).")
@click.pass_obj
def boundaries_compare(obj: Context, path: Path, crs: str, neighbour: str, out: Path | None,
                       min_area_m2: float) -> None:
    """界线比对 · Compare another version (our polygon, the neighbour's polygon or the line) with ours.

    Only the ground along the line with --neighbour is compared. Prints each disputed part (which
    unit the file draws it into, m², 亩, where, the stretch of the line, the markers near it) and
    warnings (a likely wrong --crs); --out writes the parts. An empty or unrelated file is an error.
    """
    from geo.boundaries.compare import check_file_size, compare_boundary
    from geo.io.formats import read_features, write_features

    store = obj.store
    with domain_errors():
        check_file_size(path)
        theirs, info = read_features(path, crs=crs)
        result = compare_boundary(store, theirs, neighbour=neighbour, min_area_m2=min_area_m2,
                                  source_crs=info["source_crs"], rows=info.get("file_rows") or 1)
    click.echo(f"比对对象 compared: {result.described_as}")
    click.echo(f"界线 line: {result.line_name} ({result.line_code}, {result.line_length_m / 1000:,.2f} km)")
    coverage = result.coverage
    if coverage is not None:
        click.echo("覆盖范围 coverage: " + text(
            "boundary_compare.coverage", share=f"{coverage.share * 100:.0f}",
            covered=f"{coverage.covered_m / 1000:,.2f}", length=f"{coverage.line_m / 1000:,.2f}",
            stretches=coverage.stretches_term()))
    for warning in result.warnings:
        click.echo(f"注意 warning: {warning}")
    click.echo(f"争议区域 disputed areas: {len(result.areas)}, {result.total_m2:,.0f} m² ({result.total_mu:,.2f} 亩)")
    if not result.areas and result.partial and coverage is not None:
        click.echo(text("boundary_compare.agree_partial", share=f"{coverage.share * 100:.0f}",
                        stretches=coverage.stretches_term(), min_area=f"{result.min_area_m2:g}",
                        rest=f"{(coverage.line_m - coverage.covered_m) / 1000:,.2f}", line=result.line_name))
    elif not result.areas:
        click.echo(text("boundary_compare.agree", line=result.line_name, min_area=f"{result.min_area_m2:g}"))
    else:
        click.echo(text("boundary_compare.gains_note"))
    for a in result.areas[:20]:
        click.echo(f"  {a['part']}\t{a['gains_label']} ({a['gains']})\t{a['area_m2']:,.0f} m²\t{a['area_mu']:,.2f} 亩"
                   f"\t{a['lon']:.5f}, {a['lat']:.5f}\t{a['place']}\tkm {a['from_km']:.2f}–{a['to_km']:.2f}"
                   f" ({a['from_marker']} – {a['to_marker']})"
                   + (f"\t界桩 markers: {a['markers']}" if a["markers"] else ""))
    if len(result.areas) > 20:
        click.echo(f"  … {len(result.areas) - 20} more")
    shown = ", ".join(no for no, _d in result.markers_affected)
    click.echo(f"涉及界桩 markers affected: {shown or '无 none'}")
    click.echo(text("boundary_compare.not_a_ruling"))
    if out:
        with domain_errors():
            write_features(result.areas_frame(), out, layer_name="disputed_areas")
        click.echo(text("cli.wrote", path=out))
