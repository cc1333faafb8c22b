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
    "cli.no_folder": Message("文件夹 {folder} 不存在，请先创建", "there is no folder {folder}; create it first"),
    "cli.not_writable": Message("无权写入文件夹 {folder}", "the folder {folder} cannot be written to"),
    "cli.bad_suffix": Message("文件名须以 {suffixes} 结尾，收到 {name}",
                              "the file name must end in {suffixes}; got {name}"),
    "cli.not_a_number": Message("须为数字，收到 {got}", "must be a number; got {got}"),
    "cli.not_positive": Message("须为大于 0 的数，收到 {got}", "must be a number greater than 0; got {got}"),
    "cli.not_one_of": Message("{got} 不在可选值中，可选：{allowed}", "{got} is not one of {allowed}"),
    "cli.database_failed": Message("无法打开或读取数据库（检查 --database-url 或 XINCHENG_DATABASE_URL）：{detail}",
                                   "cannot open or read the database (check --database-url or "
                                   "XINCHENG_DATABASE_URL): {detail}"),
    "cli.io_failed": Message("无法读写文件：{detail}", "could not read or write a file: {detail}"),
    "cli.dev_too_late": Message("--dev 须在设置读取之前给出", "--dev must come before the settings are read"),
    "cli.choose_one_batch": Message("请在 --street、--community 和 --reprints 中选且只选一个",
                                    "choose exactly one of --street, --community and --reprints"),
    "cli.no_plates_match": Message("没有符合条件的现行门牌", "no active plates match"),
    "cli.passwords_differ": Message("两次输入的密码不一致", "the two passwords differ"),
    "cli.dev_accounts_dev_only": Message("开发账号只能在 --dev 模式下创建", "dev accounts are only for --dev mode"),
    "cli.attribution_required": Message("使用 --basemap-url 时必须给出 --attribution（底图服务商的条款）",
                                        "--attribution is required with --basemap-url (the provider's terms)"),
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
