"""The ``xincheng`` command: build the sample district, manage users, import, export, serve.

Input problems exit with a usage error (status 2) that names the problem; nothing is half-written.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click
import numpy as np
from tqdm import tqdm

from api.settings import Settings
from geo.errors import DomainError, InputError
from geo.layers import LAYERS, ROLES
from geo.store import Store

CLI_ACTOR = "cli"


@contextmanager
def _domain_errors() -> Iterator[None]:
    try:
        yield
    except InputError as exc:
        raise click.UsageError(exc.message + "".join(f"\n  {d}" for d in exc.details)) from None
    except DomainError as exc:
        raise click.ClickException(exc.message) from None


class Context:
    """What every command shares: the settings and a lazily opened store."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        """Return the store, migrated to the latest schema."""
        if self._store is None:
            self._store = Store.open(self.settings.database_url)
            self._store.migrate()
        return self._store


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", envvar="XINCHENG_DATABASE_URL", default=None,
              help="sqlite:///path.db (default sqlite:///var/xincheng.db) or postgresql://user@host/db")
@click.option("--dev", is_flag=True, envvar="XINCHENG_DEV_MODE", default=False,
              help="Development mode: dev accounts may log in, a dev secret is allowed.")
@click.pass_context
def main(ctx: click.Context, database_url: str | None, dev: bool) -> None:
    """新城区民政地理信息服务 — Xincheng civil-affairs GIS service."""
    with _domain_errors():
        # Only the server needs the secret key; offline commands run without it.
        settings = Settings.from_env(database_url=database_url, dev_mode=dev or None,
                                     require_secret=ctx.invoked_subcommand in ("serve", "plates"))
    ctx.obj = Context(settings)


def _step_bar(total: int, desc: str) -> tqdm:
    return tqdm(total=total, desc=desc, unit="step", file=sys.stderr, leave=True)


@main.command()
@click.option("--sample/--empty", default=True, help="Load the generated Xincheng sample district.")
@click.option("--seed", default=None, type=int, help="Seed of the sample generator.")
@click.pass_obj
def init(obj: Context, sample: bool, seed: int | None) -> None:
    """Create or upgrade the database; load the sample district into an empty one.

    A database that holds records is never given the sample (it would mix into your data): init
    then stops with a usage error and changes no record. Add your own data with `xincheng import`.
    """
    from data.sample_district import DEFAULT_SEED, make_sample_district
    from geo.io.importer import prepare_records, write_records
    from geo.placenames import link_streets
    from geo.store.contents import describe_counts, held_records

    with _domain_errors():
        store = Store.open(obj.settings.database_url)
        applied = store.migrate()
        click.echo(f"schema at version {store.schema_version()} ({store.dialect}); "
                   f"applied {applied or 'none'}")
        if not sample:
            return
        held = held_records(store)
        if held:
            zh, en = describe_counts(held)
            raise click.UsageError(
                f"数据库已有数据 ({zh}), 样例区不会混入其中: 未载入样例区, 数据未作任何改动。"
                "样例区只载入空数据库; 导入本区数据请用 xincheng import · the database already "
                f"holds records ({en}), so the sample district was not loaded and nothing was "
                "changed. The sample goes only into an empty database (give another "
                "--database-url); add your own data with "
                "`xincheng import FILE --layer LAYER --crs CRS`")
        steps = ["administrative units", "streets", "door plates", "facilities",
                 "railway, expressways, rivers and graves", "boundary lines and markers"]
        with _step_bar(len(steps), "生成样例区 building sample") as bar:
            district = make_sample_district(seed=DEFAULT_SEED if seed is None else seed,
                                            progress=lambda _s: bar.update(1))
        total = sum(len(f) for f in district.layers.values())
        with store.writing() as conn, tqdm(total=total, desc="写入 writing", unit="feature",
                                           file=sys.stderr) as bar:
            for name, frame in district.layers.items():
                records, _ignored = prepare_records(frame, name, source_crs="EPSG:4490")
                write_records(store, name, records, actor=CLI_ACTOR,
                              note=f"sample district seed {district.seed}", progress=bar.update,
                              conn=conn)
            link_streets(conn)
        for name, frame in district.layers.items():
            click.echo(f"  {name}: {len(frame)}")


@main.command()
@click.pass_obj
def migrate(obj: Context) -> None:
    """Upgrade the database schema to the latest version (data is kept).

    One transaction under a lock (PostgreSQL advisory lock; a lock file beside a SQLite file):
    a second `migrate` waits, then finds nothing to do. A database from before Alembic is
    recognised by its schema_migrations version and stamped.
    """
    with _domain_errors():
        store = Store.open(obj.settings.database_url)
        try:
            applied = store.migrate()
            version = store.schema_version()
        finally:
            store.close()
        click.echo(f"结构版本 {version}, 本次应用 {applied or '无'} · "
                   f"schema at version {version}; applied {applied or 'none'}")


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def backup(obj: Context, path: Path) -> None:
    """Write every table to PATH (a ZIP with a manifest); safe while the service runs."""
    from geo.store.backup import backed_up_tables, write_backup

    if not path.parent.is_dir():
        raise click.UsageError(f"no folder {path.parent} to write the backup into")
    with _domain_errors(), _step_bar(len(backed_up_tables()), "备份 backup") as bar:
        manifest = write_backup(obj.store, path, progress=lambda _name: bar.update(1))
    rows = sum(t["rows"] for t in manifest["tables"].values())
    click.echo(f"wrote {path}: {rows:,} rows in {len(manifest['tables'])} tables, schema version "
               f"{manifest['schema_version']}")


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace the data of a database that is not empty.")
@click.pass_obj
def restore(obj: Context, path: Path, replace: bool) -> None:
    """Load a backup made by `xincheng backup`: all of it in one transaction, or nothing.

    The archive, the schema versions and an empty target (or --replace) are checked before
    anything changes; a refused restore leaves the database as it was.
    """
    from geo.store.backup import backed_up_tables, restore_backup

    with _domain_errors(), _step_bar(len(backed_up_tables()), "恢复 restore") as bar:
        store = Store.open(obj.settings.database_url)
        try:
            counts = restore_backup(store, path, replace=replace,
                                    progress=lambda _name: bar.update(1))
        finally:
            store.close()
    rows, tables = sum(counts.values()), len(counts)
    click.echo(f"已从 {path} 恢复 {rows:,} 行, {tables} 张表 · "
               f"restored {rows:,} rows in {tables} tables from {path}")


@main.group()
def user() -> None:
    """Manage users (the first admin is created here)."""


@user.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--display-name", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--district", "districts", multiple=True,
              help="6-digit adcode the user acts for (repeat for several); default: this district. "
                   "A boundary inspector of a neighbour signs joint inspections for that district only.")
@click.pass_obj
def user_add(obj: Context, username: str, role: str, display_name: str | None, password_stdin: bool,
             districts: tuple[str, ...]) -> None:
    """Create a user with a role; the password is asked for, never given on the command line."""
    from geo.users import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise click.UsageError("the two passwords differ")
    with _domain_errors():
        made = create_user(obj.store, username, password, role, actor=CLI_ACTOR, display_name=display_name,
                           adcodes=list(districts) or None)
    click.echo(f"created {made['username']} ({made['role']})")


@user.command("list")
@click.pass_obj
def user_list(obj: Context) -> None:
    """List users and roles."""
    from geo.users import list_users

    for u in list_users(obj.store):
        flags = ["active" if u["active"] else "inactive"] + (["dev-only"] if u["dev_only"] else [])
        click.echo("\t".join([u["username"], u["role"], u.get("adcodes") or "", *flags]))


@user.command("add-dev-accounts")
@click.pass_obj
def user_add_dev(obj: Context) -> None:
    """Create one dev-only account per role (password = username + '-dev-pass'); dev mode only."""
    from geo.users import create_user

    if not obj.settings.dev_mode:
        raise click.UsageError("dev accounts are only for --dev mode")
    for role in ROLES:
        name = f"dev-{role}"
        with _domain_errors():
            if obj.store.count("users", where={"username": name}):
                continue
            create_user(obj.store, name, f"{name}-dev-pass", role, actor=CLI_ACTOR, dev_only=True)
        click.echo(f"created {name} / {name}-dev-pass ({role}, works only in dev mode)")


def _progress_bar(desc: str) -> tuple[tqdm, Callable[[int], None]]:
    bar = tqdm(desc=desc, unit="feature", file=sys.stderr)
    return bar, bar.update


@main.command("import")
@click.argument("path", type=click.Path(path_type=Path))
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
    """Import a feature file into a layer: all of it, or nothing if any feature is bad.

    Rows already stored are never added twice: --mode insert (the default) refuses them, naming
    the rows; --mode upsert applies them as updates of the fields that carry no rule.
    """
    from geo.io.importer import import_file

    bar, update = _progress_bar(f"导入 importing {path.name}")
    with bar, _domain_errors():
        report = import_file(obj.store, layer, path, crs=crs, actor=CLI_ACTOR, fmt=fmt,
                             encoding=encoding, x_col=x_col, y_col=y_col, progress=update,
                             mode=mode)
    click.echo(json.dumps(report.summary(), ensure_ascii=False))


@main.command("export")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--layer", required=True, type=click.Choice(sorted(LAYERS)))
@click.option("--format", "fmt", default=None, help="geojson, gpkg, shp, csv or xlsx (default: by suffix).")
@click.option("--crs", default="EPSG:4490", show_default=True, help="CRS to write.")
@click.option("--encoding", default="UTF-8", show_default=True, help="Shapefile/CSV text encoding (e.g. GBK).")
@click.pass_obj
def export_cmd(obj: Context, path: Path, layer: str, fmt: str | None, crs: str, encoding: str) -> None:
    """Export a layer to a file (GeoPackage opens in QGIS)."""
    from geo.io.importer import export_layer

    with _domain_errors():
        count = export_layer(obj.store, layer, path, fmt=fmt, crs=crs, encoding=encoding)
    click.echo(f"wrote {count} features of {layer} to {path}")


_WALK_OPTIONS = [
    click.option("--preset", default="default", show_default=True, type=click.Choice(["default", "elderly"]),
                 help="Walking speed preset: 1.0 m/s, or 0.9 m/s for older people."),
    click.option("--minutes", default=None, type=float, help="Walking time (default 15)."),
    click.option("--speed", "speed_m_per_s", default=None, type=float, help="Walking speed in m/s."),
    click.option("--kinds", default=None, help="Facility kinds, comma-separated (default: elder-care stations "
                                               "and comprehensive centres)."),
]


def _walk_options(func):
    for option in reversed(_WALK_OPTIONS):
        func = option(func)
    return func


def _planning_run(obj: Context, preset: str, minutes: float | None, speed_m_per_s: float | None,
                  kinds: str | None):
    from api.planning import PlanningInputs, parse_kinds, run_planning, walk_params

    with _domain_errors(), _step_bar(2, "规划计算 planning") as bar:
        params = walk_params(preset, minutes, speed_m_per_s)
        chosen = parse_kinds(kinds)
        inputs = PlanningInputs.load(obj.store)
        bar.update(1)
        run = run_planning(inputs, params, chosen)
        bar.update(1)
    return run


@main.command()
@_walk_options
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write the table (.csv, .xlsx or .json).")
@click.pass_obj
def coverage(obj: Context, preset: str, minutes: float | None, speed_m_per_s: float | None, kinds: str | None,
             out: Path | None) -> None:
    """15-minute walking coverage per sub-district (and per community with --out)."""
    run = _planning_run(obj, preset, minutes, speed_m_per_s, kinds)
    click.echo(f"步行参数 walking: {run.params.describe()}")
    table = run.coverage
    for r in table[table["level"].isin(["district", "subdistrict", "town"])].itertuples():
        share = "—" if r.household_share != r.household_share else f"{100 * r.household_share:5.1f}%"
        click.echo(f"  {r.name}\t{int(r.covered_households):>7,} / {int(r.households):>7,} 户 households  {share}")
    counts = run.access["status"].value_counts().to_dict()
    click.echo(f"门牌 plates: {counts}")
    if run.unattached_facilities:
        click.echo(f"facilities too far from any street: {run.unattached_facilities}")
    if out:
        _write_table(table, out)
        click.echo(f"wrote {out}")


def _write_table(table, out: Path) -> None:
    suffix = out.suffix.lower()
    if suffix == ".csv":
        table.to_csv(out, index=False, encoding="utf-8-sig")
    elif suffix == ".xlsx":
        table.to_excel(out, index=False)
    elif suffix == ".json":
        out.write_text(table.to_json(orient="records", force_ascii=False, indent=1), encoding="utf-8")
    else:
        raise click.UsageError(f"--out must end in .csv, .xlsx or .json; got {out.name!r}")


@main.command()
@_walk_options
@click.option("--supply", default="floor_area_m2", show_default=True, type=click.Choice(["floor_area_m2", "beds"]),
              help="What each facility offers.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write the table (.csv, .xlsx or .json).")
@click.pass_obj
def accessibility(obj: Context, preset: str, minutes: float | None, speed_m_per_s: float | None, kinds: str | None,
                  supply: str, out: Path | None) -> None:
    """Capacity-aware accessibility (2SFCA): supply on foot per 100 residents 60+, per sub-district."""
    from api.planning import run_accessibility

    run = _planning_run(obj, preset, minutes, speed_m_per_s, kinds)
    with _domain_errors():
        acc = run_accessibility(run, supply)
    unit = {"floor_area_m2": "m²", "beds": "床 beds"}[supply]
    click.echo(f"步行参数 walking: {run.params.describe()}; supply {supply}")
    if acc.missing_supply:
        click.echo(f"facilities without a {supply} value (counted as 0): {acc.missing_supply}")
    table = acc.units
    for r in table[table["level"].isin(["district", "subdistrict", "town"])].itertuples():
        score = "—" if r.score_per100_60plus != r.score_per100_60plus else f"{r.score_per100_60plus:7.2f}"
        click.echo(f"  {r.name}\t{score} {unit} / 100 老年人 residents 60+")
    if out:
        _write_table(table, out)
        click.echo(f"wrote {out}")


@main.command()
@_walk_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def indicators(obj: Context, preset: str, minutes: float | None, speed_m_per_s: float | None, kinds: str | None,
               as_json: bool) -> None:
    """The plan's indicators: 2020 value, 2025 target, current value, met or not."""
    run = _planning_run(obj, preset, minutes, speed_m_per_s, kinds)
    if as_json:
        click.echo(json.dumps([i.to_dict() for i in run.indicators], ensure_ascii=False, indent=1))
        return
    click.echo(f"步行参数 walking: {run.params.describe()}")
    for i in run.indicators:
        current = "—" if i.current is None else f"{i.current:.1f}"
        met = {True: "达标 met", False: "未达标 not met", None: "—"}[i.met]
        click.echo(f"#{i.number:>4} {i.name_zh}: {current} {i.unit} "
                   f"(2020: {i.value_2020}, 2025: {i.target_text}) {met}")


