"""What the generic layer endpoints and imports may write: only fields that carry no domain rule.

Lifecycle, identity and decision fields belong to the use case that owns their rule (propose,
transition and rename a name; decide a plate's status; register, move and decommission a marker).
The generic paths (``POST``/``PATCH /api/layers/{layer}/features`` and file imports) refuse them with
an error that names the field, the rule and the endpoint to use. A record created through a
generic path starts in the state its use case starts in: a plate is ``active`` with no decision; a
place name is ``proposed``. A value equal to the stored one is not a change, so a file exported by
the service can be re-imported as an update (``--mode upsert``) without tripping these rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from geo.errors import InputError
from geo.layers import LAYERS
from geo.messages import Term, at_row, label, layer_label, text, value_label


class RuleFieldRefused(InputError):
    """A rule-carrying field sent to a generic write path (HTTP 422 naming the field and endpoint)."""

    status = 422
    code = "use_the_use_case"


class FixedFieldRefused(RuleFieldRefused):
    """A field no use case changes (an identity, a street's numbering): refused as fixed, with its own code, so a
    client is not told to look for a use case that does not exist."""

    code = "fixed_field"


@dataclass(frozen=True)
class Guard:
    """Why a field is not for the generic path, and where to change it instead."""

    why_zh: str
    why_en: str
    use: str  # "" for an identity nothing changes; a Term where the way to it is said in words (both languages)
    # On create: "refuse"; "allow" (validated by the rules that own it); "initial" (must equal INITIAL);
    # "drop" (a computed field: what a file carries is ignored and the use case computes it).
    on_create: str = "refuse"


_NAME_LIFECYCLE = Guard("地名生命周期字段", "a lifecycle field of the gazetteer (PN-11/12)",
                        "POST /api/placenames/{id}/transition", on_create="initial")
_NAME_DECISION = Guard("地名审批字段", "a decision field of the gazetteer",
                       Term("POST /api/placenames/{id}/transition 或 /rename",
                            "POST /api/placenames/{id}/transition or /rename"))
_NAME_TEXT = Guard("地名名称由申报、修改或更名用例管理", "the name itself is changed by edit or rename (PN rules)",
                   Term("PATCH /api/placenames/{id}（批准前）或 POST /api/placenames/{id}/rename",
                        "PATCH /api/placenames/{id} (before approval) or POST /api/placenames/{id}/rename"),
                   on_create="allow")
_NAME_DERIVED = Guard("罗马字母拼写由系统按 GB/T 16159 生成", "romanization is computed by GB/T 16159 (RM rules)",
                      Term("PATCH /api/placenames/{id}（romanization_override 附理由）",
                           "PATCH /api/placenames/{id} (romanization_override with a reason)"),
                      on_create="drop")
_PLACE_CODE = Guard("地名代码是地名的标识，不可改写", "the place code identifies the name and is never rewritten",
                    Term("POST /api/place-codes/assign（只为尚无代码的地名赋码，已有的代码不变）",
                         "POST /api/place-codes/assign (codes only names without one; a code once given never "
                         "changes)"), on_create="allow")
_PROTECTED = Guard("保护名录是一项决定（PN-09）", "protection is a decision with document and reason (PN-09)",
                   "POST /api/placenames/{id}/protection")
_PLATE_DECISION = Guard("门牌状态是一项决定", "a plate's status is a decision with body, document and date",
                        "POST /api/plates/{plate_uid}/status", on_create="initial")
_PLATE_UID = Guard("门牌编码印在二维码上，不可改写", "the plate uid is printed in the QR code and never rewritten",
                   Term("POST /api/plates/{plate_uid}/replace（新门牌得新编码）",
                        "POST /api/plates/{plate_uid}/replace (a new plate gets its own uid)"),
                   on_create="allow")
_PLATE_ADDRESS = Guard("门牌地址印在门牌上，改号是一项决定：撤销旧门牌并新设", "a plate's address is printed on "
                       "it: renumbering is a decision (revoke the plate, then create the new one)",
                       Term("POST /api/plates/{plate_uid}/status（撤销），再 POST /api/layers/door_plates/features",
                            "POST /api/plates/{plate_uid}/status (revoke), then POST /api/layers/door_plates/features"),
                       on_create="allow")
_PLATE_SUCCESSOR = Guard("门牌的替换门牌由替换决定登记", "a plate's successor is recorded by the replacement decision",
                         "POST /api/plates/{plate_uid}/replace")
_STREET_NAME = Guard("街路巷名称须经更名用例，同时改门牌地址并排队重印",
                     "a street's name changes by rename, which readdresses and reprints its plates",
                     "POST /api/placenames/{id}/rename", on_create="allow")
_MARKER = Guard("界桩编号、位置与状态须经界桩登记用例（BM-04）",
                "a marker's number, position and status change only with the BM-04 documents",
                "POST /api/markers, POST /api/markers/{id}/move, POST /api/markers/{id}/decommission")
_LAST_INSPECTED = Guard("界线的联检日期由定期联检归档确定（BM-06）；服务启用前的日期随界线导入",
                        "a line's last joint inspection comes from filing a periodic campaign (BM-06); the date "
                        "from before the service is loaded with the line",
                        Term("POST /api/inspections/campaigns（定期联检）→ 双方签认归档",
                             "POST /api/inspections/campaigns (periodic) → both sides' sign-off"),
                        on_create="allow")
_LINE_ID = Guard("界线编码与两侧政区不可改写", "a boundary line's code and sides are its identity",
                 "", on_create="allow")  # no use case changes it
_UNIT_ID = Guard("区划代码、上级、层级与存续状态由区划调整决定",
                 "a unit's code, parent, level, status and dates change by a division decision",
                 Term("POST /api/divisions/create|split|merge|rename|recode（区划调整）",
                      "POST /api/divisions/create|split|merge|rename|recode (a division change)"), on_create="allow")
_UNIT_NAME = Guard("区划名称由区划更名决定（保留曾用名，重建其下标准地址，PN-09 保护名称须先解除）",
                   "a unit's name changes by a rename decision (former name kept, the addresses below rebuilt, "
                   "PN-09 protection lifted first)",
                   Term("POST /api/divisions/rename（区划调整）", "POST /api/divisions/rename (a division change)"),
                   on_create="allow")
_UNIT_LAND = Guard("区划范围由区划调整决定（拆分、合并、新设，检查无缝无重叠）",
                   "a unit's land changes by a division decision (split, merge, create: no gap, no overlap)",
                   Term("POST /api/divisions/split|merge|create（区划调整）",
                        "POST /api/divisions/split|merge|create (a division change)"), on_create="allow")
_PLATE_UNIT = Guard("门牌所属社区（村）由其位置与区划调整决定", "a plate's community follows from where it stands "
                    "and from division changes",
                    Term("POST /api/divisions/…（区划调整）；新设门牌时按位置确定",
                         "POST /api/divisions/… (a division change); set from the position when the plate is created"),
                    on_create="allow")

# No use case changes them (a third review: the refusal sent officers to plate replacement, which cannot): a street
# is numbered once; a plate on the wrong side is replaced, its new number following the street's numbering.
_NUMBERING = Guard("街路巷的编号起点与单双号侧是其门牌编号的依据（DP-02、DP-03），设立街路巷时确定，此后不变",
                   "a street's numbering start and odd side are what its plates are numbered by (DP-02, DP-03): set "
                   "when the street is set up, and fixed thereafter", "", on_create="allow")
_PLATE_SIDE = Guard("门牌位于街路巷哪一侧由其位置确定（DP-02 单双号）", "a plate's side of the street follows from "
                    "where it stands (DP-02 odd and even sides)",
                    Term("PATCH 门牌位置 geometry（位置更正）或 POST /api/plates/{plate_uid}/replace",
                         "PATCH the plate's geometry (a position correction) or POST /api/plates/{plate_uid}/replace"),
                    on_create="allow")

GUARDS: dict[str, dict[str, Guard]] = {
    "place_names": {
        "status": _NAME_LIFECYCLE, "status_date": _NAME_LIFECYCLE, "filed_date": _NAME_DECISION,
        "announce_date": _NAME_DECISION, "approval_authority": _NAME_DECISION,
        "approval_doc_no": _NAME_DECISION, "approval_date": _NAME_DECISION,
        "standard_name": _NAME_TEXT, "specific": _NAME_TEXT, "generic": _NAME_TEXT,
        "language_of_origin": _NAME_TEXT, "feature_class": _NAME_TEXT, "category_code": _NAME_TEXT,
        "admin_code": _NAME_TEXT,
        "romanization": _NAME_DERIVED, "pinyin_toned": _NAME_DERIVED, "sign_text": _NAME_DERIVED,
        "search_key": _NAME_DERIVED, "place_code": _PLACE_CODE,
        "protected": _PROTECTED,
    },
    "door_plates": {
        "plate_uid": _PLATE_UID, "status": _PLATE_DECISION, "decision_body": _PLATE_DECISION,
        "decision_doc_no": _PLATE_DECISION, "decision_date": _PLATE_DECISION,
        "street_name": _PLATE_ADDRESS, "number": _PLATE_ADDRESS, "suffix": _PLATE_ADDRESS,
        "successor_plate_uid": _PLATE_SUCCESSOR, "community_code": _PLATE_UNIT, "side": _PLATE_SIDE,
    },
    "streets": {"name": _STREET_NAME, "numbering_start": _NUMBERING, "odd_side": _NUMBERING},
    "boundary_markers": {f: _MARKER for f in ("marker_no", "line_code", "seq", "type_code", "marker_type",
                                               "status", "managing_adcode", "geometry", "elevation_m",
                                               "coordinate_source")},
    "boundary_lines": {"line_code": _LINE_ID, "left_adcode": _LINE_ID, "right_adcode": _LINE_ID,
                       "last_inspected_on": _LAST_INSPECTED},
    "admin_units": {"code": _UNIT_ID, "parent_code": _UNIT_ID, "level": _UNIT_ID, "status": _UNIT_ID,
                    "valid_from": _UNIT_ID, "valid_to": _UNIT_ID, "name": _UNIT_NAME, "name_mong": _UNIT_NAME,
                    "geometry": _UNIT_LAND},
}

# The state a record created through a generic path starts in (its use case's first state).
INITIAL: dict[str, dict[str, Any]] = {
    "place_names": {"status": "proposed", "status_date": None},
    "door_plates": {"status": "active", "decision_body": None, "decision_doc_no": None,
                    "decision_date": None},
}

# A record in one of these states is history: the generic path changes nothing of it.
FROZEN_IN: dict[str, tuple[str, tuple[str, ...]]] = {
    "door_plates": ("status", ("revoked", "replaced")),
    "boundary_markers": ("status", ("decommissioned",)),
}

# Layers whose records are created only by their use case, never by the generic path.
CREATE_ONLY_THROUGH: dict[str, str] = {
    "boundary_markers": Term("POST /api/markers（BM-04 需要协议、测量和备案材料）",
                             "POST /api/markers (BM-04: with the agreement, survey and filing)"),
    "admin_units": Term("POST /api/divisions/create（区划调整决定，PN-13 代码）",
                        "POST /api/divisions/create (a division decision with a PN-13 code)"),
}
# Of those, layers a file import may still fill while the district holds none of them: the first
# load of a district's units (``xincheng import --layer admin_units`` into an empty district).
FIRST_LOAD_ALLOWED = frozenset({"admin_units"})


def same_value(a: Any, b: Any) -> bool:
    """Return whether a sent value equals the stored one (dates and numbers by value)."""
    if a is None or b is None:
        return (a in (None, "")) and (b in (None, ""))
    if hasattr(a, "equals") and hasattr(b, "equals"):  # shapely geometries
        return bool(a.equals(b))
    return str(a) == str(b) if type(a) is not type(b) else a == b


def _layer(name: str) -> Term:
    """Return a layer named in both languages (its registry title when it has one)."""
    layer = LAYERS.get(name)
    return layer_label(name, layer.title_zh) if layer else Term(name, name)


def refusal(layer: str, field: str, guard: Guard, *, row: int | None = None) -> RuleFieldRefused:
    """Return the error for a rule field sent to a generic path."""
    if not guard.use:  # an identity: nothing changes it
        return FixedFieldRefused(at_row(text("checks.rule_field_fixed", layer=_layer(layer), field=label(field),
                                             why=Term(guard.why_zh, guard.why_en)), row), field=field)
    return RuleFieldRefused(at_row(text("checks.rule_field", layer=_layer(layer), field=label(field),
                                        why=Term(guard.why_zh, guard.why_en), use=guard.use), row), field=field)


def _created_only_through_use_case(layer: str, *, first_load: bool) -> bool:
    return layer in CREATE_ONLY_THROUGH and not (first_load and layer in FIRST_LOAD_ALLOWED)


def check_generic_create(layer: str, record: Mapping[str, Any], *, row: int | None = None,
                         first_load: bool | None = None) -> dict[str, Any]:
    """Return ``record`` in its use case's starting state, or refuse a rule field it sets.

    ``first_load``: for a file import, whether the district holds no record of ``layer`` yet (its first load; a
    later file is told that load is done); None: not an import."""
    if _created_only_through_use_case(layer, first_load=bool(first_load)):
        done = first_load is False and layer in FIRST_LOAD_ALLOWED
        said = "checks.first_load_done" if done else "checks.create_only_through"
        raise RuleFieldRefused(text(said, layer=_layer(layer), use=CREATE_ONLY_THROUGH[layer]), field="layer")
    guards = GUARDS.get(layer, {})
    initial = INITIAL.get(layer, {})
    record = {k: v for k, v in record.items() if getattr(guards.get(k), "on_create", "") != "drop"}
    for field, value in record.items():
        guard = guards.get(field)
        if guard is None or guard.on_create == "allow" or value in (None, ""):
            continue
        if guard.on_create == "initial" and field in initial and same_value(value, initial[field]):
            continue
        raise refusal(layer, field, guard, row=row)
    return {**record, **{k: v for k, v in initial.items() if v is not None}}


_ABSENT = object()  # a record without the field (not the same as one sending None)


def generic_create_refusal(layer: str, records: Sequence[Mapping[str, Any]], *,
                           first_load: bool = False) -> int | None:
    """Return the index of the first record :func:`check_generic_create` refuses (None: it refuses none).

    Column by column, each distinct value judged once (an import of 34,000 plates sends one status), the
    rows searched only in a column holding a refused value; the caller raises the refusal itself with
    :func:`check_generic_create` on that record, so the message is the row-by-row one.
    """
    if not records:
        return None
    if _created_only_through_use_case(layer, first_load=first_load):
        return 0
    initial = INITIAL.get(layer, {})
    first: int | None = None
    for field, guard in GUARDS.get(layer, {}).items():
        if guard.on_create in ("allow", "drop"):
            continue
        values = [record.get(field, _ABSENT) for record in records]
        try:
            distinct = {(type(v), v) for v in values}
        except TypeError:  # a value that is not hashable: each judged on its own
            distinct = None
        if distinct is not None and not any(v is not _ABSENT and _refused(guard, field, v, initial)
                                            for _kind, v in distinct):
            continue  # the common case: one pass, no value refused
        hit = next((i for i, v in enumerate(values) if v is not _ABSENT and _refused(guard, field, v, initial)), None)
        if hit is not None and (first is None or hit < first):
            first = hit
    return first


def _refused(guard: Guard, field: str, value: Any, initial: Mapping[str, Any]) -> bool:
    """Return whether a new record may not carry ``value`` in the guarded ``field``."""
    if value in (None, ""):
        return False
    return not (guard.on_create == "initial" and field in initial and same_value(value, initial[field]))


def starting_state(layer: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """Return what :func:`check_generic_create` makes of a record it accepts (computed fields dropped,
    the starting state filled in), the layer's guards looked up once for all records."""
    dropped = {field for field, guard in GUARDS.get(layer, {}).items() if guard.on_create == "drop"}
    filled = {k: v for k, v in INITIAL.get(layer, {}).items() if v is not None}

    def start(record: Mapping[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in record.items() if k not in dropped} if dropped else dict(record)
        out.update(filled)
        return out

    return start


def check_generic_change(layer: str, before: Mapping[str, Any], changes: Mapping[str, Any], *,
                         row: int | None = None) -> None:
    """Refuse a change through a generic path to any rule field whose value differs from ``before``."""
    guards = GUARDS.get(layer, {})
    frozen = FROZEN_IN.get(layer)
    changed = any(not same_value(v, before.get(k)) for k, v in changes.items())
    if frozen and before.get(frozen[0]) in frozen[1] and changed:
        state = value_label(before.get(frozen[0]))
        raise RuleFieldRefused(at_row(text("checks.frozen", layer=_layer(layer), state=state), row), field=frozen[0])
    for field, value in changes.items():
        guard = guards.get(field)
        if guard is not None and not same_value(value, before.get(field)):
            raise refusal(layer, field, guard, row=row)


def guarded_fields(layer: str) -> dict[str, str]:
    """Return each rule field of ``layer`` with the endpoint that owns it (for the OpenAPI text)."""
    return {field: guard.use for field, guard in GUARDS.get(layer, {}).items()}
