"""Reading the division's history: the changes, a unit's code chain, and search by former names and codes.

Every result is public information (the decisions are published); who keyed a change in
(``made_by``) is not shown. Search finds a unit by its current or any former name or code and says
what it was formerly called, when and by which decision it changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from geo.divisions.codes import LEVELS
from geo.errors import InputError, NotFound
from geo.messages import Term, label, quoted, text
from geo.store import Store, schema
from geo.text import clean

MAX_QUERY_CHARS = 50
MAX_HITS = 50
PUBLIC_CHANGE = ("id", "change_type", "decision_body", "decision_doc_no", "decision_date", "effective_on",
                 "units_before", "units_after", "summary", "created_at")
PUBLIC_UNIT = ("id", "code", "name", "level", "parent_code", "status", "valid_from", "valid_to", "households",
               "residents", "residents_60plus", "registered_residents", "version")


def _public_change(row: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: row.get(k) for k in PUBLIC_CHANGE}
    for key in ("units_before", "units_after"):
        out[key] = json.loads(out[key] or "[]")
    return out


def list_changes(store: Store, *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """Return the district's division changes, newest first."""
    t = schema.division_changes
    with store.reading() as conn:
        rows = conn.execute(sa.select(t).where(t.c.adcode == store.adcode)
                            .order_by(t.c.decision_date.desc(), t.c.id.desc()).limit(limit).offset(offset)).mappings()
        return [_public_change(dict(r)) for r in rows]


def get_change(store: Store, change_id: int) -> dict[str, Any]:
    """Return one change with its code-history rows, or raise :class:`NotFound`."""
    t, h = schema.division_changes, schema.unit_code_history
    with store.reading() as conn:
        row = conn.execute(sa.select(t).where(t.c.id == change_id, t.c.adcode == store.adcode)).mappings().first()
        if row is None:
            raise NotFound(text("divisions.no_change", value=change_id), field="id")
        history = conn.execute(sa.select(h.c.old_code, h.c.new_code, h.c.old_name, h.c.new_name, h.c.changed_on)
                               .where(h.c.change_id == change_id).order_by(h.c.id)).mappings()
        return {**_public_change(dict(row)), "codes": [dict(r) for r in history]}


def _history_rows(conn: sa.Connection, adcode: str) -> list[dict[str, Any]]:
    h, t = schema.unit_code_history, schema.division_changes
    query = (sa.select(h.c.change_id, h.c.old_code, h.c.new_code, h.c.old_name, h.c.new_name, h.c.changed_on,
                       t.c.change_type, t.c.decision_body, t.c.decision_doc_no, t.c.decision_date)
             .select_from(h.join(t, t.c.id == h.c.change_id))
             .where(h.c.adcode == adcode).order_by(h.c.changed_on, h.c.id))
    return [dict(r) for r in conn.execute(query).mappings()]


def _units(conn: sa.Connection, adcode: str, codes: set[str]) -> dict[str, dict[str, Any]]:
    t = schema.admin_units
    cols = [t.c[k] for k in PUBLIC_UNIT]
    rows = conn.execute(sa.select(*cols).where(t.c.code.in_(sorted(codes)), t.c.adcode == adcode)).mappings()
    return {r["code"]: dict(r) for r in rows}


def unit_history(store: Store, code: str) -> dict[str, Any]:
    """Return unit ``code`` and its code chain both ways: every change that led to it (``earlier``,
    oldest first) and every change since (``later``)."""
    code = str(code or "").strip()
    with store.reading() as conn:
        rows = _history_rows(conn, store.adcode)
        units = _units(conn, store.adcode, {code})
        if code not in units and not any(code in (r["old_code"], r["new_code"]) for r in rows):
            raise NotFound(text("divisions.no_history", value=quoted(code)), field="code")
        earlier = _walk(rows, code, backwards=True)
        later = _walk(rows, code, backwards=False)
        related = {code} | {r["old_code"] for r in earlier + later if r["old_code"]} \
            | {r["new_code"] for r in earlier + later if r["new_code"]}
        known = _units(conn, store.adcode, related)
    return {"code": code, "unit": known.get(code), "earlier": earlier, "later": later,
            "units": [known[c] for c in sorted(known)]}


