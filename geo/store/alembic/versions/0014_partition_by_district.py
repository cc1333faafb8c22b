"""partitioned by district: every district table a list-partitioned table, one partition per district

Revision 0014 (schema version 14). Frozen: the tables as they were at version 14.
Never import geo.store.schema here.

On PostgreSQL every table under the district policy of revision 0012 (every table keyed by
``adcode`` except the audit log, which is the database's one commit-ordered feed) becomes a
table partitioned by list of ``adcode``: one partition per district the database holds
(``<table>_p<adcode>``) and a default partition for a district not yet given its own. A
district's queries then read its own partition only (the row-level-security condition names the
district, so the planner prunes the others at run time) and its indexes are its own.

* Keys: a partitioned table's primary and unique keys must hold the partition column, so each
  gains ``adcode`` (``PRIMARY KEY (id, adcode)``; ``UNIQUE (plate_uid, adcode)``): a district's
  codes are unique in the district, as they always were meant to be (two districts may keep
  their own sync batch 1 of a year). The lifetime uids a QR code carries (a plate's, an
  address's, a street sign's) stay unique in the whole database: a trigger refuses another
  district's uid (``xincheng_uid_across_districts``, serialised per uid), with the same
  constraint name and detail as before, so the service's message is unchanged.
* Adding a district: ``xincheng_add_partition(table, adcode)`` makes the district's partition of a
  table and moves its rows out of the default partition, in the caller's transaction; the
  service calls it for every table before it imports a district it does not hold
  (geo/store/partitions.py). Idempotent.
* Sign ids (on QR codes too) come from each district's own counter row, which starts from the
  highest any district has given (``xincheng_counter_floor``, read with the owner's rights).
* Rights: the district role reads and writes the tables only; it has no rights on a partition
  itself, so the table's policy always applies.
SQLite holds one district: nothing changes there but the version.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ROLE = "xincheng_district"
# Lifetime uids on QR codes: unique across the database, not only in a district.
GLOBAL_UIDS = {"door_plates": "plate_uid", "addresses": "address_uid", "street_signs": "sign_uid"}
NOT_PARTITIONED = {"audit_log"}  # the commit-ordered feed (seq) every reader follows; one table

FUNCTIONS = (
    """
    CREATE OR REPLACE FUNCTION xincheng_add_partition(parent text, code text) RETURNS boolean
    LANGUAGE plpgsql AS $body$
    DECLARE
        part text := parent || '_p' || code;
        fallback text := parent || '_pdefault';
        moved boolean := false;
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
        IF moved THEN
            EXECUTE format('INSERT INTO %I SELECT * FROM xincheng_moving', parent);
            DROP TABLE xincheng_moving;
        END IF;
        RETURN true;
    END $body$""",
    """
    CREATE OR REPLACE FUNCTION xincheng_uid_across_districts() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, public AS $body$
    DECLARE
        parent text := TG_ARGV[0];
        col text := TG_ARGV[1];
        key text;
        holder text;
        held boolean;
    BEGIN
        EXECUTE format('SELECT ($1).%I::text', col) INTO key USING NEW;
        IF key IS NULL THEN
            RETURN NEW;
        END IF;
        -- The key's unique index serialises two districts taking one uid at once (the second waits).
        INSERT INTO xincheng_uids (kind, uid, adcode) VALUES (parent, key, NEW.adcode)
            ON CONFLICT (kind, uid) DO NOTHING;
        IF FOUND THEN
            RETURN NEW;
        END IF;
        SELECT adcode INTO holder FROM xincheng_uids WHERE kind = parent AND xincheng_uids.uid = key FOR UPDATE;
        IF holder = NEW.adcode THEN
            RETURN NEW;
        END IF;
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I = $1 AND adcode = $2)', parent, col)
            INTO held USING key, holder;
        IF held THEN
            RAISE EXCEPTION 'duplicate key value violates unique constraint "%"', parent || '_' || col || '_key'
                USING ERRCODE = 'unique_violation', CONSTRAINT = parent || '_' || col || '_key', TABLE = parent,
                      DETAIL = format('Key (%s)=(%s) already exists.', col, key);
        END IF;
        UPDATE xincheng_uids SET adcode = NEW.adcode WHERE kind = parent AND xincheng_uids.uid = key;
        RETURN NEW;
    END $body$""",
    # A sign's id is on its QR code: each district counts in its own row, from the highest any has given.
    """
    CREATE OR REPLACE FUNCTION xincheng_counter_floor(scheme text, prefix text) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, public AS $body$
        SELECT COALESCE(max(c.last_serial), 0) FROM code_counters c WHERE c.scheme = $1 AND c.prefix = $2
    $body$""",
    # The public scans find a plate's, address's or sign's district in one index read.
    """
    CREATE OR REPLACE FUNCTION xincheng_district_of(kind text, uid text) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, public AS $body$
        SELECT r.adcode FROM xincheng_uids r
        WHERE r.kind = CASE $1 WHEN 'plate' THEN 'door_plates' WHEN 'address' THEN 'addresses'
                                WHEN 'sign' THEN 'street_signs' END
          AND r.uid = $2
    $body$""",
)


def _district_tables(conn: sa.Connection) -> list[str]:
    """The tables under revision 0012's district policy (and any later one), the audit log left whole."""
    rows = conn.execute(sa.text(
        "SELECT c.relname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid "
        "WHERE p.polname = 'district_rows' AND c.relnamespace = current_schema()::regnamespace "
        "AND c.relkind = 'r' ORDER BY 1")).scalars()
    return [r for r in rows if r not in NOT_PARTITIONED]


