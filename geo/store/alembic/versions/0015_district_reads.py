"""reads of one district at region scale: a district's change feed and PN-07's city-wide check by key

Revision 0015 (schema version 15). Frozen: the indexes and function as they were at version 15.
Never import geo.store.schema here.

* ``ix_audit_log_district_feed`` (adcode, table_name, seq) and ``ix_audit_log_district_seq``
  (adcode, seq): the newest change of a table in one district (the public lookup's freshness mark,
  the refresher's feed) and a district's data version (the newest change it sees, which keys the
  service's caches) are each one index probe; by (table_name, seq) or seq alone a district walked
  back past every newer change of the other districts sharing the one feed.
* ``ix_place_names_search_key``: PN-07 compares a name only with the names of the same text or the
  same toneless key (homophones), so it reads those by index instead of every name.
* ``plate_lookups.adcode`` (indexed): the district whose refresh wrote a lookup. A district's refresh
  finds its lookups, and those of its plates deleted since, by it; before, it compared its plates with
  every district's lookups (an anti-join over the whole database per district). Filled from the
  plates; a lookup of no plate anywhere (a derived row of nothing) is dropped.
* PostgreSQL: ``xincheng_city_names(name, key)`` replaces ``xincheng_city_names(city)``: the calling
  district's city's streets, residential areas and buildings (every district of the city, read with
  the owner's rights) of that text or that toneless key only (a name stored without a key, from before
  revision 3, is compared city-wide by its text alone), the city given as a range of district codes
  so the planner reads the city's partitions and nothing else; the city is the caller's district's
  (the transaction's ``xincheng.adcode``), not an argument. Each name comes with its district's name
  (the district's outline), which the officer's message cites. PL/pgSQL, whose statement is planned with the values
  given (a SQL function's is planned afresh for every call over every district's partitions). The
  old function gave every name of the city to any district transaction; the new one gives only what
  the check needs.
SQLite holds one district: it gains the indexes and the lookups' district.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

ROLE = "xincheng_district"


def upgrade() -> None:
    op.create_index("ix_audit_log_district_feed", "audit_log", ["adcode", "table_name", "seq"])
    op.create_index("ix_audit_log_district_seq", "audit_log", ["adcode", "seq"])
    op.create_index("ix_place_names_search_key", "place_names", ["search_key"])
    op.add_column("plate_lookups", sa.Column("adcode", sa.String(12)))
    if op.get_bind().dialect.name == "postgresql":  # one join, not a probe of every partition per lookup
        op.execute("UPDATE plate_lookups l SET adcode = p.adcode FROM door_plates p WHERE p.plate_uid = l.plate_uid")
    else:
        op.execute("UPDATE plate_lookups SET adcode = (SELECT p.adcode FROM door_plates p "
                   "WHERE p.plate_uid = plate_lookups.plate_uid)")
    op.execute("DELETE FROM plate_lookups WHERE adcode IS NULL")
    op.create_index("ix_plate_lookups_adcode", "plate_lookups", ["adcode"])
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("SELECT pg_advisory_xact_lock(hashtext('xincheng-0015'))")
    op.execute("DROP FUNCTION IF EXISTS xincheng_city_names(text)")
    # The city is the calling district's (the first four digits of its code, from the transaction's
    # setting), never an argument: a district reads its own city's names only. A city's districts are
    # the codes [city || '00', city || '99'], a range of the partition column, so the planner reads the
    # city's partitions and skips the rest.
    op.execute("""
        DO $$ BEGIN
            EXECUTE format($f$
                CREATE OR REPLACE FUNCTION xincheng_city_names(name text, key text)
                RETURNS TABLE (id integer, adcode text, standard_name text, feature_class text, admin_code text,
                               status text, search_key text, district_name text)
                LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = %I, public AS $body$
                DECLARE
                    city text := left(current_setting('xincheng.adcode', true), 4);
                BEGIN
                    IF city IS NULL OR length(city) <> 4 THEN
                        RETURN;
                    END IF;
                    RETURN QUERY
                    SELECT p.id, p.adcode::text, p.standard_name::text, p.feature_class::text, p.admin_code::text,
                           p.status::text, p.search_key::text,
                           (SELECT u.name::text FROM admin_units u  -- the city's partitions only, again
                            WHERE u.adcode >= city || '00' AND u.adcode <= city || '99' AND u.adcode = p.adcode
                              AND u.code = p.adcode || '000000' AND u.status <> 'neighbour'
                            LIMIT 1)
                    FROM place_names p
                    WHERE p.adcode >= city || '00' AND p.adcode <= city || '99' AND left(p.adcode, 4) = city
                      AND p.feature_class IN ('street', 'residential', 'building')
                      AND (p.standard_name = name OR p.search_key = key);
                END
                $body$ $f$, current_schema());
        END $$""")
    op.execute("REVOKE ALL ON FUNCTION xincheng_city_names(text, text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION xincheng_city_names(text, text) TO {ROLE}")


def downgrade() -> None:
    raise NotImplementedError("迁移不回退: 请恢复升级前的备份 · migrations are not reversed: "
                              "restore the backup taken before the upgrade")
