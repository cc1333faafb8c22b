"""Messages of the OGC API - Features service (/ogc): what GIS users read in QGIS, GDAL or a browser."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "ogc.title": Message("新城区民政地理信息服务（OGC API - Features）",
                         "Xincheng civil-affairs GIS (OGC API - Features)"),
    "ogc.description": Message("标准地名、街路巷、设施等图层，每个图层一种几何类型",
                               "names, streets, facilities and other layers, one geometry type per layer"),
    "ogc.officers_only": Message(
        "图层 {collection} 仅供工作人员读取：请携带令牌（Authorization: Bearer …）或登录后访问",
        "collection {collection} is for staff only: send a bearer token (Authorization: Bearer …) or log in"),
    "ogc.unknown_collection": Message("没有图层 {collection}；可用图层：{known}",
                                      "there is no collection {collection}; collections: {known}"),
    "ogc.no_feature": Message("图层 {collection} 中没有要素 {fid}", "collection {collection} has no feature {fid}"),
    "ogc.bad_crs": Message("{field} 须为以下坐标系之一：{allowed}；收到 {given}",
                           "{field} must be one of {allowed}; got {given}"),
    "ogc.unknown_parameter": Message(
        "不支持的查询参数 {param}；可按以下属性筛选：{queryables}（见 {url}）",
        "unknown query parameter {param}; filter by one of {queryables} (see {url})"),
    "ogc.bad_value": Message("筛选条件 {param} 须为{kind}；收到 {given}",
                             "filter {param} must be {kind}; got {given}"),
    "ogc.bad_enum": Message("筛选条件 {param} 须为以下值之一：{allowed}；收到 {given}",
                            "filter {param} must be one of {allowed}; got {given}"),
    "ogc.boundary_note": Message("界线示意，非权威界线", "Boundary for illustration only, not authoritative"),
    "ogc.kind.points": Message("点", "points"),
    "ogc.kind.lines": Message("线", "lines"),
    "ogc.kind.polygons": Message("面", "polygons"),
    "ogc.type.text": Message("不含控制字符、不超过 1000 字的文本",
                             "text of at most 1000 characters, no control characters"),
    "ogc.type.integer": Message("整数", "an integer"),
    "ogc.type.number": Message("数值", "a number"),
    "ogc.type.boolean": Message("true 或 false", "true or false"),
    "ogc.type.date": Message("日期（YYYY-MM-DD）", "a date (YYYY-MM-DD)"),
    "ogc.type.date-time": Message("时间（ISO 8601）", "a date and time (ISO 8601)"),
    "ogc.history_note": Message(
        "只列今天的要素；{values} 的历史记录在集合 {history} 中（或在本集合加 ?{param}={value}），它们与今天的要素重叠",
        "today's features only; the history ({values}) is the collection {history} (or ?{param}={value} here), "
        "overlapping today's features"),
    "ogc.history_only": Message(
        "只列 {values} 的历史记录（区划调整前的单位），与今天的要素重叠；今天的要素在集合 {today} 中",
        "the history alone ({values}: units before a division change), overlapping today's features, which are the "
        "collection {today}"),
    "ogc.repeated_parameter": Message("筛选参数 {param} 只能给一次，收到 {values}：一个要素的属性只有一个值",
                                      "the filter {param} may be given once; got {values}: a feature's property "
                                      "holds one value"),
    "ogc.history_title": Message("历史：{values}", "history: {values}"),
    "ogc.mixed_note": Message("兼容旧地址：本图层混合多种几何类型，请改用 {split}",
                              "kept for old links: this collection mixes geometry types; use {split}"),
    "ogc.queryables_title": Message("{title} 可筛选属性", "{title}: queryable properties"),
    "ogc.schema_title": Message("{title} 属性结构", "{title}: schema"),
}