def _districts_held(conn: sa.Connection, tables: list[str]) -> list[str]:
    """Every district code in any of ``tables`` (six ASCII digits; anything else stays in the default)."""
    if not tables:
        return []
    union = " UNION ".join(f"SELECT DISTINCT adcode FROM {t}" for t in tables)
    return sorted(c for c in conn.execute(sa.text(union)).scalars() if c and re.fullmatch(r"[0-9]{6}", c))


def _with_adcode(definition: str) -> str:
    """``UNIQUE (a, b)`` -> ``UNIQUE (a, b, adcode)``; ``PRIMARY KEY (id)`` -> ``PRIMARY KEY (id, adcode)``."""
    found = re.fullmatch(r"(PRIMARY KEY|UNIQUE) \((.*)\)", definition)
    if not found:
        raise RuntimeError(f"unexpected key definition: {definition}")
    columns = [c.strip() for c in found.group(2).split(",")]
    return f"{found.group(1)} ({', '.join([*columns, 'adcode'] if 'adcode' not in columns else columns)})"


def _partition(conn: sa.Connection, table: str, districts: list[str]) -> None:
    """Rebuild ``table`` as a table partitioned by ``adcode``, its rows, keys, indexes, policy and rights kept."""
    def run(sql: str) -> None:
        conn.execute(sa.text(sql))

    def rows(sql: str) -> list[sa.Row]:
        return list(conn.execute(sa.text(sql), {"t": table}).all())

    constraints = rows("SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = CAST(:t AS regclass) ORDER BY contype DESC, conname")
    keys = {c[0] for c in constraints}
    # Read before the rename: each names the table as it is called again at the end.
    indexes = rows("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t "
                   "AND schemaname = current_schema() ORDER BY indexname")
    policies = rows("SELECT polname, pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid), "
                    "ARRAY(SELECT rolname FROM pg_roles WHERE oid = ANY(polroles)) "
                    "FROM pg_policy WHERE polrelid = CAST(:t AS regclass) ORDER BY polname")
    sequences = rows("SELECT a.attname, pg_get_serial_sequence(:t, a.attname) FROM pg_attribute a "
                     "WHERE a.attrelid = CAST(:t AS regclass) AND a.attnum > 0 AND NOT a.attisdropped "
                     "AND pg_get_serial_sequence(:t, a.attname) IS NOT NULL")
    whole = f"{table}__whole"
    run(f"ALTER TABLE {table} RENAME TO {whole}")
    run(f"CREATE TABLE {table} (LIKE {whole} INCLUDING DEFAULTS INCLUDING STORAGE INCLUDING COMMENTS) "
        "PARTITION BY LIST (adcode)")
    for code in districts:
        run(f"SELECT xincheng_add_partition('{table}', '{code}')")
    run(f"CREATE TABLE {table}_pdefault PARTITION OF {table} DEFAULT")
    run(f"REVOKE ALL ON {table}_pdefault FROM {ROLE}")
    run(f"INSERT INTO {table} SELECT * FROM {whole}")
    for column, sequence in sequences:  # else dropping the old table drops the id sequence with it
        run(f"ALTER SEQUENCE {sequence} OWNED BY {table}.{column}")
    run(f"DROP TABLE {whole}")
    for name, kind, definition in constraints:
        run(f"ALTER TABLE {table} ADD CONSTRAINT {name} {_with_adcode(definition) if kind in 'pu' else definition}")
    for name, definition in indexes:
        if name not in keys:
            run(definition)
    run(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    for name, using, check, roles in policies:
        run(f"CREATE POLICY {name} ON {table} TO {', '.join(roles) or 'PUBLIC'} USING ({using}) WITH CHECK ({check})")
    run(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {ROLE}")
    if table in GLOBAL_UIDS:
        column = GLOBAL_UIDS[table]
        run(f"CREATE TRIGGER {table}_{column}_across BEFORE INSERT OR UPDATE OF {column} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION xincheng_uid_across_districts('{table}', '{column}')")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('xincheng-0014'))"))
    # Who holds each QR uid; the district role has no rights on it (the trigger and lookup run as owner).
    conn.execute(sa.text("CREATE TABLE xincheng_uids (kind text NOT NULL, uid text NOT NULL, adcode text NOT NULL, "
                         "PRIMARY KEY (kind, uid))"))
    conn.execute(sa.text(f"REVOKE ALL ON xincheng_uids FROM {ROLE}"))
    for table, column in GLOBAL_UIDS.items():
        conn.execute(sa.text(f"INSERT INTO xincheng_uids SELECT '{table}', {column}, adcode FROM {table} "
                             f"WHERE {column} IS NOT NULL"))
    schema = conn.execute(sa.text("SELECT quote_ident(current_schema())")).scalar_one()
    for sql in FUNCTIONS:
        conn.execute(sa.text(sql.replace("{schema}", schema)))
    conn.execute(sa.text("REVOKE ALL ON FUNCTION xincheng_add_partition(text, text) FROM PUBLIC"))
    conn.execute(sa.text("REVOKE ALL ON FUNCTION xincheng_counter_floor(text, text) FROM PUBLIC"))
    conn.execute(sa.text(f"GRANT EXECUTE ON FUNCTION xincheng_counter_floor(text, text) TO {ROLE}"))
    tables = _district_tables(conn)
    districts = _districts_held(conn, tables)
    for table in tables:
        _partition(conn, table, districts)


def downgrade() -> None:
    raise NotImplementedError("迁移不回退: 请恢复升级前的备份 · migrations are not reversed: "
                              "restore the backup taken before the upgrade")