@main.command()
@_walk_options
@click.option("--k", type=int, default=None, help="How many new stations.")
@click.option("--target-share", type=float, default=None, help="Or: the fewest stations reaching this share (0-1).")
@click.option("--weight", default="households", show_default=True,
              type=click.Choice(["households", "residents_60plus"]))
@click.option("--spacing", "spacing_m", default=250.0, show_default=True, help="Candidate grid spacing in metres.")
@click.pass_obj
def siting(obj: Context, preset: str, minutes: float | None, speed_m_per_s: float | None, kinds: str | None,
           k: int | None, target_share: float | None, weight: str, spacing_m: float) -> None:
    """Where to add elder-care stations (existing ones fixed), with each one's gain."""
    from api.planning import run_siting

    run = _planning_run(obj, preset, minutes, speed_m_per_s, kinds)
    with _domain_errors():
        result, sites = run_siting(run, k=k, target_share=target_share, weight=weight, spacing_m=spacing_m)
    click.echo(f"{weight}: {100 * result.share_before:.1f}% → {100 * result.share_after:.1f}% "
               f"with {len(sites)} new stations ({result.candidates} candidates; {run.params.describe()})")
    for row in sites.itertuples():
        click.echo(f"  #{row.order}  {row.geometry.x:.6f},{row.geometry.y:.6f}  +{row.gain:,.0f}  "
                   f"→ {100 * row.share_after:.1f}%")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@_walk_options
