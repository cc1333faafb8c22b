"""The one message catalogue (geo/messages/): every message Chinese first, English beside it.

Two halves: the catalogue itself (every entry bilingual with the same placeholders, keys named
after their module, every layer field labelled, no domain error in geo/ raised with a message
lacking Chinese), and real refusals driven through the HTTP API on both backends, whose messages
must start with Chinese, name the field by its Chinese label and carry the rule ID.
"""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import re
from pathlib import Path

import httpx
import pytest

import geo.messages
from geo.boundaries.inspections import create_campaign
from geo.layers import LAYERS
from geo.messages import SEPARATOR, catalogue, label, text
from tests.test_api import _assert_error_shape, _token

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")


def _halves(message: str) -> tuple[str, str]:
    """Return the Chinese and the English half of a rendered message."""
    assert SEPARATOR in message, message
    zh, en = message.split(SEPARATOR, 1)
    return zh, en


def assert_chinese_first(message: str, *, field_zh: str, rule: str | None = None) -> None:
    """Check a user's message: Chinese first, the field's Chinese label, the rule ID in both halves."""
    zh, en = _halves(message)
    assert CJK.match(message), f"does not start with Chinese: {message}"
    assert field_zh in zh, f"{field_zh!r} missing from the Chinese half: {message}"
    assert LATIN.search(en), f"no English half: {message}"
    if rule is not None:
        assert rule in zh and rule in en, f"{rule} missing from a half: {message}"


# --- the catalogue -------------------------------------------------------------------------------

def test_every_entry_has_chinese_and_english_with_the_same_placeholders():
    entries = catalogue()
    assert len(entries) > 200
    for key, message in entries.items():
        # a language-neutral text (a unit symbol) may be the same in both halves
        # ... and a template of placeholders only (the Chinese comes with what fills it: http.invalid)
        bare = not re.sub(r"\{[^}]*\}", "", message.zh).strip()
        assert CJK.search(message.zh) or message.zh == message.en or bare, f"{key}: no Chinese in zh: {message.zh!r}"
        assert message.en.strip() and not CJK.match(message.en), f"{key}: en is not English: {message.en!r}"
        assert message.fields("zh") == message.fields("en"), f"{key}: placeholders differ"


def test_every_key_starts_with_its_module_name():
    for info in pkgutil.iter_modules(geo.messages.__path__):
        part = importlib.import_module(f"geo.messages.{info.name}")
        for key in getattr(part, "MESSAGES", {}):
            assert key.startswith(f"{info.name}."), f"{key} lives in geo/messages/{info.name}.py"


def test_every_layer_field_has_a_chinese_label():
    missing = sorted({f for layer in LAYERS.values() for f in layer.fields if f"field_names.{f}" not in catalogue()})
    assert not missing, f"fields without a Chinese label in geo/messages/field_names.py: {missing}"


def test_a_field_reads_chinese_beside_its_name_and_the_english_half_keeps_the_name():
    message = text("common.required", field=label("standard_name"))
    assert message == "缺少必填字段 标准名称 standard_name · standard_name is required"
    assert label("a_column_of_their_own") == "a_column_of_their_own"  # a user's own column stays as given


def _base_name(base: ast.expr) -> str | None:
    """Return the class name a base-class expression refers to (``InputError`` or ``errors.InputError``)."""
    return base.id if isinstance(base, ast.Name) else getattr(base, "attr", None)


def _domain_error_names() -> set[str]:
    """Return the names of DomainError and every subclass defined anywhere in geo/ (by their class statements)."""
    names = {"DomainError"}
    classes = [node for path in (ROOT / "geo").rglob("*.py")
               for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.ClassDef)]
    grown = True
    while grown:
        before = len(names)
        names |= {c.name for c in classes if any(_base_name(b) in names for b in c.bases)}
        grown = len(names) > before
    return names


