"""Messages of legacy survey coordinates (Beijing 1954 / Xi'an 1980 Gauss–Krüger → CGCS2000): grids and zones,
parameter sets, fits from common points, and the import of marker tables and line files."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    # grids and zones (geo/legacy_crs.py)
    "legacy_crs.grid": Message("{datum} {width}°带 第{zone}带（中央子午线 {cm}°E，EPSG:{epsg}）",
                               "{datum} {width}° zone {zone} (CM {cm}°E, EPSG:{epsg})"),
    "legacy_crs.system": Message("{field} 须为 {allowed} 之一，收到 {value}",
                                 "{field} must be one of {allowed}; got {value}"),
    "legacy_crs.zone_width": Message("{field} 须为 3 或 6（度带），收到 {value}",
                                     "{field} must be 3 or 6 (degree zones); got {value}"),
    "legacy_crs.zone_range": Message("{field} 须在 {low}–{high} 之间（{width}°带），收到 {value}",
                                     "{field} must be {low}–{high} for {width}° zones; got {value}"),
    "legacy_crs.no_points": Message("文件中没有坐标", "the file holds no coordinates"),
    "legacy_crs.swapped": Message(
        "CRS-01：{field} 的数值像是另一坐标轴：X 与 Y 可能对调（测量成果表中 X 为北坐标，Y 为东坐标，东坐标可带带号），"
        "请检查 {other}", "CRS-01: {field} holds values of the other axis: X and Y may be swapped (survey tables give "
        "X = northing, Y = easting, the easting possibly with its zone number); check {other}"),
    "legacy_crs.mixed_prefix": Message("{field} 有的带带号、有的不带：请统一", "{field} mixes eastings with and "
                                       "without the zone number; make them one kind"),
    "legacy_crs.prefix_range": Message("{field} 的带号 {value} 不是 {width}°带（{low}–{high}）：检查带宽",
                                       "{field} carries zone number {value}, not a {width}° zone ({low}–{high}): "
                                       "check the zone width"),
    "legacy_crs.several_zones": Message("{field} 含多个带号（{zones}）：请按带分开导入",
                                        "{field} carries several zone numbers ({zones}): import each zone separately"),
    "legacy_crs.zone_mismatch": Message("{field} 为 {zone}，坐标中的带号却是 {prefix}",
                                        "{field} is {zone} but the eastings carry zone number {prefix}"),
    "legacy_crs.zone_needed": Message("东坐标不带带号：须用选项 --zone 给出带号 {field}（呼和浩特：3°带 37，6°带 19）",
                                      "the eastings carry no zone number: give the zone number {field} with the "
                                      "option --zone (Hohhot: 3° zone 37, 6° zone 19)"),
    "legacy_crs.off_meridian": Message(
        "CRS-01：第 {row} 行 {field} 距中央子午线 {cm}°E {km} 千米，超过 {limit} 千米：检查带号、带宽或 X/Y 是否对调",
        "CRS-01: row {row}: {field} lies {km} km from the central meridian {cm}°E, more than {limit} km: check the "
        "zone, the zone width, or whether X and Y are swapped"),
    "legacy_crs.northing_range": Message("CRS-01：第 {row} 行 {field} 为 {value}，"
                                         "不在中国境内的北坐标范围：检查 X/Y 是否对调",
                                         "CRS-01: row {row}: {field} is {value}, not a northing in China: check "
                                         "whether X and Y are swapped"),
    # parameter sets
    "legacy_crs.helmert_described": Message("七参数（布尔莎，{convention}）", "7-parameter Bursa–Wolf ({convention})"),
    "legacy_crs.plane_described": Message("平面四参数（中央子午线 {cm}°E）", "4-parameter plane (CM {cm}°E)"),
    "legacy_crs.param_object": Message("{field} 须为 JSON 对象", "{field} must be a JSON object"),
    "legacy_crs.param_kind": Message("{field} 的 kind 须为 helmert7 或 plane4，收到 {value}",
                                     "{field}: kind must be helmert7 or plane4; got {value}"),
    "legacy_crs.param_number": Message("{field} 的 {name} 须为数值，收到 {value}",
                                       "{field}: {name} must be a number; got {value}"),
    "legacy_crs.param_limit": Message("{field} 的 {name} 为 {value}，超出 ±{limit}：检查单位（米、角秒、ppm）",
                                      "{field}: {name} is {value}, beyond ±{limit}: check the units (m, "
                                      "arc-seconds, ppm)"),
    "legacy_crs.convention": Message("{field} 须写明旋转约定 {allowed}，收到 {value}",
                                     "{field} must state the rotation convention, one of {allowed}; got {value}"),
    "legacy_crs.plane_meridian": Message("{field} 是中央子午线 {params}°E 的平面四参数，坐标却在 {grid}°E 带",
                                         "{field} is a plane set for CM {params}°E but the coordinates are in the "
                                         "{grid}°E zone"),
    "legacy_crs.no_params": Message(
        "须给出转换参数 {field}（七参数或四参数文件，或 ≥3 个公共点）。确需无参数的名义基准转换时须明确同意"
        "（--accept-nominal-datum），其结果可能偏差数十米",
        "give transformation parameters {field} (a 7- or 4-parameter file, or 3 or more common points); a nominal "
        "datum change without parameters needs explicit consent (--accept-nominal-datum) and may be off by tens "
        "of metres"),
    # fits from common points
    "legacy_crs.too_few_points": Message("{field} 只有 {n} 个点，至少需要 {minimum} 个公共点",
                                         "{field} has {n} points; at least {minimum} common points are needed"),
    "legacy_crs.collinear": Message("{field} 的公共点几乎在一条直线上（偏离 {across} 米）：参数无法确定（{points}）",
                                    "{field}: the common points lie almost on one line ({across} m across): the "
                                    "parameters are not determined ({points})"),
    "legacy_crs.tolerance": Message("{field} 须为正数（米），收到 {value}",
                                    "{field} must be a positive number of metres; got {value}"),
    "legacy_crs.residuals": Message(
        "公共点残差超限：RMS {rms} 米，最大 {max} 米，限差 {field} {tolerance} 米；残差最大的点：{worst}。"
        "请检查公共点（点号是否对应、X/Y 是否对调）",
        "the common points do not fit: RMS {rms} m, largest {max} m, tolerance {field} {tolerance} m; worst points: "
        "{worst}; check the common points (matching numbers, X/Y not swapped)"),
    # imports (geo/io/legacy_import.py)
    "legacy_crs.read_failed": Message("无法读取 {name}：{problem}", "cannot read {name}: {problem}"),
    "legacy_crs.empty_file": Message("{name} 没有数据行", "{name} has no data rows"),
    "legacy_crs.missing_columns": Message("{name} 缺少列 {columns}（可用列名：{accepted}）",
                                          "{name} lacks the columns {columns} (accepted names: {accepted})"),
    "legacy_crs.not_number": Message("第 {row} 行 {field} 须为数值，收到 {value}",
                                     "row {row}: {field} must be a number; got {value}"),
    "legacy_crs.elevation_range": Message("第 {row} 行 {field} 为 {value} 米，不在 −200–9000 米之间",
                                          "row {row}: {field} is {value} m, not between −200 and 9000 m"),
    "legacy_crs.layer": Message("{field} 须为 boundary_markers 或 boundary_lines，收到 {value}",
                                "{field} must be boundary_markers or boundary_lines; got {value}"),
    "legacy_crs.format": Message("{name}：界桩表须为 CSV 或 XLSX，界线须为 GeoPackage、Shapefile 或 GeoJSON",
                                 "{name}: a marker table must be CSV or XLSX; lines must be GeoPackage, Shapefile "
                                 "or GeoJSON"),
    "legacy_crs.marker_number": Message("第 {row} 行 {field} {value} 不是界线 {line} 的界桩编号"
                                        "（{line} + 三位序号 + 类型码）",
                                        "row {row}: {field} {value} is not a marker number of line {line} ({line} "
                                        "+ three-digit sequence + type code)"),
    "legacy_crs.line_needed": Message("第 {row} 行缺少 {field}", "row {row}: {field} is missing"),
    "legacy_crs.one_source": Message("转换参数只能给一种：{options}", "give only one of {options}"),
    "legacy_crs.params_for_system": Message(
        "参数文件 {name}（{field}）是为 {saved} 制作的，本次导入的原坐标系为 {system}（--system）："
        "请换用 {system} 的参数文件",
        "the parameter file {name} ({field}) was made for {saved}, but this import is {system} (--system): use a "
        "parameter file made for {system}"),
    "legacy_crs.manager_needed": Message(
        "BM-03：{name} 没有管理方列 {field}（可用列名：{accepted}）：请在表中填写每个界桩的管理方，"
        "或用选项 --managing-adcode 给出（须为界线一侧的区划代码），否则界桩无法登记维修",
        "BM-03: {name} has no managing-side column {field} (accepted names: {accepted}): give each marker's "
        "managing side in the table, or with the option --managing-adcode (one side of the line), or no repair "
        "could ever be recorded for it"),
    "legacy_crs.manager_blank": Message(
        "BM-03：第 {row} 行管理方 {field} 为空：请填写（须为界线一侧的区划代码）或用选项 --managing-adcode 给出",
        "BM-03: row {row}: the managing side {field} is blank: fill it in (one side of the line) or give "
        "--managing-adcode"),
    "legacy_crs.marker_exists": Message(
        "第 {row} 行 {field} {value} 已登记（界桩 id {id}）：旧坐标成果导入只登记新界桩，未导入任何内容；"
        "已导入过的表请勿重复导入，界桩位置的更正请用界桩迁移（POST /api/markers/{id}/move）",
        "row {row}: {field} {value} is already registered (marker id {id}): a legacy import registers new markers "
        "only, nothing was imported; do not import a table twice, and correct a marker's position by moving it "
        "(POST /api/markers/{id}/move)"),
    "legacy_crs.marker_too_close": Message(
        "BM-04：第 {row} 行的界桩距已登记的在用界桩 {other} 仅 {gap} 米（限 {limit} 米内不得重复登记）："
        "可能是重复导入，未导入任何内容",
        "BM-04: row {row} lies {gap} m from the registered active marker {other} (no second marker within {limit} "
        "m): probably imported twice; nothing was imported"),
    "legacy_crs.marker_too_close_in_file": Message(
        "BM-04：第 {row} 行的界桩距本表第 {other} 行仅 {gap} 米（限 {limit} 米内不得重复登记），未导入任何内容",
        "BM-04: row {row} lies {gap} m from row {other} of this table (no second marker within {limit} m); nothing "
        "was imported"),
    "legacy_crs.line_exists": Message(
        "第 {row} 行 {field} {value} 已登记：旧坐标成果导入只登记新界线，不替换已登记的界线，未导入任何内容；"
        "如要替换，请先把转换后的 CGCS2000 成果用 xincheng import --layer boundary_lines --mode upsert 导入",
        "row {row}: {field} {value} is already registered: a legacy import registers new lines only and replaces "
        "none, nothing was imported; to replace it, import the converted CGCS2000 line with xincheng import "
        "--layer boundary_lines --mode upsert"),
    "legacy_crs.line_pair_exists": Message(
        "第 {row} 行的界线两侧 {field}（{left}|{right}）与已登记的界线 {other} 相同：同一对行政区只登记一条界线，"
        "未导入任何内容；如要替换 {other}，请用 xincheng import --layer boundary_lines --mode upsert 按其界线编码更新",
        "row {row}: the sides {field} ({left}|{right}) are those of the registered line {other}: one line per pair "
        "of areas, nothing was imported; to replace {other}, update it by its line_code with xincheng import "
        "--layer boundary_lines --mode upsert"),
    "legacy_crs.line_pair_in_file": Message(
        "第 {row} 行的界线两侧 {field}（{left}|{right}）与本文件第 {other} 行相同：同一对行政区只登记一条界线",
        "row {row}: the sides {field} ({left}|{right}) repeat row {other} of this file: one line per pair of areas"),
    "legacy_crs.params_file": Message("参数文件 {name} 不是有效的 JSON：{problem}",
                                      "the parameter file {name} is not valid JSON: {problem}"),
    "legacy_crs.new_coordinates": Message("{name} 须有 CGCS2000 坐标列：x_new 与 y_new，或 lon 与 lat",
                                          "{name} needs CGCS2000 columns: x_new and y_new, or lon and lat"),
    "legacy_crs.outside_china": Message("CRS-01：第 {row} 行换算后的位置在中国境外：检查坐标系、带号与 X/Y",
                                        "CRS-01: row {row} converts to a position outside China: check the "
                                        "datum, the zone and X/Y"),
    "legacy_crs.geometry_kind": Message("第 {row} 行的几何为 {kind}：界线文件须为线", "row {row}: the geometry is "
                                        "a {kind}; a line file holds lines"),
    "legacy_crs.declared_crs": Message("{name} 声明的坐标系是 {declared}，与所选 {grid} 不符",
                                       "{name} declares {declared}, not the chosen {grid}"),
    # what a record remembers (boundary_markers.coordinate_source) and what the report says
    "legacy_crs.source_user": Message("用户提供", "supplied"),
    "legacy_crs.source_estimated": Message("由 {n} 个公共点解算，残差 RMS {rms} 米",
                                           "estimated from {n} common points, residual RMS {rms} m"),
    "legacy_crs.source_nominal": Message("无参数名义基准转换（可能偏差数十米）",
                                         "nominal datum change without parameters (may be off by tens of metres)"),
    "legacy_crs.coordinate_source": Message("{grid} → CGCS2000 坐标，{method}（{how}）",
                                            "{grid} → CGCS2000, {method} ({how})"),
    "legacy_crs.nominal_warning": Message("未用转换参数：位置可能偏差数十米，须用本地参数重新转换后方可作为成果",
                                          "no transformation parameters were used: positions may be off by tens of "
                                          "metres; convert again with local parameters before relying on them"),
}