@click.option("--k", type=int, default=5, show_default=True, help="Proposed new stations to include (0: none).")
@click.pass_obj
def report(obj: Context, path: Path, preset: str, minutes: float | None, speed_m_per_s: float | None,
           kinds: str | None, k: int) -> None:
    """Write the planning report: PATH.html (tables and maps) or PATH.xlsx (tables)."""
    from api.planning import run_siting
    from geo.coverage import service_areas
    from maps.report import report_html, write_report_xlsx

    if path.suffix.lower() not in (".html", ".xlsx"):
        raise click.UsageError("the report path must end in .html or .xlsx")
    run = _planning_run(obj, preset, minutes, speed_m_per_s, kinds)
    with _domain_errors():
        result, sites = run_siting(run, k=k, target_share=None) if k else (None, None)
    if path.suffix.lower() == ".xlsx":
        write_report_xlsx(run, path, siting=result)
    else:
        areas = service_areas(run.network, run.care_facilities, run.params)
        path.write_text(report_html(run, sites=sites, areas=areas, siting=result, basemap=obj.settings.basemap),
                        encoding="utf-8")
    click.echo(f"wrote {path}")


@main.group()
def gazetteer() -> None:
    """The gazetteer (地名信息库): search, romanize, export, announce, match addresses."""


