"""``xincheng map``: the standalone district map (one HTML file that opens offline)."""

from __future__ import annotations

from pathlib import Path

import click

from api.cli.common import Context, OutputPath, command, domain_errors
from geo.messages import text


@command("map")
@click.argument("path", type=OutputPath(".html", ".htm"))
@click.option("--basemap-url", default=None,
              help="底图瓦片地址模板 · Tile URL template, e.g. a 天地图 URL with your tk key "
                   "(default: XINCHENG_BASEMAP_URL; none: no tiles, works offline).")
@click.option("--attribution", default=None,
              help="底图署名 · Basemap attribution to show (required with --basemap-url).")
@click.option("--review-number", default=None,
              help="底图审图号 · review number of the basemap, shown with the attribution.")
@click.pass_obj
def map_cmd(obj: Context, path: Path, basemap_url: str | None, attribution: str | None,
            review_number: str | None) -> None:
    """区域地图 · Write the district map (units, streets, facilities, markers, plates) as one standalone HTML file.

    Leaflet is inlined, so the file opens offline; tiles only with a basemap.
    """
    from api.map_data import district_ban_zones, district_layers
    from maps.basemap import Basemap
    from maps.district_map import district_map

    basemap = obj.settings.basemap
    if basemap_url:
        if not attribution:
            raise click.UsageError(text("cli.attribution_required"))
        basemap = Basemap(basemap_url, attribution, review_number)
    with domain_errors():
        layers = district_layers(obj.store)
        zones = district_ban_zones(layers)
    district_map(layers, basemap=basemap, ban_zones=zones).save(str(path))
    click.echo(text("cli.wrote", path=path))
