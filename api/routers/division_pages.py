"""区划调整与路牌的业务页面
Pages for division changes (admins) and the street-sign register (officers) (#17 items 2, 4).

Division changes (``/officer/divisions``, admins only: a change is the bureau's decision): the list
of changes, one change with what moved, units found by current or former name or code with their
code chain, and the forms to rename, merge, create and split units. Create and split take their
polygons as an uploaded GeoJSON file, parsed as the JSON API parses geometry
(:func:`geo.features.parse_geometry`). Every form posts to one use case of
:mod:`geo.divisions.changes`; the next free code is offered as the use case would take it (PN-13).

Street signs (``/officer/street-signs/…``, officers): the register with filters and paging, the
install form, one sign with its history (the audit rows) and the forms for its steps
(:mod:`geo.signs.register`), and its printable SVG behind the page login.

Every form starts with :func:`api.pages.posted_form` (session, role, CSRF); a refusal shows the page
again with the reason beside the form and what was typed kept, nothing stored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import quote

import shapely
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from shapely.geometry.base import BaseGeometry

from api.deps import SettingsDep, StoreDep
from api.pages import (
    PAGE_SIZE,
    SessionCookie,
    back_to,
    list_paging,
    message_page,
    page,
    page_access,
    posted_form,
    refusal_text,
    refused_draft,
    render_text,
    whole_number,
)
from geo.divisions.changes import create_unit, merge_units, offer_code, rename_unit, split_unit
from geo.divisions.codes import LEAF_LEVELS, LEVELS
from geo.divisions.queries import MAX_QUERY_CHARS, get_change, list_changes, search_units, unit_history
from geo.errors import DomainError, InputError, NotFound, StaleVersion
from geo.features import parse_geometry
from geo.layers import ADMIN, AREA, OFFICERS
from geo.messages import Term, beijing_time, en, label, text, value_label, zh
from geo.messages.signs import VALUES as SIGN_VALUES
from geo.signs.layout import sign_layout
from geo.signs.printed import sign_texts
from geo.signs.register import get_sign, inspect, install, remove, replace, report_damage
from geo.signs.rules import CONDITIONS, DAMAGING_CONDITIONS, DIRECTIONS, SIDES, SIGN_TYPES, STANDING, STATUSES, choice
from geo.store import Store
from geo.types import LonLat
from geo.users import acts_for

router = APIRouter(include_in_schema=False)

User = dict[str, Any]
ADMINS = frozenset({ADMIN})
MERGE_ROWS = 6            # rows of the merge form (code and version of each unit); the use case takes up to 20
MAX_GEOJSON_BYTES = 5 * 1024 * 1024
DECISION_FIELDS = ("decision_body", "decision_doc_no", "decision_date", "effective_on")
CRS_CHOICES = {"EPSG:4490": "CGCS2000 (EPSG:4490)", "EPSG:4326": "WGS84 (EPSG:4326, GPS)",
               "gcj02": "GCJ-02（高德、腾讯 Amap, Tencent）", "bd09": "BD-09（百度 Baidu）",
               "EPSG:4546": "CGCS2000 / 3° GK CM 111E (EPSG:4546)"}
DIVISIONS = "/officer/divisions"
SIGNS = "/officer/street-signs"


def _stripped(sent: Mapping[str, str]) -> dict[str, str]:
    """Return the posted fields with surrounding blanks removed (kept as typed otherwise, to show them again)."""
    return {k: str(v).strip() for k, v in sent.items()}


def _labels(values: Any, *, field: str | None = None) -> dict[str, str]:
    """Return each stored value with its Chinese label and the value beside it (``"社区 community"``)."""
    return {v: str(value_label(v, field=field)) for v in values}


CHANGE_KINDS = ("create", "split", "merge", "rename", "recode", "retire")
UNIT_STATUSES = ("active", "retired")


# -- division changes (admins) -------------------------------------------------------------------------


def _decision(typed: Mapping[str, str]) -> dict[str, Any]:
    """Return the decision fields of a form as the use cases take them (empty ones as ``None``, refused there)."""
    return {k: typed.get(k) or None for k in DECISION_FIELDS}


async def _geojson_features(request: Request, *, field: str) -> list[dict[str, Any]]:
    """Return the features of the GeoJSON file uploaded as ``field``: name, code, name_mong, meaning and
    the geometry in EPSG:4490 (a polygon, parsed as the JSON API parses it), or refuse naming the field."""
    form = await request.form()
    upload = form.get(field)
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise InputError(text("division_pages.file_required", field=label(field)), field=field)
    raw = await upload.read(MAX_GEOJSON_BYTES + 1)
    if len(raw) > MAX_GEOJSON_BYTES:
        raise InputError(text("division_pages.file_too_large", field=label(field),
                              most_mb=MAX_GEOJSON_BYTES // (1024 * 1024)), field=field)
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(text("divisions.file_unreadable", path=upload.filename[:100],
                              reason=str(exc).splitlines()[0][:200]), field=field) from None
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = {"type": "FeatureCollection", "features": [data]}
    elif isinstance(data, dict) and data.get("type") in AREA:
        data = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": data}]}
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list) or not features or not all(isinstance(f, dict) for f in features):
        raise InputError(text("divisions.file_features", field=label(field)), field=field)
    crs = str(form.get("crs") or "EPSG:4490")
    out = []
    for i, feature in enumerate(features):
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise InputError(text("divisions.file_features", field=label(field)), field=field)
        geometry: BaseGeometry = parse_geometry(feature.get("geometry"), crs=crs, allowed=AREA, field=f"{field}[{i}]")
        out.append({**{k: props.get(k) for k in ("name", "code", "name_mong", "meaning")}, "geometry": geometry})
    return out


def _chosen_unit(store: Store, code: str) -> dict[str, Any] | None:
    """Return the unit the forms are prefilled for (``None`` when none is chosen or it is unknown)."""
    try:
        return unit_history(store, code)["unit"] if code else None
    except DomainError:
        return None


def _offered(store: Store, parent: str, level: str) -> tuple[str, str | None]:
    """Return the next free code under ``parent`` for ``level`` (empty when not asked) and why not, if refused."""
    if not parent or not level:
        return "", None
    try:
        return offer_code(store, parent_code=parent, level=level), None
    except DomainError as exc:
        return "", exc.message


def _divisions_page(request: Request, store: Store, user: User, *, q: str = "", unit: str = "", parent: str = "",
                    level: str = "", page_no: str = "", typed: dict[str, dict[str, str]] | None = None,
                    errors: dict[str, str] | None = None, status: int = 200, done: str | None = None,
                    error: str | None = None) -> Response:
    """Return the division-changes page: the changes, the unit search, and the four forms (prefilled for the
    chosen ``unit`` and the code offered under ``parent`` for ``level``; ``typed`` a refused form as typed)."""
    errors = dict(errors or {})
    paging = list_paging(store.count("division_changes", where={"adcode": store.adcode}), page_no)
    changes = list_changes(store, limit=PAGE_SIZE, offset=paging["offset"])
    hits = None
    if q:
        try:
            hits = search_units(store, q)
        except DomainError as exc:
            errors["search"] = exc.message
    chosen = _chosen_unit(store, unit)
    if chosen is not None and not parent:
        parent, level = chosen["parent_code"] or "", chosen["level"]
    offer, offer_error = _offered(store, parent, level)
    if offer_error:
        errors.setdefault("offer", offer_error)
    mine = {"code": chosen["code"], "version": str(chosen["version"])} if chosen else {}
    forms: dict[str, dict[str, str]] = {
        "rename": dict(mine), "split": dict(mine),
        "merge": {"units_0": mine.get("code", ""), "versions_0": mine.get("version", ""), "code": offer},
        "create": {"parent_code": parent, "level": level, "code": offer}}
    for name, values in (typed or {}).items():
        forms[name] = values
    return page(request, "divisions/officer_divisions.html", "区划调整", "Division changes", user=user,
                status=status, done=done, error=error, q=q, hits=hits, changes=changes, paging=paging, chosen=chosen,
                offer=offer, offer_parent=parent, offer_level=level, forms=forms, errors=errors, levels=_labels(LEVELS),
                kinds=_labels(CHANGE_KINDS, field="change_type"), statuses=_labels(UNIT_STATUSES),
                crs_choices=CRS_CHOICES, merge_rows=range(MERGE_ROWS), max_query=MAX_QUERY_CHARS)


@router.get(DIVISIONS)
def divisions_page(request: Request, store: StoreDep, xc_token: SessionCookie = None,
                   q: Annotated[str, Query(max_length=200)] = "", unit: Annotated[str, Query(max_length=12)] = "",
                   parent: Annotated[str, Query(max_length=12)] = "", level: Annotated[str, Query(max_length=16)] = "",
                   page_no: Annotated[str, Query(alias="page")] = "", done: str | None = None,
                   error: str | None = None) -> Response:
    """The division changes, newest decision first; the unit search; the forms to rename, merge, create, split."""
    user = page_access(request, store, xc_token, ADMINS)
    if isinstance(user, RedirectResponse):
        return user
    return _divisions_page(request, store, user, q=q.strip(), unit=unit.strip(), parent=parent.strip(),
                           level=level.strip(), page_no=page_no, done=done, error=error)


@router.get(DIVISIONS + "/changes/{change_id}")
def change_page(request: Request, change_id: str, store: StoreDep, xc_token: SessionCookie = None,
                done: str | None = None) -> Response:
    """One change: its decision, old → new units and codes, and the plates and addresses now in the new units."""
    user = page_access(request, store, xc_token, ADMINS)
    if isinstance(user, RedirectResponse):
        return user
    number = whole_number(change_id)
    try:
        if number is None or number < 1:
            raise NotFound(text("division_pages.no_change", id=change_id[:20]), field="id")
        change = get_change(store, number)
    except NotFound as exc:
        return message_page(request, "没有这次区划调整", "No such division change", user=user, error=exc.message,
                            status=404)
    units = {u["code"]: u for u in store.select("admin_units", where={
        "code": sorted({*change["units_before"], *change["units_after"]})})}
    moved = []
    for code in change["units_after"]:
        plates = store.select("door_plates", where={"community_code": code})
        uids = [p["plate_uid"] for p in plates]
        addresses = store.count("addresses", where={"plate_uid": uids}) if uids else 0
        moved.append({"code": code, "unit": units.get(code), "plates": plates[:PAGE_SIZE], "total": len(plates),
                      "addresses": addresses})
    return page(request, "divisions/officer_change.html", f"区划调整 #{number}", f"Division change #{number}",
                user=user, done=done, change=change, units=units, moved=moved, levels=_labels(LEVELS),
                kinds=_labels(CHANGE_KINDS, field="change_type"), statuses=_labels(UNIT_STATUSES))


@router.get(DIVISIONS + "/units/{code}")
def unit_page(request: Request, code: str, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """A unit's code chain both ways: what it came from and what it became, each step with its decision."""
    user = page_access(request, store, xc_token, ADMINS)
    if isinstance(user, RedirectResponse):
        return user
    try:
        history = unit_history(store, code[:12])
    except DomainError as exc:
        return message_page(request, "没有这个区划", "No such unit", user=user, error=exc.message, status=exc.status)
    return page(request, "divisions/officer_unit.html", f"区划 {history['code']}", "Unit code history", user=user,
                history=history, levels=_labels(LEVELS), leaf_levels=LEAF_LEVELS,
                kinds=_labels(CHANGE_KINDS, field="change_type"), statuses=_labels(UNIT_STATUSES))


