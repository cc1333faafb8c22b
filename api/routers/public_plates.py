"""The public door-plate page the QR code opens, its JSON, the problem report, and QR images.

The page is server-rendered, small and readable on a phone without JavaScript; it shows no
personal data; a forged or unknown code gets a clear page; requests are rate-limited per client.
"""

from __future__ import annotations

import html
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import SettingsDep, StoreDep, client_address, needs_role
from api.geojson import answers_as
from api.plate_texts import plate_texts
from api.ratelimit import TooManyRequests
from geo.coverage import (
    ELDER_CARE_KINDS,
    attach_facilities,
    nearest_by_walking,
    walk_network_from_streets,
)
from geo.errors import DomainError, InputError, NotFound
from geo.layers import ADMIN, PLACENAME_OFFICER
from geo.plate_codes import InvalidCode, plate_url
from geo.plate_lookup import PlateView, plate_view
from geo.plate_qr import qr_png, qr_svg
from geo.store import Store
from maps.plate_print import plate_svg
from maps.webfont import mongolian_subset

router = APIRouter(tags=["door plates 智慧门牌"])
PUBLIC_LIMIT_M = 5000.0
REPORT_KINDS = {"damaged_plate": "门牌损坏 Damaged plate", "wrong_info": "信息有误 Wrong information",
                "missing_plate": "门牌缺失 Missing plate", "other": "其他 Other"}
_CSS = """body{font-family:"Noto Sans CJK SC","Noto Sans",sans-serif;margin:0;background:#f4f6f8;color:#111;
font-size:17px;line-height:1.5}main{max-width:34em;margin:0 auto;padding:.8em}
.plate{background:#1d4f91;color:#fff;border-radius:6px;padding:.8em 1em;margin-bottom:.8em}
.plate .num{font-size:2.6em;font-weight:700;line-height:1.1}.plate .st{font-size:1.3em}.plate .en{color:#dbe6f3}
.card{background:#fff;border-radius:6px;padding:.7em 1em;margin:.6em 0}.en{color:#556;font-size:.85em}
.mong{writing-mode:vertical-lr;font-family:"Noto Sans Mongolian",sans-serif;font-size:1.2em;float:right;
max-height:8em;margin-left:.5em}.warn{background:#fff3cd;border-left:4px solid #d39e00}
.min{font-size:1.5em;font-weight:700;color:#1a7f37}a.tel{font-size:1.2em;margin-right:1em}
textarea,select,button{font-size:16px;width:100%;box-sizing:border-box;margin:.3em 0}
h2{font-size:1.05em;margin:.2em 0}"""


def _check_rate(request: Request) -> None:
    request.app.state.public_limiter.hit(client_address(request))


class _Context:
    """What the lookups need, built once per data version: network, facilities, names, units."""

    def __init__(self, store: Store):
        streets = store.read_frame("streets")
        self.network = walk_network_from_streets(streets)
        facilities = store.read_frame("facilities")
        facilities = facilities[facilities["status"] == "active"]
        self.care = facilities[facilities["kind"].isin(ELDER_CARE_KINDS)].reset_index(drop=True)
        self.centres = facilities[facilities["kind"] == "community_service_centre"].reset_index(drop=True)
        self.care_att = attach_facilities(self.network, self.care)
        self.centre_att = attach_facilities(self.network, self.centres)
        self.streets = {r["standard_name"]: r for r in store.select("place_names", where={"feature_class": "street",
                                                                                        "status": "in_force"})}
        self.units = {u["code"]: u for u in store.select("admin_units")}


def _lookup(request: Request, store: Store, code: str) -> PlateView:
    uid = request.app.state.plate_signer.verify(code)
    rows = store.select("door_plates", where={"plate_uid": uid})
    if not rows:
        raise NotFound("没有这块门牌 · no such door plate", field="code")
    plate = rows[0]
    ctx: _Context = request.app.state.cache.get(store, "plate_context", lambda: _Context(store))
    community = ctx.units.get(plate.get("community_code") or "")
    sub = ctx.units.get((community or {}).get("parent_code") or "")
    point = plate["geometry"]
    return plate_view(plate, street=ctx.streets.get(plate["street_name"]), community=community, subdistrict=sub,
                      elder_care=nearest_by_walking(ctx.network, point, ctx.care, limit_m=PUBLIC_LIMIT_M,
                                                    sources=ctx.care_att),
                      service_centre=nearest_by_walking(ctx.network, point, ctx.centres, limit_m=PUBLIC_LIMIT_M,
                                                        sources=ctx.centre_att))


