"""What a database holds: which domain tables have records, for commands that must not mix data.

``xincheng init`` loads the sample district only into a database without records
(:func:`refuse_unless_empty`, which :func:`geo.io.importer.load_layers` checks as it writes), and
the messages that tell a user what to load next depend on whether the database is empty or only
misses a layer.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from geo.errors import InputError
from geo.layers import get_layer
from geo.messages import Term, text
from geo.store import schema
from geo.store.store import Store

# Accounts, tokens, the audit trail and the schema's own bookkeeping are not the district's data.
NOT_DOMAIN = frozenset({"users", "api_tokens", "audit_log", "schema_migrations"}) | schema.DERIVED_TABLES


def domain_tables() -> list[str]:
    """Return the tables that hold the district's records (units, names, plates, markers, …)."""
    return [t.name for t in schema.metadata.sorted_tables if t.name not in NOT_DOMAIN]


def held_records(store: Store, *, conn: sa.Connection | None = None, own_only: bool = False) -> dict[str, int]:
    """Return the record count of every domain table that holds any records.

    With ``conn`` the tables are counted in the caller's transaction. ``own_only``: the store's district's
    own records only, not the rows every district reads (a neighbour's outline is its neighbours' too).
    """
    if conn is None:
        with store.reading() as c:
            return held_records(store, conn=c, own_only=own_only)
    present = set(sa.inspect(conn).get_table_names())
    counts = {}
    for name in domain_tables():
        if name in present:
            table = schema.metadata.tables[name]
            query = sa.select(sa.func.count()).select_from(table)
            if own_only and "adcode" in table.c:
                query = query.where(table.c.adcode == store.adcode)
            count = int(conn.execute(query).scalar() or 0)
            if count:
                counts[name] = count
    return counts


def describe_counts(counts: dict[str, int]) -> tuple[str, str]:
    """Return the counts as short Chinese and English lists, e.g. ``admin_units 12 条``."""
    zh = "、".join(f"{name} {n:,} 条" for name, n in counts.items())
    en = ", ".join(f"{name}: {n:,}" for name, n in counts.items())
    return zh, en


def missing_layers_error(missing: Sequence[str], *, database_empty: bool, purpose_zh: str,
                         purpose_en: str, store: Store | None = None) -> InputError:
    """Return the error for a computation that needs layers the database does not hold yet.

    Only an empty database may take the sample district (``xincheng init`` refuses to mix it into
    data); a database that holds records is told which layer to import, and how. On a database of many
    districts (PostGIS; ``store`` the district's) the commands name the district (``--district``,
    ``?district=``), so that copying them imports into the district that lacks the layer, whatever the
    service's own district is; SQLite holds one district, and its commands need no name.
    """
    if database_empty:
        return InputError(text("store.empty_database"), field="database")
    layers = [get_layer(name) for name in missing]
    named = Term("、".join(f"{lyr.title_zh} {lyr.name}" for lyr in layers), ", ".join(lyr.name for lyr in layers))
    option, query = ("", "")
    if store is not None and store.dialect == "postgresql":
        option, query = f"--district {store.adcode} ", f"?district={store.adcode}"
    commands = "; ".join(f"`xincheng {option}import {name}.gpkg --layer {name} --crs EPSG:4490`"
                         for name in missing)
    http = ", ".join(f"POST /api/layers/{name}/import{query}" for name in missing)
    return InputError(text("store.missing_layers", purpose=Term(purpose_zh, purpose_en), layers=named,
                           commands=commands, http=http), field=missing[0])


def refuse_unless_empty(store: Store, *, conn: sa.Connection | None = None) -> None:
    """Raise :class:`InputError` naming what the database holds unless it holds no domain records.

    The sample district goes only into an empty database: mixed into real data it would pass for it.
    On PostgreSQL, which holds many districts, "empty" is the store's district's: no records of its own
    (another district's neighbour outline, which every district reads, is not its own).
    """
    held = held_records(store, conn=conn, own_only=store.dialect == "postgresql")
    if held:
        zh, en = describe_counts(held)
        raise InputError(text("store.not_empty", held=Term(zh, en)), field="database")