def _literal_texts(node: ast.expr) -> list[str]:
    """Return the literal text parts of a message expression (string, f-string, concatenation)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value for v in node.values if isinstance(v, ast.Constant))]
    if isinstance(node, ast.BinOp):
        return _literal_texts(node.left) + _literal_texts(node.right)
    return []


def test_no_domain_error_in_geo_is_raised_with_a_message_lacking_chinese():
    errors = _domain_error_names()
    assert {"InputError", "Conflict", "ValidationFailed", "RuleFieldRefused"} <= errors
    wrong = []
    for path in sorted((ROOT / "geo").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name not in errors:
                continue
            parts = _literal_texts(node.args[0])
            # literal words with no Chinese; a template of placeholders only (" · ") is judged by what fills it
            if any(LATIN.search(p) for p in parts) and not any(CJK.search(p) for p in parts):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {parts[0][:60]!r}")
    assert not wrong, "domain errors raised with English-only messages:\n" + "\n".join(wrong)


# --- real refusals through the HTTP API, both backends ----------------------------------------------

NAME = {"standard_name": "敕勒川路", "feature_class": "street", "meaning": "取敕勒川之意",
        "admin_code": "150102003000", "name_mong_pending": True}
LINE = {"type": "LineString", "coordinates": [[111.70, 40.86], [111.71, 40.86]]}


def test_proposal_without_a_name_and_with_a_bad_generic(writable_server):
    h = _token(writable_server, "placename_officer")
    url = f"{writable_server}/api/placenames"
    unnamed = {k: v for k, v in NAME.items() if k != "standard_name"}
    body = _assert_error_shape(httpx.post(url, headers=h, json={"properties": unnamed, "geometry": LINE}),
                               400, "standard_name")
    assert_chinese_first(body["message"], field_zh="标准名称", rule="PN-00")
    assert all(CJK.match(d) for d in body["details"])
    wrong = {**NAME, "standard_name": "敕勒川小区"}
    body = _assert_error_shape(httpx.post(url, headers=h, json={"properties": wrong, "geometry": LINE,
                                                                "justification": "蒙古文名称待译"}), 400, "generic")
    assert_chinese_first(body["message"], field_zh="通名", rule="PN-02")
    assert "街路巷" in _halves(body["message"])[0]  # the feature class in Chinese, not "street"


def test_lifecycle_step_without_approval_authority(writable_server):
    h = _token(writable_server, "placename_officer")
    r = httpx.post(f"{writable_server}/api/placenames", headers=h,
                   json={"properties": NAME, "geometry": LINE, "justification": "蒙古文名称待译"})
    assert r.status_code == 201, r.text
    url = f"{writable_server}/api/placenames/{r.json()['id']}/transition"
    version = r.json()["properties"]["version"]
    for step in ("consultation", "expert_review", "assessment"):
        r = httpx.post(url, headers=h, json={"to": step, "version": version})
        assert r.status_code == 200, r.text
        version = r.json()["properties"]["version"]
    step = {"approval_doc_no": "呼新政地〔2026〕1号", "approval_date": "2026-01-02"}  # no approving authority
    r = httpx.post(url, headers=h, json={"to": "approved", "version": version, "data": step})
    body = _assert_error_shape(r, 400, "approval_authority")
    assert_chinese_first(body["message"], field_zh="批准机关")
    zh, en = _halves(body["message"])
    assert "已批准" in zh and "approval_authority" in en


def test_import_row_with_a_bad_suffix_names_row_field_and_rule(writable_server, writable_sample_store):
    h = _token(writable_server, "placename_officer")
    plate = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [111.705, 40.86]},
             "properties": {"street_name": "砂平路", "number": 9001, "suffix": "乙乙"}}
    before = writable_sample_store.count("door_plates")
    r = httpx.post(f"{writable_server}/api/layers/door_plates/import", headers=h,
                   params={"crs": "EPSG:4490", "format": "geojson"},
                   content=json.dumps({"type": "FeatureCollection", "features": [plate]}).encode())
    body = _assert_error_shape(r, 400, "suffix")
    assert_chinese_first(body["message"], field_zh="附号", rule="DP-04")
    assert body["message"].startswith("第 1 行") and "row 1" in _halves(body["message"])[1]
    assert writable_sample_store.count("door_plates") == before


def test_marker_without_its_documents_and_a_record_too_inaccurate(writable_server, writable_sample_store):
    line = writable_sample_store.select("boundary_lines")[0]
    marker = writable_sample_store.select("boundary_markers", where={"line_code": line["line_code"]})[0]
    h = _token(writable_server, "admin")
    x, y = marker["geometry"].x, marker["geometry"].y
    r = httpx.post(f"{writable_server}/api/markers", headers=h,
                   json={"position": [x, y], "line_code": line["line_code"]})
    body = _assert_error_shape(r, 400, "reason")
    assert_chinese_first(body["message"], field_zh="原因", rule="BM-04")
    campaign = create_campaign(writable_sample_store, {"name": "2026年联检", "line_codes": [line["line_code"]],
                                                       "required_accuracy_m": 5}, actor="test")
    record = {"client_id": "phone-msg-0001", "campaign_id": campaign["id"], "marker_no": marker["marker_no"],
              "condition": "intact", "gnss_accuracy_m": 35, "position": {"lon": x, "lat": y, "crs": "EPSG:4490"}}
    r = httpx.post(f"{writable_server}/api/inspections", headers=_token(writable_server, "boundary_inspector"),
                   json=record)
    body = _assert_error_shape(r, 400, "gnss_accuracy_m")
    zh, _en = _halves(body["message"])
    assert CJK.match(body["message"]) and "定位精度" in zh and "35" in zh and "5" in zh


@pytest.mark.parametrize(("siting", "field", "field_zh"), [
    ({"k": 0}, "k", "新增站点数"),
    ({"k": 2, "target_share": 0.5}, "k", "目标覆盖比例"),
])
def test_bad_siting_parameter(live_server, siting, field, field_zh):
    r = httpx.post(f"{live_server}/api/planning/siting", headers=_token(live_server, "planner"), json=siting,
                   timeout=120)  # the walking network is built before the parameters are judged
    body = _assert_error_shape(r, 400, field)
    assert_chinese_first(body["message"], field_zh=field_zh, rule="FA-01")


def test_a_body_fastapi_cannot_parse_is_chinese_first_too(live_server):
    r = httpx.post(f"{live_server}/api/planning/siting", headers=_token(live_server, "planner"),
                   json={"k": "two"})
    body = _assert_error_shape(r, 422, "k")
    assert_chinese_first(body["message"], field_zh="新增站点数")
    headers = {**_token(live_server, "placename_officer"), "content-type": "application/json"}
    r = httpx.post(f"{live_server}/api/placenames", headers=headers, content=b"{not json")
    body = _assert_error_shape(r, 422, "body")
    assert CJK.match(body["message"]) and "JSON" in body["message"]


# Routers whose refusals come from the catalogue only: no literal words in a raised domain error.
CATALOGUED_ROUTERS = ("placenames", "layers", "inspections", "plates", "reports", "users", "auth", "audit",
                      "planning", "health", "public_plates")


def test_routers_raise_domain_errors_with_catalogue_messages_only():
    """A router's refusal is ``text(key, ...)``: a literal (English, or Chinese typed inline) is refused."""
    errors = _domain_error_names() | {"NotAuthenticated", "Forbidden", "NotFound"}
    wrong = []
    for name in CATALOGUED_ROUTERS:
        path = ROOT / "api" / "routers" / f"{name}.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if called in errors and any(p.strip() for p in _literal_texts(node.args[0])):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {_literal_texts(node.args[0])[0][:60]!r}")
    assert not wrong, "router refusals not from geo/messages:\n" + "\n".join(wrong)


