"""Messages of cemetery zoning (CM-01), plot sizes (CM-02), burial statistics and their indicators."""

from __future__ import annotations

from geo.messages import Message

PLOT_TYPES = {
    "body_single": ("单人遗体墓", "single body grave"), "body_double": ("双人遗体墓", "double body grave"),
    "ashes_single": ("单人骨灰墓", "single ashes grave"), "ashes_double": ("双人骨灰墓", "double ashes grave"),
    "niche": ("骨灰格位", "niche"), "tree": ("树葬", "tree burial"), "lawn": ("草坪葬", "lawn burial"),
    "flower": ("花坛葬", "flower-bed burial"), "wall": ("壁葬", "wall burial"),
}

MESSAGES = {
    **{f"cemeteries.plot.{key}": Message(zh, en) for key, (zh, en) in PLOT_TYPES.items()},
    # the settings file (geo/planning/ban_zone_settings.py)
    "cemeteries.mixed_levels": Message("{year} 年已有 {other} 的殡葬统计：同一年只能按全区一行或按街道、镇分行录入，"
                                       "不能两者并存（{unit_code}）",
                                       "{year} already has burial statistics for {other}: a year is recorded either as "
                                       "one district row or per sub-district and town, never both ({unit_code})"),
    "cemeteries.site_degenerate": Message("拟选址面积不足 {most} 平方米，不是有效的场地范围"
                                          "（请画出场地边界或给出一个点）",
                                          "the proposed site covers less than {most} m²: not a site outline "
                                          "(draw the site's boundary or give a point)"),
    "cemeteries.site_outside": Message("拟选址须整体位于本区范围内"
                                       "（CM-01 只有本区的禁葬区数据；检查坐标系与经纬度顺序）",
                                       "the proposed site must lie wholly inside the district (CM-01 has ban-zone "
                                       "data for the district only; check the CRS and the axis order)"),
    "cemeteries.settings_unreadable": Message("禁葬区设置文件 {path} 无法读取：{reason}",
                                              "the ban-zone settings file {path} cannot be read: {reason}"),
    "cemeteries.settings_missing": Message("禁葬区设置文件缺少 {key}（CM-01）",
                                           "the ban-zone settings file lacks {key} (CM-01)"),
    "cemeteries.settings_unknown": Message("禁葬区设置 {key} 不是可用的类别，可用：{allowed}",
                                           "ban-zone setting {key} is not a known class; allowed: {allowed}"),
    "cemeteries.settings_number": Message("禁葬区设置 {key} 须为不小于 {low} 的数（米或平方米），得到 {value}",
                                          "ban-zone setting {key} must be a number ≥ {low} (m or m²); got {value}"),
    "cemeteries.settings_basis": Message("禁葬区设置 {key} 须为 assumed（假定值）或 sourced（有出处），得到 {value}",
                                         "ban-zone setting {key} must be assumed or sourced; got {value}"),
    "cemeteries.settings_text": Message("禁葬区设置 {key} 须写明出处（非空文字）",
                                        "ban-zone setting {key} must name its source (non-empty text)"),
    "cemeteries.settings_bool": Message("禁葬区设置 {key} 须为 true 或 false，得到 {value}",
                                        "ban-zone setting {key} must be true or false; got {value}"),
    # basis labels
    "cemeteries.basis.assumed": Message("假定值，待禁葬区图确认", "assumed until the official ban-zone map"),
    "cemeteries.basis.sourced": Message("有出处", "sourced"),
    # the site check
    "cemeteries.zone_name": Message("{kind}：{name}（缓冲 {buffer_m} 米）", "{kind}: {name} ({buffer_m} m buffer)"),
    "cemeteries.zone_area": Message("{kind}：{name}（范围本身）", "{kind}: {name} (the area itself)"),
    "cemeteries.shortfall": Message("距{kind} {name} {distance_m} 米，缓冲 {buffer_m} 米，差 {shortfall_m} 米",
                                    "{distance_m} m from {kind} {name}, buffer {buffer_m} m, short by {shortfall_m} m"),
    "cemeteries.inside_area": Message("位于{kind} {name} 内：重叠 {overlap_m2} 平方米，占选址 {share}",
                                      "inside {kind} {name}: {overlap_m2} m² overlap, {share} of the site"),
    "cemeteries.inside_point": Message("位于{kind} {name} 内", "inside {kind} {name}"),
    "cemeteries.verdict_refused": Message("不可选址：选址触及 {count} 处禁葬区（CM-01）",
                                          "not allowed: the site touches {count} burial-ban zone(s) (CM-01)"),
    "cemeteries.verdict_allowed": Message("可以选址：不在任何已登记的禁葬区内（依据下列假定与出处）",
                                          "allowed: outside every recorded ban zone (on the assumptions listed)"),
    "cemeteries.no_zones": Message("没有任何禁葬区数据（线状地物与七区图层均为空），无法判断选址：请先导入",
                                   "no ban-zone data (linear features and ban-zone areas are empty): the site "
                                   "cannot be judged; import them first"),
    "cemeteries.file_unreadable": Message("文件 {path} 无法读取：{reason}", "the file {path} cannot be read: {reason}"),
    "cemeteries.wkt": Message("{field} 不是有效的 WKT 几何：{reason}", "{field} is not valid WKT: {reason}"),
    "cemeteries.site_kind": Message("{field} 须为点或面（Point、Polygon、MultiPolygon），得到 {value}",
                                    "{field} must be a Point, Polygon or MultiPolygon; got {value}"),
    # plot types (CM-02)
    "cemeteries.plot_type": Message("墓位类型 plot_type {value} 不可用，可用：{allowed}",
                                    "plot_type {value} is not allowed; allowed: {allowed}"),
    "cemeteries.area": Message("墓位面积 area_m2 须大于 0、不超过 1000 平方米（CM-02），得到 {value}",
                               "area_m2 must be greater than 0 and at most 1000 m² (CM-02); got {value}"),
    "cemeteries.plots": Message("墓位数 plots 须为非负整数，得到 {value}",
                                "plots must be a whole number ≥ 0; got {value}"),
    "cemeteries.not_cemetery": Message("设施 {facility_id} 不是公益性公墓（类别 {kind}）：墓位类型只记在公墓上",
                                       "facility {facility_id} is not a public cemetery (kind {kind}): plot types "
                                       "belong to cemeteries"),
    "cemeteries.duplicate_plot": Message("设施 {facility_id} 已有墓位类型 {plot_type}（版本 {version}）：请修改该记录",
                                         "facility {facility_id} already has plot type {plot_type} (version "
                                         "{version}): update that record"),
    "cemeteries.over_limit": Message("CM-02 {cemetery} 的 {plot_type} 每穴 {area_m2} 平方米，超过限值 {limit_m2} 平方米"
                                     "（{basis}：{source}）",
                                     "CM-02 {cemetery}: {plot_type} {area_m2} m² per plot exceeds the limit "
                                     "{limit_m2} m² ({basis}: {source})"),
    "cemeteries.plot_recorded": Message("已记录墓位类型 {plot_type}（记录 {id}）", "plot type {plot_type} recorded "
                                        "(record {id})"),
    # burial statistics
    "cemeteries.year": Message("年份 year 须在 {low}–{high} 之间（不晚于今年），得到 {value}",
                               "year must be {low}–{high} (not after this year); got {value}"),
    "cemeteries.deaths_required": Message("{field} 须填写：火化率、安葬数都以死亡人数为分母",
                                          "{field} is required: the cremation and burial rates are shares of it"),
    "cemeteries.count": Message("{field} 须为 0 到 10,000,000 之间的整数，得到 {value}",
                                "{field} must be a whole number from 0 to 10,000,000; got {value}"),
    "cemeteries.count_exceeds": Message("{field}（{value}）不能多于 {other}（{limit}）",
                                        "{field} ({value}) cannot exceed {other} ({limit})"),
    "cemeteries.unit": Message("统计单位 unit_code {value} 不是本区的街道、镇或区",
                               "unit_code {value} is not this district, one of its sub-districts or its town"),
    "cemeteries.unit_retired": Message(
        "统计单位 unit_code {value} 已因区划调整撤销，其区域现为 {successor}：请按现单位记录",
        "unit_code {value} was retired by a division change; its land is now {successor}: record the figures "
        "under it"),
    "cemeteries.year_under_former_code": Message(
        "{year} 年该区域已按原代码 {former} 记录殡葬统计（版本 {version}），{unit_code} 为其现代码：请修改该记录，"
        "不要重复记录",
        "burial statistics for {year} exist for this land under its former code {former} (version {version}), "
        "{unit_code} being its code now: update that record instead of recording the year twice"),
    "cemeteries.duplicate_year": Message("{year} 年 {unit_code} 已有殡葬统计（版本 {version}）：请修改该记录",
                                         "burial statistics for {year} {unit_code} exist (version {version}): "
                                         "update that record"),
    "cemeteries.csv_columns": Message("CSV 缺少列：{columns}", "the CSV lacks columns: {columns}"),
    "cemeteries.csv_empty": Message("CSV 没有数据行", "the CSV has no data rows"),
    "cemeteries.csv_summary": Message("已导入 {written} 行，拒绝 {refused} 行", "{written} rows imported, {refused} "
                                      "refused"),
    # the indicators
    "cemeteries.note.cremation": Message("{year} 年：火化 {cremations} / 死亡 {deaths}（火葬区范围按已录入统计单位）",
                                         "{year}: {cremations} cremations of {deaths} deaths (cremation zone = "
                                         "the units with statistics)"),
    "cemeteries.note.eco": Message("{year} 年：生态安葬 {eco_burials} / 安葬 {burials}",
                                   "{year}: {eco_burials} eco burials of {burials} burials"),
    "cemeteries.note.new_eco": Message("2021 年以来启用的公墓 {opened} 处，其中节地生态 {eco} 处；"
                                       "规划中或在建 {planned} 处不计",
                                       "{opened} cemeteries opened since 2021, {eco} of them eco; {planned} planned "
                                       "or under construction not counted"),
    "cemeteries.note.no_statistics": Message("没有殡葬统计：请用 xincheng cemetery stats import 录入",
                                             "no burial statistics: record them with xincheng cemetery stats import"),
    "cemeteries.note.plots": Message("在用公墓墓位 {eco} / {total} 为生态类型（{types}）",
                                     "{eco} of {total} plots in open cemeteries are eco types ({types})"),
}
