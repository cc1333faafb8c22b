"""路牌与未命名道路 Street name signs and unnamed roads (#17 items 2–3).

``router`` holds the JSON endpoints for place-name officers and admins: the sign register and its
use cases (install, inspect, report damage, replace, remove), the printable sign, the replacement
queue a rename fills, the junction check and the unnamed-roads worklist. ``page_router`` holds the
public street page a smart sign's QR opens (``/s/{code}``): no login, nothing private.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import shapely
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, Field, StrictInt

from api.deps import ReadsDep, SettingsDep, StoreDep, client_address, needs_role
from api.geojson import answers_as
from api.pages import SessionCookie, message_page, page, page_access, render_text
from api.ratelimit import TooManyRequests
from geo.errors import InputError, NotFound
from geo.layers import OFFICERS
from geo.messages import text
from geo.plates.codes import InvalidCode
from geo.signs.junctions import DEFAULT_DISTANCE_M, check_distance, unsigned_junctions
from geo.signs.layout import sign_layout
from geo.signs.printed import sign_signer, sign_texts
from geo.signs.public import street_page_anywhere
from geo.signs.register import get_sign, inspect, install, list_signs, remove, replace, report_damage
from geo.signs.replacement import replacement_queue
from geo.signs.unnamed import unnamed_roads
from geo.types import LonLat
from geo.users import acts_for

router = APIRouter(prefix="/api/street-signs", tags=["street signs 路牌"])
page_router = APIRouter(include_in_schema=False)

Officer = Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "street signs"))]
MAX_ID = 2**31 - 1
SignUid = Annotated[str, Path(min_length=1, max_length=16)]
Version = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Number = Annotated[StrictInt | None, Field(ge=1, le=9999)]
Short = Annotated[str | None, Field(max_length=32)]
Remarks = Annotated[str | None, Field(max_length=500)]


def _sign_json(sign: dict[str, Any]) -> dict[str, Any]:
    """Return a stored sign as JSON: its fields, and its position as lon/lat (EPSG:4490)."""
    point = sign.get("geometry")
    out = {k: v for k, v in sign.items() if k != "geometry"}
    if point is not None:
        out.update(lon=round(point.x, 7), lat=round(point.y, 7))
    else:
        out.update(lon=None, lat=None)
    return out


def _point(lonlat: str, crs: str) -> shapely.Point:
    where = LonLat.parse(lonlat, crs=crs, field="lonlat")
    return shapely.Point(where.lon, where.lat)


def _acts_for(user: dict[str, Any], store: Any) -> set[str]:
    return acts_for(user, default=store.adcode)


class InstallIn(BaseModel):
    """A sign put up on a street segment; what it shows comes from the street's standard name."""

    street_id: StrictInt = Field(ge=1, le=MAX_ID)
    lonlat: str = Field(max_length=64, description="经度,纬度 lon,lat")
    crs: str = Field(default="EPSG:4490", max_length=16, description="EPSG:4490, EPSG:4326, gcj02, bd09, EPSG:4546")
    sign_type: str = Field(max_length=16, description="ordinary 普通路牌 | smart 智能路牌")
    side: Short = Field(default=None, description="left | right (default: from the position)")
    direction: Short = Field(default=None, description="east | west | north | south | none (default: numbering)")
    number_from: Number = None
    number_to: Number = None
    installed_on: Short = Field(default=None, description="YYYY-MM-DD (default today)")
    shows_name: Annotated[str | None, Field(max_length=64)] = None
    shows_romanization: Annotated[str | None, Field(max_length=200)] = None
    remarks: Remarks = None


class InspectIn(BaseModel):
    """What an inspection saw."""

    version: Version
    condition: str = Field(max_length=16, description="good | faded | dirty | tilted | damaged | missing")
    inspected_on: Short = None
    remarks: Remarks = None


class DamageIn(BaseModel):
    """A damaged or missing sign."""

    version: Version
    condition: str = Field(default="damaged", max_length=16, description="damaged | missing")
    damaged_on: Short = None
    remarks: Remarks = None


class ReplaceIn(BaseModel):
    """A new sign for an old one; unset fields keep the old sign's."""

    version: Version
    replaced_on: Short = None
    sign_type: Short = None
    lonlat: Annotated[str | None, Field(max_length=64)] = None
    crs: str = Field(default="EPSG:4490", max_length=16)
    number_from: Number = None
    number_to: Number = None
    direction: Short = None
    remarks: Remarks = None


class RemoveIn(BaseModel):
    """A sign taken down for good, and why."""

    version: Version
    reason: str = Field(min_length=1, max_length=500)
    removed_on: Short = None


