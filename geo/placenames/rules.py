"""Validation of place names (地名管理条例 art.9 and the domain brief, rules PN-01..PN-13).

Every rule returns findings that name the rule: errors refuse the name; warnings let it through
only with a recorded justification. The word lists are small, configurable starting points for the
officer's attestation, not a complete legal test.

Rule list (IDs as in the domain brief; where the brief sets no number, the number here is ours):
PN-00 required fields, specific + generic = standard name; PN-01/04/05/06 prohibited words;
PN-02 generic fits the feature class; PN-03 GB 18030 characters only, no Mongolian script or Latin
letters in the Chinese name, rare characters warned, and a standard name of at most
``MAX_STANDARD_NAME_CHARS`` (50) characters; PN-07 duplicates and homophones; PN-10 the Mongolian
form; PN-11/12 filing and announcement dates; PN-13 the administrative code.

A message echoes what was typed through :func:`geo.messages.quoted` (in 「」, cut to 80 characters),
never in full: a 10,000-character name is refused by its length, not repeated five times.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from geo.messages import Term, label, quoted, text, value_label, value_labels
from geo.placenames.romanize import toneless_key
from geo.text import is_mongolian_script
from geo.types import beijing_today

if TYPE_CHECKING:
    from sqlalchemy import RowMapping

FEATURE_CLASSES: dict[str, frozenset[str]] = {
    "street": frozenset({"路", "街", "巷", "大街", "大道", "胡同", "道", "弄", "条", "里", "马路", "快速路"}),
    "community": frozenset({"社区"}),
    "village": frozenset({"村", "嘎查"}),
    "admin_unit": frozenset({"区", "镇", "乡", "街道", "苏木"}),
    "residential": frozenset({"小区", "花园", "家园", "苑", "城", "园"}),
    "building": frozenset({"大厦", "楼", "中心", "馆", "院"}),
    "facility": frozenset({"站", "中心", "院", "馆", "公墓", "服务中心", "服务站", "养老院", "敬老院", "公寓"}),
    "bridge": frozenset({"桥", "立交桥"}),
    "natural": frozenset({"山", "河", "沟", "湖", "渠", "水库", "峰", "梁"}),
}
# Scope of the no-duplicate rule (PN-07, brief §1.3): city-wide for streets, residential areas and
# buildings (one built-up area spans several districts); the district for the rest.
CITY_SCOPE = frozenset({"street", "residential", "building"})

UNWHOLESOME = ("皇家", "帝豪", "帝王", "至尊", "霸王", "天下第一", "宇宙", "贵族", "豪门")          # PN-01
STATE_LEADERS = ("毛泽东", "周恩来", "刘少奇", "朱德", "邓小平", "陈云", "江泽民", "胡锦涛", "习近平")  # PN-04
FOREIGN_NAMES = ("曼哈顿", "威尼斯", "维也纳", "巴黎", "罗马", "伦敦", "纽约", "加州", "普罗旺斯", "华盛顿",
                 "莎士比亚", "拿破仑")                                                           # PN-05
ENTERPRISE_WORDS = ("有限公司", "股份", "集团", "有限责任")                                         # PN-06
DEADLINE_DAYS = 15  # filing and announcement within 15 days of approval (PN-11, PN-12)

_MONGOLIAN = re.compile(r"[\u1800-\u18af]")
_BASIC_HAN = re.compile(r"[\u4e00-\u9fff]")
_HAN_ANY = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f]")


@dataclass(frozen=True)
class Finding:
    """One problem with a name: the rule, error or warning, the field and a message."""

    rule: str
    severity: str
    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """Return the finding as JSON-safe data."""
        return {"rule": self.rule, "severity": self.severity, "field": self.field, "message": self.message}


# The rule each finding cites, in the words of the regulations (Chinese first in every message).
RULE_ZH: dict[str, str] = {
    "PN-00": "必填项缺失或不一致", "PN-01": "含夸大、不健康或有损民族尊严的用字", "PN-02": "通名与地理实体类别不符",
    "PN-03": "用字须为规范汉字（GB 18030 可编码）", "PN-04": "不得以国家领导人名字命名",
    "PN-05": "不得使用外国地名、人名",
    "PN-06": "不得以企业名称命名", "PN-07": "重名或同音", "PN-08": "名称用字过长或生僻",
    "PN-09": "具有历史文化价值的地名一般不得更名", "PN-10": "须有蒙古文名称", "PN-11": "逾期备案或日期顺序不对",
    "PN-12": "逾期公告或日期顺序不对", "PN-13": "区划代码不符",
}


def rule_term(rule: str, *, warning: bool = False) -> Term:
    """Return a rule as a finding cites it: its Chinese title with the ID, the ID alone in English."""
    title = RULE_ZH.get(rule, "地名规则")
    if warning:
        return Term(f"{title}（{rule}，提示）", f"{rule} (warning)")
    return Term(f"{title}（{rule}）", rule)


# A place name's Mongolian form is a name, not a text: the longest in the district's gazetteer is
# under 60 characters; 200 leaves room and keeps a sign and a page readable.
MAX_NAME_MONG_CHARS = 200
# A standard name is a name on a sign, not a text. The regulations and the domain brief set no maximum;
# 50 characters is several times a long real name (a place prefix + 街道综合养老服务中心 is under 20) and
# refuses pasted text before it fills a page or a sign (PN-03, "用字" of the name).
MAX_STANDARD_NAME_CHARS = 50


def _err(rule: str, field: str, key: str, /, **params: Any) -> Finding:
    """Return an error finding whose message is catalogue entry ``placenames.<key>``."""
    return Finding(rule, "error", field, text(f"placenames.{key}", rule=rule_term(rule), **params))


def _warn(rule: str, field: str, key: str, /, **params: Any) -> Finding:
    """Return a warning finding (it passes with a recorded justification)."""
    return Finding(rule, "warning", field, text(f"placenames.{key}", rule=rule_term(rule, warning=True), **params))


def check_required(rec: Mapping[str, Any]) -> list[Finding]:
    """PN-00/PN-01: required fields; specific + generic must make the standard name."""
    out = []
    for name in ("standard_name", "specific", "generic", "feature_class", "meaning", "admin_code"):
        if not str(rec.get(name) or "").strip():
            out.append(_err("PN-00", name, "required", field=label(name)))
    name, spec, gen = (str(rec.get(k) or "") for k in ("standard_name", "specific", "generic"))
    if name and spec and gen and spec + gen != name:
        out.append(_err("PN-00", "specific", "parts_mismatch", specific=quoted(spec), generic=quoted(gen),
                        name=quoted(name)))
    if name and gen and name == gen:
        out.append(_err("PN-00", "specific", "generic_alone"))
    return out


def check_text(rec: Mapping[str, Any]) -> list[Finding]:
    """PN-03: GB 18030 only; Mongolian only in name_mong; rare characters warned."""
    out = []
    name = str(rec.get("standard_name") or "")
    if len(name) > MAX_STANDARD_NAME_CHARS:
        out.append(_err("PN-03", "standard_name", "name_too_long", field=label("standard_name"), count=len(name),
                        limit=MAX_STANDARD_NAME_CHARS))
    try:
        name.encode("gb18030")
    except UnicodeEncodeError:
        out.append(_err("PN-03", "standard_name", "gb18030", field=label("standard_name")))
    if _MONGOLIAN.search(name):
        out.append(_err("PN-03", "standard_name", "mongolian_in_name", field=label("standard_name")))
    if re.search(r"[A-Za-z\u0370-\u03ff\u0400-\u04ff]", name):
        out.append(_err("PN-03", "standard_name", "letters", field=label("standard_name")))
    rare = [c for c in name if _HAN_ANY.match(c) and not _BASIC_HAN.match(c)]
    if rare:
        out.append(_warn("PN-03", "standard_name", "rare_characters", field=label("standard_name"),
                         chars=quoted("".join(rare))))
    mong = str(rec.get("name_mong") or "")
    if mong and not is_mongolian_script(mong):
        out.append(_err("PN-10", "name_mong", "not_mongolian_script", field=label("name_mong")))
    if len(mong) > MAX_NAME_MONG_CHARS:
        out.append(_err("PN-10", "name_mong", "mongolian_too_long", field=label("name_mong"),
                        limit=MAX_NAME_MONG_CHARS, count=len(mong)))
    return out


def check_generic(rec: Mapping[str, Any]) -> list[Finding]:
    """PN-02: the generic must fit the feature's class (no 小区 on a road)."""
    cls, gen = rec.get("feature_class"), str(rec.get("generic") or "")
    if not cls or not gen:
        return []
    if cls not in FEATURE_CLASSES:
        return [_err("PN-02", "feature_class", "bad_feature_class", field=label("feature_class"), value=quoted(cls),
                     allowed=value_labels(FEATURE_CLASSES))]
    modifiers = frozenset("东西南北中上下前后内外新老大小正")
    if gen not in FEATURE_CLASSES[cls] and not any(
            gen.endswith(g) and 0 < len(gen) - len(g) <= 2 and all(c in modifiers for c in gen[:-len(g)])
            for g in FEATURE_CLASSES[cls]):
        allowed = "、".join(sorted(FEATURE_CLASSES[cls]))
        return [_err("PN-02", "generic", "bad_generic", generic=quoted(gen), feature_class=value_label(cls),
                     allowed=allowed)]
    return []