@gazetteer.command("search")
@click.argument("query")
@click.option("--limit", default=10, show_default=True)
@click.pass_obj
def gazetteer_search(obj: Context, query: str, limit: int) -> None:
    """Search names by Chinese, pinyin, initials (xlbl) or a former name."""
    from geo.placename_search import NameIndex

    index = NameIndex(obj.store.select("place_names"), obj.store.select("former_names"))
    for hit in index.search(query, limit=limit):
        rec = obj.store.get("place_names", hit.id)
        click.echo(f"{hit.id}\t{hit.name}\t{rec.get('pinyin_toned') or ''}\t{rec['status']}\t({hit.how})")


@gazetteer.command("romanize")
@click.argument("name")
@click.option("--specific", default=None, help="The specific part; separate words with spaces.")
@click.option("--generic", default=None)
@click.option("--settlement/--no-settlement", default=None, help="Write the whole name as one word (RM-03).")
def gazetteer_romanize(name: str, specific: str | None, generic: str | None, settlement: bool | None) -> None:
    """Print the romanization of a name (toned, toneless, sign text)."""
    from geo.romanize import romanize

    with _domain_errors():
        r = romanize(name, specific=specific, generic=generic, settlement=settlement)
    click.echo(f"{r.pinyin_toned}\n{r.romanization}\n{r.sign_text}")


