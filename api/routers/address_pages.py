"""标准地址的业务页面
Officer pages for standard addresses (#17 item 1): a plate's address tree, adding buildings, units
and rooms, retiring, printing, the XLSX import.

Pages for the place-name officer at a desk (roles :data:`geo.layers.OFFICERS`: admin and
placename_officer), Chinese with English beside, every form working without JavaScript:

- ``/officer/addresses``: search and list the district's standard addresses, fifty to a page, each
  linking to its plate's address tree; the way to the XLSX import.
- ``/officer/plates/{plate_uid}/addresses``: the plate's buildings, units and rooms with their
  standard and romanized addresses, status and version, and the forms that add, renumber and retire
  them; the 楼牌 and 单元牌 served as SVG from here (the API's SVG needs a bearer token, a page
  session has a cookie), through the same library call.
- ``/officer/addresses/import``: upload a developer's sheet; it is stored whole or not at all, and a
  refusal lists every refused row with its row number and reason.

Each handler checks the session (:func:`api.pages.page_access` / :func:`api.pages.posted_form`),
calls one use case of :mod:`geo.addresses` and renders a template (api/templates/addresses/officer_*).
A refused form shows the page again with the reason beside that form and what was typed kept.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from api import csrf
from api.deps import SettingsDep, StoreDep
from api.import_places import ImportRunningForYou, TooManyImports, import_place
from api.pages import (
    PAGE_SIZE,
    Draft,
    SessionCookie,
    User,
    back_to,
    draft_notice_lines,
    expired_form,
    list_paging,
    message_page,
    page,
    page_access,
    posted_draft,
    posted_form,
    refusal_text,
    refuse_forgery,
    refused,
    refused_draft,
    session_user,
    whole_number,
)
from api.upload_names import UNNAMED_UPLOAD, clean_upload_name
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
    retire_address,
    search_addresses,
)
from geo.addresses.lifecycle import refuse_misplaced_document_ref
from geo.addresses.printing import plate_svg, printable
from geo.addresses.rules import field_label
from geo.addresses.views import LEVEL_ZH
from geo.addresses.xlsx_import import HEADERS
from geo.errors import DomainError, NotFound
from geo.layers import OFFICERS
from geo.messages import en, quoted, text, value_label, zh
from geo.placenames.search import former_street_names
from geo.plates.decisions import successor_of
from geo.store import Store

router = APIRouter(include_in_schema=False)

STATUS_ZH = {"active": "使用中", "retired": "已注销"}
LEVELS = ("building", "unit", "room")
IMPORT_SUFFIXES = (".xlsx", ".csv")
UPLOAD_CHUNK_BYTES = 1 << 20
ROW_OF = re.compile(r"^第 (\d+) 行")

# A form's handler: given the user, the form's fields (trimmed) and its version (None for a form
# without one), run one use case and return the confirmation the page shows.
Action = Callable[[User, dict[str, str], int | None], str]


# -- the list ----------------------------------------------------------------------------------------


def _bad_filter(name: str, value: str, allowed: dict[str, str]) -> str:
    return text("address_pages.bad_filter", field=field_label(name), value=quoted(value[:40]),
                allowed="、".join(f"{v} {k}" for k, v in allowed.items()))


@router.get("/officer/addresses")
def addresses_page(request: Request, store: StoreDep, q: str = "", level: str = "", status: str = "active",
                   page_no: Annotated[str, Query(alias="page")] = "",
                   xc_token: SessionCookie = None) -> Response:
    """List the district's standard addresses by text, level and status, fifty to a page, each linking
    to its plate's address tree; a filter value that is none of the allowed ones is named as such, and a
    ``page`` that is no page of the list shows the nearest one, saying so (:func:`api.pages.list_paging`)."""
    user = page_access(request, store, xc_token, OFFICERS)
    if isinstance(user, RedirectResponse):
        return user
    error = None
    if level.strip() and level.strip() not in LEVELS:
        error, level = _bad_filter("level", level.strip(), {k: LEVEL_ZH[k] for k in LEVELS}), ""
    if status.strip() and status.strip() not in STATUS_ZH:
        error, status = _bad_filter("status", status.strip(), STATUS_ZH), "active"
    level, status = level.strip(), status.strip()
    where: dict[str, Any] = {"adcode": store.adcode, **({"level": level} if level else {}),
                             **({"status": status} if status else {})}
    wanted = q.strip()
    notes: list[str] = []
    if wanted:  # anywhere in the address, its pinyin or its ids (geo.addresses.views.search_addresses)
        former = former_street_names(store)
        notes = former_street_notes(former_streets_in(wanted, former))
        total, _ = search_addresses(store, wanted, level=level or None, status=status or None, limit=0,
                                    former=former)
        paging = list_paging(total, page_no)
        _, rows = search_addresses(store, wanted, level=level or None, status=status or None, limit=PAGE_SIZE,
                                   offset=paging["offset"], former=former)
    else:
        paging = list_paging(store.count("addresses", where=where), page_no)
        rows = list_addresses(store, level=level or None, status=status or None, limit=PAGE_SIZE,
                              offset=paging["offset"])
    filters = {"q": q, "level": level, "status": status}
    empty = text("address_pages.no_hits", q=q.strip()[:60]) if wanted else text("address_pages.none")
    return page(request, "addresses/officer_list.html", "标准地址", "Standard addresses", user=user,
                status=400 if error else 200, error=error, rows=rows, paging=paging, filters=filters,
                query={k: v for k, v in filters.items() if v}, level_zh=LEVEL_ZH, levels=LEVELS,
                status_zh=STATUS_ZH, empty=empty, notes=notes)


# -- a plate's address tree --------------------------------------------------------------------------


def _tree_base(plate_uid: str) -> str:
    return f"/officer/plates/{plate_uid}/addresses"


def _forms_of(node: dict[str, Any], below: set[str], *, plate_active: bool = True) -> tuple[str, ...]:
    """Return the forms the page offers for an address: none for a retired one, nor below a plate that is
    not active (AD-05: replaced or revoked); a building takes units or rooms, whichever it holds already
    (either when it holds neither, AD-04), a unit takes rooms."""
    if node["status"] != "active" or not plate_active:
        return ()
    adds = {"building": tuple(k for k, holds in (("units", "unit"), ("rooms", "room"))
                              if not below or holds in below),
            "unit": ("rooms",)}.get(node["level"], ())
    return (*adds, "edit", "retire")


def _flattened(nodes: list[dict[str, Any]], depth: int = 0, *, plate_active: bool = True) -> Iterator[dict[str, Any]]:
    """Yield the tree's addresses in reading order, each with its depth and the forms the page offers."""
    for node in nodes:
        below = {c["level"] for c in node["children"] if c["status"] == "active"}
        yield {**node, "depth": depth, "forms": _forms_of(node, below, plate_active=plate_active)}
        yield from _flattened(node["children"], depth + 1, plate_active=plate_active)


