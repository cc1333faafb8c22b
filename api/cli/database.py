"""Database commands: ``init``, ``migrate``, ``backup``, ``restore``."""

from __future__ import annotations

import os
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

import click

from api.cli.common import CLI_ACTOR, Context, InputPath, OutputPath, command, domain_errors, feature_bar, step_bar
from geo.messages import as_term, text

if TYPE_CHECKING:
    from geo.store import Store


@command()
@click.option("--sample/--empty", default=True,
              help="载入样例区（或空库） · load the generated Xincheng sample district (or none).")
@click.option("--seed", default=None, type=int, help="样例生成随机种子 · seed of the sample generator.")
@click.option("--if-empty", is_flag=True,
              help="仅空库时载入样例 · "
                   "load the sample only if the database is empty; otherwise just upgrade it and keep its "
                   "data (exit 0). For scripts that run again, such as scripts/serve-sample.sh.")
@click.pass_obj
def init(obj: Context, sample: bool, seed: int | None, if_empty: bool) -> None:
    """初始化数据库 · Create or upgrade the database; load the sample district into an empty one.

    A database that holds records is never given the sample (it would mix into your data): init
    then stops with a usage error and changes no record (with --if-empty it says so and exits 0).
    Add your own data with `xincheng import`. Two inits at once on one empty database: one loads
    the sample, the other is refused and changes nothing.
    """
    from data.sample_district import DEFAULT_SEED, make_sample_district
    from geo import DISTRICT_ADCODE
    from geo.errors import InputError
    from geo.io.importer import load_layers
    from geo.store.contents import refuse_unless_empty

    if sample and obj.settings.district != DISTRICT_ADCODE:  # the sample is 新城区's, not the district asked for
        raise click.UsageError(text("cli.sample_district", district=obj.settings.district, own=DISTRICT_ADCODE))
    # the store closed at the end: a SQLite file's write-ahead log folded back into it
    with domain_errors(), closing(obj.open_store()) as store:
        applied = store.migrate()
        click.echo(text("cli.schema", version=store.schema_version(), dialect=store.dialect,
                        applied=applied or as_term(text("cli.none_applied"))))
        if not sample:
            return
        try:
            refuse_unless_empty(store)  # before building the sample; load_layers checks again as it writes
        except InputError:
            if not if_empty:
                raise
            click.echo(text("cli.kept_data"))
            return
        store.check_writable()  # a read-only database is said before the sample is built (review)
        steps = ["administrative units", "streets", "door plates", "facilities",
                 "railway, expressways, rivers and graves", "boundary lines and markers",
                 "planning layers: ban-zone areas, new estates, premises"]
        with step_bar(len(steps), "生成样例区 building sample") as bar:
            district = make_sample_district(seed=DEFAULT_SEED if seed is None else seed,
                                            progress=lambda _s: bar.update(1))
        total = sum(len(f) for f in district.layers.values())
        with feature_bar("写入 writing", total=total) as bar:
            written = load_layers(store, district.layers, actor=CLI_ACTOR,
                                  note=f"sample district seed {district.seed}", progress=bar.update,
                                  reference_objects=district.reference_objects,
                                  plot_types=district.plot_types, burial_statistics=district.burial_statistics,
                                  addresses=district.addresses, street_signs=district.street_signs)
        for name, count in written.items():
            click.echo(f"  {name}: {count}")
        _assign_place_codes(store)
        _refresh_lookups(store)
        from api.cli.indicator_history import take_sample_snapshots

        take_sample_snapshots(store)


def _assign_place_codes(store: Store) -> None:
    """Give every standard name of the sample its 地名代码 (the national sync sends it), counters moved once each."""
    from geo.placenames.codes import assign_missing

    done = assign_missing(store, actor=CLI_ACTOR)
    click.echo(text("place_codes.init_assigned", assigned=done["assigned"]))


def _refresh_lookups(store: Store) -> None:
    """Compute what each plate's public page shows (nearest services), so the first scan answers at once."""
    from geo.plates.lookup_table import refresh_plate_lookups

    click.echo("计算门牌附近的服务… · computing the services near each plate…", err=True)
    refresh_plate_lookups(store)