def check_prohibitions(rec: Mapping[str, Any], *, operator: str | None = None) -> list[Finding]:
    """PN-01, PN-04, PN-05, PN-06: unwholesome words, leaders', foreign and enterprise names."""
    name = str(rec.get("standard_name") or "")
    out = []
    for rule, words, what in (("PN-01", UNWHOLESOME, Term("夸大、不健康的用字", "an exaggerated or unwholesome word")),
                              ("PN-04", STATE_LEADERS, Term("国家领导人名字", "a state leader's name")),
                              ("PN-05", FOREIGN_NAMES, Term("外国地名、人名", "a foreign place or personal name")),
                              ("PN-06", ENTERPRISE_WORDS, Term("企业名称用字", "an enterprise name"))):
        hit = next((w for w in words if w in name), None)
        if hit:
            out.append(_err(rule, "standard_name", "prohibited_word", word=quoted(hit), what=what))
    if operator and len(operator) >= 2 and operator in name:
        out.append(_warn("PN-06", "standard_name", "operator_name", operator=quoted(operator)))
    return out


def check_duplicates(rec: Mapping[str, Any], existing: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """PN-07: no duplicate in the same class and scope (error); homophones need a justification."""
    cls = rec.get("feature_class")
    name = str(rec.get("standard_name") or "")
    if not name or not cls:
        return []
    key = toneless_key(name)
    adcode = str(rec.get("admin_code") or "")[:6]
    out = []
    for other in existing:
        # The record itself (being edited) is skipped: the same id in the same district. Another
        # district's record (``district`` set) is never this one, whatever its id: ids are a district's own.
        if other.get("id") is not None and other.get("id") == rec.get("id") and not other.get("district"):
            continue
        if other.get("feature_class") != cls or other.get("status") in ("retired", "superseded"):
            continue
        same_scope = cls in CITY_SCOPE or str(other.get("admin_code") or "")[:6] == adcode
        if not same_scope:
            continue
        # A name of another district of the city (``district`` set) is cited with its district.
        where = {"district": other["district"]} if other.get("district") else {}
        suffix = "_in_city" if where else ""
        if other.get("standard_name") == name:
            out.append(_err("PN-07", "standard_name", f"duplicate{suffix}", name=quoted(name), id=other.get("id"),
                            **where))
        elif (other.get("search_key") or toneless_key(str(other.get("standard_name") or ""))) == key:
            out.append(_warn("PN-07", "standard_name", f"homophone{suffix}", name=quoted(name),
                             other=quoted(other.get("standard_name")), id=other.get("id"), **where))
    return out


def check_admin_code(rec: Mapping[str, Any], *, district: str) -> list[Finding]:
    """PN-13: a 12-digit statistical code inside the district."""
    code = str(rec.get("admin_code") or "")
    if code and not (len(code) == 12 and code.isdigit()):
        return [_err("PN-13", "admin_code", "admin_code_digits", field=label("admin_code"), value=quoted(code))]
    if code and not code.startswith(district):
        return [_err("PN-13", "admin_code", "admin_code_district", field=label("admin_code"), value=code,
                     district=district)]
    return []


def check_mongolian(rec: Mapping[str, Any], *, inner_mongolia: bool = True) -> list[Finding]:
    """PN-10: names in Inner Mongolia carry a Mongolian-script form (pending is allowed, flagged)."""
    if not inner_mongolia or rec.get("name_mong"):
        return []
    if rec.get("name_mong_pending"):
        return [_warn("PN-10", "name_mong", "mongolian_pending")]
    return [_err("PN-10", "name_mong", "mongolian_required", field=label("name_mong"))]


def check_deadlines(rec: Mapping[str, Any]) -> list[Finding]:
    """PN-11/PN-12: filing and announcement within 15 days of approval."""
    approved = rec.get("approval_date")
    out = []
    for rule, key in (("PN-11", "filed_date"), ("PN-12", "announce_date")):
        when = rec.get(key)
        if isinstance(approved, date) and isinstance(when, date) and (when - approved).days > DEADLINE_DAYS:
            out.append(_warn(rule, key, "late", field=label(key), days=(when - approved).days,
                             limit=DEADLINE_DAYS))
    return out


def check_date_order(rec: Mapping[str, Any], *, today: date | None = None) -> list[Finding]:
    """PN-11/12: approval, then filing, then announcement; none of them in the future."""
    today = today or beijing_today()
    out = []
    approved, filed, announced = rec.get("approval_date"), rec.get("filed_date"), rec.get("announce_date")
    for key, when in (("approval_date", approved), ("filed_date", filed), ("announce_date", announced)):
        if isinstance(when, date) and when > today:
            out.append(_err("PN-11", key, "future_date", field=label(key), date=when.isoformat()))
    if isinstance(filed, date) and isinstance(announced, date) and announced < filed:
        out.append(_err("PN-12", "announce_date", "announced_before_filed", field=label("announce_date"),
                        date=announced.isoformat(), filed=filed.isoformat()))
    for key, when in (("filed_date", filed), ("announce_date", announced)):
        if isinstance(approved, date) and isinstance(when, date) and when < approved:
            out.append(_err("PN-11" if key == "filed_date" else "PN-12", key, "before_approval",
                            field=label(key), date=when.isoformat(), approved=approved.isoformat()))
    return out


def overdue(rec: Mapping[str, Any] | RowMapping, *, today: date | None = None) -> list[str]:
    """PN-11/12: return what a name approved more than 15 days ago still lacks (filing, announcement)."""
    today = today or beijing_today()
    approved = rec.get("approval_date")
    if not isinstance(approved, date) or (today - approved).days <= DEADLINE_DAYS:
        return []
    return [key for key in ("filed_date", "announce_date") if not rec.get(key)]


def validate(rec: Mapping[str, Any], existing: Iterable[Mapping[str, Any]], *, district: str,
             operator: str | None = None) -> list[Finding]:
    """Return every finding for a proposed or edited name."""
    return (check_required(rec) + check_text(rec) + check_generic(rec) + check_prohibitions(rec, operator=operator)
            + check_duplicates(rec, existing) + check_admin_code(rec, district=district) + check_mongolian(rec)
            + check_deadlines(rec))