def _page(title: str, body: str, status: int = 200, *, mongolian: str | None = None) -> HTMLResponse:
    font = (f"@font-face{{font-family:'XC Mongolian';src:url('/fonts/mongolian.woff2?t={quote(mongolian)}') "
            f"format('woff2')}}.mong{{font-family:'XC Mongolian','Noto Sans Mongolian',sans-serif}}") if mongolian else ""
    return HTMLResponse(
        f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><meta name='viewport' "
        f"content='width=device-width,initial-scale=1'><title>{html.escape(title)}</title><style>{_CSS}{font}</style>"
        f"</head><body><main>{body}<p class='en'>新城区民政局 · Xincheng District Civil Affairs Bureau. "
        f"本页不收集个人信息 · This page collects no personal data.</p></main></body></html>", status_code=status)


def _service(title_zh: str, title_en: str, item: dict[str, Any] | None) -> str:
    if item is None:
        return (f"<div class='card'><h2>{title_zh} <span class='en'>{title_en}</span></h2>"
                f"<p>步行 {PUBLIC_LIMIT_M / 1000:g} 公里内没有 · none within {PUBLIC_LIMIT_M / 1000:g} km on foot</p></div>")
    return (f"<div class='card'><h2>{title_zh} <span class='en'>{title_en}</span></h2>"
            f"<p>{html.escape(item['name'])}</p><p><span class='min'>步行约 {item['minutes']:g} 分钟</span> "
            f"<span class='en'>about {item['minutes']:g} min on foot</span> · {item['distance_m']} 米 m "
            f"<span class='en'>(slower walkers: {item['minutes_elderly']:g} min)</span></p></div>")


def render_plate(view: PlateView, code: str) -> str:
    """Return the page body for a plate."""
    warn = f"<div class='card warn'>{html.escape(view.status_note)}</div>" if view.status_note else ""
    mong = (f"<div class='mong' lang='mn'>{html.escape(view.street_mong)}</div>" if view.street_mong
            else "<p class='en'>蒙古文名称待译 · Mongolian-script name pending</p>")
    story = (f"<div class='card'><h2>街名由来 <span class='en'>About the name</span></h2>"
             f"<p>{html.escape(view.street_story)}</p></div>") if view.street_story else ""
    where = " · ".join(x for x in (view.community, view.subdistrict) if x)
    tels = "".join(f"<a class='tel' href='tel:{e['number']}'>{e['number']}</a> {html.escape(e['what'])}<br>"
                   for e in view.emergency)
    kinds = "".join(f"<option value='{k}'>{v}</option>" for k, v in REPORT_KINDS.items())
    return (f"{warn}<div class='plate'>{mong}<div class='st'>{html.escape(view.street_name)}</div>"
            f"<div class='num'>{html.escape(view.number_text)}</div>"
            f"<div>{html.escape(view.address_pinyin or '')}</div></div>"
            f"<div class='card'><h2>标准地址 <span class='en'>Standard address</span></h2>"
            f"<p>{html.escape(view.address_full_zh)}</p><p class='en'>{html.escape(where)}</p>"
            f"<p class='en'>请核对门牌号与您眼前的门牌一致 · Check that the number matches the plate in front of you.</p>"
            f"</div>{_service('最近的养老服务站', 'Nearest elder-care station', view.nearest_elder_care)}"
            f"{_service('社区综合服务中心', 'Community service centre', view.nearest_service_centre)}{story}"
            f"<div class='card'><h2>紧急电话 <span class='en'>Emergency</span></h2>{tels}</div>"
            f"<div class='card'><h2>报告问题 <span class='en'>Report a problem</span></h2>"
            f"<form method='post' action='/p/{html.escape(code)}/report'><select name='kind'>{kinds}</select>"
            f"<textarea name='message' maxlength='500' rows='3' placeholder='请勿填写姓名电话 · no names or phone numbers'>"
            f"</textarea><button>提交 Send</button></form></div>")


