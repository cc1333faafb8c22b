"""Whether a SQLite URL opens a database held in memory: one judgement for the settings and the store.

The settings refuse such a database as the service's (it would start healthy with schema 0 and answer every
data request 500); the store pools a file's connections but keeps SQLAlchemy's own pool for a database in
memory (each pooled connection would open a database of its own). Both ask here, so they cannot disagree.
Standard library only: the settings are read before SQLAlchemy is imported (``xincheng --help`` stays fast).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, unquote

# The words SQLAlchemy reads as true for ``uri=`` (``sqlalchemy.util.asbool``), case and spaces ignored.
URI_TRUE_WORDS = frozenset({"true", "yes", "on", "y", "t", "1"})
_SQLITE_URL = re.compile(r"sqlite(?:\+\w+)?://(/?)([^?]*)(?:\?(.*))?", re.DOTALL)


def held_in_memory(name: str, params: Mapping[str, str]) -> bool:
    """Return whether SQLite opens database ``name`` (the URL's path, %-decoded) with query ``params`` in
    memory (or as its private temporary database), read as SQLAlchemy and SQLite read them: without
    ``uri=true`` the name is a file name unless empty or ``:memory:``; with it a ``file:`` URI is in memory when
    its name is empty or ``:memory:``, or it says ``mode=memory`` or ``vfs=memdb`` (SQLite's keys and values
    are case-sensitive; a ``#`` ends its query)."""
    if params.get("uri", "").strip().lower() not in URI_TRUE_WORDS or not name.startswith("file:"):
        return name in ("", ":memory:")
    said = {key: value.split("#", 1)[0] for key, value in params.items()}
    return (name[len("file:"):].split("#", 1)[0] in ("", ":memory:") or said.get("mode") == "memory"
            or said.get("vfs") == "memdb")


def sqlite_held_in_memory(url: str) -> bool:
    """Return whether the SQLite URL ``url`` opens a database held in memory (:func:`held_in_memory`); False
    for any other URL (the store refuses ``sqlite://host/…``). A key given twice counts once, first value."""
    found = _SQLITE_URL.fullmatch(url)
    if found is None or (not found[1] and found[2]):
        return False
    params: dict[str, str] = {}
    for key, value in parse_qsl(found[3] or "", keep_blank_values=True):
        params.setdefault(key, value)
    return held_in_memory(unquote(found[2]), params)