@gazetteer.command("overdue")
@click.pass_obj
def gazetteer_overdue(obj: Context) -> None:
    """List names approved more than 15 days ago that are not yet filed or announced (PN-11/12)."""
    from geo.placenames import overdue_names

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
    from geo.io.formats import write_features
    from geo.placenames import exchange_table_of

    store = obj.store
    names = store.select("place_names", where={"status": status})
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        from geo.store.store import records_to_frame

        write_features(records_to_frame(names, store.table("place_names")), path, layer_name="place_names")
    elif suffix in (".csv", ".xlsx"):
        _write_table(exchange_table_of(store, status), path)
    else:
        raise click.UsageError("the path must end in .csv, .xlsx or .gpkg")
    click.echo(f"wrote {len(names)} names to {path}")


@main.command("address")
@click.argument("text")
@click.pass_obj
def address_cmd(obj: Context, text: str) -> None:
    """Match a free-text address to a door plate (exact, safe, uncertain or none)."""
    from geo.address_match import AddressMatcher

    result = AddressMatcher(obj.store.select("door_plates", where={"status": "active"})).match(text)
    plate = result.plate
    click.echo(f"{result.grade}\t{result.street or ''}\t{result.number or ''}\t"
               f"{plate['plate_uid'] if plate else ''}\t{result.note}")
    for c in result.candidates[:5]:
        click.echo(f"  candidate {c['plate_uid']} {c['street_name']} {c['number']}号")


