"""Messages of the checks on every write path: values, geometries, coordinates, rule fields, locations.

Used by geo/types.py, geo/crs.py, geo/layers.py, geo/validation.py, geo/location_rules.py,
geo/write_rules.py and geo/features.py.
"""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    # parsed values (geo/types.py, geo/crs.py, geo/layers.py)
    "checks.count_numbers": Message("{field} 须为 {count} 个以逗号分隔的数，收到 {got} 个",
                                    "{field} needs {count} comma-separated numbers; got {got}"),
    "checks.not_a_number": Message("{field} 含非数字的值 {value}",
                                   "{field} has a value that is not a number: {value}"),
    "checks.not_finite": Message("{field} 含非有限数值 {value}", "{field} has a value that is not finite: {value}"),
    "checks.finite_numbers": Message("{field} 须为有限数值", "{field} must be finite numbers"),
    "checks.point_outside_china": Message(
        "{field}（{lon}, {lat}）不在中国范围内（东经 {lon_min}–{lon_max}，北纬 {lat_min}–{lat_max}）：请检查经纬度顺序"
        "（经度在前）和坐标系",
        "{field} ({lon}, {lat}) lies outside China ({lon_min}–{lon_max} E, {lat_min}–{lat_max} N); check the axis "
        "order (longitude first) and the CRS"),
    "checks.bbox_order": Message("{field} 须为 minx,miny,maxx,maxy，且 min 不大于 max",
                                 "{field} must be minx,miny,maxx,maxy with min <= max"),
    "checks.bbox_range": Message("{field} 超出经纬度范围", "{field} is outside longitude/latitude range"),
    "checks.date": Message("{field} 须为日期（YYYY-MM-DD），收到 {value}",
                           "{field} must be a date (YYYY-MM-DD); got {value}"),
    "checks.crs": Message("{field} 不是可接受的坐标系 {value}，可选：{allowed}",
                          "{field} must be one of {allowed}; got {value}"),
    "checks.layer": Message("没有图层 {value}，可选：{allowed}", "layer must be one of {allowed}; got {value}"),
    # text and values (geo/validation.py)
    "checks.control_character": Message("{field} 含控制字符或无效字符（NUL、ESC、孤立代理项、方向控制符等）",
                                         "{field} contains a control or invalid character (NUL, ESC, a lone "
                                         "surrogate, a direction override …)"),
    "checks.too_long": Message("{field} 过长（{length} 字，上限 {limit} 字）",
                               "{field} is {length} characters long; the limit is {limit}"),
    "checks.gb18030": Message("{field} 含 GB 18030 无法编码的字符 {char}（{code}）",
                              "{field} has a character that GB 18030 cannot encode: {char} ({code})"),
    "checks.replacement_char": Message("{field} 含 U+FFFD（编码错误的痕迹，请检查文件编码）",
                                       "{field} contains U+FFFD, the mark of text decoded with the wrong encoding"),
    "checks.choice": Message("{field} 的取值 {value} 不在允许范围内，可选：{allowed}",
                             "{field} must be one of {allowed}; got {value}"),
    "checks.future_date": Message("{field} 是已发生之事的日期，不能晚于今天（{today}，北京时间），收到 {value}",
                                  "{field} dates something done and cannot be after today ({today}, Beijing); "
                                  "got {value}"),
    "checks.range": Message("{field} 须在 {low} 到 {high} 之间，收到 {value}",
                            "{field} must be between {low} and {high}; got {value}"),
    "checks.no_geometry": Message("没有几何", "has no geometry"),
    "checks.empty_geometry": Message("几何为空", "has an empty geometry"),
    "checks.wrong_geometry": Message("几何类型为 {type}，此图层只接受 {allowed}",
                                     "is a {type}; this layer takes {allowed}"),
    "checks.too_many_vertices": Message("有 {count} 个节点，上限 {limit}（请先简化）",
                                        "has {count} vertices; the limit is {limit} (simplify it first)"),
    "checks.too_many_parts": Message("有 {count} 个部分，上限 {limit}", "has {count} parts; the limit is {limit}"),
    "checks.nonfinite_coordinate": Message("含非有限坐标", "has a coordinate that is not a finite number"),
    "checks.invalid_geometry": Message("几何无效：{reason}", "is not a valid geometry: {reason}"),
    "checks.geometry_problems": Message("{count} 个要素的几何有问题：{problems}",
                                        "{count} features have a geometry problem: {problems}"),
    "checks.outside_china_features": Message(
        "{count} 个要素不在中国范围内（源坐标系 {crs}，请检查坐标系和经纬度顺序）：{problems}",
        "{count} features lie outside China (source CRS {crs}; check the CRS and the axis order): {problems}"),
    "checks.missing_column": Message("文件缺少 {layer} 必需的列 {field}",
                                     "the file has no column {field}, which {layer} requires"),
    "checks.row_n": Message("第 {row} 行", "row {row}"),
    "checks.missing_value": Message("第 {row} 行缺少 {field}", "row {row} has no {field}"),
    "checks.missing_values": Message("缺少 {count} 个必填值：{problems}",
                                     "{count} required value(s) missing: {problems}"),
    "checks.and_more": Message("…… 另有 {count} 条", "… and {count} more"),
    # locations (geo/location_rules.py)
    "checks.outside_district": Message("位置不在本区范围内（检查坐标系与经纬度顺序）",
                                       "the geometry lies outside the district boundary (check the CRS and the "
                                       "axis order)"),
    "checks.unknown_unit": Message("{field} {value} 不是已登记的社区或行政村代码",
                                   "{field} {value} names no stored community or village"),
    "checks.abolished_unit": Message("{field} {value} 是已撤销的社区或行政村代码：请用其承继单位的代码（{successor}）",
                                     "{field} {value} names an abolished community or village: use its "
                                     "successor's code ({successor})"),
    "checks.plate_in_other_unit": Message(
        "{field} {value} 与门牌位置不符：该位置属于 {name}（{code}）；门牌所属社区（村）按位置确定，可不填写",
        "{field} {value} does not match the plate's position, which lies in {name} ({code}); a plate's "
        "community follows from where it stands and may be left out"),
    "checks.street_not_in_force": Message(
        "街路巷名称 {value} 不是已生效的标准地名：请先经申报、批准、公告（POST /api/placenames）；"
        "尚未命名的新建道路、桥梁以“规划”“未命名”或“在建”开头的工作名称录入（如 规划三路），列入未命名道路清单",
        "street name {value} is not a street name in force: propose and approve it first (POST /api/placenames); "
        "a new road or bridge not yet named enters under a working label starting 规划, 未命名 or 在建 "
        "(e.g. 规划三路) and joins the unnamed-roads worklist"),
    "checks.identifier_form": Message("{field} 须为{form}，收到 {value}", "{field} must be {form}; got {value}"),
    # rule fields on generic paths (geo/write_rules.py)
    "checks.rule_field": Message("{layer} 的 {field} 不能通过通用图层接口或导入修改：{why}，请使用 {use}",
                                 "{layer}.{field} cannot be written through the generic layer endpoints or imports: "
                                 "{why}; use {use}"),
    "checks.rule_field_fixed": Message("{layer} 的 {field} 不能修改：{why}",
                                       "{layer}.{field} cannot be changed: {why}"),
    "checks.create_only_through": Message("{layer} 的记录只能通过 {use} 新增",
                                          "{layer} records are created only through {use}"),
    "checks.first_load_done": Message(
        "本区的 {layer} 已首次导入（文件只能在本区还没有这类记录时导入一次），此后的记录只能通过 {use} 新增",
        "the district's {layer} were loaded from a file once already (a file loads them only while the district "
        "holds none); later records are created only through {use}"),
    "checks.frozen": Message("{layer} 记录状态为 {state}，不能再修改",
                             "the {layer} record is {state} and stays as decided"),
    # generic features (geo/features.py)
    "checks.not_geojson": Message("{field} 须为 GeoJSON 几何对象", "{field} must be a GeoJSON geometry object"),
    "checks.geojson_type": Message("type 须为 Point、MultiPoint、LineString、MultiLineString、Polygon、MultiPolygon "
                                   "或 GeometryCollection",
                                   "type must be Point, MultiPoint, LineString, MultiLineString, Polygon, "
                                   "MultiPolygon or GeometryCollection"),
    "checks.geojson_no_coordinates": Message("缺少坐标 coordinates（须为数组）", "coordinates are missing (an array)"),
    "checks.geojson_no_geometries": Message("缺少 geometries（须为数组）", "geometries are missing (an array)"),
    "checks.geojson_nesting": Message("coordinates 的嵌套层数与几何类型不符", "coordinates are not nested as the type "
                                      "needs"),
    "checks.geojson_position": Message("每个坐标须为 2 或 3 个数（经度、纬度[、高程]）",
                                       "each position must be 2 or 3 numbers (longitude, latitude[, height])"),
    "checks.geojson_empty_part": Message("有一个部分或环没有任何坐标（如 [[…], []]）",
                                         "a part or ring has no positions (such as [[…], []])"),
    "checks.line_break": Message("{field} 只能写一行，不能含换行或制表符",
                                 "{field} is one line: no line break or tab"),
    "checks.bad_geojson": Message("{field} 不是有效的 GeoJSON 几何：{reason}",
                                  "{field} is not a valid GeoJSON geometry: {reason}"),
    "checks.geometry_outside_china": Message("{field} 不在中国范围内（请检查坐标系和经纬度顺序）",
                                             "{field} lies outside China (check the CRS and the axis order)"),
    "checks.outside_china_after": Message(
        "{field} 从 {crs} 转换后不在中国范围内",
                                          "{field} lies outside China after conversion from {crs}"),
    "checks.geometry": Message("{field} 有问题：{problem}", "{field} {problem}"),
    "checks.finite_number": Message("{field} 须为有限数值，收到 {value}",
                                    "{field} must be a finite number; got {value}"),
    "checks.unknown_field": Message("{layer} 没有字段 {field}，可用字段：{fields}",
                                    "{layer} has no field {field}; fields: {fields}"),
    "checks.not_editable": Message("{layer} 没有可修改的字段 {field}", "{layer} has no editable field {field}"),
    "checks.cannot_empty": Message("{field} 为必填项，不能为空（或只有不可见字符）",
                                   "{field} is required and cannot be emptied"),
    "checks.nothing_to_change": Message("没有要修改的内容：请提供属性（properties）或几何（geometry）",
                                        "nothing to change: send properties or geometry"),
}
