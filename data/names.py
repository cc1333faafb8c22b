"""Names used by the sample district: which are real and which are generated.

Real: the district, its 8 sub-districts and 保合少镇, the main-road names, the railway, the
expressway, the rivers, the five villages the plan names, the neighbouring units, the
comprehensive elder-care centre the plan names. Generated: every other community, village,
lane and facility name (plausible local forms, not the bureau's register).
"""

from __future__ import annotations

# 8 sub-districts (街道) and one town (镇), with the number of communities or villages generated
# in each: 62 communities and 24 administrative villages, as the plan counts them.
SUBDISTRICTS: tuple[tuple[str, int], ...] = (
    ("西街街道", 7),
    ("东街街道", 8),
    ("中山东路街道", 8),
    ("锡林南路街道", 8),
    ("海拉尔东路街道", 8),
    ("迎新路街道", 8),
    ("东风路街道", 8),
    ("成吉思汗大街街道", 7),
)
TOWN = ("保合少镇", 24)

# Main roads with their approximate real position (CGCS2000 degrees); geometry is generated.
EW_ARTERIALS: tuple[tuple[str, float], ...] = (
    ("中山东路", 40.8265),
    ("新华大街", 40.8420),
    ("北垣东街", 40.8500),
    ("海拉尔东路", 40.8575),
    ("成吉思汗大街", 40.8680),
)
NS_ARTERIALS: tuple[tuple[str, float], ...] = (
    ("呼伦贝尔北路", 111.6570),
    ("锡林郭勒北路", 111.6760),
    ("兴安北路", 111.7050),
    ("东二环路", 111.7380),
)
ELEVATED_ROAD = ("北二环快速路", 40.8740)

RAILWAY = "京包铁路"
EXPRESSWAYS = ("京藏高速公路", "呼和浩特绕城高速公路")
RIVERS = ("东河", "扎达盖河", "哈拉沁沟")

REAL_VILLAGES = ("哈拉沁村", "沙梁村", "恼包村", "野马图村", "保合少村")
GENERATED_VILLAGES = (
    "奎素村", "水泉村", "面铺窑村", "塔利村", "新营子村", "前不塔气村", "后不塔气村", "讨号板村",
    "古路板村", "二十家村", "乃莫板村", "沟子板村", "生盖营村", "大窑村", "小井村", "红山村",
    "西把栅村", "东把栅村", "榆树沟村",
)

COMMUNITY_STEMS = (
    "春华", "盛世", "康乐", "和平", "振华", "富强", "光明", "友谊", "团结", "兴盛", "安居", "丰泽",
    "青城", "昭君", "敕勒", "阴山", "大召", "公园", "北垣", "东站", "车站", "新华", "中山", "锡林",
    "兴安", "海东", "迎新", "东风", "成吉", "草原", "苏勒", "塞上", "云中", "白塔", "长乐", "万和",
    "祥和", "嘉园", "桃园", "杏林", "松柏", "翠竹", "丁香", "紫薇", "金桥", "银河", "朝阳", "东瓦窑",
    "西落凤", "将军", "满都海", "乌兰", "巴彦", "塔布", "哈达", "察素", "腾格", "额尔敦", "毕克",
    "宝力", "那仁", "阿拉坦",
)

LANE_STEMS = (
    "槐", "柳", "榆", "杨", "桃", "杏", "梨", "枣", "松", "柏", "桑", "梅", "兰", "竹", "菊", "荷",
    "泉", "石", "砂", "云", "霞", "虹", "星", "月", "晨", "曦", "和", "乐", "康", "宁", "顺", "福",
)

INSTITUTIONS: tuple[tuple[str, int, int], ...] = (
    # name, beds, nursing beds: 398 beds as the plan counts, 45% of them nursing beds.
    ("新城区综合养老服务中心", 150, 68),
    ("新城区康寿老年公寓", 98, 44),
    ("新城区福寿养老院", 90, 40),
    ("保合少镇敬老院", 60, 27),
)

NEIGHBOURS = {
    "150103": ("回民区", "H"),
    "150105": ("赛罕区", "S"),
    "150125": ("武川县", "W"),
    "150921": ("卓资县", "Z"),
}

# Naming stories of the main roads (for the gazetteer and the door-plate page). Hohhot names many
# roads after the region's leagues and cities; the texts are written for the sample, not taken
# from the bureau's register.
STREET_STORIES: dict[str, tuple[str, str | None]] = {
    "锡林郭勒北路": ("以锡林郭勒盟命名。Named after Xilin Gol League.", "mn"),
    "海拉尔东路": ("以海拉尔命名。Named after Hailar.", "mn"),
    "呼伦贝尔北路": ("以呼伦贝尔命名。Named after Hulunbuir.", "mn"),
    "兴安北路": ("以兴安盟命名。Named after Hinggan League.", None),
    "成吉思汗大街": ("以成吉思汗命名的纪念性街名。A commemorative name after Genghis Khan.", "mn"),
    "新华大街": ("取“新中国”之意。“New China”.", None),
    "中山东路": ("以孙中山先生的号命名。After Sun Yat-sen (Zhongshan).", None),
}
DISTRICT_STORY = ("因清代所筑绥远城俗称“新城”（相对归化城“旧城”）而得名。Named after Suiyuan, the Qing-era "
                  "walled town called the “new city” beside the old Guihua town.")