@command()
@click.pass_obj
def migrate(obj: Context) -> None:
    """升级数据库结构 · Upgrade the database schema to the latest version (data is kept).

    One transaction under a lock (PostgreSQL advisory lock; a lock file beside a SQLite file):
    a second `migrate` waits, then finds nothing to do. A database from before Alembic is
    recognised by its schema_migrations version and stamped.
    """
    with domain_errors():
        store = obj.open_store()  # its partitions made
        try:
            applied = store.migrate()
            version = store.schema_version()
        finally:
            store.close()
        click.echo(f"结构版本 {version}, 本次应用 {applied or '无'} · "
                   f"schema at version {version}; applied {applied or 'none'}")


@command()
@click.argument("path", type=OutputPath())
@click.pass_obj
def backup(obj: Context, path: Path) -> None:
    """备份 · Write every table to PATH (a ZIP with a manifest); safe while the service runs."""
    from geo.store.backup import backed_up_tables, write_backup

    store = obj.store  # a database that is not there is refused before the bar is drawn
    with domain_errors(), step_bar(len(backed_up_tables()), "备份 backup") as bar:
        manifest = write_backup(store, path, progress=lambda _name: bar.update(1))
    rows = sum(t["rows"] for t in manifest["tables"].values())
    click.echo(text("cli.backup_written", path=path, rows=f"{rows:,}", tables=len(manifest["tables"]),
                    version=manifest["schema_version"]))


def _sqlite_files(database: Path) -> list[Path]:
    """Return a SQLite database file and the files SQLite and the migrations keep beside it."""
    return [database, *(database.with_name(database.name + suffix) for suffix in ("-wal", "-shm", "-journal",
                                                                                  ".migrate.lock"))]


def _move_into_place(restored: Path, target: Path) -> None:
    """Give the database restored at ``restored`` the name ``target`` without replacing a file made there meanwhile
    (a hard link fails on an existing name); the caller removes ``restored``. A refused restore used to leave an
    empty database at ``target`` that the next command took for one, and removing it again could remove a database
    another command had made there meanwhile (review)."""
    from geo.errors import Conflict

    try:
        os.link(restored, target)
    except FileExistsError:
        raise Conflict(text("cli.restore_target_made", path=target), field="database_url") from None


@command()
@click.argument("path", type=InputPath(".zip"))
@click.option("--replace", is_flag=True, help="替换非空库的数据 · replace the data of a database that is not empty.")
@click.option("--accept-older", is_flag=True,
              help="接受比当前库旧的备份（丢失已报送的同步批次记录） · restore a backup older than the sync batches "
                   "sent (their records are lost; code counters never go back).")
@click.pass_obj
def restore(obj: Context, path: Path, replace: bool, accept_older: bool) -> None:
    """恢复备份 · Load a backup made by `xincheng backup`: all of it in one transaction, or nothing.

    The archive, the schema versions, an empty target (or --replace) and that the database holds no
    sync batch sent to the national database that the backup lacks (or --accept-older) are checked
    before anything changes; a refused restore leaves the database as it was. Code counters never go
    below the replaced database's: a code already issued is never issued again.
    """
    from geo.restore_rules import check_restored
    from geo.sqlite_urls import sqlite_file_name
    from geo.store import Store
    from geo.store.backup import backed_up_tables, restore_backup

    name = sqlite_file_name(obj.settings.database_url)
    target = Path(name) if name is not None and not Path(name).exists() else None  # a new SQLite file
    aside = None if target is None else target.with_name(f".{target.name}.restoring-{os.getpid()}")
    with domain_errors():  # a folder, a pipe or a device is refused before the bar
        if aside is not None:  # restored beside it, moved into place whole: a refusal leaves no file there
            obj.refuse_missing_database()
            store = Store.open(f"sqlite:///{aside}")
        else:
            store = obj.open_store(own_district=False)
    with domain_errors(), step_bar(len(backed_up_tables()), "恢复 restore") as bar:
        try:
            counts = restore_backup(store, path, replace=replace, accept_older=accept_older,
                                    progress=lambda _name: bar.update(1), checks=[check_restored],
                                    actor=CLI_ACTOR)
            store.close()  # a SQLite file's write-ahead log folded back: the file is the whole database
            if aside is not None and target is not None:
                _move_into_place(aside, target)
        finally:
            store.close()
            if aside is not None:
                for file in _sqlite_files(aside):  # this process's own files alone
                    file.unlink(missing_ok=True)
    rows, tables = sum(counts.values()), len(counts)
    click.echo(f"已从 {path} 恢复 {rows:,} 行, {tables} 张表 · "
               f"restored {rows:,} rows in {tables} tables from {path}")
    click.echo(text("cli.restore_whole"))  # a backup is the whole database's, every district's

