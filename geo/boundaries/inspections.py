"""Joint boundary inspections (联检, 行政区域界线管理条例 art.12): campaigns, field records, sign-off.

A record from a phone is idempotent on its client-generated id (a retry returns the first record; the
same id with other content is refused). Its photo is checked (JPEG or PNG by content, size) and
stored with its SHA-256 in the same transaction as the record. The registered marker position never
changes from field data (BM-02): a record only measures displacement, judged against the GNSS
accuracy. Two teams' differing records for one marker are both kept and flagged, never merged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import shapely
import sqlalchemy as sa

from geo import crs as C
from geo.boundaries.attachments import verified_image
from geo.boundaries.lines import classify_displacement, displacement_m
from geo.boundaries.nmea import FIX_QUALITY, NmeaFix, parse_nmea
from geo.errors import Conflict, Forbidden, InputError, NotFound
from geo.messages import BEIJING, Term, has_beijing_time, label, text
from geo.store import Store, schema
from geo.types import LonLat, beijing_today, parse_date
from geo.validation import refuses_control_characters

CONDITIONS = ("intact", "damaged", "displaced", "missing", "buried")
ACTIONS = ("none", "cleaned", "repainted", "repair_requested")
CAMPAIGN_TYPES = ("periodic", "special")
# Where a record's position came from (inspections.position_source): the phone's Geolocation, an
# external GNSS/RTK receiver's coordinates typed in, its NMEA sentences pasted, or coordinates typed by hand.
POSITION_SOURCES = ("phone", "external_gnss", "nmea", "manual")
MAX_PHOTO_BYTES = 5 * 1024 * 1024
FAR_FROM_MARKER_M = 2000.0  # an observation this far from the marker is a wrong CRS or a wrong marker
_MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def _choice(value: Any, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise InputError(text("boundaries.choice", field=label(field), value=repr(value), allowed=", ".join(allowed)),
                         field=field)
    return value


@refuses_control_characters
def create_campaign(store: Store, data: Mapping[str, Any], *, actor: str) -> dict[str, Any]:
    """Open an inspection campaign over some boundary lines, with the GNSS accuracy it requires."""
    lines = list(data.get("line_codes") or [])
    known = {r["line_code"] for r in store.select("boundary_lines")}
    if not lines or any(code not in known for code in lines):
        raise InputError(text("boundaries.line_codes", field=label("line_codes"), known=", ".join(sorted(known))),
                         field="line_codes")
    accuracy = float(data.get("required_accuracy_m") or 0)
    if not 0 < accuracy <= 50:
        raise InputError(text("boundaries.accuracy_range", field=label("required_accuracy_m")),
                         field="required_accuracy_m")
    if not str(data.get("name") or "").strip():
        raise InputError(text("common.required", field=label("name")), field="name")
    rec = {"name": data["name"], "campaign_type": _choice(data.get("campaign_type", "periodic"), CAMPAIGN_TYPES,
                                                           "campaign_type"),
           "line_codes": json.dumps(lines), "required_accuracy_m": accuracy, "status": "open",
           "teams": json.dumps(list(data.get("teams") or []), ensure_ascii=False),
           "start_date": parse_date(data.get("start_date"), field="start_date"),
           "end_date": parse_date(data.get("end_date"), field="end_date")}
    if rec["start_date"] and rec["end_date"] and rec["end_date"] < rec["start_date"]:
        raise InputError(text("boundaries.end_before_start", field=label("end_date")), field="end_date")
    (cid,) = store.insert("inspection_campaigns", [rec], actor=actor)
    return store.get("inspection_campaigns", cid)


def check_photo(photo: Mapping[str, Any] | None, *, max_bytes: int = MAX_PHOTO_BYTES) -> tuple[bytes, str, str] | None:
    """Return (bytes, content type, sha256) of a base64 photo that really is a JPEG or PNG."""
    if not photo:
        return None
    try:
        raw = base64.b64decode(str(photo.get("data_base64") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise InputError(text("boundaries.photo_base64"), field="photo") from None
    if not raw:
        raise InputError(text("boundaries.photo_empty"), field="photo")
    if len(raw) > max_bytes:
        raise InputError(text("boundaries.photo_size", size=len(raw), limit=max_bytes), field="photo")
    kind = next((t for magic, t in _MAGIC.items() if raw.startswith(magic)), None)
    if kind is None:
        raise InputError(text("boundaries.photo_kind"), field="photo")
    verified_image(raw, field="photo")  # a JPEG/PNG signature followed by junk is no photo
    return raw, kind, hashlib.sha256(raw).hexdigest()


def _payload_hash(data: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


@refuses_control_characters
def submit(store: Store, data: Mapping[str, Any], *, actor: str, max_photo_bytes: int = MAX_PHOTO_BYTES,
           k: float = 2.0, floor_m: float = 1.0) -> tuple[dict[str, Any], bool]:
    """Store one field record; return (record, created). A retry with the same client id creates nothing."""
    client_id = str(data.get("client_id") or "")
    if not 8 <= len(client_id) <= 64 or not all(c.isalnum() or c in "-_" for c in client_id):
        raise InputError(text("boundaries.client_id", field=label("client_id")), field="client_id")
    digest = _payload_hash(data)
    existing = store.select("inspections", where={"client_id": client_id})
    if existing:
        if existing[0]["payload_sha256"] != digest:
            raise Conflict(text("boundaries.client_id_reused", field=label("client_id")), field="client_id")
        return existing[0], False
    campaign = store.get("inspection_campaigns", int(data.get("campaign_id") or 0)) if data.get("campaign_id") else None
    if campaign is None or campaign["status"] != "open":
        raise InputError(text("boundaries.campaign_closed", field=label("campaign_id")), field="campaign_id")
    markers = store.select("boundary_markers", where={"marker_no": str(data.get("marker_no") or "")})
    if not markers:
        raise NotFound(text("boundaries.no_marker", value=repr(data.get("marker_no"))), field="marker_no")
    marker = markers[0]
    if marker["line_code"] not in json.loads(campaign["line_codes"] or "[]"):
        raise InputError(text("boundaries.marker_off_campaign", number=marker["marker_no"]), field="marker_no")
    condition = _choice(data.get("condition"), CONDITIONS, "condition")
    action = _choice(data.get("action", "none"), ACTIONS, "action")
    fix = parse_nmea(str(data.get("nmea") or ""), field="nmea") if data.get("position_source") == "nmea" else None
    accuracy = _accuracy(data.get("gnss_accuracy_m"), fix)
    if accuracy > campaign["required_accuracy_m"]:
        raise InputError(text("boundaries.accuracy_too_low", accuracy=f"{accuracy:g}",
                              required=f"{campaign['required_accuracy_m']:g}"), field="gnss_accuracy_m")
    source, position, detail = _position_source(data, accuracy, fix)
    observed = None
    if condition != "missing" or position:
        p = LonLat.from_xy(float(position.get("lon", "nan")), float(position.get("lat", "nan")),
                           crs=position.get("crs", "EPSG:4326"), field="position")
        observed = shapely.Point(p.lon, p.lat)
    photo = check_photo(data.get("photo"), max_bytes=max_photo_bytes)
    disp = classification = None
    if observed is not None:
        disp = displacement_m(C.to_metric(marker["geometry"]), C.to_metric(observed))
        if disp > FAR_FROM_MARKER_M:
            raise InputError(text("boundaries.far_from_marker", km=f"{disp / 1000:.1f}", number=marker["marker_no"]),
                             field="position")
        classification = classify_displacement(disp, accuracy, k=k, floor_m=floor_m)
    observed_at = data.get("observed_at")
    try:
        when = datetime.fromisoformat(str(observed_at)) if observed_at else datetime.now(UTC)
    except ValueError:
        raise InputError(text("boundaries.observed_at_form", field=label("observed_at")),
                         field="observed_at") from None
    if when.tzinfo is None:  # no offset: a clock in Hohhot, Beijing time (the field page sends UTC)
        when = when.replace(tzinfo=BEIJING)
    if not has_beijing_time(when):  # hours before year 1 in UTC, say: in no campaign
        raise InputError(text("boundaries.observed_at_range", field=label("observed_at")), field="observed_at")
    opened = campaign.get("created_at")
    if opened is not None and opened.tzinfo is None:
        opened = opened.replace(tzinfo=UTC)
    now = datetime.now(UTC)
    # when + slack, not opened - slack: a campaign restored as opened in year 1 has no moment before it.
    if when > now + OBSERVED_AT_SLACK or (opened is not None and when + OBSERVED_AT_SLACK < opened):
        raise InputError(text("boundaries.observed_at_range", field=label("observed_at")), field="observed_at")
    rec = {"client_id": client_id, "campaign_id": campaign["id"], "marker_id": marker["id"], "observed_at": when,
           "inspector": actor, "team": data.get("team"), "condition": condition, "gnss_accuracy_m": accuracy,
           "fixes": int(data.get("fixes") or 1), "displacement_m": None if disp is None else round(disp, 3),
           "classification": classification, "action": action, "remarks": data.get("remarks"),
           "party_adcodes": json.dumps(data.get("party_adcodes") or []), "payload_sha256": digest,
           "geometry": observed, "position_source": source, "position_detail": detail}
    try:
        with store.writing() as conn:
            # Records of one marker are written one at a time (PostgreSQL row lock; SQLite already
            # serialises writers), so the conflict check always sees the other team's record.
            m = schema.boundary_markers
            conn.execute(sa.select(m.c.id).where(m.c.id == marker["id"]).with_for_update())
            (iid,) = store.insert("inspections", [rec], actor=actor, conn=conn)
            if photo:
                raw, kind, sha = photo
                store.insert("inspection_photos", [{"inspection_id": iid, "sha256": sha, "content_type": kind,
                                                    "size_bytes": len(raw), "data": raw}], actor=actor, conn=conn)
            _flag_conflicts(conn, campaign["id"], marker["id"])
            return store.get("inspections", iid, conn=conn), True
    except sa.exc.IntegrityError:
        # A concurrent retry with the same client id won the race: return what it stored.
        again = store.select("inspections", where={"client_id": client_id})
        if again and again[0]["payload_sha256"] == digest:
            return again[0], False
        raise Conflict(text("boundaries.client_id_reused", field=label("client_id")), field="client_id") from None


def _accuracy(value: Any, fix: NmeaFix | None) -> float:
    """Return a record's GNSS accuracy (m): the number sent, or for NMEA the fix quality's floor when none.

    The value must be a finite number in (0, 1000] ("nan", "-1", "abc" name gnss_accuracy_m). With
    pasted NMEA the accuracy cannot be claimed better than the sentence's fix quality and HDOP allow
    (geo.boundaries.nmea.ACCURACY_FLOOR_M, assumed typical floors): a better one is refused, and with
    none sent the floor is the record's accuracy; the campaign's required accuracy then applies as usual.
    """
    field = "gnss_accuracy_m"
    if value is None or (isinstance(value, str) and not value.strip()):
        if fix is not None:
            return fix.accuracy_floor_m
        raise InputError(text("boundaries.accuracy_value", field=label(field)), field=field)
    try:
        accuracy = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        accuracy = math.nan
    if not math.isfinite(accuracy) or not 0 < accuracy <= 1000:
        raise InputError(text("field_offline.accuracy_number", field=label(field), value=repr(value)[:40]),
                         field=field)
    if fix is not None and accuracy < fix.accuracy_floor_m - 0.005:  # the floor is rounded to the centimetre
        hdop = "—" if fix.hdop is None else f"{fix.hdop:g}"
        raise InputError(text("field_offline.accuracy_below_floor", field=label(field), accuracy=f"{accuracy:g}",
                              quality=fix.quality, quality_name=Term(*FIX_QUALITY[fix.quality]),
                              hdop=hdop, floor=f"{fix.accuracy_floor_m:g}"), field=field)
    return accuracy


def _position_source(data: Mapping[str, Any], accuracy_m: float,
                     fix: NmeaFix | None = None) -> tuple[str | None, dict[str, Any], str | None]:
    """Return (source, position, detail) of a record: which receiver measured it and what it said (BM-02).

    With ``nmea`` the position and the detail come from the pasted sentences, parsed and checked here
    (checksums, fix quality), never from what the page computed; the other sources keep the position
    sent and describe it. A record without ``position_source`` (older clients) stores none.
    """
    source = data.get("position_source")
    position = dict(data.get("position") or {})
    if source is None:
        return None, position, None
    if source not in POSITION_SOURCES:
        raise InputError(text("field_offline.position_source", value=repr(source)[:40],
                              allowed=", ".join(POSITION_SOURCES)), field="position_source")
    crs = str(position.get("crs") or "EPSG:4326")
    if source == "nmea":
        fix = fix or parse_nmea(str(data.get("nmea") or ""), field="nmea")
        floor = text("field_offline.detail_floor", accuracy_m=f"{accuracy_m:g}", floor_m=f"{fix.accuracy_floor_m:g}")
        return source, {"lon": fix.lon, "lat": fix.lat, "crs": "EPSG:4326"}, f"{fix.detail} · {floor}"
    if source == "external_gnss":
        return source, position, text("field_offline.detail_external", accuracy_m=f"{accuracy_m:g}", crs=crs)
    if source == "manual":
        return source, position, text("field_offline.detail_manual", crs=crs)
    return source, position, text("field_offline.detail_phone", fixes=int(data.get("fixes") or 1))


def _flag_conflicts(conn: sa.Connection, campaign_id: int, marker_id: int) -> None:
    """Flag every record of a marker in a campaign when the records disagree on its condition."""
    t = schema.inspections
    rows = conn.execute(sa.select(t.c.id, t.c.condition, t.c.classification)
                        .where(t.c.campaign_id == campaign_id, t.c.marker_id == marker_id)).all()
    views = {(r.condition, r.classification) for r in rows}
    if len(rows) > 1 and len(views) > 1:
        conn.execute(t.update().where(t.c.id.in_([r.id for r in rows])).values(conflict=True))


OBSERVED_AT_SLACK = timedelta(hours=12)  # phones' clocks drift and time zones get mixed up


def sign_off(store: Store, campaign_id: int, party_adcode: str, *, actor: str,
             actor_adcodes: set[str]) -> dict[str, Any]:
    """Record one side's sign-off, by a signer of that side; the campaign closes when the district and
    every neighbour signed. The signature and the campaign's state change in one transaction."""
    if party_adcode not in actor_adcodes:
        own = ", ".join(sorted(actor_adcodes))
        raise Forbidden(text("boundaries.signer", actor=actor, own=own, party=party_adcode), field="party_adcode")
    report = campaign_report(store, campaign_id)
    unvisited = sum(line["not_visited"] for line in report)
    if unvisited:
        raise Conflict(text("boundaries.unvisited", count=unvisited), field="campaign_id")
    with store.writing() as conn:
        campaign = store.get("inspection_campaigns", campaign_id, conn=conn)
        bl, so = schema.boundary_lines, schema.campaign_signoffs
        codes = json.loads(campaign["line_codes"])
        parties = {store.adcode} | {r[0] for r in conn.execute(sa.select(bl.c.right_adcode)
                                                               .where(bl.c.line_code.in_(codes))) if r[0]}
        if party_adcode not in parties:
            raise InputError(text("boundaries.party", field=label("party_adcode"), allowed=", ".join(sorted(parties))),
                             field="party_adcode")
        try:
            with conn.begin_nested():
                store.insert("campaign_signoffs", [{"campaign_id": campaign_id, "party_adcode": party_adcode,
                                                    "signed_by": actor, "signed_at": datetime.now(UTC)}],
                             actor=actor, conn=conn)
        except sa.exc.IntegrityError:
            raise Conflict(text("boundaries.signed_already", party=party_adcode), field="party_adcode") from None
        signed = {r[0] for r in conn.execute(sa.select(so.c.party_adcode).where(so.c.campaign_id == campaign_id))}
        if signed >= parties and campaign["status"] == "open":
            store.update("inspection_campaigns", campaign_id, {"status": "signed_off", "filed_date": beijing_today()},
                         expected_version=campaign["version"], actor=actor, action="signed_off", conn=conn)
    return {"campaign_id": campaign_id, "signed": sorted(signed), "waiting_for": sorted(parties - signed)}


