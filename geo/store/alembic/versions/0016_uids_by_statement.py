"""bulk writes on PostgreSQL: QR uids registered once per statement; no second spatial index per table

Revision 0016 (schema version 16). Frozen: the function and triggers as they were at version 16.
Never import geo.store.schema here.

Revision 0014 keeps a plate's, address's or sign's uid unique across districts with a row trigger
(``xincheng_uid_across_districts``): per row it reads the uid by dynamic SQL and registers it in
``xincheng_uids``, two statements per row. A bulk import of 34,710 plates spent 4.3 s of its 7 s there. New
rows are now registered by one statement-level trigger per table (after the insert, from its transition table
``added``): one insert of every new uid into the registry, in uid order (two imports meeting on the same uids
wait on each other in one order, never in a circle), then, for each uid another district holds, the same test
as before: a uid still used there is refused with the same constraint name and detail (so the service's
message is unchanged), one no longer used there passes to the new district. The row trigger stays for a
changed uid (``UPDATE OF`` the column, when its value changes), which is rare; a row moved to another district
with its uid (an owner's ``UPDATE`` of ``adcode``) takes its registration along (``xincheng_uid_moved``). A
statement trigger on a table does not fire for a write that names a partition itself, so each partition of the
three tables gets its own (``xincheng_add_partition`` gives it to a new one). A partition the owner makes or
attaches by hand gets none: partitions are made by ``xincheng_add_partition`` only.

Revision 0012 gave every spatial table a second GiST index, on ``(adcode, geom)``, so that one district's
box query read one index. Since revision 0014 every such table is partitioned by district: each
partition's own index on ``geom`` already holds one district, and the district's queries prune to its
partition. The second index only doubled the cost of every spatial write (0.9 s of the 34,710-plate
import, the composite GiST being the slower of the two); it is dropped.
SQLite holds one district: nothing changes there but the version.
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

SPATIAL_TABLES = (
    "addresses", "admin_units", "ban_zone_areas", "boundary_disputes", "boundary_lines", "boundary_markers",
    "door_plates", "facilities", "graves", "inspections", "linear_features", "new_estates", "place_names",
    "premises", "street_signs", "streets",
)
GLOBAL_UIDS = {"door_plates": "plate_uid", "addresses": "address_uid", "street_signs": "sign_uid"}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("SELECT pg_advisory_xact_lock(hashtext('xincheng-0016'))")
    for table in SPATIAL_TABLES:  # each partition's index on geom holds one district already
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_adcode_geom")
    op.execute("""
        DO $$ BEGIN
            EXECUTE format($f$
                CREATE OR REPLACE FUNCTION xincheng_uids_added() RETURNS trigger
                LANGUAGE plpgsql SECURITY DEFINER SET search_path = %I, public AS $body$
                DECLARE
                    parent text := TG_ARGV[0];
                    col text := TG_ARGV[1];
                    taken record;
                    holder text;
                    held boolean;
                BEGIN
                    -- Every new uid at once, in uid order; the registry's key serialises two districts
                    -- taking one uid at once (the second waits for the first to end).
                    EXECUTE format('INSERT INTO xincheng_uids (kind, uid, adcode) '
                                   'SELECT DISTINCT ON (a.k) $1, a.k, a.adcode '
                                   'FROM (SELECT %%I::text AS k, adcode::text AS adcode FROM added) a '
                                   'WHERE a.k IS NOT NULL ORDER BY a.k, a.adcode '
                                   'ON CONFLICT (kind, uid) DO NOTHING', col) USING parent;
                    -- A uid registered to another district: refused while that district still uses it.
                    FOR taken IN EXECUTE format(
                            'SELECT r.uid, r.adcode AS holder, a.adcode '
                            'FROM xincheng_uids r JOIN (SELECT %%I::text AS k, adcode::text AS adcode FROM added) a '
                            'ON r.uid = a.k WHERE r.kind = $1 AND r.adcode <> a.adcode '
                            'ORDER BY r.uid, a.adcode FOR UPDATE OF r', col) USING parent LOOP
                        -- Read again: an earlier turn of this loop may have passed the uid to a district of
                        -- this same statement (a uid given to two districts at once is then refused here).
                        SELECT r.adcode INTO holder FROM xincheng_uids r WHERE r.kind = parent AND r.uid = taken.uid;
                        CONTINUE WHEN holder = taken.adcode;
                        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %%I WHERE %%I = $1 AND adcode = $2)', parent, col)
                            INTO held USING taken.uid, holder;
                        IF held THEN
                            RAISE EXCEPTION 'duplicate key value violates unique constraint "%%"',
                                    parent || '_' || col || '_key'
                                USING ERRCODE = 'unique_violation', CONSTRAINT = parent || '_' || col || '_key',
                                      TABLE = parent,
                                      DETAIL = format('Key (%%s)=(%%s) already exists.', col, taken.uid);
                        END IF;
                        UPDATE xincheng_uids SET adcode = taken.adcode WHERE kind = parent AND uid = taken.uid;
                    END LOOP;
                    RETURN NULL;
                END
                $body$ $f$, current_schema());
        END $$""")
    op.execute("REVOKE ALL ON FUNCTION xincheng_uids_added() FROM PUBLIC")
    # A row moved to another district with its uid (the owner's UPDATE of adcode; PostgreSQL moves it between
    # partitions): the registry follows it, as revision 0014's row trigger did on the move's insert.
    op.execute("""
        DO $$ BEGIN
            EXECUTE format($f$
                CREATE OR REPLACE FUNCTION xincheng_uid_moved() RETURNS trigger
                LANGUAGE plpgsql SECURITY DEFINER SET search_path = %I, public AS $body$
                DECLARE
                    key text;
                BEGIN
                    EXECUTE format('SELECT ($1).%%I::text', TG_ARGV[1]) INTO key USING NEW;
                    UPDATE xincheng_uids SET adcode = NEW.adcode
                    WHERE kind = TG_ARGV[0] AND uid = key AND adcode = OLD.adcode;
                    RETURN NEW;
                END
                $body$ $f$, current_schema());
        END $$""")
    op.execute("REVOKE ALL ON FUNCTION xincheng_uid_moved() FROM PUBLIC")
    for table, column in GLOBAL_UIDS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {table}_{column}_across ON {table}")
        op.execute(f"CREATE TRIGGER {table}_{column}_across BEFORE UPDATE OF {column} ON {table} FOR EACH ROW "
                   f"WHEN (OLD.{column} IS DISTINCT FROM NEW.{column}) "
                   f"EXECUTE FUNCTION xincheng_uid_across_districts('{table}', '{column}')")
        op.execute(f"CREATE TRIGGER {table}_{column}_moved BEFORE UPDATE OF adcode ON {table} FOR EACH ROW "
                   f"WHEN (OLD.adcode IS DISTINCT FROM NEW.adcode AND OLD.{column} IS NOT DISTINCT FROM NEW.{column}) "
                   f"EXECUTE FUNCTION xincheng_uid_moved('{table}', '{column}')")
        op.execute(f"CREATE TRIGGER {table}_{column}_added AFTER INSERT ON {table} REFERENCING NEW TABLE AS added "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION xincheng_uids_added('{table}', '{column}')")
        # A statement trigger on the table does not fire for a write naming a partition itself (the owner's
        # hand-written SQL; the district role has no rights on a partition): each partition has its own.
        for (part,) in op.get_bind().exec_driver_sql(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                f"WHERE i.inhparent = '{table}'::regclass ORDER BY c.relname").all():
            op.execute(_partition_trigger(part, table, column))
    op.execute(ADD_PARTITION)


def _partition_trigger(part: str, table: str, column: str) -> str:
    return (f'CREATE TRIGGER "{part}_uids_added" AFTER INSERT ON "{part}" REFERENCING NEW TABLE AS added '
            f"FOR EACH STATEMENT EXECUTE FUNCTION xincheng_uids_added('{table}', '{column}')")


# Revision 0014's function, and then, for a table of QR uids, the new partition's own statement trigger.
ADD_PARTITION = """
    CREATE OR REPLACE FUNCTION xincheng_add_partition(parent text, code text) RETURNS boolean
    LANGUAGE plpgsql AS $body$
    DECLARE
        part text := parent || '_p' || code;
        fallback text := parent || '_pdefault';
        moved boolean := false;
        uid_column text := CASE parent WHEN 'door_plates' THEN 'plate_uid' WHEN 'addresses' THEN 'address_uid'
                                       WHEN 'street_signs' THEN 'sign_uid' END;
    BEGIN
        IF code !~ '^[0-9]{6}$' THEN
            RAISE EXCEPTION 'not a district code: %', code USING ERRCODE = 'invalid_parameter_value';
        END IF;
        -- Two processes adding the same district (two services starting): the second waits, then finds it.
        -- (pg_class read afresh: the session's catalog cache may not have seen the other's commit yet).
        PERFORM pg_advisory_xact_lock(hashtext('xincheng-partition:' || part));
        IF EXISTS (SELECT FROM pg_class WHERE relname = part AND relnamespace = current_schema()::regnamespace) THEN
            RETURN false;
        END IF;
        IF to_regclass(quote_ident(fallback)) IS NOT NULL THEN
            EXECUTE format('CREATE TEMP TABLE xincheng_moving ON COMMIT DROP AS SELECT * FROM %I WHERE adcode = %L',
                           fallback, code);
            EXECUTE format('DELETE FROM %I WHERE adcode = %L', fallback, code);
            moved := true;
        END IF;
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES IN (%L)', part, parent, code);
        EXECUTE format('REVOKE ALL ON %I FROM xincheng_district', part);
        IF uid_column IS NOT NULL THEN
            EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS added FOR EACH STATEMENT '
                           'EXECUTE FUNCTION xincheng_uids_added(%L, %L)', part || '_uids_added', part, parent,
                           uid_column);
        END IF;
        IF moved THEN
            EXECUTE format('INSERT INTO %I SELECT * FROM xincheng_moving', parent);
            DROP TABLE xincheng_moving;
        END IF;
        RETURN true;
    END $body$"""


def downgrade() -> None:
    raise NotImplementedError("迁移不回退: 请恢复升级前的备份 · migrations are not reversed: "
                              "restore the backup taken before the upgrade")