def _plate_closed(store: Store, tree: dict[str, Any]) -> tuple[str | None, str | None]:
    """Return what the page says instead of its forms when the plate is not active (the use cases refuse
    every write below it, AD-05), and the plate that replaced it (``None`` when none is recorded)."""
    status = tree.get("status") or "active"
    if status == "active":
        return None, None
    plate = quoted(tree["plate_uid"])
    if status == "revoked":
        return text("address_pages.plate_revoked", plate=plate), None
    successor = successor_of(store, tree["plate_uid"]) if status == "replaced" else None
    if successor:
        return text("address_pages.plate_replaced", plate=plate, successor=quoted(successor)), successor
    return text("address_pages.plate_not_active", plate=plate, status=value_label(status)), None


def _tree_page(request: Request, store: Store, user: User, plate_uid: str, *, include_retired: bool = False,
               error: str | None = None, error_at: str | None = None, done: str | None = None, status: int = 200,
               refused: Draft | None = None) -> Response:
    """Return a plate's address page; ``refused`` is the form posted to ``error_at`` as typed when the
    page refused it, shown again with ``error`` beside it (at the top when the page no longer shows
    that form: the address was retired meanwhile, say)."""
    try:
        tree = plate_tree(store, plate_uid, include_retired=include_retired)
    except NotFound as exc:
        return message_page(request, "没有这块门牌", "No such plate", user=user, status=404, error=exc.message)
    draft = refused or posted_draft(request)
    base = _tree_base(tree["plate_uid"])
    closed, successor = _plate_closed(store, tree)
    rows = list(_flattened(tree["buildings"], plate_active=closed is None))
    shown = ({f"{base}/buildings"} if closed is None else set()) | {
        f"{base}/{r['address_uid']}/{f}" for r in rows for f in r["forms"]}
    at_form = error_at if error_at in shown else None
    title = tree["standard_address"] or plate_uid
    return page(request, "addresses/officer_tree.html", f"标准地址 {title}", f"Addresses of plate {plate_uid}",
                user=user, status=status, error=None if at_form else error, form_error=error, error_at=at_form,
                done=done, tree=tree, rows=rows, base=base, include_retired=include_retired, level_zh=LEVEL_ZH,
                status_zh=STATUS_ZH, draft=draft, closed=closed, successor=successor,
                successor_label=(zh("address_pages.successor_link"), en("address_pages.successor_link")),
                draft_notice=None if refused else (draft_notice_lines(draft) if draft else None))