def latest_by_marker(records: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Return each marker's latest record (by record id)."""
    out: dict[int, dict[str, Any]] = {}
    for r in sorted(records, key=lambda r: r["id"]):
        out[r["marker_id"]] = r
    return out


def campaign_report(store: Store, campaign_id: int) -> list[dict[str, Any]]:
    """Per line: markers, inspected, missing, damaged, displaced, conflicts, not yet visited.

    Only markers in service count: a decommissioned marker is not inspected and does not hold up
    the sign-off.
    """
    campaign = store.get("inspection_campaigns", campaign_id)
    records = store.select("inspections", where={"campaign_id": campaign_id})
    out = []
    for code in json.loads(campaign["line_codes"]):
        markers = store.select("boundary_markers", where={"line_code": code, "status": "active"})
        ids = {m["id"] for m in markers}
        mine = [r for r in records if r["marker_id"] in ids]
        latest = latest_by_marker(mine)
        conditions = Counter(r["condition"] for r in latest.values())
        out.append({"line_code": code, "markers": len(markers), "inspected": len(latest),
                    "missing": conditions["missing"], "damaged": conditions["damaged"],
                    "displaced": sum(1 for r in latest.values()
                                     if r["condition"] == "displaced" or r["classification"] == "displaced"),
                    "conflicts": len({r["marker_id"] for r in mine if r["conflict"]}),
                    "not_visited": len(ids) - len(latest)})
    return out


@dataclass(frozen=True)
class CampaignMaterial:
    """What a campaign's report files are made of: the campaign, its active markers, every field
    record, its boundary lines (a frame, for the condition map) and the per-marker summary."""

    campaign: dict[str, Any]
    markers: list[dict[str, Any]]
    records: list[dict[str, Any]]
    lines: Any  # gpd.GeoDataFrame of the campaign's boundary lines
    summary: list[dict[str, Any]]


def campaign_material(store: Store, campaign_id: int) -> CampaignMaterial:
    """Read everything a campaign's report (HTML, XLSX, archive) shows, counting active markers only
    (as :func:`campaign_report` and :func:`sign_off` do)."""
    campaign = store.get("inspection_campaigns", campaign_id)
    codes = json.loads(campaign["line_codes"])
    return CampaignMaterial(
        campaign=campaign,
        markers=store.select("boundary_markers", where={"line_code": codes, "status": "active"}),
        records=store.select("inspections", where={"campaign_id": campaign_id}),
        lines=store.read_frame("boundary_lines", where={"line_code": codes}),
        summary=campaign_report(store, campaign_id))
