"""合成区域 · Synthetic region: ``xincheng region load`` (issue #19, for tests and benchmarks).

Generates N districts like the sample (data/synthetic_region: made-up adcodes 1590xx…, names 示例一区 …,
side by side with shared boundaries) and stores each through the import path into the PostGIS database,
one transaction per district, with a progress bar. SQLite holds one district: a usage error.
"""

from __future__ import annotations

import click

from api.cli.common import Context, domain_errors, group, step_bar
from geo.messages import text


@group()
def region() -> None:
    """合成区域（测试与基准） · Synthetic region of many districts, for tests and benchmarks."""


@region.command("load")
@click.option("--districts", type=click.IntRange(1), required=True, help="区县数 · how many districts.")
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True,
              help="生成随机种子（同种子同区域） · seed of the generator (the same seed, the same region).")
@click.option("--plates-per-district", type=click.IntRange(500), default=None,
              help="每区门牌数（默认约 35,000，与样例区相当） · door plates per district "
                   "(default about 35,000, like the sample).")
@click.option("--districts-per-city", type=click.IntRange(1), default=None,
              help="每市区县数（默认 10） · districts in each city (default 10; PN-07 checks street names city-wide).")
@click.pass_obj
def load_cmd(obj: Context, districts: int, seed: int, plates_per_district: int | None,
             districts_per_city: int | None) -> None:
    """载入合成区域 · Generate the region and store every district into the PostGIS database.

    Each district is one transaction through the import path, into a district that holds no records;
    the districts stored before a refused one stay stored. Use --database-url postgresql://… (SQLite
    holds one district and is refused).
    """
    from data.synthetic_region import load_region, make_region
    from geo.plates.lookup_table import refresh_plate_lookups
    from geo.store import Store
    from geo.store.partitions import refresh_statistics

    if obj.settings.database_url.startswith("sqlite"):  # before opening it: SQLite made the file's folder first
        raise click.UsageError(text("region.sqlite"))
    with domain_errors():
        store = Store.open(obj.settings.database_url)
        try:
            store.migrate()  # an empty database is made ready, as `init` does
            options = {k: v for k, v in (("plates_per_district", plates_per_district),
                                         ("districts_per_city", districts_per_city)) if v is not None}
            names = {p.adcode: p.name for p in make_region(districts=districts, seed=seed, **options).plans}
            with step_bar(districts, "载入合成区域 loading region") as bar:
                def stored(adcode: str) -> None:
                    bar.set_postfix_str(f"{adcode} {names[adcode]}", refresh=False)
                    bar.update(1)

                adcodes = load_region(store, districts=districts, seed=seed, progress=stored, **options)
            refresh_statistics(store.engine)  # the plans of the lookups below and of the first requests
            # What each plate's public page shows (nearest services), as `init` and `import` compute it, so
            # the first scans answer at once and a server does not start with the whole region to compute.
            with step_bar(len(adcodes), "计算门牌附近的服务 plate lookups") as bar:
                for adcode in adcodes:
                    refresh_plate_lookups(store.for_district(adcode))
                    bar.update(1)
        finally:
            store.close()
    shown = "、".join(adcodes) if len(adcodes) <= 12 else f"{adcodes[0]} … {adcodes[-1]}"
    click.echo(text("region.done", count=len(adcodes), seed=seed, adcodes=shown))
