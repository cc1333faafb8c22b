"""标准地址（楼、单元、室）Standard addresses below the door plate (#17 item 1).

``router`` holds the JSON endpoints (documented, every error in the one shape); ``page_router`` the
public page a 楼牌 or 单元牌 QR code opens (``/a/{code}``). Writes need the role admin or
placename_officer; reads need an officer or a planner; every answer is of this district only.
Each handler parses, calls one use case or read of :mod:`geo.addresses`, and formats.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from api.deps import ReadsDep, SettingsDep, StoreDep, client_address, needs_role
from api.geojson import answers_as
from api.import_places import import_place
from api.pages import render_text
from api.ratelimit import TooManyRequests
from geo.addresses import (
    add_building,
    add_room,
    add_unit,
    edit_address,
    former_street_notes,
    former_streets_in,
    get_address,
    import_addresses,
    list_addresses,
    plate_tree,
    public_fields,
    retire_address,
    search_addresses,
    with_chain,
)
from geo.addresses.codes import InvalidAddressCode, verify_address_code
from geo.addresses.lifecycle import refuse_misplaced_document_ref
from geo.addresses.printing import plate_svg, printable
from geo.addresses.views import AddressView, public_view_anywhere
from geo.errors import NotFound
from geo.io.formats import UPLOAD_NAME
from geo.layers import OFFICERS, PLANNER
from geo.messages import quoted, text
from geo.placenames.search import former_street_names
from geo.store import Store

router = APIRouter(prefix="/api/standard-addresses", tags=["standard addresses 标准地址"])
page_router = APIRouter(include_in_schema=False)

Writer = Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "standard addresses"))]
Reader = Annotated[dict[str, Any], Depends(needs_role(OFFICERS | {PLANNER}, "standard addresses"))]
Label = Annotated[str, Field(min_length=1, max_length=64)]
Uid = Annotated[str, Field(min_length=1, max_length=32)]


class BuildingIn(BaseModel):
    """A new building (楼/幢) below a door plate."""

    model_config = ConfigDict(extra="forbid")  # a field sent that this request does not take is refused

    plate_uid: Uid
    building: Label


class UnitIn(BaseModel):
    """A new unit (单元) below a building."""

    model_config = ConfigDict(extra="forbid")  # a field sent that this request does not take is refused

    parent_uid: Uid
    unit: Label


class RoomIn(BaseModel):
    """A new room (室) below a unit (or a building without units); floor only if the number does not say it."""

    model_config = ConfigDict(extra="forbid")  # a field sent that this request does not take is refused

    parent_uid: Uid
    room: Label
    floor: StrictInt | None = Field(default=None, ge=-9, le=99)


class AddressEditIn(BaseModel):
    """A renumbering: the address's own label (and a room's floor), based on ``version``."""

    model_config = ConfigDict(extra="forbid")  # a field sent that this request does not take is refused

    version: int = Field(ge=1, le=2**31 - 1)
    building: Label | None = None
    unit: Label | None = None
    room: Label | None = None
    floor: StrictInt | None = Field(default=None, ge=-9, le=99)


class RetireIn(BaseModel):
    """A retirement: the reason, the decision's document number (``document_ref``, at the top level of the
    body), and whether the addresses below go with it (AD-06)."""

    model_config = ConfigDict(extra="forbid")  # a field sent that this request does not take is refused

    version: int = Field(ge=1, le=2**31 - 1)
    reason: str = Field(min_length=1, max_length=200)
    document_ref: str | None = Field(default=None, max_length=200,
                                     description="依据文件（决定文号） the decision's document number")
    with_children: bool = False

    @model_validator(mode="before")
    @classmethod
    def _document_ref_at_top_level(cls, data: Any) -> Any:
        """Refuse a body whose document number is nested or misnamed, saying where it belongs (400)."""
        if isinstance(data, dict):
            refuse_misplaced_document_ref(data)
        return data


@router.post("/buildings", summary="新增楼 Add a building below a door plate")
def post_building(body: BuildingIn, store: StoreDep, user: Writer) -> dict[str, Any]:
    """Add a building (3, 3号楼, 3幢, A座 …) below an active plate of this district; return it with its id."""
    return public_fields(add_building(store, body.plate_uid, body.building, actor=user["username"]))


@router.post("/units", summary="新增单元 Add a unit below a building")
def post_unit(body: UnitIn, store: StoreDep, user: Writer) -> dict[str, Any]:
    """Add a unit (2, 2单元) below a building that has no rooms directly below it."""
    return public_fields(add_unit(store, body.parent_uid, body.unit, actor=user["username"]))


@router.post("/rooms", summary="新增室 Add a room")
def post_room(body: RoomIn, store: StoreDep, user: Writer) -> dict[str, Any]:
    """Add a room (302, 302室) below a unit or a building without units; its floor from its number (AD-03)."""
    return public_fields(add_room(store, body.parent_uid, body.room, floor=body.floor, actor=user["username"]))


@router.get("", summary="标准地址列表 List standard addresses")
def get_list(store: StoreDep, user: Reader,
             plate_uid: Annotated[str | None, Query(max_length=32)] = None,
             level: Literal["building", "unit", "room"] | None = None,
             status: Literal["active", "retired"] | None = "active",
             limit: Annotated[int, Query(ge=1, le=1000)] = 200,
             offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
             q: Annotated[str | None, Query(max_length=200, description="查找 text searched for")] = None,
             ) -> dict[str, Any]:
    """Return this district's addresses in id order (at most ``limit``), filtered by plate, level, status;
    with ``q``, those holding it in their address, pinyin or ids, a street's former name finding the
    street by its name now (``former_streets`` says so, Chinese first) and ``total`` counting them all."""
    wanted = (q or "").strip()
    if not wanted:
        rows = list_addresses(store, plate_uid=plate_uid, level=level, status=status, limit=limit, offset=offset)
        return {"addresses": rows, "count": len(rows), "limit": limit, "offset": offset}
    former = former_street_names(store)
    renamed = former_streets_in(wanted, former)
    total, rows = search_addresses(store, wanted, level=level, status=status, limit=limit, offset=offset,
                                   former=former, plate_uid=plate_uid)
    return {"addresses": rows, "count": len(rows), "total": total, "limit": limit, "offset": offset,
            "former_streets": [{"former": old, "current": new, "note": note}
                               for (old, new), note in zip(renamed, former_street_notes(renamed), strict=True)]}


@router.get("/plates/{plate_uid}/addresses", summary="门牌下的地址树 The address tree of a plate")
def get_tree(plate_uid: str, store: StoreDep, user: Reader, include_retired: bool = False) -> dict[str, Any]:
    """Return the plate's buildings with their units and rooms nested, and counts per level."""
    return plate_tree(store, plate_uid, include_retired=include_retired)


