"""地名文化遗产与年度同步的业务页面
Officer pages for the heritage protection list (PN-09), the PN-08 facility-name check and the annual
national sync (#17 items 6, 7).

Server-rendered from api/templates/placenames_register/; every form works without JavaScript and is
one use-case call: listing and lifting a name go through :func:`geo.placenames.lifecycle.set_protection`,
a year's batch through :func:`geo.placenames.national_sync.make_batch` (idempotent: with nothing new the
year's last batch comes back as stored), sending and the acknowledgement through ``mark_sent`` and
``mark_acknowledged``. A refused form shows its page again with the reason beside that form and what
was typed kept; nothing is stored. Who listed, lifted, sent or acknowledged is read from the audit log
(the list entries and batches carry only the maker).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.cache import cached_name_index
from api.deps import StoreDep
from api.pages import (
    Draft,
    SessionCookie,
    back_to,
    bad_address,
    draft_notice_lines,
    message_page,
    page,
    page_access,
    posted_draft,
    posted_form,
    refusal_text,
    refused_draft,
    whole_number,
)
from geo.errors import DomainError, NotFound
from geo.layers import OFFICERS, PLANNER
from geo.messages import beijing_time, quoted, text, value_label
from geo.placenames.facility_names import DEFAULT_RADIUS_M, check_facility_names, check_radius
from geo.placenames.heritage import LISTED, protection_list
from geo.placenames.lifecycle import set_protection
from geo.placenames.national_sync import (
    batch_filename,
    check_year,
    get_batch,
    list_batches,
    make_batch,
    mark_acknowledged,
    mark_sent,
)
from geo.store import Store
from geo.types import beijing_today

router = APIRouter(include_in_schema=False)
User = dict[str, Any]

HERITAGE = "/officer/heritage"
LIST_FORM = f"{HERITAGE}/list"
FACILITY_NAMES = f"{HERITAGE}/facility-names"
SYNC = "/officer/sync"
EXPORT_FORM = f"{SYNC}/export"
PN08_READERS = OFFICERS | {PLANNER}  # as GET /api/place-codes/facility-names: planners read the check too
MAX_HITS = 20
BATCH_STATE = {"exported": ("已导出", "exported"), "sent": ("已报送", "sent"),
               "acknowledged": ("已回执", "acknowledged")}


# -- the heritage protection list (PN-09) ----------------------------------------------------------

def _entries(store: Store) -> list[dict[str, Any]]:
    """Return the list's entries, newest first, each with who listed and lifted it and its name's version."""
    entries = protection_list(store)
    who = store.actors("name_protections", ["create", "lift"])
    names = {n["id"]: n for n in store.select("place_names",
                                              where={"id": sorted({e["place_name_id"] for e in entries})})}
    out = []
    for e in entries:
        acts = who.get(int(e["id"]), {})
        created_lifted = e.get("listed_on") is None  # lifted before the list existed: written lifted
        name = names.get(e["place_name_id"])
        out.append({**e, "listed_by": None if created_lifted else acts.get("create"),
                    "lifted_by": acts.get("create") if created_lifted else acts.get("lift"),
                    "name_version": name["version"] if name else None})
    return out


def _flag_only(store: Store, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the names flagged protected with no listed entry (loaded before the list existed)."""
    listed = {e["place_name_id"] for e in entries if e["status"] == LISTED}
    return [n for n in store.select("place_names", where={"protected": True}) if n["id"] not in listed]


def _candidates(request: Request, store: Store, q: str) -> tuple[list[dict[str, Any]], str | None]:
    """Return the names the lookup box finds (a name, pinyin, initials), best first, or why none."""
    if not q.strip():
        return [], None
    hits = cached_name_index(request.app.state.cache, store).search(q, limit=MAX_HITS)
    by_id = {r["id"]: r for r in store.select("place_names", where={"id": [h.id for h in hits]})}
    rows = [by_id[h.id] for h in hits if h.id in by_id]
    return rows, None if rows else text("heritage_pages.no_hits", q=quoted(q))


def _chosen(store: Store, pick: str) -> tuple[dict[str, Any] | None, str | None]:
    """Return the name chosen for the listing form (by its id), or why there is none."""
    if not pick.strip():
        return None, None
    number = whole_number(pick)
    try:
        if number is None:
            raise NotFound("")
        return store.get("place_names", number), None
    except NotFound:
        return None, text("heritage_pages.no_name", id=quoted(pick))