async def _division_form(request: Request, store: Store, xc_token: str | None, form_name: str) -> Response:
    """Run one division form through its use case; a refusal shows the page again with the form as typed."""
    posted = await posted_form(request, store, xc_token, ADMINS, page_path=DIVISIONS)
    if isinstance(posted, Response):
        return posted
    user, sent = posted
    try:
        return await _run_division_form(request, store, user, _stripped(sent), form_name)
    finally:
        await (await request.form()).close()  # an uploaded file's temporary copy


async def _run_division_form(request: Request, store: Store, user: User, typed: dict[str, str],
                             form_name: str) -> Response:
    """Call the use case of ``form_name`` with the typed fields (and the uploaded polygons); answer the change's
    page, or this page again with the refusal beside the form."""
    actor = user["username"]
    try:
        if form_name == "rename":
            change = rename_unit(store, typed.get("code", ""), typed.get("new_name", ""),
                                 expected_version=_version(typed.get("version")), decision=_decision(typed),
                                 actor=actor)
        elif form_name == "merge":
            codes = [typed.get(f"units_{i}", "") for i in range(MERGE_ROWS)]
            versions = {c: _version(typed.get(f"versions_{i}")) for i, c in enumerate(codes) if c}
            change = merge_units(store, [c for c in codes if c], name=typed.get("name", ""),
                                 expected_versions=versions, decision=_decision(typed), actor=actor,
                                 code=typed.get("code") or None, name_mong=typed.get("name_mong") or None,
                                 meaning=typed.get("meaning") or None)
        elif form_name == "create":
            features = await _geojson_features(request, field="geometry")
            if len(features) != 1:
                raise InputError(text("division_pages.file_one_polygon", field=label("geometry"),
                                      count=len(features)), field="geometry")
            change = create_unit(store, parent_code=typed.get("parent_code", ""), level=typed.get("level", ""),
                                 name=typed.get("name", ""), geometry=features[0]["geometry"],
                                 decision=_decision(typed), actor=actor, code=typed.get("code") or None,
                                 name_mong=typed.get("name_mong") or None, meaning=typed.get("meaning") or None)
        else:
            parts = await _geojson_features(request, field="parts")
            change = split_unit(store, typed.get("code", ""), parts, expected_version=_version(typed.get("version")),
                                decision=_decision(typed), actor=actor)
    except _BadVersion:
        return _divisions_page(request, store, user, typed={form_name: typed},
                               errors={form_name: text("forms.bad_version")}, status=422)
    except StaleVersion as exc:
        fresh, unit = _with_current_versions(store, typed, form_name)
        return _divisions_page(request, store, user, unit=unit, typed={form_name: fresh},
                               errors={form_name: refusal_text(exc)}, status=exc.status)
    except DomainError as exc:
        return _divisions_page(request, store, user, typed={form_name: typed}, errors={form_name: refusal_text(exc)},
                               status=exc.status)
    return back_to(request, f"{DIVISIONS}/changes/{change['id']}",
                   done=text("division_pages.change_done", id=change["id"]))