@router.get("", summary="路牌登记 The sign register")
def get_signs(store: StoreDep, user: Officer, status: Annotated[str | None, Query(max_length=24)] = None,
              street_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 200,
              offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> dict[str, Any]:
    """Return a page of this district's signs (id order), filtered by status or street segment."""
    rows, total = list_signs(store, status=status, street_id=street_id, limit=limit, offset=offset)
    return {"total": total, "limit": limit, "offset": offset, "signs": [_sign_json(r) for r in rows]}


@router.get("/replacement-queue", summary="待更换路牌 Signs queued for replacement")
def get_queue(store: StoreDep, user: Officer) -> dict[str, Any]:
    """Return the signs a rename (or a decision) queued for replacement: what each shows, what it should."""
    queue = replacement_queue(store)
    return {"count": len(queue), "signs": queue}


@router.get("/junction-check", summary="路口路牌检查 Junctions without their street signs")
def get_junction_check(store: StoreDep, user: Officer,
                       distance_m: Annotated[float, Query(description="metres, 1–500")] = DEFAULT_DISTANCE_M
                       ) -> dict[str, Any]:
    """Return every junction where a named street has no standing sign within ``distance_m``: the streets with
    no sign at all (``without_sign``) apart from those with only signs to replace (``to_replace``), with counts."""
    return unsigned_junctions(store, distance_m=distance_m)


@router.get("/unnamed-roads", summary="未命名道路清单 Unnamed roads worklist")
def get_unnamed(store: StoreDep, user: Officer) -> dict[str, Any]:
    """Return the street lines with no standard name in force, with length, location and proposal link."""
    roads = unnamed_roads(store)
    return {"count": len(roads), "total_length_m": round(sum(r["length_m"] for r in roads), 1), "roads": roads}


@router.post("", status_code=201, summary="设置路牌 Install a sign")
def post_install(body: InstallIn, store: StoreDep, user: Officer) -> dict[str, Any]:
    """Register a sign on a street segment; it shows the street's standard name in force."""
    return _sign_json(install(
        store, street_id=body.street_id, position=_point(body.lonlat, body.crs), sign_type=body.sign_type,
        actor=user["username"], actor_adcodes=_acts_for(user, store), side=body.side, direction=body.direction,
        number_from=body.number_from, number_to=body.number_to, installed_on=body.installed_on,
        shows_name=body.shows_name, shows_romanization=body.shows_romanization, remarks=body.remarks))


@router.get("/{sign_uid}", summary="路牌 One sign")
def get_one(sign_uid: SignUid, store: StoreDep, user: Officer) -> dict[str, Any]:
    """Return one sign of this district."""
    return _sign_json(get_sign(store, sign_uid))


@router.post("/{sign_uid}/inspect", summary="检查路牌 Record an inspection")
def post_inspect(sign_uid: SignUid, body: InspectIn, store: StoreDep, user: Officer) -> dict[str, Any]:
    """Record the condition seen (409 on a stale version); damaged or missing marks the sign damaged."""
    return _sign_json(inspect(store, sign_uid, expected_version=body.version, condition=body.condition,
                              actor=user["username"], actor_adcodes=_acts_for(user, store),
                              inspected_on=body.inspected_on, remarks=body.remarks))


@router.post("/{sign_uid}/damage", summary="登记损坏 Report a damaged sign")
def post_damage(sign_uid: SignUid, body: DamageIn, store: StoreDep, user: Officer) -> dict[str, Any]:
    """Record a damaged or missing sign (409 on a stale version)."""
    return _sign_json(report_damage(store, sign_uid, expected_version=body.version, actor=user["username"],
                                    actor_adcodes=_acts_for(user, store), damaged_on=body.damaged_on,
                                    condition=body.condition, remarks=body.remarks))


@router.post("/{sign_uid}/replace", summary="更换路牌 Replace a sign")
def post_replace(sign_uid: SignUid, body: ReplaceIn, store: StoreDep, user: Officer) -> dict[str, Any]:
    """Put up a new sign with today's standard name; the old one is linked to it and marked replaced."""
    done = replace(store, sign_uid, expected_version=body.version, actor=user["username"],
                   actor_adcodes=_acts_for(user, store), replaced_on=body.replaced_on, sign_type=body.sign_type,
                   position=_point(body.lonlat, body.crs) if body.lonlat else None, number_from=body.number_from,
                   number_to=body.number_to, direction=body.direction, remarks=body.remarks)
    return {"old": _sign_json(done["old"]), "new": _sign_json(done["new"])}


@router.post("/{sign_uid}/remove", summary="拆除路牌 Remove a sign")
def post_remove(sign_uid: SignUid, body: RemoveIn, store: StoreDep, user: Officer) -> dict[str, Any]:
    """Take a sign down for good, with the reason; the record stays as history."""
    return _sign_json(remove(store, sign_uid, expected_version=body.version, actor=user["username"],
                             reason=body.reason, actor_adcodes=_acts_for(user, store), removed_on=body.removed_on))


def sign_svg(sign: Any, *, proof: bool) -> str:
    """Return a printable sign as SVG (api/templates/signs/sign.svg, every text escaped)."""
    return render_text("signs/sign.svg", s=sign_layout(sign, proof=proof))


@router.get("/{sign_uid}/sign.svg", responses=answers_as("image/svg+xml"), summary="路牌版面 Printable sign (SVG)")
def get_sign_svg(sign_uid: SignUid, request: Request, store: StoreDep, settings: SettingsDep, user: Officer,
                 proof: bool = False) -> Response:
    """Return the printable sign (1000 x 600 mm); production needs the Mongolian name (SG-01)."""
    (printed,) = sign_texts(store, [get_sign(store, sign_uid)], signer=request.app.state.plate_signer,
                            base_url=settings.public_base_url)
    return Response(sign_svg(printed, proof=proof), media_type="image/svg+xml")


def batch_html(signs: list[Any], *, proof: bool) -> str:
    """Return an HTML document with one sign per page, for printing to PDF."""
    from geo.signs.layout import HEIGHT_MM, WIDTH_MM

    return render_text("signs/batch.html", width=WIDTH_MM, height=HEIGHT_MM,
                       signs=[Markup(sign_svg(s, proof=proof)) for s in signs])  # rendered, escaped


@page_router.get("/s/{code}", response_class=HTMLResponse)
def public_street_page(code: str, request: Request, reads: ReadsDep) -> HTMLResponse:
    """The street's public page a smart sign's QR opens: its names, its story, its plates (read from the
    read replica when it may serve it, api.deps.Reads)."""
    try:
        request.app.state.public_limiter.hit(client_address(request))
        uid = sign_signer(request.app.state.plate_signer).verify(code)
        view = reads.run(lambda store: street_page_anywhere(store, uid))  # whichever district holds the sign (#19)
    except TooManyRequests as exc:
        return _message("请稍后再试", exc.message, status=exc.status)
    except (InvalidCode, NotFound) as exc:  # "not our code" is worded for door plates; this page is a sign's
        said = (text("signs.not_our_code") if isinstance(exc, InvalidCode) and exc.reason == "malformed"
                else exc.message)  # a retired key or a forged code: said as for plates, neither names a plate
        return _message("无法识别的路牌", said, "如路牌有误请拨打 12345 · call 12345 to report",
                        status=exc.status, heading=("无法识别的路牌", "Unknown street sign"))
    font_text = quote(view.name_mong, safe="") if view.name_mong else ""
    return HTMLResponse(render_text("signs/street.html", title=view.standard_name, font_text=font_text, view=view))


def _message(title: str, *lines: str, status: int, heading: tuple[str, str] | None = None) -> HTMLResponse:
    zh, en = heading or ("", "")
    return HTMLResponse(render_text("public/message.html", title=title, font_text="", heading_zh=zh, heading_en=en,
                                    lines=lines, back=None, warn=True), status_code=status)


@page_router.get("/officer/street-signs")
def officer_worklist(request: Request, store: StoreDep, xc_token: SessionCookie = None,
                     distance_m: Annotated[str, Query(max_length=16)] = str(int(DEFAULT_DISTANCE_M))) -> Response:
    """The sign worklist page: junctions missing a sign, signs to replace, unnamed roads, on a map with a legend."""
    user = page_access(request, store, xc_token, OFFICERS)
    if isinstance(user, Response):
        return user
    try:
        metres = check_distance(distance_m)
    except InputError as exc:
        return message_page(request, "路牌工作清单", "Street sign worklist", user=user, error=exc.message, status=400)
    cache = request.app.state.cache  # rebuilt when the data changes (any committed write)
    check = cache.get(store, ("sign_junctions", metres), lambda: unsigned_junctions(store, distance_m=metres))
    roads = cache.get(store, "unnamed_roads", lambda: unnamed_roads(store))
    queue = replacement_queue(store)
    return page(request, "signs/officer.html", "路牌工作清单", "Street sign worklist", user=user, check=check,
                queue=queue, roads=roads, distance_m=f"{check['distance_m']:g}",
                map_junctions=[{"lon": j["lon"], "lat": j["lat"], "missing": "、".join(j["without_sign"]),
                                "to_replace": "、".join(j["to_replace"])} for j in check["items"]],
                map_roads=[{"lon": r["lon"], "lat": r["lat"], "label": r["label"], "length_m": r["length_m"]}
                           for r in roads],
                map_queue=[{"lon": s["lon"], "lat": s["lat"], "sign_uid": s["sign_uid"], "shows_name": s["shows_name"]}
                           for s in queue if s["lon"] is not None])
