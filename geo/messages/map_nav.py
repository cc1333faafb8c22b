"""What a map page says besides its map: its title, the small navigation on it and the report links.

A map page (folium, full screen) has no page frame; its navigation is a folded menu at the top,
beside the zoom buttons, so it never covers the legend, the scale or the 示意 notice at the bottom.
"""

from __future__ import annotations

from geo.messages import Message

MESSAGES: dict[str, Message] = {
    "map_nav.label": Message("导航", "Navigation"),
    "map_nav.home": Message("首页", "Home"),
    "map_nav.menu": Message("菜单", "Menu"),
    "map_nav.logout": Message("退出", "Log out"),
    "map_nav.title.district": Message("新城区地图", "District map"),
    "map_nav.title.markers": Message("界桩状况图", "Boundary markers by condition"),
    "map_nav.report.html": Message("规划报告（网页）", "Planning report (HTML)"),
    "map_nav.report.xlsx": Message("规划报告（XLSX 表格）", "Planning report (XLSX)"),
    "map_nav.campaign.html": Message("联检报告（网页）", "Campaign report (HTML)"),
    "map_nav.campaign.xlsx": Message("联检报告（XLSX 表格）", "Campaign report (XLSX)"),
    "map_nav.campaign.zip": Message("归档包（ZIP）", "Archive package (ZIP)"),
}