@router.get("/p/{code}", response_class=HTMLResponse, include_in_schema=False)
def public_page(code: str, request: Request, store: StoreDep) -> HTMLResponse:
    """The page a plate's QR code opens."""
    try:
        _check_rate(request)
        view = _lookup(request, store, code)
    except TooManyRequests as exc:
        return _page("请稍后再试", f"<div class='card warn'>{html.escape(exc.message)}</div>", exc.status)
    except (InvalidCode, NotFound) as exc:
        return _page("无法识别的门牌", f"<div class='card warn'><h2>无法识别的门牌 <span class='en'>Unknown plate"
                     f"</span></h2><p>{html.escape(exc.message)}</p><p>如门牌有误请拨打 12345 · call 12345 to report"
                     f"</p></div>", exc.status)
    return _page(view.address_zh, render_plate(view, code), mongolian=view.street_mong)


@router.get("/fonts/mongolian.woff2", include_in_schema=False)
def mongolian_font(t: str, request: Request) -> Response:
    """Serve a subset of Noto Sans Mongolian (SIL OFL) for the Mongolian text ``t`` a page shows."""
    _check_rate(request)
    return Response(mongolian_subset(t), media_type="font/woff2",
                    headers={"Cache-Control": "public, max-age=604800"})


@router.get("/api/plates/lookup/{code}", summary="扫码查询 Door-plate lookup (JSON)")
def public_lookup(code: str, request: Request, store: StoreDep) -> dict[str, Any]:
    """Return what the public page shows, as JSON for apps."""
    _check_rate(request)
    return _lookup(request, store, code).to_dict()


@router.post("/p/{code}/report", response_class=HTMLResponse, include_in_schema=False)
def public_report(code: str, request: Request, store: StoreDep, kind: Annotated[str, Form()],
                  message: Annotated[str, Form()] = "") -> HTMLResponse:
    """Store a problem report (no personal data), rate-limited per client and plate."""
    try:
        _check_rate(request)
        uid = request.app.state.plate_signer.verify(code)
        request.app.state.report_limiter.hit(f"{client_address(request)}:{uid}")
        if kind not in REPORT_KINDS:
            raise InputError(f"kind must be one of {', '.join(REPORT_KINDS)}", field="kind")
        if len(message) > 500:
            raise InputError("message must be at most 500 characters", field="message")
        store.insert("problem_reports", [{"plate_uid": uid, "kind": kind, "message": message.strip() or None}],
                     actor="public")
    except DomainError as exc:
        return _page("未能提交", f"<div class='card warn'>{html.escape(exc.message)}</div>", exc.status)
    return _page("已收到", "<div class='card'><h2>谢谢，已收到您的报告 <span class='en'>Thank you, your report has "
                 "been received.</span></h2><p><a href='/p/" + html.escape(code) + "'>返回 Back</a></p></div>")


@router.get("/api/plates/{plate_uid}/plate.svg", responses=answers_as("image/svg+xml"), summary="门牌版面 Printable plate (SVG)")
def plate_face(plate_uid: str, store: StoreDep, settings: SettingsDep,
               user: Annotated[dict[str, Any], Depends(needs_role({ADMIN, PLACENAME_OFFICER}, "printable plates"))],
               request: Request, proof: bool = False) -> Response:
    """Return the printable plate (270 x 170 mm); production plates need the Mongolian name (SG-01)."""
    rows = store.select("door_plates", where={"plate_uid": plate_uid})
    if not rows:
        raise NotFound(f"no door plate {plate_uid!r}", field="plate_uid")
    (text,) = plate_texts(store, rows, signer=request.app.state.plate_signer, base_url=settings.public_base_url)
    return Response(plate_svg(text, proof=proof), media_type="image/svg+xml")


@router.get("/api/plates/{plate_uid}/qr.{fmt}", responses=answers_as("image/svg+xml", "image/png"), summary="门牌二维码 QR image of a plate (SVG or PNG)")
def plate_qr(plate_uid: str, fmt: str, store: StoreDep, settings: SettingsDep,
             user: Annotated[dict[str, Any], Depends(needs_role({ADMIN, PLACENAME_OFFICER}, "plate QR codes"))],
             request: Request) -> Response:
    """Return the QR code carrying the plate's signed short URL."""
    if not store.count("door_plates", where={"plate_uid": plate_uid}):
        raise NotFound(f"no door plate {plate_uid!r}", field="plate_uid")
    url = plate_url(settings.public_base_url, request.app.state.plate_signer.code(plate_uid))
    if fmt == "svg":
        return Response(qr_svg(url), media_type="image/svg+xml")
    if fmt == "png":
        return Response(qr_png(url), media_type="image/png")
    raise InputError(f"format must be one of svg, png; got {fmt!r}", field="fmt")

