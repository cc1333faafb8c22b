"""地名代码: the place-name code of every standard name, from a documented scheme, never reused.

The national code's structure (民地办发〔2010〕1号) is not known here (domain brief §1.6), so the scheme
is configurable (``data/placenames/place_codes.toml``, marked assumed): by default the district's
6-digit county code, the name's category code (GB/T 18521) and a zero-padded serial.

Serials come from ``code_counters`` (scheme ``place_code``, prefix = everything before the serial),
read ``FOR UPDATE`` under a natural-key lock inside the writing transaction (PostgreSQL; SQLite
serialises writers), and only ever go up; a serial whose code some name already holds (imported with
the national database's code, say) is passed over. So a retired name's code is never handed out again.

When: a name gets its code when it is approved (:func:`geo.placenames.lifecycle.transition` to
``approved``: the moment it becomes a standard name, 条例 art.15), and :func:`assign_missing` gives one
to every name past approval that has none (names loaded before codes existed; ``xincheng init`` runs
it for the sample's names), batched: per prefix the held codes are read once and the counter moves
once, and the names are updated by one statement. A code is never rewritten (geo/write_rules.py
guards it on the generic paths; a rename keeps it). So the category inside a code is the one the name
had when it was coded: a community later re-coded as a village keeps its code with 21620 in it, and
its category now is in 类别代码 (an identifier that changed with the category would not identify).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from geo.errors import Conflict, InputError
from geo.messages import text
from geo.settings_files import load_settings
from geo.store import Store, schema
from geo.store.spatial_sql import lock_natural_keys

DEFAULT_SCHEME_FILE = Path(__file__).resolve().parents[2] / "data" / "placenames" / "place_codes.toml"
SCHEME = "place_code"
# Names that are (or were) standard names: approved or later; a retired name only if it was approved.
CODED_STATUSES = ("approved", "filed", "announced", "in_force", "superseded")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_PLACE_CODE_WIDTH = 32  # place_names.place_code is String(32)
_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True)
class CodeScheme:
    """How a place code is built: ``template`` with ``{county}``, ``{category}`` and a final ``{serial}``."""

    template: str = "{county}{category}{serial}"
    serial_digits: int = 5
    unclassified: str = "00000"
    basis: str = "assumed"
    source: str = ""

    def prefix(self, *, county: str, category: str | None) -> str:
        """Return the part of a code before its serial (the counter's prefix)."""
        return self.template.removesuffix("{serial}").format(county=county, category=category or self.unclassified)

    def code(self, prefix: str, serial: int) -> str:
        """Return the code of ``serial`` under ``prefix``."""
        return f"{prefix}{serial:0{self.serial_digits}d}"


def parse_scheme(data: Mapping[str, Any], *, path: str = "") -> CodeScheme:
    """Return the scheme of a settings table (its ``[place_code]`` section), checked key by key."""
    section = data.get("place_code")
    if not isinstance(section, Mapping):
        raise _bad(path, "place_code", repr(section))
    template = section.get("template", CodeScheme.template)
    names = _PLACEHOLDER.findall(template) if isinstance(template, str) else []
    if (not isinstance(template, str) or not template.endswith("{serial}") or names.count("serial") != 1
            or not set(names) <= {"county", "category", "serial"}):
        raise _bad(path, "place_code.template", repr(template))
    digits = section.get("serial_digits", CodeScheme.serial_digits)
    if not isinstance(digits, int) or isinstance(digits, bool) or not 3 <= digits <= 10:
        raise _bad(path, "place_code.serial_digits", repr(digits))
    unclassified = section.get("unclassified", CodeScheme.unclassified)
    if not isinstance(unclassified, str) or not (unclassified.isascii() and unclassified.isdigit()):
        raise _bad(path, "place_code.unclassified", repr(unclassified))
    scheme = CodeScheme(template, digits, unclassified, str(section.get("basis", "assumed")),
                        str(section.get("source", "")))
    if len(scheme.code(scheme.prefix(county="000000", category="00000"), 0)) > _PLACE_CODE_WIDTH:
        raise _bad(path, "place_code.serial_digits", repr(digits))
    return scheme


def _bad(path: str, key: str, value: str) -> InputError:
    return InputError(text("place_codes.scheme_bad", path=path, key=key, value=value), field="settings")


def load_scheme(path: str | Path | None = None) -> CodeScheme:
    """Return the code scheme of a settings file (default: ``data/placenames/place_codes.toml``)."""
    file = Path(path) if path is not None else DEFAULT_SCHEME_FILE
    return load_settings(file, parse_scheme, unreadable="place_codes.scheme_unreadable")


def take_serials(store: Store, conn: sa.Connection, *, scheme: str, prefix: str, count: int, actor: str,
                 limit: int, held: AbstractSet[int] = frozenset()) -> list[int]:
    """Return the next ``count`` serials of ``(scheme, prefix)`` and record them, inside the caller's transaction.

    The counter row is locked (natural-key lock, then ``SELECT … FOR UPDATE``; SQLite serialises
    writers) and moved once, up to the last serial taken; serials in ``held`` (codes some record holds
    already) are passed over, so a counter left behind by an import never hands out a held code.
    Serials reach ``limit - 1`` at most; then the prefix is full (409) and nothing is taken.
    """
    lock_natural_keys(conn, [f"counter:{scheme}:{prefix}"])
    t = schema.code_counters
    row = conn.execute(sa.select(t).where(t.c.scheme == scheme, t.c.prefix == prefix, t.c.adcode == store.adcode)
                       .with_for_update()).mappings().first()
    serial = int(row["last_serial"]) if row is not None else 0
    taken: list[int] = []
    while len(taken) < count:
        serial += 1
        if serial >= limit:
            raise Conflict(text("place_codes.prefix_full", prefix=prefix, limit=limit - 1), field="place_code")
        if serial not in held:
            taken.append(serial)
    if not taken:
        return taken
    if row is None:
        store.insert("code_counters", [{"scheme": scheme, "prefix": prefix, "last_serial": taken[-1]}], actor=actor,
                     conn=conn)
    else:
        store.update("code_counters", int(row["id"]), {"last_serial": taken[-1]}, expected_version=int(row["version"]),
                     actor=actor, conn=conn, action="allocate")
    return taken


def held_serials(conn: sa.Connection, scheme: CodeScheme, prefix: str) -> set[int]:
    """Return the serials of the codes under ``prefix`` that names hold (any district, any status), read once."""
    p = schema.place_names
    width = len(prefix) + scheme.serial_digits
    serials: set[int] = set()
    for (code,) in conn.execute(sa.select(p.c.place_code).where(p.c.place_code.startswith(prefix, autoescape=True))):
        tail = str(code)[len(prefix):]
        if len(code) == width and tail.isascii() and tail.isdigit():
            serials.add(int(tail))
    return serials


def _prefix(store: Store, scheme: CodeScheme, name: Mapping[str, Any]) -> str:
    return scheme.prefix(county=store.adcode[:6], category=str(name.get("category_code") or "").strip() or None)


def new_place_code(store: Store, conn: sa.Connection, name: Mapping[str, Any], *, actor: str,
                   scheme: CodeScheme | None = None) -> str:
    """Return a fresh code for ``name`` (its category, this district), its serial recorded; never one in use."""
    scheme = scheme or load_scheme()
    prefix = _prefix(store, scheme, name)
    (serial,) = take_serials(store, conn, scheme=SCHEME, prefix=prefix, count=1, actor=actor,
                             limit=10 ** scheme.serial_digits, held=held_serials(conn, scheme, prefix))
    return scheme.code(prefix, serial)


def needs_code(name: Mapping[str, Any], *, was_standard: bool = False) -> bool:
    """Return whether a name should carry a code and has none.

    A name needs one when it is a standard name (approved or later), or when it is retired and had
    been one: approved (it has an approval date) or, for a name of the starting register that never
    went through approval here, ``was_standard`` (its history shows it approved or later). A name
    retired before approval (a withdrawn proposal) needs none.
    """
    if str(name.get("place_code") or "").strip():
        return False
    status = name.get("status")
    return status in CODED_STATUSES or (status == "retired" and (name.get("approval_date") is not None
                                                                 or was_standard))


def standard_before(conn: sa.Connection, ids: Sequence[int]) -> set[int]:
    """Return which of the names ``ids`` the audit trail shows approved or later at some time (before or
    after one of their changes): a retired name of the starting register that was a standard name."""
    log = schema.audit_log
    found: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        rows = conn.execute(sa.select(log.c.record_id, log.c.before, log.c.after).where(
            log.c.table_name == "place_names", log.c.record_id.in_(ids[start:start + _CHUNK])))
        for record_id, *states in rows:
            if any(_status(state) in CODED_STATUSES for state in states):
                found.add(int(record_id))
    return found


def _status(state: Any) -> Any:
    try:
        loaded = json.loads(state) if isinstance(state, str) else state
    except ValueError:
        return None
    return loaded.get("status") if isinstance(loaded, dict) else None


def _without_code(conn: sa.Connection, ids: Sequence[int] | None = None, *, lock: bool = False
                  ) -> list[dict[str, Any]]:
    """Return the names (of ``ids``, else all) that need a code, in id order; with ``lock``, locked."""
    p = schema.place_names
    query = (sa.select(p.c.id, p.c.status, p.c.place_code, p.c.approval_date, p.c.category_code)
             .where(sa.or_(p.c.place_code.is_(None), p.c.place_code == "")).order_by(p.c.id))
    if ids is not None:
        query = query.where(p.c.id.in_(ids))
    if lock:
        query = query.with_for_update()
    rows = [dict(r) for r in conn.execute(query).mappings()]
    unsure = [int(r["id"]) for r in rows if r["status"] == "retired" and r["approval_date"] is None]
    was = standard_before(conn, unsure) if unsure else set()
    return [r for r in rows if needs_code(r, was_standard=int(r["id"]) in was)]


def names_without_code(store: Store) -> list[int]:
    """Return the ids of names that should carry a code and have none, in id order."""
    with store.reading() as conn:
        return [int(r["id"]) for r in _without_code(conn)]


def _assign_many(store: Store, conn: sa.Connection, ids: Sequence[int], *, actor: str, scheme: CodeScheme
                 ) -> dict[int, str]:
    """Give each of ``ids`` that still needs a code its code, in the caller's transaction; return them by id.

    The names are locked and re-read (one coded meanwhile is left alone); per prefix the held codes
    are read once and the counter moves once; the names are updated by one batched statement, with
    an audit row each.
    """
    by_prefix: dict[str, list[int]] = {}
    for row in _without_code(conn, ids, lock=True):
        by_prefix.setdefault(_prefix(store, scheme, row), []).append(int(row["id"]))
    codes: dict[int, str] = {}
    for prefix in sorted(by_prefix):  # counters locked in one order: two runs never wait on each other
        serials = take_serials(store, conn, scheme=SCHEME, prefix=prefix, count=len(by_prefix[prefix]), actor=actor,
                               limit=10 ** scheme.serial_digits, held=held_serials(conn, scheme, prefix))
        codes.update({place_id: scheme.code(prefix, serial)
                      for place_id, serial in zip(by_prefix[prefix], serials, strict=True)})
    store.update_each("place_names", {i: {"place_code": c} for i, c in codes.items()}, actor=actor, conn=conn,
                      action="place_code")
    return codes


def assign_code(store: Store, place_id: int, *, actor: str, scheme: CodeScheme | None = None) -> str | None:
    """Give one name its code in one transaction; return it (None: it has one already, or needs none)."""
    with store.writing() as conn:
        return _assign_many(store, conn, [place_id], actor=actor, scheme=scheme or load_scheme()).get(place_id)


def assign_missing(store: Store, *, actor: str, progress: Callable[[int], None] | None = None,
                   scheme: CodeScheme | None = None, chunk: int = 2000) -> dict[str, int]:
    """Give a code to every name past approval that has none; never change a code. Return the counts.

    One transaction per ``chunk`` names (each name re-read inside it, so a name coded meanwhile is
    left alone), so a long run can be stopped and run again: it picks up where it stopped. Within a
    chunk the work is batched (:func:`_assign_many`): the sample's 1,211 names take well under a second.
    """
    scheme = scheme or load_scheme()
    ids = names_without_code(store)
    given = 0
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        with store.writing() as conn:
            given += len(_assign_many(store, conn, part, actor=actor, scheme=scheme))
        if progress is not None:
            progress(len(part))
    return {"candidates": len(ids), "assigned": given}
