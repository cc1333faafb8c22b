"""地名代码 and categories: codes given at approval, never reused, never rewritten; unknown categories refused.

Codes are checked by hand against the bundled scheme: county 150102 + category (00000 when none) +
a 5-digit serial, e.g. the first unclassified code is 150102 00000 00001.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
import shapely

from geo.errors import InputError
from geo.placenames.categories import check_category, load_categories
from geo.placenames.codes import assign_code, assign_missing, new_place_code, parse_scheme
from geo.placenames.lifecycle import exchange_table_of, propose, transition
from geo.store import Store
from geo.types import beijing_today
from geo.write_rules import RuleFieldRefused, check_generic_change

LINE = shapely.LineString([(111.70, 40.85), (111.71, 40.85)])
BASE = {"feature_class": "street", "meaning": "取春光普照之意", "admin_code": "150102003000",
        "name_mong": "ᠴᠦᠨ ᠬᠦᠢ ᠵᠠᠮ"}
APPROVAL = {"approval_authority": "呼和浩特市人民政府", "approval_doc_no": "呼政字〔2026〕12号"}


def _approved(store: Store, name: str, **extra) -> dict:
    """Propose ``name`` and take it through the lifecycle to approved (dated today: proposed today)."""
    rec = propose(store, {**BASE, "standard_name": name, **extra}, actor="officer-li", geometry=LINE,
                  justification="测试 test")
    for step in ("consultation", "expert_review", "assessment"):
        rec = transition(store, rec["id"], step, expected_version=rec["version"], actor="officer-li")
    assert rec.get("place_code") is None  # not a standard name yet: no code
    return transition(store, rec["id"], "approved", expected_version=rec["version"], actor="officer-li",
                      data={**APPROVAL, "approval_date": beijing_today().isoformat()})


def test_code_is_given_at_approval_and_a_retired_names_code_is_never_reused(store: Store):
    first = _approved(store, "春晖路")
    assert first["place_code"] == "1501020000000001"
    store.update("place_names", first["id"], {"status": "in_force"}, expected_version=first["version"], actor="setup")
    retired = transition(store, first["id"], "retired", expected_version=first["version"] + 1, actor="officer-li",
                         document_ref="呼政字〔2026〕20号")
    assert retired["status"] == "retired" and retired["place_code"] == "1501020000000001"  # it keeps its code
    # A name imported with the national database's code holds serial 3: the counter passes over it.
    store.insert("place_names", [{**BASE, "standard_name": "旧城街", "status": "in_force",
                                  "place_code": "1501020000000003"}], actor="setup")
    second = _approved(store, "和乐路")
    third = _approved(store, "安康街")
    assert (second["place_code"], third["place_code"]) == ("1501020000000002", "1501020000000004")
    community = _approved(store, "春晖社区", feature_class="community", category_code="21620")
    assert community["place_code"] == "1501022162000001"  # its own prefix, its own serials
    counters = {c["prefix"]: c["last_serial"] for c in store.select("code_counters")}
    assert counters == {"15010200000": 4, "15010221620": 1}


def test_assign_fills_names_past_approval_and_never_changes_a_code(store: Store):
    rows: list[dict[str, object]] = [{**BASE, "standard_name": "甲街", "status": "in_force"},
            {**BASE, "standard_name": "乙社区", "status": "in_force", "category_code": "21620"},
            {**BASE, "standard_name": "丙街", "status": "proposed"},                       # not a standard name
            {**BASE, "standard_name": "丁街", "status": "retired"},                        # retired unapproved
            {**BASE, "standard_name": "戊街", "status": "retired", "approval_date": date(2019, 1, 2)},
            {**BASE, "standard_name": "己街", "status": "in_force", "place_code": "NATIONAL-7"}]
    ids = store.insert("place_names", rows, actor="setup")
    done = assign_missing(store, actor="officer-li")
    assert done == {"candidates": 3, "assigned": 3}
    codes = {r["standard_name"]: r["place_code"] for r in store.select("place_names")}
    assert codes == {"甲街": "1501020000000001", "乙社区": "1501022162000001", "丙街": None, "丁街": None,
                     "戊街": "1501020000000002", "己街": "NATIONAL-7"}
    assert assign_missing(store, actor="officer-li") == {"candidates": 0, "assigned": 0}
    assert assign_code(store, ids[5], actor="officer-li") is None  # a code is never rewritten


def test_generic_paths_refuse_to_rewrite_a_code():
    with pytest.raises(RuleFieldRefused) as err:
        check_generic_change("place_names", {"place_code": "1501020000000001"}, {"place_code": "1501020000000009"})
    assert err.value.field == "place_code" and "不可改写" in err.value.message


def test_unknown_category_is_refused_naming_the_field_and_stores_nothing(store: Store):
    assert load_categories()["21620"].name_zh == "社区"
    with pytest.raises(InputError) as err:
        propose(store, {**BASE, "standard_name": "春晖路", "category_code": "99999"}, actor="o", geometry=LINE)
    assert err.value.field == "category_code"
    assert err.value.message.startswith("地名类别代码 category_code 「99999」 不在地名类别代码表中（GB/T 18521")
    assert store.select("place_names") == []
    check_category({"category_code": "2621"})  # a 4-digit entry of GB/T 18521 表2 is in the table
    with pytest.raises(InputError):
        check_category({"category_code": "<script>"})


def test_exports_carry_the_code_and_the_category_name(store: Store):
    store.insert("place_names", [{**BASE, "standard_name": "春晖社区", "status": "in_force", "category_code": "21620",
                                  "geometry": LINE}], actor="setup")
    assign_missing(store, actor="o")
    table = exchange_table_of(store)
    row = table.iloc[0]
    assert (row["地名代码"], row["类别代码"], row["类别名称"]) == ("1501022162000001", "21620", "社区")


def test_two_writers_at_once_never_get_the_same_serial(store: Store):
    got: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def one() -> None:
        try:
            barrier.wait()
            with store.writing() as conn:
                got.append(new_place_code(store, conn, {"category_code": None}, actor="t"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(got) == [f"15010200000{n:05d}" for n in range(1, 5)]


def test_scheme_file_errors_name_the_key():
    with pytest.raises(InputError) as err:
        parse_scheme({"place_code": {"template": "{serial}{county}"}}, path="x.toml")
    assert "place_code.template" in err.value.message
    with pytest.raises(InputError) as err:
        parse_scheme({"place_code": {"serial_digits": 40}}, path="x.toml")
    assert "place_code.serial_digits" in err.value.message


def test_cli_assign_and_categories(tmp_path):
    from tests.xincheng_cli import run

    db = tmp_path / "x.db"
    s = Store.open(f"sqlite:///{db}")
    s.migrate()
    s.insert("place_names", [{**BASE, "standard_name": n, "status": "in_force"} for n in ("甲街", "乙街")],
             actor="setup")
    s.close()
    r = run("place-codes", "assign", db=db)
    assert r.returncode == 0 and "已赋码 assigned: 2" in r.stdout, r.stderr
    r = run("place-codes", "assign", db=db)
    assert r.returncode == 0 and "待补充 candidates: 0" in r.stdout
    r = run("place-codes", "categories", db=db)
    assert r.returncode == 0 and "21620\t社区" in r.stdout


def test_a_category_table_names_its_bad_row_as_a_spreadsheet_shows_it(tmp_path):
    """An admin's edited category table: a blank row is a row too (csv's reader skipped it, and the bad row after
    one was named a row too early: review)."""
    path = tmp_path / "categories.csv"
    path.write_text("code,name_zh,name_en,parent,census_class,source,note\n21620,社区,community,,,,\n\n"
                    ",,,,,,\n2x,坏,,,,,\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_categories(path)
    assert "第 5 行" in err.value.message and "2x" in err.value.message, err.value.message