def _with_current_versions(store: Store, typed: Mapping[str, str], form_name: str) -> tuple[dict[str, str], str]:
    """Return a form refused for a stale version as typed but with the versions its units have now, and the
    code of the unit the page then shows as chosen (its current record), so the next submit is not stale again."""
    fresh = dict(typed)
    pairs = ([(f"units_{i}", f"versions_{i}") for i in range(MERGE_ROWS)] if form_name == "merge"
             else [("code", "version")])
    shown = ""
    for code_key, version_key in pairs:
        unit = _chosen_unit(store, fresh.get(code_key, ""))
        if unit is not None:
            fresh[version_key] = str(unit["version"])
            shown = shown or str(unit["code"])
    return fresh, shown


class _BadVersion(Exception):
    """A version field that is not a whole number: the form is damaged (422), not "changed meanwhile"."""


def _version(raw: str | None) -> int:
    """Return a version field as a whole number, or raise :class:`_BadVersion`."""
    number = whole_number(raw)
    if number is None:
        raise _BadVersion
    return number


@router.post(DIVISIONS + "/rename")
async def rename_form(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Rename a unit under a decision (code and boundary kept; its place name and addresses follow)."""
    return await _division_form(request, store, xc_token, "rename")


@router.post(DIVISIONS + "/merge")
async def merge_form(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Merge adjoining communities or villages into a new unit (the offered code, or one given)."""
    return await _division_form(request, store, xc_token, "merge")


@router.post(DIVISIONS + "/create")
async def create_form(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Create a unit from an uploaded GeoJSON polygon."""
    return await _division_form(request, store, xc_token, "create")


@router.post(DIVISIONS + "/split")
async def split_form(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Split a community or village into the parts of an uploaded GeoJSON FeatureCollection."""
    return await _division_form(request, store, xc_token, "split")


# -- the street-sign register (officers) ---------------------------------------------------------------


def _lonlat(sign: Mapping[str, Any]) -> str:
    """Return a sign's stored position as ``lon,lat`` (EPSG:4490) for the page."""
    point = sign.get("geometry")
    return "" if point is None else f"{point.x:.7f},{point.y:.7f}"


def _int_or_raw(raw: str | None) -> Any:
    """Return a typed number as an int for the use case, the text itself when it is not one (refused there,
    naming the field), ``None`` when empty."""
    if not raw:
        return None
    number = whole_number(raw)
    return raw if number is None else number


def _position(typed: Mapping[str, str]) -> shapely.Point | None:
    """Return the typed ``lon,lat`` in the chosen CRS as an EPSG:4490 point (``None`` when empty), or refuse it."""
    if not typed.get("lonlat"):
        return None
    where = LonLat.parse(typed["lonlat"], crs=typed.get("crs") or "EPSG:4490", field="lonlat")
    return shapely.Point(where.lon, where.lat)


def _register_page(request: Request, store: Store, user: User, *, street: str = "", status_filter: str = "",
                   page_no: str = "", typed: dict[str, str] | None = None, error: str | None = None,
                   status: int = 200) -> Response:
    """Return the register: signs filtered by street (a segment id or a street's name) and status, fifty to a
    page, the matching segments, and the install form (``typed``: as typed when refused, ``error`` beside it)."""
    where: dict[str, Any] = {"adcode": store.adcode}
    filter_error = None
    segments: list[dict[str, Any]] = []
    if status_filter:
        try:
            where["status"] = choice(status_filter, STATUSES, field="status")
        except InputError as exc:
            filter_error = exc.message
    if street:
        if (segment_id := whole_number(street)) is not None:
            segments = store.select("streets", where={"id": segment_id, "adcode": store.adcode}, limit=1)
        else:
            segments = store.select("streets", where={"name": street, "adcode": store.adcode})
        if not segments:
            filter_error = filter_error or text("division_pages.no_street", value=street[:60])
        where["street_id"] = [s["id"] for s in segments]
    rows: list[dict[str, Any]] = []
    paging = list_paging(0, 1)
    if filter_error is None:
        paging = list_paging(store.count("street_signs", where=where), page_no)
        rows = store.select("street_signs", where=where, limit=PAGE_SIZE, offset=paging["offset"])
    filters = {"street": street, "status": status_filter}
    return page(request, "signs/officer_register.html", "路牌登记", "Street sign register", user=user,
                status=400 if filter_error and status == 200 else status, rows=rows, paging=paging,
                filters=filters, query={k: v for k, v in filters.items() if v}, filter_error=filter_error,
                segments=segments[:PAGE_SIZE], values=SIGN_VALUES, statuses=STATUSES, sign_types=SIGN_TYPES,
                sides=SIDES, directions=DIRECTIONS, crs_choices=CRS_CHOICES, error=error,
                typed=typed or {"crs": "EPSG:4490", "sign_type": "ordinary",
                                "street_id": str(segments[0]["id"]) if len(segments) == 1 else ""})


@router.get(SIGNS + "/register")
def register_page(request: Request, store: StoreDep, xc_token: SessionCookie = None,
                  street: Annotated[str, Query(max_length=100)] = "", status: Annotated[str, Query(max_length=24)] = "",
                  page_no: Annotated[str, Query(alias="page")] = "") -> Response:
    """The sign register by street and status, each sign linked to its page; the form to install a sign."""
    user = page_access(request, store, xc_token, OFFICERS)
    if isinstance(user, RedirectResponse):
        return user
    return _register_page(request, store, user, street=street.strip(), status_filter=status.strip(), page_no=page_no)


def _with_warnings(done: str, sign: Mapping[str, Any]) -> str:
    """Return what a page says after a sign is stored, with the range warnings its check gave
    (:mod:`geo.signs.ranges`: a range past the last plate, plates behind the sign…), so the officer
    sees them at once, not only in the sign's history."""
    warnings = [str(w["message"]) for w in sign.get("warnings") or []]
    return done + ("；提示 warnings: " + "；".join(warnings) if warnings else "")


@router.post(SIGNS + "/register/install")
async def install_form(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Install a sign through its use case; a refusal shows the register again with the form as typed."""
    posted = await posted_form(request, store, xc_token, OFFICERS, page_path=SIGNS + "/register")
    if isinstance(posted, Response):
        return posted
    user, sent = posted
    typed = _stripped(sent)
    try:
        # No position typed: an empty point, which the use case refuses naming the field (位置 lonlat).
        sign = install(store, street_id=_int_or_raw(typed.get("street_id")),
                       position=_position(typed) or shapely.Point(), sign_type=typed.get("sign_type", ""),
                       actor=user["username"],
                       actor_adcodes=acts_for(user, default=store.adcode), side=typed.get("side") or None,
                       direction=typed.get("direction") or None, number_from=_int_or_raw(typed.get("number_from")),
                       number_to=_int_or_raw(typed.get("number_to")), installed_on=typed.get("installed_on") or None,
                       remarks=typed.get("remarks") or None)
    except DomainError as exc:
        return _register_page(request, store, user, typed=typed, error=refusal_text(exc), status=exc.status)
    return back_to(request, f"{SIGNS}/{quote(sign['sign_uid'], safe='')}",
                   done=_with_warnings(text("division_pages.sign_installed", uid=sign["sign_uid"]), sign))


SIGN_ACTIONS = ("create", "insert", "bulk_create", "update", "inspect", "damage", "replace", "remove", "allocate",
                "rename_propagation", "refused_stale_version")


def action_label(action: str | None) -> tuple[str, str]:
    """Return an audit row's action as the sign history shows it: Chinese, and English beside it.

    Each action the sign use cases write has its label; a status change written as ``status:<value>``
    names the new status; any other action reads "其他操作（code）", never the bare code.
    """
    code = str(action or "")
    if code in SIGN_ACTIONS:
        key, params = f"division_pages.action_{code}", {}
    elif code.startswith("status:") and code[len("status:"):]:
        value = code[len("status:"):]
        zh_value, en_value = SIGN_VALUES.get(value, (str(value_label(value)), value))
        key, params = "division_pages.action_status", {"status": Term(zh_value, en_value)}
    else:
        key, params = "division_pages.action_other", {"code": code[:40] or "—"}
    return zh(key, **params), en(key, **params)


def _sign_page(request: Request, store: Store, user: User, sign_uid: str, *, typed: dict[str, dict[str, str]] | None
               = None, errors: dict[str, str] | None = None, status: int = 200, done: str | None = None) -> Response:
    """Return one sign's page: what it shows, where, its status, its history and the forms of its next steps."""
    try:
        sign = get_sign(store, sign_uid)
    except NotFound as exc:
        return message_page(request, "没有这块路牌", "No such street sign", user=user, error=exc.message, status=404)
    history = [{**row, "at_text": beijing_time(row["at"]), "action_text": action_label(row["action"])}
               for row in reversed(store.audit_rows("street_signs", sign["id"]))]
    street = store.select("streets", where={"id": sign["street_id"]}, limit=1) if sign.get("street_id") else []
    version = str(sign["version"])
    forms = {name: {"version": version} for name in ("inspect", "damage", "replace", "remove")}
    forms["replace"]["crs"] = "EPSG:4490"
    for name, values in (typed or {}).items():  # as typed; the current version when the refusal left it out
        forms[name] = {**forms.get(name, {}), **values}
    return page(request, "signs/officer_sign.html", f"路牌 {sign['sign_uid']}", "Street sign", user=user,
                status=status, done=done, sign=sign, lonlat=_lonlat(sign), street=street[0] if street else None,
                predecessors=store.select("street_signs", where={"successor_sign_uid": sign["sign_uid"]}),
                history=history, standing=sign["status"] in STANDING, forms=forms, errors=errors or {},
                values=SIGN_VALUES, conditions=CONDITIONS, damaging=DAMAGING_CONDITIONS, sign_types=SIGN_TYPES,
                directions=DIRECTIONS, crs_choices=CRS_CHOICES)


@router.get(SIGNS + "/{sign_uid}")
def sign_page(request: Request, sign_uid: str, store: StoreDep, xc_token: SessionCookie = None,
              done: str | None = None) -> Response:
    """One sign: what it shows, its position, status and history, and the forms of its next steps."""
    user = page_access(request, store, xc_token, OFFICERS)
    if isinstance(user, RedirectResponse):
        return user
    return _sign_page(request, store, user, sign_uid[:16], done=done)


@router.get(SIGNS + "/{sign_uid}/sign.svg")
def sign_svg_page(request: Request, sign_uid: str, store: StoreDep, settings: SettingsDep,
                  xc_token: SessionCookie = None, proof: bool = False) -> Response:
    """The printable sign (SVG, 1000 × 600 mm) behind the page login; a proof when the Mongolian name is missing."""
    user = page_access(request, store, xc_token, OFFICERS)
    if isinstance(user, RedirectResponse):
        return user
    try:
        (printed,) = sign_texts(store, [get_sign(store, sign_uid[:16])], signer=request.app.state.plate_signer,
                                base_url=settings.public_base_url)
        svg = render_text("signs/sign.svg", s=sign_layout(printed, proof=proof))
    except DomainError as exc:
        return message_page(request, "无法打印路牌", "Cannot print the sign", user=user, error=exc.message,
                            status=exc.status)
    return Response(svg, media_type="image/svg+xml")


async def _sign_form(request: Request, store: Store, xc_token: str | None, sign_uid: str, step: str) -> Response:
    """Run one of a sign's forms through its use case; a refusal shows the sign's page again with the form as typed
    (a version that is not a whole number: 版本号无效, 422)."""
    path = f"{SIGNS}/{quote(sign_uid, safe='')}"
    posted = await posted_form(request, store, xc_token, OFFICERS, page_path=f"{SIGNS}/{sign_uid}")
    if isinstance(posted, Response):
        return posted
    user, sent = posted
    typed = _stripped(sent)
    version = whole_number(typed.get("version"))
    if version is None:
        return _sign_page(request, store, user, sign_uid, typed={step: typed},
                          errors={step: text("forms.bad_version")}, status=422)
    common: dict[str, Any] = {"expected_version": version, "actor": user["username"],
                              "actor_adcodes": acts_for(user, default=store.adcode)}
    try:
        if step == "inspect":
            inspect(store, sign_uid, condition=typed.get("condition", ""),
                    inspected_on=typed.get("inspected_on") or None, remarks=typed.get("remarks") or None, **common)
        elif step == "damage":
            report_damage(store, sign_uid, condition=typed.get("condition") or "damaged",
                          damaged_on=typed.get("damaged_on") or None, remarks=typed.get("remarks") or None, **common)
        elif step == "replace":
            done = replace(store, sign_uid, replaced_on=typed.get("replaced_on") or None,
                           sign_type=typed.get("sign_type") or None, position=_position(typed),
                           number_from=_int_or_raw(typed.get("number_from")),
                           number_to=_int_or_raw(typed.get("number_to")), direction=typed.get("direction") or None,
                           remarks=typed.get("remarks") or None, **common)
            new_uid = done["new"]["sign_uid"]
            return back_to(request, f"{SIGNS}/{quote(new_uid, safe='')}",
                           done=_with_warnings(text("division_pages.sign_replaced", uid=new_uid), done["new"]))
        else:
            remove(store, sign_uid, reason=typed.get("reason", ""), removed_on=typed.get("removed_on") or None,
                   **common)
    except DomainError as exc:
        return _sign_page(request, store, user, sign_uid, typed={step: refused_draft(step, typed, exc).values},
                          errors={step: refusal_text(exc)}, status=exc.status)
    return back_to(request, path, done=text(f"division_pages.sign_{step}_done"))


@router.post(SIGNS + "/{sign_uid}/inspect")
async def inspect_form(request: Request, sign_uid: str, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Record an inspection (condition, date, remarks)."""
    return await _sign_form(request, store, xc_token, sign_uid[:16], "inspect")


@router.post(SIGNS + "/{sign_uid}/damage")
async def damage_form(request: Request, sign_uid: str, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Report the sign damaged or missing."""
    return await _sign_form(request, store, xc_token, sign_uid[:16], "damage")


@router.post(SIGNS + "/{sign_uid}/replace")
async def replace_form(request: Request, sign_uid: str, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Replace the sign with a new one showing today's standard name."""
    return await _sign_form(request, store, xc_token, sign_uid[:16], "replace")


@router.post(SIGNS + "/{sign_uid}/remove")
async def remove_form(request: Request, sign_uid: str, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Take the sign down for good, with the reason."""
    return await _sign_form(request, store, xc_token, sign_uid[:16], "remove")
