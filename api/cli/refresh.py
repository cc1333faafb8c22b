"""Coverage refresh of many districts (#19 item 4): ``refresh``.

Each district is one task (read, network, attach, solve, sum, write back in one transaction): on a
Dask ``LocalCluster`` of worker processes by default, on a production cluster with ``--scheduler``,
or here one after another with ``--in-process`` (the single-process reference). SQLite holds one
district, so on SQLite the refresh runs here: a cluster would start processes for one task, and a
remote cluster's workers could not open the file.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from typing import TYPE_CHECKING

import click

from api.cli.common import CLI_ACTOR, Context, command, domain_errors, step_bar
from api.cli.output import number, print_table
from api.cli.planning import _walk_options
from geo.messages import text

if TYPE_CHECKING:
    from geo.planning.refresh import DistrictOutcome
    from geo.store import Store


def _open(obj: Context) -> Store:
    """Open and migrate the database as the district of the settings (``--district``, default 150102).

    Not ``obj.store``, which refuses a database that does not hold that district: a region's refresh
    concerns every district held, whichever is named.
    """
    from geo.store.districts import refuse_second_sqlite_district

    store = obj.open_store()
    store.migrate()
    with domain_errors():
        refuse_second_sqlite_district(store)
    return store


def _districts(store: Store, listed: str | None) -> list[str]:
    """Return the districts to refresh: those listed (each one this database holds), else every one held."""
    from geo.planning.refresh_cluster import chosen_districts

    if listed is None:
        return chosen_districts(store)
    chosen = [a.strip() for a in listed.split(",") if a.strip()]
    if not chosen:
        raise click.UsageError(text("refresh.no_districts", value=repr(listed)))
    repeated = sorted({a for a in chosen if chosen.count(a) > 1})
    if repeated:
        raise click.UsageError(text("refresh.repeated", value="、".join(repeated)))
    with domain_errors():
        return chosen_districts(store, chosen)


def _check_options(*, scheduler: str | None, workers: int | None, in_process: bool) -> None:
    if scheduler is not None and (workers is not None or in_process):
        option = "--workers" if workers is not None else "--in-process"
        raise click.UsageError(text("refresh.scheduler_options", option=option))
    if in_process and workers is not None:
        raise click.UsageError(text("refresh.in_process_workers"))


@command()
@_walk_options
@click.option("--districts", default=None, metavar="ADCODE,...",
              help="区县，逗号分隔 · Districts to refresh, comma-separated 6-digit adcodes "
                   "(default: every district the database holds).")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="集群调度器（Dask） · The production cluster's Dask scheduler; its workers must reach the same "
                   "database. Default: a local cluster of worker processes on this machine.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="本机计算进程数 · Worker processes of the local cluster (default: the number of CPUs).")
@click.option("--in-process", "in_process", is_flag=True,
              help="在本进程计算 · Run the same tasks in this process, one after another, without Dask "
                   "(the single-process reference).")
@click.option("--retries", type=click.IntRange(0, 10), default=2, show_default=True,
              help="失败重试次数 · Times a district's task that fails is run again (a task on a worker that "
                   "dies is run again by the scheduler as well).")
@click.pass_obj
def refresh(obj: Context, preset: str, minutes: float | None, speed_m_per_s: float | None, kinds: str | None,
            districts: str | None, scheduler: str | None, workers: int | None, in_process: bool,
            retries: int) -> None:
    """刷新各区县的覆盖结果 · Refresh the stored 15-minute coverage of districts, one task per district."""
    from geo.planning.refresh_cluster import (
        local_cluster,
        refresh_in_process,
        refresh_on_cluster,
        scheduler_client,
    )
    from geo.planning.run import parse_kinds, walk_params

    _check_options(scheduler=scheduler, workers=workers, in_process=in_process)
    with domain_errors():
        params = walk_params(preset, minutes, speed_m_per_s)
        chosen_kinds = parse_kinds(kinds)
    store = _open(obj)
    try:
        if store.dialect == "sqlite":
            if scheduler is not None:
                raise click.UsageError(text("refresh.sqlite_scheduler"))
            if not in_process:
                click.echo(text("refresh.sqlite_in_process"), err=True)
                in_process, workers = True, None
        adcodes = _districts(store, districts)
    finally:
        store.close()
    url = obj.settings.database_url
    options = {"params": params, "kinds": chosen_kinds, "actor": CLI_ACTOR, "retries": retries}
    click.echo(f"步行参数 walking: {params.describe()}")
    with domain_errors(), ExitStack() as stack:
        client = None
        if in_process:
            click.echo(text("refresh.mode_in_process", count=len(adcodes)), err=True)
        elif scheduler is not None:
            client = stack.enter_context(scheduler_client(scheduler))
            click.echo(text("refresh.mode_scheduler", count=len(adcodes), address=scheduler,
                            workers=len(client.scheduler_info()["workers"])), err=True)
        else:
            count = workers or os.cpu_count() or 1
            client = stack.enter_context(local_cluster(workers=count))
            click.echo(text("refresh.mode_local", count=len(adcodes), workers=count), err=True)
        bar = stack.enter_context(step_bar(len(adcodes), text("refresh.progress")))

        def progress(outcome: DistrictOutcome) -> None:
            bar.set_postfix_str(outcome.adcode)
            bar.update(1)

        report = (refresh_in_process(url, adcodes, progress=progress, **options) if client is None
                  else refresh_on_cluster(client, url, adcodes, progress=progress, **options))
    print_table([[o.adcode, "✓" if o.ok else "✗", o.units, number(o.seconds, digits=2),
                  "—" if o.data_seq is None else o.data_seq] for o in report.outcomes],
                ["区县 district", "结果 result", "单位数 units", "用时 seconds", "数据版本 data version"])
    click.echo(text("refresh.done", done=len(report.outcomes) - len(report.failed), total=len(report.outcomes),
                    units=report.units, seconds=f"{report.seconds:.1f}"))
    if report.failed:
        for outcome in report.failed:
            click.echo(f"  {outcome.adcode}: {outcome.error}", err=True)
        raise click.ClickException(text("refresh.failed", count=len(report.failed),
                                        districts="、".join(o.adcode for o in report.failed)))