@router.get("/officer/plates/{plate_uid}/addresses")
def plate_addresses_page(request: Request, plate_uid: str, store: StoreDep, retired: bool = False,
                         error: str | None = None, done: str | None = None,
                         xc_token: SessionCookie = None) -> Response:
    """One plate's buildings, units and rooms (retired ones with ``?retired=1``) and their forms."""
    user = page_access(request, store, xc_token, OFFICERS)
    if isinstance(user, RedirectResponse):
        return user
    return _tree_page(request, store, user, plate_uid, include_retired=retired, error=error, done=done)


def _on_plate(store: Store, plate_uid: str, address_uid: str) -> dict[str, Any]:
    """Return the address ``address_uid`` if it is below ``plate_uid`` (the page it was posted from)."""
    address = get_address(store, address_uid)
    if address["plate_uid"] != plate_uid:
        raise NotFound(text("address_pages.not_on_plate", value=quoted(address_uid), plate=quoted(plate_uid),
                            field=field_label("parent_uid")), field="parent_uid")
    return address


async def _tree_form(request: Request, store: Store, plate_uid: str, token: str | None, action: Action, *,
                     versioned: bool) -> Response:
    """Run one of a plate page's forms through ``action``; back to the page with its confirmation, or
    the page again with the reason beside the form and the form as typed (nothing stored). A version
    that is not a whole number is 版本号无效 (422), never "changed by someone else"; a stale one shows the
    page again with the address as it is now and its current version in the form."""
    page_path = _tree_base(plate_uid)
    posted = await posted_form(request, store, token, OFFICERS, page_path=page_path)
    if isinstance(posted, Response):
        return posted
    user, sent = posted
    form = {k: v.strip() for k, v in sent.items()}
    form_path = request.url.path
    version = whole_number(form.get("version")) if versioned else None
    if versioned and version is None:
        return _tree_page(request, store, user, plate_uid, error=text("forms.bad_version"), error_at=form_path,
                          status=422, refused=Draft(form_path, {k: v for k, v in sent.items() if k != "version"}))
    try:
        note = action(user, form, version)
    except DomainError as exc:
        return _tree_page(request, store, user, plate_uid, error=refusal_text(exc), error_at=form_path,
                          status=exc.status, refused=refused_draft(form_path, sent, exc))
    return back_to(request, f"/officer/plates/{quote(plate_uid, safe='')}/addresses", done=note)


@router.post("/officer/plates/{plate_uid}/addresses/buildings")
async def add_building_form(request: Request, plate_uid: str, store: StoreDep,
                            xc_token: SessionCookie = None) -> Response:
    """Add a building (3, 3号楼, 3幢, A座 …) below the plate."""
    def act(user: User, form: dict[str, str], _version: int | None) -> str:
        added = add_building(store, plate_uid, form.get("building", ""), actor=user["username"])
        return text("address_pages.added", value=added["standard_address"])

    return await _tree_form(request, store, plate_uid, xc_token, act, versioned=False)


