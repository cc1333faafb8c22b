"""``xincheng boundaries``: the district's boundary lines and markers (界线与界桩)."""

from __future__ import annotations

from pathlib import Path

import click

from api.cli.common import Context, domain_errors, group
from geo.errors import InputError


@group()
def boundaries() -> None:
    """Administrative boundary lines and markers (界线与界桩)."""


@boundaries.command("report")
@click.option("--close", "close_m", default=5.0, show_default=True,
              help="Slivers narrower than twice this are gaps (m).")
@click.pass_obj
def boundaries_report(obj: Context, close_m: float) -> None:
    """The district's boundary lines with their lengths, and gaps and overlaps with each neighbour."""
    import numpy as np

    from data.names import NEIGHBOURS
    from data.sample_district import load_boundaries
    from geo import crs as C
    from geo.boundaries import markers_off_line, shared_boundary, topology_report

    polys = load_boundaries()
    metric = dict(zip(polys["adcode"], C.to_metric(polys.geometry.values), strict=True))
    district = metric["150102"]
    lines = {r["right_adcode"]: r for r in obj.store.select("boundary_lines")}
    markers = obj.store.select("boundary_markers", where={"status": "active"})
    click.echo("界线 line\t长度 length km\t重叠 overlaps\t缝隙 gaps\t偏离界线的界桩 markers off the line")
    for adcode, (name, _letter) in NEIGHBOURS.items():
        line = shared_boundary(district, metric[adcode])
        topo = topology_report(district, metric[adcode], close_m=close_m)
        stored = lines.get(adcode)
        off = []
        if stored:
            mine = [m for m in markers if m["line_code"] == stored["line_code"]]
            off = markers_off_line(C.to_metric(np.asarray([m["geometry"] for m in mine], dtype=object)), line)
        label = stored["name"] if stored else f"新城区—{name}界线"
        overlaps = sum(o["area_m2"] for o in topo["overlaps"])
        gaps = sum(g["area_m2"] for g in topo["gaps"])
        click.echo(f"{label}\t{line.length / 1000:.2f}\t{len(topo['overlaps'])} ({overlaps:.0f} m², "
                   f"{overlaps / 666.667:.2f} 亩)\t{len(topo['gaps'])} ({gaps:.0f} m², "
                   f"{gaps / 666.667:.2f} 亩)\t{len(off)}")
    click.echo("界线示意，非权威界线 · the bundled boundary is not the official boundary drawing")


@boundaries.command("compare")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--crs", required=True, help="CRS of the file (EPSG:4490, EPSG:4326, GCJ02, BD09, EPSG:4546).")
@click.option("--neighbour", required=True, help="Adcode of the neighbour whose line or polygon the file holds.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write the disputed areas (.geojson/.gpkg).")
@click.pass_obj
def boundaries_compare(obj: Context, path: Path, crs: str, neighbour: str, out: Path | None) -> None:
    """Compare another version of a boundary line or unit polygon with ours: disputed areas, markers affected."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from geo import crs as C
    from geo.boundaries import disputed_areas, disputed_between_lines, markers_affected
    from geo.io.formats import read_features, write_features

    store = obj.store
    with domain_errors():
        frame, _info = read_features(path, crs=crs)
        theirs = C.to_metric(shapely.union_all(np.asarray(frame.geometry.values, dtype=object)))
        if theirs.geom_type in ("Polygon", "MultiPolygon"):
            units = store.select("admin_units", where={"code": f"{neighbour}000000"})
            if not units:
                raise InputError(f"no unit {neighbour} in the database", field="neighbour")
            areas = disputed_areas(C.to_metric(units[0]["geometry"]), theirs)
        else:
            lines = store.select("boundary_lines", where={"right_adcode": neighbour})
            if not lines:
                raise InputError(f"no boundary line with {neighbour}", field="neighbour")
            areas = disputed_between_lines(C.to_metric(lines[0]["geometry"]), theirs)
        markers = store.select("boundary_markers", where={"status": "active"})
        hit = markers_affected(C.to_metric(np.asarray([m["geometry"] for m in markers], dtype=object)), areas)
    total = sum(a["area_m2"] for a in areas)
    click.echo(f"争议区域 disputed areas: {len(areas)}, {total:,.0f} m² ({total / 666.667:,.2f} 亩)")
    for a in areas[:20]:
        click.echo(f"  {a['claimed_by']}\t{a['area_m2']:,.0f} m²\t{a['area_mu']:,.2f} 亩")
    click.echo(f"涉及界桩 markers affected: {', '.join(markers[i]['marker_no'] for i, _d in hit) or 'none'}")
    if out:
        frame_out = gpd.GeoDataFrame([{k: v for k, v in a.items() if k != "geometry"} for a in areas],
                                     geometry=gpd.GeoSeries([C.from_metric(a["geometry"]) for a in areas],
                                                            crs="EPSG:4490"), crs="EPSG:4490")
        write_features(frame_out, out, layer_name="disputed_areas")
        click.echo(f"wrote {out}")