@router.post("/import", summary="批量导入楼、单元、室 Import buildings, units and rooms (XLSX)",
             openapi_extra={"requestBody": {"content": {"application/octet-stream": {
                 "schema": {"type": "string", "format": "binary"}}}, "required": True}})
async def post_import(request: Request, store: StoreDep, user: Writer,
                      format: Literal["xlsx", "csv"] = "xlsx") -> dict[str, Any]:
    """Import a developer's sheet (the request body): stored whole or not at all; a refusal lists every bad row
    (row number, field, reason) in ``details``. Columns: see ``xincheng addresses import --help``. ``?filename=``
    names the file in a refusal of the whole file (as every import reads it, api.upload_names)."""
    # The body's size is held to max_upload_bytes by api.limits (the path ends in /import); it is read in one of
    # the import places.
    with import_place(request, username=user["username"]), tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload.{format}"
        with path.open("wb") as fh:
            async for chunk in request.stream():
                fh.write(chunk)
        return await run_in_threadpool(import_addresses, store, path, actor=user["username"],
                                       source=f"import by {user['username']}",
                                       name=UPLOAD_NAME.get())  # ?filename=: the file as the officer named it


@router.get("/lookup/{code}", summary="扫码查询 Address lookup by QR code (JSON, public)")
def get_lookup(code: str, request: Request, reads: ReadsDep) -> dict[str, Any]:
    """Return what the public page of an address's QR code shows, as JSON (names only; from the replica
    when it may serve it)."""
    request.app.state.public_limiter.hit(client_address(request))
    return reads.run(lambda store: _view(request, store, code).to_dict())