@router.post("/officer/plates/{plate_uid}/addresses/{address_uid}/units")
async def add_unit_form(request: Request, plate_uid: str, address_uid: str, store: StoreDep,
                        xc_token: SessionCookie = None) -> Response:
    """Add a unit (2, 2单元) below one of the plate's buildings."""
    def act(user: User, form: dict[str, str], _version: int | None) -> str:
        _on_plate(store, plate_uid, address_uid)
        added = add_unit(store, address_uid, form.get("unit", ""), actor=user["username"])
        return text("address_pages.added", value=added["standard_address"])

    return await _tree_form(request, store, plate_uid, xc_token, act, versioned=False)


@router.post("/officer/plates/{plate_uid}/addresses/{address_uid}/rooms")
async def add_room_form(request: Request, plate_uid: str, address_uid: str, store: StoreDep,
                        xc_token: SessionCookie = None) -> Response:
    """Add a room (302, 302室) below a unit, or below a building without units; its floor from its number."""
    def act(user: User, form: dict[str, str], _version: int | None) -> str:
        _on_plate(store, plate_uid, address_uid)
        added = add_room(store, address_uid, form.get("room", ""), floor=form.get("floor") or None,
                         actor=user["username"])
        return text("address_pages.added", value=added["standard_address"])

    return await _tree_form(request, store, plate_uid, xc_token, act, versioned=False)


@router.post("/officer/plates/{plate_uid}/addresses/{address_uid}/edit")
async def edit_form(request: Request, plate_uid: str, address_uid: str, store: StoreDep,
                    xc_token: SessionCookie = None) -> Response:
    """Renumber an address (its own label; a room's floor too); the addresses below it follow."""
    def act(user: User, form: dict[str, str], version: int | None) -> str:
        current = _on_plate(store, plate_uid, address_uid)
        changes: dict[str, Any] = {current["level"]: form.get("label", "")}
        if current["level"] == "room" and form.get("floor"):
            changes["floor"] = form["floor"]
        after = edit_address(store, address_uid, changes, expected_version=version or 0, actor=user["username"])
        return text("address_pages.renumbered", value=after["standard_address"])

    return await _tree_form(request, store, plate_uid, xc_token, act, versioned=True)


@router.post("/officer/plates/{plate_uid}/addresses/{address_uid}/retire")
async def retire_form(request: Request, plate_uid: str, address_uid: str, store: StoreDep,
                      xc_token: SessionCookie = None) -> Response:
    """Retire an address (with ``with_children``, the active addresses below it too); it keeps its id."""
    def act(user: User, form: dict[str, str], version: int | None) -> str:
        refuse_misplaced_document_ref({k: v for k, v in form.items() if k != "csrf_token"})
        _on_plate(store, plate_uid, address_uid)
        retired = retire_address(store, address_uid, reason=form.get("reason", ""), expected_version=version or 0,
                                 actor=user["username"], with_children=bool(form.get("with_children")),
                                 document_ref=form.get("document_ref") or None)
        return text("address_pages.retired", count=len(retired))

    return await _tree_form(request, store, plate_uid, xc_token, act, versioned=True)


@router.get("/officer/plates/{plate_uid}/addresses/{address_uid}/plate.svg")
def address_plate_svg(request: Request, plate_uid: str, address_uid: str, store: StoreDep, settings: SettingsDep,
                      proof: bool = False, xc_token: SessionCookie = None) -> Response:
    """Return the 楼牌 or 单元牌 of a building or unit as SVG (as the API's plate.svg, for the page
    session); a production plate needs the street's Mongolian name (SG-01), a proof is marked."""
    user = page_access(request, store, xc_token, OFFICERS)
    if isinstance(user, RedirectResponse):
        return user
    try:
        printed = printable(store, _on_plate(store, plate_uid, address_uid), signer=request.app.state.plate_signer,
                            base_url=settings.public_base_url)
        svg = plate_svg(printed, proof=proof)
    except DomainError as exc:
        return message_page(request, "无法打印", "Cannot print", user=user, status=exc.status, error=exc.message)
    return Response(svg, media_type="image/svg+xml")


# -- the XLSX import ---------------------------------------------------------------------------------


