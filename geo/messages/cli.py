"""Messages of the ``xincheng`` command: bad paths and options, empty results, table headers."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    # options and arguments (click names the option or argument in ``param``)
    "cli.bad_parameter": Message("{param} 的值无效", "invalid value for {param}"),
    "cli.no_file": Message("文件不存在：{path}", "no file {path}"),
    "cli.empty_file": Message("文件为空：{path}", "the file {path} is empty"),
    "cli.not_readable": Message("无权读取 {path}", "{path} cannot be read (permission denied)"),
    "cli.path_is_folder": Message("{path} 是文件夹，请给出文件名", "{path} is a folder; give a file name"),
    "cli.path_not_folder": Message("{path} 是文件，请给出文件夹", "{path} is a file; give a folder"),
    "cli.inside_a_file": Message("{path} 是文件，不是文件夹：不能在它里面写文件",
                                 "{path} is a file, not a folder: nothing can be written inside it"),
    "cli.no_folder": Message("文件夹 {folder} 不存在，请先创建", "there is no folder {folder}; create it first"),
    "cli.name_too_long": Message("名称过长：{name} 占 {size} 字节，此处最多 {most} 字节"
                                 "（常用汉字占 3 字节，生僻字占 4 字节）",
                                 "name too long: {name} takes {size} bytes, at most {most} here (a common Chinese "
                                 "character takes 3, a rare one 4)"),
    "cli.symlink_loop": Message("{path} 是循环的符号链接，或要经过太多层链接（超过 40 层）",
                                "{path} is a symbolic link that loops, or passes through too many links (over 40)"),
    "cli.cwd_gone": Message("当前所在的文件夹已不存在（被删除或移走），无法找到 {path}：请换到存在的文件夹或写完整路径",
                            "the working folder no longer exists (removed or moved), so {path} cannot be found: "
                            "change to a folder that exists or give the whole path"),
    "cli.symlink_dangling": Message("{path} 是符号链接，指向的 {target} 不存在",
                                    "{path} is a symbolic link to {target}, which does not exist"),
    "cli.tilde": Message("{path} 以 ~ 开头，但 ~ 没有展开成主文件夹（路径加了引号？）：请写完整路径",
                         "{path} starts with ~, which was not expanded to the home folder (was the path quoted?): "
                         "give the whole path"),
    "cli.symlink_too_long": Message("{path} 是符号链接，指向的名称过长（超过本机允许的长度）",
                                    "{path} is a symbolic link to a name longer than this machine allows"),
    "cli.path_too_long": Message("路径过长：共 {size} 字节，本机最多 {most} 字节（常用汉字占 3 字节，生僻字占 4 字节）",
                                 "path too long: {size} bytes, at most {most} on this machine (a common Chinese "
                                 "character takes 3, a rare one 4)"),
    "cli.not_writable": Message("无权写入文件夹 {folder}", "the folder {folder} cannot be written to"),
    "cli.bad_suffix": Message("文件名须以 {suffixes} 结尾，收到 {name}",
                              "the file name must end in {suffixes}; got {name}"),
    "cli.not_a_number": Message("须为数字，收到 {got}", "must be a number; got {got}"),
    "cli.not_positive": Message("须为大于 0 的数，收到 {got}", "must be a number greater than 0; got {got}"),
    # a record changed since the version given: named in words (问题报告 3), with the command that lists it
    "cli.stale_record": Message("记录已被他人修改：{record} 现为第 {current} 版，不是第 {given} 版；"
                                "请用 {command} 查看后重试",
                                "{record} is at version {current}, not {given}: it was changed meanwhile; see it "
                                "with {command} and try again"),
    "cli.not_one_of": Message("{got} 不在可选值中，可选：{allowed}", "{got} is not one of {allowed}"),
    "cli.database_failed": Message("无法打开或读取数据库（检查 --database-url 或 XINCHENG_DATABASE_URL）：{detail}",
                                   "cannot open or read the database (check --database-url or "
                                   "XINCHENG_DATABASE_URL): {detail}"),
    # PostgreSQL ended this transaction to break a deadlock with another session's (40P01): nothing was changed
    "cli.database_deadlock": Message("另一会话同时在改同一批记录，数据库为解开互相等待（死锁）撤销了本命令，"
                                     "未做任何更改；请稍后重试：{detail}",
                                     "another session was changing the same records and the database undid all of "
                                     "this command's changes to end the deadlock; nothing was changed; try again "
                                     "shortly: {detail}"),
    # PostgreSQL refused the account (42501): the database was opened; a grant is missing, not the address
    "cli.database_permission": Message("数据库拒绝了本操作：当前数据库账户缺少所需权限（请数据库管理员按 README "
                                       "“Production”第 1 步授予，如 xincheng_district 角色、TEMP 权限）：{detail}",
                                       "the database refused this: the database account lacks a privilege it needs "
                                       "(ask the database's administrator to grant it as README's Production "
                                       "step 1 says, e.g. the xincheng_district role or TEMP): {detail}"),
    # a SQLite file named by the settings is not there, and the command only reads or adds to a database
    "cli.no_database_file": Message("数据库文件不存在（或是空文件）：{path}（检查 --database-url 或 "
                                    "XINCHENG_DATABASE_URL；新库用 xincheng init 创建，备份用 xincheng restore 恢复）；"
                                    "本命令不会新建空库",
                                    "the database file does not exist (or is empty): {path} (check --database-url or "
                                    "XINCHENG_DATABASE_URL; make a new one with xincheng init, or restore a backup "
                                    "with xincheng restore); this command never creates an empty database"),
    # a PostgreSQL database without the service's tables, and the command only reads or adds to a database
    "cli.no_database_schema": Message("数据库中还没有本服务的数据表：{where}（检查 --database-url 或 "
                                      "XINCHENG_DATABASE_URL；新库用 xincheng init 创建，"
                                      "备份用 xincheng restore 恢复）；本命令不会新建空库",
                                      "the database holds none of the service's tables: {where} (check --database-url "
                                      "or XINCHENG_DATABASE_URL; make a new one with xincheng init, or restore a "
                                      "backup with xincheng restore); this command never creates an empty database"),
    # the settings name a folder, a pipe, a socket or a device where a SQLite database file should be
    "cli.not_a_file": Message("数据库路径不是文件（是文件夹、管道、套接字或设备）：{path}（检查 --database-url 或 "
                              "XINCHENG_DATABASE_URL）",
                              "the database path is not a file (a folder, a pipe, a socket or a device): {path} "
                              "(check --database-url or XINCHENG_DATABASE_URL)"),
    # the database lies in a folder nothing may be written to (a read-only mount, a disc, a share): the service
    # writes beside a database even to read it (its -shm; a database not yet in WAL mode is switched to it)
    "cli.read_only_folder": Message("数据库所在的文件夹只读：{folder}。本服务读取数据库时也要在它旁边写文件"
                                    "（{name}-shm、{name}-wal），只读位置（只读挂载、光盘、只读共享）上的数据库"
                                    "无法打开；请把 {files} 复制到可写的文件夹，再对副本运行本命令",
                                    "the database's folder is read-only: {folder}. The service writes files beside a "
                                    "database even to read it ({name}-shm, {name}-wal), so a database in a "
                                    "read-only place (a read-only mount, a disc, a read-only share) cannot be "
                                    "opened; copy {files} to a writable folder and run the command on "
                                    "the copy"),
    # a database opened immutable=1 (SQLite reads the main file alone) has a -wal beside it holding changes
    "cli.immutable_wal_unread": Message("注意：数据库旁有 {name}-wal（{size} 字节），以 immutable 方式打开时不读取它，"
                                        "其中已提交的更改不会显示；要包含这些更改，请把 {name} + {name}-wal "
                                        "复制到可写的文件夹，再不带 immutable 打开副本",
                                        "note: {name}-wal ({size} bytes) lies beside the database and is not read "
                                        "when the database is opened immutable, so changes committed into it are not "
                                        "shown; to include them, copy {name} + {name}-wal to a writable folder and "
                                        "open the copy without immutable"),
    # a command that makes or changes the database as a whole (init, migrate, restore) in a read-only folder
    "cli.read_only_folder_write": Message("数据库所在的文件夹只读：{folder}；{command} 要写入数据库，"
                                          "请选一个可写的位置",
                                          "the database's folder is read-only: {folder}; {command} writes the "
                                          "database: choose a writable place"),
    # SQLite waited its busy timeout (wait_s) for a lock another program kept: not a wrong address
    "cli.database_locked": Message("数据库文件被另一个程序锁定，等待 {wait_s} 秒仍未释放：请结束占用它的程序"
                                   "（如仍在写入的 sqlite3、DB Browser 或另一条 xincheng 命令）后重试：{detail}",
                                   "the database file is locked by another program and was not released within "
                                   "{wait_s} s: end the program holding it (a sqlite3 shell or DB Browser still "
                                   "writing, another xincheng command) and try again: {detail}"),
    "cli.database_lock_waited": Message("数据库中要写入的记录或表被另一个会话锁定，等待 {wait_s} 秒仍未释放："
                                        "请结束占用它的会话（如 psql 中未提交的事务或另一条 xincheng 命令）"
                                        "后重试：{detail}",
                                        "the records or table to write are locked by another database session and "
                                        "were not released within {wait_s} s: end the session holding them (a "
                                        "transaction left open in psql, another xincheng command) and try again: "
                                        "{detail}"),
    # the database opened and could be read, but refuses writes: a read-only file or copy (SQLite's READONLY) or a
    # PostgreSQL server or transaction in read-only mode (SQLSTATE 25006: a standby, default_transaction_read_only)
    "cli.database_read_only": Message("数据库只读，本命令要写入却无法写入（数据库文件或其文件夹不可写、位于只读挂载上，"
                                      "或 PostgreSQL 处于只读状态，如备库）：请对可写的数据库运行本命令：{detail}",
                                      "the database is read-only and this command writes to it (the database file or "
                                      "its folder may not be written, it lies on a read-only mount, or PostgreSQL is "
                                      "read-only, a standby say): run the command on a writable database: {detail}"),
    "cli.io_failed": Message("无法读写文件：{detail}", "could not read or write a file: {detail}"),
    "cli.dev_too_late": Message("--dev 须在设置读取之前给出", "--dev must come before the settings are read"),
    "cli.choose_plate_or_address": Message("请在 --plate 和 --address 中选且只选一个",
                                           "choose exactly one of --plate and --address"),
    "cli.svg_one_address": Message("一个 SVG 文件只能放一个地址，此门牌有 {count} 个：请用 --address 选其一，"
                                   "或写成 .pdf",
                                   "an SVG file holds one address and this plate has {count}: choose one with "
                                   "--address, or write a .pdf"),
    "cli.choose_one_batch": Message("请在 --street、--community 和 --reprints 中选且只选一个",
                                    "choose exactly one of --street, --community and --reprints"),
    "cli.choose_one_qr_batch": Message("请在 --street 和 --community 中选且只选一个",
                                       "choose exactly one of --street and --community"),
    "cli.no_plates_match": Message("没有符合条件的现行门牌", "no active plates match"),
    "cli.passwords_differ": Message("两次输入的密码不一致", "the two passwords differ"),
    "cli.dev_accounts_dev_only": Message("开发账号只能在 --dev 模式下创建", "dev accounts are only for --dev mode"),
    "cli.attribution_required": Message("使用 --basemap-url 时必须给出 --attribution（底图服务商的条款）",
                                        "--attribution is required with --basemap-url (the provider's terms)"),
    "cli.sample_district": Message(
        "样例区是新城区（{own}）的数据，不能载入区县 {district}："
        "用 --empty 只建库，再用 xincheng --district {district} import 导入该区数据",
        "the sample is 新城区's ({own}) and cannot be loaded as district {district}: use --empty to create the "
        "database, then xincheng --district {district} import that district's data"),
    "cli.restore_target_made": Message(
        "恢复期间另一个命令在 {path} 建了数据库：未替换它，未恢复任何数据；请确认该文件后重新恢复",
        "another command made a database at {path} during the restore: it was not replaced and nothing was restored; "
        "check that file and restore again"),
    "cli.restore_whole": Message(
        "备份与恢复针对整个数据库（所有区县），与 --district 无关",
        "a backup and its restore are the whole database's (every district), whatever --district says"),
    "cli.kept_data": Message("数据库已有数据：已升级结构、保留原数据，未载入样例区",
                             "the database holds data: upgraded its schema, kept the data, loaded no sample"),
    # results
    "cli.no_names": Message("没有与“{query}”匹配的地名；可用汉字（锡林郭勒北路）、全拼（xilinguolebeilu）"
                            "或首字母（xlglbl）检索",
                            "no names match {query!r}; search by Chinese, full pinyin or initials"),
    "cli.wrote": Message("已写入 {path}", "wrote {path}"),
    "cli.wrote_params": Message("参数另存于 {path}", "parameters written beside it to {path}"),
    "cli.plate_counts": Message("门牌 {covered} 块在步行范围内，{beyond} 块在范围外，{other} 块未连到路网",
                                "plates: {covered} within the walk, {beyond} beyond it, {other} not on the network"),
    "cli.unattached_facilities": Message("离道路过远、未计入的设施：{ids}",
                                         "facilities too far from any street (left out): {ids}"),
    "cli.missing_supply": Message("{count} 个设施缺少 {supply} 数值（按 0 计）",
                                  "{count} facilities without a {supply} value (counted as 0)"),
    # columns of the per-plate table (``coverage --plates``) and parameters not in planning_outputs
    "cli.col.address": Message("地址", "address"),
    "cli.col.settlement_type": Message("聚落类型", "settlement type"),
    "cli.col.norm_key": Message("村级标准", "village norm"),
    "cli.col.norm_m2": Message("标准面积 (m²)", "norm (m²)"),
    "cli.col.care_floor_area_m2": Message("已配养老用房 (m²)", "elder-care floor area provided (m²)"),
    "cli.col.required_m2": Message("应配 (m²)", "required (m²)"),
    "cli.col.area_shortfall_m2": Message("面积缺口 (m²)", "floor-area shortfall (m²)"),
    "cli.col.care_per100_m2": Message("每百户养老用房 (m²)", "elder-care m² per 100 households"),
    "cli.col.area_ok": Message("面积达标", "floor area met"),
    "cli.col.planned": Message("同步规划", "planned together"),
    "cli.col.built": Message("同步建设", "built together"),
    "cli.col.inspected": Message("同步验收", "inspected together"),
    "cli.col.handed_over": Message("同步交付", "handed over together"),
    "cli.col.late_days_planned": Message("规划滞后天数", "days planning lagged"),
    "cli.col.late_days_built": Message("建设滞后天数", "days building lagged"),
    "cli.col.late_days_inspected": Message("验收滞后天数", "days inspection lagged"),
    "cli.col.late_days_handed_over": Message("交付滞后天数", "days hand-over lagged"),
    "cli.col.all_in_sync": Message("四同步", "all four in sync"),
    "cli.col.community_code": Message("社区代码", "community code"),
    "cli.col.community": Message("社区", "community"),
    "cli.col.plate_status": Message("门牌状态", "plate status"),
    "cli.col.coverage_status": Message("覆盖状态", "coverage status"),
    "cli.col.facility_id": Message("最近设施编号", "nearest facility id"),
    "cli.col.facility_name": Message("最近设施", "nearest facility"),
    "cli.col.facility_kind": Message("设施类型", "facility kind"),
    "cli.col.distance_m": Message("路网步行距离 (米)", "network walking distance (m)"),
    "cli.col.minutes": Message("步行时间 (分钟)", "walking time (min)"),
    "cli.col.offset_m": Message("离路距离 (米)", "distance off the street (m)"),
    "cli.col.in_no_catchment": Message("不在任何设施服务范围内的60岁以上人口", "residents 60+ in no catchment"),
    "cli.col.share_in_no_catchment": Message("不在服务范围内的60岁以上人口比例 (%)",
                                             "share of residents 60+ in no catchment (%)"),
    "cli.col.score_per100_60plus": Message("每百名60岁以上老人可达供给", "supply within reach per 100 residents 60+"),
    "cli.param.supply": Message("供给", "supply"),
}

# click's own usage errors, said Chinese first (api/cli/common.py translates them in one place)
MESSAGES.update({
    "cli.usage.missing_argument": Message("缺少参数 {name}", "Missing argument {name}"),
    "cli.usage.missing_option": Message("缺少选项 {name}", "Missing option {name}"),
    "cli.usage.missing_choice": Message("缺少选项 {name}，可选：{allowed}",
                                        "Missing option {name}; choose from {allowed}"),
    "cli.usage.no_such_option": Message("没有选项 {name}", "No such option {name}"),
    "cli.usage.no_such_command": Message("没有命令 {name}", "No such command {name}"),
    "cli.usage.did_you_mean": Message("{problem}（是否想用 {possible}？）", "{problem} (did you mean {possible}?)"),
    "cli.usage.needs_value": Message("选项 {name} 需要给出值", "Option {name} requires a value"),
    "cli.usage.takes_no_value": Message("选项 {name} 不接受值", "Option {name} does not take a value"),
    "cli.usage.extra_arguments": Message("多余的参数：{values}", "Got unexpected extra arguments: {values}"),
    "cli.usage.missing_command": Message("缺少子命令（用 --help 查看可用命令）", "Missing command (see --help)"),
    "cli.usage.other": Message("命令行用法有误：{detail}", "Usage error: {detail}"),
    "cli.usage.bad_value": Message("{param} 的值无效：{problem}", "Invalid value for {param}: {problem}"),
    "cli.usage.not_integer": Message("{value} 不是整数", "{value} is not a valid integer"),
    "cli.usage.not_number": Message("{value} 不是数字", "{value} is not a valid number"),
    "cli.usage.not_boolean": Message("{value} 不是是/否值（true/false）", "{value} is not a valid boolean"),
    "cli.usage.not_choice": Message("{value} 不在可选值中，可选：{allowed}", "{value} is not one of {allowed}"),
    "cli.usage.out_of_range": Message("{value} 不在范围 {range} 内", "{value} is not in the range {range}"),
    "cli.usage.bad_date": Message("{value} 不符合日期格式 {formats}", "{value} does not match the format {formats}"),
    "cli.usage.path_missing": Message("路径 {path} 不存在", "{path} does not exist"),
    "cli.usage.path_is_file": Message("{path} 是文件，请给出文件夹", "{path} is a file; give a folder"),
    "cli.usage.path_is_folder": Message("{path} 是文件夹，请给出文件名", "{path} is a folder; give a file name"),
    "cli.usage.path_denied": Message("无权访问 {path}", "{path} cannot be used (permission denied)"),
    "cli.qr_base": Message("二维码指向 {url}", "QR codes point at {url}"),
    "cli.listen_failed": Message(
        "无法在 {address} 上监听（--host / --port）：{reason}。若该端口已被另一个程序（或另一个 xincheng serve）占用，"
        "请换一个 --port 或先停止它；--host 须是本机的地址",
        "cannot listen on {address} (--host / --port): {reason}. If another program (or another xincheng serve) "
        "is using the port, choose another --port or stop it first; --host must be an address of this machine"),
    "cli.serving_on": Message("即将在 {url} 提供服务（工作进程 {workers} 个）",
                              "about to serve on {url} (worker processes: {workers})"),
    "cli.serving_on_own_sockets": Message(
        "即将在 {url} 提供服务（工作进程 {workers} 个，各自监听，--reuse-port）",
        "about to serve on {url} (worker processes: {workers}, each listening on its own socket: --reuse-port)"),
    "cli.no_lan_address": Message(
        "警告：未找到本机的局域网 IPv4 地址，二维码将指向 127.0.0.1，手机扫码无法打开；请设置 XINCHENG_PUBLIC_BASE_URL"
        "（如 export XINCHENG_PUBLIC_BASE_URL=http://192.168.1.20:{port}）后重启",
        "warning: no network IPv4 address of this machine was found, so QR codes point at 127.0.0.1, which a "
        "phone cannot open; set XINCHENG_PUBLIC_BASE_URL (e.g. export XINCHENG_PUBLIC_BASE_URL="
        "http://192.168.1.20:{port}) and restart"),
    "cli.schema": Message("结构版本 {version}（{dialect}），本次应用 {applied}",
                          "schema at version {version} ({dialect}); applied {applied}"),
    "cli.none_applied": Message("无", "none"),
    "cli.backup_written": Message("已写入 {path}：{tables} 张表共 {rows} 行，结构版本 {version}",
                                  "wrote {path}: {rows} rows in {tables} tables, schema version {version}"),
    "cli.user_created": Message("已创建 {name}（{role}）", "created {name} ({role})"),
    "cli.dev_account": Message("已创建 {name} / {password}（{role}，仅在开发模式下可用）",
                               "created {name} / {password} ({role}, works only in dev mode)"),
    "cli.match.exact": Message("名称完全一致", "exact name"),
    "cli.match.pinyin_exact": Message("全拼一致", "pinyin"),
    "cli.match.initials_exact": Message("首字母一致", "initials"),
    "cli.match.former_exact": Message("曾用名一致", "former name"),
    "cli.match.prefix": Message("名称开头", "name prefix"),
    "cli.match.pinyin_prefix": Message("全拼开头", "pinyin prefix"),
    "cli.match.initials_prefix": Message("首字母开头", "initials prefix"),
    "cli.match.former_prefix": Message("曾用名开头", "former-name prefix"),
    "cli.match.substring": Message("名称包含", "part of the name"),
    "cli.match.pinyin_substring": Message("全拼包含", "part of the pinyin"),
    "cli.match.fuzzy": Message("近似（容错）", "close (typo-tolerant)"),
    "cli.usage.help": Message("显示本帮助并退出", "Show this message and exit"),
})
