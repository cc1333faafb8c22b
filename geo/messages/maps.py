"""What the maps show: Chinese labels for the codes a layer stores, legend titles, units.

Codes (a facility's ``kind``, a street's ``street_class``, a marker's condition) stay codes in
the data; a map's tooltip, popup and legend show the label here, Chinese first.
"""

from __future__ import annotations

from geo.messages import Message

_CODES: dict[str, dict[str, tuple[str, str]]] = {
    "kind": {  # facilities (geo.layers.FACILITY_KINDS) and linear features
        "community_service_centre": ("社区综合服务设施", "community service centre"),
        "elder_care_station": ("社区养老服务站", "elder-care station"),
        "comprehensive_elder_care_centre": ("综合养老服务中心", "comprehensive elder-care centre"),
        "elder_care_institution": ("养老机构", "elder-care institution"),
        "public_cemetery": ("公益性公墓", "public cemetery"),
        "minors_protection_station": ("未成年人保护工作站", "minors' protection station"),
        "volunteer_station": ("志愿服务站", "volunteer station"),
        "social_work_station": ("社会工作服务站", "social-work station"),
        "railway": ("铁路", "railway"),
        "expressway": ("高速公路", "expressway"),
        "highway": ("公路", "highway"),
        "river": ("河流", "river"),
        "reservoir": ("水库", "reservoir"),
    },
    "street_class": {
        "expressway": ("快速路", "expressway"), "arterial": ("主干路", "arterial"),
        "secondary": ("次干路", "secondary"), "local": ("支路", "local street"),
        "lane": ("巷", "lane"), "rural": ("乡村道路", "rural road"), "village": ("村内道路", "village road"),
    },
    "marker_type": {"single": ("单立", "single"), "paired": ("双立", "paired"), "triple": ("三立", "triple")},
    "level": {
        "district": ("区", "district"), "county": ("旗县区", "county"), "subdistrict": ("街道", "sub-district"),
        "town": ("镇", "town"), "township": ("乡、苏木", "township"), "community": ("社区", "community"),
        "village": ("行政村", "village"),
    },
    "condition": {
        "intact": ("完好", "intact"), "damaged": ("损坏", "damaged"), "displaced": ("移位", "displaced"),
        "missing": ("丢失", "missing"), "buried": ("掩埋", "buried"), "not_visited": ("未检", "not visited"),
    },
    "coverage": {
        "covered": ("15分钟内", "within reach"), "beyond": ("超出15分钟", "beyond"),
        "unreachable": ("无路可达", "no route"), "unattached": ("离路过远", "too far from a street"),
    },
}

MESSAGES = {f"maps.{field}.{code}": Message(zh, en)
            for field, codes in _CODES.items() for code, (zh, en) in codes.items()} | {
    **{f"maps.field.{col}": Message(zh, en) for col, (zh, en) in {
        "name": ("名称", "name"), "code": ("代码", "code"), "level": ("层级", "level"),
        "kind": ("类别", "kind"), "street_class": ("道路等级", "class"), "households": ("户数", "households"),
        "floor_area_m2": ("建筑面积", "floor area"), "marker_no": ("界桩编号", "marker"),
        "marker_type": ("界桩类型", "type"), "reach_m": ("步行距离", "walk"), "address": ("门牌", "plate"),
        "plate_uid": ("编码", "code"), "per100_m2": ("每百户面积", "per 100 households"),
        "shortfall_m2": ("缺口", "shortfall"), "gain": ("新增覆盖", "newly covered"),
        "plates": ("门牌数", "door plates"),
    }.items()},
    "maps.unit.m": Message("{value} 米", "{value} m"),
    "maps.unit.min": Message("{value} 分钟", "{value} min"),
    "maps.unit.m2": Message("{value} m²", "{value} m²"),
    "maps.unit.households": Message("{value} 户", "{value} households"),
    "maps.unit.people": Message("{value} 人", "{value} people"),
    "maps.unit.plates": Message("{value} 块门牌", "{value} door plates"),
    "maps.legend.title": Message("图例", "Legend"),
    "maps.legend.units": Message("行政区划界线（示意）", "administrative units (illustrative)"),
    "maps.legend.streets": Message("街路巷", "streets"),
    "maps.legend.linear": Message("铁路、公路、河流、水库", "railways, highways, rivers, reservoirs"),
    "maps.legend.care": Message("养老服务设施", "elder-care facilities"),
    "maps.legend.centres": Message("社区综合服务设施", "community service centres"),
    "maps.legend.markers": Message("界桩", "boundary markers"),
    "maps.legend.plates": Message("门牌（缩小时按格网汇总，圆越大门牌越多）",
                                  "door plates (grouped into cells when zoomed out; bigger = more)"),
    "maps.legend.service_areas": Message("15分钟步行服务范围", "15-minute walking service areas"),
    "maps.legend.stations": Message("养老服务站", "elder-care stations"),
    "maps.legend.proposed": Message("建议新站点", "proposed stations"),
    "maps.legend.plate_cells": Message("门牌格网（{cell_m} 米格，颜色为多数门牌的状况）：",
                                       "door plates in {cell_m} m cells, coloured by most plates' state:"),
    "maps.legend.lines": Message("界线", "boundary lines"),
    "maps.data.layer": Message("没有名为 {layer} 的地图数据层，可用：{choices}",
                               "no map data layer {layer}; one of {choices}"),
    "maps.data.login": Message("请先登录（地图数据需要登录）", "log in first (map data needs a login)"),
    "maps.data.bbox": Message("bbox 应为 西,南,东,北 四个经纬度数值（EPSG:4326）",
                              "bbox must be west,south,east,north in degrees (EPSG:4326)"),
}
