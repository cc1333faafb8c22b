"""The landing page at ``/``: what the service offers each of its users, in Chinese first.

Residents (scan the plate's QR code; the emergency numbers), place-name officers, boundary
inspectors, planners and GIS users each get a section with the links they can use. A logged-in
user sees their own section first, with the links of the navigation their role allows; nobody
needs to log in to read it. Links to parts the app does not serve are left out.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import ROLE_ZH, StoreDep
from api.pages import PLANNERS, SessionCookie, optional_page_user, page, safe_next, served_paths
from geo.layers import INSPECTORS, OFFICERS, ROLES
from geo.plates.lookup import EMERGENCY

router = APIRouter(include_in_schema=False)
FAVICON_SVG = (Path(__file__).parents[1] / "templates" / "home" / "favicon.svg").read_bytes()

# (key, heading zh, heading en, roles whose section it is, links (path, zh, en), lines (zh, en))
Section = tuple[str, str, str, frozenset[str], tuple[tuple[str, str, str], ...], tuple[tuple[str, str], ...]]
SECTIONS: tuple[Section, ...] = (
    ("officer", "地名管理员", "Place-name officers", OFFICERS,
     (("/officer/placenames", "地名信息库：查询、申报、审批、更名", "Gazetteer: search, propose, approve, rename"),
      ("/officer/plates", "门牌：编号检查、二维码、门牌样张", "Door plates: numbering check, QR codes, proofs"),
      ("/officer/reports", "群众报告：门牌损坏、信息有误", "Residents' reports: damaged plates, wrong details")),
     ()),
    ("inspector", "界桩巡查员", "Boundary inspectors", INSPECTORS,
     (("/field", "外业巡查：巡查任务与界桩", "Field inspection: campaigns and markers"),
      ("/field/campaigns", "外业巡查：巡查任务与界桩", "Field inspection: campaigns and markers"),
      ("/maps/markers", "界桩状况图", "Markers by condition")),
     ()),
    ("planner", "规划人员", "Planners", PLANNERS,
     (("/maps/coverage", "一刻钟养老服务覆盖与规划指标", "15-minute coverage and plan indicators"),
      ("/maps/coverage/report?format=html", "规划报告（网页，含地图）", "Planning report (HTML, with maps)"),
      ("/maps/coverage/report?format=xlsx", "规划报告（XLSX 表格）", "Planning report (XLSX tables)"),
      ("/maps/district", "新城区地图", "District map"),
      ("/maps", "全部地图", "All maps")),
     (("程序调用：接口 /api/planning/report（Bearer 令牌），命令行 xincheng report。",
       "For scripts: /api/planning/report (bearer token), or xincheng report on the command line."),)),
    ("gis", "GIS 用户", "GIS users", frozenset(),
     (("/ogc", "OGC API - Features（QGIS：添加 WFS / OGC API 图层）",
       "OGC API - Features (QGIS: Add WFS / OGC API - Features layer)"),
      ("/docs", "接口文档（Swagger UI）", "API docs (Swagger UI)"),
      ("/redoc", "接口参考（ReDoc）", "API reference (ReDoc)")),
     ()),
)

# Links to pages served by the same router as another linked page: shown when that one is served.
FOLLOWS = {"/maps/coverage/report?format=html": "/maps/coverage", "/maps/coverage/report?format=xlsx": "/maps/coverage"}


def _sections(request: Request, role: str | None) -> list[dict[str, object]]:
    """Return the sections with the links the app serves, the user's own first."""
    served = served_paths(request)
    built, seen = [], set()
    for key, zh, en, roles, links, lines in SECTIONS:
        shown = []
        for path, lzh, len_ in links:
            if FOLLOWS.get(path, path) in served and lzh not in seen:
                seen.add(lzh)
                shown.append((path, lzh, len_))
        built.append({"key": key, "zh": zh, "en": en, "links": shown, "lines": lines,
                      "mine": role in roles})
    return sorted(built, key=lambda s: not s["mine"])  # stable: the user's own sections first


@router.get("/", response_class=HTMLResponse)
def landing(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> HTMLResponse:
    """Show the landing page: residents, officers, inspectors, planners and GIS users."""
    user = optional_page_user(store, xc_token)
    role = user["role"] if user else None
    return page(request, "home/index.html", "新城区民政地理信息服务", "Xincheng civil-affairs GIS service",
                user=user, role_zh=ROLE_ZH.get(role or "", role or ""), sections=_sections(request, role),
                emergency=EMERGENCY, roles=[(ROLE_ZH[r], r) for r in ROLES])


@router.get("/favicon.ico")
def favicon() -> Response:
    """Return the service's icon (an SVG), so no browser tab asks for one in vain."""
    return Response(FAVICON_SVG, media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})


@router.get("/login")
def login_elsewhere(next: str = "") -> RedirectResponse:
    """Send ``/login`` (where people look for it) to the one staff login page, keeping ``next``."""
    target = safe_next(next)
    return RedirectResponse(f"/officer/login?next={quote(target)}" if target else "/officer/login", status_code=307)
