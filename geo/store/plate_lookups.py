"""SQL of the stored public plate lookups (``plate_lookups``, ``plate_lookup_state``), both backends.

The request path is :func:`read_lookup`: one statement, every part an index lookup (the plate by
its uid, its stored services by the same key, its street's name record by standard name, its
community and sub-district by code, and the newest change of the tables the services depend on).
The refresher (geo/plates/lookup_table.py) uses the rest: the feed marks, the lease that lets one
refresher run at a time across processes, and the bulk writes. Lookups are derived data: written
without audit rows, so refreshing them never moves the change feed it follows.

The two tables are the database's, not one district's (#19): ``plate_lookups`` holds every district's
plates (a plate uid is unique city-wide), and ``plate_lookup_state`` one progress and lease row per
district (:func:`state_id`), since each district follows its own change feed. Every read and write of
the refresher here is kept to the store's district's plates, so one district's refresh never drops,
marks or overwrites another's lookups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa

from geo import DISTRICT_ADCODE
from geo.store import schema
from geo.store.districts import own_outline
from geo.store.store import Store

STATE_ID = 1  # the state row of the service's default district (150102), as before #19
SERVICE_TABLES = ("streets", "facilities")  # the walking network and the facilities
PLATE_TABLE = "door_plates"
SERVICE_FIELDS = ("id", "name", "kind", "distance_m", "minutes", "minutes_elderly")
KINDS = ("care", "centre")
_LOOKUP_NAMES = tuple(c.name for c in schema.plate_lookups.c)
_CHUNK = 900  # keys per IN list (SQLite's bound-parameter limit is 999 on old builds)


def state_id(adcode: str) -> int:
    """Return the id of district ``adcode``'s progress and lease row in ``plate_lookup_state``.

    The default district keeps the row it had before many districts (:data:`STATE_ID`), so an existing
    database does not recompute; any other district's row is its adcode as a number (150121 → 150121),
    which no adcode shares and which never equals 1.
    """
    return STATE_ID if adcode == DISTRICT_ADCODE else int(adcode)


def newest_change(table_name: str, *, adcode: sa.ColumnElement[Any] | str | None = None) -> sa.ScalarSelect[Any]:
    """Return a scalar subquery: the newest audit ``seq`` of ``table_name`` (one index probe).

    ``adcode`` (a value or a bound parameter) keeps it to one district's changes, said outright: on a
    database of many districts the probe then reads that district's index range (ix_audit_log_district_feed)
    instead of walking every district's newer changes past the policy's filter.
    """
    log = schema.audit_log
    where = [log.c.table_name == table_name, log.c.seq.is_not(None)]
    if adcode is not None:
        where.append(log.c.adcode == adcode)
    return sa.select(log.c.seq).where(*where).order_by(log.c.seq.desc()).limit(1).scalar_subquery()


@lru_cache(maxsize=1)
def _lookup_query() -> sa.Select[Any]:
    """Build the lookup's statement once (building it costs more than running it); ``uid`` and
    ``adcode`` (the district's code) are bound.

    The district is said as a value on every table, not left to the row policy's setting alone: with a
    value PostgreSQL prunes a partitioned table's other districts while planning (with the setting only
    at run time, after planning every district's partitions: 36 ms at 30 districts against 1 ms) and
    estimates each join from the district's own statistics.
    """
    p, lk, names, units = schema.door_plates, schema.plate_lookups, schema.place_names, schema.admin_units
    adcode = sa.bindparam("adcode", type_=sa.String())
    street = names.alias("street")
    community, subdistrict, district = units.alias("community"), units.alias("subdistrict"), units.alias("district")
    return (
        sa.select(p.c.plate_uid, p.c.status, p.c.number, p.c.suffix, p.c.street_name, p.c.community_code,
                  p.c.minx, p.c.miny, *(c.label(f"lk_{c.name}") for c in lk.c),
                  street.c.id.label("street_id"), street.c.pinyin_toned, street.c.name_mong, street.c.meaning,
                  community.c.name.label("community"), subdistrict.c.name.label("subdistrict"),
                  p.c.adcode, district.c.name.label("district"),
                  *(newest_change(t, adcode=adcode).label(f"newest_{t}") for t in SERVICE_TABLES))
        .select_from(
            # Every joined row is of the plate's own district (``adcode``, said outright so that on a
            # database partitioned by district each join reads that district's partition only).
            p.outerjoin(lk, lk.c.plate_uid == p.c.plate_uid)
            .outerjoin(street, sa.and_(street.c.standard_name == p.c.street_name, street.c.adcode == adcode,
                                       street.c.feature_class == "street", street.c.status == "in_force"))
            .outerjoin(community, sa.and_(community.c.code == p.c.community_code, community.c.adcode == adcode))
            .outerjoin(subdistrict, sa.and_(subdistrict.c.code == community.c.parent_code,
                                            subdistrict.c.adcode == adcode))
            # the plate's own district: its outline row (code <adcode>000000), not a neighbour's
            .outerjoin(district, sa.and_(*own_outline(district, sa.bindparam("district_code", type_=sa.String())),
                                         district.c.adcode == adcode)))
        .where(p.c.plate_uid == sa.bindparam("uid"), p.c.adcode == adcode)
        .order_by(street.c.id.desc())  # of two in-force names alike, the newer (as a name index keeps it)
        .limit(1))


def lookup_parameters(store: Store, plate_uid: str) -> dict[str, str]:
    """Return the bound values of :func:`_lookup_query` for ``plate_uid`` read in ``store``'s district."""
    return {"uid": plate_uid, "adcode": store.adcode, "district_code": f"{store.adcode}000000"}


def read_lookup(store: Store, plate_uid: str) -> dict[str, Any] | None:
    """Return the plate, its stored lookup and names in one indexed read, or ``None`` (no plate).

    Keys: the plate's ``plate_uid, status, number, suffix, street_name, community_code, minx, miny,
    adcode``; ``district`` (the name of the plate's district's outline row, or ``None``);
    ``lookup`` (the stored row or ``None``); ``street`` (``pinyin_toned, name_mong, meaning`` of its
    in-force street name, or ``None``); ``community``, ``subdistrict`` (names or ``None``);
    ``services_changed_seq``: the newest change of the streets or facilities.
    """
    with store.reading() as conn:
        row = conn.execute(_lookup_query(), lookup_parameters(store, plate_uid)).mappings().first()
    if row is None:
        return None
    out: dict[str, Any] = {k: row[k] for k in ("plate_uid", "status", "number", "suffix", "street_name",
                                                 "community_code", "minx", "miny", "community", "subdistrict",
                                                 "adcode", "district")}
    out["lookup"] = {name: row[f"lk_{name}"] for name in _LOOKUP_NAMES} if row["lk_plate_uid"] is not None else None
    out["street"] = ({k: row[k] for k in ("pinyin_toned", "name_mong", "meaning")}
                     if row["street_id"] is not None else None)
    out["services_changed_seq"] = max(int(row[f"newest_{t}"] or 0) for t in SERVICE_TABLES)
    return out


# -- the refresher's reads ----------------------------------------------------------------------

@dataclass(frozen=True)
class FeedMarks:
    """Where the audit feed stands: its horizon and the newest change of each table a lookup uses."""

    horizon: int
    plates: int
    services: tuple[int, ...]  # per SERVICE_TABLES

    @property
    def services_seq(self) -> int:
        """Return the newest change of any table the services depend on."""
        return max(self.services, default=0)


def feed_marks(store: Store) -> FeedMarks:
    """Return the feed's horizon first, then the newest change per table (all index probes)."""
    with store.reading() as conn:
        horizon = Store.commit_horizon(conn)
        marks = conn.execute(sa.select(newest_change(PLATE_TABLE, adcode=store.adcode),
                                       *(newest_change(t, adcode=store.adcode) for t in SERVICE_TABLES))).one()
    return FeedMarks(horizon, int(marks[0] or 0), tuple(int(m or 0) for m in marks[1:]))


def processed_seq(store: Store) -> int:
    """Return how far the store's district's feed has been processed into its lookups (0 before the
    first refresh)."""
    state = schema.plate_lookup_state
    with store.reading() as conn:
        return int(conn.execute(sa.select(state.c.seq).where(state.c.id == state_id(store.adcode))).scalar() or 0)


def plate_positions(store: Store, *, only_outdated: bool) -> list[dict[str, Any]]:
    """Return ``plate_uid, geometry, minx, miny`` of every plate, or only of those whose stored
    lookup is missing or was computed at another position (an anti-join on the key)."""
    p, lk = schema.door_plates, schema.plate_lookups
    raw_geom = sa.type_coerce(p.c.geom, sa.types.NullType()).label("geom")  # decoded below, all at once
    query = sa.select(p.c.plate_uid, raw_geom, p.c.minx, p.c.miny).where(*store.scope(p))
    if only_outdated:
        query = query.select_from(p.outerjoin(lk, lk.c.plate_uid == p.c.plate_uid)).where(sa.or_(
            lk.c.plate_uid.is_(None),
            sa.not_(sa.and_(p.c.minx == lk.c.plate_x, p.c.miny == lk.c.plate_y)),
            sa.and_(p.c.minx.is_(None), lk.c.plate_x.is_not(None)),
            sa.and_(p.c.minx.is_not(None), lk.c.plate_x.is_(None))))
    with store.reading() as conn:
        rows = conn.execute(query.order_by(p.c.id)).all()
    geoms: list[Any] = list(shapely.from_wkb(np.array([r.geom for r in rows], dtype=object))) if rows else []
    return [{"plate_uid": r.plate_uid, "geometry": g, "minx": r.minx, "miny": r.miny}
            for r, g in zip(rows, geoms, strict=True)]


def stored_lookups(store: Store) -> dict[str, tuple[Any, ...]]:
    """Return the stored lookup position and services of every lookup the store's district's refresh
    wrote (its plates', and those of its plates deleted since), by plate uid (to write only changes
    and drop the lookups of plates gone); another district's lookups are not its to compare."""
    lk = schema.plate_lookups
    cols = [lk.c.plate_x, lk.c.plate_y, *(lk.c[f"{k}_{f}"] for k in KINDS for f in SERVICE_FIELDS)]
    with store.reading() as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(
            sa.select(lk.c.plate_uid, *cols).where(lk.c.adcode == store.adcode))}