@router.get("/{address_uid}", summary="标准地址 One address with its parent chain")
def get_one(address_uid: str, store: StoreDep, user: Reader) -> dict[str, Any]:
    """Return the address, its standard and romanized strings and its parent chain (plate first)."""
    return with_chain(store, get_address(store, address_uid))


@router.patch("/{address_uid}", summary="修改地址编号 Renumber an address")
def patch_one(address_uid: str, body: AddressEditIn, store: StoreDep, user: Writer) -> dict[str, Any]:
    """Change the address's own label (and a room's floor); 409 when ``version`` is stale."""
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    return public_fields(edit_address(store, address_uid, changes, expected_version=body.version,
                                      actor=user["username"]))


@router.post("/{address_uid}/retire", summary="注销地址 Retire an address")
def post_retire(address_uid: str, body: RetireIn, store: StoreDep, user: Writer) -> dict[str, Any]:
    """Retire the address (with ``with_children``, the addresses below it too); it keeps its id for good."""
    retired = retire_address(store, address_uid, reason=body.reason, expected_version=body.version,
                             actor=user["username"], with_children=body.with_children,
                             document_ref=body.document_ref)
    return {"retired": [public_fields(r) for r in retired]}


@router.get("/{address_uid}/plate.svg", responses=answers_as("image/svg+xml"),
            summary="楼牌、单元牌版面 Printable building or unit plate (SVG)")
def get_plate_svg(address_uid: str, request: Request, store: StoreDep, settings: SettingsDep, user: Writer,
                  proof: bool = False) -> Response:
    """Return the 楼牌 (900 x 500 mm) or 单元牌 (270 x 170 mm) with its signed QR; production needs SG-01."""
    printed = printable(store, get_address(store, address_uid), signer=request.app.state.plate_signer,
                        base_url=settings.public_base_url)
    return Response(plate_svg(printed, proof=proof), media_type="image/svg+xml")


def _view(request: Request, store: Store, code: str) -> AddressView:
    """Verify the code, then read the address's public view in whichever district holds it (#19)."""
    token = verify_address_code(request.app.state.plate_signer, code)
    view = public_view_anywhere(store, token)
    if view is None:
        raise NotFound(text("addresses.no_address", value=quoted(code)), field="code")
    return view


def _page(template: str, title: str, status: int = 200, *, mongolian: str | None = None,
          **context: Any) -> HTMLResponse:
    font_text = quote(mongolian, safe="") if mongolian else ""
    return HTMLResponse(render_text(template, title=title, font_text=font_text, **context), status_code=status)


@page_router.get("/a/{code}", response_class=HTMLResponse)
def address_page(code: str, request: Request, reads: ReadsDep) -> HTMLResponse:
    """The page a 楼牌 or 单元牌 QR code opens: the standard address in Chinese, Mongolian and pinyin (from
    the replica when it may serve it)."""
    try:
        request.app.state.public_limiter.hit(client_address(request))
        view = reads.run(lambda store: _view(request, store, code))
    except TooManyRequests as exc:
        return _page("public/message.html", "请稍后再试", exc.status, heading_zh="请稍后再试",
                     heading_en="Try again later", lines=[exc.message], back=None, warn=True)
    except (InvalidAddressCode, NotFound) as exc:
        return _page("public/message.html", "无法识别的地址", exc.status, heading_zh="无法识别的地址",
                     heading_en="Unknown address", lines=[exc.message, "如有误请拨打 12345 · call 12345 to report"],
                     back=None, warn=True)
    mongolian = " ".join(x for x in (view.street_mong, view.community_mong) if x) or None
    last = view.standard_address.split(" ")[-1] if view.standard_address else ""
    return _page("addresses/address.html", view.standard_address, mongolian=mongolian, view=view,
                 last_label=last, where=" · ".join(x for x in (view.community, view.subdistrict) if x))