@main.group()
def plates() -> None:
    """Door plates: QR images and print batches (they sign codes: set XINCHENG_SECRET_KEY or QR keys)."""


def _plate_texts(obj: Context, *, street: str | None, community: str | None, reprints: bool):
    from api.plate_texts import plate_texts
    from geo.plate_codes import PlateSigner, check_public_base_url

    store = obj.store
    if sum(x is not None and x is not False for x in (street, community, reprints or None)) != 1:
        raise click.UsageError("choose exactly one of --street, --community and --reprints")
    where: dict = {"status": "active"}
    if street:
        where["street_name"] = street
    if community:
        where["community_code"] = community
    rows = store.select("door_plates", where=where)
    if reprints:
        queued = {r["plate_uid"] for r in store.select("plate_reprints", where={"status": "queued"})}
        rows = [r for r in rows if r["plate_uid"] in queued]
    if not rows:
        raise click.UsageError("no active plates match")
    signer = PlateSigner.from_setting(obj.settings.qr_keys, fallback_secret=obj.settings.secret_key)
    base_url = obj.settings.public_base_url
    if not obj.settings.dev_mode:  # printed codes must reach the public server
        base_url = check_public_base_url(base_url)
    return plate_texts(store, sorted(rows, key=lambda r: (r["street_name"], r["number"])), signer=signer,
                       base_url=base_url)


@plates.command("qr")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--street", default=None)
@click.option("--community", default=None, help="12-digit community code.")
@click.option("--format", "fmt", default="svg", show_default=True, type=click.Choice(["svg", "png"]))
@click.pass_obj
def plates_qr(obj: Context, folder: Path, street: str | None, community: str | None, fmt: str) -> None:
    """Write one QR image per plate (named by plate id)."""
    from geo.plate_qr import qr_png, qr_svg

    with _domain_errors():
        texts = _plate_texts(obj, street=street, community=community, reprints=False)
    folder.mkdir(parents=True, exist_ok=True)
    for t in tqdm(texts, desc="二维码 QR codes", unit="plate", file=sys.stderr):
        path = folder / f"{t.plate_uid}.{fmt}"
        if fmt == "svg":
            path.write_text(qr_svg(t.url), encoding="utf-8")
        else:
            path.write_bytes(qr_png(t.url))
    click.echo(f"wrote {len(texts)} QR images to {folder}")


