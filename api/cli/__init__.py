"""The ``xincheng`` command: build the sample district, manage users, import, export, serve.

Input problems exit with a usage error (status 2) that names the problem; nothing is half-written.

One module per command group; each imports only click and light modules at import time (heavy ones
inside the commands), so ``xincheng --help`` is fast and no ``--help`` needs settings or a database:

- :mod:`api.cli.common` — the context object, error wrappers, path and number options, ``--dev``, progress bars
- :mod:`api.cli.output` — printed tables (Chinese first, "—" for missing), table files with their parameters
- :mod:`api.cli.database` — ``init``, ``migrate``, ``backup``, ``restore``
- :mod:`api.cli.users` — ``user add``, ``user list``, ``user add-dev-accounts``
- :mod:`api.cli.transfer` — ``import``, ``export``
- :mod:`api.cli.cemeteries` — ``cemetery check|zones|plots|stats`` (CM-01, CM-02, burial statistics)
- :mod:`api.cli.planning` — ``coverage``, ``accessibility``, ``indicators``, ``siting``, ``report``;
  :mod:`api.cli.indicator_history` — ``indicators snapshot|history|compare``
- :mod:`api.cli.rural_norms` — ``rural-norms`` (village norms), ``estates`` (新建小区四同步)
- :mod:`api.cli.gazetteer` — ``gazetteer search|romanize|overdue|export``, ``address``
- :mod:`api.cli.plates` — ``plates qr|print``
- :mod:`api.cli.reports` — ``reports list|resolve`` (residents' problem reports)
- :mod:`api.cli.boundaries` — ``boundaries report|compare``; :mod:`api.cli.boundary_cases` — ``boundaries
  overdue|repairs|disputes``
- :mod:`api.cli.maps` — ``map``
- :mod:`api.cli.whatif` — ``whatif`` (instant what-if: add, move, remove stations, close streets)
- :mod:`api.cli.refresh` — ``refresh`` (stored coverage of many districts, one Dask task each)
- :mod:`api.cli.serve` — ``serve``
- :mod:`api.cli.region` — ``region load`` (a synthetic region of many districts on PostGIS, for tests and benchmarks)
"""

from __future__ import annotations

import click

from api.cli import legacy as _legacy  # noqa: F401  (adds boundaries import-legacy, estimate-params)
from api.cli.addresses import addresses
from api.cli.boundaries import boundaries
from api.cli.boundary_cases import boundaries_overdue  # noqa: F401  (adds overdue|repairs|disputes to boundaries)
from api.cli.cemeteries import cemetery
from api.cli.common import SECRET_COMMANDS, Context, Group
from api.cli.database import backup, init, migrate, restore
from api.cli.divisions import divisions
from api.cli.gazetteer import address_cmd, gazetteer
from api.cli.indicator_history import snapshot as _snapshot  # noqa: F401  (adds indicators snapshot|history|…)
from api.cli.maps import map_cmd
from api.cli.place_codes import place_codes
from api.cli.planning import accessibility, coverage, indicators, report, siting
from api.cli.plates import plates
from api.cli.refresh import refresh
from api.cli.region import region
from api.cli.reports import reports
from api.cli.rural_norms import estates, rural_norms
from api.cli.serve import serve
from api.cli.signs import signs
from api.cli.transfer import export_cmd, import_cmd
from api.cli.users import user
from api.cli.whatif import whatif


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", envvar="XINCHENG_DATABASE_URL", default=None,
              help="数据库地址 · sqlite:///path.db (default sqlite:///var/xincheng.db) or postgresql://user@host/db")
@click.option("--district", envvar="XINCHENG_DISTRICT", default=None, metavar="ADCODE",
              help="区县 · the district (6-digit adcode) the command reads and writes; default 150102. A PostGIS "
                   "database holds many districts, SQLite one.")
@click.option("--dev", is_flag=True, envvar="XINCHENG_DEV_MODE", default=False,
              help="开发模式 · development mode: dev accounts may log in, a dev secret is allowed "
                   "(also after the command name: `xincheng init --dev`).")
@click.pass_context
def main(ctx: click.Context, database_url: str | None, district: str | None, dev: bool) -> None:
    """新城区民政地理信息服务 · Xincheng civil-affairs GIS service."""
    # The settings are resolved when a command runs, not here: `xincheng <command> --help` needs none.
    ctx.obj = Context(database_url=database_url, district=district, command=ctx.invoked_subcommand,
                      dev_mode=dev or None,
                      require_secret=ctx.invoked_subcommand in SECRET_COMMANDS)
    ctx.call_on_close(ctx.obj.close)


for _command in (init, migrate, backup, restore, user, import_cmd, export_cmd, coverage, accessibility, indicators,
                 siting, report, gazetteer, address_cmd, plates, boundaries, map_cmd, serve, reports,
                 rural_norms, estates, cemetery, whatif, addresses, signs, divisions, place_codes, refresh, region):
    main.add_command(_command)


def run() -> None:
    """The installed ``xincheng`` command (and ``python -m api.cli``): run :func:`main`, then leave at once.

    The command's work is done and its store closed when :func:`main` returns; what an interpreter does after
    that (tearing down every module and object of the geo stack) costs the planner a fifth of a second on
    ``xincheng report``, so :func:`api.cli.leave.leave` skips it once the exit handlers have run. The garbage
    collector runs rarely meanwhile (:mod:`api.cli.collector`; ``serve`` puts Python's pace back).
    """
    from api.cli.collector import pace_for_a_command
    from api.cli.common import null_for_closed_streams
    from api.cli.leave import leave

    pace_for_a_command()
    null_for_closed_streams()
    try:
        main()
    except SystemExit as stop:
        leave(stop.code)
    leave(0)

__all__ = ["main", "run"]
