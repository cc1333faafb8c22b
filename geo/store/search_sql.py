"""Text search folded the same way in SQLite and PostgreSQL (tone marks, spaces, case).

``folded(column, dialect=...)`` is the database side of :func:`geo.text.search_folded`: PostgreSQL
maps the toned pinyin letters with one ``translate()``; SQLite calls ``xc_fold``, the Python function
itself, registered on every connection (:func:`register_sqlite_functions`), since SQLite has no
``translate`` and 58 nested ``replace()`` calls overflow its parser stack.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from geo.text import PLAIN_LETTERS, TONED_LETTERS, search_folded


def register_sqlite_functions(dbapi_conn: Any) -> None:
    """Give a SQLite connection ``xc_fold(text)`` (deterministic, so usable in indexes and WHERE)."""
    dbapi_conn.create_function("xc_fold", 1, search_folded, deterministic=True)


def folded(column: sa.ColumnElement[Any], *, dialect: str) -> sa.ColumnElement[Any]:
    """Return ``column`` folded for a search in ``dialect`` ("sqlite" or "postgresql")."""
    if dialect == "sqlite":
        return sa.func.xc_fold(column)
    lowered = sa.func.translate(sa.func.lower(column), TONED_LETTERS, PLAIN_LETTERS)
    return sa.func.replace(sa.func.regexp_replace(lowered, r"\s+", "", "g"), "'", "")


def contains_folded(column: sa.ColumnElement[Any], text_query: str, *, dialect: str) -> sa.ColumnElement[bool]:
    """Return the condition "``column`` holds ``text_query``" with both folded, LIKE's wildcards typed
    in the query searched for as themselves."""
    wanted = search_folded(text_query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return folded(column, dialect=dialect).like(f"%{wanted}%", escape="\\")
