"""Tell a database that cannot serve right now from a fault of the service.

A server that cannot reach PostgreSQL (stopped, restarting, refusing connections, out of connection
slots), a SQLite file another writer holds past the busy timeout, or a connection pool with no free
connection is *unavailable*: the request was fine and the same request may succeed in a minute. Users
are owed "try again later" (HTTP 503 with ``Retry-After``), not "server error", and operators a log line
that names an outage rather than a bug. Everything else the database raises (a missing table, a
malformed statement) stays an unexpected error.

The classification reads the driver's own codes, never the wording: SQLite's extended result code
(``sqlite3.Error.sqlite_errorcode``) and PostgreSQL's SQLSTATE (psycopg), whose connection-level
failures carry none.
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa

# SQLite primary result codes (the low byte of the extended code): busy or locked by another connection,
# read-only (a file system remounted read-only, the file moved), the file cannot be opened, the disk failed
# or is full.
_SQLITE_UNAVAILABLE = {5: "SQLITE_BUSY", 6: "SQLITE_LOCKED", 8: "SQLITE_READONLY", 10: "SQLITE_IOERR",
                       13: "SQLITE_FULL", 14: "SQLITE_CANTOPEN"}
# PostgreSQL SQLSTATE classes and codes: connection exceptions, insufficient resources (too many
# connections, disk full), the server shutting down or starting, a lock wait timed out, a deadlock (either
# side may retry), a read-only database (maintenance, or a primary demoted by a failover). Not a statement
# timeout (57014): the same request would time out again, and it is the request to look at, not the database.
_PG_UNAVAILABLE_CLASSES = ("08", "53")
_PG_UNAVAILABLE_CODES = {"57P01", "57P02", "57P03", "55P03", "40P01", "25006"}


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (as SQLAlchemy raises it) means the database cannot serve now, not that the request or
    the service is wrong: a refused or dropped connection, a busy or locked database, a full pool."""
    if isinstance(exc, sa.exc.TimeoutError):  # no connection free in the pool within its timeout
        return True
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    if exc.connection_invalidated:  # SQLAlchemy saw the connection drop
        return True
    orig = exc.orig
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in _SQLITE_UNAVAILABLE
    if type(orig).__module__.split(".")[0] != "psycopg":
        return False
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is None:  # libpq failed before the server said anything: refused, unreachable, closed
        return isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError)  # not the driver refusing a call
    return sqlstate[:2] in _PG_UNAVAILABLE_CLASSES or sqlstate in _PG_UNAVAILABLE_CODES


def outage_summary(exc: BaseException) -> str:
    """Return one log line's worth about an outage: the error's class, the driver's class and code, and the driver's
    first line (a refused connection, a lock held), which carries no statement values."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
    first = (str(exc if orig is None else orig).splitlines() or [""])[0][:200]
    return f"{type(exc).__name__} ({type(orig).__name__ if orig is not None else None}, {code}): {first}"


_SQLITE_READONLY = 8
_PG_READ_ONLY = "25006"


def database_read_only(exc: BaseException) -> bool:
    """Whether ``exc`` (as SQLAlchemy raises it) is a database refusing a write because it is read-only: a SQLite
    file opened read-only or on read-only storage (``SQLITE_READONLY``), a PostgreSQL standby or a database set
    ``default_transaction_read_only`` (SQLSTATE 25006). One kind of :func:`database_unavailable`: the request was
    fine, but nothing can be saved until an administrator makes the database writable again (or a failover ends)."""
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    orig = exc.orig
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        return code is not None and code & 0xFF == _SQLITE_READONLY
    return type(orig).__module__.split(".")[0] == "psycopg" and getattr(orig, "sqlstate", None) == _PG_READ_ONLY