def test_the_signs_and_casework_fields_are_named_in_chinese_wherever_a_message_meets_them():
    """A typed body's type error named ``sign_type`` bare (review): every field of the street signs and the boundary
    casework has its Chinese label in the one catalogue :func:`label` reads."""
    from geo.messages import label
    from geo.messages.boundary_casework import CASEWORK_FIELDS
    from geo.messages.signs import SIGN_FIELDS

    for field in [*SIGN_FIELDS, *CASEWORK_FIELDS]:
        named = label(field)
        assert named.endswith(f" {field}") and re.match(r"[\u4e00-\u9fff]", named), named


def test_every_rule_field_refusal_says_where_to_go_in_each_half_in_its_own_language():
    """Review: the way to a rule field's use case was one text in both halves, "POST …（撤销 revoke）" and
    "…（区划调整决定，PN-13 代码 a division decision with a PN-13 code）": their English half held Chinese."""
    from geo.write_rules import CREATE_ONLY_THROUGH, GUARDS, RuleFieldRefused, check_generic_create, refusal

    messages = [refusal(layer, field, guard).message for layer, guards in GUARDS.items()
                for field, guard in guards.items()]
    for layer in CREATE_ONLY_THROUGH:
        with pytest.raises(RuleFieldRefused) as err:
            check_generic_create(layer, {})
        messages.append(err.value.message)
    assert len(messages) > 30
    for message in messages:
        zh, sep, en = message.partition(SEPARATOR)
        assert sep and CJK.search(zh), message
        assert not CJK.search(en), message
        assert "POST" in zh or "PATCH" in zh or "不能修改" in zh, message  # the way there is in the Chinese half too
        assert "请使用 （" not in zh and "use (" not in en, message  # a way to go, not a remark (recheck)