def comparable(row: Mapping[str, Any]) -> tuple[Any, ...]:
    """Return a lookup row's position and services in the order :func:`stored_lookups` gives them."""
    return (row["plate_x"], row["plate_y"], *(row[f"{k}_{f}"] for k in KINDS for f in SERVICE_FIELDS))


# -- the lease: one refresher at a time across processes ------------------------------------------

def claim(store: Store, owner: str, *, now: datetime, lease_s: float) -> int | None:
    """Take the refresher's lease for ``lease_s`` unless another holder's lease is still running.

    Return the processed seq on success, ``None`` when another refresher holds it. One short write
    transaction: the state row is locked (PostgreSQL) or the database's write lock taken (SQLite),
    so two claims never both succeed; a lease left by a crashed process expires.
    """
    state, own = schema.plate_lookup_state, state_id(store.adcode)
    with store.writing() as conn:
        row = conn.execute(sa.select(state).where(state.c.id == own).with_for_update()).mappings().first()
        if row is None:
            # No row to lock (a first refresh, or a restore emptied the state): two refreshers may both get here on
            # PostgreSQL; the second's insert is refused by the key, and it holds no lease (fourth review: a
            # UniqueViolation logged as an error after a restore with two workers).
            inserted = conn.execute(_insert_ignoring_conflict(conn, state, {
                "id": own, "seq": 0, "lease_owner": owner, "lease_until": now + timedelta(seconds=lease_s)})
                .returning(state.c.id)).first()  # (the driver's rowcount says -1 for such an insert)
            return 0 if inserted is not None else None
        if row["lease_owner"] not in (None, owner) and row["lease_until"] is not None and row["lease_until"] > now:
            return None
        conn.execute(state.update().where(state.c.id == own)
                     .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_s)))
        return int(row["seq"])


