"""many districts in one database: each district's rows are its own (PostgreSQL row-level security)

Revision 0012 (schema version 12). Frozen: the tables as they were at version 12.
Never import geo.store.schema here.

On PostgreSQL every district table (every table keyed by ``adcode`` except the accounts, their
tokens, the migration record and the public plate lookup) gets row-level security with one policy:
a transaction sees and writes the rows of the district named by the setting ``xincheng.adcode``
only (a neighbour's outline, an ``admin_units`` row of status ``neighbour``, is seen by all). The
policy binds the role ``xincheng_district`` (no login), which the service's district transactions
take (``SET LOCAL ROLE``, geo.store.store.Store); the owner's own connections (migrations, backup and
restore) are not bound. The role is made here if missing and granted to the migrating user.
The one read across districts a district needs, PN-07's city-wide duplicate check of streets,
residential areas and buildings (one built-up area spans several districts), is the function
``xincheng_city_names(city)``: the names of those classes in every district of the city (the first
four digits of the adcode), their identifying columns only, run with the owner's rights. The public
scans plates, addresses and signs city-wide: ``xincheng_district_of(kind, uid)`` answers which
district a plate, standard address or street sign (by its lifetime uid) belongs to, and nothing else.
Each spatial table gets a GiST index on (adcode, geom) (extension btree_gist), and PostGIS's box
operator && is marked leakproof (by a superuser), so a district's bounding-box query is one index read.
SQLite holds one district: nothing changes there but the version.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ROLE = "xincheng_district"
DISTRICT_TABLES = (
    "addresses", "admin_units", "audit_log", "ban_zone_areas", "boundary_attachments", "boundary_disputes",
    "boundary_lines", "boundary_markers", "burial_statistics", "campaign_signoffs", "cemetery_plot_types",
    "code_counters", "division_changes", "door_plates", "facilities", "former_names", "graves",
    "indicator_snapshots", "inspection_campaigns", "inspection_photos", "inspections", "linear_features",
    "marker_reference_objects", "marker_repairs", "name_protections", "new_estates", "place_name_events",
    "place_names", "plate_reprints", "premises", "problem_reports", "street_signs", "streets", "sync_batches",
    "unit_code_history",
)
# Their bounding-box queries select by district and box at once: one GiST index on both (btree_gist),
# else the planner reads the district's whole adcode index for a box of a few streets.
SPATIAL_TABLES = (
    "addresses", "admin_units", "ban_zone_areas", "boundary_disputes", "boundary_lines", "boundary_markers",
    "door_plates", "facilities", "graves", "inspections", "linear_features", "new_estates", "place_names",
    "premises", "street_signs", "streets",
)
_OWN = "adcode = current_setting('xincheng.adcode', true)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # What is the database's, not one schema's (an extension, a function's flag): one migration at a time.
    op.execute("SELECT pg_advisory_xact_lock(hashtext('xincheng-0012'))")
    # Roles are the cluster's: another database (or a concurrent migration) may have made it already.
    op.execute(f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
                CREATE ROLE {ROLE} NOLOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$""")
    op.execute(f"""
        DO $$ BEGIN
            IF NOT pg_has_role(current_user, '{ROLE}', 'MEMBER') THEN
                EXECUTE format('GRANT {ROLE} TO %I', current_user);
            END IF;
        END $$""")
    # The schema the service's tables are in (the first of the search path; public by default);
    # PostGIS's own (spatial_ref_sys) is read through PUBLIC's rights.
    op.execute(f"""
        DO $$ BEGIN
            EXECUTE format('GRANT USAGE ON SCHEMA %I TO {ROLE}', current_schema());
            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO {ROLE}',
                           current_schema());
            EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO {ROLE}', current_schema());
            EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I '
                           'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {ROLE}', current_schema());
            EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {ROLE}',
                           current_schema());
        END $$""")
    op.execute("""
        DO $$ BEGIN
            EXECUTE format($f$
                CREATE OR REPLACE FUNCTION xincheng_city_names(city text)
                RETURNS TABLE (id integer, adcode text, standard_name text, feature_class text, admin_code text,
                               status text, search_key text)
                LANGUAGE sql STABLE SECURITY DEFINER SET search_path = %I, public AS $body$
                    SELECT id, adcode::text, standard_name::text, feature_class::text, admin_code::text,
                           status::text, search_key::text
                    FROM place_names
                    WHERE left(adcode, 4) = city AND feature_class IN ('street', 'residential', 'building')
                $body$ $f$, current_schema());
        END $$""")
    op.execute("""
        DO $$ BEGIN
            EXECUTE format($f$
                CREATE OR REPLACE FUNCTION xincheng_district_of(kind text, uid text) RETURNS text
                LANGUAGE sql STABLE SECURITY DEFINER SET search_path = %I, public AS $body$
                    SELECT CASE kind
                        WHEN 'plate' THEN (SELECT adcode::text FROM door_plates WHERE plate_uid = uid)
                        WHEN 'address' THEN (SELECT adcode::text FROM addresses WHERE address_uid = uid)
                        WHEN 'sign' THEN (SELECT adcode::text FROM street_signs WHERE sign_uid = uid)
                    END
                $body$ $f$, current_schema());
        END $$""")
    op.execute("REVOKE ALL ON FUNCTION xincheng_district_of(text, text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION xincheng_district_of(text, text) TO {ROLE}")
    op.execute("REVOKE ALL ON FUNCTION xincheng_city_names(text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION xincheng_city_names(text) TO {ROLE}")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")  # a trusted extension: the database owner may
    # Row-level security lets an index serve a query's condition only if its operator is leakproof, and
    # PostGIS does not mark the bounding-box operator && so: without this every box query of a district
    # reads the whole district. && compares two boxes and says nothing else of a row. Only a superuser
    # may mark a function; another owner is told (README, Production) and its box queries stay slower.
    op.execute("""
        DO $$ BEGIN
            IF NOT (SELECT proleakproof FROM pg_proc WHERE oid = 'geometry_overlaps(geometry, geometry)'::regprocedure)
            THEN
                IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
                    ALTER FUNCTION geometry_overlaps(geometry, geometry) LEAKPROOF;
                ELSE
                    RAISE NOTICE 'a superuser should mark geometry_overlaps(geometry, geometry) LEAKPROOF';
                END IF;
            END IF;
        END $$""")
    for table in SPATIAL_TABLES:
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_adcode_geom ON {table} USING gist (adcode, geom)")
    for table in DISTRICT_TABLES:
        seen = f"{_OWN} OR status = 'neighbour'" if table == "admin_units" else _OWN
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY district_rows ON {table} TO {ROLE} USING ({seen}) WITH CHECK ({seen})")


def downgrade() -> None:
    raise NotImplementedError("迁移不回退: 请恢复升级前的备份 · migrations are not reversed: "
                              "restore the backup taken before the upgrade")
