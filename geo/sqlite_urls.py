"""Whether a SQLite URL opens a database held in memory: one judgement for the settings and the store.

The settings refuse such a database as the service's (it would start healthy with schema 0 and answer every
data request 500); the store pools a file's connections but keeps SQLAlchemy's own pool for a database in
memory (each pooled connection would open a database of its own). Both ask here, so they cannot disagree.
Standard library only: the settings are read before SQLAlchemy is imported (``xincheng --help`` stays fast).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qsl, unquote

# The words SQLAlchemy reads as true for ``uri=`` (``sqlalchemy.util.asbool``), case and spaces ignored; a key given
# twice becomes a tuple there, which it reads as true too.
URI_TRUE_WORDS = frozenset({"true", "yes", "on", "y", "t", "1"})
# The keys SQLAlchemy hands the driver itself; the others it appends to the URI that SQLite reads.
DRIVER_KEYS = frozenset({"uri", "timeout", "isolation_level", "detect_types", "check_same_thread", "cached_statements"})
_SQLITE_URL = re.compile(r"sqlite(?:\+\w+)?://(/?)([^?]*)(?:\?(.*))?", re.DOTALL)


def _uri_on(pairs: Sequence[tuple[str, str]]) -> bool:
    said = [value for key, value in pairs if key == "uri"]
    return len(said) > 1 or (len(said) == 1 and said[0].strip().lower() in URI_TRUE_WORDS)


def held_in_memory(name: str, pairs: Sequence[tuple[str, str]]) -> bool:
    """Return whether SQLite opens database ``name`` (the URL's path, %-decoded) with the query's ``pairs``
    (%-decoded, in order, a key as often as given) in memory, or as its private temporary database.

    Read as SQLAlchemy and SQLite read them: without ``uri`` on, the name is a file name unless empty or
    ``:memory:``. With it SQLAlchemy hands SQLite the name with the other keys appended after a ``?``, and SQLite
    reads that as a URI: a ``#`` ends it, its query starts at the first ``?`` (one inside the decoded name
    included), keys and values are %-decoded and case-sensitive. In memory when the path is empty or ``:memory:``,
    or any ``mode`` is ``memory`` or any ``vfs`` is ``memdb`` (a key given twice: any of its values counts).
    """
    if not _uri_on(pairs) or not name.startswith("file:"):
        return name in ("", ":memory:")
    appended = "&".join(f"{key}={value}" for key, value in pairs if key not in DRIVER_KEYS)
    uri = name[len("file:"):] + (f"?{appended}" if appended else "")
    path, _, query = uri.split("#", 1)[0].partition("?")
    if unquote(path) in ("", ":memory:"):
        return True
    for part in query.replace("?", "&").split("&"):
        key, _, value = part.partition("=")
        if (unquote(key), unquote(value)) in (("mode", "memory"), ("vfs", "memdb")):
            return True
    return False


def sqlite_held_in_memory(url: str) -> bool:
    """Return whether the SQLite URL ``url`` opens a database held in memory (:func:`held_in_memory`); False
    for any other URL (the store refuses ``sqlite://host/…``)."""
    found = _SQLITE_URL.fullmatch(url)
    if found is None or (not found[1] and found[2]):
        return False
    return held_in_memory(unquote(found[2]), parse_qsl(found[3] or "", keep_blank_values=True))


def query_pairs(query: Mapping[str, str | Sequence[str]]) -> list[tuple[str, str]]:
    """Return SQLAlchemy's parsed query (a key given twice holds a tuple) as the pairs :func:`held_in_memory`
    reads."""
    return [(key, item) for key, value in query.items() for item in ((value,) if isinstance(value, str) else value)]