def _import_page(request: Request, user: User, *, status: int = 200, error: str | None = None,
                 done: str | None = None, refused_rows: list[dict[str, Any]] | None = None,
                 filename: str = "") -> Response:
    """Return the import page: the upload form, the columns a sheet may have, and the last result."""
    return page(request, "addresses/officer_import.html", "导入标准地址", "Import standard addresses", user=user,
                status=status, error=error, done=done, refused_rows=refused_rows or [], columns=list(HEADERS.items()),
                filename=filename)


@router.get("/officer/addresses/import")
def import_page(request: Request, store: StoreDep, error: str | None = None, done: str | None = None,
                xc_token: SessionCookie = None) -> Response:
    """The upload form for a developer's sheet, with the columns it may have."""
    user = page_access(request, store, xc_token, OFFICERS)
    if isinstance(user, RedirectResponse):
        return user
    return _import_page(request, user, error=error, done=done)


def _refused_rows(details: list[str]) -> list[dict[str, Any]]:
    """Return each refused row of an import as its row number and its reason (Chinese first)."""
    rows = []
    for line in details:
        found = ROW_OF.match(line)
        rows.append({"row": int(found.group(1)) if found else None, "reason": line})
    return rows


@router.post("/officer/addresses/import")
async def import_submit(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Import the uploaded sheet through :func:`geo.addresses.import_addresses`: stored whole or not at
    all; a refusal lists every refused row (its body size is held by api.limits, the path ending in /import).

    The upload is read only for an officer's session, from this site's page, and in one of the process's
    import places (:func:`api.import_places.import_place`): with no session the browser goes to the login form at
    once, another role or another site's post gets the 403 page, and a busy server the import page with 429,
    each before the file is read (the form's CSRF token is in the body: checked once it is read).
    The uploaded file's temporary copy is closed whatever the answer, a refused (forged) post included:
    Starlette keeps the form :func:`api.pages.refuse_forgery` read, and it is closed here."""
    page_path = "/officer/addresses/import"
    officer = session_user(store, xc_token, OFFICERS)  # another role: the 403 page
    if officer is None:
        return await expired_form(request, page_path=page_path, keep_draft=False)
    if (foreign := csrf.cross_site_refusal(request)) is not None:  # another site's form: headers tell, unread
        return refused(request, foreign, user=officer)
    try:
        with import_place(request, username=officer["username"]):
            forged = await refuse_forgery(request, officer)  # the session looked up once, above
            form = await request.form()
            try:
                if forged is not None:
                    return forged
                return await _imported(request, store, officer, form.get("file"))
            finally:
                await form.close()
    except TooManyImports as busy:
        error = (text("http.import_running_for_you_page", stall=request.app.state.import_slots.stall_s,
                      seconds=busy.retry_after_s)
                 if isinstance(busy, ImportRunningForYou) else
                 text("http.too_many_imports_page", limit=request.app.state.import_slots.limit,
                      seconds=busy.retry_after_s))
        answer = _import_page(request, officer, status=busy.status, error=error)
        answer.headers["Retry-After"] = str(busy.retry_after_s)
        return answer


async def _imported(request: Request, store: Store, user: User, upload: object) -> Response:
    """Store the uploaded sheet and go back to the import page saying what was stored, or show the page
    again with the reason and every refused row (nothing stored)."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _import_page(request, user, status=400, error=text("address_pages.no_file"))
    name = clean_upload_name(upload.filename) or UNNAMED_UPLOAD  # as the API names it (review: "   ", "/tmp/x/")
    suffix = Path(name).suffix.lower()
    if suffix not in IMPORT_SUFFIXES:
        return _import_page(request, user, status=400, filename=name,
                            error=text("address_pages.bad_file_type", value=quoted(name, max_chars=60)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        with path.open("wb") as fh:
            while chunk := await upload.read(UPLOAD_CHUNK_BYTES):
                fh.write(chunk)
        try:
            counts = await run_in_threadpool(import_addresses, store, path, actor=user["username"],
                                             source=f"import by {user['username']}", name=name)
        except DomainError as exc:
            return _import_page(request, user, status=exc.status, filename=name, error=exc.message,
                                refused_rows=_refused_rows(exc.details))
    return back_to(request, "/officer/addresses/import", done=text("address_pages.imported", **counts))
