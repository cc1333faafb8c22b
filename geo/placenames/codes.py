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
to every name past approval that has none (names loaded before codes existed). A code is never
rewritten (geo/write_rules.py guards it on the generic paths; a rename keeps it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
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


def next_serial(store: Store, conn: sa.Connection, *, scheme: str, prefix: str, actor: str,
                limit: int, taken: Callable[[int], bool] = lambda _serial: False) -> int:
    """Return the next serial of ``(scheme, prefix)`` and record it, inside the caller's transaction.

    The counter row is locked (natural-key lock, then ``SELECT … FOR UPDATE``; SQLite serialises
    writers) and only goes up; a serial ``taken`` says is held is passed over. Serials reach ``limit - 1``
    at most; then the prefix is full (409).
    """
    lock_natural_keys(conn, [f"counter:{scheme}:{prefix}"])
    t = schema.code_counters
    row = conn.execute(sa.select(t).where(t.c.scheme == scheme, t.c.prefix == prefix, t.c.adcode == store.adcode)
                       .with_for_update()).mappings().first()
    serial = (int(row["last_serial"]) if row is not None else 0) + 1
    while serial < limit and taken(serial):
        serial += 1
    if serial >= limit:
        raise Conflict(text("place_codes.prefix_full", prefix=prefix, limit=limit - 1), field="place_code")
    if row is None:
        store.insert("code_counters", [{"scheme": scheme, "prefix": prefix, "last_serial": serial}], actor=actor,
                     conn=conn)
    else:
        store.update("code_counters", int(row["id"]), {"last_serial": serial}, expected_version=int(row["version"]),
                     actor=actor, conn=conn, action="allocate")
    return serial


def new_place_code(store: Store, conn: sa.Connection, name: Mapping[str, Any], *, actor: str,
                   scheme: CodeScheme | None = None) -> str:
    """Return a fresh code for ``name`` (its category, this district), its serial recorded; never one in use."""
    scheme = scheme or load_scheme()
    prefix = scheme.prefix(county=store.adcode[:6], category=str(name.get("category_code") or "").strip() or None)
    p = schema.place_names

    def held(serial: int) -> bool:
        code = scheme.code(prefix, serial)
        return conn.execute(sa.select(p.c.id).where(p.c.place_code == code).limit(1)).first() is not None

    serial = next_serial(store, conn, scheme=SCHEME, prefix=prefix, actor=actor, limit=10 ** scheme.serial_digits,
                         taken=held)
    return scheme.code(prefix, serial)


def needs_code(name: Mapping[str, Any]) -> bool:
    """Return whether a name should carry a code and has none (approved or later, or retired after approval)."""
    if str(name.get("place_code") or "").strip():
        return False
    status = name.get("status")
    return status in CODED_STATUSES or (status == "retired" and name.get("approval_date") is not None)


def names_without_code(store: Store) -> list[int]:
    """Return the ids of names that should carry a code and have none, in id order."""
    p = schema.place_names
    with store.reading() as conn:
        rows = conn.execute(sa.select(p.c.id, p.c.status, p.c.place_code, p.c.approval_date)
                            .where(sa.or_(p.c.place_code.is_(None), p.c.place_code == ""))
                            .order_by(p.c.id)).mappings()
        return [int(r["id"]) for r in rows if needs_code(dict(r))]


def _assign(store: Store, conn: sa.Connection, place_id: int, *, actor: str, scheme: CodeScheme | None) -> str | None:
    current = store.get("place_names", place_id, conn=conn)
    if not needs_code(current):
        return None
    code = new_place_code(store, conn, current, actor=actor, scheme=scheme)
    store.update("place_names", place_id, {"place_code": code}, expected_version=current["version"], actor=actor,
                 conn=conn, action="place_code", note=code)
    return code


def assign_code(store: Store, place_id: int, *, actor: str, scheme: CodeScheme | None = None) -> str | None:
    """Give one name its code in one transaction; return it (None: it has one already, or needs none)."""
    with store.writing() as conn:
        return _assign(store, conn, place_id, actor=actor, scheme=scheme)


def assign_missing(store: Store, *, actor: str, progress: Callable[[int], None] | None = None,
                   scheme: CodeScheme | None = None, chunk: int = 200) -> dict[str, int]:
    """Give a code to every name past approval that has none; never change a code. Return the counts.

    One transaction per ``chunk`` names (each name re-read inside it, so a name coded meanwhile is
    left alone), so a long run can be stopped and run again: it picks up where it stopped.
    """
    scheme = scheme or load_scheme()
    ids = names_without_code(store)
    given = 0
    for start in range(0, len(ids), chunk):
        with store.writing() as conn:
            for place_id in ids[start:start + chunk]:
                if _assign(store, conn, place_id, actor=actor, scheme=scheme) is not None:
                    given += 1
                if progress is not None:
                    progress(1)
    return {"candidates": len(ids), "assigned": given}