def _heritage_page(request: Request, store: Store, user: User, *, q: str = "", pick: str = "",
                   errors: dict[str, str] | None = None, status: int = 200, refused: Draft | None = None,
                   error: str | None = None, done: str | None = None) -> Response:
    """Return the protection list; ``errors`` are the reasons beside the forms they refused (by form
    path), ``refused`` that form as typed. A number typed into the lookup box chooses that name."""
    draft = refused or posted_draft(request)
    if q.strip() and whole_number(q) is not None and not pick:
        pick, q = q.strip(), ""
    if not pick and draft is not None:  # the listing form posted after the session expired: its name again
        pick = draft.for_form(LIST_FORM).get("place_id", "")
    candidates, no_hits = _candidates(request, store, q)
    chosen, pick_error = _chosen(store, pick)
    entries = _entries(store)
    flag_only = _flag_only(store, entries)
    errors = errors or {}
    shown = {LIST_FORM, *(f"{HERITAGE}/{e['place_name_id']}/lift" for e in entries if e["status"] == LISTED),
             *(f"{HERITAGE}/{n['id']}/lift" for n in flag_only)}
    return page(request, "placenames_register/heritage.html", "地名文化遗产保护名录", "Heritage protection list",
                user=user, status=status, error=error, done=done, entries=entries, flag_only=flag_only, q=q,
                candidates=candidates, no_hits=no_hits, chosen=chosen, pick_error=pick_error, errors=errors,
                stray=[m for k, m in errors.items() if k not in shown], pn09=text("heritage_pages.pn09"),
                list_form=LIST_FORM, facility_names=FACILITY_NAMES, label_of=value_label, draft=draft,
                draft_notice=None if refused else (draft_notice_lines(draft) if draft else None))


@router.get(HERITAGE)
def heritage_page(request: Request, store: StoreDep, q: str = "", pick: str = "", error: str | None = None,
                  done: str | None = None, xc_token: SessionCookie = None) -> Response:
    """The protection list (名录): each entry with its decisions; find a name and list it, or lift one."""
    user = page_access(request, store, xc_token, OFFICERS)
    if isinstance(user, RedirectResponse):
        return user
    return _heritage_page(request, store, user, q=q, pick=pick, error=error, done=done)


