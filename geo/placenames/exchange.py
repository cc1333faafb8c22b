"""What the gazetteer sends out: announcements, the national exchange table, and the change feed.

- The announcement (公告) of approved names carries 标准名称、罗马字母拼写、所属政区、位置描述、批准机关、
  批准时间 (domain brief §1.4).
- The exchange table uses the national place-name census form's fields (brief §1.6), one row per
  name, for CSV and XLSX: 地名代码 as stored (geo/placenames/codes.py), 类别名称 filled from the
  category table when the record has none and 普查大类 (census class) for every name, coded or not
  (geo/placenames/categories.py), and the name's entry on the
  heritage protection list (保护名录: document and date) when it is listed.
- The change feed is the audit log of the gazetteer read from a commit sequence number on (numbers
  are given in commit order, so a late commit is never skipped), so the city's database can stay in
  step without reloading.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import pandas as pd

from geo.placenames.categories import category_name, census_class_of
from geo.spreadsheet import formula_safe
from geo.types import beijing_date, beijing_today

# Our field → the census form's column (代码, 标准名称, 罗马字母拼写, …).
EXCHANGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("place_code", "地名代码"), ("standard_name", "标准名称"), ("specific", "专名"), ("generic", "通名"),
    ("romanization", "罗马字母拼写"), ("pinyin_toned", "汉语拼音"), ("name_mong", "民族文字"),
    ("language_of_origin", "语种"), ("category_code", "类别代码"), ("category_name", "类别名称"),
    ("census_class", "普查大类"),
    ("admin_code", "所在行政区划代码"), ("admin_name", "所在行政区划"), ("lon", "东经"), ("lat", "北纬"),
    ("meaning", "地名含义"), ("origin", "地名来历"), ("history", "历史沿革"), ("description", "地理实体描述"),
    ("former_names", "曾用名"), ("status", "使用状态"), ("approval_authority", "批准机关"),
    ("approval_doc_no", "批准文号"), ("approval_date", "批准时间"), ("source", "资料来源"),
    ("protection", "保护名录"),
)
USAGE = {"in_force": "现今", "retired": "历史", "superseded": "历史"}


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def protection_text(entry: Mapping[str, Any] | None) -> str | None:
    """Return a protection-list entry as the exchange table shows it: 已列入（文号，日期）."""
    if not entry:
        return None
    listed = _iso(entry.get("listed_on")) or "—"
    return f"已列入（{entry.get('decision_doc_no') or '—'}，{listed}）"


def exchange_table(names: Iterable[Mapping[str, Any]], *, unit_names: Mapping[str, str],
                   former: Mapping[int, list[str]],
                   protections: Mapping[int, Mapping[str, Any]] | None = None) -> pd.DataFrame:
    """Return the exchange table (Chinese column names) for names, with CGCS2000 positions.

    ``protections``: each listed name's entry on the protection list, by name id.
    """
    protections = protections or {}
    rows = []
    for n in names:
        geom = n.get("geometry")
        point = geom.representative_point() if geom is not None else None
        code = str(n.get("admin_code") or "")
        rows.append({
            **{key: _iso(n.get(key)) for key, _ in EXCHANGE_COLUMNS},
            "admin_name": unit_names.get(code) or unit_names.get(code[:9] + "000"),
            "lon": round(point.x, 7) if point is not None else None,
            "lat": round(point.y, 7) if point is not None else None,
            "former_names": "；".join(former.get(int(n["id"]), [])),
            "status": USAGE.get(str(n.get("status")), n.get("status")),
            "category_name": n.get("category_name") or category_name(n.get("category_code")),
            "census_class": census_class_of(n),
            "protection": protection_text(protections.get(int(n["id"]))),
        })
    table = pd.DataFrame(rows, columns=[k for k, _ in EXCHANGE_COLUMNS])
    return formula_safe(table.rename(columns=dict(EXCHANGE_COLUMNS)))  # no live formulas


def announcement_text(names: Iterable[Mapping[str, Any]], *, unit_names: Mapping[str, str],
                      issuer: str = "呼和浩特市新城区民政局") -> str:
    """Return the public announcement of approved names (公告), one paragraph per name."""
    lines = [f"{issuer}关于公布标准地名的公告", "",
             "根据《地名管理条例》第十四条，现将经批准的标准地名公告如下：", ""]
    for k, n in enumerate(names, start=1):
        code = str(n.get("admin_code") or "")
        unit = unit_names.get(code) or unit_names.get(code[:9] + "000") or code
        geom = n.get("geometry")
        where = ""
        if geom is not None:
            p = geom.representative_point()
            where = f"位于东经{p.x:.5f}°、北纬{p.y:.5f}°附近（CGCS2000）"
        approved = n.get("approval_date")
        lines.append(f"{k}. 标准名称：{n['standard_name']}；罗马字母拼写：{n.get('romanization') or ''}；"
                     f"所属政区：{unit}；位置描述：{where}；批准机关：{n.get('approval_authority') or ''}；"
                     f"批准时间：{_iso(approved) or ''}。")
    lines += ["", "特此公告。", "", f"{issuer}", f"{beijing_today().isoformat()}"]
    return "\n".join(lines)


def change_feed(audit_rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return gazetteer changes as a feed: commit number, time, action, record and new state."""
    feed = []
    for row in audit_rows:
        after = json.loads(row["after"]) if row.get("after") else None
        at = row["at"]
        feed.append({"seq": int(row["seq"]), "at": _iso(beijing_date(at)) if isinstance(at, datetime) else at,
                     "time": row["at"].isoformat() if hasattr(row["at"], "isoformat") else row["at"],
                     "table": row["table_name"], "action": row["action"], "record_id": row["record_id"],
                     "actor": row["actor"], "record": after})
    return feed