def _walk(rows: list[dict[str, Any]], code: str, *, backwards: bool) -> list[dict[str, Any]]:
    """Follow the history from ``code`` (to its predecessors, or to its successors)."""
    seen: set[str] = {code}
    todo = [code]
    out: list[dict[str, Any]] = []
    ids: set[int] = set()
    while todo:
        current = todo.pop()
        for i, r in enumerate(rows):
            near, far = (r["new_code"], r["old_code"]) if backwards else (r["old_code"], r["new_code"])
            if near != current or i in ids:
                continue
            ids.add(i)
            out.append({**r, "_i": i})
            if far and far not in seen:  # a rename keeps the code: nothing further to follow
                seen.add(far)
                todo.append(far)
    out.sort(key=lambda r: (r["changed_on"], r["_i"]))
    for r in out:
        r.pop("_i")
    return out


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_units(store: Store, q: str) -> list[dict[str, Any]]:
    """Return units whose current or former name or code matches ``q`` (a part of a name, a code's
    start), each with how it matched and, for a former name or code, the change that ended it."""
    query = clean(str(q or ""))
    if not query or len(query) > MAX_QUERY_CHARS:
        raise InputError(text("divisions.query_short", field=label("q"), most=MAX_QUERY_CHARS), field="q")
    like = f"%{_escape_like(query)}%"
    starts = f"{_escape_like(query)}%"
    t = schema.admin_units
    hits: dict[str, dict[str, Any]] = {}
    with store.reading() as conn:
        cols = [t.c[k] for k in PUBLIC_UNIT]
        current = conn.execute(sa.select(*cols).where(
            t.c.adcode == store.adcode, t.c.level.in_([*LEVELS, "district"]), t.c.code.like(f"{store.adcode}%"),
            sa.or_(t.c.name.like(like, escape="\\"), t.c.code.like(starts, escape="\\")))
            .order_by(t.c.code).limit(MAX_HITS)).mappings()
        for found in current:
            hits[found["code"]] = {**dict(found), "matched": "code" if found["code"].startswith(query) else "name",
                                   "formerly": []}
        rows = _history_rows(conn, store.adcode)
        former = [r for r in rows if r["old_code"] and (
            (query in (r["old_name"] or "") and r["old_name"] != r["new_name"])
            or (r["old_code"].startswith(query) and r["old_code"] != r["new_code"]))]
        targets: dict[str, list[dict[str, Any]]] = {}
        for r in former:
            for later in [r, *_walk(rows, r["new_code"], backwards=False)]:
                targets.setdefault(later["new_code"], []).append(r)
        units = _units(conn, store.adcode, set(targets))
    for code, changes in targets.items():
        unit = units.get(code)
        if unit is None:
            continue
        hit = hits.setdefault(code, {**unit, "matched": "former", "formerly": []})
        for change in changes:
            said = _formerly(change, query)
            if said not in hit["formerly"]:
                hit["formerly"].append(said)
    order = sorted(hits.values(), key=lambda h: (h["status"] != "active", h["matched"] == "former", h["code"]))
    return order[:MAX_HITS]


def _formerly(r: Mapping[str, Any], query: str) -> str:
    """Say what a unit was formerly called or coded, when and by which decision that changed."""
    by_code = r["old_code"].startswith(query) and r["old_code"] != r["new_code"]
    what = text("divisions.formerly_code" if by_code else "divisions.formerly_name").partition(" · ")
    return text("divisions.formerly", what=Term(what[0], what[2]),
                old=r["old_code"] if by_code else r["old_name"], new=r["new_code"] if by_code else r["new_name"],
                date=r["changed_on"].isoformat(), doc=r["decision_doc_no"], body=r["decision_body"])