@router.post(LIST_FORM)
async def list_form(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Put the chosen name on the list by a decision (PN-09); a refusal shows the form again as typed."""
    posted = await posted_form(request, store, xc_token, OFFICERS, page_path=HERITAGE)
    if isinstance(posted, Response):
        return posted
    user, sent = posted
    form = {k: v.strip() for k, v in sent.items()}
    place_id = whole_number(form.get("place_id"))
    if place_id is None:
        return _heritage_page(request, store, user, status=400, refused=Draft(LIST_FORM, dict(sent)),
                              errors={LIST_FORM: text("heritage_pages.choose_name")})
    if (version := whole_number(form.get("version"))) is None:
        return _heritage_page(request, store, user, pick=str(place_id), status=422,
                              refused=Draft(LIST_FORM, {k: v for k, v in sent.items() if k != "version"}),
                              errors={LIST_FORM: text("forms.bad_version")})
    try:
        name = set_protection(store, place_id, True, expected_version=version, actor=user["username"],
                              document_ref=form.get("document_ref", ""), reason=form.get("reason", ""),
                              decision_body=form.get("decision_body") or None,
                              decision_date=form.get("decision_date") or None, category=form.get("category") or None)
    except DomainError as exc:
        return _heritage_page(request, store, user, pick=str(place_id), status=exc.status,
                              refused=refused_draft(LIST_FORM, sent, exc), errors={LIST_FORM: refusal_text(exc)})
    return back_to(request, HERITAGE, done=text("heritage_pages.listed", name=name["standard_name"],
                                                doc=form.get("document_ref", "")))


@router.post(HERITAGE + "/{place_id}/lift")
async def lift_form(request: Request, place_id: str, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Lift a name's protection by a decision (document, reason, date); the entry stays, lifted."""
    posted = await posted_form(request, store, xc_token, OFFICERS, page_path=HERITAGE)
    if isinstance(posted, Response):
        return posted
    user, sent = posted
    if (number := whole_number(place_id)) is None:
        return bad_address(request, user, place_id)
    form_path = f"{HERITAGE}/{number}/lift"
    form = {k: v.strip() for k, v in sent.items()}
    if (version := whole_number(form.get("version"))) is None:
        return _heritage_page(request, store, user, status=422, errors={form_path: text("forms.bad_version")},
                              refused=Draft(form_path, {k: v for k, v in sent.items() if k != "version"}))
    try:
        name = set_protection(store, number, False, expected_version=version, actor=user["username"],
                              document_ref=form.get("document_ref", ""), reason=form.get("reason", ""),
                              decision_date=form.get("decision_date") or None)
    except DomainError as exc:
        return _heritage_page(request, store, user, status=exc.status, errors={form_path: refusal_text(exc)},
                              refused=refused_draft(form_path, sent, exc))
    return back_to(request, HERITAGE, done=text("heritage_pages.lifted", name=name["standard_name"],
                                                doc=form.get("document_ref", "")))


@router.get(FACILITY_NAMES)
def facility_names_page(request: Request, store: StoreDep, radius_m: str = "",
                        xc_token: SessionCookie = None) -> Response:
    """PN-08, read-only: the facilities whose name contains no in-force place name around them (warnings)."""
    user = page_access(request, store, xc_token, PN08_READERS)
    if isinstance(user, RedirectResponse):
        return user
    typed = radius_m.strip() or f"{DEFAULT_RADIUS_M:g}"
    back = HERITAGE if user["role"] in OFFICERS else None  # a planner reads the check, not the list
    try:
        result = check_facility_names(store, radius_m=check_radius(typed))
    except DomainError as exc:
        return page(request, "placenames_register/facility_names.html", "设施名称与地名统一检查",
                    "Facility names vs place names (PN-08)", user=user, status=exc.status, error=exc.message,
                    radius_m=typed, result=None, kinds={}, none=None, back=back)
    kinds = {f["kind"]: value_label(f["kind"]) for f in result["findings"]}
    none = None if result["findings"] else text("heritage_pages.pn08_none", checked=result["checked"],
                                                 radius=f"{result['radius_m']:g}")
    return page(request, "placenames_register/facility_names.html", "设施名称与地名统一检查",
                "Facility names vs place names (PN-08)", user=user, error=None, radius_m=typed, result=result,
                kinds=kinds, none=none, back=back)


# -- the annual national sync ----------------------------------------------------------------------

def _batches(store: Store) -> list[dict[str, Any]]:
    """Return the batches (without their files), newest first, each with its state and who sent and
    acknowledged it."""
    who = store.actors("sync_batches", ["sent", "acknowledged"])
    out = []
    for b in list_batches(store):
        state = "acknowledged" if b.get("acknowledged_at") else "sent" if b.get("sent_at") else "exported"
        acts = who.get(int(b["id"]), {})
        out.append({**b, "state": BATCH_STATE[state], "filename": batch_filename(b),
                    "sent_by": acts.get("sent"), "acknowledged_by": acts.get("acknowledged")})
    return out


def _sync_page(request: Request, store: Store, user: User, *, errors: dict[str, str] | None = None,
               status: int = 200, refused: Draft | None = None, error: str | None = None,
               done: str | None = None) -> Response:
    """Return the sync batches and their forms; ``errors`` beside the forms they refused (by form path)."""
    batches = _batches(store)
    errors = errors or {}
    shown = {EXPORT_FORM, *(f"{SYNC}/{b['id']}/{step}" for b in batches for step in ("sent", "acknowledged"))}
    draft = refused or posted_draft(request)
    return page(request, "placenames_register/sync.html", "国家地名信息库年度同步", "Annual national sync",
                user=user, status=status, error=error, done=done, batches=batches, errors=errors,
                stray=[m for k, m in errors.items() if k not in shown],
                export_form=EXPORT_FORM, this_year=beijing_today().year, beijing_time=beijing_time, draft=draft,
                draft_notice=None if refused else (draft_notice_lines(draft) if draft else None))


@router.get(SYNC)
def sync_page(request: Request, store: StoreDep, error: str | None = None, done: str | None = None,
              xc_token: SessionCookie = None) -> Response:
    """The sync batches: export a year's changes, download a batch, record it sent and acknowledged."""
    user = page_access(request, store, xc_token, OFFICERS)
    if isinstance(user, RedirectResponse):
        return user
    return _sync_page(request, store, user, error=error, done=done)


@router.post(EXPORT_FORM)
async def export_form(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Make the year's batch; asking again with nothing new shows the year's last batch, unchanged."""
    posted = await posted_form(request, store, xc_token, OFFICERS, page_path=SYNC)
    if isinstance(posted, Response):
        return posted
    user, sent = posted
    raw = sent.get("year", "").strip()
    number = whole_number(raw)
    try:
        batch, created = make_batch(store, check_year(raw if number is None else number), actor=user["username"])
    except DomainError as exc:
        return _sync_page(request, store, user, status=exc.status, errors={EXPORT_FORM: refusal_text(exc)},
                          refused=refused_draft(EXPORT_FORM, sent, exc))
    key = "heritage_pages.batch_made" if created else "heritage_pages.batch_same"
    return back_to(request, SYNC, done=text(key, year=batch["year"], no=batch["batch_no"],
                                            count=batch["record_count"], checksum=batch["checksum_sha256"]))


@router.get(SYNC + "/{batch_id}/file")
def batch_file(request: Request, batch_id: str, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Download a batch file exactly as stored (UTF-8 CSV with BOM), as the JSON API serves it."""
    user = page_access(request, store, xc_token, OFFICERS)
    if isinstance(user, RedirectResponse):
        return user
    if (number := whole_number(batch_id)) is None:
        return bad_address(request, user, batch_id)
    try:
        batch = get_batch(store, number)
    except NotFound as exc:
        return message_page(request, "没有这个同步批次", "No such sync batch", user=user, status=404,
                            error=exc.message)
    return Response(batch["payload"].encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{batch_filename(batch)}"',
                             "X-Checksum-SHA256": batch["checksum_sha256"], "Cache-Control": "private, no-store"})


async def _batch_step(request: Request, store: Store, batch_id: str, token: str | None, step: str) -> Response:
    """Run one of a batch's forms (``sent`` or ``acknowledged``); a refusal shows the page again with the
    reason beside that form and what was typed kept (after a stale version, the batch as it is now and its
    current version in the form)."""
    posted = await posted_form(request, store, token, OFFICERS, page_path=SYNC)
    if isinstance(posted, Response):
        return posted
    user, sent = posted
    if (number := whole_number(batch_id)) is None:
        return bad_address(request, user, batch_id)
    form_path = f"{SYNC}/{number}/{step}"
    if (version := whole_number(sent.get("version"))) is None:
        return _sync_page(request, store, user, status=422, errors={form_path: text("forms.bad_version")},
                          refused=Draft(form_path, {k: v for k, v in sent.items() if k != "version"}))
    try:
        if step == "sent":
            batch = mark_sent(store, number, expected_version=version, actor=user["username"])
            done = text("heritage_pages.sent", year=batch["year"], no=batch["batch_no"])
        else:
            batch = mark_acknowledged(store, number, ack_ref=sent.get("ack_ref", ""), expected_version=version,
                                      actor=user["username"])
            done = text("heritage_pages.acknowledged", year=batch["year"], no=batch["batch_no"], ref=batch["ack_ref"])
    except DomainError as exc:
        return _sync_page(request, store, user, status=exc.status, errors={form_path: refusal_text(exc)},
                          refused=refused_draft(form_path, sent, exc))
    return back_to(request, SYNC, done=done)


@router.post(SYNC + "/{batch_id}/sent")
async def sent_form(request: Request, batch_id: str, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """Record that a batch was sent to the national database."""
    return await _batch_step(request, store, batch_id, xc_token, "sent")


@router.post(SYNC + "/{batch_id}/acknowledged")
async def acknowledged_form(request: Request, batch_id: str, store: StoreDep,
                            xc_token: SessionCookie = None) -> Response:
    """Record the national side's acknowledgement of a sent batch, with its reference."""
    return await _batch_step(request, store, batch_id, xc_token, "acknowledged")
