"""Place names and addresses: ``xincheng gazetteer ...`` and ``xincheng address``."""

from __future__ import annotations

from pathlib import Path

import click

from api.cli.common import Context, command, domain_errors, group, write_table


@group()
def gazetteer() -> None:
    """The gazetteer (地名信息库): search, romanize, export, announce, match addresses."""


@gazetteer.command("search")
@click.argument("query")
@click.option("--limit", default=10, show_default=True)
@click.pass_obj
def gazetteer_search(obj: Context, query: str, limit: int) -> None:
    """Search names by Chinese, pinyin, initials (xlbl) or a former name."""
    from geo.placenames.search import search_names

    for hit, rec in search_names(obj.store, query, limit=limit):
        click.echo(f"{hit.id}\t{hit.name}\t{rec.get('pinyin_toned') or ''}\t{rec['status']}\t({hit.how})")


@gazetteer.command("romanize")
@click.argument("name")
@click.option("--specific", default=None, help="The specific part; separate words with spaces.")
@click.option("--generic", default=None)
@click.option("--settlement/--no-settlement", default=None, help="Write the whole name as one word (RM-03).")
def gazetteer_romanize(name: str, specific: str | None, generic: str | None, settlement: bool | None) -> None:
    """Print the romanization of a name (toned, toneless, sign text)."""
    from geo.placenames.romanize import romanize

    with domain_errors():
        r = romanize(name, specific=specific, generic=generic, settlement=settlement)
    click.echo(f"{r.pinyin_toned}\n{r.romanization}\n{r.sign_text}")


@gazetteer.command("overdue")
@click.pass_obj
def gazetteer_overdue(obj: Context) -> None:
    """List names approved more than 15 days ago that are not yet filed or announced (PN-11/12)."""
    from geo.placenames.lifecycle import overdue_names

    rows = overdue_names(obj.store)
    what = {"filed_date": "未备案 unfiled", "announce_date": "未公告 unannounced"}
    for r in rows:
        click.echo(f"{r['id']}\t{r['standard_name']}\t批准 approved {r['approval_date'].isoformat()}\t"
                   f"{r['days_since_approval']} 天 days\t" + "，".join(what[m] for m in r["missing"]))
    click.echo(f"逾期 {len(rows)} 个地名 · {len(rows)} names overdue (PN-11/12: 15 days after approval)")


@gazetteer.command("export")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--status", default="in_force", show_default=True)
@click.pass_obj
def gazetteer_export(obj: Context, path: Path, status: str) -> None:
    """Write the national exchange table (.csv/.xlsx) or the gazetteer as GeoPackage (.gpkg)."""
    from geo.io.importer import export_layer
    from geo.placenames.lifecycle import exchange_table_of

    store = obj.store
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        count = export_layer(store, "place_names", path, where={"status": status})
    elif suffix in (".csv", ".xlsx"):
        table = exchange_table_of(store, status)
        write_table(table, path)
        count = len(table)
    else:
        raise click.UsageError("the path must end in .csv, .xlsx or .gpkg")
    click.echo(f"wrote {count} names to {path}")


@command("address")
@click.argument("text")
@click.pass_obj
def address_cmd(obj: Context, text: str) -> None:
    """Match a free-text address to a door plate (exact, safe, uncertain or none)."""
    from geo.plates.address_match import load_address_matcher

    # The command has always matched against the plates' current street names only.
    result = load_address_matcher(obj.store, former_names=False).match(text)
    plate = result.plate
    click.echo(f"{result.grade}\t{result.street or ''}\t{result.number or ''}\t"
               f"{plate['plate_uid'] if plate else ''}\t{result.note}")
    for c in result.candidates[:5]:
        click.echo(f"  candidate {c['plate_uid']} {c['street_name']} {c['number']}号")
