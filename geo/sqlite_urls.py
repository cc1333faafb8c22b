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


def _handed_to_sqlite(name: str, pairs: Sequence[tuple[str, str]]) -> str:
    """Return the URI SQLAlchemy hands SQLite for ``name`` and the query's ``pairs``: the name, then the keys that
    are not the driver's, sorted, as ``key=value`` joined by ``&`` after a ``?`` (a key given twice: its values as
    a tuple, as SQLAlchemy writes it)."""
    given: dict[str, list[str]] = {}
    for key, value in pairs:
        if key not in DRIVER_KEYS:
            given.setdefault(key, []).append(value)
    appended = "&".join(f"{key}={values[0] if len(values) == 1 else tuple(values)}"
                        for key, values in sorted(given.items()))
    return name + (f"?{appended}" if appended else "")


def held_in_memory(name: str, pairs: Sequence[tuple[str, str]]) -> bool:
    """Return whether SQLite opens database ``name`` (the URL's path, %-decoded) with the query's ``pairs``
    (%-decoded, in order, a key as often as given) in memory, or as its private temporary database.

    Read as SQLAlchemy and SQLite read them: without ``uri`` on, the name is a file name unless empty or
    ``:memory:``. With it SQLite reads the URI SQLAlchemy builds (:func:`_handed_to_sqlite`): its path ends at the
    first ``?`` or ``#`` (one inside the decoded name included), its query runs from that ``?`` to a ``#``, and
    keys and values are %-decoded and case-sensitive. In memory when the path is empty or ``:memory:``, or the
    query says ``mode=memory`` or ``vfs=memdb``.
    """
    if not _uri_on(pairs) or not name.startswith("file:"):
        return name in ("", ":memory:")
    found = _uri_parts(name, pairs)
    if unquote(found[1]) in ("", ":memory:"):
        return True
    return any(pair in (("mode", "memory"), ("vfs", "memdb")) for pair in _uri_query(name, pairs))


def _uri_parts(name: str, pairs: Sequence[tuple[str, str]]) -> re.Match[str]:
    """Split the URI SQLite reads (:func:`_handed_to_sqlite`, ``file:`` taken off) into its path and its query."""
    found = re.match(r"([^?#]*)(?:\?([^#]*))?", _handed_to_sqlite(name, pairs)[len("file:"):])
    assert found is not None  # matches any text
    return found


def _uri_query(name: str, pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return the keys and values SQLite reads from the URI's query (%-decoded, in order); none when SQLite reads
    no URI (``uri`` off, or a name that is not ``file:``)."""
    if not _uri_on(pairs) or not name.startswith("file:"):
        return []
    parts = [part.partition("=") for part in (_uri_parts(name, pairs)[2] or "").split("&") if part]
    return [(unquote(key), unquote(value)) for key, _, value in parts]


def sqlite_opens_immutable(url: str) -> bool:
    """Return whether SQLite opens the SQLite URL ``url``'s file as immutable (``file:…?immutable=1`` with
    ``uri`` on: no locks, no -shm, no journal, so a read-only place is no obstacle); False for any other URL.
    SQLite reads the first ``immutable`` of the query as it reads any boolean: yes, true or on (any case), or a
    whole number other than 0; nothing around it (`` 1`` is no boolean to SQLite)."""
    parsed = _name_and_pairs(url)
    said = [value for key, value in _uri_query(*parsed) if key == "immutable"] if parsed else []
    if not said:
        return False
    value = said[0]
    return value.lower() in ("yes", "true", "on") or (re.fullmatch(r"[+-]?[0-9]+", value) is not None
                                                      and int(value) != 0)


def _name_and_pairs(url: str) -> tuple[str, list[tuple[str, str]]] | None:
    """Return the database name (%-decoded) and the query's pairs of the SQLite URL ``url``, as SQLAlchemy reads
    them (blank values dropped); None for any other URL or one naming a host (``sqlite://host/…``, refused)."""
    found = _SQLITE_URL.fullmatch(url)
    if found is None or (not found[1] and found[2]):
        return None
    return unquote(found[2]), parse_qsl(found[3] or "")


def sqlite_held_in_memory(url: str) -> bool:
    """Return whether the SQLite URL ``url`` opens a database held in memory (:func:`held_in_memory`); False
    for any other URL."""
    parsed = _name_and_pairs(url)
    return parsed is not None and held_in_memory(*parsed)


def file_path(name: str, pairs: Sequence[tuple[str, str]]) -> str | None:
    """Return the path of the file SQLite opens for database ``name`` with the query's ``pairs`` (as
    :func:`held_in_memory` takes them), or None for a database held in memory or a URI naming another host.

    A plain name is the path itself; with ``uri`` on, a ``file:`` name is read as SQLite reads it: the URI's
    path (up to ``?`` or ``#``, after an authority that may only be empty or ``localhost``), %-decoded
    (``file:x.db`` → ``x.db``, ``file:///srv/x.db`` → ``/srv/x.db``).
    """
    if held_in_memory(name, pairs):
        return None
    if not (_uri_on(pairs) and name.startswith("file:")):
        return name
    path = re.split(r"[?#]", _handed_to_sqlite(name, pairs)[len("file:"):], maxsplit=1)[0]
    if path.startswith("//"):
        authority, slash, rest = path[2:].partition("/")
        if authority not in ("", "localhost"):
            return None
        path = slash + rest
    return unquote(path) or None


def holds_nul(name: str, pairs: Sequence[tuple[str, str]]) -> bool:
    """Return whether what SQLite would be handed for ``name`` and ``pairs`` holds a NUL character (``%00`` in
    the name, a query value, or a ``file:`` URI's path): the system takes no such name, Python's driver fails
    with a traceback, SQLite would end the name there."""
    return "\x00" in _handed_to_sqlite(name, pairs) or "\x00" in (file_path(name, pairs) or "")


def sqlite_url_holds_nul(url: str) -> bool:
    """Return whether the SQLite URL ``url`` hands SQLite a NUL character (:func:`holds_nul`); False for any other
    URL."""
    parsed = _name_and_pairs(url)
    return parsed is not None and holds_nul(*parsed)


def sqlite_file_name(url: str) -> str | None:
    """Return the path of the file a SQLite URL ``url`` opens (``sqlite:///data/x.db`` → ``data/x.db``,
    ``sqlite:////srv/x.db`` → ``/srv/x.db``, ``sqlite:///file:x.db?uri=true`` → ``x.db``; :func:`file_path`);
    None for any other URL or a database held in memory.

    So a command that only reads or adds to a database can refuse one that is not there: SQLite would make an
    empty file of a mistyped name and the command would "succeed" on it (a backup of 0 rows, an account added
    where the service never looks).
    """
    parsed = _name_and_pairs(url)
    return None if parsed is None else file_path(*parsed)


def query_pairs(query: Mapping[str, str | Sequence[str]]) -> list[tuple[str, str]]:
    """Return SQLAlchemy's parsed query (a key given twice holds a tuple) as the pairs :func:`held_in_memory`
    reads."""
    return [(key, item) for key, value in query.items() for item in ((value,) if isinstance(value, str) else value)]