def test_a_streets_numbering_is_refused_as_fixed_not_sent_to_a_way_that_cannot_change_it():
    """Third review: the refusal said to replace each plate, but no use case changes a street's numbering start or odd
    side (plate replacement takes a plate's number, not the street's)."""
    from geo.write_rules import GUARDS, refusal

    for field in ("numbering_start", "odd_side"):
        refused = refusal("streets", field, GUARDS["streets"][field])
        message = refused.message
        assert "不能修改" in message and "replace" not in message and "fixed" in message, message
        # Review of #15: its code still said "use_the_use_case" though no use case changes it.
        assert (refused.code, refused.status) == ("fixed_field", 422)
    assert refusal("door_plates", "status", GUARDS["door_plates"]["status"]).code == "use_the_use_case"


# Chinese halves that show text to be typed as it is (a coordinate pair, a key list, an address, a bbox): their
# ASCII commas and colons are the syntax asked for.
TYPED_SYNTAX = {"http.lon_lat", "http.each_lon_lat", "maps.data.bbox", "plates.key_form", "refresh.scheduler_address",
                "whatif.cli_move"}


def test_chinese_halves_use_chinese_punctuation_and_quote_values_in_corner_brackets():
    """Carried from a review: older messages of file reading (io_formats) read "无法判断 'x.dat' 的格式, 请指明 (…)":
    ASCII commas and parentheses in Chinese text, and values in Python's quotes ('…', with escapes) where every other
    message echoes what a user gave in 「」."""
    import re

    from geo.messages import catalogue

    chinese = r"[\u4e00-\u9fff]"
    ascii_between = re.compile(rf"{chinese}[,;:!?]|[,;:!?] *{chinese}")
    found = {key: m.zh for key, m in catalogue().items() if key not in TYPED_SYNTAX and ascii_between.search(m.zh)}
    assert not found, found
    python_quotes = {key: m.zh for key, m in catalogue().items() if "!r}" in m.zh}
    assert not python_quotes, python_quotes


def test_a_file_whose_format_cannot_be_told_is_named_as_the_user_named_it(tmp_path):
    from geo.errors import InputError
    from geo.io.formats import UPLOAD_NAME, detect_format

    token = UPLOAD_NAME.set("台账 2026.dat")
    try:
        try:
            detect_format(tmp_path / "upload.dat")
        except InputError as err:
            message = err.message
    finally:
        UPLOAD_NAME.reset(token)
    assert message.startswith("无法判断 「台账 2026.dat」 的格式，请指明") and "upload" not in message, message