def _insert_ignoring_conflict(conn: sa.Connection, table: sa.Table, values: Mapping[str, Any]) -> sa.Insert:
    """Return an insert of one row that does nothing when its key is taken (either backend)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).values(**values).on_conflict_do_nothing(index_elements=["id"])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).values(**values).on_conflict_do_nothing(index_elements=["id"])


def release(store: Store, owner: str) -> None:
    """Give the lease back (if still held by ``owner``) without recording progress."""
    state = schema.plate_lookup_state
    with store.writing() as conn:
        conn.execute(state.update().where(state.c.id == state_id(store.adcode), state.c.lease_owner == owner)
                     .values(lease_owner=None, lease_until=None))


def _insert_many(conn: sa.Connection, rows: Sequence[Mapping[str, Any]], *, seq: int, now: datetime,
                 adcode: str) -> None:
    """Insert lookup rows through the driver's executemany (a district's 35,000 rows in well under a
    second; SQLAlchemy's per-row parameter handling takes seconds). The only typed value, the moment,
    is the same for every row and goes through its column type's own bind processing once."""
    lk = schema.plate_lookups
    names = list(lk.c.keys())
    process = lk.c.computed_at.type.bind_processor(conn.dialect)
    stamp = process(now) if process else now
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {lk.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
    fixed = {"seq": seq, "computed_at": stamp, "adcode": adcode}
    conn.exec_driver_sql(sql, [tuple(fixed[n] if n in fixed else r[n] for n in names) for r in rows])


class LeaseLost(Exception):
    """The lease expired and another refresher took it: this one's results are dropped."""


def write_lookups(store: Store, owner: str, rows: Sequence[Mapping[str, Any]], *, seq: int, now: datetime,
                  drop_others: Iterable[str] | None = None, all_to_seq: bool = False) -> None:
    """Store ``rows`` (replacing those plates' lookups), record ``seq`` as processed and give the
    lease back, in one transaction that checks the lease is still ``owner``'s.

    ``drop_others``: plate uids whose lookups are removed (their plates are gone); ``all_to_seq``:
    every other stored lookup of the district's plates is marked as reflecting ``seq`` too (a full
    refresh found it unchanged). The lease and progress are the district's own (:func:`state_id`).
    """
    state, lk, own = schema.plate_lookup_state, schema.plate_lookups, state_id(store.adcode)
    with store.writing() as conn:
        holder = conn.execute(sa.select(state.c.lease_owner).where(state.c.id == own)
                              .with_for_update()).scalar()
        if holder != owner:
            raise LeaseLost(owner)
        gone = [*(r["plate_uid"] for r in rows), *(drop_others or ())]
        for start in range(0, len(gone), _CHUNK):
            conn.execute(lk.delete().where(lk.c.plate_uid.in_(gone[start:start + _CHUNK])))
        if rows:
            _insert_many(conn, rows, seq=seq, now=now, adcode=store.adcode)
        if all_to_seq:
            # computed again and found the same: the answer is as of now (the page says when while it is stale)
            conn.execute(lk.update().where(lk.c.seq < seq, lk.c.adcode == store.adcode).values(seq=seq,
                                                                                              computed_at=now))
        conn.execute(state.update().where(state.c.id == own)
                     .values(seq=seq, lease_owner=None, lease_until=None, refreshed_at=now))
