"""Messages of the store: constraints the database refused, versions, unknown fields, missing layers."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "store.unique": Message("{field} 的值已存在，不能重复{shown}", "{field} already exists{shown}"),
    "store.not_null": Message("缺少必填字段 {field}", "{field} is required"),
    "store.foreign_key": Message("{field} 引用的记录不存在", "{field} refers to a record that does not exist"),
    "store.check": Message("值不符合规则{rule}", "a value breaks the rule{rule}"),
    "store.conflict": Message("与已存储的记录冲突", "the change conflicts with a stored record"),
    "store.some_value": Message("某个值", "a value"),
    "store.database_url": Message("{field} 须以 sqlite:/// 或 postgresql:// 开头，收到 {value}",
                                  "{field} must start with sqlite:/// or postgresql://; got {value}"),
    "store.database_url_nul": Message("{field} 含有空字符（%00），数据库文件名不能含有它：{value}",
                                      "{field} holds a NUL character (%00), which no database file name can hold: "
                                      "{value}"),
    "store.no_table": Message("没有数据表 {value}", "no table {value}"),
    "store.partition_busy": Message("数据表 {table} 被另一个会话占用，等待 {wait_s} 秒仍未释放，未能为 {district} 建立"
                                    "它的分区：请结束占用它的会话（如 psql 中未提交的事务）后重试",
                                    "district {district}'s partition of table {table} could not be made: another "
                                    "session held the table for {wait_s} s (such as an open transaction in psql); "
                                    "end that session and try again"),
    "store.too_long": Message("{field} 过长（{length} 个字符，该字段最多 {limit} 个）",
                              "{field} is {length} characters long; the field holds at most {limit}"),
    "store.unknown_field": Message("{table} 没有字段 {field}", "{table} has no field {field}"),
    "store.control_character": Message("{field} 含控制字符（如 NUL、ESC）",
                                       "{field} contains a control character (NUL, ESC …)"),
    "store.no_record": Message("没有找到{record}：编号有误，或不属本区",
                               "there is no {record} (a wrong number, or not this district's)"),
    "store.other_district": Message(
        "{field} {value} 不是本区（{district}）：只能写入本区的记录",
        "{field} {value} is not this district ({district}): only its own records are written"),
    "store.one_district": Message(
        "SQLite 数据库只存一个区县（{district}），不能存 {value}：多区县请用 PostGIS",
        "a SQLite database holds one district ({district}), not {value}: use PostGIS for many"),
    "store.unbound_districts": Message(
        "本库未按区县隔离（迁移 0012 未完成，或连接账号不能使用 xincheng_district 角色），只服务本区 {district}，"
        "不能服务 {value}：见 README「Production」",
        "this database does not bind district transactions (migration 0012 missing, or the account may not take "
        "the role xincheng_district): it serves {district} only, not {value}; see the README, Production"),
    "store.unchangeable": Message("字段 {field} 不可修改", "field {field} cannot be changed"),
    "store.stale": Message("记录已被他人修改（{record} 现为第 {current} 版，不是第 {given} 版），请重新载入后再改",
                           "{record} is at version {current}, not {given}: reload it and apply your change again"),
    "store.changed_meanwhile": Message("{table} {id} 已被他人修改，请重新载入",
                                       "{table} {id} was changed meanwhile; reload it"),
    "store.batch_stale": Message("{table} 的记录已被他人修改，请重试",
                                 "{table} records were changed meanwhile; try again"),
    "store.empty_database": Message(
        "数据库还没有任何数据：运行 `xincheng init` 载入样例区，或用 `xincheng import` 导入本区数据",
        "the database holds no data yet: run `xincheng init` to load the sample district, or import your data "
        "with `xincheng import FILE --layer LAYER --crs CRS`"),
    "store.missing_layers": Message(
        "{purpose}需要 {layers}，数据库中还没有这些数据：请导入 {commands}（HTTP：{http}）",
        "{purpose} needs the layers {layers}, which the database does not hold yet: import them: {commands} "
        "(HTTP: {http})"),
    "store.not_empty": Message(
        "数据库已有数据（{held}），样例区不会混入其中：未载入样例区，数据未作任何改动。样例区只载入空数据库；"
        "导入本区数据请用 xincheng import",
        "the database already holds records ({held}), so the sample district was not loaded and nothing was "
        "changed. The sample goes only into an empty database (give another --database-url); add your own data "
        "with `xincheng import FILE --layer LAYER --crs CRS`"),
    # backups (geo/store/backup.py) and schema versions (geo/store/migrations.py)
    "store.backup_not_latest": Message("数据库结构版本为 {version}，备份前请先运行 xincheng migrate",
                                       "the database is at schema version {version}; run xincheng migrate "
                                       "before a backup"),
    "store.archive": Message("备份文件 {path}：{problem}", "{path}: {problem}"),
    "store.archive_not_zip": Message("不是备份文件（{detail}）", "not a backup archive: {detail}"),
    "store.archive_no_manifest": Message("缺少 manifest.json，不是本系统的备份",
                                         "has no manifest.json: not a xincheng backup"),
    "store.archive_bad_manifest": Message("manifest.json 已损坏（{detail}）", "manifest.json is damaged: {detail}"),
    "store.archive_format": Message("格式为 {found}，应为 {expected}", "is a {found} file; expected {expected}"),
    "store.archive_manifest_incomplete": Message("manifest.json 缺少结构版本或表清单",
                                                 "manifest.json lacks a schema version or its list of tables"),
    "store.archive_unknown_table": Message("含有本程序不认识的表 {name}",
                                           "holds a table {name} this release does not know"),
    "store.archive_table_damaged": Message("表 {name} 与清单不符（文件已损坏）",
                                           "the table {name} does not match its manifest (damaged file)"),
    "store.archive_bad_line": Message("表 {name} 第 {number} 行不是该表的记录",
                                      "line {number} of the table {name} is not one of its records"),
    "store.archive_line_fields": Message(
        "表 {name} 第 {number} 行的字段与该表不符（缺少或多出：{fields}），未恢复任何数据",
        "line {number} of the table {name} does not name the table's fields (missing or extra: {fields}); "
        "nothing was restored"),
    "store.archive_bad_value": Message(
        "表 {name} 第 {number} 行的 {field} 不是该列能存的值（类型不符、文本超出该列长度、不是有效几何或数值越界），"
        "未恢复任何数据",
        "line {number} of the table {name}: {field} holds a value its column cannot hold (wrong type, a text longer "
        "than the column, not a valid geometry, or out of range); nothing was restored"),
    "store.archive_table_rejected": Message(
        "表 {name} 的记录无法存入：id 重复、缺少必填值或违反约束，未恢复任何数据",
        "the records of the table {name} cannot be stored: a repeated id, a required value missing or a "
        "constraint broken; nothing was restored"),
    "store.restore_newer_database": Message(
        "数据库结构版本 {have} 比备份（{backup}）新：请恢复到从未迁移过的新数据库",
        "the database is at schema version {have}, newer than the backup ({backup}): restore into a new "
        "database that was never migrated"),
    "store.restore_many_into_sqlite": Message(
        "备份含 {count} 个区县（{districts}），SQLite 数据库只存一个区县，未作任何改动：请恢复到 PostGIS 数据库",
        "the backup holds {count} districts ({districts}) and a SQLite database holds one; nothing was changed: "
        "restore it into a PostGIS database"),
    "store.restore_not_empty": Message(
        "数据库已有数据（{shown}），未作任何改动：请恢复到空数据库，或加 --replace 替换",
        "the database already holds data ({shown}) and was not changed; restore into an empty database, or "
        "pass --replace"),
    "store.restore_older_backup": Message(
        "备份比当前数据库旧，未作任何改动：当前数据库有 {count} 个已报送国家地名信息库的同步批次备份中没有"
        "（{batches}），备份之后已发出 {codes} 个代码（地名代码、区划代码、地址码、路牌编号）；恢复会丢失这些记录，"
        "已发出的代码不会再次发出。确需恢复请加 --accept-older",
        "the backup is older than the database, nothing was changed: {count} sync batch(es) sent to the national "
        "database are not in the backup ({batches}), and {codes} code(s) (place codes, unit codes, address and "
        "sign ids) were issued after it; a restore loses these records (the codes issued are never issued again). "
        "To restore it anyway, pass --accept-older"),
    "store.restore_lost_batch": Message("{year} 年第 {no} 批（{state}）", "{year} #{no} ({state})"),
    # a PostgreSQL restore found no moment in which every table it replaces was free (a server's requests, an open
    # transaction in psql or a long export), and gave up before changing anything
    "store.restore_tables_busy": Message("恢复未开始：{seconds} 秒内其他会话一直在使用要替换的数据表"
                                         "（运行中的服务的请求、psql 中未提交的事务、长时间的导出等）；"
                                         "数据库未作任何改动。请停止服务或结束这些会话后重试",
                                         "the restore did not start: for {seconds} s other sessions kept using the "
                                         "tables it replaces (a running service's requests, a transaction left open in "
                                         "psql, a long export); nothing was changed. Stop the service or end those "
                                         "sessions and try again"),
    # the database refuses writes (a read-only transaction by default, a standby): found before a command's first write
    "store.read_only": Message("数据库只读，本命令要写入却无法写入（PostgreSQL 处于只读状态，如备库或 "
                               "default_transaction_read_only）：请对可写的数据库运行本命令",
                               "the database is read-only and this command writes to it (PostgreSQL is read-only: a "
                               "standby, or default_transaction_read_only): run the command on a writable database"),
    "store.restore_sent": Message("已报送 {at}", "sent {at}"),
    "store.restore_acknowledged": Message("已回执 {ref}，{at}", "acknowledged {ref}, {at}"),
    "store.backup_too_new": Message("备份的结构版本 {version} 比本程序（{latest}）新，请安装新版本",
                                    "the backup is at schema version {version}, newer than this release ({latest})"),
    "store.unknown_revision": Message("数据库处于本程序不认识的结构修订 {revision}，请升级程序",
                                      "the database is at schema revision {revision}, which this release does not "
                                      "know; install the release that made it"),
    "store.several_revisions": Message("数据库的结构修订不唯一 {heads}，不是本服务建立的数据库",
                                       "the database records several schema revisions {heads}; it was not made by "
                                       "this service"),
    "store.database_too_new": Message("数据库结构版本 {version} 比本程序（{latest}）新，请安装新版本",
                                      "the database is at schema version {version}, newer than this release "
                                      "({latest}); install the newer release"),
    "store.no_schema_version": Message("没有结构版本 {stop}（最新为 {latest}）",
                                       "no schema version {stop}; the latest is {latest}"),
}
