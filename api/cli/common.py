"""What the command modules share: the context object, the domain-error wrapper, progress bars.

This module and every command module import only click and light modules at import time, so
``xincheng --help`` and ``xincheng <command> --help`` start fast and need neither the secret key
nor a database. Heavy modules (the store, geopandas, pandas, fastapi, uvicorn, tqdm ...) are
imported inside the functions that use them.
"""

from __future__ import annotations

import errno
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from api.cli.output import write_table as write_table  # re-exported for the command modules
from geo.errors import DomainError, InputError
from geo.messages import SEPARATOR, Term, as_term, quoted, text, value_labels

if TYPE_CHECKING:
    from tqdm import tqdm

    from api.settings import Settings
    from geo.store import Store

CLI_ACTOR = "cli"
PATH_SHOWN_CHARS = 4096  # a path is shown whole in a message (its end names the file); no path is longer

# Top-level commands whose subcommands sign or serve and so need the secret key.
SECRET_COMMANDS = ("serve", "plates")

_HAN = re.compile(r"[\u4e00-\u9fff]")


class InputRefused(click.ClickException):
    """Data the command was given (a file's rows, a value) refused by a rule: status 2 as a usage error, but
    printed without click's "Usage: …" and "Try '… --help'" lines, which sent officers to the options when the
    file was what had to change."""

    exit_code = 2


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn input problems into status 2 (:class:`InputRefused`) and other domain errors into status 1."""
    try:
        yield
    except InputError as exc:
        raise InputRefused(exc.message + "".join(f"\n  {d}" for d in exc.details)) from None
    except DomainError as exc:
        raise click.ClickException(exc.message) from None


class BadParameter(click.BadParameter):
    """A bad option or argument, said Chinese first and naming the option or argument."""

    def format_message(self) -> str:
        return chinese_usage_message(self)


# click's own problems with a value (its types' English), each with the message that says it Chinese first.
_VALUE_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern, re.S), key) for pattern, key in (
    (r"^'?(?P<value>.*?)'? is not a valid integer( range)?\.?$", "cli.usage.not_integer"),
    (r"^'?(?P<value>.*?)'? is not a valid (float|number)( range)?\.?$", "cli.usage.not_number"),
    (r"^'?(?P<value>.*?)'? is not a valid boolean.*$", "cli.usage.not_boolean"),
    (r"^'?(?P<value>.*?)'? is not one of (?P<allowed>.*?)\.?$", "cli.usage.not_choice"),
    (r"^'?(?P<value>.*?)'? is not (?P<allowed>'[^']*')\.?$", "cli.usage.not_choice"),
    (r"^(?P<value>.*?) is not in the range (?P<range>.*?)\.?$", "cli.usage.out_of_range"),
    (r"^'?(?P<value>.*?)'? does not match the formats? (?P<formats>.*?)\.?$", "cli.usage.bad_date"),
    (r"^\w+ '(?P<path>.*)' does not exist\.?$", "cli.usage.path_missing"),
    (r"^\w+ '(?P<path>.*)' is a file\.?$", "cli.usage.path_is_file"),
    (r"^\w+ '(?P<path>.*)' is a directory\.?$", "cli.usage.path_is_folder"),
    (r"^\w+ '(?P<path>.*)' is not (readable|writable|executable)\.?$", "cli.usage.path_denied"),
))
_NEEDS_VALUE = re.compile(r"^Option '(?P<name>[^']+)' requires (an argument|\d+ arguments)\.?$")
_TAKES_NO_VALUE = re.compile(r"^Option '(?P<name>[^']+)' does not take a value\.?$")
_EXTRA_ARGUMENTS = re.compile(r"^Got unexpected extra arguments? \((?P<values>.*)\)\.?$")


def _said_in_chinese(message: str) -> bool:
    """Return whether a message is one of ours from the catalogue: Chinese, then English after the separator. Click's
    own English naming a Chinese file ("File '界线.geojson' does not exist.") has Han characters but no separator
    (it was left in English, review of #15)."""
    head, separator, _ = message.partition(SEPARATOR)
    return bool(separator and _HAN.search(head))


def _named(hint: str) -> Term:
    """Return an option or argument as click names it ("'--out'"): bare in Chinese, quoted in English."""
    return Term(hint.strip("'\""), hint)


def _value_problem(message: str) -> Term:
    """Return a click type's complaint about a value, Chinese first (ours are already bilingual)."""
    if _said_in_chinese(message):
        return as_term(message)
    for pattern, key in _VALUE_PROBLEMS:
        found = pattern.match(message.strip())
        if found:
            params: dict[str, Any] = {k: v for k, v in found.groupdict().items() if v is not None}
            if "allowed" in params:  # click's "'a', 'b' or 'c'": each code with its Chinese label
                params["allowed"] = value_labels(re.findall(r"'([^']*)'", params["allowed"])
                                                 or [params["allowed"]])
            return as_term(text(key, **params))
    return as_term(text("cli.usage.other", detail=message.rstrip(".")))


def _hint(exc: click.BadParameter) -> str | None:
    if exc.param_hint is not None:
        hint = exc.param_hint
        return " / ".join(hint) if not isinstance(hint, str) else hint
    if exc.param is not None:
        return exc.param.get_error_hint(exc.ctx) if exc.ctx is not None else f"'{exc.param.name}'"
    return None


def _missing_message(exc: click.MissingParameter) -> str:
    hint = _named(_hint(exc) or "")
    param = exc.param
    if param is not None and isinstance(param.type, click.Choice):
        allowed = value_labels(param.type.choices)
        return text("cli.usage.missing_choice", name=hint, allowed=allowed)
    kind = exc.param_type or (param.param_type_name if param is not None else "option")
    return text("cli.usage.missing_argument" if kind == "argument" else "cli.usage.missing_option", name=hint)


def _with_possibilities(message: str, possibilities: Sequence[str] | None) -> str:
    if not possibilities:
        return message
    return text("cli.usage.did_you_mean", problem=as_term(message), possible=", ".join(possibilities))


def chinese_usage_message(exc: click.UsageError) -> str:
    """Return a usage error as users read it: Chinese first, English beside it, the option named.

    click's own errors (a missing argument, an unknown option or command, a value its types refuse)
    arrive in English; they are said again from the catalogue (``cli.usage.*``). A message that is
    already Chinese first (ours) is kept.
    """
    if isinstance(exc, click.MissingParameter):
        return _missing_message(exc)
    if isinstance(exc, click.BadParameter):
        hint = _hint(exc)
        problem = _value_problem(exc.message)
        return text("cli.usage.bad_value", param=_named(hint), problem=problem) if hint else str(problem)
    message = exc.message
    if _said_in_chinese(message):
        return message
    if isinstance(exc, click.NoSuchOption):
        return _with_possibilities(text("cli.usage.no_such_option", name=_named(repr(exc.option_name))),
                                   exc.possibilities)
    no_such_command = getattr(click.exceptions, "NoSuchCommand", None)
    if no_such_command is not None and isinstance(exc, no_such_command):
        return _with_possibilities(text("cli.usage.no_such_command", name=_named(repr(exc.command_name))),
                                   exc.possibilities)
    for pattern, key in ((_NEEDS_VALUE, "cli.usage.needs_value"), (_TAKES_NO_VALUE, "cli.usage.takes_no_value"),
                         (_EXTRA_ARGUMENTS, "cli.usage.extra_arguments")):
        found = pattern.match(message.strip())
        if found:
            return text(key, **found.groupdict())
    command = re.match(r"^No such command '(?P<name>.*)'\.?$", message.strip())
    if command:
        return text("cli.usage.no_such_command", name=_named(repr(command["name"])))
    if message.strip() == "Missing command.":
        return text("cli.usage.missing_command")
    return text("cli.usage.other", detail=message.rstrip("."))


class ChineseUsageError(click.UsageError):
    """A usage error already said Chinese first (exit status 2, with the command's usage line)."""


@contextmanager
def chinese_usage() -> Iterator[None]:
    """Say every usage error raised inside Chinese first: click's own, and ours (kept as they are)."""
    try:
        yield
    except ChineseUsageError:
        raise
    except click.exceptions.NoArgsIsHelpError:
        raise
    except click.UsageError as exc:
        raise ChineseUsageError(chinese_usage_message(exc), ctx=exc.ctx) from None


def _param_error(message: str, param: click.Parameter | None, ctx: click.Context | None) -> BadParameter:
    return BadParameter(message, ctx=ctx, param=param)


def _suffix_ok(path: Path, suffixes: Sequence[str]) -> bool:
    return not suffixes or path.suffix.lower() in suffixes


# Bytes a writer adds to an output's name for the files it writes beside it (SQLite's "-journal" for a GeoPackage,
# the backup's ".partial", a table's "t.csv" -> "t.parameters.json"): a name within that many bytes of the limit
# passed the check, then failed in the OS's English.
_WRITER_ROOM_BYTES = 12


def _path_problem(path: Path, *, room_bytes: int = 0, folder: bool = False, writing: bool = False) -> str | None:
    """Return why ``path`` cannot be named at all on this machine, or None: a part longer than the file system
    allows (the OS's English "File name too long" came back as exit 1 from deep inside a reader or writer; the last
    part ``room_bytes`` shorter still) or a whole path longer than it allows (less ``room_bytes``, and for a
    ``folder`` the longest name a file in it may take), or a symbolic link on the way that loops (it was called a
    missing folder) or points to a name too long or to nothing (``writing``: the path itself may be a link to a file
    yet to be written in a folder that exists)."""
    existing = next((p for p in (path.parent, *path.parent.parents) if _exists(p)), Path("."))
    try:
        most = os.pathconf(existing, "PC_NAME_MAX")
    except (OSError, ValueError):
        most = 255
    # The path as the OS is given it (a relative one is not made absolute: the limit is on the string passed, and a
    # working folder removed meanwhile has no absolute name), ``room_bytes`` and a folder's file name to come
    # included: the OS's English and the whole path, twice, came back as exit 1.
    if not path.is_absolute():
        try:
            os.getcwd()
        except FileNotFoundError:  # the working folder was removed meanwhile (a USB stick pulled out)
            return text("cli.cwd_gone", path=path)
    whole = len(os.fsencode(os.fspath(path)))
    try:
        longest = os.pathconf(existing, "PC_PATH_MAX")
    except (OSError, ValueError):
        longest = 4096
    room = room_bytes + (1 + most if folder else 0)
    if whole + room >= longest:
        return text("cli.path_too_long", size=whole, most=longest - 1 - room)
    last = len(path.parts) - 1
    for n, part in enumerate(path.parts):
        size, allowed = len(os.fsencode(part)), most - (room_bytes if n == last else 0)
        if size > allowed:
            shown = part if len(part) <= 24 else f"{part[:12]}…{part[-8:]}"
            return text("cli.name_too_long", name=shown, size=size, most=allowed)
    for link in (*reversed(path.parents), path):  # from the root: below a broken link even lstat fails
        try:
            is_link = link.is_symlink()
        except OSError:
            continue
        if is_link:
            try:
                link.stat()
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    return text("cli.symlink_loop", path=link)
                if exc.errno == errno.ENAMETOOLONG:  # a link to a name the file system cannot hold
                    return text("cli.symlink_too_long", path=link)
                if exc.errno in (errno.ENOENT, errno.ENOTDIR):  # it was called a missing folder, or a CSV ended
                    target = Path(os.path.realpath(link))       # at exit 1 (review): the name at the end of it
                    if writing and link == path and target.parent.is_dir():
                        continue  # an output's link to a file yet to be written: written through it, as before
                    return text("cli.symlink_dangling", path=link, target=target)
    if len(path.parts) > 1 and path.parts[0] == "~" and not _exists(Path("~")):
        return text("cli.tilde", path=path)  # quoted, so the shell left it: it named a folder "~" to create
    return None


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long, a loop: not a place to start from
        return False


class OutputPath(click.ParamType):
    """A file to write: its folder exists and is writable, it is not a folder, its suffix is allowed.

    Checked when the command line is parsed, so a wrong path is a usage error naming the
    option before any work starts (and never a traceback from deep inside a writer).
    """

    name = "path"

    def __init__(self, *suffixes: str, folder: bool = False):
        self.suffixes = tuple(s.lower() for s in suffixes)
        self.folder = folder

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        path = Path(value)
        problem = _path_problem(path, room_bytes=0 if self.folder else _WRITER_ROOM_BYTES, folder=self.folder,
                                writing=True)
        if problem:
            raise _param_error(problem, param, ctx)
        parent = path.parent if str(path.parent) else Path(".")
        if not self.folder and path.is_dir():
            raise _param_error(text("cli.path_is_folder", path=path), param, ctx)
        if self.folder and path.exists() and not path.is_dir():
            raise _param_error(text("cli.path_not_folder", path=path), param, ctx)
        if not _suffix_ok(path, self.suffixes):
            raise _param_error(text("cli.bad_suffix", suffixes=", ".join(self.suffixes), name=path.name),
                               param, ctx)
        if not parent.is_dir():
            blocking = next((p for p in (parent, *parent.parents) if p.exists()), None)
            if blocking is not None and not blocking.is_dir():  # `gb.zip/inner.zip` with gb.zip a file
                raise _param_error(text("cli.inside_a_file", path=blocking), param, ctx)
            raise _param_error(text("cli.no_folder", folder=parent), param, ctx)
        target = path if self.folder and path.is_dir() else parent
        if not os.access(target, os.W_OK):
            raise _param_error(text("cli.not_writable", folder=target), param, ctx)
        return path


class InputPath(click.ParamType):
    """A file to read: it exists, is a file (not a folder), is readable and not empty."""

    name = "file"

    def __init__(self, *suffixes: str):
        self.suffixes = tuple(s.lower() for s in suffixes)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        path = Path(value)
        problem = _path_problem(path)
        if problem:
            raise _param_error(problem, param, ctx)
        if not path.exists():
            raise _param_error(text("cli.no_file", path=path), param, ctx)
        if path.is_dir() and path.suffix.lower() != ".gdb":
            raise _param_error(text("cli.path_is_folder", path=path), param, ctx)
        if not os.access(path, os.R_OK):
            raise _param_error(text("cli.not_readable", path=path), param, ctx)
        if path.is_file() and path.stat().st_size == 0:
            raise _param_error(text("cli.empty_file", path=quoted(str(path), max_chars=PATH_SHOWN_CHARS)), param, ctx)
        if not _suffix_ok(path, self.suffixes):
            raise _param_error(text("cli.bad_suffix", suffixes=", ".join(self.suffixes), name=path.name),
                               param, ctx)
        return path


class PositiveNumber(click.ParamType):
    """A number greater than zero (minutes, a speed, a distance); anything else names the option."""

    name = "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _param_error(text("cli.not_a_number", got=value), param, ctx) from None
        if not (number > 0 and number != float("inf")):
            raise _param_error(text("cli.not_positive", got=value), param, ctx)
        return number


class Choices(click.ParamType):
    """A comma-separated list from ``allowed`` (facility kinds); a wrong one is named with the allowed."""

    name = "list"

    def __init__(self, allowed: Sequence[str]):
        self.allowed = tuple(allowed)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        chosen = [v.strip() for v in str(value).split(",") if v.strip()]
        bad = [v for v in chosen if v not in self.allowed] or ([] if chosen else [str(value)])
        if bad:
            raise _param_error(text("cli.not_one_of", got=", ".join(bad), allowed=value_labels(self.allowed)),
                               param, ctx)
        return ",".join(chosen)


def _os_error_message(exc: BaseException) -> str:
    """Say which file could not be read or written, without a traceback."""
    return text("cli.io_failed", detail=str(exc) or type(exc).__name__)


NEW_DISTRICT_COMMANDS = frozenset({"import", "init", "migrate", "backup", "restore", "user"})
# The commands that may make a SQLite file that is not there yet: a new database (init, migrate) or one restored
# into (restore). Every other command refuses a file name that does not exist: SQLite would make it empty and a
# mistyped name would look like success. `import` too: a refused import into a mistyped name left an empty
# database there, which later commands took for the real one, and removing it again could remove another
# process's database made meanwhile (review); a new database for one's own data is `init --empty`, then import.
CREATING_COMMANDS = frozenset({"init", "migrate", "restore"})


class Context:
    """What every command shares: the settings and a lazily opened store.

    The settings are resolved from the command-line options and ``XINCHENG_*`` variables when a
    command runs (not when its help is shown): see :class:`Command`.
    """

    def __init__(self, *, database_url: str | None, dev_mode: bool | None, require_secret: bool,
                 district: str | None = None, command: str | None = None):
        self._database_url = database_url
        self._district = district
        self._command = command
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
                self._settings = Settings.from_env(database_url=self._database_url, district=self._district,
                                                   dev_mode=self._dev_mode,
                                                   require_secret=self._require_secret)
        return self._settings

    def enable_dev_mode(self) -> None:
        """Turn on development mode (``--dev`` given after a command name); only before settings resolve."""
        if self._settings is not None:
            raise click.UsageError(text("cli.dev_too_late"))
        self._dev_mode = True

    @property
    def settings(self) -> Settings:
        """Return the settings of this run."""
        return self.resolve()

    def open_store(self, *, own_district: bool = True) -> Store:
        """Open the store of the settings (as the district of the settings unless ``own_district`` is False),
        after :meth:`refuse_missing_database`: every command opens its database here."""
        from geo.store import Store

        self.refuse_missing_database()
        if not own_district:
            store = Store.open(self.settings.database_url)
        else:
            store = Store.open(self.settings.database_url, adcode=self.settings.district)
        self._refuse_uninitialised_server_database(store)
        return store

    def refuse_missing_database(self) -> None:
        """Stop (status 1, the path named) when the settings name a SQLite path that is no file at all (a folder,
        a pipe, a socket, a device: for every command), or a file that does not exist or is empty and this
        command does not make databases (:data:`CREATING_COMMANDS`)."""
        import stat

        from geo.sqlite_urls import sqlite_file_name, sqlite_opens_immutable

        name = sqlite_file_name(self.settings.database_url)
        if name is None:
            return
        shown = Path(name).absolute()  # which folder it was looked for in
        try:  # as SQLite resolves it: `..` after a folder that is not there, a symlink followed
            found: os.stat_result | None = Path(name).resolve().stat()
        except PermissionError as exc:  # a folder that may not be entered: said as the system says it
            raise click.ClickException(_os_error_message(exc)) from None
        except (OSError, RuntimeError):  # not there, a dangling symlink, a loop of them
            found = None
        if found is not None and not stat.S_ISREG(found.st_mode):  # SQLite: "unable to open", "disk I/O error"
            raise click.ClickException(text("cli.not_a_file", path=shown))
        # an empty file too (what a sqlite3 shell or DB Browser leaves of a mistyped name, `echo > x.db` one byte):
        # SQLite takes a file of a byte or none for a new database and writes its schema over it
        if self._command not in CREATING_COMMANDS and (found is None or found.st_size <= 1):
            raise click.ClickException(text("cli.no_database_file", path=shown))
        database = Path(name).resolve()
        if self._command in CREATING_COMMANDS:
            _refuse_read_only_folder_for_writing(database, command=f"xincheng {self._command}")
        elif found is not None and not sqlite_opens_immutable(self.settings.database_url):
            _refuse_read_only_folder(database)
        elif found is not None:
            _warn_of_an_unread_wal(database)

    @property
    def store(self) -> Store:
        """Return the store, migrated to the latest schema."""
        if self._store is None:
            from geo.store.districts import refuse_second_sqlite_district, refuse_unheld_district

            self._store = self.open_store()
            self._store.migrate()
            with domain_errors():
                refuse_second_sqlite_district(self._store)
                # A district the database does not hold yet is only a target of `import` (its outline first).
                if self._command not in NEW_DISTRICT_COMMANDS:
                    refuse_unheld_district(self._store)
        return self._store

    def _refuse_uninitialised_server_database(self, store: Store) -> None:
        """Stop (status 1) when a PostgreSQL database holds none of the service's tables and this command does not
        make databases (:data:`CREATING_COMMANDS`): as a missing SQLite file is refused, so that `user list` or
        `serve` on a mistyped database name (or a read-only one) does not quietly make an empty service there
        (review: `user list` created PostGIS and 116 tables; on a read-only database it said it "writes")."""
        if store.dialect != "postgresql" or self._command in CREATING_COMMANDS:
            return
        if store.schema_version() == 0:
            where = store.engine.url.render_as_string(hide_password=True)
            store.close()
            raise click.ClickException(text("cli.no_database_schema", where=where))

    def close(self) -> None:
        """Close the store if a command opened it (SQLite folds its write-ahead log back into the file)."""
        if self._store is not None:
            self._store.close()
            self._store = None


def _refuse_read_only_folder(database: Path) -> None:
    """Stop (status 1, the folder named) when the SQLite ``database`` lies in a folder that may not be written to
    and lacks its -wal or -shm: SQLite (write-ahead log) then fails to open it even for reading, with "unable to
    open database file" and no word of why. With both there (a copy taken while it was open) SQLite opens it
    read-only, so it is let through; the way out said names the -wal too when there is one (it may hold
    committed changes the file alone has not)."""
    folder = database.parent
    beside = [database.with_name(database.name + end).exists() for end in ("-wal", "-shm")]
    if os.access(folder, os.W_OK) or all(beside):
        return
    files = f"{database.name} + {database.name}-wal" if beside[0] else database.name
    raise click.ClickException(text("cli.read_only_folder", folder=folder, name=database.name, files=files))


_WAL_HEADER_BYTES = 32  # a -wal holding no more than its header holds no change


def _warn_of_an_unread_wal(database: Path) -> None:
    """Say on standard error, and go on, when a SQLite ``database`` opened immutable has a -wal beside it that holds
    changes: SQLite then reads the main file alone, so changes committed into the -wal (a copy taken while the
    service ran) are not seen, and the command would show an older state without a word."""
    wal = database.with_name(database.name + "-wal")
    try:
        size = wal.stat().st_size
    except OSError:
        return
    if size > _WAL_HEADER_BYTES:
        click.echo(text("cli.immutable_wal_unread", name=database.name, size=size), err=True)


def _refuse_read_only_folder_for_writing(database: Path, *, command: str) -> None:
    """Stop (status 1, the folder named) when ``command``, which makes or replaces the database, would write into
    a folder that may not be written to (it failed with "unable to open database file", or an error about its lock
    file): the database's folder, or, where that is missing (it would be made), the nearest folder above it."""
    folder = database.parent
    while not folder.exists() and folder != folder.parent:  # a new database's missing folders are made: in the
        folder = folder.parent                              # nearest one there (it said "[Errno 30]" before)
    if folder.is_dir() and not os.access(folder, os.W_OK):
        raise click.ClickException(text("cli.read_only_folder_write", folder=folder, command=command))


def _enable_dev(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        obj = ctx.find_object(Context)
        if obj is not None:
            obj.enable_dev_mode()


def dev_option() -> click.Option:
    """``--dev`` after a command name, as ``xincheng --dev`` before it (``xincheng init --dev``)."""
    return click.Option(["--dev"], is_flag=True, expose_value=False, is_eager=True, callback=_enable_dev,
                        help="开发模式，同 xincheng --dev · development mode, as `xincheng --dev`.")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


@contextmanager
def outside_errors() -> Iterator[None]:
    """Turn what fails outside the program into an error message (status 1), never a traceback.

    A file that cannot be read or written (deep in a writer or GDAL), a database that cannot be
    reached or is not one. The database's exception types are known by their module only: api/
    imports no database library (tests/test_architecture.py).
    """
    try:
        yield
    except OSError as exc:
        if isinstance(exc, BrokenPipeError) and _reader_gone():
            raise  # `xincheng … | head`: click ends quietly (status 1), as a pipeline's writer should
        raise click.ClickException(_os_error_message(exc)) from None
    except Exception as exc:
        module = type(exc).__module__
        if module.startswith(("pyogrio", "fiona")):  # GDAL: an unopenable data source
            raise click.ClickException(_os_error_message(exc)) from None
        if module.startswith("sqlalchemy"):
            from geo.store.availability import database_read_only  # here: the store is not imported for --help

            if database_read_only(exc):  # PostgreSQL's is an InternalError (a traceback before): the database's state
                raise click.ClickException(text("cli.database_read_only", detail=_first_line(exc))) from None
        if module.startswith("sqlalchemy") and type(exc).__name__ in ("OperationalError", "DatabaseError",
                                                                      "InterfaceError", "ProgrammingError"):
            detail = _first_line(exc)
            sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
            locked = ("cli.database_locked" if detail.endswith("database is locked")  # SQLite's busy timeout ran out
                      else "cli.database_lock_waited" if sqlstate == "55P03"  # PostgreSQL's lock_timeout, the same wait
                      else None)
            if locked is not None:
                from geo.store.store import SQLITE_BUSY_TIMEOUT_S  # here: the store is not imported for --help

                raise click.ClickException(text(locked, detail=detail, wait_s=SQLITE_BUSY_TIMEOUT_S)) from None
            if sqlstate == "40P01":  # deadlock_detected: this command's transaction was the one rolled back
                raise click.ClickException(text("cli.database_deadlock", detail=detail)) from None
            if sqlstate == "42501":  # insufficient_privilege: opened and read, but a grant is missing
                raise click.ClickException(text("cli.database_permission", detail=detail)) from None
            raise click.ClickException(text("cli.database_failed", detail=detail)) from None
        raise


def _reader_gone() -> bool:
    """Return whether standard output is a pipe whose reader has closed it (the write that failed was the
    command's own output, not a file it was asked to write)."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _fd, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no file descriptor (a test's captured stream)
        return False


def _chinese_help(option: click.Option | None) -> click.Option | None:
    if option is not None:
        option.help = text("cli.usage.help")
    return option


class Command(click.Command):
    """A command that resolves the settings just before it runs, after its options are parsed.

    So ``--help`` never needs the secret key, while a bad setting still stops every command
    before its body starts, with a usage error of the ``xincheng`` command. Every command also
    takes ``--dev`` after its name, and a file or database it cannot use is an error message
    (:func:`outside_errors`), not a traceback.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.params.append(dev_option())

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        """Return ``--help``, described Chinese first."""
        return _chinese_help(super().get_help_option(ctx))

    def invoke(self, ctx: click.Context) -> Any:
        obj = ctx.find_object(Context)
        if obj is not None:
            try:
                obj.resolve()
            except click.UsageError as exc:
                if exc.ctx is None:
                    exc.ctx = ctx.find_root()
                raise
        with outside_errors():
            return super().invoke(ctx)


class Group(click.Group):
    """A command group whose commands are :class:`Command` and whose subgroups are :class:`Group`."""

    command_class = Command
    group_class = type

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        """Return ``--help``, described Chinese first."""
        return _chinese_help(super().get_help_option(ctx))

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        """Parse the group's own options; a mistake is a usage error said Chinese first."""
        with chinese_usage():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the chosen command; its parsing mistakes (click's English) are said Chinese first, and a group that
        runs by itself (``xincheng indicators``) says what failed outside the program as a command does."""
        with chinese_usage(), outside_errors():
            return super().invoke(ctx)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        """Add ``cmd``; one declared with plain click also takes ``--dev`` after its name."""
        if not any("--dev" in getattr(p, "opts", ()) for p in cmd.params):
            cmd.params.append(dev_option())
        super().add_command(cmd, name)


def command(name: str | None = None, **kwargs: Any) -> Callable[[Callable[..., Any]], Command]:
    """Declare a top-level ``xincheng`` command (added to the main group in :mod:`api.cli`)."""
    return click.command(name, cls=Command, **kwargs)


def group(name: str | None = None, **kwargs: Any) -> Callable[[Callable[..., Any]], Group]:
    """Declare a top-level ``xincheng`` command group (added to the main group in :mod:`api.cli`).

    The group takes ``--dev`` after its name too (``xincheng user --dev add-dev-accounts``).
    """
    kwargs.setdefault("params", []).append(dev_option())
    return click.group(name, cls=Group, **kwargs)


def null_for_closed_streams(*, stdout: bool = False) -> None:
    """Give standard error (and ``stdout``: standard output too) the null device when the process started with
    it closed (``2>&-``, a supervisor that starts it without one): click writes its error messages to standard
    output otherwise, into the data a pipeline reads (the exit status still tells); uvicorn's log setup asks
    ``sys.stdout.isatty()`` and would not start ``serve``."""
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    if stdout and sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115


def bar_options() -> dict[str, Any]:
    """Where a progress bar draws: stderr, or nowhere when the command started with stderr closed (``2>&-``, a
    service manager), where drawing would stop the command itself."""
    return {"file": sys.stderr, "disable": sys.stderr is None}


def step_bar(total: int, desc: str) -> tqdm:
    """A progress bar of ``total`` steps on stderr."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="step", leave=True, **bar_options())


def feature_bar(desc: str, total: int | None = None) -> tqdm:
    """A progress bar counting features on stderr."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="feature", **bar_options())


def progress_bar(desc: str) -> tuple[tqdm, Callable[[int], None]]:
    """A feature progress bar of unknown length and its update function."""
    bar = feature_bar(desc)
    return bar, bar.update