@plates.command("print")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--street", default=None)
@click.option("--community", default=None, help="12-digit community code.")
@click.option("--reprints", is_flag=True, help="The plates queued for reprinting (by renames); marks them printed.")
@click.option("--proof", is_flag=True, help="A marked proof: allowed without the Mongolian name (SG-01).")
@click.option("--svg-folder", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Also write one SVG per plate here.")
@click.pass_obj
def plates_print(obj: Context, path: Path, street: str | None, community: str | None, reprints: bool,
                 proof: bool, svg_folder: Path | None) -> None:
    """Print a PDF batch of plates for the manufacturer (one plate per page, 270 x 170 mm)."""
    from maps.plate_print import batch_html, check_sg01, plate_svg, print_pdf

    if path.suffix.lower() != ".pdf":
        raise click.UsageError("the batch path must end in .pdf")
    with _domain_errors():
        texts = _plate_texts(obj, street=street, community=community, reprints=reprints)
        for t in tqdm(texts, desc="核对 checking SG-01", unit="plate", file=sys.stderr):
            check_sg01(t, proof=proof)
            if svg_folder:
                svg_folder.mkdir(parents=True, exist_ok=True)
                (svg_folder / f"{t.plate_uid}.svg").write_text(plate_svg(t, proof=proof), encoding="utf-8")
        with _step_bar(1, "排版打印 printing (Chromium)") as bar:
            print_pdf(batch_html(texts, proof=proof), path)
            bar.update(1)
    if reprints and not proof:
        import sqlalchemy as sa

        from geo.store import schema

        uids = [t.plate_uid for t in texts]
        with obj.store.writing() as conn:
            done = conn.execute(schema.plate_reprints.update().where(schema.plate_reprints.c.plate_uid.in_(uids),
                                                                      schema.plate_reprints.c.status == "queued")
                                .values(status="printed", version=schema.plate_reprints.c.version + 1,
                                        updated_at=sa.func.now())).rowcount
            conn.execute(schema.audit_log.insert().values(
                adcode=obj.store.adcode, table_name="plate_reprints", record_id=None, action="printed",
                actor=CLI_ACTOR, at=datetime.now(UTC), before=None,
                after=json.dumps({"count": done, "batch": path.name}, ensure_ascii=False)))
    click.echo(f"wrote {len(texts)} plates to {path}{' (proof)' if proof else ''}")


@main.group()
def boundaries() -> None:
    """Administrative boundary lines and markers (界线与界桩)."""


@boundaries.command("report")
@click.option("--close", "close_m", default=5.0, show_default=True,
              help="Slivers narrower than twice this are gaps (m).")
@click.pass_obj
def boundaries_report(obj: Context, close_m: float) -> None:
    """The district's boundary lines with their lengths, and gaps and overlaps with each neighbour."""
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
    import shapely

    from geo import crs as C
    from geo.boundaries import disputed_areas, disputed_between_lines, markers_affected
    from geo.io.formats import read_features, write_features

    store = obj.store
    with _domain_errors():
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


@main.command("map")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--basemap-url", default=None, help="Tile URL template, e.g. a 天地图 URL with your tk key "
              "(default: XINCHENG_BASEMAP_URL; none: no tiles, works offline).")
@click.option("--attribution", default=None, help="Basemap attribution to show (required with --basemap-url).")
@click.option("--review-number", default=None, help="审图号 of the basemap, shown with the attribution.")
@click.pass_obj
def map_cmd(obj: Context, path: Path, basemap_url: str | None, attribution: str | None,
            review_number: str | None) -> None:
    """Write the district map (units, streets, facilities, markers, plates) as one standalone HTML file.

    Leaflet is inlined, so the file opens offline; tiles only with a basemap.
    """
    from api.map_data import district_layers
    from maps.district_map import district_map
    from maps.layers import Basemap

    basemap = obj.settings.basemap
    if basemap_url:
        if not attribution:
            raise click.UsageError("--attribution is required with --basemap-url (the provider's terms)")
        basemap = Basemap(basemap_url, attribution, review_number)
    with _domain_errors():
        layers = district_layers(obj.store)
    district_map(layers, basemap=basemap).save(str(path))
    click.echo(f"wrote {path}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes; with more than one, use PostGIS (README 'Production').")
@click.pass_obj
def serve(obj: Context, host: str, port: int, workers: int) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs); one JSON log line per request on stderr.

    Behind a reverse proxy on this machine, the client address comes from X-Forwarded-For
    (uvicorn trusts 127.0.0.1; set FORWARDED_ALLOW_IPS for a proxy elsewhere).
    """
    import os

    import uvicorn

    from api.app import create_app

    with _domain_errors():
        obj.store  # noqa: B018 - migrate before serving
    common = {"host": host, "port": port, "log_level": obj.settings.log_level.lower(), "access_log": False,
              "proxy_headers": True}
    if workers == 1:
        uvicorn.run(create_app(obj.settings), **common)
        return
    # Each worker process builds its app from the environment: hand it these command-line settings.
    os.environ["XINCHENG_DATABASE_URL"] = obj.settings.database_url
    os.environ["XINCHENG_DEV_MODE"] = "1" if obj.settings.dev_mode else "0"
    uvicorn.run("api.app:create_app", factory=True, workers=workers, **common)


if __name__ == "__main__":  # pragma: no cover
    main()
