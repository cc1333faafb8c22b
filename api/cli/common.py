"""What the command modules share: the context object, the domain-error wrapper, progress bars.

This module and every command module import only click and light modules at import time, so
``xincheng --help`` and ``xincheng <command> --help`` start fast and need neither the secret key
nor a database. Heavy modules (the store, geopandas, pandas, fastapi, uvicorn, tqdm ...) are
imported inside the functions that use them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from geo.errors import DomainError, InputError

if TYPE_CHECKING:
    import pandas as pd
    from tqdm import tqdm

    from api.settings import Settings
    from geo.store import Store

CLI_ACTOR = "cli"

# Top-level commands whose subcommands sign or serve and so need the secret key.
SECRET_COMMANDS = ("serve", "plates")


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn input problems into a usage error (status 2) and other domain errors into status 1."""
    try:
        yield
    except InputError as exc:
        raise click.UsageError(exc.message + "".join(f"\n  {d}" for d in exc.details)) from None
    except DomainError as exc:
        raise click.ClickException(exc.message) from None


class Context:
    """What every command shares: the settings and a lazily opened store.

    The settings are resolved from the command-line options and ``XINCHENG_*`` variables when a
    command runs (not when its help is shown): see :class:`Command`.
    """

    def __init__(self, *, database_url: str | None, dev_mode: bool | None, require_secret: bool):
        self._database_url = database_url
        self._dev_mode = dev_mode
        self._require_secret = require_secret
        self._settings: Settings | None = None
        self._store: Store | None = None

    def resolve(self) -> Settings:
        """Build and validate the settings once; a problem is a usage error of the ``xincheng`` command."""
        if self._settings is None:
            from api.settings import Settings

            # Only the server and the plate commands need the secret key; offline commands run without it.
            with domain_errors():
                self._settings = Settings.from_env(database_url=self._database_url, dev_mode=self._dev_mode,
                                                   require_secret=self._require_secret)
        return self._settings

    @property
    def settings(self) -> Settings:
        """Return the settings of this run."""
        return self.resolve()

    @property
    def store(self) -> Store:
        """Return the store, migrated to the latest schema."""
        if self._store is None:
            from geo.store import Store

            self._store = Store.open(self.settings.database_url)
            self._store.migrate()
        return self._store


class Command(click.Command):
    """A command that resolves the settings just before it runs, after its options are parsed.

    So ``--help`` never needs the secret key, while a bad setting still stops every command
    before its body starts, with a usage error of the ``xincheng`` command.
    """

    def invoke(self, ctx: click.Context) -> Any:
        obj = ctx.find_object(Context)
        if obj is not None:
            try:
                obj.resolve()
            except click.UsageError as exc:
                if exc.ctx is None:
                    exc.ctx = ctx.find_root()
                raise
        return super().invoke(ctx)


class Group(click.Group):
    """A command group whose commands are :class:`Command` and whose subgroups are :class:`Group`."""

    command_class = Command
    group_class = type


def command(name: str | None = None, **kwargs: Any) -> Callable[[Callable[..., Any]], Command]:
    """Declare a top-level ``xincheng`` command (added to the main group in :mod:`api.cli`)."""
    return click.command(name, cls=Command, **kwargs)


def group(name: str | None = None, **kwargs: Any) -> Callable[[Callable[..., Any]], Group]:
    """Declare a top-level ``xincheng`` command group (added to the main group in :mod:`api.cli`)."""
    return click.group(name, cls=Group, **kwargs)


def step_bar(total: int, desc: str) -> tqdm:
    """A progress bar of ``total`` steps on stderr."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="step", file=sys.stderr, leave=True)


def feature_bar(desc: str, total: int | None = None) -> tqdm:
    """A progress bar counting features on stderr."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="feature", file=sys.stderr)


def progress_bar(desc: str) -> tuple[tqdm, Callable[[int], None]]:
    """A feature progress bar of unknown length and its update function."""
    bar = feature_bar(desc)
    return bar, bar.update


def write_table(table: pd.DataFrame, out: Path) -> None:
    """Write a table as .csv (UTF-8 with BOM, opens in Excel), .xlsx or .json.

    Spreadsheet cells that would run as formulas (stored names such as ``=HYPERLINK(...)``) are
    made inert first, as in every export of the service.
    """
    from geo.spreadsheet import formula_safe

    suffix = out.suffix.lower()
    if suffix == ".csv":
        formula_safe(table).to_csv(out, index=False, encoding="utf-8-sig")
    elif suffix == ".xlsx":
        formula_safe(table).to_excel(out, index=False)
    elif suffix == ".json":
        out.write_text(table.to_json(orient="records", force_ascii=False, indent=1), encoding="utf-8")
    else:
        raise click.UsageError(f"--out must end in .csv, .xlsx or .json; got {out.name!r}")
